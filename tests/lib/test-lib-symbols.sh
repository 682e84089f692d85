#!/bin/sh
# The dynamic symbols libvirt-firewall-engine.so defines are exactly the
# checked-in list (tests/lib/symbols.txt): every vfl* function of the
# header, each at version node VIRT_FIREWALL_ENGINE_0.1, the node itself,
# and nothing else (none of the engine's virFirewall*/vf* internals, whose
# names libvirt.so has too).
#   test-lib-symbols.sh LIBRARY HEADER LIST
set -eu
so=$1 header=$2 list=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$so" | awk '{ print $NF }' | sort > "$tmp/got"
sort "$list" > "$tmp/expected"
if ! cmp -s "$tmp/got" "$tmp/expected"; then
    echo "FAIL: the symbols $so exports differ from $list (< exported, > listed):"
    diff "$tmp/got" "$tmp/expected" || true
    exit 1
fi
leaked=$(grep -Ec '^(vir|vf[^l]|nwf|_?g_)' "$tmp/got" || true)
if [ "$leaked" -ne 0 ]; then
    echo "FAIL: $leaked internal symbols exported"
    exit 1
fi
unversioned=$(grep -v '^VIRT_FIREWALL_ENGINE_0\.1$' "$tmp/got" |
              grep -vc '^vfl[A-Za-z]*@@VIRT_FIREWALL_ENGINE_0\.1$' || true)
if [ "$unversioned" -ne 0 ]; then
    echo "FAIL: $unversioned exported symbols are not vfl* at VIRT_FIREWALL_ENGINE_0.1"
    exit 1
fi
# every function the header declares is there
grep -oE '\bvfl[A-Za-z]+\(' "$header" | tr -d '(' | sort -u > "$tmp/declared"
sed -n 's/@@VIRT_FIREWALL_ENGINE_0\.1$//p' "$tmp/got" > "$tmp/defined"
missing=$(comm -23 "$tmp/declared" "$tmp/defined")
if [ -n "$missing" ]; then
    echo "FAIL: declared in $header but not exported: $missing"
    exit 1
fi
echo "ok: $(wc -l < "$tmp/defined") vfl* functions at VIRT_FIREWALL_ENGINE_0.1, nothing else"
