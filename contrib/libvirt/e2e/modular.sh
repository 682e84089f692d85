#!/bin/bash
# modular.sh: virtnwfilterd, the nwfilter driver without the network
# driver, reads firewall_backend from network.conf itself: with
# "iptables-restore" it applies the bindings through the engine, and
# leaves the tables libvirtd leaves with "iptables".
. "$(dirname "$0")/lib.sh"

N=3
e2e_init modular
make_taps 0 $((N - 1))
status_bindings 0 $((N - 1)) clean-traffic 'IP=10.0.%hi.%lo'

DAEMON=$PREFIX/sbin/virtnwfilterd
[ -x "$DAEMON" ] || skip "$DAEMON missing"
set_backend iptables-restore
start_daemon virtnwfilterd || fail "virtnwfilterd failed to start: $(tail -n 3 "$WORK/virtnwfilterd.out")"
assert_log 'Applying firewall rules with virt-firewall engine'
assert_log "Applied $N firewall program\\(s\\)"
dump_rules virtnwfilterd
stop_daemon

DAEMON=$LIBVIRTD
flush_rules
set_backend iptables
start_daemon libvirtd || fail "libvirtd failed to start: $(tail -n 3 "$WORK/libvirtd.out")"
dump_rules libvirtd
same_rules virtnwfilterd libvirtd || fail "virtnwfilterd with iptables-restore and libvirtd with iptables differ"
log "PASS: virtnwfilterd reads firewall_backend"
