#!/bin/sh
# Builds virt-firewall and runs every test (unit, golden, real-kernel).
# Real-kernel tests create their own private network namespaces; they
# never touch the firewall of the namespace they are started from.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
[ -d build ] || meson setup build ${VF_MESON_ARGS:-}
meson compile -C build
meson test -C build --print-errorlogs "$@"
