#!/bin/sh
# reconnect/apply --dry-run print the exact restore input the run would
# write to this kernel now (issue 20, point 2), proven by the kernel: the
# printed input, fed by hand to the real restore tools in one namespace,
# leaves what the real reconnect leaves in another. An unchanged host is
# "nothing to do"; a dry run writes nothing (no rule, no state file).
#   test-dryrun.sh VIRT_FIREWALL SRCDIR
set -u
VF=$1
HOST=$2/tests/cli/host
TMP=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
NS=vf-dry-$$
cleanup() { ip netns del "$NS" 2>/dev/null; ip netns del "$NS-r" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
save() { # save NS FILE: every table, comments removed
    for t in ebtables iptables ip6tables; do
        echo "## $t"; ip netns exec "$1" "$t"-save | grep -v '^#'
    done > "$2"
}
same() { # same A B NAME
    if cmp -s "$1" "$2"; then ok "$3"; else fail "$3"; diff "$1" "$2" | show /dev/stdin; fi
}

if [ "$(id -u)" != 0 ] || ! ip netns add "$NS" 2>/dev/null; then
    echo "# SKIP: needs root and ip netns"; exit 77
fi
ip netns add "$NS-r"
dirs() { # dirs BINDINGDIR
    echo "--nwfilter-dir $HOST/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter" \
         "--binding-dir $1 --network-dir $HOST/network --config $HOST/network.conf"
}
for n in "$NS" "$NS-r"; do
    "$VF" reconnect $(dirs "$HOST/bindings") --netns "$n" --state-file "$TMP/$n.json" -q \
        || fail "first reconnect in $n"
done

# an applied, unchanged host: nothing to do, exit 0, nothing written
save "$NS" "$TMP/before"
expect_rc 0 "dry run on an applied host" "$VF" reconnect $(dirs "$HOST/bindings") --netns "$NS" \
    --state-file "$TMP/dry.json" --dry-run
[ "$(cat "$TMP/out")" = "# nothing to do: the kernel holds what this run would write" ] \
    && ok "unchanged host: nothing to do" || { fail "unchanged host printed:"; show "$TMP/out"; }
# nothing to write: nothing is "rebuilt" (it used to say "4 rebuilt")
expect_err "virt-firewall reconnect: 4 units: 0 rebuilt, 4 unchanged, 0 skipped, 0 failed" \
    "unchanged host: the summary says 0 rebuilt, 4 unchanged"
[ -e "$TMP/dry.json" ] || [ -e "$TMP/dry.json.kernel" ] || [ -e "$TMP/dry.json.lock" ] \
    && fail "the dry run wrote a state file" || ok "the dry run wrote no state file"
expect_rc 0 "dry run --json on an applied host" "$VF" reconnect $(dirs "$HOST/bindings") \
    --netns "$NS" --state-file "$TMP/dry.json" --dry-run --json
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["calls"] == [] and d["dry_run"] is True and d["counts"]["rebuilt"] == 0
         and d["counts"]["unchanged"] == 4 and d["rules_written"] == 0 else 1)' "$TMP/out" \
    && ok "unchanged host, --json: no call, 0 rebuilt, 4 unchanged" \
    || { fail "unchanged host --json printed:"; show "$TMP/out"; }

# one binding changes: only that interface's lines are printed
mkdir -p "$TMP/b"; cp "$HOST/bindings/"*.xml "$TMP/b/"
sed -i "s/10.0.0.11/10.0.0.99/" "$TMP/b/vnet1.xml"
# (the state file the real run would read: what it skips stays in place)
cp "$TMP/$NS.json" "$TMP/state-before"
expect_rc 0 "reconnect --dry-run after one change" "$VF" reconnect $(dirs "$TMP/b") --netns "$NS" \
    --state-file "$TMP/$NS.json" --dry-run
cp "$TMP/out" "$TMP/script"
expect_err "virt-firewall reconnect: 4 units: 1 rebuilt, 0 unchanged, 3 skipped, 0 failed" \
    "after one change: 1 rebuilt (vnet1), the others skipped"
grep -q '10.0.0.99' "$TMP/script" && ok "the change is printed" || { fail "no 10.0.0.99 in:"; show "$TMP/script"; }
grep -v '^#' "$TMP/script" | grep -E 'vnet0|vnet2|LIBVIRT_' > "$TMP/others" \
    && { fail "lines of units that did not change:"; show "$TMP/others"; } || ok "only vnet1's lines"
n=$(grep -vc '^[#*]\|^COMMIT$' "$TMP/script")
[ "$n" -gt 0 ] && [ "$n" -lt 20 ] && ok "a small change ($n lines), not a rebuild" \
    || { fail "$n lines written"; show "$TMP/script"; }
grep -q '^# [a-z0-9]*-restore .*: table [a-z]*$' "$TMP/script" && ok "a header names tool and table" \
    || { fail "no tool/table header"; show "$TMP/script"; }
save "$NS" "$TMP/after-dry"
same "$TMP/before" "$TMP/after-dry" "the dry run left the kernel as it was"
cmp -s "$TMP/state-before" "$TMP/$NS.json" && ok "the dry run left the state file as it was" \
    || fail "the dry run changed the state file"

# the printed input by hand, block by block, into $NS; the real reconnect
# into $NS-r: the same tables
awk -v d="$TMP/blk" '
    /^# / { n++; f = d n; h = substr($0, 3); sub(/: table [^ ]*$/, "", h); print h > (f ".cmd"); next }
    { print > (f ".in") }' "$TMP/script"
by_hand=0
for c in "$TMP"/blk*.cmd; do
    ( set -f; eval "set -- $(cat "$c")"; ip netns exec "$NS" "$@" < "${c%.cmd}.in" ) \
        || { fail "the restore tools refused $(cat "$c")"; show "${c%.cmd}.in"; by_hand=1; }
done
[ $by_hand = 0 ] && ok "the real restore tools take the printed input"
expect_rc 0 "real reconnect in the second namespace" "$VF" reconnect $(dirs "$TMP/b") \
    --netns "$NS-r" --state-file "$TMP/$NS-r.json" -q
save "$NS" "$TMP/by-hand"; save "$NS-r" "$TMP/real"
same "$TMP/by-hand" "$TMP/real" "the printed input leaves what the real reconnect leaves"
grep -q '10.0.0.99' "$TMP/real" && ok "the real reconnect applied the change" || fail "no change in the kernel"

# after the real run: nothing to do
expect_rc 0 "dry run after the real reconnect" "$VF" reconnect $(dirs "$TMP/b") --netns "$NS-r" \
    --state-file "$TMP/$NS-r.json" --dry-run
grep -qx '# nothing to do: the kernel holds what this run would write' "$TMP/out" \
    && [ "$(wc -l < "$TMP/out")" = 1 ] && ok "then nothing to do" || { fail "then printed:"; show "$TMP/out"; }

# apply --dry-run: the change of that interface, the same as reconnect's
# here (apply also moves the jumps to the end of the chains, as libvirt)
"$VF" reconnect $(dirs "$HOST/bindings") --netns "$NS-r" --state-file "$TMP/$NS-r.json" -q
expect_rc 0 "apply vnet1 --dry-run after one change" "$VF" apply vnet1 $(dirs "$TMP/b") \
    --netns "$NS-r" --dry-run
grep -q '10.0.0.99' "$TMP/out" && ok "apply --dry-run prints the change" || { fail "apply --dry-run:"; show "$TMP/out"; }
grep -v '^#' "$TMP/out" | grep -qE 'vnet0|vnet2|LIBVIRT_' && fail "apply --dry-run: other units" \
    || ok "apply --dry-run: only vnet1"

finish
