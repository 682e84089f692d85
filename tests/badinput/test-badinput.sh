#!/bin/sh
# Bad input corpus: each cases/NAME holds a host (network.conf, nwfilter/,
# bindings/, network/) with broken or odd files beside good ones, and
#   expected     the exit code, then stderr of `virt-firewall reconnect -q`
#                (the case directory written as CASE)
#   setup.sh     optional: run in a copy of the case first (FIFOs, symlinks,
#                large files, many bindings: what git cannot hold)
#   reference/   optional: files replacing the case's in the reference host
#                (a filter as libvirt reads it, without what it ignores)
#   before/      optional: files as they were before the breakage
#   reference-exec  optional: the reference host runs with the exec
#                backend (libvirt's way: a process per rule, 1-7 s per
#                clean-traffic interface here), else with restore
# As libvirt's start-up, a broken file fails only the units that use it
# (exit 1) and a broken network.conf refuses the run (exit 2).
#
# With root, every case also runs against the kernel: the case with the
# restore backend in one namespace, its reference host (the case without
# the binding and network files of the units that failed, plus reference/)
# in another (with reference-exec: the exec backend): every table must be
# byte-identical, so the good units are applied exactly as on a host
# without the broken files and the failed ones get nothing. With before/,
# both namespaces first hold the rules of the host as it was: the failed
# units keep them, as libvirt leaves them when it cannot instantiate.
#   test-badinput.sh VIRT_FIREWALL SRCDIR
# VIR_TEST_REGENERATE_OUTPUT=1 rewrites the expected files (and fails);
# VF_BADINPUT_CASES='filter-*' runs only the cases matching the pattern.
set -u
VF=$1
CASES=$2/tests/badinput/cases
TMP=$(mktemp -d)
NS=vf-bad-$$
passes=0 fails=0
cleanup() { ip netns del "$NS" 2>/dev/null; ip netns del "$NS-r" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
ok() { passes=$((passes + 1)); echo "ok - $1"; }
fail() { fails=$((fails + 1)); echo "not ok - $1"; }

kernel=0 WRAP=
if [ "$(id -u)" = 0 ] && ip netns add "$NS" 2>/dev/null && ip netns add "$NS-r"; then kernel=1
elif unshare -rn true 2>/dev/null; then
    # a dry run reads the kernel's tables: an empty namespace of our own
    echo "# not root or no ip netns: checking messages only (dry-run, unshare -rn)"; WRAP="unshare -rn"
else
    echo "# SKIP: needs root and ip netns, or unshare -rn"; exit 77
fi

# run HOSTDIR TARGET... : reconnect of a host directory, stderr in $TMP/err
run() {
    h=$1; shift
    own=""
    # git keeps no empty folders: a case without own filters has none
    [ -d "$h/nwfilter" ] && own="--nwfilter-dir $h/nwfilter"
    # a FIFO or /dev/zero must not hang or flood the run
    $WRAP timeout 120 "$VF" reconnect --config "$h/network.conf" $own \
        --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir "$h/bindings" \
        --network-dir "$h/network" -q "$@" >/dev/null 2>"$TMP/err"
}
# overlay SRC DST: the files of SRC replace or add to DST
overlay() { [ -d "$1" ] && cp -r "$1"/. "$2"/; return 0; }
save() { # save NS FILE: every table, comments removed
    for t in ebtables iptables ip6tables; do
        echo "## $t"; ip netns exec "$1" "$t"-save | grep -v '^#'
    done > "$2"
}
fresh() { for n in "$NS" "$NS-r"; do ip netns del "$n"; ip netns add "$n"; done; }

for dir in "$CASES"/${VF_BADINPUT_CASES:-*}/; do
    name=$(basename "$dir")
    c=$TMP/case/$name
    mkdir -p "$TMP/case"; rm -rf "$c"; cp -r "${dir%/}" "$c"
    rm -rf "$c/reference" "$c/before" "$c/expected" "$c/setup.sh" "$c/reference-exec"
    mkdir -p "$c/bindings" "$c/network"
    [ -f "$dir/setup.sh" ] && (cd "$c" && sh "${dir%/}/setup.sh")

    if [ "$kernel" = 1 ]; then
        target="--netns $NS --state-file $TMP/state-$name.json"
    else
        target="--dry-run"
    fi
    run "$c" $target
    rc=$?
    cp "$TMP/err" "$TMP/case-err"
    { echo "exit $rc"; sed "s|$c|CASE|g" "$TMP/err"; } > "$TMP/got"
    if [ -n "${VIR_TEST_REGENERATE_OUTPUT:-}" ]; then
        cp "$TMP/got" "$dir/expected"; fail "$name: regenerated"; continue
    fi
    if cmp -s "$TMP/got" "$dir/expected"; then ok "$name: $(sed -n 2p "$TMP/got" | cut -c1-100)"
    else fail "$name: output differs"; diff "$dir/expected" "$TMP/got" | sed 's/^/#   /'; fi
    case $rc in 0|1|2) ok "$name: exit $rc" ;; *) fail "$name: exit $rc" ;; esac
    # again, nothing changed: the same failures (a run that failed vouches
    # for no input, so nothing is skipped as "unchanged since last time")
    run "$c" $target
    rc2=$?
    { echo "exit $rc2"; sed "s|$c|CASE|g" "$TMP/err"; } > "$TMP/got2"
    cmp -s "$TMP/got" "$TMP/got2" && ok "$name: the same again" \
        || { fail "$name: the second run differs"; diff "$TMP/got" "$TMP/got2" | sed 's/^/#   /'; }
    if [ "$kernel" = 1 ] && [ "$rc" = 1 ]; then
        grep -q '"inputs"' "$TMP/state-$name.json" && fail "$name: the state file vouches for the inputs" \
            || ok "$name: the state file vouches for no input"
    fi

    [ "$kernel" = 1 ] || continue
    if [ "$rc" = 2 ]; then
        save "$NS" "$TMP/k"
        grep -q -- '^-A ' "$TMP/k" && fail "$name: rules applied" || ok "$name: nothing applied"
        fresh; continue
    fi

    # the reference host: the units that failed have no file in it
    ref=$TMP/ref/$name
    mkdir -p "$TMP/ref"; rm -rf "$ref"; cp -r "$c" "$ref"
    overlay "${dir%/}/reference" "$ref"
    sed -n 's/^virt-firewall reconnect: failed: \(interface\|network\)\/\([^:]*\): .*/\1 \2/p' "$TMP/case-err" |
    while read -r kind unit; do
        case $kind in
        interface) rm -rf "$ref/bindings/$unit.xml" ;;
        network) rm -rf "$ref/network/$unit.xml" ;;
        esac
    done

    refb="--backend restore"
    [ -f "$dir/reference-exec" ] && refb="--backend exec"
    fresh
    if [ -d "$dir/before" ]; then
        # the host as it was: both namespaces hold its rules
        old=$TMP/old/$name
        mkdir -p "$TMP/old"; rm -rf "$old"; cp -r "$c" "$old"
        overlay "${dir%/}/before" "$old"
        rm -f "$TMP/s1.json" "$TMP/s2.json"
        run "$old" --netns "$NS" --state-file "$TMP/s1.json" || fail "$name: the host before failed"
        run "$old" --netns "$NS-r" --state-file "$TMP/s2.json" $refb
        save "$NS" "$TMP/old.save"
        run "$c" --netns "$NS" --state-file "$TMP/s1.json"
        run "$ref" --netns "$NS-r" --state-file "$TMP/s2.json" $refb
        label="after the host before it"
    else
        run "$c" --netns "$NS" --state-file "$TMP/s1.json"
        run "$ref" --netns "$NS-r" --state-file "$TMP/s2.json" $refb
        label="on empty tables"
    fi
    save "$NS" "$TMP/k"; save "$NS-r" "$TMP/kr"
    if cmp -s "$TMP/k" "$TMP/kr"; then
        ok "$name: $label, the kernel equals the reference host's (${refb#--backend })"
    else
        fail "$name: $label, the kernel differs from the reference host's"
        diff "$TMP/kr" "$TMP/k" | head -20 | sed 's/^/#   /'
    fi
    if [ -d "$dir/before" ]; then
        # the failed units' rules are the old ones, and they were there
        for u in $(sed -n 's/^virt-firewall reconnect: failed: interface\/\([^:]*\): .*/\1/p' "$TMP/case-err"); do
            grep -E -- "(^|[- ])$u([- ]|\$)" "$TMP/old.save" > "$TMP/u-old"
            grep -E -- "(^|[- ])$u([- ]|\$)" "$TMP/k" > "$TMP/u-new"
            [ -s "$TMP/u-old" ] && cmp -s "$TMP/u-old" "$TMP/u-new" \
                && ok "$name: $u keeps its old rules" || fail "$name: $u's old rules changed"
        done
    fi
    fresh
done
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
