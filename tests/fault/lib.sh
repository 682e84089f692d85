# Shared by the fault tests (test-fault.sh, test-fault-large.sh): network
# namespaces of their own, the fault tool first in PATH, foreign rules, the
# kernel's state as *-save prints it, and the checks. Sourced after VF and
# SRC are set; the caller sets DIRS (the host virt-firewall reads) before
# its first vf call. Skips (exit 77) unless root.
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: ${0##*/} needs root (it creates network namespaces and changes their firewall)"
    exit 77
fi
for t in ip flock ebtables-restore iptables-legacy-restore; do
    if ! command -v "$t" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$t" ]; then
        echo "SKIP: $t is missing"; exit 77
    fi
done

TMP=$(mktemp -d /tmp/vf-fault.XXXXXX)
PFX=${PFX:-vf-fault-$$}
NSLIST=
BGPIDS=
HOSTNS=$(readlink /proc/self/ns/net)
cleanup() {
    for p in $BGPIDS; do kill "$p" 2>/dev/null; done
    for p in $BGPIDS; do wait "$p" 2>/dev/null; done
    for n in $NSLIST; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

fails=0 passes=0
ok() { passes=$((passes + 1)); echo "ok - $1"; }
fail() { fails=$((fails + 1)); echo "not ok - $1"; }
show() { sed 's/^/#   /' "$@"; }

# The wrapper directory: every tool virt-firewall or this script runs.
WRAP=$TMP/wrap
mkdir -p "$WRAP" "$TMP/misc"
for t in ebtables ebtables-save ebtables-restore iptables iptables-save iptables-restore \
         ip6tables ip6tables-save ip6tables-restore; do
    ln -s "$SRC/tests/fault/fault-tool.sh" "$WRAP/$t"
done
BASEPATH=/usr/local/bin:/usr/bin:/bin
export VF_FAULT_HOSTNS="$HOSTNS"

newns() { # newns NAME -> $NS
    NS=$PFX-$1
    ip netns add "$NS" || { echo "Bail out! cannot create netns $NS"; exit 1; }
    NSLIST="$NSLIST $NS"
}
# nsx NS [VAR=VALUE...] CMD...: a tool inside the namespace, through the wrapper
nsx() {
    n=$1; shift
    ip netns exec "$n" env PATH="$WRAP:$BASEPATH:/usr/sbin:/sbin" VF_FAULT_DIR="$TMP/misc" "$@"
}
seed() { # seed NS [VAR=VALUE...]: foreign rules that every run must keep
    n=$1; shift
    nsx "$n" "$@" iptables -w -A INPUT -s 10.99.1.1 -j ACCEPT &&
    nsx "$n" "$@" iptables -w -N FOREIGN &&
    nsx "$n" "$@" iptables -w -A FOREIGN -j RETURN &&
    nsx "$n" "$@" iptables -w -A FORWARD -j FOREIGN &&
    nsx "$n" "$@" iptables -w -t nat -A POSTROUTING -s 10.98.0.0/16 -j MASQUERADE &&
    nsx "$n" "$@" ip6tables -w -A INPUT -s fd00:99::1 -j ACCEPT &&
    nsx "$n" ebtables -t nat -A PREROUTING -i foreign0 -j ACCEPT &&
    nsx "$n" ebtables -t filter -A FORWARD -i foreign0 -j ACCEPT ||
        { echo "Bail out! cannot seed foreign rules in $n"; exit 1; }
}
FOREIGN_RE='10\.99\.1\.1/32|10\.98\.0\.0/16|fd00:99::1/128|foreign0|FOREIGN'
# snap NS OUT [VAR=VALUE...]: the three *-save outputs, comments cut, and
# tables that hold nothing (only builtin chains, policy ACCEPT, no rule) left
# out: a restore creates a table it names, and a revert cannot remove it
snap() {
    n=$1 out=$2; shift 2
    for t in ebtables-save iptables-save ip6tables-save; do
        echo "## $t"
        nsx "$n" "$@" $t | grep -v '^#' | awk '
            function flush() { if (buf != "" && !empty) printf "%s", buf; buf = "" }
            /^\*/ { flush(); empty = 1 }
            { buf = buf $0 "\n" }
            /^-/ || (/^:/ && ($2 != "ACCEPT" || $1 !~ /^:[A-Z]+$/)) { empty = 0 }
            /^COMMIT/ { flush() }
            END { flush() }'
    done > "$out"
}
same() { # same NAME SNAPSHOT REFERENCE
    if cmp -s "$2" "$3"; then ok "$1"; else fail "$1"; diff "$3" "$2" | head -30 | show; fi
}
# canon FILE: the per-interface jumps in root chains sorted, as the oracle's
# canon() does: their order is the order interfaces were (re)built, which a
# failure changes (libvirt itself reorders them at every restart)
canon() {
    awk '/^-A (PREROUTING|POSTROUTING|INPUT|FORWARD|OUTPUT|libvirt-in|libvirt-out|libvirt-in-post|libvirt-host-in) /{r[++n]=$0; next} {print}
         END{fflush(); c = "LC_ALL=C sort"; for (i = 1; i <= n; i++) print r[i] | c; close(c)}' "$1"
}
same_canon() { # same_canon NAME SNAPSHOT REFERENCE
    canon "$2" > "$TMP/canon.now"; canon "$3" > "$TMP/canon.ref"
    same "$1" "$TMP/canon.now" "$TMP/canon.ref"
}
foreign_kept() { # foreign_kept NAME SNAPSHOT REFERENCE
    grep -E "$FOREIGN_RE" "$3" > "$TMP/fr.ref"; grep -E "$FOREIGN_RE" "$2" > "$TMP/fr.now"
    if cmp -s "$TMP/fr.now" "$TMP/fr.ref"; then ok "$1"; else fail "$1"; diff "$TMP/fr.ref" "$TMP/fr.now" | show; fi
}
# vf CMD NS STATE [VAR=VALUE...]: virt-firewall CMD, output in $TMP/out, $TMP/err, $rc
VF_ARGS=   # extra options for the next vf call
TOOLS=$WRAP   # where vf finds the tools: the fault tool, or /usr/sbin (the real ones)
vf() {
    cmd=$1 n=$2 st=$3; shift 3
    rm -rf "$TMP/fd"; mkdir -p "$TMP/fd"
    env PATH="$TOOLS:$BASEPATH" VF_FAULT_DIR="$TMP/fd" "$@" \
        "$VF" "$cmd" $DIRS $VF_ARGS --netns "$n" --state-file "$st" --json >"$TMP/out" 2>"$TMP/err"
    rc=$?
}
expect_rc() { # expect_rc WANT NAME (after vf)
    if [ "$rc" = "$1" ]; then ok "$2 (exit $rc)"; else fail "$2: exit $rc, wanted $1"; show "$TMP/err"; fi
}
expect_err() { # expect_err NAME REGEX (after vf)
    if grep -qE -- "$2" "$TMP/err"; then ok "$1"; else fail "$1: no /$2/ in:"; show "$TMP/err"; fi
}
note() { grep -v '^{' "$TMP/err" | head -3 | sed "s/^/# $1 said: /"; }
# json_field NAME: a number of the --json summary on stdout (docs/json.md):
# counts.NAME (the units of a status), else the member NAME
json_field() {
    python3 -c 'import json, sys
try:
    d = json.load(open(sys.argv[2]))
except (OSError, ValueError):
    sys.exit(0)
v = d.get("counts", {}).get(sys.argv[1], d.get(sys.argv[1]))
print("" if v is None else v)' "$1" "$TMP/out"
}
# converge NAME NS STATE REFERENCE [VAR=VALUE...]: the next clean reconnect
# repairs everything, and verify agrees
converge() {
    name=$1 n=$2 st=$3 ref=$4; shift 4
    vf reconnect "$n" "$st" "$@"
    expect_rc 0 "$name: next reconnect succeeds"
    snap "$n" "$TMP/after" "$@"
    same_canon "$name: next reconnect converges to the reference (root-chain jump order aside)" "$TMP/after" "$ref"
    vf verify "$n" "$st" "$@"
    expect_rc 0 "$name: verify is clean afterwards"
}

