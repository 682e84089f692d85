#!/bin/bash
# bench/libvirt/vmstart-ab.sh PREFIX ENGINE_A.so ENGINE_B.so N ITER ROUNDS
#
# A VM start and stop beside N clean-traffic bindings, two builds of the
# engine under the same libvirtd of PREFIX (contrib/libvirt/build.sh):
# PREFIX's libvirt-firewall-engine.so is replaced by A, then B, ROUNDS
# times alternating (a busy machine drifts: compare within one run), each
# time ITER nwfilter-binding-create/-delete of vnetN. The last one
# installed (B) stays. Hold /tmp/vf-bench.lock around it if others bench.
#
# Per build, medians of libvirtd's debug log: the engine apply ("Applied
# ... in X us"), its restore tool (virCommandRun, "About to run" to
# "Result exit status", ms resolution) and the rest, the engine's own time.
# Not part of `meson test`; runs in the e2e sandbox (private namespaces).
set -u -o pipefail
[ $# -eq 6 ] || { sed -n '2p' "$0" >&2; exit 2; }
BENCH_PREFIX=$1; A=$2; B=$3; N=$4; ITER=$5; ROUNDS=$6
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SO=$BENCH_PREFIX/lib/libvirt-firewall-engine.so.0.1.0
OUT=$(mktemp -d /tmp/vf-vmstart-ab.XXXXXX)
export VF_LIBVIRT_PREFIX=$BENCH_PREFIX
# shellcheck source=../../contrib/libvirt/e2e/lib.sh
. "$ROOT/contrib/libvirt/e2e/lib.sh"

e2e_init vmstart-ab
sb nft flush ruleset
make_taps 0 "$N"
status_bindings 0 $((N - 1)) clean-traffic 'IP=10.0.%hi.%lo'
binding_xml "$N" clean-traffic 'IP=10.0.%hi.%lo' >"$WORK/new.xml"
set_backend iptables-restore
for ((k = 1; k <= ROUNDS; k++)); do
    for v in A B; do
        if [ $v = A ]; then install -m755 "$A" "$SO"; else install -m755 "$B" "$SO"; fi
        flush_rules
        start_daemon "$v$k" || fail "libvirtd failed to start"
        copy_log
        from=$(($(wc -l <"$DAEMON_LOG") + 1))
        for ((r = 1; r <= ITER; r++)); do
            vsh nwfilter-binding-create "$WORK/new.xml" >/dev/null || fail "binding-create failed"
            sleep 0.2
            vsh nwfilter-binding-delete "vnet$N" >/dev/null || fail "binding-delete failed"
            sleep 0.2
        done
        copy_log
        tail -n +"$from" "$DAEMON_LOG" >"$OUT/$v$k.log"
        log "$v round $k: load $(cut -d' ' -f1-3 /proc/loadavg)"
        stop_daemon
    done
done

python3 - "$OUT" "$N" <<'PY'
import glob, re, statistics, sys
out, n = sys.argv[1], sys.argv[2]
def ts(line):
    h, m, s = line.split()[1].split('+')[0].split(':')
    return int(h) * 3600 + int(m) * 60 + float(s)
for v in 'AB':
    vals = {'start': ([], [], []), 'stop': ([], [], [])}
    for f in sorted(glob.glob(f'{out}/{v}*.log')):
        op = t0 = t1 = None
        for line in open(f, errors='replace'):
            if 'virNWFilterBindingCreateXML' in line: op = 'start'
            elif 'virNWFilterBindingDelete' in line: op = 'stop'
            if 'About to run' in line and '-restore' in line: t0 = ts(line)
            if 'Result exit status' in line and t0 is not None: t1 = ts(line)
            m = re.search(r'Applied \d+ firewall program\(s\) in (\d+) us', line)
            if m:
                if op and t0 is not None and t1 is not None:
                    total = int(m.group(1)) / 1000
                    vals[op][0].append(total)
                    vals[op][1].append((t1 - t0) * 1000)
                    vals[op][2].append(total - (t1 - t0) * 1000)
                op = t0 = t1 = None
    for op, (tot, tool, own) in vals.items():
        if tot:
            print(f"{v} N={n} VM {op}: apply {statistics.median(tot):.1f} ms "
                  f"(min {min(tot):.1f}), tool {statistics.median(tool):.1f} ms, "
                  f"engine's own {statistics.median(own):.1f} ms, n={len(tot)}")
PY
echo "logs: $OUT"
