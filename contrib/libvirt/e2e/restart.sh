#!/bin/bash
# restart.sh FILTER [N]: libvirtd's start and restart with N bindings of
# FILTER in its status directory, "iptables-restore" against "iptables":
#   - both leave the same tables (modulo libvirt's own run-to-run order of
#     the per-interface jumps), after a start from empty tables and after
#     a restart with the rules in place;
#   - "iptables-restore" is really used (libvirtd says so) and a restart
#     costs at most MAXPROCS firewall processes: the probe of the restore
#     tools (3), one *-save per layer (3: libvirt's programs touch all of
#     them) and one restore per layer whose tables change (the
#     per-interface jumps come back in another order, so every layer the
#     filter writes to is written again).
# FILTER: clean-traffic (ebtables only: 3 + 3 + 1 = 7, MAXPROCS 8) or
# vf-bench-l3 (bench/nwfilter: iptables and ip6tables too: 3 + 3 + 3 = 9).
. "$(dirname "$0")/lib.sh"

FILTER=${1:?usage: $0 FILTER [N [MAXPROCS]]}
N=${2:-10}
MAX_RESTART_PROCS=${3:-8}

e2e_init "restart-$FILTER"

case "$FILTER" in
    clean-traffic) ;;
    *) define_filter "$E2E_DIR/../../../bench/nwfilter/$FILTER.xml" ;;
esac
make_taps 0 $((N - 1))
status_bindings 0 $((N - 1)) "$FILTER" 'IP=10.0.%hi.%lo'

run_backend() {   # run_backend BACKEND TAG
    local backend=$1 tag=$2 procs
    set_backend "$backend"
    start_daemon "$tag-start" || fail "libvirtd failed to start: $(tail -n 3 "$WORK/$tag-start.out")"
    [ "$(grep -c vnet "$WORK/bl.txt")" = "$N" ] || fail "$tag: libvirtd lists $(grep -c vnet "$WORK/bl.txt") bindings, not $N"
    dump_rules "$tag-start"
    log "$backend: start from empty tables ready in ${T_READY}s, $(fw_procs "$DAEMON_LOG") firewall processes, rules $(count_rules "$tag-start")"

    restart_daemon "$tag-restart"
    dump_rules "$tag-restart"
    procs=$(fw_procs "$DAEMON_LOG")
    log "$backend: restart ready in ${T_READY}s, $procs firewall processes"
    RESTART_PROCS=$procs
    same_rules "$tag-start" "$tag-restart" || fail "$backend: a restart changed the tables"
}

run_backend iptables-restore restore
assert_log 'Applying firewall rules with virt-firewall engine'
assert_log "Applied $N firewall program\\(s\\)"
[ "$RESTART_PROCS" -le "$MAX_RESTART_PROCS" ] ||
    fail "a restart with iptables-restore ran $RESTART_PROCS firewall processes (at most $MAX_RESTART_PROCS)"

stop_daemon
flush_rules
run_backend iptables exec
[ "$RESTART_PROCS" -gt $((N * 10)) ] ||
    fail "iptables backend: only $RESTART_PROCS firewall processes, was the rule-by-rule path used?"

same_rules restore-start exec-start || fail "iptables-restore and iptables differ after a start from empty tables"
same_rules restore-restart exec-restart || fail "iptables-restore and iptables differ after a restart"
log "PASS: $N bindings of $FILTER, the same tables with both backends"
