#!/bin/sh
# Fault injection for the restore backend (docs/reliability.md): for each
# fault, the faulty `reconnect` must fail with a message naming the cause,
# lose no foreign rule, and the NEXT `reconnect` must converge to exactly the
# kernel state a clean reference namespace got from the same reconnect.
#   test-fault.sh VIRT_FIREWALL SRCDIR
# Needs root; works only in network namespaces it creates (vf-fault-PID-*),
# deleted on exit. Faults are injected by tests/fault/fault-tool.sh, put first
# in PATH under the tools' names; it refuses to run in this namespace.
set -u
VF=$1
SRC=$(cd "$2" && pwd)
HOST=$SRC/tests/cli/host

. "$SRC/tests/fault/lib.sh"

# PATH without ebtables-restore, and one without iptables-save (fault 5)
for miss in ebtables-restore iptables-save; do
    mkdir -p "$TMP/no-$miss"
    for t in ebtables-save ebtables-restore iptables-save iptables-restore ip6tables-save ip6tables-restore; do
        [ "$t" = "$miss" ] || ln -s "$SRC/tests/fault/fault-tool.sh" "$TMP/no-$miss/$t"
    done
done
DIRS="--nwfilter-dir $HOST/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir $HOST/bindings --network-dir $HOST/network --config $HOST/network.conf"
LEGACY="VF_FAULT_LEGACY=1 XTABLES_LOCKFILE=$TMP/xtables.lock"

# --- references: the same reconnect without faults (nft and legacy iptables)
newns ref; REFNS=$NS
seed "$REFNS"
vf reconnect "$REFNS" "$TMP/ref.state"
expect_rc 0 "reference reconnect (nft)"
snap "$REFNS" "$TMP/REF"
grep -q 'libvirt-I-vnet0' "$TMP/REF" && grep -q LIBVIRT_FWO "$TMP/REF" \
    && ok "reference has interface and network rules" || fail "reference is missing rules"
grep -E -c "$FOREIGN_RE" "$TMP/REF" | grep -qx 8 && ok "reference kept the 8 foreign rules" \
    || { fail "reference lost foreign rules"; grep -E "$FOREIGN_RE" "$TMP/REF" | show; }

newns refl; REFLNS=$NS
seed "$REFLNS" $LEGACY
vf reconnect "$REFLNS" "$TMP/refl.state" $LEGACY
expect_rc 0 "reference reconnect (legacy iptables)"
snap "$REFLNS" "$TMP/REFL" $LEGACY
nsx "$REFLNS" iptables-legacy-save | grep -q LIBVIRT_FWO && ok "legacy reference is in the legacy tables" \
    || fail "legacy reference: no LIBVIRT_FWO in iptables-legacy-save"
if nsx "$REFLNS" iptables-nft-save 2>/dev/null | grep -q LIBVIRT; then fail "legacy reference wrote nft tables"; fi

# --- fault 1: a restore fails in the middle of a pass
# 1a: the second restore of the difference (iptables) refuses a line once
# (exit 1) after the first (ebtables) was committed: ebtables put back, the
# batch replayed step by step, applied in the same run
newns f1a
seed "$NS"
vf reconnect "$NS" "$TMP/f1a.state" VF_FAULT_AT=2 VF_FAULT_MODE=fail1
expect_rc 0 "1a a restore of the difference refuses a line once: applied after a retry"
[ "$(json_field retries)" -ge 1 ] 2>/dev/null \
    && ok "1a the summary counts the retry" || fail "1a no retry counted"
snap "$NS" "$TMP/s"
same "1a the same run converged" "$TMP/s" "$TMP/REF"
foreign_kept "1a no foreign rule lost" "$TMP/s" "$TMP/REF"
converge "1a" "$NS" "$TMP/f1a.state" "$TMP/REF"

# 1a': a line ebtables-restore refuses every time (vnet0's -N, in the
# difference and in the replay): only vnet0 fails, named with the tool's
# message, table and line; the rest is applied
newns f1ap
seed "$NS"
vf reconnect "$NS" "$TMP/f1ap.state" VF_FAULT_TOOLS=ebtables-restore VF_FAULT_MODE=fail1 \
    VF_FAULT_MATCH='^-N libvirt-[IJ]-vnet0$'
expect_rc 1 "1a' a line refused every time: its program fails"
expect_err "1a' the error names the interface" "interface/vnet0"
expect_err "1a' the error quotes the tool's message" "Injected failure"
expect_err "1a' the error names tool, table and line" "ebtables-restore, table nat, line [0-9]+"
snap "$NS" "$TMP/s"
foreign_kept "1a' no foreign rule lost" "$TMP/s" "$TMP/REF"
grep -q 'libvirt-I-vnet1' "$TMP/s" && ok "1a' the other interfaces were applied" \
    || fail "1a' vnet1 missing after vnet0 failed"
if grep -q 'vnet0' "$TMP/s"; then fail "1a' vnet0 left rules after its rollback"; else ok "1a' vnet0 rolled back"; fi
converge "1a'" "$NS" "$TMP/f1ap.state" "$TMP/REF"

# 1b: the kernel rejects pass 1's second iptables table once (exit 4) after
# the first (filter) was committed
newns f1b
seed "$NS"
vf reconnect "$NS" "$TMP/f1b.state" VF_FAULT_TOOLS=iptables-restore VF_FAULT_AT=2 VF_FAULT_MODE=fail4 VF_FAULT_LINE=2
note 1b
expect_rc 0 "1b iptables-restore exit 4 once in pass 1: applied after a retry"
snap "$NS" "$TMP/s"
same "1b the same run converged" "$TMP/s" "$TMP/REF"
foreign_kept "1b no foreign rule lost" "$TMP/s" "$TMP/REF"
converge "1b" "$NS" "$TMP/f1b.state" "$TMP/REF"

# 1b': the kernel rejects one of vnet2's iptables lines every time
newns f1bp
seed "$NS"
vf reconnect "$NS" "$TMP/f1bp.state" VF_FAULT_TOOLS=iptables-restore VF_FAULT_MODE=fail4 \
    VF_FAULT_MATCH='^-N F[IJ]-vnet2$'
expect_rc 1 "1b' a line the kernel rejects every time: its program fails"
expect_err "1b' the error quotes the kernel's message" "RULE_APPEND failed"
expect_err "1b' the error names tool and line" "iptables-restore, table [a-z]+, line [0-9]+"
snap "$NS" "$TMP/s"
foreign_kept "1b' no foreign rule lost" "$TMP/s" "$TMP/REF"
converge "1b'" "$NS" "$TMP/f1bp.state" "$TMP/REF"

# 1c: a restore dies without naming a line (once): the script is bisected
newns f1c
seed "$NS"
vf reconnect "$NS" "$TMP/f1c.state" VF_FAULT_TOOLS=ip6tables-restore VF_FAULT_AT=1 VF_FAULT_MODE=crash
note "1c (exit $rc)"
case $rc in 0|1) ok "1c a crash naming no line: exit $rc (0: not blamed on a program, 1: blamed)" ;;
*) fail "1c crash: exit $rc"; show "$TMP/err" ;; esac
snap "$NS" "$TMP/s"
foreign_kept "1c no foreign rule lost" "$TMP/s" "$TMP/REF"
converge "1c" "$NS" "$TMP/f1c.state" "$TMP/REF"

# --- fault 2: virt-firewall killed (SIGKILL) in the middle of an apply
# 2a: right after the first restore of pass 1, no state file yet
newns f2a
seed "$NS"
vf reconnect "$NS" "$TMP/f2a.state" VF_FAULT_TOOLS=iptables-restore VF_FAULT_AT=1 VF_FAULT_MODE=kill
expect_rc 137 "2a killed after pass 1's first restore"
[ ! -e "$TMP/f2a.state" ] && ok "2a no state file written" || fail "2a a state file was written"
snap "$NS" "$TMP/s"
foreign_kept "2a no foreign rule lost" "$TMP/s" "$TMP/REF"
converge "2a" "$NS" "$TMP/f2a.state" "$TMP/REF"

# 2b: a good state file exists, the kernel drifted (an ebtables hook and an
# iptables chain), and the repairing reconnect is killed after its ebtables
# restore. Its reference is a namespace with the same history and no kill
# (the repaired jump goes to the end).
damage() {
    nsx "$1" ebtables -t nat -D PREROUTING -i vnet0 -j libvirt-I-vnet0 &&
    nsx "$1" iptables -w -F LIBVIRT_FWO || fail "2b damage"
}
newns f2b-ref
seed "$NS"
vf reconnect "$NS" "$TMP/f2b-ref.state"
damage "$NS"
vf reconnect "$NS" "$TMP/f2b-ref.state"
expect_rc 0 "2b reference: damage repaired without faults"
snap "$NS" "$TMP/REF2B"
newns f2b
seed "$NS"
vf reconnect "$NS" "$TMP/f2b.state"
expect_rc 0 "2b first reconnect"
damage "$NS"
cp "$TMP/f2b.state" "$TMP/f2b.before"
vf reconnect "$NS" "$TMP/f2b.state" VF_FAULT_TOOLS=ebtables-restore VF_FAULT_AT=1 VF_FAULT_MODE=kill
expect_rc 137 "2b killed between the ebtables and the iptables restore"
cmp -s "$TMP/f2b.state" "$TMP/f2b.before" && ok "2b state file untouched by the killed run" \
    || fail "2b the killed run changed the state file"
vf verify "$NS" "$TMP/f2b.state"
expect_rc 3 "2b verify reports the part not yet repaired as drift"
# verify --json: one object on stdout, a status per unit
python3 -c 'import json, sys
units = json.load(open(sys.argv[1]))["units"]
sys.exit(0 if [u for u in units if u["name"] == "networks" and u["status"] == "drift"] else 1)' \
    "$TMP/out" && ok "2b drift names the networks" || { fail "2b drift report"; show "$TMP/out"; }
snap "$NS" "$TMP/s"
foreign_kept "2b no foreign rule lost" "$TMP/s" "$TMP/REF"
converge "2b" "$NS" "$TMP/f2b.state" "$TMP/REF2B"

# 2c: a first build of all interfaces killed between pass 1 and pass 2 of
# the replay (every temporary chain built, none renamed)
newns f2c
seed "$NS"
VF_ARGS=--replay
vf reconnect "$NS" "$TMP/f2c.state" VF_FAULT_TOOLS=ebtables-restore VF_FAULT_AT=1 VF_FAULT_MODE=kill
VF_ARGS=
expect_rc 137 "2c killed between pass 1 and pass 2 of a replayed first build"
snap "$NS" "$TMP/s"
foreign_kept "2c no foreign rule lost" "$TMP/s" "$TMP/REF"
converge "2c" "$NS" "$TMP/f2c.state" "$TMP/REF"

# hold_lock SECONDS: a background process holding the legacy lock; its pid
# ($!) is the holder itself, so killing it releases the lock
HOLD_LOCK="sh $TMP/hold-lock"
cat > "$TMP/hold-lock" <<EOF
exec 9>>"$TMP/xtables.lock" </dev/null >/dev/null 2>&1
flock 9 && exec sleep "\$1"
EOF
hold_lock() { $HOLD_LOCK "$1" & BGPIDS="$BGPIDS $!"; sleep 0.3; }

# --- fault 3: the xtables lock held by another process (legacy iptables)
# -w 10 is what virt-firewall passes; the wrapper makes it -w 1 (4 tries:
# ~4 s instead of ~42 s). The lock file is private to this test.
: > "$TMP/xtables.lock"
newns f3
seed "$NS" $LEGACY
snap "$NS" "$TMP/pre" $LEGACY
hold_lock 300; holder=$!
t0=$(date +%s)
vf reconnect "$NS" "$TMP/f3.state" $LEGACY VF_FAULT_WAIT=1
t1=$(date +%s)
note 3
expect_rc 4 "3 lock held: the batch fails"
expect_err "3 the error names the lock" "xtables lock is held by another process"
expect_err "3 the error says it retried" "gave up after [0-9]+ tries"
[ $((t1 - t0)) -ge 3 ] && ok "3 it waited and retried ($((t1 - t0)) s)" || fail "3 gave up after $((t1 - t0)) s"
grep -q -- '-w 1' "$TMP/fd/log" && grep -q 'iptables-restore -w' "$TMP/fd/log" && ok "3 restores ran with -w" || { fail "3 no -w"; show "$TMP/fd/log"; }
snap "$NS" "$TMP/s" $LEGACY
same "3 nothing was applied while the lock was held" "$TMP/s" "$TMP/pre"
kill "$holder"; wait "$holder" 2>/dev/null
converge "3" "$NS" "$TMP/f3.state" "$TMP/REFL" $LEGACY

# 3b: the lock is released while virt-firewall retries: it succeeds. The
# holder is killed just before the first iptables-restore's second try
# (not after a time: the first try must have met the lock)
newns f3b
seed "$NS" $LEGACY
hold_lock 300; holder=$!
vf reconnect "$NS" "$TMP/f3b.state" $LEGACY VF_FAULT_WAIT=1 VF_FAULT_TOOLS=iptables-restore \
    VF_FAULT_RACE_AT=2 VF_FAULT_RACE="kill $holder"
expect_rc 0 "3b lock released during the retries: reconnect succeeds"
[ "$(grep -c 'iptables-restore -w' "$TMP/fd/log")" -gt 3 ] && ok "3b some restore ran more than once" \
    || { fail "3b no retry seen"; show "$TMP/fd/log"; }
snap "$NS" "$TMP/s" $LEGACY
same "3b converged in one run" "$TMP/s" "$TMP/REFL"
wait "$holder" 2>/dev/null

# 3c: another process takes the lock after pass 1's first table committed:
# the batch fails, and putting that table back needs the lock too
newns f3c
seed "$NS" $LEGACY
vf reconnect "$NS" "$TMP/f3c.state" $LEGACY VF_FAULT_WAIT=1 VF_FAULT_TOOLS=iptables-restore \
    VF_FAULT_RACE_AT=2 VF_FAULT_RACE="$HOLD_LOCK 30 & echo \$! > $TMP/holder; sleep 0.3"
note 3c
expect_rc 4 "3c lock taken in the middle of pass 1: the batch fails"
expect_err "3c the error names the lock" "xtables lock"
kill "$(cat "$TMP/holder")" 2>/dev/null
snap "$NS" "$TMP/s" $LEGACY
foreign_kept "3c no foreign rule lost" "$TMP/s" "$TMP/REFL"
converge "3c" "$NS" "$TMP/f3c.state" "$TMP/REFL" $LEGACY

# --- fault 4: a foreign process changes the same tables during the apply
# 4a: appends to INPUT (v4, v6) and the ebtables nat PREROUTING while five
# full reconnects (no state: everything rebuilt, both passes) run
newns f4a
seed "$NS"
N4=40
(
    k=1
    while [ $k -le $N4 ]; do
        nsx "$NS" iptables -w -A INPUT -s 10.99.2.$k -j ACCEPT
        nsx "$NS" ip6tables -w -A INPUT -s fd00:99:2::$k -j ACCEPT
        nsx "$NS" ebtables -t nat -A PREROUTING -i f$k -j ACCEPT
        k=$((k + 1))
    done
) > "$TMP/loop.out" 2>&1 & loop=$!
BGPIDS="$BGPIDS $loop"
i=0 bad=0
while [ $i -lt 5 ]; do
    rm -f "$TMP/f4a.state"
    vf reconnect "$NS" "$TMP/f4a.state"
    [ "$rc" = 0 ] || { bad=1; echo "# run $i: exit $rc"; show "$TMP/err"; }
    i=$((i + 1))
done
wait "$loop"
[ $bad = 0 ] && ok "4a five reconnects during foreign changes succeed" || fail "4a a reconnect failed"
[ -s "$TMP/loop.out" ] && { echo "# foreign loop said:"; show "$TMP/loop.out"; }
snap "$NS" "$TMP/s"
lost=
k=1
while [ $k -le $N4 ]; do
    grep -q -- "-s 10.99.2.$k/32 -j ACCEPT" "$TMP/s" || lost="$lost v4:$k"
    grep -q -- "-s fd00:99:2::$k/128 -j ACCEPT" "$TMP/s" || lost="$lost v6:$k"
    grep -q -- "-i f$k -j ACCEPT" "$TMP/s" || lost="$lost eb:$k"
    k=$((k + 1))
done
[ -z "$lost" ] && ok "4a all $((3 * N4)) rules added concurrently are there" || fail "4a lost:$lost"
grep -vE -- '10\.99\.2\.|fd00:99:2::|-i f[0-9]+ ' "$TMP/s" > "$TMP/s.own"
same "4a apart from them the kernel equals the reference" "$TMP/s.own" "$TMP/REF"
vf verify "$NS" "$TMP/f4a.state"
expect_rc 0 "4a verify is clean"

# 4b: a foreign rule is appended to the ebtables nat PREROUTING between the
# snapshot and the ebtables restore, and the next restore (iptables) then
# fails once: putting ebtables back must not take the foreign rule with it,
# and the replay, planned from a fresh snapshot, must converge around it
newns f4b
seed "$NS"
vf reconnect "$NS" "$TMP/f4b.state" VF_FAULT_AT=2 VF_FAULT_MODE=fail1 \
    VF_FAULT_RACE_AT=1 VF_FAULT_RACE="ebtables -t nat -A PREROUTING -i frace -j ACCEPT"
expect_rc 0 "4b a restore fails once after a foreign change: applied after a retry"
snap "$NS" "$TMP/s"
grep -q -- '-i frace -j ACCEPT' "$TMP/s" && ok "4b the foreign rule survived the revert" \
    || fail "4b the revert deleted the foreign rule (-A PREROUTING -i frace -j ACCEPT)"
foreign_kept "4b no seeded foreign rule lost" "$TMP/s" "$TMP/REF"
grep -v -- '-i frace ' "$TMP/s" > "$TMP/s.own"
same "4b the same run converged (apart from the foreign rule)" "$TMP/s.own" "$TMP/REF"
vf reconnect "$NS" "$TMP/f4b.state"
expect_rc 0 "4b next reconnect succeeds"

# 4c: the same in the replay: pass 2 fails once, pass 1's revert must keep
# the foreign rule
newns f4c
seed "$NS"
VF_ARGS=--replay
vf reconnect "$NS" "$TMP/f4c.state" VF_FAULT_TOOLS=ebtables-restore VF_FAULT_AT=2 VF_FAULT_MODE=fail1 \
    VF_FAULT_RACE_AT=1 VF_FAULT_RACE="ebtables -t nat -A PREROUTING -i frace -j ACCEPT"
VF_ARGS=
expect_rc 0 "4c replay: pass 2 fails once after a foreign change: applied after a retry"
snap "$NS" "$TMP/s"
grep -q -- '-i frace -j ACCEPT' "$TMP/s" && ok "4c the foreign rule survived the revert" \
    || fail "4c the revert deleted the foreign rule (-A PREROUTING -i frace -j ACCEPT)"
grep -v -- '-i frace ' "$TMP/s" > "$TMP/s.own"
same "4c the same run converged (apart from the foreign rule)" "$TMP/s.own" "$TMP/REF"

# 4d: a foreign rule is inserted at the top of PREROUTING between the
# snapshot and the restore that tears vnet1 down: the delete of vnet1's hook
# must not shift onto its neighbour
newns f4d
seed "$NS"
vf reconnect "$NS" "$TMP/f4d.state"
expect_rc 0 "4d reconnect"
VF_ARGS=vnet1
vf teardown "$NS" "$TMP/f4d.state" VF_FAULT_TOOLS=ebtables-restore \
    VF_FAULT_RACE_AT=1 VF_FAULT_RACE="ebtables -t nat -I PREROUTING 1 -i frace -j ACCEPT"
VF_ARGS=
expect_rc 0 "4d teardown vnet1 with a foreign insert before its restore"
snap "$NS" "$TMP/s"
grep -q -- '-i frace -j ACCEPT' "$TMP/s" && ok "4d the foreign rule is there" \
    || fail "4d the foreign rule is gone"
if grep -q -- 'vnet1' "$TMP/s"; then fail "4d vnet1 left rules"; else ok "4d vnet1 torn down"; fi
grep -q -- '-A PREROUTING -i vnet0 -j libvirt-I-vnet0' "$TMP/s" && \
    grep -q -- '-A PREROUTING -i vnet2 -j libvirt-I-vnet2' "$TMP/s" \
    && ok "4d the neighbours' hooks stayed" || { fail "4d a neighbour's hook was deleted"; grep PREROUTING "$TMP/s" | show; }

# 4e: a VM start whose ebtables-restore refuses once: the retry's result is
# recorded, and no temporary file stays behind (through this wrapper the
# tools are no nft binaries, so no generation id and no record is written
# while the tool runs; test-firewall-write checks that a refused difference
# hands over no result)
newns f4e
seed "$NS"
vf reconnect "$NS" "$TMP/f4e.state"
expect_rc 0 "4e reconnect"
VF_ARGS=vnet1
vf teardown "$NS" "$TMP/f4e.state"
expect_rc 0 "4e teardown vnet1"
vf apply "$NS" "$TMP/f4e.state" VF_FAULT_TOOLS=ebtables-restore VF_FAULT_AT=1 VF_FAULT_MODE=fail1
VF_ARGS=
expect_rc 0 "4e apply vnet1: refused once, applied on the retry"
[ "$(json_field retries)" = 1 ] && ok "4e one retry" || fail "4e retries=$(json_field retries)"
vf verify "$NS" "$TMP/f4e.state"
expect_rc 0 "4e verify: the state file is the kernel's"
left=$(ls "$TMP" | grep -E '^f4e\.state\.(kernel\.)?[A-Za-z0-9]{6}$' | grep -vx 'f4e.state.kernel')
[ -z "$left" ] && ok "4e no temporary file left" || fail "4e temporary files left: $left"
snap "$NS" "$TMP/s"
same_canon "4e the same as the reference (root-chain jump order aside)" "$TMP/s" "$TMP/REF"

# --- fault 5: a restore or save binary missing from PATH
newns f5
seed "$NS"
snap "$NS" "$TMP/pre"
rm -rf "$TMP/fd"; mkdir -p "$TMP/fd"
env PATH="$TMP/no-ebtables-restore:$BASEPATH" VF_FAULT_DIR="$TMP/fd" \
    "$VF" reconnect $DIRS --netns "$NS" --state-file "$TMP/f5.state" --json >"$TMP/out" 2>"$TMP/err"
rc=$?
note 5a
expect_rc 4 "5a ebtables-restore missing: the batch fails"
expect_err "5a the error names the missing tool" 'ebtables-restore.*(No such file|not found)'
snap "$NS" "$TMP/s"
same "5a the committed iptables tables were put back" "$TMP/s" "$TMP/pre"
[ ! -e "$TMP/f5.state" ] && ok "5a no state file written" || fail "5a a state file was written"
converge "5a" "$NS" "$TMP/f5.state" "$TMP/REF"

newns f5b
seed "$NS"
snap "$NS" "$TMP/pre"
env PATH="$TMP/no-iptables-save:$BASEPATH" VF_FAULT_DIR="$TMP/fd" \
    "$VF" reconnect $DIRS --netns "$NS" --state-file "$TMP/f5b.state" --json >"$TMP/out" 2>"$TMP/err"
rc=$?
note 5b
expect_rc 4 "5b iptables-save missing: the batch fails"
expect_err "5b the error names the missing tool" 'iptables-save.*(No such file|not found)'
snap "$NS" "$TMP/s"
same "5b nothing was changed" "$TMP/s" "$TMP/pre"
converge "5b" "$NS" "$TMP/f5b.state" "$TMP/REF"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
