#!/bin/bash
# iplearning.sh: bindings without IP that learn it through DHCP snooping
# (CTRL_IP_LEARNING=dhcp, libpcap) beside bindings with IP, at daemon
# start: learning applies its rules at once even inside the start's
# batch. Both backends leave the same tables, with the DHCP-only rules
# of the learning interfaces.
. "$(dirname "$0")/lib.sh"

e2e_init iplearning
make_taps 0 3
# DHCP snooping listens on the interface (libpcap): it must be up, as a
# running guest's is
for i in 0 1 2 3; do sb ip link set "vnet$i" up; done
status_bindings 0 1 clean-traffic 'CTRL_IP_LEARNING=dhcp'
status_bindings 2 3 clean-traffic 'IP=10.0.%hi.%lo'

run_backend() {   # run_backend BACKEND TAG
    local backend=$1 tag=$2
    set_backend "$backend"
    start_daemon "$tag" || fail "libvirtd failed to start: $(tail -n 3 "$WORK/$tag.out")"
    # the snooping threads start at once; give them a moment
    sleep 1
    dump_rules "$tag"
    # ebtablesApplyDHCPOnlyRules: DHCP to and from the guest, nothing else
    for i in 0 1; do
        grep -qx -- "-A libvirt-I-vnet$i -p IPv4 -s 52:54:00:00:00:0$i --ip-proto udp --ip-sport 68 --ip-dport 67 -j ACCEPT" \
            "$WORK/rules/$tag.ebtables-save" || fail "$backend: no DHCP-only rules for vnet$i"
        grep -qx -- "-A libvirt-I-vnet$i -j DROP" "$WORK/rules/$tag.ebtables-save" ||
            fail "$backend: vnet$i does not drop the rest"
    done
    stop_daemon
}

run_backend iptables-restore restore
assert_log 'Applying firewall rules with virt-firewall engine' "$WORK/restore.log"
# the learning interfaces were applied at once, outside the start's batch
assert_log 'Committing firewall batch .*: 2 of 4 unit\(s\) to apply' "$WORK/restore.log"
flush_rules
run_backend iptables exec
same_rules restore exec || fail "iptables-restore and iptables differ with IP learning"
log "PASS: IP learning, rules $(count_rules restore)"
