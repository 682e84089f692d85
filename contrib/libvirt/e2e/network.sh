#!/bin/bash
# network.sh: a NAT network (IPv4 with DHCP, IPv6) started, the daemon
# restarted with it active (the network driver reloads its rules), and
# the network destroyed, with "iptables-restore" and with "iptables":
# the same iptables and ip6tables tables at each step.
. "$(dirname "$0")/lib.sh"

e2e_init network
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || skip "dnsmasq not installed (dnsmasq-base)"

cat >"$WORK/net.xml" <<XML
<network>
  <name>vf-e2e</name>
  <forward mode='nat'/>
  <bridge name='vfe2ebr0' stp='on' delay='0'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.150.2' end='192.168.150.254'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd00:150::1' prefix='64'/>
</network>
XML

run_backend() {   # run_backend BACKEND TAG
    local backend=$1 tag=$2
    set_backend "$backend"
    start_daemon "$tag" || fail "libvirtd failed to start: $(tail -n 3 "$WORK/$tag.out")"
    URI=network:///system vsh net-create "$WORK/net.xml" >/dev/null || fail "$backend: net-create failed"
    dump_rules "$tag-created"
    restart_daemon "$tag-restart"
    URI=network:///system vsh net-list | grep -q vf-e2e || fail "$backend: the network is not active after the restart"
    dump_rules "$tag-restarted"
    URI=network:///system vsh net-destroy vf-e2e >/dev/null || fail "$backend: net-destroy failed"
    dump_rules "$tag-destroyed"
    grep -q 'vfe2ebr0' "$WORK/rules/$tag-created.iptables-save" || fail "$backend: no rules for the bridge"
    grep -q 'vfe2ebr0' "$WORK/rules/$tag-created.ip6tables-save" || fail "$backend: no IPv6 rules for the bridge"
    log "$backend: created $(count_rules "$tag-created"), destroyed $(count_rules "$tag-destroyed")"
    stop_daemon
}

run_backend iptables-restore restore
assert_log 'Applying firewall rules with virt-firewall engine' "$WORK/restore.log"
flush_rules
run_backend iptables exec

for ph in created restarted destroyed; do
    same_rules "restore-$ph" "exec-$ph" || fail "iptables-restore and iptables differ: network $ph"
done
log "PASS: network start, daemon restart, network destroy"
