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
finish() { echo "# $passes passed, $fails failed"; [ "$fails" = 0 ]; }
