#!/bin/sh
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan in
# their own build directory and runs each for SECONDS (default 60).
# Fails on any finding (crash, leak, UB, assertion, timeout, OOM); the
# reproducer is left in $VF_FUZZ_BUILD/findings/<target>/.
#
# usage: scripts/fuzz.sh [SECONDS]
#   VF_FUZZ_BUILD   build directory (default: build-fuzz)
#   VF_FUZZ_JOBS    targets run at once (default: number of CPUs)
#   VF_FUZZ_SEED    libFuzzer's seed (default: a new one each run). CI
#                   (scripts/test.sh) fixes it: a gate that fails only on
#                   what the code does, the same inputs on every run, a
#                   failure anyone reproduces; exploring new inputs is a
#                   longer run with new seeds, its findings fixed and
#                   added to the corpus.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-60}
case $seconds in ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
build=${VF_FUZZ_BUILD:-build-fuzz}
jobs=${VF_FUZZ_JOBS:-$(nproc)}
targets="nwfilter binding network conf snapshot render statefile"

if ! command -v clang >/dev/null 2>&1 ||
   ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "ok installed"; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null
fi

if [ ! -d "$build" ]; then
    CC=clang meson setup "$build" -Dfuzzing=true -Dtests=false \
        -Dbuildtype=debugoptimized >/dev/null
fi
meson compile -C "$build" $(for t in $targets; do printf 'tests/fuzz/fuzz-%s ' "$t"; done) >/dev/null

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export G_SLICE=always-malloc G_DEBUG=gc-friendly

# run one target; prints a summary line, exit status = libFuzzer's
run_target() {
    t=$1
    work="$build/fuzz-work/$t"
    findings="$build/findings/$t"
    rm -rf "$work"
    mkdir -p "$work" "$findings"
    # new inputs go to the first (scratch) directory, never to the seeds
    if "$build/tests/fuzz/fuzz-$t" ${VF_FUZZ_SEED:+-seed="$VF_FUZZ_SEED"} \
          -max_total_time="$seconds" -timeout=10 \
          -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
          -artifact_prefix="$findings/" -dict="tests/fuzz/$t.dict" \
          "$work" "tests/fuzz/corpus/$t" >"$build/fuzz-$t.log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz-$t.log")
        echo "fuzz-$t: ok, ${execs:-?} runs in ${seconds}s${VF_FUZZ_SEED:+, seed $VF_FUZZ_SEED}"
    else
        echo "fuzz-$t: FINDING (log: $build/fuzz-$t.log, input: $findings/)"
        grep -E "ERROR|runtime error|SUMMARY|^render round trip|ERROR:|#[0-9]+ " \
            "$build/fuzz-$t.log" | head -40
        return 1
    fi
}

status=0
running=0
pids=""
for t in $targets; do
    run_target "$t" &
    pids="$pids $!"
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        for p in $pids; do wait "$p" || status=1; done
        pids=""
        running=0
    fi
done
for p in $pids; do wait "$p" || status=1; done
[ "$status" -eq 0 ] && echo "fuzz: no findings" || echo "fuzz: FINDINGS" >&2
exit "$status"
