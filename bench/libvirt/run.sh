#!/bin/bash
# bench/libvirt/run.sh PREFIX [--n "10 100 1000"] [--runs R] [--exec-max-n N]
#                             [--filter F] [--tag NAME]
#
# The patched libvirtd of contrib/libvirt (built into PREFIX by
# contrib/libvirt/build.sh) with firewall_backend "iptables-restore" and
# "iptables": same binary, same run. Not part of `meson test`. Every
# measurement runs in a sandbox of contrib/libvirt/e2e/lib.sh (private
# network and mount namespaces, deleted at exit); nothing is applied in
# the machine's own namespace.
#
# Per N (bindings vnet0..vnetN-1 of F in the status directory: clean-traffic,
# or a filter of bench/nwfilter such as vf-bench-l3, which adds iptables and
# ip6tables rules):
#   start      libvirtd started on empty tables
#   restart    libvirtd restarted, rules in place (R runs)
#   vm-start   nwfilter-binding-create of vnetN beside the N others
#   vm-stop    nwfilter-binding-delete of it
# and once, a NAT network (IPv4 + DHCP, IPv6) active while libvirtd restarts
# (the network driver reloads its rules).
#
# Times: "ready" is from launching libvirtd until virsh gets an answer
# (libvirt serves clients only after every driver initialised); "in
# libvirtd" is read from its debug log: for a start, from "Build all
# filters" to the end of the last firewall process (iptables) or of the
# engine's apply (iptables-restore); for a VM start or stop, from the
# first to the end of the last firewall process (iptables) or the
# engine's apply; for the network, from "Reloading iptables rules" to the
# end of its last firewall work. Processes: the iptables/ip6tables/ebtables processes
# libvirtd ran (virCommand logs each), the restore backend's probe of its
# tools (3) included in start and restart.
#
# "iptables" above --exec-max-n is not run: a start or restart is
# extrapolated from the largest N run (per binding, times N), a VM start
# or stop taken as there (its processes do not depend on N); such cells
# are marked "~".
#
# Writes bench/results/<date>[-tag]-libvirt.md and -libvirt.csv.
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NLIST="10 100 1000"
RUNS=3
EXEC_MAX_N=100
TAG=
BENCH_PREFIX=
FILTER=clean-traffic

while [ $# -gt 0 ]; do
    case $1 in
    --n) NLIST=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --exec-max-n) EXEC_MAX_N=$2; shift ;;
    --tag) TAG=-$2; shift ;;
    --filter) FILTER=$2; shift ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) BENCH_PREFIX=$1 ;;
    esac
    shift
done
[ -n "$BENCH_PREFIX" ] || { sed -n '2,3p' "$0" >&2; exit 2; }
export VF_LIBVIRT_PREFIX=$BENCH_PREFIX

# shellcheck source=lib.sh
. "$HERE/lib.sh"

# shellcheck source=../../contrib/libvirt/e2e/lib.sh
. "$ROOT/contrib/libvirt/e2e/lib.sh"

OUT=$ROOT/bench/results/$(date +%F)$TAG-libvirt
CSV=$OUT.csv
echo "backend,n,measure,run,ready_s,in_libvirtd_s,processes" >"$CSV"

# in_network LOG: the network driver's reload of its rules at start, from
# "Reloading iptables rules" to the end of the last firewall work before
# the nwfilter driver starts building
in_network() {
    local log=$1 first last
    first=$(grep -m1 'Reloading iptables rules' "$log") || { echo NA; return; }
    last=$(sed -n '/Reloading iptables rules/,/Build all filters/p' "$log" |
           grep -E 'Applied [0-9]+ firewall program|Result exit status' | tail -n 1)
    [ -n "$last" ] || { echo NA; return; }
    awk -v a="$(ts "$first")" -v b="$(ts "$last")" 'BEGIN { printf "%.3f", b - a }'
}

# in_window LOG FROM_LINE: from the first firewall work after line FROM_LINE
# of LOG to the end of the last
in_window() {
    local log=$1 from=$2 first last
    # (not a pipe into grep -m1: with pipefail, tail's SIGPIPE would fail it)
    first=$(grep -m1 -E 'Applying [0-9]+ firewall program|About to run [^ ]*(eb|ip|ip6)tables' \
            < <(tail -n +"$from" "$log")) || { echo NA; return; }
    last=$(grep -E 'Applied [0-9]+ firewall program|Result exit status' < <(tail -n +"$from" "$log") | tail -n 1)
    awk -v a="$(ts "$first")" -v b="$(ts "$last")" 'BEGIN { printf "%.3f", b - a }'
}

record() { echo "$1,$2,$3,$4,$5,$6,$7" >>"$CSV"; log "$1 N=$2 $3 #$4: ready ${5}s, in libvirtd ${6}s, $7 processes"; }

e2e_init bench
stock_dir=$(sbpath "$PREFIX/etc/libvirt/nwfilter")
[ "$FILTER" = clean-traffic ] || define_filter "$ROOT/bench/nwfilter/$FILTER.xml"

for N in $NLIST; do
    log "=== N=$N"
    sb nft flush ruleset
    rm -f "$(sbpath "$PREFIX/var/run/libvirt/nwfilter-binding")"/*.xml
    sb ip -batch <(for ((i = 0; i <= N; i++)); do echo "link del vnet$i"; done) 2>/dev/null || true
    make_taps 0 "$N"
    status_bindings 0 $((N - 1)) "$FILTER" 'IP=10.0.%hi.%lo'
    binding_xml "$N" "$FILTER" 'IP=10.0.%hi.%lo' >"$WORK/new.xml"

    for backend in iptables-restore iptables; do
        if [ "$backend" = iptables ] && [ "$N" -gt "$EXEC_MAX_N" ]; then
            continue
        fi
        runs=$RUNS
        [ "$backend" = iptables ] && [ "$N" -gt 10 ] && runs=1
        flush_rules
        set_backend "$backend"
        stop_daemon
        start_daemon "$backend-$N-start" || fail "libvirtd failed to start"
        record "$backend" "$N" start 1 "$T_READY" "$(in_start "$DAEMON_LOG")" "$(fw_procs "$DAEMON_LOG")"
        for ((r = 1; r <= runs; r++)); do
            restart_daemon "$backend-$N-restart$r"
            record "$backend" "$N" restart "$r" "$T_READY" "$(in_start "$DAEMON_LOG")" "$(fw_procs "$DAEMON_LOG")"
        done
        for ((r = 1; r <= runs; r++)); do
            for op in create delete; do
                copy_log
                from=$(($(wc -l <"$DAEMON_LOG") + 1))
                before=$(fw_procs "$DAEMON_LOG")
                t0=$(date +%s%N)
                if [ "$op" = create ]; then
                    vsh nwfilter-binding-create "$WORK/new.xml" >/dev/null || fail "binding-create failed"
                else
                    vsh nwfilter-binding-delete "vnet$N" >/dev/null || fail "binding-delete failed"
                fi
                t1=$(date +%s%N)
                sleep 0.2
                copy_log
                m=vm-start; [ "$op" = delete ] && m=vm-stop
                record "$backend" "$N" "$m" "$r" \
                    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')" \
                    "$(in_window "$DAEMON_LOG" "$from")" "$(( $(fw_procs "$DAEMON_LOG") - before ))"
            done
        done
        stop_daemon
    done
done

# a NAT network, active while libvirtd restarts
log "=== network"
rm -f "$(sbpath "$PREFIX/var/run/libvirt/nwfilter-binding")"/*.xml
cat >"$WORK/net.xml" <<XML
<network>
  <name>vf-bench</name>
  <forward mode='nat'/>
  <bridge name='vfbenchbr0' stp='on' delay='0'/>
  <ip address='192.168.151.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.151.2' end='192.168.151.254'/></dhcp>
  </ip>
  <ip family='ipv6' address='fd00:151::1' prefix='64'/>
</network>
XML
for backend in iptables-restore iptables; do
    flush_rules
    set_backend "$backend"
    start_daemon "$backend-net" || fail "libvirtd failed to start"
    URI=network:///system vsh net-create "$WORK/net.xml" >/dev/null || fail "net-create failed"
    for ((r = 1; r <= RUNS; r++)); do
        restart_daemon "$backend-net-restart$r"
        copy_log
        record "$backend" 0 network-restart "$r" "$T_READY" "$(in_network "$DAEMON_LOG")" "$(fw_procs "$DAEMON_LOG")"
    done
    URI=network:///system vsh net-destroy vf-bench >/dev/null || true
    stop_daemon
done

# ---- report: medians
{
    echo "# libvirtd on the engine: $(date +%F)$TAG"
    echo
    echo "\`bench/libvirt/run.sh $BENCH_PREFIX --n \"$NLIST\" --runs $RUNS --exec-max-n $EXEC_MAX_N --filter $FILTER\`;"
    echo "$(uname -r), $(nproc) CPUs, load before the run $(cut -d' ' -f1-3 /proc/loadavg);"
    echo "$("$PREFIX/sbin/libvirtd" --version), iptables $(dpkg-query -W -f '${Version}' iptables 2>/dev/null)."
    echo "Medians; times in seconds; processes: iptables, ip6tables and ebtables processes libvirtd ran."
    echo
    echo "| measure | N | iptables-restore: ready | in libvirtd | processes | iptables: ready | in libvirtd | processes | ratio (in libvirtd) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F, -v maxn="$EXEC_MAX_N" '
        NR > 1 { k = $3 "," $2; v[$1 "," k] = v[$1 "," k] " " $5 "/" $6 "/" $7; keys[k] = 1 }
        function med(list, f,    a, n, i, j, t, b) {
            n = split(list, a, " ")
            for (i = 1; i <= n; i++) { split(a[i], b, "/"); a[i] = b[f] }
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
            return n ? a[int((n + 1) / 2)] : "NA"
        }
        END {
            for (k in keys) {
                split(k, kk, ",")
                r = v["iptables-restore," k]; e = v["iptables," k]
                rr = med(r, 1); ri = med(r, 2); rp = med(r, 3)
                mark = ""
                if (e == "" && kk[2] + 0 > maxn + 0 && v["iptables," kk[1] "," maxn] != "") {
                    # not run: from the largest N that was
                    e = v["iptables," kk[1] "," maxn]
                    f = (kk[1] == "start" || kk[1] == "restart") ? kk[2] / maxn : 1
                    er = sprintf("%.0f", med(e, 1) * f); ei = sprintf("%.0f", med(e, 2) * f)
                    ep = sprintf("%.0f", med(e, 3) * f); mark = "~"
                } else if (e != "") {
                    er = med(e, 1); ei = med(e, 2); ep = med(e, 3)
                } else {
                    er = "-"; ei = "-"; ep = "-"
                }
                ratio = (ei + 0 > 0 && ri + 0 > 0) ? sprintf("%s%.0fx", mark, ei / ri) : "-"
                printf "| %s | %s | %s | %s | %s | %s%s | %s%s | %s%s | %s |\n", kk[1], kk[2], rr, ri, rp, mark, er, mark, ei, mark, ep, ratio
            }
        }' "$CSV" | sort -t'|' -k2,2 -k3,3n
} >"$OUT.md"
cat "$OUT.md"
log "results: $OUT.md, $CSV"
