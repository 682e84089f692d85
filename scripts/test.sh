#!/bin/sh
# Builds virt-firewall and runs every test (unit, golden, real-kernel).
# Real-kernel tests create their own private network namespaces; they
# never touch the firewall of the namespace they are started from.
#
# With CI set in the environment (.ci/run), it then also
#   - builds Debian's libvirt 9.0.0 with contrib/libvirt's patches into a
#     temporary prefix (contrib/libvirt/build.sh) and runs the libvirt
#     suite against it (VF_LIBVIRT_PREFIX set: that prefix, kept),
#   - builds build-sanitize with ASan + UBSan and runs the whole suite there
#     (any report fails the run),
#   - runs the unit tests under valgrind (any error or leak fails),
#   - runs every fuzz target for 60 s (scripts/fuzz.sh).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
[ -d build ] || meson setup build ${VF_MESON_ARGS:-}
meson compile -C build
# under CI the libvirt suite runs below, once libvirt is built; here it
# would only skip
[ -z "${CI:-}" ] || set -- --no-suite libvirt "$@"
meson test -C build --print-errorlogs "$@"

# one closing line for whoever reads the log: meson's own summary is a table
count() { # count TESTLOG.json...
    python3 - "$@" <<'PY'
import json, sys
res = {"OK": 0, "FAIL": 0, "SKIP": 0}
for d in sys.argv[1:]:
    for line in open(d):
        r = json.loads(line).get("result", "")
        key = "OK" if r in ("OK", "EXPECTEDFAIL") else "SKIP" if r == "SKIP" else "FAIL"
        res[key] += 1
print("tests: %d passed, %d failed, %d skipped" % (res["OK"], res["FAIL"], res["SKIP"]))
PY
}

cp build/meson-logs/testlog.json build/testlog-suite.json
if [ -z "${CI:-}" ]; then
    count build/testlog-suite.json
    exit 0
fi

step() {
    echo
    echo "=== $* ($(date +%T))"
}

if ! command -v valgrind >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi

step "libvirt: contrib/libvirt/build.sh, then the libvirt suite"
# Debian's libvirt 9.0.0 with contrib/libvirt's patches, in a prefix of
# its own (VF_LIBVIRT_PREFIX reuses one), then its end-to-end tests.
if [ -n "${VF_LIBVIRT_PREFIX:-}" ]; then
    lv_prefix=$VF_LIBVIRT_PREFIX
else
    lv_prefix=$(mktemp -d /tmp/vf-libvirt-ci.XXXXXX)
fi
sh contrib/libvirt/build.sh "$lv_prefix"
VF_LIBVIRT_PREFIX=$lv_prefix meson test -C build --suite libvirt --print-errorlogs
cp build/meson-logs/testlog.json build/testlog-libvirt.json
[ -n "${VF_LIBVIRT_PREFIX:-}" ] || rm -rf "$lv_prefix"

step "ASan + UBSan: the whole suite in build-sanitize"
[ -d build-sanitize ] ||
    meson setup build-sanitize -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all ${VF_MESON_ARGS:-}
meson compile -C build-sanitize
# Every report is fatal; glib needs no suppressions (leaks are fixed
# instead). A leak whose stack stops in glib (no frame pointers there):
# rerun that test with ASAN_OPTIONS=...:fast_unwind_on_malloc=0 (slow).
ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:check_initialization_order=1" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
G_SLICE=always-malloc G_DEBUG=gc-friendly \
    meson test -C build-sanitize --print-errorlogs --timeout-multiplier=3 --no-suite libvirt

step "valgrind: the unit tests"
# a child between fork and exec is glib's, not ours (test-runner starts
# processes, one of them a missing binary); tests/valgrind.supp: GLib's
# worker threads
G_SLICE=always-malloc G_DEBUG=gc-friendly \
    meson test -C build --suite unit --print-errorlogs --timeout-multiplier=10 \
        --wrap="valgrind --error-exitcode=1 --leak-check=full --track-origins=yes --quiet --child-silent-after-fork=yes --suppressions=$PWD/tests/valgrind.supp"

step "fuzzing: every target for 60 s (fixed seed, see scripts/fuzz.sh)"
VF_FUZZ_SEED=${VF_FUZZ_SEED:-20261206} sh scripts/fuzz.sh 60

step "CI checks passed"
count build/testlog-suite.json build/testlog-libvirt.json build-sanitize/meson-logs/testlog.json
