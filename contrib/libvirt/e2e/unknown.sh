#!/bin/bash
# unknown.sh: an unknown firewall_backend makes libvirtd refuse to start,
# saying why; a known one in the same place starts.
. "$(dirname "$0")/lib.sh"

e2e_init unknown

set_backend nftables
if start_daemon unknown; then
    fail "libvirtd started with firewall_backend = \"nftables\""
fi
grep -qE "unknown firewall_backend 'nftables' in .*network\\.conf" "$WORK/unknown.out" "$DAEMON_LOG" ||
    fail "libvirtd did not say why it refused to start: $(tail -n 5 "$WORK/unknown.out")"
log "refused: $(grep -hoE "unknown firewall_backend[^\"]*" "$WORK/unknown.out" "$DAEMON_LOG" | head -n 1)"

set_backend iptables
start_daemon known || fail "libvirtd failed to start with firewall_backend = \"iptables\""
log "PASS: an unknown firewall_backend is refused"
