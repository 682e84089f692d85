#!/bin/sh
# One summary for every command (tools/summary.c, docs/json.md): the text
# on stderr and the --json object on stdout of reconnect, apply, teardown,
# verify, check, dump and program against golden files; every --json
# output checked against the schema (version 1, numbers as numbers, units
# with name, kind, status and the reason of a failure); "rebuilt" only for
# units whose rules were written; the progress line on a terminal and
# nothing of it when stderr is not one.
#   test-summary.sh VIRT_FIREWALL SRCDIR
# VIR_TEST_REGENERATE_OUTPUT=1 rewrites the golden files (and still fails).
# Needs root and ip netns (exit 77 otherwise).
set -u
VF=$1
SRC=$2
HOST=$SRC/tests/cli/host
TMP=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
NS=vf-summary-$$
cleanup() { ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

# schema CMD: $TMP/out is one JSON object of docs/json.md's version 1
schema() {
    if python3 - "$TMP/out" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def need(cond, what):
    if not cond:
        print("# schema: " + what)
        sys.exit(1)
isint = lambda v: isinstance(v, int) and not isinstance(v, bool)
need(d.get("version") == 1, "version is not the number 1")
need(d.get("command") == sys.argv[2], "command is not " + sys.argv[2])
need(isinstance(d.get("dry_run"), bool), "dry_run not a boolean")
statuses = {"rebuilt", "unchanged", "skipped", "removed", "built", "applied", "ok",
            "drift", "failed"}
need(isinstance(d.get("units"), list), "no units[]")
for u in d["units"]:
    need(isinstance(u.get("name"), str) and isinstance(u.get("kind"), str), "unit name/kind")
    need(u.get("status") in statuses, "unit status %r" % u.get("status"))
    need((u["status"] == "failed") == isinstance(u.get("reason"), str),
         "a reason exactly for a failed unit: %r" % u)
need(isinstance(d.get("counts"), dict) and all(k in statuses and isint(v)
                                              for k, v in d["counts"].items()), "counts")
need("failed" in d["counts"], "counts.failed")
for st in statuses:
    need(d["counts"].get(st, 0) == len([u for u in d["units"] if u["status"] == st]),
         "counts.%s is not the number of units" % st)
for k in ("processes", "microseconds"):
    need(isint(d.get(k)) and d[k] >= 0, k + " not a number")
for k in ("rules_written", "passes", "retries"):
    need(k not in d or isint(d[k]), k + " not a number")
need(isinstance(d.get("phases"), list) and all(isinstance(p.get("name"), str) and
     isint(p.get("microseconds")) for p in d["phases"]), "phases")
need(isinstance(d.get("warnings"), list) and isinstance(d.get("skipped_files"), list),
     "warnings, skipped_files")
if "backend" in d:
    need(d["backend"] in ("exec", "restore"), "backend")
if "calls" in d:
    need(all(isinstance(c.get("argv"), list) for c in d["calls"]), "calls")
PY
    then ok "$1 --json: the schema of version 1"; else fail "$1 --json: schema"; show "$TMP/out"; fi
}
# summary NAME: stderr, masked, equals the golden file NAME; stdout is empty
# unless the command prints a result there
text_golden() { golden_file "$TMP/err" "$1"; }
json_golden() { golden_file "$TMP/out" "$1"; }

# check needs no kernel
expect_rc 0 "check" "$VF" check --nwfilter-dir "$HOST/nwfilter" --nwfilter-dir /usr/share/libvirt/nwfilter \
    --binding-dir "$HOST/bindings" --network-dir "$HOST/network" --config "$HOST/network.conf"
text_golden summary-check.txt
expect_rc 0 "check --json" "$VF" check --nwfilter-dir "$HOST/nwfilter" --nwfilter-dir /usr/share/libvirt/nwfilter \
    --binding-dir "$HOST/bindings" --network-dir "$HOST/network" --config "$HOST/network.conf" --json
schema check
json_golden summary-check.json
[ -s "$TMP/err" ] && { fail "check --json wrote to stderr"; show "$TMP/err"; } \
    || ok "check --json: stderr empty, the object alone on stdout"

if [ "$(id -u)" != 0 ] || ! ip netns add "$NS" 2>/dev/null; then
    echo "# SKIP: needs root and ip netns for the rest"; finish; exit $?
fi
cp -r "$HOST/bindings" "$TMP/bindings"
D="--nwfilter-dir $HOST/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir $TMP/bindings --network-dir $HOST/network --config $HOST/network.conf --netns $NS"
K="$D --state-file $TMP/st.json"

expect_rc 0 "dump" "$VF" dump $D
text_golden summary-dump.txt
expect_rc 0 "dump --json" "$VF" dump $D --json
schema dump
json_golden summary-dump.json

expect_rc 0 "reconnect --json on empty tables" "$VF" reconnect $K --json
schema reconnect
json_golden summary-reconnect.json
expect_rc 0 "reconnect again" "$VF" reconnect $K
text_golden summary-reconnect.txt
[ -s "$TMP/out" ] && { fail "reconnect wrote to stdout"; show "$TMP/out"; } || ok "reconnect: stdout empty"

# the kernel holds vnet0's rules: applied again, nothing is written and
# the unit is unchanged, not "rebuilt" (issue 20)
expect_rc 0 "apply vnet0" "$VF" apply vnet0 $K
text_golden summary-apply.txt
expect_rc 0 "apply vnet0 --json" "$VF" apply vnet0 $K --json
schema apply
json_golden summary-apply.json
[ "$(json_field unchanged)" = 1 ] && [ "$(json_field rebuilt)" = 0 ] && [ "$(json_field rules_written)" = 0 ] \
    && ok "apply of rules in place: unchanged, 0 rebuilt" || fail "apply of rules in place: rebuilt $(json_field rebuilt)"
expect_rc 0 "apply vnet0 --dry-run --json" "$VF" apply vnet0 $K --dry-run --json
schema apply
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["dry_run"] is True and d["calls"] == [] and d["counts"]["rebuilt"] == 0 else 1)' "$TMP/out" \
    && ok "apply --dry-run with nothing to do: no call, 0 rebuilt" || { fail "apply --dry-run"; show "$TMP/out"; }

expect_rc 0 "teardown vnet0" "$VF" teardown vnet0 $K
text_golden summary-teardown.txt
expect_rc 0 "teardown vnet0 again --json" "$VF" teardown vnet0 $K --json
schema teardown
json_golden summary-teardown.json

expect_rc 3 "verify (vnet0 torn down)" "$VF" verify $K
text_golden summary-verify.txt
expect_rc 3 "verify --json" "$VF" verify $K --json
schema verify

# no state file, vnet0 missing: the batch writes vnet0's rules only; the
# others were applied too but nothing was written for them
expect_rc 0 "reconnect without a state file" "$VF" reconnect $D --state-file "$TMP/none.json" --json
schema reconnect
[ "$(json_field rebuilt)" = 1 ] && [ "$(json_field unchanged)" = 3 ] && [ "$(json_field rules_written)" -gt 0 ] \
    && python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if [u["name"] for u in d["units"] if u["status"] == "rebuilt"] == ["interface/vnet0"] else 1)' "$TMP/out" \
    && ok "only vnet0, whose rules were written, is rebuilt" \
    || { fail "rebuilt $(json_field rebuilt), unchanged $(json_field unchanged)"; show "$TMP/out"; }

# a failed unit: its reason in units[], the line on stderr too
expect_rc 1 "apply vnet9 (no binding) --json" "$VF" apply vnet9 $K --json
schema apply
json_golden summary-apply-failed.json
expect_err "virt-firewall apply: failed: interface/vnet9: no filter binding for this interface" \
    "apply --json: the failed unit also on stderr"

expect_rc 0 "program --dry-run" "$VF" program "$SRC/examples/programs/three-vms.prog" --dry-run
text_golden summary-program.txt
expect_rc 0 "program --json" "$VF" program "$SRC/examples/programs/three-vms.prog" --netns "$NS" --json
schema program
json_golden summary-program.json
expect_rc 2 "program --show --json" "$VF" program "$SRC/examples/programs/three-vms.prog" --show --json

# --- the progress line: on a terminal only. The exec backend applies unit
# by unit; `script` gives the command a pseudo-terminal for stderr.
ip netns exec "$NS" sh -c 'for t in nat filter broute; do ebtables -t $t -F; done; iptables -w -F; ip6tables -w -F' 2>/dev/null
if command -v script >/dev/null; then
    # stdout to a file, stderr to the terminal script records
    script -qec "'$VF' reconnect $D --state-file '$TMP/tty.json' --backend exec >'$TMP/tty.out'" \
        "$TMP/typescript" </dev/null >/dev/null 2>&1
    tr '\r' '\n' < "$TMP/typescript" > "$TMP/tty.lines"
    grep -q "^virt-firewall reconnect: apply [0-9]*/4 units, [0-9]*m[0-9]*s" "$TMP/tty.lines" \
        && grep -q "apply 4/4 units" "$TMP/tty.lines" \
        && ok "on a terminal: the progress line counts the units" \
        || { fail "no progress line on the terminal"; show "$TMP/tty.lines"; }
    grep -q "$(printf '\r\033\\[K')virt-firewall reconnect: 4 units:" "$TMP/typescript" \
        && ok "the line is erased before the summary" || { fail "the progress line not erased"; show "$TMP/tty.lines"; }
else
    fail "no script(1) (util-linux) for the terminal test"
fi
ip netns exec "$NS" sh -c 'for t in nat filter broute; do ebtables -t $t -F; done; iptables -w -F; ip6tables -w -F' 2>/dev/null
expect_rc 0 "piped: reconnect --backend exec" "$VF" reconnect $D --state-file "$TMP/pipe.json" --backend exec
if grep -q "units, [0-9]*m\|$(printf '\r')\|$(printf '\033')" "$TMP/err"; then
    fail "piped: progress on stderr"; show "$TMP/err"
else
    ok "piped: no progress line, no control character"
fi
expect_err "virt-firewall reconnect: 4 units: 4 rebuilt, 0 unchanged, 0 skipped, 0 failed" "piped: the summary"
finish
