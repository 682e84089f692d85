#!/bin/sh
# Builds virt-firewall and applies a bundled example program batch in a
# private network namespace with both backends, then compares the kernel
# state they leave and prints the process counts.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
[ -d build ] || meson setup build
meson compile -C build >/dev/null
prog=examples/programs/three-vms.prog
echo "== dry-run of $prog (restore backend, empty tables)"
./build/tools/virt-firewall program --dry-run "$prog"
for b in exec restore; do
    ./build/tools/virt-firewall program -b $b --private-netns --show "$prog" \
        | grep -v '^#' > "build/demo-$b.save"
done
if cmp -s build/demo-exec.save build/demo-restore.save; then
    echo "== exec and restore backends left identical kernel state"
else
    echo "== kernel states differ"; diff build/demo-exec.save build/demo-restore.save; exit 1
fi
