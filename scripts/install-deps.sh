#!/bin/sh
# Installs what virt-firewall needs to build and test on Debian 12.
set -eu
pkgs="meson ninja-build gcc pkg-config libglib2.0-dev libxml2-dev libjson-glib-dev
      libcmocka-dev libmnl-dev iptables ebtables ipset netbase iproute2 util-linux
      libvirt-daemon-config-nwfilter libvirt-dev
      libvirt-daemon libvirt-clients groff-base"
# groff-base: tests/cli/test-manpage.sh renders the man page.
# libvirt-dev: vfHostLoadLibvirt (src/host/libvirt.c). libvirt-daemon (the
# monolithic libvirtd + nwfilter driver; ships no unit or init script, so
# nothing starts) and libvirt-clients (virsh): tests/host, which runs its
# own libvirtd in a private namespace.
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
