#!/bin/sh
# build.sh PREFIX [--workdir DIR]: Debian 12's libvirt 9.0.0 with the
# patches of contrib/libvirt/patches, on virt-firewall's engine.
#
# On a Debian 12 machine (as root, for apt): installs what the build and
# the end-to-end tests need (apt-get --no-install-recommends --no-upgrade),
# enables deb-src if it is missing, fetches the source with 'apt-get
# source libvirt' (dpkg-source applies Debian's patches), applies ours,
# builds and installs virt-firewall's engine and a minimal libvirt
# (libvirtd, the remote, network and nwfilter drivers, virsh, libpcap;
# everything else off) into PREFIX, then runs libvirt's tests of the
# firewall code.
#
# Everything goes under PREFIX: the configuration in PREFIX/etc/libvirt,
# the runtime state in PREFIX/var/run/libvirt, the binaries in PREFIX/sbin
# and PREFIX/bin, which find their libraries there (rpath). Apart from apt,
# no system path is touched. The work directory (default PREFIX/src) keeps
# the source and the build directories: running again rebuilds only what
# changed (a changed patch series unpacks the source anew).
set -eu

usage() {
    echo "usage: $0 PREFIX [--workdir DIR]" >&2
    exit 2
}

PREFIX=""
WORKDIR=""
while [ $# -gt 0 ]; do
    case "$1" in
        --workdir) [ $# -ge 2 ] || usage; WORKDIR=$2; shift 2 ;;
        --workdir=*) WORKDIR=${1#--workdir=}; shift ;;
        -h|--help) usage ;;
        -*) usage ;;
        *) [ -z "$PREFIX" ] || usage; PREFIX=$1; shift ;;
    esac
done
[ -n "$PREFIX" ] || usage

LIBVIRT_VERSION=9.0.0
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
SERIES_DIR=$HERE/patches/libvirt-$LIBVIRT_VERSION

mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
WORKDIR=${WORKDIR:-$PREFIX/src}
mkdir -p "$WORKDIR"
WORKDIR=$(cd "$WORKDIR" && pwd)
LIBDIR=$PREFIX/lib
T_START=$(date +%s)

step() {
    printf '\n=== %s (%s)\n' "$*" "$(date +%T)"
}

die() {
    echo "build.sh: $*" >&2
    exit 1
}

# ------------------------------------------------------------ packages ---
# libvirt's build (meson.build: perl, python3, xmllint, xsltproc, rpcgen;
# glib, libxml2, gnutls, tirpc; libpcap as Debian builds it), the engine
# (virt-firewall's meson: json-glib, libmnl, libvirt-dev for its host
# reader), the tools both run (iptables, ebtables, dnsmasq for the network
# driver) and what the tests use (augparse for the network.conf lens).
PKGS="dpkg-dev gcc pkg-config meson ninja-build python3 perl xsltproc
      libxml2-utils rpcsvc-proto libglib2.0-dev libxml2-dev libgnutls28-dev
      libtirpc-dev libpcap-dev libjson-glib-dev libmnl-dev libvirt-dev
      iptables ebtables iproute2 dnsmasq-base augeas-tools"

step "packages"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root, or install them)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends --no-upgrade $missing >/dev/null
fi

# -------------------------------------------------------------- deb-src ---
# A deb-src twin of every Debian 12 (bookworm) source the machine uses.
enable_deb_src() {
    out=/etc/apt/sources.list.d/virt-firewall-deb-src.sources
    {
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -e "$f" ] || continue
            # deb822 stanzas whose Types include deb and Suites bookworm*
            awk 'BEGIN { RS = ""; FS = "\n" }
                 /(^|\n)Types:[^\n]*deb([ \t]|$)/ && /(^|\n)Suites:[^\n]*bookworm/ {
                     out = ""
                     for (i = 1; i <= NF; i++) {
                         if ($i ~ /^Types:/) $i = "Types: deb-src"
                         if ($i ~ /^#/) continue
                         out = out $i "\n"
                     }
                     printf "%s\n", out
                 }' "$f"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -e "$f" ] || continue
            # one-line format: deb [opts] URI SUITE COMPONENTS
            awk '$1 == "deb" {
                     i = 2; opts = ""
                     if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts $i " "; i++ } opts = opts $i; i++ }
                     uri = $i; suite = $(i + 1)
                     if (suite !~ /^bookworm/) next
                     comps = ""
                     for (j = i + 2; j <= NF; j++) comps = comps " " $j
                     printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:%s\n\n", uri, suite, comps
                 }' "$f"
        done
    } >"$out.tmp"
    [ -s "$out.tmp" ] || { rm -f "$out.tmp"; die "no Debian 12 (bookworm) apt source to add deb-src for"; }
    mv "$out.tmp" "$out"
    echo "added $out"
}

step "libvirt $LIBVIRT_VERSION source"
if ! apt-cache showsrc libvirt 2>/dev/null | grep -q "^Version: $LIBVIRT_VERSION-"; then
    [ "$(id -u)" = 0 ] || die "no deb-src for libvirt $LIBVIRT_VERSION (run as root to enable it)"
    enable_deb_src
    apt-get update -qq
    apt-cache showsrc libvirt 2>/dev/null | grep -q "^Version: $LIBVIRT_VERSION-" ||
        die "apt has no libvirt $LIBVIRT_VERSION source package"
fi

# The series, as applied: a change unpacks the source anew.
series_stamp() {
    (cd "$SERIES_DIR" && cat series $(grep -v '^#' series)) | sha256sum | cut -d' ' -f1
}
SRC=$WORKDIR/libvirt-$LIBVIRT_VERSION
STAMP=$(series_stamp)
if [ ! -f "$SRC/.virt-firewall-series" ] || [ "$(cat "$SRC/.virt-firewall-series")" != "$STAMP" ]; then
    mkdir -p "$WORKDIR/dl"
    dsc=$(ls "$WORKDIR"/dl/libvirt_"$LIBVIRT_VERSION"-*.dsc 2>/dev/null | tail -n 1 || true)
    if [ -z "$dsc" ]; then
        (cd "$WORKDIR/dl" && apt-get source --download-only libvirt 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
        dsc=$(ls "$WORKDIR"/dl/libvirt_"$LIBVIRT_VERSION"-*.dsc 2>/dev/null | tail -n 1 || true)
        [ -n "$dsc" ] || die "apt-get source did not fetch libvirt $LIBVIRT_VERSION (got: $(ls "$WORKDIR/dl"))"
    fi
    echo "source package: ${dsc##*/}"
    rm -rf "$SRC" "$SRC.tmp" "$WORKDIR/build-libvirt"
    # dpkg-source applies debian/patches (format 3.0 (quilt))
    dpkg-source --no-check -x "$dsc" "$SRC.tmp" >/dev/null
    head -n 5 "$SRC.tmp/meson.build" | tr -d '\n ' |
        grep -q "^project('libvirt','c',version:'$LIBVIRT_VERSION'," ||
        die "${dsc##*/} is not libvirt $LIBVIRT_VERSION"
    for p in $(grep -v '^#' "$SERIES_DIR/series"); do
        echo "applying $p"
        patch -d "$SRC.tmp" -p1 -F0 --no-backup-if-mismatch -s <"$SERIES_DIR/$p" ||
            die "$p does not apply"
    done
    echo "$STAMP" >"$SRC.tmp/.virt-firewall-series"
    mv "$SRC.tmp" "$SRC"
fi

# --------------------------------------------------------------- engine ---
step "virt-firewall engine"
[ -f "$TOP/src/lib/virt-firewall-engine.h" ] && [ -f "$TOP/src/lib/meson.build" ] ||
    die "$TOP has no engine library (src/lib)"
# a build directory of another checkout is set up anew
if [ "$(cat "$WORKDIR/build-engine/.virt-firewall-top" 2>/dev/null)" != "$TOP" ]; then
    rm -rf "$WORKDIR/build-engine"
fi
if [ ! -d "$WORKDIR/build-engine" ]; then
    meson setup "$WORKDIR/build-engine" "$TOP" --prefix="$PREFIX" --libdir=lib \
        -Dtests=false >"$WORKDIR/engine-setup.log" 2>&1 ||
        { tail -n 20 "$WORKDIR/engine-setup.log" >&2; rm -rf "$WORKDIR/build-engine"; die "meson setup of the engine failed"; }
    echo "$TOP" >"$WORKDIR/build-engine/.virt-firewall-top"
fi
meson compile -C "$WORKDIR/build-engine" >"$WORKDIR/engine-compile.log" 2>&1 ||
    { tail -n 30 "$WORKDIR/engine-compile.log" >&2; die "building the engine failed"; }
meson install -C "$WORKDIR/build-engine" --quiet >/dev/null

# -------------------------------------------------------------- libvirt ---
step "libvirt"
B=$WORKDIR/build-libvirt
if [ ! -d "$B" ]; then
    # auto_features=disabled: every optional feature off, but those named
    # here. The rpath in c_link_args reaches libvirt.so too, which needs
    # the engine (meson's install_rpath is only set on executables).
    meson setup "$B" "$SRC" \
        --prefix="$PREFIX" --libdir=lib \
        -Dpkg_config_path="$LIBDIR/pkgconfig" \
        -Dc_link_args="-Wl,-rpath,$LIBDIR" \
        -Dauto_features=disabled \
        -Ddriver_libvirtd=enabled -Ddriver_remote=enabled -Ddriver_network=enabled \
        -Dlibpcap=enabled -Dfirewalld=enabled -Dfirewall_restore=enabled \
        -Drpath=enabled -Dtests=enabled -Dexpensive_tests=disabled \
        -Ddocs=disabled -Dnls=disabled -Dinit_script=none \
        -Dgit_werror=disabled -Dno_git=true \
        >"$WORKDIR/libvirt-setup.log" 2>&1 ||
        { tail -n 30 "$WORKDIR/libvirt-setup.log" >&2; rm -rf "$B"; die "meson setup of libvirt failed"; }
fi
T0=$(date +%s)
ninja -C "$B" >"$WORKDIR/libvirt-compile.log" 2>&1 ||
    { grep -E 'error|FAILED' "$WORKDIR/libvirt-compile.log" | head -n 30 >&2; die "building libvirt failed"; }
T1=$(date +%s)
echo "compiled in $((T1 - T0)) s"
meson install -C "$B" --no-rebuild --quiet >"$WORKDIR/libvirt-install.log" 2>&1 ||
    { tail -n 20 "$WORKDIR/libvirt-install.log" >&2; die "installing libvirt failed"; }

"$PREFIX/sbin/libvirtd" --version
ldd "$PREFIX/sbin/libvirtd" "$PREFIX/lib/libvirt.so.0" | grep -q "$LIBDIR/libvirt-firewall-engine.so" ||
    die "libvirt does not load the engine from $LIBDIR"

# ---------------------------------------------------------------- tests ---
step "libvirt's tests of the firewall code"
# virfirewallrestoretest: the engine (dry run); commandtest: the input
# file; the others: the rule-by-rule path and the rule producers, as
# before; check-augeas-libvirtd_network: the network.conf lens.
meson test -C "$B" --no-rebuild --print-errorlogs \
    virfirewallrestoretest virfirewalltest commandtest \
    nwfilterebiptablestest networkxml2firewalltest nwfilterxml2firewalltest \
    nwfilterxml2xmltest virnwfilterbindingxml2xmltest \
    check-augeas-libvirtd_network

echo
echo "libvirt $LIBVIRT_VERSION with virt-firewall's engine in $PREFIX ($(( $(date +%s) - T_START )) s)"
echo "  $PREFIX/sbin/libvirtd, $PREFIX/bin/virsh; firewall_backend in $PREFIX/etc/libvirt/network.conf"
