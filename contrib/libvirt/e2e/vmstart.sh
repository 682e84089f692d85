#!/bin/bash
# vmstart.sh [N]: a guest start and stop beside N others, through
# 'virsh nwfilter-binding-create' and '-delete' (what the qemu driver
# calls), with "iptables-restore" and with "iptables":
#   - the same tables after the create, with both backends;
#   - after the delete, the tables are those before the create;
#   - with "iptables-restore" a create is one engine apply (new rules and
#     the removal of old ones as one unit; at most 4 firewall processes:
#     3 *-save and a restore, 1 when the engine's kept tables are
#     current), a delete too.
. "$(dirname "$0")/lib.sh"

N=${1:-10}
MAX_PROCS=4

e2e_init vmstart
make_taps 0 "$N"
status_bindings 0 $((N - 1)) clean-traffic 'IP=10.0.%hi.%lo'
binding_xml "$N" clean-traffic 'IP=10.0.%hi.%lo' >"$WORK/new.xml"

run_backend() {   # run_backend BACKEND TAG
    local backend=$1 tag=$2 before after t0 t1
    set_backend "$backend"
    start_daemon "$tag" || fail "libvirtd failed to start: $(tail -n 3 "$WORK/$tag.out")"
    dump_rules "$tag-before"

    copy_log
    before=$(fw_procs "$DAEMON_LOG")
    from=$(($(wc -l <"$DAEMON_LOG") + 1))
    t0=$(date +%s%N)
    vsh nwfilter-binding-create "$WORK/new.xml" >/dev/null || fail "$backend: nwfilter-binding-create failed"
    t1=$(date +%s%N)
    copy_log
    after=$(fw_procs "$DAEMON_LOG")
    CREATE_PROCS=$((after - before))
    CREATE_APPLIES=$(tail -n +"$from" "$DAEMON_LOG" | grep -cE 'Applying [0-9]+ firewall program' || true)
    dump_rules "$tag-created"
    log "$backend: binding-create in $(( (t1 - t0) / 1000000 )) ms, $CREATE_PROCS firewall processes"

    before=$after
    t0=$(date +%s%N)
    vsh nwfilter-binding-delete "vnet$N" >/dev/null || fail "$backend: nwfilter-binding-delete failed"
    t1=$(date +%s%N)
    copy_log
    DELETE_PROCS=$(( $(fw_procs "$DAEMON_LOG") - before ))
    dump_rules "$tag-deleted"
    log "$backend: binding-delete in $(( (t1 - t0) / 1000000 )) ms, $DELETE_PROCS firewall processes"

    same_rules "$tag-before" "$tag-deleted" || fail "$backend: delete did not put back the tables of before the create"
    stop_daemon
}

run_backend iptables-restore restore
[ "$CREATE_PROCS" -le "$MAX_PROCS" ] || fail "create: $CREATE_PROCS firewall processes with iptables-restore (at most $MAX_PROCS)"
[ "$DELETE_PROCS" -le "$MAX_PROCS" ] || fail "delete: $DELETE_PROCS firewall processes with iptables-restore (at most $MAX_PROCS)"
[ "$CREATE_APPLIES" = 1 ] || fail "create: $CREATE_APPLIES engine applies, not one"
grep -q "vnet$N" "$WORK/rules/restore-created.ebtables-save" || fail "no rules for vnet$N after the create"

flush_rules
run_backend iptables exec
[ "$CREATE_PROCS" -gt 20 ] || fail "iptables backend: only $CREATE_PROCS processes for a create"

same_rules restore-created exec-created || fail "iptables-restore and iptables differ after the create"
same_rules restore-deleted exec-deleted || fail "iptables-restore and iptables differ after the delete"
log "PASS: guest start and stop beside $N others"
