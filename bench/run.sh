#!/bin/bash
# bench/run.sh [--quick] [--n "10 100 1000"] [--runs R] [--filters "F..."]
#              [--exec-max-n N] [--tag NAME] [--vf PATH]
#
# virt-firewall's benchmark (not part of `meson test`). Every measurement runs
# in private network namespaces vfbench-<pid>-* created here and deleted at
# exit, also on failure or ^C; nothing is ever applied in the machine's own
# namespace (its ruleset is compared before and after).
#
# Per filter (clean-traffic: ebtables only; vf-bench-l3: clean-traffic plus
# iptables and ip6tables rules) and per N, each host with one NAT network:
#   exec      reconnect --backend exec, empty tables (libvirt's way)
#   cold      reconnect --backend restore, empty tables, no state file
#   reinst    reconnect, rules in place, fresh state file: everything rebuilt
#   skip      reconnect, nothing changed (state file kept)
#   flushed   reconnect after every table was flushed (-F) in the netns
#   floor     the final *-save of each layer restored by one *-restore per
#             layer into an empty namespace (timed inside the namespace)
#   floor-nf  the same with --noflush, as any tool must that keeps other
#             programs' rules (ebtables-nft is ~3x slower with it at N=1000)
#   single    apply vnet<N-1> on a host where vnet0..vnet<N-2> are in place
#   single-serve  the same request to one `virt-firewall serve` process (the
#             firewall layer resident, as in libvirtd), started with the kernel
#             cache current; timed from writing the request (0.1 s after the
#             last answer) to reading its answer; RSS is serve's peak
#   single-floor  that VM start's own lines, one *-restore per layer, by hand
# Wall time is measured around the whole virt-firewall process (bash
# $EPOCHREALTIME); peak RSS with GNU time (%M: the largest of virt-firewall
# and the tools it ran); processes from the --json summary (stdout).
#
# Writes bench/results/<date>[-quick].md, .csv (medians) and -samples.csv,
# and the plot bench/results/<date>[-quick].svg (copied to docs/performance.svg
# by a full run).
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
VF=$ROOT/build/tools/virt-firewall
STOCK=/usr/share/libvirt/nwfilter
QUICK=0
TAG=
NLIST="10 100 1000"
RUNS=5
EXEC_RUNS_SMALL=5      # exec at N <= 10
EXEC_RUNS_LARGE=1      # exec at 10 < N <= EXEC_MAX_N
EXEC_MAX_N=100         # above: extrapolated
SLOW_S=30              # a measure whose first run takes longer gets SLOW_RUNS
SLOW_RUNS=3
FILTERS="clean-traffic vf-bench-l3"

# for the report, before the options are shifted away
ARGS=; for a in "$@"; do case $a in *" "*) ARGS="$ARGS \"$a\"" ;; *) ARGS="$ARGS $a" ;; esac; done
ARGS=${ARGS# }
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1; NLIST="10 100"; RUNS=3; EXEC_RUNS_SMALL=3; EXEC_MAX_N=10 ;;
    --n) NLIST=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --filters) FILTERS=$2; shift ;;
    --exec-max-n) EXEC_MAX_N=$2; shift ;;
    --vf) VF=$2; shift ;;
    --tag) TAG=$2; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

[ "$(id -u)" = 0 ] || { echo "bench/run.sh: needs root (ip netns)" >&2; exit 2; }
[ -x "$VF" ] || { echo "bench/run.sh: build first: $VF missing" >&2; exit 2; }
for p in /usr/bin/time ebtables-restore iptables-restore ip6tables-restore ip; do
    command -v $p >/dev/null || { echo "bench/run.sh: $p missing (apt-get install time iptables ebtables iproute2)" >&2; exit 2; }
done
[ -d "$STOCK" ] || { echo "bench/run.sh: $STOCK missing (libvirt-daemon-config-nwfilter)" >&2; exit 2; }

STAMP=$(date +%Y-%m-%d)
[ $QUICK = 1 ] && STAMP=$STAMP-quick
[ -n "$TAG" ] && STAMP=$STAMP-$TAG
RES=$HERE/results
mkdir -p "$RES"
W=$(mktemp -d /tmp/vfbench.XXXXXX)
# the state file and kernel cache where a host has them: /run is a tmpfs
# under systemd (it is not in some containers); /dev/shm when that is one
SD=$W
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
    SD=$(mktemp -d /dev/shm/vfbench.XXXXXX)
fi
# a copy: a rebuild of build/ during the run must not change or break it
cp "$VF" "$W/virt-firewall" && VF=$W/virt-firewall
NSP=vfbench-$$
SAMPLES=$RES/$STAMP-samples.csv
SUMMARY=$RES/$STAMP.csv
MD=$RES/$STAMP.md
hostfw() { { nft list ruleset 2>/dev/null; cat /proc/net/ip_tables_names /proc/net/ip6_tables_names 2>/dev/null; } | md5sum; }
HOSTFW0=$(hostfw)
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
nsseq=0

cleanup() {
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NSP-"); do
        ip netns del "$ns"
    done
    rm -rf "$W" "$SD"
}
trap cleanup EXIT
trap 'echo "bench/run.sh: interrupted" >&2; exit 130' INT TERM

log() { echo "[$(date +%T)] $*" >&2; }
die() { echo "bench/run.sh: $*" >&2; exit 1; }

# a fresh, empty namespace; the previous one of this run is deleted
NS=
freshns() {
    [ -n "$NS" ] && ip netns del "$NS"
    nsseq=$((nsseq + 1))
    NS=$NSP-$nsseq
    ip netns add "$NS" || die "ip netns add $NS"
}
inns() { ip netns exec "$NS" "$@"; }

# vf HOSTDIR STATE CMD [ARGS]: runs virt-firewall in $NS; sets T_US, PROCS,
# RSS, WRITTEN, SKIPPED, REBUILT
vf() {
    local h=$1 st=$2 cmd=$3 t0 t1 rc json
    shift 3
    t0=${EPOCHREALTIME/./}
    /usr/bin/time -f %M -o "$W/rss" "$VF" "$cmd" "$@" \
        --nwfilter-dir "$HERE/nwfilter" --nwfilter-dir "$STOCK" \
        --binding-dir "$h/bindings" --network-dir "$h/network" --config "$h/network.conf" \
        --netns "$NS" --state-file "$st" --json >"$W/out" 2>"$W/err"
    rc=$?
    t1=${EPOCHREALTIME/./}
    [ $rc = 0 ] || { cat "$W/err" >&2; die "virt-firewall $cmd $* failed (exit $rc)"; }
    T_US=$((t1 - t0))
    RSS=$(tail -n 1 "$W/rss")
    # the --json summary on stdout (docs/json.md): numbers, phases in µs
    json=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
c = d["counts"]
ph = "; ".join("%s %.3fs" % (p["name"], p["microseconds"] / 1e6) for p in d["phases"])
print(d["processes"], d.get("rules_written", ""), c.get("skipped", 0),
      c.get("rebuilt", 0) + c.get("unchanged", 0), ph.replace(" ", "_"))' "$W/out") \
        || die "virt-firewall $cmd: no JSON summary on stdout"
    set -- $json
    # REBUILT: units applied, not skipped ("unchanged" too: reinst writes
    # rules the kernel already holds, so their lines do not change)
    PROCS=$1 WRITTEN=$2 SKIPPED=$3 REBUILT=$4 PHASES=$(echo "$5" | tr _ ' ')
}

sample() { # sample FILTER N MEASURE RUN
    echo "$1,$2,$3,$4,$(awk -v u="$T_US" 'BEGIN{printf "%.6f", u/1e6}'),$PROCS,$RSS,${WRITTEN:-},${SKIPPED:-},${REBUILT:-},\"${PHASES:-}\"" >> "$SAMPLES"
    log "  $1 N=$2 $3 #$4: $(awk -v u="$T_US" 'BEGIN{printf "%.3f", u/1e6}') s, $PROCS processes, $RSS KiB${PHASES:+ ($PHASES)}"
}

# runs MEASURE: how many runs, given the first one's time
runs_for() { if [ "$T_US" -gt $((SLOW_S * 1000000)) ] && [ "$RUNS" -gt "$SLOW_RUNS" ]; then echo $SLOW_RUNS; else echo $RUNS; fi; }

flush_all() {
    inns sh -c 'for t in nat filter broute; do ebtables -t $t -F 2>/dev/null; done
        for c in iptables ip6tables; do
            for t in $($c-save | sed -n "s/^\*//p"); do $c -w -t $t -F || exit 1; done
        done' || die "flush failed"
}

save_final() { # save_final PREFIX: the three layers' save, # lines removed
    for l in ebtables iptables ip6tables; do
        inns $l-save | grep -v '^#' > "$1.$l" || true
    done
}

echo "filter,n,measure,run,wall_s,processes,peak_rss_kib,rules_written,skipped,rebuilt,phases" > "$SAMPLES"
: > "$W/notes"

for filter in $FILTERS; do
    prevN= prevExec=
    for n in $NLIST; do
        H=$W/host-$filter-$n
        "$HERE/gen-host.sh" "$n" "$filter" "$H"
        # the host before the last VM started
        HM=$W/hostm-$filter-$n
        mkdir -p "$HM" && cp -r "$H/network" "$H/network.conf" "$HM/" && mkdir -p "$HM/bindings"
        cp "$H"/bindings/*.xml "$HM/bindings/" && rm "$HM/bindings/vnet$((n - 1)).xml"
        units=$((n + 1))
        log "$filter N=$n"

        # --- exec (libvirt's way), empty tables
        if [ "$n" -le "$EXEC_MAX_N" ]; then
            er=$EXEC_RUNS_LARGE; [ "$n" -le 10 ] && er=$EXEC_RUNS_SMALL
            for ((r = 1; r <= er; r++)); do
                freshns; rm -f "$SD/st"
                vf "$H" "$SD/st" reconnect --backend exec
                sample "$filter" "$n" exec "$r"
            done
            save_final "$W/exec-$filter-$n"
        fi

        # --- restore, cold
        rr=$RUNS
        for ((r = 1; r <= rr; r++)); do
            freshns; rm -f "$SD/st" "$SD/st.kernel"
            vf "$H" "$SD/st" reconnect --backend restore
            sample "$filter" "$n" cold "$r"
            [ "$REBUILT" = "$units" ] || die "cold: rebuilt $REBUILT of $units"
            [ $r = 1 ] && rr=$(runs_for)
        done
        save_final "$W/cold-$filter-$n"
        if [ -e "$W/exec-$filter-$n.ebtables" ]; then
            same=identical
            for l in ebtables iptables ip6tables; do
                cmp -s "$W/exec-$filter-$n.$l" "$W/cold-$filter-$n.$l" || same="DIFFERENT ($l)"
            done
            echo "$filter N=$n: kernel after exec vs restore: $same" >> "$W/notes"
        fi

        # --- re-instantiation with the rules in place (fresh state file)
        rr=$RUNS
        for ((r = 1; r <= rr; r++)); do
            rm -f "$SD/st" "$SD/st.kernel"   # nothing known: every unit rebuilt
            vf "$H" "$SD/st" reconnect --backend restore
            sample "$filter" "$n" reinst "$r"
            [ "$REBUILT" = "$units" ] || die "reinst: rebuilt $REBUILT of $units"
            [ $r = 1 ] && rr=$(runs_for)
        done

        # --- nothing changed
        for ((r = 1; r <= RUNS; r++)); do
            vf "$H" "$SD/st" reconnect --backend restore
            sample "$filter" "$n" skip "$r"
            [ "$SKIPPED" = "$units" ] || die "skip: skipped $SKIPPED of $units"
        done

        # --- after a flush of every table (state file kept)
        rr=$RUNS
        for ((r = 1; r <= rr; r++)); do
            flush_all
            vf "$H" "$SD/st" reconnect --backend restore
            sample "$filter" "$n" flushed "$r"
            [ $r = 1 ] && rr=$(runs_for)
        done
        save_final "$W/final-$filter-$n"
        same=identical
        for l in ebtables iptables ip6tables; do
            cmp -s "$W/cold-$filter-$n.$l" "$W/final-$filter-$n.$l" || same="DIFFERENT ($l)"
        done
        echo "$filter N=$n: kernel after cold vs after reinst+flushed reconnects: $same;" \
             "$(cat "$W/final-$filter-$n.ebtables" | grep -c '^-A') eb," \
             "$(cat "$W/final-$filter-$n.iptables" | grep -c '^-A') ip4," \
             "$(cat "$W/final-$filter-$n.ip6tables" | grep -c '^-A') ip6 rules" >> "$W/notes"

        # --- the floor: one *-restore per layer of the same final rules
        F=$W/final-$filter-$n
        for ((r = 1; r <= RUNS; r++)); do
          for fm in floor floor-nf; do
            NOFLUSH=; [ $fm = floor-nf ] && NOFLUSH=--noflush
            freshns
            T_US=$(inns bash -c 'ta=${EPOCHREALTIME/./}
                for l in ebtables iptables ip6tables; do
                    [ -s "$1.$l" ] || continue
                    $l-restore $2 < "$1.$l" || exit 1
                done
                echo $(( ${EPOCHREALTIME/./} - ta ))' floor "$F" "$NOFLUSH") || die "floor restore failed"
            PROCS=0
            for l in ebtables iptables ip6tables; do [ -s "$F.$l" ] && PROCS=$((PROCS + 1)); done
            RSS= WRITTEN=$(cat "$F".* | grep -c '^-A') SKIPPED= REBUILT= PHASES=
            if [ $r = 1 ]; then   # peak RSS, in a run of its own (not timed)
                freshns; RSS=0
                for l in ebtables iptables ip6tables; do
                    [ -s "$F.$l" ] || continue
                    m=$(inns /usr/bin/time -f %M $l-restore $NOFLUSH < "$F.$l" 2>&1 | tail -n 1)
                    [ "$m" -gt "$RSS" ] && RSS=$m
                done
            fi
            sample "$filter" "$n" $fm "$r"
          done
        done
        for l in ebtables iptables ip6tables; do
            inns $l-save | grep -v '^#' | cmp -s - "$F.$l" || die "floor: $l state differs after restore"
        done

        # --- one VM starting: apply vnet<N-1> beside N-1 interfaces
        freshns; rm -f "$SD/st1"
        vf "$HM" "$SD/st1" reconnect --backend restore
        for ((r = 1; r <= RUNS; r++)); do
            vf "$H" "$SD/st1" apply --backend restore "vnet$((n - 1))"
            sample "$filter" "$n" single "$r"
            [ "$REBUILT" = 1 ] || die "single: rebuilt $REBUILT"
            vf "$H" "$SD/st1" teardown --backend restore "vnet$((n - 1))" || true
        done
        # --- its floor: the lines that VM start adds, written by hand (one
        # restore per layer it adds to, new chains declared, its rules)
        save_final "$W/vm0"
        vf "$H" "$SD/st1" apply --backend restore "vnet$((n - 1))"
        save_final "$W/vm1"
        vf "$H" "$SD/st1" teardown --backend restore "vnet$((n - 1))" || true
        for l in ebtables iptables ip6tables; do
            awk -f "$HERE/added.awk" "$W/vm0.$l" "$W/vm1.$l" > "$W/vmadd.$l"
            awk -v undo=1 -f "$HERE/added.awk" "$W/vm0.$l" "$W/vm1.$l" > "$W/vmdel.$l"
        done
        for ((r = 1; r <= RUNS; r++)); do
            T_US=$(inns bash -c 'ta=${EPOCHREALTIME/./}
                for l in ebtables iptables ip6tables; do
                    [ -s "$1.$l" ] || continue
                    $l-restore --noflush < "$1.$l" || exit 1
                done
                echo $(( ${EPOCHREALTIME/./} - ta ))' floor "$W/vmadd") || die "single-floor restore failed"
            PROCS=0
            for l in ebtables iptables ip6tables; do [ -s "$W/vmadd.$l" ] && PROCS=$((PROCS + 1)); done
            RSS= WRITTEN=$(cat "$W"/vmadd.* | grep -c '^-A') SKIPPED= REBUILT= PHASES=
            sample "$filter" "$n" single-floor "$r"
            for l in ebtables iptables ip6tables; do
                inns $l-save | grep -v '^#' | cmp -s - "$W/vm1.$l" || die "single-floor: $l differs from the VM start's"
                [ -s "$W/vmdel.$l" ] && { inns $l-restore --noflush < "$W/vmdel.$l" || die "single-floor: undo failed"; }
            done
        done
        # --- the same VM start to a resident serve process, started once
        # with the kernel cache current (a reconnect after the floor's hand
        # restores); each request arrives at an idle serve, 0.1 s after the
        # previous answer (serve writes the cache and prepares the next
        # request's tables after answering)
        vf "$HM" "$SD/st1" reconnect --backend restore
        coproc SERVE { exec "$VF" serve --nwfilter-dir "$HERE/nwfilter" --nwfilter-dir "$STOCK" \
            --binding-dir "$H/bindings" --network-dir "$H/network" --config "$H/network.conf" \
            --netns "$NS" --state-file "$SD/st1" --backend restore 2>"$W/serve.err"; }
        for ((r = 1; r <= RUNS; r++)); do
            sleep 0.1
            t0=${EPOCHREALTIME/./}
            echo "apply vnet$((n - 1))" >&"${SERVE[1]}"
            read -r -t 60 answer <&"${SERVE[0]}" || die "serve: no answer ($(cat "$W/serve.err"))"
            T_US=$(( ${EPOCHREALTIME/./} - t0 ))
            case $answer in *'"ok":true'*) ;; *) die "serve: $answer" ;; esac
            case $answer in *'"rules_written":0,'*) die "single-serve wrote nothing: the VM was in place" ;; esac
            PROCS=$(echo "$answer" | sed -n 's/.*"processes":\([0-9]*\).*/\1/p')
            WRITTEN=$(echo "$answer" | sed -n 's/.*"rules_written":\([0-9]*\).*/\1/p')
            RSS=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVE_PID/status") SKIPPED= REBUILT=1
            PHASES="kept tables: $(echo "$answer" | sed -n 's/.*"kept_tables":\([a-z]*\).*/\1/p')"
            sample "$filter" "$n" single-serve "$r"
            if [ $r = 1 ]; then
                for l in ebtables iptables ip6tables; do
                    inns $l-save | grep -v '^#' | cmp -s - "$W/vm1.$l" || die "single-serve: $l differs from apply's"
                done
            fi
            echo "teardown vnet$((n - 1))" >&"${SERVE[1]}"
            read -r -t 60 answer <&"${SERVE[0]}" || die "serve: no answer to teardown"
        done
        eval "exec ${SERVE[1]}>&-"
        wait "$SERVE_PID" || die "serve exited with $?"
        ip netns del "$NS"; NS=
    done
done

[ "$(hostfw)" = "$HOSTFW0" ] || die "the machine's own firewall changed during the run!"
echo "host (initial namespace) firewall unchanged" >> "$W/notes"

# --- report
{
    echo "# virt-firewall benchmark, $(date '+%Y-%m-%d %H:%M')"
    echo
    echo "Command: \`bench/run.sh $ARGS\` (N = $NLIST; $RUNS runs per measure," \
         "exec: $EXEC_RUNS_SMALL runs at N <= 10, $EXEC_RUNS_LARGE above, extrapolated above N = $EXEC_MAX_N;" \
         "a measure whose first run took over ${SLOW_S} s: $SLOW_RUNS runs)."
    echo
    echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), kernel $(uname -r)," \
         "$(iptables --version), $(ebtables --version 2>/dev/null | head -n 1), virt-firewall $(cd "$ROOT" && git describe --always --dirty 2>/dev/null)."
    echo
    echo "Load average at start: $LOAD0; at end: $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine perturbs the timings)."
    echo
    echo "State file and kernel cache on $(stat -f -c %T "$SD") (a libvirt host has them in /run, a tmpfs)."
    echo
    "$HERE/report.sh" "$RES/$STAMP" "$NLIST" "$EXEC_MAX_N" "$SAMPLES"
    echo
    echo "exec at N above $EXEC_MAX_N: *extrapolated* linearly through the two largest measured N (proportionally when only one was measured; a lower bound: each exec'd tool gets slower as the tables grow)."
    echo "vs exec = exec median / this median (how many times faster); vs floor = this median / floor median."
    echo
    sed 's/^/- /' "$W/notes"
} > "$MD"
cp "$W/notes" "$RES/$STAMP-notes.txt"

if [ -e "$RES/$STAMP.svg" ]; then
    [ $QUICK = 0 ] && [ -z "$TAG" ] && cp "$RES/$STAMP.svg" "$ROOT/docs/performance.svg"
else
    log "gnuplot missing (apt-get install gnuplot-nox): no plot"
fi
log "wrote $MD, $SUMMARY, $SAMPLES"
cat "$MD"
