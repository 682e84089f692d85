#!/bin/sh
# show VM|UUID|IFACE: a VM's filter tree and parameters, its kernel rules
# with the counters *-save -c prints, each rule traced to the filter
# file:line that holds its <rule>, drift marked as verify marks it.
#   test-show.sh VIRT_FIREWALL SRCDIR
# VIR_TEST_REGENERATE_OUTPUT=1 rewrites the golden files (and still fails).
# Needs root and ip netns (exit 77 otherwise): everything runs in a
# namespace of its own.
set -u
VF=$1
SRC=$2
HOST=$SRC/tests/cli/host
GOLDEN=$SRC/tests/restoredata/cli
TMP=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
NS=vf-show-$$
cleanup() { ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

golden() { # golden NAME: stdout, the source and temporary paths replaced, equals NAME
    sed -e "s|$TMP|@TMP@|g" -e "s|$SRC|@SRC@|g" "$TMP/out" >"$TMP/cmp"
    if [ -n "${VIR_TEST_REGENERATE_OUTPUT:-}" ]; then
        cp "$TMP/cmp" "$GOLDEN/$1"; fail "$1 regenerated"
    elif cmp -s "$TMP/cmp" "$GOLDEN/$1"; then ok "$1 matches golden"
    else fail "$1 differs from golden"; diff "$GOLDEN/$1" "$TMP/cmp" | head -30 | sed 's/^/#   /'; fi
}
same() { # same FILE NAME: stdout equals FILE
    if cmp -s "$1" "$TMP/out"; then ok "$2"; else fail "$2"; diff "$1" "$TMP/out" | show; fi
}

if [ "$(id -u)" != 0 ] || ! ip netns add "$NS" 2>/dev/null; then
    echo "# SKIP: needs root and ip netns"; exit 77
fi
cp -r "$HOST/bindings" "$TMP/bindings"
D="--nwfilter-dir $HOST/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir $TMP/bindings --network-dir $HOST/network --config $HOST/network.conf --netns $NS --state-file $TMP/state.json"
ebt() { ip netns exec "$NS" ebtables --concurrent "$@"; }
nsx() { ip netns exec "$NS" "$@"; }

# --- a host applied as libvirt applies it (one command per rule)
expect_rc 0 "apply with --backend exec" "$VF" reconnect $D --backend exec -q

# --- by VM name (vm2: a filter with ebtables, iptables and ip6tables rules)
expect_rc 0 "show vm2" "$VF" show vm2 $D
golden show-vm2.out
cp "$TMP/out" "$TMP/byname"
expect_rc 0 "show by UUID" "$VF" show 6F726163-6c65-4000-8000-000000000002 $D
same "$TMP/byname" "by UUID (any case): as by name"
expect_rc 0 "show by interface" "$VF" show vnet2 $D
same "$TMP/byname" "by interface: as by name"
expect_rc 0 "show interface/vnet2" "$VF" show interface/vnet2 $D
same "$TMP/byname" "by interface/IFACE: as by name"
expect_rc 0 "show vm2 --json" "$VF" show vm2 $D --json
golden show-vm2.json
grep -q '"version" : 1,' "$TMP/out" && grep -q '"command" : "show"' "$TMP/out" \
    && ok "JSON: version 1, command show" || fail "JSON: no version/command"
grep -q '"packets" : 0,' "$TMP/out" && ! grep -q '"packets" : "' "$TMP/out" \
    && ok "JSON: counters are numbers" || fail "JSON: counters not numbers"

# --- provenance: every "from FILE:LINE" names the line of a <rule>
expect_rc 0 "show vm0 (clean-traffic)" "$VF" show vm0 $D
grep -q '^interface vnet0: VM vm0' "$TMP/out" && ok "vm0 is vnet0" || fail "vm0 not shown"
n=0 bad=0
for fl in $(sed -n 's/^ *from  \([^ ]*\) (filter.*/\1/p' "$TMP/out"); do
    n=$((n + 1)); f=${fl%:*} l=${fl##*:}
    sed -n "${l}p" "$f" | grep -q '<rule' || { bad=$((bad + 1)); echo "# $fl: $(sed -n "${l}p" "$f")"; }
done
[ "$n" -ge 10 ] && [ "$bad" = 0 ] && ok "$n origins, each the line of a <rule>" \
    || fail "origins: $n found, $bad not a <rule> line"
grep -A1 -F -- '-A I-vnet0-mac -s 52:54:00:00:00:00 -j RETURN' "$TMP/out" | grep -qF \
    "from  /usr/share/libvirt/nwfilter/no-mac-spoofing.xml:3 (filter no-mac-spoofing, priority 500)" \
    && ok "the MAC rule comes from no-mac-spoofing.xml:3" || { fail "MAC rule origin"; show "$TMP/out"; }
grep -A1 -F -- '-A FI-vnet2 -j DROP' "$TMP/byname" | grep -qF "vf-cli-l3.xml:6 (filter vf-cli-l3, priority 600)" \
    && ok "the ip6tables rule comes from vf-cli-l3.xml:6" || fail "ip6tables rule origin"

# --- counters: frames from the VM's side of vnet0 hit PREROUTING -i vnet0
# (the guest end's IPv6 start-up: router solicitation, neighbour discovery)
nsx ip link add br0 type bridge && nsx ip link add vnet0 type veth peer name guest &&
nsx ip link set vnet0 master br0 && nsx ip link set guest address 52:54:00:00:00:00 &&
nsx ip link set br0 up && nsx ip link set vnet0 up && nsx ip link set guest up || fail "veth set-up"
HOOK='-A PREROUTING -i vnet0 -j libvirt-I-vnet0'
hook() { nsx ebtables-save -c | sed -n "s/^\[\([0-9]*\):\([0-9]*\)\] $HOOK\$/\1 \2/p"; }
for i in $(seq 40); do   # until a frame counted (a wait, not a measure)
    [ "$(hook)" != "0 0" ] && break
    sleep 0.25
done
nsx ip link set guest down   # no frame after this: the counters stay
kernel=$(hook)
expect_rc 0 "show vnet0 after traffic" "$VF" show vnet0 $D
shown=$(sed -n "s/^    ok  *\([0-9]*\)  *\([0-9]*\)  $HOOK\$/\1 \2/p" "$TMP/out")
[ -n "$kernel" ] && [ "${kernel% *}" -gt 0 ] && [ "$shown" = "$kernel" ] \
    && ok "PREROUTING -i vnet0: $shown (packets bytes) as ebtables-save -c says" \
    || { fail "counters: shown '$shown', ebtables-save -c '$kernel'"; show "$TMP/out"; }
expect_rc 0 "show vnet0 --json after traffic" "$VF" show vnet0 $D --json
grep -A2 -F -- "\"rule\" : \"$HOOK\"" "$TMP/out" | grep -q "\"packets\" : ${kernel% *}," \
    && ok "JSON: the same packet count" || { fail "JSON counters"; show "$TMP/out"; }

# --- drift by hand: one rule deleted, one foreign rule added
ebt -t nat -D I-vnet0-mac -s 52:54:00:00:00:00 -j RETURN
ebt -t nat -A I-vnet0-mac -j ACCEPT
expect_rc 3 "show vm0: drift" "$VF" show vm0 $D
has "  status: drift: 1 missing, 0 changed, 1 extra; 28 rules ok" "1 missing, 1 extra counted"
grep -A1 '^    missing  *-  *-  -A I-vnet0-mac -s 52:54:00:00:00:00 -j RETURN$' "$TMP/out" | \
    grep -qF "no-mac-spoofing.xml:3" && ok "the deleted rule: missing, with its origin" \
    || { fail "missing rule"; show "$TMP/out"; }
grep -q '^    extra  *0  *0  -A I-vnet0-mac -j ACCEPT$' "$TMP/out" \
    && ok "the foreign rule: extra, with its counters" || { fail "extra rule"; show "$TMP/out"; }
expect_rc 3 "verify agrees" "$VF" verify vnet0 $D
expect_rc 3 "show vm0 --json: drift" "$VF" show vm0 $D --json
grep -q '"status" : "drift"' "$TMP/out" && grep -q '"missing" : 1,' "$TMP/out" \
    && ok "JSON: drift, 1 missing" || { fail "JSON drift"; show "$TMP/out"; }

# --- a rule replaced by another at its place: changed, the desired one shown
ebt -t nat -D I-vnet2-mac -s 52:54:00:00:00:02 -j RETURN
ebt -t nat -I I-vnet2-mac 1 -s 52:54:00:00:00:99 -j RETURN
expect_rc 3 "show vnet2: changed" "$VF" show vnet2 $D
has "  status: drift: 0 missing, 1 changed, 0 extra; 17 rules ok" "1 changed counted"
grep -A2 '^    changed  *0  *0  -A I-vnet2-mac -s 52:54:00:00:00:99 -j RETURN$' "$TMP/out" | tr -s ' ' | \
    grep -qxF " desired: -A I-vnet2-mac -s 52:54:00:00:00:02 -j RETURN" \
    && ok "the kernel's rule: changed, the desired one beside it" || { fail "changed rule"; show "$TMP/out"; }

# --- unknown names; a private namespace holds none of the rules
expect_rc 2 "unknown VM" "$VF" show no-such-vm $D
[ "$(wc -l <"$TMP/err")" = 1 ] && expect_err "'no-such-vm': no filter binding names" "one line, the reason" \
    || { fail "not one line"; show "$TMP/err"; }
expect_rc 2 "interface/vm0 is no interface" "$VF" show interface/vm0 $D
expect_rc 2 "no argument" "$VF" show $D
# a binding file that cannot be loaded: its interface fails (exit 1, the
# reason); it is not another VM's failure
echo '<filterbindingstatus><filterbinding>' >"$TMP/bindings/vnet5.xml"
expect_rc 1 "show vnet5, its binding file broken" "$VF" show vnet5 $D
expect_err "interface/vnet5: " "the reason names the interface"
expect_rc 0 "show vm1 beside a broken binding of another interface" "$VF" show vm1 $D
[ -s "$TMP/err" ] && { fail "vm1: a message on stderr"; show "$TMP/err"; } || ok "vm1: no other unit's failure"
rm "$TMP/bindings/vnet5.xml"
P="--nwfilter-dir $HOST/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir $TMP/bindings --network-dir $HOST/network --config $HOST/network.conf --private-netns"
expect_rc 3 "show --private-netns: every rule missing" "$VF" show vm2 $P
has "  status: drift: 26 missing, 0 changed, 0 extra; 0 rules ok" "an empty namespace: 8 chains and 18 rules missing"
finish
