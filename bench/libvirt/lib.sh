# bench/libvirt/lib.sh: what run.sh and restart-cpu.sh share (sourced
# before contrib/libvirt/e2e/lib.sh, which reads E2E_LOG_FILTERS).

# libvirtd logs at debug level only the modules whose lines the scripts' times and
# counts read, for both backends alike: "Build all filters" (the
# nwfilter gentech driver), "Applying/Applied ... firewall program"
# (util.firewall), "About to run"/"Result exit status" (util.command) and
# "Reloading iptables rules" (the network driver, info). The end-to-end
# tests' wider set (all of nwfilter and network) logs ~200 000 lines,
# mostly libvirt's ebtables listings, at a restart beside 1000 bindings:
# time the benchmark itself adds (docs/performance.md).
# VF_BENCH_LOG_FILTERS overrides (an A/B of the logging).
E2E_LOG_FILTERS=${VF_BENCH_LOG_FILTERS:-1:util.firewall 1:util.command 1:nwfilter.nwfilter_gentech_driver 2:network.bridge_driver 3:*}

# ts LINE -> seconds of the day of a libvirt log line
ts() { awk '{ split($2, t, /[:+]/); printf "%.6f\n", t[1] * 3600 + t[2] * 60 + t[3] }' <<<"$1"; }

# in_start LOG: "Build all filters" to the end of the last firewall work
in_start() {
    local log=$1 first last
    first=$(grep -m1 'Build all filters newFilters=0' "$log") || { echo NA; return; }
    last=$(grep -E 'Applied [0-9]+ firewall program|Result exit status' "$log" | tail -n 1)
    awk -v a="$(ts "$first")" -v b="$(ts "$last")" 'BEGIN { printf "%.3f", b - a }'
}
