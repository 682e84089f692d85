#!/bin/bash
# fallback.sh: "iptables-restore" configured, but libvirtd's PATH holds
# no restore tools: libvirtd warns and applies the rules one process per
# rule, leaving the tables the engine would have left.
. "$(dirname "$0")/lib.sh"

N=3
e2e_init fallback
[ ! -e /usr/bin/iptables-restore ] || skip "/usr/bin/iptables-restore exists: cannot hide the restore tools with PATH"
make_taps 0 $((N - 1))
status_bindings 0 $((N - 1)) clean-traffic 'IP=10.0.%hi.%lo'

set_backend iptables-restore
start_daemon hidden PATH=/usr/bin:/bin || fail "libvirtd failed to start: $(tail -n 3 "$WORK/hidden.out")"
assert_log "warning : .*firewall_backend 'iptables-restore' in .*network\\.conf cannot be used .*using 'iptables'"
[ "$(restore_procs "$DAEMON_LOG")" = 0 ] || fail "a restore tool ran although none is in PATH"
procs=$(fw_procs "$DAEMON_LOG")
[ "$procs" -gt $((N * 50)) ] || fail "only $procs firewall processes: were the rules applied one by one?"
dump_rules hidden
log "tools hidden: $procs firewall processes, rules $(count_rules hidden)"
stop_daemon

flush_rules
start_daemon found || fail "libvirtd failed to start: $(tail -n 3 "$WORK/found.out")"
assert_log 'Applying firewall rules with virt-firewall engine'
dump_rules found
same_rules hidden found || fail "the rule-by-rule fallback left other tables than the engine"
log "PASS: the fallback applies the rules rule by rule"
