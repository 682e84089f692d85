#!/bin/sh
# The state file and the kernel cache against hostile contents (issue 18,
# item 6): a state file that is not one (corrupt, 100 000 nested '[') is
# reported, ignored and replaced at its own path by the run's state (no
# signal, no file elsewhere); verify reports it (exit 2) until then; both
# files are written 0600 whatever the umask (the cache holds the ruleset).
#   test-statefile.sh VIRT_FIREWALL SRCDIR
set -u
VF=$1
HOST=$2/tests/cli/host
TMP=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
NS=vf-state-$$
cleanup() { ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

if [ "$(id -u)" != 0 ] || ! ip netns add "$NS" 2>/dev/null; then
    echo "# SKIP: needs root and ip netns"; exit 77
fi
S=$TMP/run/state.json
K="--nwfilter-dir $HOST/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir $HOST/bindings
   --network-dir $HOST/network --config $HOST/network.conf --netns $NS --state-file $S"
touch "$TMP/marker"

# written 0600, even with umask 000
( umask 000; "$VF" reconnect $K -q ) && ok "first reconnect" || fail "first reconnect"
for f in "$S" "$S.kernel"; do
    [ -e "$f" ] || continue
    [ "$(stat -c %a "$f")" = 600 ] && ok "$(basename "$f") is 0600" \
        || fail "$(basename "$f") is $(stat -c %a "$f")"
done

deep() { head -c 100000 /dev/zero | tr '\0' '['; }
for kind in corrupt deep; do
    if [ $kind = corrupt ]; then printf '{corrupt' > "$S"; else deep > "$S"; fi
    # only a shortcut: verify says it ignores the file and checks the kernel
    expect_rc 0 "$kind: verify ignores the state file" "$VF" verify $K
    expect_err "state file $S:" "$kind: verify names the file"
    expect_err "(ignoring it)" "$kind: verify says it ignores the file"
    expect_rc 0 "$kind: reconnect" "$VF" reconnect $K --json
    expect_err "(ignoring it)" "$kind: reconnect says it ignores the file"
    # the kernel holds them all: compared, nothing written, none "rebuilt"
    [ "$(json_field unchanged)" = 4 ] && [ "$(json_field rebuilt)" = 0 ] \
        && [ "$(json_field rules_written)" = 0 ] \
        && ok "$kind: every unit compared with the kernel: unchanged, none rebuilt" \
        || fail "$kind: unchanged $(json_field unchanged), rebuilt $(json_field rebuilt)"
    expect_rc 0 "$kind: verify after the reconnect (the file replaced)" "$VF" verify $K -q
    [ "$(stat -c %a "$S")" = 600 ] && ok "$kind: the new file is 0600" || fail "$kind: mode $(stat -c %a "$S")"
    expect_rc 0 "$kind: the next reconnect" "$VF" reconnect $K --json
    [ "$(json_field skipped)" = 4 ] && [ "$(json_field rules_written)" = 0 ] \
        && ok "$kind: the next reconnect skips everything" \
        || fail "$kind: next reconnect skipped $(json_field skipped), wrote $(json_field rules_written)"
done
deep > "$S"
expect_rc 0 "deep: teardown vnet0" "$VF" teardown vnet0 $K
expect_rc 3 "deep: verify after the teardown (the file replaced, vnet0 gone)" "$VF" verify $K
grep -q "drift: interface/vnet0" "$TMP/out" && ok "deep: verify names vnet0" || fail "deep: verify: $(cat "$TMP/out")"
printf '{corrupt' > "$S"
expect_rc 0 "corrupt: apply vnet0" "$VF" apply vnet0 $K
# what the lost file knew of the others is gone: verify simulates them
expect_rc 0 "corrupt: verify after apply (the file replaced)" "$VF" verify $K --json
grep -A4 '"name" : "interface/vnet0"' "$TMP/out" | grep -q '"checked_by" : "state-file"' \
    && ok "corrupt: apply recorded vnet0" || fail "corrupt: apply did not record vnet0: $(cat "$TMP/out")"
grep -A4 '"name" : "interface/vnet1"' "$TMP/out" | grep -q '"checked_by" : "simulation"' \
    && ok "corrupt: vnet1 (not recorded) checked by simulation" || fail "corrupt: vnet1: $(cat "$TMP/out")"
expect_rc 0 "corrupt: reconnect after apply" "$VF" reconnect $K -q
expect_rc 0 "corrupt: verify clean" "$VF" verify $K -q
# the state of this run went to its own path, nowhere else
if [ -e /nonexistent/virt-firewall-state ] && [ /nonexistent/virt-firewall-state -nt "$TMP/marker" ]; then
    fail "a state file was written to /nonexistent"
else
    ok "no state file written to /nonexistent"
fi

# --private-netns: the namespace is gone at exit, and so is any record of
# it: without --state-file nothing is written to /run (nor left in TMPDIR).
# In a mount namespace of its own with a tmpfs on /run, so that a failure
# here cannot write the real host's /run/virt-firewall.
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
    P="--nwfilter-dir $HOST/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir $HOST/bindings
       --network-dir $HOST/network --config $HOST/network.conf --private-netns"
    mkdir -p "$TMP/tmpdir"
    for cmd in reconnect "apply vnet0" "teardown vnet0"; do
        TMPDIR=$TMP/tmpdir unshare -m --propagation private sh -c '
            mount -t tmpfs vf-run /run || exit 99
            "$@" >/dev/null 2>"'"$TMP/err"'"; rc=$?
            find /run -mindepth 1 > "'"$TMP/run-left"'"
            exit $rc' sh "$VF" $cmd $P
        rc=$?
        [ $rc = 0 ] && ok "--private-netns $cmd (exit 0)" || { fail "--private-netns $cmd: exit $rc"; sed 's/^/#   /' "$TMP/err"; }
        [ ! -s "$TMP/run-left" ] && ok "--private-netns $cmd wrote nothing to /run" \
            || { fail "--private-netns $cmd wrote to /run:"; sed 's/^/#   /' "$TMP/run-left"; }
        [ -z "$(ls -A "$TMP/tmpdir")" ] && ok "--private-netns $cmd left nothing in TMPDIR" \
            || { fail "--private-netns $cmd left: $(ls -A "$TMP/tmpdir")"; rm -rf "$TMP/tmpdir"/*; }
    done
    # asked for, a state file is written where it was asked
    expect_rc 0 "--private-netns --state-file" "$VF" reconnect $P --state-file "$TMP/private.json" -q
    [ -s "$TMP/private.json" ] && ok "--private-netns --state-file writes the file asked for" \
        || fail "--private-netns --state-file wrote no state file"
else
    echo "# SKIP --private-netns part: no unshare -m"
fi

finish
