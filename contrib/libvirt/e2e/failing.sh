#!/bin/bash
# failing.sh: a binding whose filter the kernel refuses (it names an
# ipset that does not exist) beside good ones.
#   - At daemon start, as stock libvirt: every binding is tried, the good
#     ones are applied, the failure is logged naming the binding, and the
#     nwfilter driver (so libvirtd) fails to start. Both backends leave
#     the same tables.
#   - At run time: nwfilter-binding-create of that binding fails, naming
#     it, and leaves the tables as they were.
. "$(dirname "$0")/lib.sh"

N=4
e2e_init failing
cat >"$WORK/vf-e2e-bad.xml" <<'XML'
<filter name='vf-e2e-bad' chain='root'>
  <filterref filter='clean-traffic'/>
  <rule action='accept' direction='in' priority='500'>
    <all ipset='vf-e2e-missing' ipsetflags='src'/>
  </rule>
</filter>
XML
define_filter "$WORK/vf-e2e-bad.xml"
make_taps 0 "$N"
status_bindings 0 $((N - 1)) clean-traffic 'IP=10.0.%hi.%lo'
status_bindings "$N" "$N" vf-e2e-bad 'IP=10.0.%hi.%lo'

run_backend() {   # run_backend BACKEND TAG
    local backend=$1 tag=$2 i
    set_backend "$backend"
    if start_daemon "$tag"; then
        fail "$backend: libvirtd started although a binding failed"
    fi
    dump_rules "$tag"
    for ((i = 0; i < N; i++)); do
        grep -q "libvirt-I-vnet$i " "$WORK/rules/$tag.ebtables-save" || fail "$backend: no rules for the good binding vnet$i"
    done
}

run_backend iptables-restore restore
assert_log "error : .*Failed to apply firewall rules for 'vnet$N': "
log "reported: $(grep -oE "Failed to apply firewall rules for 'vnet$N': .{0,80}" "$DAEMON_LOG" | head -n 1)"

flush_rules
run_backend iptables exec
assert_log "error : .*Failed to apply firewall rules .*vf-e2e-missing"
same_rules restore exec || fail "iptables-restore and iptables differ after the failed start"

# run time: the good bindings only at start, then the bad one created:
# it fails, and the tables are left as the rule-by-rule path leaves them
# (libvirt's rollback keeps its base chains)
rm -f "$(sbpath "$PREFIX/var/run/libvirt/nwfilter-binding/vnet$N.xml")"
binding_xml "$N" vf-e2e-bad 'IP=10.0.%hi.%lo' >"$WORK/bad.xml"

run_create() {   # run_create BACKEND TAG
    local backend=$1 tag=$2
    flush_rules
    set_backend "$backend"
    start_daemon "$tag" || fail "$backend: libvirtd failed to start with the good bindings"
    dump_rules "$tag-before"
    if vsh nwfilter-binding-create "$WORK/bad.xml" >"$WORK/$tag-create.out" 2>&1; then
        fail "$backend: nwfilter-binding-create of a failing binding succeeded"
    fi
    dump_rules "$tag-after"
    vsh nwfilter-binding-list | grep -q "vnet$N" && fail "$backend: the failed binding is listed"
    stop_daemon
}

run_create iptables-restore restore-runtime
grep -q "Failed to apply firewall rules for 'vnet$N'" "$WORK/restore-runtime-create.out" ||
    fail "the error does not name the binding: $(cat "$WORK/restore-runtime-create.out")"
run_create iptables exec-runtime
same_rules restore-runtime-before exec-runtime-before || fail "iptables-restore and iptables differ before the create"
same_rules restore-runtime-after exec-runtime-after || fail "iptables-restore and iptables differ after the failed create"
log "PASS: a failing binding beside good ones"
