#!/bin/sh
# The main job on the bundled example host (examples/host: network.conf,
# 100 VMs' bindings using the stock clean-traffic filter, one NAT network):
# `virt-firewall reconnect` — libvirtd's restart path — in a private
# network namespace, then again to show that nothing intact is rebuilt,
# then after someone flushed ebtables. The machine's own firewall is never
# touched.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
VF=./build/tools/virt-firewall
HOST="--config examples/host/network.conf --nwfilter-dir /usr/share/libvirt/nwfilter
      --binding-dir examples/host/nwfilter-binding --network-dir examples/host/network"

echo "== one-shot: reconnect in a throw-away namespace (--private-netns)"
$VF reconnect $HOST --private-netns --state-file "$(mktemp -u)"

NS=vf-demo-$$
STATE=$(mktemp -d)/state.json
ip netns add "$NS"
trap 'ip netns del "$NS"; rm -rf "$(dirname "$STATE")"' EXIT
echo
echo "== reconnect in namespace $NS (empty tables: everything is built)"
$VF reconnect $HOST --netns "$NS" --state-file "$STATE"
echo
echo "== reconnect again (restart with rules intact: everything is skipped)"
$VF reconnect $HOST --netns "$NS" --state-file "$STATE"
echo
echo "== someone flushes ebtables' nat table; verify sees it, reconnect repairs it"
ip netns exec "$NS" ebtables -t nat -F
$VF verify $HOST --netns "$NS" --state-file "$STATE" -q | head -3 || true
$VF reconnect $HOST --netns "$NS" --state-file "$STATE"
$VF verify $HOST --netns "$NS" --state-file "$STATE" -q && echo "verify: no drift"
