#!/bin/sh
# Bad input corpus: each cases/NAME holds a host (network.conf, nwfilter/,
# bindings/, network/) with one broken file. `virt-firewall reconnect` must
# refuse it with the message in cases/NAME/expected (exit code, then stderr,
# the case directory written as CASE) and must apply nothing of the broken
# unit: a malformed file refuses the whole run (exit 2, tables untouched); a
# filter that cannot be instantiated (loop, missing reference) fails its
# interface only (exit 1), as libvirt does, and the other one is applied.
#   test-badinput.sh VIRT_FIREWALL SRCDIR
# VIR_TEST_REGENERATE_OUTPUT=1 rewrites the expected files (and fails).
set -u
VF=$1
CASES=$2/tests/badinput/cases
TMP=$(mktemp -d)
NS=vf-bad-$$
passes=0 fails=0
cleanup() { ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
ok() { passes=$((passes + 1)); echo "ok - $1"; }
fail() { fails=$((fails + 1)); echo "not ok - $1"; }

kernel=0
if [ "$(id -u)" = 0 ] && ip netns add "$NS" 2>/dev/null; then kernel=1; else
    echo "# not root or no ip netns: checking messages only (dry-run)"; fi

for dir in "$CASES"/*/; do
    name=$(basename "$dir")
    c=${dir%/}
    if [ "$kernel" = 1 ]; then
        for t in ebtables iptables ip6tables; do ip netns exec "$NS" "$t"-save >/dev/null; done
        target="--netns $NS --state-file $TMP/state-$name.json"
    else
        target="--dry-run"
    fi
    # git keeps no empty folders: a case without own filters has none
    own=""
    [ -d "$c/nwfilter" ] && own="--nwfilter-dir $c/nwfilter"
    "$VF" reconnect --config "$c/network.conf" $own \
        --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir "$c/bindings" \
        --network-dir "$c/network" $target -q >/dev/null 2>"$TMP/err"
    rc=$?
    { echo "exit $rc"; sed "s|$c|CASE|g" "$TMP/err"; } > "$TMP/got"
    if [ -n "${VIR_TEST_REGENERATE_OUTPUT:-}" ]; then
        cp "$TMP/got" "$c/expected"; fail "$name: regenerated"; continue
    fi
    if cmp -s "$TMP/got" "$c/expected"; then ok "$name: $(sed -n 2p "$TMP/got" | cut -c1-100)"
    else fail "$name: output differs"; diff "$c/expected" "$TMP/got" | sed 's/^/#   /'; fi
    [ "$rc" = 1 ] || [ "$rc" = 2 ] && ok "$name: refused (exit $rc)" || fail "$name: exit $rc"

    [ "$kernel" = 1 ] || continue
    eb=$(ip netns exec "$NS" ebtables-save | grep -c -- '-A ')
    ip=$(ip netns exec "$NS" iptables-save | grep -c -- '-A ')
    if [ "$rc" = 2 ]; then
        [ "$eb$ip" = 00 ] && ok "$name: nothing applied" || fail "$name: rules applied (eb $eb, ip $ip)"
    else
        if ip netns exec "$NS" ebtables-save | grep -q vnet0; then fail "$name: the broken interface vnet0 got rules"
        else ok "$name: nothing of vnet0 applied"; fi
        ip netns exec "$NS" ebtables-save | grep -q 'libvirt-I-vnet1' && ok "$name: vnet1 applied" \
            || fail "$name: vnet1 missing"
    fi
    ip netns del "$NS"; ip netns add "$NS"
done
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
