#!/bin/bash
# test-host-libvirt.sh HELPER - vfHostLoadLibvirt() against a real libvirtd
#
# Starts Debian's monolithic libvirtd, restricted to the nwfilter driver,
# inside a private network namespace + private mount namespace (tmpfs over
# /run, /etc/libvirt and /var/{lib,cache,log}/libvirt; the stock filters
# copied into the private /etc/libvirt/nwfilter), the way
# /work/shared/oracle/libvirt-oracle.sh does. Then:
#   1. defines a custom filter and creates 3 bindings on tap devices;
#   2. runs HELPER (host-libvirt-check) inside the sandbox: what
#      vfHostLoadLibvirt("nwfilter:///system") reads must equal what
#      vfHostLoadFiles() reads from the sandbox's /etc/libvirt/nwfilter and
#      /run/libvirt/nwfilter-binding (filters, bindings, programs), and
#      there are no networks (no network driver in this daemon);
#   3. stops libvirtd and checks vfHostLoadLibvirt fails with libvirt's
#      message.
# Everything is torn down on exit, also on failure or SIGTERM (meson's
# timeout). The firewall of the namespace the test is started from is never
# touched: every command that could reach a firewall runs through sb(),
# which refuses unless the target is the private namespace.
#
# Exit: 0 pass, 1 fail, 77 skip (not root, libvirtd / nwfilter driver /
# stock filters / tools missing, namespaces not available).
set -euo pipefail

HELPER=${1:?usage: $0 HELPER [VIRT_FIREWALL]}
HELPER=$(readlink -f "$HELPER")
VF=${2:-}
[ -z "$VF" ] || VF=$(readlink -f "$VF")
URI='nwfilter:///system'
LIBVIRTD=/usr/sbin/libvirtd
STOCK=/usr/share/libvirt/nwfilter
NETNS=vfhost-$$
HOLDER_MARK=vf-host-libvirt-holder-$NETNS
SB_RUN=/run/vf-host-libvirt            # inside the sandbox (private /run)
FILTER=vf-host-test

log()  { printf '# %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
skip() { log "SKIP: $*"; exit 77; }

# ------------------------------------------------------------ skip checks ---
[ "$(id -u)" = 0 ] || skip "needs root (network + mount namespaces, libvirtd)"
[ -x "$LIBVIRTD" ] || skip "$LIBVIRTD not installed (Debian: apt-get install --no-install-recommends libvirt-daemon)"
DRIVER=""
for f in /usr/lib/*/libvirt/connection-driver/libvirt_driver_nwfilter.so \
         /usr/lib64/libvirt/connection-driver/libvirt_driver_nwfilter.so; do
    if [ -e "$f" ]; then DRIVER=$f; break; fi
done
[ -n "$DRIVER" ] || skip "libvirt's nwfilter driver module is not installed (libvirt-daemon)"
# the network driver beside it, when installed: --connect network:///system
NETDRIVER=${DRIVER%/*}/libvirt_driver_network.so
[ -e "$NETDRIVER" ] || NETDRIVER=""
compgen -G "$STOCK/*.xml" >/dev/null || skip "no stock filters in $STOCK (libvirt-daemon-config-nwfilter)"
for t in virsh ip unshare nsenter ebtables iptables ip6tables; do
    command -v "$t" >/dev/null || skip "$t not installed"
done
[ -x "$HELPER" ] || fail "helper $HELPER missing"

# -------------------------------------------------------------- sandbox ---
WORK=$(mktemp -d /tmp/vf-host-libvirt.XXXXXX)
HOLDER_PID=""
DAEMON_PID=""
LAUNCH_PID=""

holder_ok() {   # $1 pid: is it our holder process?
    local p=${1:-}
    [ -n "$p" ] && [ -r "/proc/$p/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "^$HOLDER_MARK " || return 1
}

daemon_ok() {   # $1 pid: is it a libvirtd?
    local p=${1:-}
    [ -n "$p" ] && [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$LIBVIRTD" ]
}

# Run a command inside the sandbox; refuses unless the holder is ours and
# lives in the private netns (not ours, not PID 1's).
sb() {
    holder_ok "$HOLDER_PID" || fail "sandbox holder '$HOLDER_PID' is not alive/ours"
    if [[ /proc/$HOLDER_PID/ns/net -ef /proc/$$/ns/net ]] ||
       [[ /proc/$HOLDER_PID/ns/net -ef /proc/1/ns/net ]] ||
       ! [[ /proc/$HOLDER_PID/ns/net -ef /run/netns/$NETNS ]]; then
        fail "SAFETY: holder $HOLDER_PID is not in netns $NETNS - refusing"
    fi
    nsenter -t "$HOLDER_PID" -n -m -- "$@"
}

vsh() { sb virsh -q -c "$URI" "$@"; }
sbpath() { printf '/proc/%s/root%s' "$HOLDER_PID" "$1"; }

host_fw_snapshot() {   # read-only view of the starting namespace's firewall
    { if command -v nft >/dev/null; then nft -s list ruleset 2>&1; fi
      cat /proc/net/ip_tables_names /proc/net/ip6_tables_names 2>/dev/null; } | sed '/^# /d'
}

stop_daemon() {
    local p=${DAEMON_PID:-}
    if daemon_ok "$p"; then
        kill -TERM "$p" 2>/dev/null || true
        for _ in $(seq 100); do daemon_ok "$p" || break; sleep 0.1; done
        if daemon_ok "$p"; then log "libvirtd $p did not exit, SIGKILL"; kill -KILL "$p" 2>/dev/null || true; sleep 0.2; fi
    fi
    if [ -n "$LAUNCH_PID" ]; then wait "$LAUNCH_PID" 2>/dev/null || true; LAUNCH_PID=""; fi
    DAEMON_PID=""
}

teardown() {
    local p exe
    stop_daemon
    if holder_ok "$HOLDER_PID"; then
        kill -TERM "$HOLDER_PID" 2>/dev/null || true
        for _ in $(seq 50); do holder_ok "$HOLDER_PID" || break; sleep 0.1; done
        if holder_ok "$HOLDER_PID"; then kill -KILL "$HOLDER_PID" 2>/dev/null || true; fi
    fi
    HOLDER_PID=""
    if [ -e "/run/netns/$NETNS" ]; then
        # leftovers in the netns: only processes this test can have started
        for p in $(ip netns pids "$NETNS" 2>/dev/null); do
            exe=$(readlink "/proc/$p/exe" 2>/dev/null || true)
            case "$exe" in
                "$LIBVIRTD"|/usr/bin/virsh|"$HELPER"|/usr/sbin/xtables-nft-multi|/usr/sbin/xtables-legacy-multi|/usr/sbin/ebtables*|/usr/sbin/nft)
                    log "killing leftover pid $p ($exe)"; kill -KILL "$p" 2>/dev/null || true ;;
                *)
                    if holder_ok "$p"; then kill -KILL "$p" 2>/dev/null || true
                    else log "netns $NETNS holds foreign pid $p ($exe); not touching it"; fi ;;
            esac
        done
        sleep 0.2
        ip netns del "$NETNS" 2>/dev/null || ip netns del "$NETNS" || log "cannot delete netns $NETNS"
    fi
}

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "$HOLDER_PID" ] &&
       [ -s "$(sbpath /run/libvirt/libvirtd.log)" ]; then
        log "libvirtd.log (last 30 lines):"
        tail -n 30 "$(sbpath /run/libvirt/libvirtd.log)" | sed 's/^/#   /' >&2 || true
    fi
    teardown || true
    if [ -n "${HOST_FW_BEFORE+x}" ] && [ "$(host_fw_snapshot)" != "$HOST_FW_BEFORE" ]; then
        # not a failure of this test by itself: something else on the
        # machine may have changed its firewall meanwhile
        log "WARNING: the firewall of the starting namespace changed during the test"
    fi
    rm -rf "$WORK"
    exit "$rc"
}

# A run killed with SIGKILL leaves its netns behind: delete those of
# earlier runs whose test process is gone and which hold no process.
for ns in /run/netns/vfhost-*; do
    [ -e "$ns" ] || continue
    ns=${ns##*/}
    [[ $ns =~ ^vfhost-([0-9]+)$ ]] || continue
    kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
    [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || continue
    log "deleting netns $ns left by an earlier run"
    ip netns del "$ns" || true
done

HOST_FW_BEFORE=$(host_fw_snapshot)
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$NETNS" 2>"$WORK/netns.err" ||
    skip "cannot create a network namespace: $(cat "$WORK/netns.err")"

# shellcheck disable=SC2016  # expanded inside the sandbox shell
hs='set -e
mount -t tmpfs -o mode=0755 vf-host-run /run
mkdir -p /run/libvirt /run/lock '"$SB_RUN"'/drivers
for d in /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
  if [ -d "$d" ]; then mount -t tmpfs -o mode=0755 vf-host "$d"; fi
done
mount -t tmpfs -o mode=0755 vf-host-etc /etc/libvirt
mkdir -p /etc/libvirt/nwfilter
cp '"$STOCK"'/*.xml /etc/libvirt/nwfilter/
ln -s '"$DRIVER"' '"$SB_RUN"'/drivers/
'"${NETDRIVER:+ln -s $NETDRIVER $SB_RUN/drivers/}"'
ip link set lo up
touch '"$WORK"'/holder.ready
exec -a '"$HOLDER_MARK"' sleep infinity'
ip netns exec "$NETNS" unshare --mount --propagation private bash -c "$hs" \
    </dev/null >"$WORK/holder.log" 2>&1 &
HOLDER_PID=$!
for _ in $(seq 200); do [ -e "$WORK/holder.ready" ] && holder_ok "$HOLDER_PID" && break; sleep 0.05; done
if ! holder_ok "$HOLDER_PID"; then
    cat "$WORK/holder.log" >&2
    skip "cannot set up the private mount namespace"
fi
sb true   # the safety checks
sb test -x "$HELPER" || fail "$HELPER is not visible inside the sandbox (build directory under /run or /etc/libvirt?)"
log "sandbox: netns $NETNS, holder $HOLDER_PID"

# tap devices like a guest's; dummy ones where /dev/net/tun is missing
# (libvirt instantiates the rules on either)
if ! sb ip tuntap add dev vnet0 mode tap 2>"$WORK/dev.err"; then
    sb ip link add vnet0 type dummy 2>>"$WORK/dev.err" ||
        skip "cannot create tap or dummy devices: $(tr '\n' ' ' <"$WORK/dev.err")"
    log "no tap devices ($(head -n 1 "$WORK/dev.err")), using dummy devices"
    for i in 1 2; do sb ip link add "vnet$i" type dummy; done
else
    for i in 1 2; do sb ip tuntap add dev "vnet$i" mode tap; done
fi

# --------------------------------------------------------------- daemon ---
echo 'log_outputs="3:file:/run/libvirt/libvirtd.log"' >"$WORK/libvirtd.conf"
sb env LIBVIRT_DRIVER_DIR="$SB_RUN/drivers" "$LIBVIRTD" -f "$WORK/libvirtd.conf" \
    -p "$SB_RUN/libvirtd.pid" </dev/null >"$WORK/daemon.out" 2>&1 &
LAUNCH_PID=$!
for _ in $(seq 400); do
    if [ -s "$(sbpath "$SB_RUN/libvirtd.pid")" ]; then
        DAEMON_PID=$(cat "$(sbpath "$SB_RUN/libvirtd.pid")")
        daemon_ok "$DAEMON_PID" && break
    fi
    kill -0 "$LAUNCH_PID" 2>/dev/null || { cat "$WORK/daemon.out" >&2; fail "libvirtd exited at start"; }
    sleep 0.05
done
daemon_ok "$DAEMON_PID" || { cat "$WORK/daemon.out" >&2; fail "libvirtd did not write its pid file"; }
for i in $(seq 600); do
    vsh nwfilter-binding-list >/dev/null 2>"$WORK/wait.err" && break
    daemon_ok "$DAEMON_PID" || { cat "$WORK/daemon.out" "$WORK/wait.err" >&2; fail "libvirtd died at start"; }
    [ "$i" -lt 600 ] || { cat "$WORK/wait.err" >&2; fail "libvirtd did not answer within 60 s"; }
    sleep 0.1
done
log "libvirtd $DAEMON_PID answering ($(sb "$LIBVIRTD" --version))"

# ----------------------------------------------------- filter, bindings ---
cat >"$WORK/filter.xml" <<EOF
<filter name='$FILTER' chain='root'>
  <filterref filter='clean-traffic'/>
  <rule action='accept' direction='in' priority='500'>
    <tcp dstportstart='\$PORTS' srcipaddr='10.0.0.0' srcipmask='8'/>
  </rule>
  <rule action='accept' direction='out' priority='510'>
    <icmp/>
  </rule>
  <rule action='accept' direction='inout' priority='520'>
    <ipv6 srcipaddr='fd00::' srcipmask='64'/>
  </rule>
  <rule action='drop' direction='inout' priority='1000'>
    <all/>
  </rule>
</filter>
EOF
vsh nwfilter-define "$WORK/filter.xml" >/dev/null

binding() {   # binding PORTDEV MAC FILTER [NAME=VALUE ...] -> XML file
    local dev=$1 mac=$2 filter=$3 p
    shift 3
    {
        echo "<filterbinding>"
        echo "  <owner><name>vm-$dev</name><uuid>$(cat /proc/sys/kernel/random/uuid)</uuid></owner>"
        echo "  <portdev name='$dev'/>"
        echo "  <mac address='$mac'/>"
        echo "  <filterref filter='$filter'>"
        for p in "$@"; do echo "    <parameter name='${p%%=*}' value='${p#*=}'/>"; done
        echo "  </filterref>"
        echo "</filterbinding>"
    } >"$WORK/binding-$dev.xml"
    # the expected binding: libvirt stores MAC as a parameter of its own
    printf '%s ' "$dev" "$mac" "$filter" "$@" "MAC=$mac" | sed 's/ $//'
}
# created out of portdev order; libvirt lists them in hash order anyway
B2=$(binding vnet2 52:54:00:00:00:12 no-mac-spoofing)
B0=$(binding vnet0 52:54:00:00:00:10 "$FILTER" IP=10.0.0.10 IP=10.0.0.11 PORTS=22 PORTS=80)
B1=$(binding vnet1 52:54:00:00:00:11 clean-traffic IP=10.0.0.20)
for dev in vnet2 vnet0 vnet1; do
    vsh nwfilter-binding-create "$WORK/binding-$dev.xml" >/dev/null
done
n=$(vsh nwfilter-binding-list | grep -c vnet || true)
[ "$n" = 3 ] || fail "virsh nwfilter-binding-list shows $n bindings, expected 3"
nfilters=$(vsh nwfilter-list | grep -c . || true)
nstock=$(compgen -G "$STOCK/*.xml" | wc -l)
log "libvirt holds $nfilters filters ($nstock stock + $FILTER) and 3 bindings"

# ---------------------------------------------------------------- check ---
sb "$HELPER" check "$URI" \
    --filter-dir /etc/libvirt/nwfilter --binding-dir /run/libvirt/nwfilter-binding \
    --filters $((nstock + 1)) --networks 0 \
    -b "$B0" -b "$B1" -b "$B2" | sed 's/^/# /' >&2 ||
    fail "host-libvirt-check: vfHostLoadLibvirt and vfHostLoadFiles disagree"
# (pipefail: the helper's status counts)

# the CLI's --connect reads the same host as the files libvirt keeps
if [ -n "$VF" ]; then
    # (what libvirtd logged of its own start-up, e.g. no D-Bus here, is not ours)
    LOG_BEFORE=$(wc -l < "$(sbpath /run/libvirt/libvirtd.log)")
    # nwfilter:/// alone reads no network: the networks unit fails, saying
    # why, the bindings are still dumped (exit 1); never "0 failed"
    rc=0
    sb "$VF" dump --connect "$URI" --config /dev/null > "$WORK/dump-connect" 2>"$WORK/dump-connect.err" || rc=$?
    [ "$rc" = 1 ] || { cat "$WORK/dump-connect.err" >&2; fail "dump --connect $URI: exit $rc, wanted 1"; }
    grep -q "failed: networks: $URI reads only the nwfilter driver: the networks were not read" \
        "$WORK/dump-connect.err" || { cat "$WORK/dump-connect.err" >&2; fail "no failed networks unit"; }
    log "dump --connect $URI: the networks unit fails with its reason"
    # no network here: an empty directory (a path that does not exist is refused)
    sb mkdir -p "$SB_RUN/no-networks"
    sb "$VF" dump --config /dev/null --nwfilter-dir /etc/libvirt/nwfilter \
        --binding-dir /run/libvirt/nwfilter-binding --network-dir "$SB_RUN/no-networks" \
        > "$WORK/dump-files" 2>"$WORK/dump-files.err" ||
        { cat "$WORK/dump-files.err" >&2; fail "virt-firewall dump from files failed"; }
    [ -s "$WORK/dump-connect" ] || fail "virt-firewall dump --connect printed nothing"
    cmp -s "$WORK/dump-connect" "$WORK/dump-files" ||
        { diff "$WORK/dump-files" "$WORK/dump-connect" | head -20 >&2; fail "dump --connect differs from dump of the files"; }
    log "virt-firewall dump --connect equals the dump of libvirt's files ($(grep -c . "$WORK/dump-connect") lines)"
    rc=0
    sb "$VF" reconnect --connect "$URI" --config /dev/null --private-netns \
        --state-file "$SB_RUN/vf-state.json" --json 2>"$WORK/reconnect.err" >"$WORK/reconnect.json" || rc=$?
    [ "$rc" = 1 ] || { cat "$WORK/reconnect.err" >&2; fail "reconnect --connect $URI: exit $rc, wanted 1"; }
    # the --json summary on stdout (docs/json.md)
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
n = [u for u in d["units"] if u["name"] == "networks"]
sys.exit(0 if d["counts"]["rebuilt"] == 3 and d["counts"]["failed"] == 1 and n
         and n[0]["status"] == "failed"
         and n[0]["reason"].startswith("nwfilter:///system reads only") else 1)' "$WORK/reconnect.json" ||
        { cat "$WORK/reconnect.err" "$WORK/reconnect.json" >&2; fail "reconnect --connect: not 3 rebuilt and the networks failed"; }
    log "virt-firewall reconnect --connect rebuilt the 3 interfaces, the networks failed (not read)"

    # LIBVIRT_DEFAULT_URI, for --connect "" (libvirt's default URI)
    rc=0
    sb env LIBVIRT_DEFAULT_URI="$URI" "$VF" dump --connect "" --config /dev/null \
        > "$WORK/dump-default" 2>"$WORK/dump-default.err" || rc=$?
    [ "$rc" = 1 ] && cmp -s "$WORK/dump-default" "$WORK/dump-connect" ||
        { cat "$WORK/dump-default.err" >&2; fail "--connect \"\" with LIBVIRT_DEFAULT_URI=$URI: exit $rc or another dump"; }
    log "--connect \"\" reads LIBVIRT_DEFAULT_URI"

    if [ -n "$NETDRIVER" ]; then
        # one URI per driver: an active NAT network (no DHCP, no DNS: no
        # dnsmasq) read from network:///system beside the bindings
        printf '%s\n' "<network><name>vfnat</name><forward mode='nat'/>" \
            "<bridge name='vfbr0'/><dns enable='no'/>" \
            "<ip address='192.168.77.1' netmask='255.255.255.0'/></network>" > "$WORK/net.xml"
        sb virsh -q -c network:///system net-create "$WORK/net.xml" >/dev/null ||
            fail "virsh net-create failed"
        rc=0
        sb "$VF" reconnect --connect "$URI" --connect network:///system --config /dev/null \
            --private-netns --json 2>"$WORK/two.err" >"$WORK/two.json" || rc=$?
        [ "$rc" = 0 ] && python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["counts"]
sys.exit(0 if c["rebuilt"] == 4 and c["failed"] == 0 else 1)' "$WORK/two.json" ||
            { cat "$WORK/two.err" "$WORK/two.json" >&2; fail "--connect $URI --connect network:///system: exit $rc, not 4 rebuilt"; }
        sb "$VF" dump --connect "$URI" --connect network:///system --config /dev/null \
            > "$WORK/dump-two" 2>"$WORK/dump-two.err" ||
            { cat "$WORK/dump-two.err" >&2; fail "dump with two URIs failed"; }
        grep -q 'vfbr0' "$WORK/dump-two" || fail "dump with two URIs: no rule of the network"
        log "--connect $URI --connect network:///system: 3 interfaces and the network"
        # two URIs for one driver are refused
        rc=0
        sb "$VF" dump --connect "$URI" --connect "$URI" --config /dev/null \
            >/dev/null 2>"$WORK/same.err" || rc=$?
        [ "$rc" = 2 ] && grep -q 'both read the filters and bindings' "$WORK/same.err" ||
            { cat "$WORK/same.err" >&2; fail "two nwfilter URIs: exit $rc"; }
        log "two URIs for the nwfilter driver: refused (exit 2)"
    fi

    # every run above asked each connection only for its driver's objects:
    # not one error line in libvirtd's log (virConnectListAllNetworks on
    # nwfilter:/// left one per run)
    if tail -n +$((LOG_BEFORE + 1)) "$(sbpath /run/libvirt/libvirtd.log)" |
       grep ' error : ' >"$WORK/log-errors"; then
        sed 's/^/#   /' "$WORK/log-errors" >&2
        fail "virt-firewall left error lines in libvirtd's log"
    fi
    log "no error line in libvirtd's log"
fi

stop_daemon
sb "$HELPER" fail "$URI" "Failed to connect socket" | sed 's/^/# /' >&2 ||
    fail "vfHostLoadLibvirt without a daemon did not fail with libvirt's message"

log "PASS"
