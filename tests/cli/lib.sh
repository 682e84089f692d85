# tests/cli/lib.sh: what the CLI test scripts share; sourced after $TMP is
# set. Each check prints a TAP line; finish ends the script with its result.

fails=0 passes=0
ok() { passes=$((passes + 1)); printf 'ok - %s\n' "$1"; }
fail() { fails=$((fails + 1)); printf 'not ok - %s\n' "$1"; }
# show FILE...: the files as TAP comments (30 lines, each cut at 300 bytes)
show() { sed 's/^/#   /' "$@" | cut -c1-300 | head -n 30; }
# expect_rc WANT NAME CMD...: runs CMD, stdout to $TMP/out, stderr to
# $TMP/err, its exit status in $rc
expect_rc() {
    want=$1 name=$2; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
    if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"; else
        fail "$name: exit $rc, wanted $want"; show "$TMP/err" "$TMP/out"; fi
}
# expect_err TEXT NAME: the last command's stderr holds TEXT
expect_err() {
    if grep -qF -- "$1" "$TMP/err"; then ok "$2"; else fail "$2: no '$1' in:"; show "$TMP/err"; fi
}
# finish: the counts, and the script's exit status (0 if nothing failed)
# has TEXT NAME: a line of $TMP/out (a command's stdout) is TEXT
has() {
    if grep -qxF -- "$1" "$TMP/out"; then ok "$2"; else
        fail "$2: no line '$1' in:"; show "$TMP/out"; fi
}
finish() { echo "# $passes passed, $fails failed"; [ "$fails" = 0 ]; }
# json_field NAME [FILE]: a number of a --json summary (docs/json.md) in
# FILE (default $TMP/out): counts.NAME (the units of a status), else the
# member NAME; empty if FILE is not one JSON object
json_field() {
    python3 - "$1" "${2:-$TMP/out}" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[2]))
except (OSError, ValueError):
    sys.exit(0)
v = d.get("counts", {}).get(sys.argv[1], d.get(sys.argv[1]))
print("" if v is None else v)
PY
}
# masked FILE: FILE as a golden file holds it: what differs from run to
# run replaced. A JSON object (docs/json.md) is printed again with every
# "microseconds" 0 and "calls" (a dry run's input, checked on its own) as
# its count; in text the "  time:" line of a summary is masked. The paths
# of $TMP and $SRC become $TMP and $SRC.
masked() {
    python3 - "$1" "$TMP" "${SRC:-/nonexistent}" <<'PY'
import json, re, sys
path, tmp, src = sys.argv[1:4]
text = open(path, errors="surrogateescape").read().replace(tmp, "$TMP").replace(src, "$SRC")
try:
    d = json.loads(text)
except ValueError:
    d = None
def walk(x):
    if isinstance(x, dict):
        for k in x:
            if k == "microseconds":
                x[k] = 0
            else:
                walk(x[k])
    elif isinstance(x, list):
        for v in x:
            walk(v)
if isinstance(d, dict):
    walk(d)
    if isinstance(d.get("calls"), list):
        d["calls"] = len(d["calls"])
    sys.stdout.write(json.dumps(d, indent=2, ensure_ascii=False) + "\n")
else:
    sys.stdout.write(re.sub(r"(?m)^  time: .*$", "  time: (masked)", text))
PY
}
# golden FILE NAME: FILE, masked, equals tests/restoredata/cli/NAME
# (VIR_TEST_REGENERATE_OUTPUT=1 rewrites it, and the check still fails)
golden_file() {
    masked "$1" > "$TMP/masked"
    if [ -n "${VIR_TEST_REGENERATE_OUTPUT:-}" ]; then
        cp "$TMP/masked" "$SRC/tests/restoredata/cli/$2"; fail "$2 regenerated"
    elif cmp -s "$TMP/masked" "$SRC/tests/restoredata/cli/$2"; then ok "$2 matches golden"
    else fail "$2 differs from golden"
        diff "$SRC/tests/restoredata/cli/$2" "$TMP/masked" | head -30 | sed 's/^/#   /'; fi
}
