#!/bin/sh
# Hostile names and foreign objects (issue 18), against the real tools in
# network namespaces of its own:
#  - interfaces named v"a, v\b, v'c: reconnect with the restore backend
#    leaves what the exec backend (libvirt's way) leaves, no temporary
#    J-/P- chain behind (libvirt's rename parses the simulated "ebtables
#    -L": chain names raw, as the tool prints them);
#  - foreign chains named with a '"' in every table, with a blank or a line
#    break (ebtables), foreign comments whose line breaks forge a chain
#    declaration, a rule, a table: every command exits 0, every foreign
#    line stays, the forged network chain does not stop the network;
#  - comments with '.', ':', '/', '\'', '"', '\', non-ASCII, "-j", and a
#    host name for an address: verify right after reconnect finds no drift,
#    and the next reconnect rebuilds nothing.
#   test-hostile.sh VIRT_FIREWALL SRCDIR
set -u
VF=$1
SRC=$2
TMP=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
NS=vf-hostile-$$
cleanup() {
    for ns in "$NS-r" "$NS-e"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

# printf, not echo: dash's echo reads the backslash in v\b
if [ "$(id -u)" != 0 ] || ! ip netns add "$NS-r" 2>/dev/null; then
    echo "1..0 # SKIP needs root and ip netns"
    exit 77
fi
ip netns add "$NS-e"

# --- the host: clean-traffic and comments full of quotes, three hostile
# interface names, one plain one, one whose IP is a host name
H=$TMP/host
mkdir -p "$H/nwfilter" "$H/bindings"
cp -r "$SRC/tests/cli/host/network" "$SRC/tests/cli/host/network.conf" "$H/"
cat > "$H/nwfilter/vf-hostile.xml" <<'EOF'
<filter name='vf-hostile' chain='root'>
  <filterref filter='clean-traffic'/>
  <rule action='accept' direction='in' priority='500'><tcp dstportstart='1' comment='a.b'/></rule>
  <rule action='accept' direction='in' priority='501'><tcp dstportstart='2' comment='c:d'/></rule>
  <rule action='accept' direction='in' priority='502'><tcp dstportstart='3' comment='e/f'/></rule>
  <rule action='accept' direction='in' priority='503'><tcp dstportstart='4' comment="g'h"/></rule>
  <rule action='accept' direction='in' priority='504'><tcp dstportstart='5' comment='i&quot;j'/></rule>
  <rule action='accept' direction='in' priority='505'><tcp dstportstart='6' comment='k\l'/></rule>
  <rule action='accept' direction='in' priority='506'><tcp dstportstart='7' comment='n&#233;e &#9731;'/></rule>
  <rule action='accept' direction='in' priority='507'><tcp dstportstart='8' comment='two words'/></rule>
  <rule action='accept' direction='in' priority='508'><tcp dstportstart='9' comment='-j'/></rule>
  <rule action='accept' direction='in' priority='509'><tcp dstportstart='10' comment='plain_word-09'/></rule>
  <rule action='accept' direction='in' priority='510'><tcp srcipaddr='$IP' dstportstart='11'/></rule>
</filter>
EOF
binding() { # binding FILE PORTDEV(xml) N IP
    cat > "$H/bindings/$1.xml" <<EOF
<filterbindingstatus>
  <filterbinding>
    <owner><name>vm$3</name><uuid>6f726163-6c65-4000-8000-00000000001$3</uuid></owner>
    <portdev name='$2'/>
    <mac address='52:54:00:00:01:0$3'/>
    <filterref filter='vf-hostile'>
      <parameter name='IP' value='$4'/>
    </filterref>
  </filterbinding>
</filterbindingstatus>
EOF
}
binding a 'v&quot;a' 1 10.0.0.11
binding b 'v\b' 2 10.0.0.12
binding c 'v&apos;c' 3 10.0.0.13
binding d vnet0 4 10.0.0.14
binding e vnet9 5 localhost
DIRS="--nwfilter-dir $H/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir $H/bindings --network-dir $H/network --config $H/network.conf"
KR="$DIRS --netns $NS-r --state-file $TMP/state-r.json --json"
KE="$DIRS --netns $NS-e --state-file $TMP/state-e.json --json --backend exec"

# --- foreign objects, made with the real tools (the same in both namespaces)
foreign() { # foreign NS
    for t in filter nat mangle raw security; do
        ip netns exec "$1" iptables -w -t $t -N 'f"x'
        ip netns exec "$1" ip6tables -w -t $t -N 'f"x'
    done
    for t in filter nat; do
        ip netns exec "$1" ebtables -t $t -N 'f"x'
        ip netns exec "$1" ebtables -t $t -N 'g h'
        ip netns exec "$1" ebtables -t $t -N "$(printf 'n\nl')"
    done
    # line breaks in comments: a network chain, rules, a table, a COMMIT
    ip netns exec "$1" iptables -w -A INPUT -m comment --comment \
        "$(printf 'x\n:LIBVIRT_FWI - [0:0]\n-A FORWARD -j LIBVIRT_FWI\n*nat\nCOMMIT')" -j ACCEPT
    ip netns exec "$1" iptables -w -A FORWARD -m comment --comment \
        "$(printf 'y\n-A FI-vnet0 -j DROP\n:FJ-vnet0 - [0:0]')" -j ACCEPT
    ip netns exec "$1" ip6tables -w -A INPUT -m comment --comment \
        "$(printf 'z\n:LIBVIRT_INP - [0:0]')" -j ACCEPT
    ip netns exec "$1" iptables -w -A FORWARD -i 'a b' -j ACCEPT
    ip netns exec "$1" iptables -w -A FORWARD -m comment --comment -j -j 'f"x'
    ip netns exec "$1" ebtables -t nat -A PREROUTING --log-prefix \
        "$(printf 'p\n:libvirt-I-vnet0 ACCEPT')" --log -j ACCEPT
    ip netns exec "$1" ebtables -t nat -A 'g h' -j ACCEPT
    ip netns exec "$1" ebtables -t nat -A "$(printf 'n\nl')" -j ACCEPT
}
saveall() { # saveall NS FILE: every layer, '#' lines out
    for t in ebtables-save iptables-save ip6tables-save; do
        ip netns exec "$1" $t | grep -v '^#'
    done > "$2"
}
foreign "$NS-r"
foreign "$NS-e"
saveall "$NS-r" "$TMP/foreign"
grep -q 'FAKE\|LIBVIRT_FWI - \[0:0\]$' "$TMP/foreign" && ok "the forged declaration is in *-save (a comment's line)" \
    || fail "the foreign comment did not reach *-save"
foreign_kept() { # foreign_kept WHEN: every line of the foreign objects is still there
    saveall "$NS-r" "$TMP/now"
    if missing=$(grep -Fxv -f "$TMP/now" "$TMP/foreign"); then
        fail "$1: foreign lines lost:"; printf '%s\n' "$missing" | sed 's/^/#   /'
    else
        ok "$1: every foreign line kept"
    fi
}
no_temporary() { # no_temporary WHEN: libvirt's J-/P- chains all renamed
    saveall "$NS-r" "$TMP/now"
    # (a line with a quote is a foreign comment's)
    left=$(grep -E '^:(libvirt-[JP]-|[JP]-|F[JP]-|HJ-)' "$TMP/now" | grep -v '"')
    [ -z "$left" ] && ok "$1: no temporary chain left" \
        || { fail "$1: temporary chains left"; printf '%s\n' "$left" | head | sed 's/^/#   /'; }
}

# --- reconnect: restore == exec, nothing foreign lost, no drift
expect_rc 0 "reconnect (restore)" "$VF" reconnect $KR
[ "$(json_field failed)" = 0 ] && [ "$(json_field rebuilt)" = 6 ] \
    && ok "all 5 interfaces and the networks applied" \
    || fail "reconnect: rebuilt=$(json_field rebuilt) failed=$(json_field failed)"
expect_rc 0 "reconnect (exec)" "$VF" reconnect $KE
saveall "$NS-r" "$TMP/r"
saveall "$NS-e" "$TMP/e"
cmp -s "$TMP/r" "$TMP/e" && ok "restore leaves what exec leaves" \
    || { fail "restore != exec"; diff "$TMP/e" "$TMP/r" | head -20 | sed 's/^/#   /'; }
grep -q -- '-A FORWARD .*-j LIBVIRT_FWI$' "$TMP/r" && ok "the networks' rules are there, forged declaration or not" \
    || fail "no jump to LIBVIRT_FWI"
no_temporary "reconnect"
foreign_kept "reconnect"
expect_rc 0 "verify right after reconnect" "$VF" verify $KR
grep -q '"status" : "drift"' "$TMP/out" && { fail "verify reports drift"; sed 's/^/#   /' "$TMP/out"; } \
    || ok "no drift for comments with . : / ' \" \\ non-ASCII, a host name as IP"
# without a state file (the exec backend's namespace): every unit simulated
KN=$(echo "$KE" | sed "s|--state-file $TMP/state-e.json|--state-file $TMP/none.json|")
# vnet9's host name as IP is only the kernel's to resolve: not checked
# (exit 1, named), every other unit verified without drift
expect_rc 1 "verify the exec backend's rules without a state file" "$VF" verify $KN
grep -qF "failed: interface/vnet9: cannot be checked" "$TMP/err" && ok "verify names the unit it cannot check" \
    || { fail "vnet9 not named as not checked"; sed 's/^/#   /' "$TMP/err"; }
grep -q '"status" : "drift"' "$TMP/out" && { fail "verify (simulation) reports drift"; sed 's/^/#   /' "$TMP/out"; } \
    || ok "no drift for any hostile name by simulation"
[ "$(grep -c '"checked_by" : "simulation"' "$TMP/out")" = 5 ] && ok "5 units verified by simulation" \
    || { fail "not 5 units simulated"; sed 's/^/#   /' "$TMP/out"; }
expect_rc 0 "reconnect again" "$VF" reconnect $KR
[ "$(json_field rebuilt)" = 0 ] && [ "$(json_field rules_written)" = 0 ] \
    && ok "the second reconnect rebuilt nothing" \
    || fail "second reconnect: rebuilt=$(json_field rebuilt) written=$(json_field rules_written)"

# --- a foreign change: the kernel is read again (every hostile name in it)
ip netns exec "$NS-r" iptables -w -A INPUT -s 10.66.0.1/32 -j ACCEPT
expect_rc 0 "reconnect after a foreign change" "$VF" reconnect $KR
[ "$(json_field rebuilt)" = 0 ] && ok "nothing rebuilt after the foreign change" \
    || fail "foreign change: rebuilt=$(json_field rebuilt)"
expect_rc 0 "verify after the foreign change" "$VF" verify $KR

# --- VM starts and stops of the hostile interfaces
expect_rc 0 "apply v\"a v\\b v'c" "$VF" apply 'v"a' 'v\b' "v'c" $KR
no_temporary "apply"
expect_rc 0 "verify after apply" "$VF" verify $KR
expect_rc 0 "teardown v\\b" "$VF" teardown 'v\b' $KR
saveall "$NS-r" "$TMP/now"
grep -qF 'v\b' "$TMP/now" && fail "v\\b's rules left after teardown" || ok "v\\b's rules gone"
# a hook of v"a goes: its line (quotes in it) is v"a's
ip netns exec "$NS-r" ebtables -t nat -D PREROUTING -i 'v"a' -j 'libvirt-I-v"a'
expect_rc 3 "verify sees v\"a's hook gone" "$VF" verify $KR
"$VF" verify $(echo "$KR" | sed 's/ --json//') >"$TMP/out" 2>&1
grep -qF 'drift: interface/v"a' "$TMP/out" && ok "drift names v\"a" \
    || { fail "drift does not name v\"a"; sed 's/^/#   /' "$TMP/out"; }
expect_rc 0 "reconnect repairs" "$VF" reconnect $KR
[ "$(json_field rebuilt)" = 2 ] && ok "v\"a and v\\b rebuilt" || fail "repair: rebuilt=$(json_field rebuilt)"
no_temporary "repair"
foreign_kept "repair"
expect_rc 0 "verify converged" "$VF" verify $KR
expect_rc 0 "exec: teardown v\\b, reconnect" sh -c \
    "'$VF' teardown 'v\\b' $KE && '$VF' reconnect $KE"
ip netns exec "$NS-r" iptables -w -D INPUT -s 10.66.0.1/32 -j ACCEPT
# hooks are re-added at the end of their chains: order aside, as libvirt's
# own restarts
saveall "$NS-r" "$TMP/r"
saveall "$NS-e" "$TMP/e"
sort "$TMP/r" > "$TMP/r2"
sort "$TMP/e" > "$TMP/e2"
cmp -s "$TMP/r2" "$TMP/e2" && ok "after VM stops and starts: restore == exec" \
    || { fail "restore != exec after teardown and repair"; diff "$TMP/e2" "$TMP/r2" | head -20 | sed 's/^/#   /'; }

echo "1..$((passes + fails))"
finish
