#!/bin/sh
# Bindings virt-firewall refuses, each on its own (issue 18, items 3, 6, 8):
#   - an interface name the tools read as a wildcard (vnet+, +) or refuse
#     (vn+x): libvirt 9.0 writes `-i vnet+` hooks that catch other VMs';
#   - a second binding of an interface, in a file other than <portdev>.xml;
#   - a filter tree beyond virt-firewall's limits: a reference fan-out, a
#     cartesian product of two lists, references nested 1001 deep (1000
#     deep is taken).
# Each fails alone (exit 1, named on stderr), the other bindings are applied
# exactly as on a clean host without the refused ones (compared with
# *-save of a namespace that never saw them; restore and exec backends),
# verify reports no drift, and the next reconnect writes nothing.
#   test-refused.sh VIRT_FIREWALL SRCDIR
set -u
VF=$1
SRC=$2
HOST=$SRC/tests/cli/host
TMP=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
NS=vf-refused-$$
cleanup() {
    for ns in "$NS-ref" "$NS-r" "$NS-x" "$NS-d"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
save_all() { # save_all NS PREFIX: *-save without comments
    for t in ebtables iptables ip6tables; do
        ip netns exec "$1" $t-save | grep -v '^#' > "$2.$t"
    done
}
same_tables() { # same_tables PREFIX-A PREFIX-B NAME
    for t in ebtables iptables ip6tables; do
        if cmp -s "$1.$t" "$2.$t"; then ok "$3: $t"
        else fail "$3: $t differs"; diff "$1.$t" "$2.$t" | head -20 | sed 's/^/#   /'; fi
    done
}

if [ "$(id -u)" != 0 ] || ! ip netns add "$NS-ref" 2>/dev/null; then
    echo "# SKIP: needs root and ip netns"; exit 77
fi
for ns in "$NS-r" "$NS-x" "$NS-d"; do ip netns add "$ns"; done

binding() { # binding FILE PORTDEV FILTER [PARAM=VALUE...]
    file=$1 dev=$2 filter=$3; shift 3
    { echo "<filterbindingstatus><filterbinding>"
      echo "<owner><name>vm-$dev</name><uuid>6f726163-6c65-4000-8000-0000000000ff</uuid></owner>"
      echo "<portdev name='$dev'/><mac address='52:54:00:00:00:ff'/>"
      echo "<filterref filter='$filter'>"
      for p in "$@"; do echo "<parameter name='${p%%=*}' value='${p#*=}'/>"; done
      echo "</filterref></filterbinding></filterbindingstatus>"; } > "$file"
}

# the filters of the bombs
mkdir -p "$TMP/nwf" "$TMP/good" "$TMP/bad"
# fan-out: each level references the next twice (2^18 references)
for i in $(seq 0 16); do
    printf "<filter name='vf-fan%d' chain='root'>\n<filterref filter='vf-fan%d'/>\n<filterref filter='vf-fan%d'/>\n</filter>\n" \
        "$i" $((i + 1)) $((i + 1)) > "$TMP/nwf/vf-fan$i.xml"
done
printf "<filter name='vf-fan17' chain='root'>\n<rule action='accept' direction='out' priority='500'><mac srcmacaddr='\$MAC'/></rule>\n</filter>\n" \
    > "$TMP/nwf/vf-fan17.xml"
# references nested: vf-deep0 -> ... -> vf-deep1001
for i in $(seq 0 1000); do
    printf "<filter name='vf-deep%d' chain='root'>\n<filterref filter='vf-deep%d'/>\n</filter>\n" \
        "$i" $((i + 1)) > "$TMP/nwf/vf-deep$i.xml"
done
printf "<filter name='vf-deep1001' chain='root'>\n<rule action='accept' direction='out' priority='500'><mac srcmacaddr='\$MAC'/></rule>\n</filter>\n" \
    > "$TMP/nwf/vf-deep1001.xml"
# a cartesian product: 400 x 400 values
printf "<filter name='vf-cart' chain='root'>\n<rule action='accept' direction='in' priority='500'><tcp srcipaddr='\$A[@1]' dstportstart='\$B[@2]'/></rule>\n</filter>\n" \
    > "$TMP/nwf/vf-cart.xml"
cart=$(seq 0 399 | awk '{printf "A=10.9.%d.%d B=%d ", int($1 / 256), $1 % 256, 1000 + $1}')

# good: the cli host's three bindings and one 1000 references deep
cp "$HOST/bindings/"*.xml "$TMP/good/"
binding "$TMP/good/vnet6.xml" vnet6 vf-deep1
cp "$TMP/good/"*.xml "$TMP/bad/"
binding "$TMP/bad/vnet+.xml" 'vnet+' clean-traffic IP=10.0.0.50
binding "$TMP/bad/plus.xml" '+' clean-traffic IP=10.0.0.51
binding "$TMP/bad/vn+x.xml" 'vn+x' clean-traffic IP=10.0.0.52
binding "$TMP/bad/vnet3.xml" vnet3 vf-fan0
# shellcheck disable=SC2086
binding "$TMP/bad/vnet4.xml" vnet4 vf-cart $cart
binding "$TMP/bad/vnet5.xml" vnet5 vf-deep0

dirs() { # dirs BINDINGDIR
    echo "--nwfilter-dir $HOST/nwfilter --nwfilter-dir $TMP/nwf --nwfilter-dir /usr/share/libvirt/nwfilter" \
         "--binding-dir $1 --network-dir $HOST/network --config $HOST/network.conf"
}

# --- the reference: a clean host with the good bindings alone
expect_rc 0 "reference: the good bindings" "$VF" reconnect $(dirs "$TMP/good") --netns "$NS-ref" \
    --state-file "$TMP/ref.json" -q
save_all "$NS-ref" "$TMP/ref"
grep -q 'libvirt-I-vnet6' "$TMP/ref.ebtables" && ok "1000 references deep are taken" \
    || fail "vnet6 (1000 references deep) not applied"

# --- the refused bindings among them, both backends
for b in restore exec; do
    ns=$NS-r; [ $b = exec ] && ns=$NS-x
    K="$(dirs "$TMP/bad") --netns $ns --state-file $TMP/$b.json --backend $b"
    expect_rc 1 "$b: reconnect with refused bindings" "$VF" reconnect $K --json
    expect_err "interface name 'vnet+' ends in '+', which iptables and ebtables read as a wildcard (every interface whose name starts with 'vnet')" \
        "$b: vnet+ refused as a wildcard"
    expect_err "interface name '+' ends in '+', which iptables and ebtables read as a wildcard (every interface)" \
        "$b: + refused as a wildcard"
    expect_err "interface name 'vn+x' holds a '+', which ebtables refuses" "$b: vn+x refused"
    expect_err "filter 'vf-fan0' expands to more than 100000 filter references" "$b: the fan-out names its limit"
    expect_err "filter 'vf-cart' expands to more than 100000 rules" "$b: the cartesian product names its limit"
    expect_err "filter 'vf-deep0': filter references nested deeper than 1000 levels" "$b: the depth names its limit"
    [ "$(grep -c '^virt-firewall reconnect: failed: interface/' "$TMP/err")" = 6 ] && ok "$b: six interfaces refused, one line each" \
        || fail "$b: $(grep -c '^virt-firewall reconnect: failed: interface/' "$TMP/err") refusal lines"
    save_all "$ns" "$TMP/$b"
    same_tables "$TMP/ref" "$TMP/$b" "$b: the others applied as on a clean host"
    expect_rc 1 "$b: verify (refused bindings, no drift)" "$VF" verify $K
    grep -q '^drift' "$TMP/out" && fail "$b: verify reports drift: $(grep '^drift' "$TMP/out" | head -3)" \
        || ok "$b: verify reports no drift"
    expect_rc 1 "$b: reconnect again" "$VF" reconnect $K --json
    [ "$(json_field rules_written)" = 0 ] && [ "$(json_field rebuilt)" = 0 ] \
        && ok "$b: the next reconnect writes nothing" \
        || fail "$b: the next reconnect wrote $(json_field rules_written) rules, rebuilt $(json_field rebuilt)"
done
# teardown of a wildcard name (what libvirt 9.0 left) deletes only rules
# of that very name
ip netns exec "$NS-r" sh -c "ebtables -t nat -N libvirt-I-vnet+ &&
    ebtables -t nat -A libvirt-I-vnet+ -j DROP &&
    ebtables -t nat -A PREROUTING -i vnet+ -j libvirt-I-vnet+ &&
    ebtables -t nat -A PREROUTING -i vnet+ -j ACCEPT"
expect_rc 0 "teardown vnet+" "$VF" teardown 'vnet+' $(dirs "$TMP/bad") --netns "$NS-r" --state-file "$TMP/restore.json"
ip netns exec "$NS-r" ebtables -t nat -D PREROUTING -i vnet+ -j ACCEPT && ok "teardown vnet+ left a foreign rule" \
    || fail "teardown vnet+ deleted a foreign rule"
save_all "$NS-r" "$TMP/torn"
same_tables "$TMP/ref" "$TMP/torn" "teardown vnet+ removed its chain and hook, nothing else"

# --- two bindings of one interface
K="$(dirs "$TMP/good") --netns $NS-r --state-file $TMP/restore.json"
"$VF" reconnect $K -q
binding "$TMP/good/vm-copy.xml" vnet1 clean-traffic IP=10.0.0.99
expect_rc 1 "reconnect with a second binding of vnet1" "$VF" reconnect $K --json
expect_err "vnet1 ($TMP/good/vm-copy.xml): $TMP/good/vnet1.xml binds this interface too and is the one applied" \
    "the second binding is named, and the one applied"
save_all "$NS-r" "$TMP/dup"
same_tables "$TMP/ref" "$TMP/dup" "vnet1.xml's binding applied, the other not"
expect_rc 1 "verify with the second binding" "$VF" verify $K
grep -q '^drift' "$TMP/out" && fail "verify reports drift: $(grep '^drift' "$TMP/out")" \
    || ok "verify reports no drift with the second binding"
expect_rc 1 "reconnect again with the second binding" "$VF" reconnect $K --json
[ "$(json_field rules_written)" = 0 ] && ok "and writes nothing" \
    || fail "the second binding: rules written $(json_field rules_written)"
expect_rc 0 "apply vnet1 (its own file)" "$VF" apply vnet1 $K -q
save_all "$NS-r" "$TMP/dupa"
# (its hook goes last in PREROUTING, as libvirt's own re-instantiation)
for t in ebtables iptables ip6tables; do
    sort "$TMP/ref.$t" > "$TMP/refs.$t"; sort "$TMP/dupa.$t" > "$TMP/dupas.$t"
done
same_tables "$TMP/refs" "$TMP/dupas" "apply vnet1 applies vnet1.xml"
# neither in vnet1.xml: none is applied, the rules stay as they were
mv "$TMP/good/vnet1.xml" "$TMP/good/vm-orig.xml"
expect_rc 1 "reconnect with two bindings of vnet1, neither in vnet1.xml" "$VF" reconnect $K
expect_err "none is applied" "neither is applied"
save_all "$NS-r" "$TMP/dupn"
same_tables "$TMP/dupa" "$TMP/dupn" "vnet1's rules left as they were"
expect_rc 1 "verify with two stray bindings" "$VF" verify $K
grep -q '^drift' "$TMP/out" && fail "verify reports drift: $(grep '^drift' "$TMP/out")" \
    || ok "verify reports no drift with two stray bindings"
# on a clean host: nothing of vnet1
expect_rc 1 "reconnect on a clean host, two stray bindings" "$VF" reconnect $(dirs "$TMP/good") \
    --netns "$NS-d" --state-file "$TMP/d.json"
save_all "$NS-d" "$TMP/dupc"
if cat "$TMP/dupc."* | grep -q vnet1; then fail "a clean host got rules for vnet1"
else ok "a clean host got nothing of vnet1"; fi
grep -q 'libvirt-I-vnet0' "$TMP/dupc.ebtables" && ok "and vnet0's rules" || fail "vnet0 missing"
rm "$TMP/good/vm-copy.xml"; mv "$TMP/good/vm-orig.xml" "$TMP/good/vnet1.xml"
expect_rc 0 "the second binding gone: reconnect" "$VF" reconnect $K -q
expect_rc 0 "verify clean" "$VF" verify $K -q

finish
