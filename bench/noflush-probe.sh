#!/bin/bash
# bench/noflush-probe.sh EBTABLES_SAVE_FILE
# Times ebtables-restore of the same rules, declared with -N (as virt-firewall
# writes them) instead of ':chain', into an empty private namespace, with and
# without --noflush: ebtables-nft 1.8.9's --noflush path is quadratic in the
# number of rules (see docs/performance.md).
set -eu
src=$1
ns=vfbench-probe-$$
tmp=$(mktemp -d /tmp/vfbench-probe.XXXXXX)
trap 'ip netns del $ns 2>/dev/null; rm -rf "$tmp"' EXIT
{ echo '*nat'; grep '^:' "$src" | grep -v '^:\(PREROUTING\|OUTPUT\|POSTROUTING\|INPUT\|FORWARD\|BROUTING\) ' \
      | sed 's/^:\([^ ]*\) .*/-N \1/'; grep '^-A' "$src"; echo COMMIT; } > "$tmp/in"
echo "$(grep -c '^-N' "$tmp/in") chains, $(grep -c '^-A' "$tmp/in") rules"
for flag in "" --noflush; do
    ip netns add $ns
    ip netns exec $ns bash -c 't0=${EPOCHREALTIME/./}; ebtables-restore '"$flag"' < '"$tmp/in"' || exit 1
        echo "ebtables-restore '"${flag:-(no --noflush)}"': $(( (${EPOCHREALTIME/./} - t0) / 1000 )) ms"'
    ip netns del $ns
done
