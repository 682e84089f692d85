#!/bin/sh
# verify judges the kernel against what the host's bindings and networks
# produce now, whoever applied the rules: a host applied by the exec
# backend with no state file verifies clean; a rule deleted, changed or
# added by hand is reported in its unit (missing, changed, extra); the
# chains of a binding that is gone are orphans; arguments restrict the
# check; text and --json output are compared with golden files.
#   test-verify.sh VIRT_FIREWALL SRCDIR
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
NS=vf-verify-$$
cleanup() { ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

hasnt() { # hasnt TEXT NAME: no line of stdout contains TEXT
    if grep -qF -- "$1" "$TMP/out"; then fail "$2: '$1' in:"; sed 's/^/#   /' "$TMP/out"
    else ok "$2"; fi
}
golden() { golden_file "$TMP/out" "$1"; }   # lib.sh: stdout, masked, equals NAME

if [ "$(id -u)" != 0 ] || ! ip netns add "$NS" 2>/dev/null; then
    echo "# SKIP: needs root and ip netns"; exit 77
fi
cp -r "$HOST/bindings" "$TMP/bindings"
D="--nwfilter-dir $HOST/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir $TMP/bindings --network-dir $HOST/network --config $HOST/network.conf --netns $NS"
# verify never gets a state file: it must judge from the host and the kernel
V="$D --state-file $TMP/none.json"
ebt() { ip netns exec "$NS" ebtables --concurrent "$@"; }
ipt() { ip netns exec "$NS" iptables -w "$@"; }

# --- a host applied as libvirt applies it (one command per rule), no record
expect_rc 0 "apply with --backend exec" "$VF" reconnect $D --backend exec --state-file "$TMP/exec.json" -q
rm -f "$TMP/exec.json" "$TMP/exec.json".*
expect_rc 0 "verify: clean without a state file" "$VF" verify $V
golden verify-clean.out
expect_rc 0 "verify --json: clean" "$VF" verify $V --json
[ "$(grep -c '"checked_by" : "simulation"' "$TMP/out")" = 4 ] \
    && ok "all 4 units checked by simulation" || { fail "not 4 units simulated"; sed 's/^/#   /' "$TMP/out"; }
[ -e "$TMP/none.json" ] && fail "verify wrote a state file" || ok "verify wrote no state file"

# --- drift made by hand, one kind per unit
ebt -t nat -D I-vnet1-mac -s 52:54:00:00:00:01 -j RETURN            # missing
ebt -t nat -A I-vnet0-mac -j ACCEPT                                  # extra
ebt -t nat -D I-vnet2-mac -s 52:54:00:00:00:02 -j RETURN             # changed
ebt -t nat -I I-vnet2-mac 1 -s 52:54:00:00:00:99 -j RETURN
ipt -D FORWARD -j LIBVIRT_FWX                                        # networks
expect_rc 3 "verify: drift" "$VF" verify $V
has "drift: interface/vnet1: 1 missing, 0 changed, 0 extra" "the deleted rule: missing in vnet1"
has "  missing: ebtables -t nat -A I-vnet1-mac -s 52:54:00:00:00:01 -j RETURN" "the missing rule is shown"
has "drift: interface/vnet0: 0 missing, 0 changed, 1 extra" "the added rule: extra in vnet0"
has "  extra: ebtables -t nat -A I-vnet0-mac -j ACCEPT" "the extra rule is shown"
has "drift: interface/vnet2: 0 missing, 1 changed, 0 extra" "the replaced rule: changed in vnet2"
has "   kernel: -A I-vnet2-mac -s 52:54:00:00:00:99 -j RETURN" "the kernel's rule is shown"
has "  missing: iptables -t filter -A FORWARD -j LIBVIRT_FWX" "the networks' hook: missing"
golden verify-drift.out
expect_rc 3 "verify --json: drift" "$VF" verify $V --json
golden verify-drift.json

# --- arguments: only the units named
expect_rc 3 "verify vnet1" "$VF" verify vnet1 $V
has "drift: interface/vnet1: 1 missing, 0 changed, 0 extra" "verify vnet1 reports vnet1"
hasnt "vnet0" "verify vnet1 checks nothing of vnet0"
hasnt "networks" "verify vnet1 checks nothing of the networks"
expect_rc 3 "verify interface/vnet0" "$VF" verify interface/vnet0 $V
hasnt "vnet1" "verify interface/vnet0 checks only vnet0"
expect_rc 3 "verify default (a network)" "$VF" verify default $V
has "drift: networks: 1 missing, 0 changed, 0 extra" "verify NETWORK checks the networks"
hasnt "interface/" "verify NETWORK checks no interface"
expect_rc 2 "verify an unknown unit" "$VF" verify vnet7 $V
grep -qF "'vnet7': no filter binding and no active network of that name" "$TMP/err" \
    && ok "the unknown unit is named" || { fail "no reason given"; sed 's/^/#   /' "$TMP/err"; }

# --- reconnect repairs; the state file is then a shortcut, not an oracle
expect_rc 0 "reconnect repairs" "$VF" reconnect $D --state-file "$TMP/st.json" -q
expect_rc 0 "verify after the repair (state file)" "$VF" verify $D --state-file "$TMP/st.json" --json
[ "$(grep -c '"checked_by" : "state-file"' "$TMP/out")" = 4 ] \
    && ok "the state file vouched for all 4 units" || { fail "state file not used"; sed 's/^/#   /' "$TMP/out"; }
expect_rc 0 "verify after the repair (no state file)" "$VF" verify $V

# --- a binding gone, its chains left: orphans
rm "$TMP/bindings/vnet2.xml"
expect_rc 3 "verify: vnet2's binding removed" "$VF" verify $V
has "drift: interface/vnet2: orphan: no binding names it" "vnet2 reported as orphan"
has "  orphan chain: ebtables -t nat libvirt-I-vnet2" "its root chain is named"
has "  orphan: ebtables -t nat -A PREROUTING -i vnet2 -j libvirt-I-vnet2" "its hook is named"
golden verify-orphan.out
expect_rc 3 "verify --json: orphan" "$VF" verify $V --json
golden verify-orphan.json
expect_rc 0 "verify vnet0 ignores the orphan" "$VF" verify vnet0 $V
expect_rc 0 "teardown vnet2" "$VF" teardown vnet2 $D --state-file "$TMP/st.json" -q
expect_rc 0 "verify clean after the orphan's teardown" "$VF" verify $V

finish
