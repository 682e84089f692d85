#!/bin/bash
# bench/libvirt/restart-cpu.sh PREFIX [RUNS]: libvirtd restarts beside N
# bindings of one filter (N=1000, VF_BENCH_N; clean-traffic, VF_BENCH_FILTER:
# or one of bench/nwfilter, as run.sh --filter) on firewall_backend
# "iptables-restore", in a sandbox of contrib/libvirt/e2e/lib.sh. Prints,
# per restart, "ready" and "in libvirtd" as bench/libvirt/run.sh takes
# them, and the CPU seconds libvirtd used since its launch (itself, the
# processes it ran), from /proc/PID/stat: the CPU figures hold when other
# jobs load the machine, the wall-clock ones do not.
#   VF_BENCH_LOG_FILTERS   libvirtd's log_filters (default: run.sh's)
#   VF_BENCH_ENGINE_DIR    a directory with another libvirt-firewall-engine.so.0,
#                          put first by LD_LIBRARY_PATH (libvirtd has a RUNPATH):
#                          an A/B of the engine under one libvirt
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
[ $# -ge 1 ] || { sed -n '2,3p' "$0" >&2; exit 2; }
export VF_LIBVIRT_PREFIX=$1
RUNS=${2:-3}
N=${VF_BENCH_N:-1000}
FILTER=${VF_BENCH_FILTER:-clean-traffic}
# shellcheck source=lib.sh
. "$HERE/lib.sh"
ENV=()
[ -n "${VF_BENCH_ENGINE_DIR:-}" ] && ENV=("LD_LIBRARY_PATH=$VF_BENCH_ENGINE_DIR")

# shellcheck source=../../contrib/libvirt/e2e/lib.sh
. "$ROOT/contrib/libvirt/e2e/lib.sh"


e2e_init restart-cpu
log "N=$N, filter $FILTER, log_filters: $E2E_LOG_FILTERS, load: $(cut -d' ' -f1-3 /proc/loadavg)"
sb nft flush ruleset
[ "$FILTER" = clean-traffic ] || define_filter "$ROOT/bench/nwfilter/$FILTER.xml"
make_taps 0 "$N"
status_bindings 0 $((N - 1)) "$FILTER" 'IP=10.0.%hi.%lo'
flush_rules
set_backend iptables-restore
start_daemon first "${ENV[@]}" || fail "libvirtd failed to start"
log "engine: $(awk '/firewall-engine/ { print $6; exit }' "/proc/$DAEMON_PID/maps")"
for ((r = 1; r <= RUNS; r++)); do
    restart_daemon "restart$r" "${ENV[@]}"
    sleep 0.3   # (as run.sh: the log of the last apply is written)
    copy_log
    awk -v r="$r" -v ready="$T_READY" -v inl="$(in_start "$DAEMON_LOG")" -v lines="$(wc -l <"$DAEMON_LOG")" \
        '{ printf "restart %d: ready %ss, in libvirtd %ss, CPU libvirtd %.2fs, its processes %.2fs, %d log lines\n",
                  r, ready, inl, ($14 + $15) / 100, ($16 + $17) / 100, lines }' "/proc/$DAEMON_PID/stat"
done
stop_daemon
log "load: $(cut -d' ' -f1-3 /proc/loadavg)"
