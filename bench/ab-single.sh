#!/bin/bash
# bench/ab-single.sh A B [ITER] [FILTER] [N]: `apply vnet<N-1>` beside N-1
# interfaces (N=1000, FILTER vf-bench-l3), two virt-firewall binaries A and
# B alternating ITER times (10) in one private namespace made here and
# deleted at exit; each apply is followed by its teardown, as bench/run.sh's
# "single". Prints per apply: A or B, wall, user and system CPU seconds
# (GNU time) and the phases of its --json summary in ms. On this noisy VM
# only alternating runs compare; a run of bench/run.sh per tree does not.
set -eu -o pipefail

[ $# -ge 2 ] || { sed -n '2,3p' "$0" >&2; exit 2; }
A=$1 B=$2 ITER=${3:-10} FILTER=${4:-vf-bench-l3} N=${5:-1000}
HERE=$(cd "$(dirname "$0")" && pwd)
LAST=vnet$((N - 1))
W=$(mktemp -d /tmp/vf-ab.XXXXXX)
NS=vf-ab-$$
trap 'ip netns del $NS 2>/dev/null; rm -rf "$W"' EXIT
"$HERE/gen-host.sh" "$N" "$FILTER" "$W/h" >/dev/null
# the host before the last VM started
mkdir -p "$W/hm/bindings"
cp -r "$W/h/network" "$W/h/network.conf" "$W/hm/"
cp "$W/h"/bindings/*.xml "$W/hm/bindings/"
rm "$W/hm/bindings/$LAST.xml"
ip netns add $NS

run() { # run BIN HOSTDIR CMD [ARGS]
    local bin=$1 h=$2
    shift 2
    /usr/bin/time -f "%e %U %S" -o "$W/time" "$bin" "$@" \
        --nwfilter-dir "$HERE/nwfilter" --nwfilter-dir /usr/share/libvirt/nwfilter \
        --binding-dir "$h/bindings" --network-dir "$h/network" --config "$h/network.conf" \
        --netns $NS --state-file "$W/state" --json >"$W/out" 2>"$W/err" ||
        { cat "$W/err" >&2; exit 1; }
}

run "$A" "$W/hm" reconnect --backend restore
for ((i = 1; i <= ITER; i++)); do
    for x in A B; do
        bin=${!x}
        run "$bin" "$W/h" apply --backend restore $LAST
        phases=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join("%s=%.1f" % (p["name"], p["microseconds"] / 1e3) for p in d["phases"]),
      "rebuilt=%d" % d["counts"].get("rebuilt", 0))' "$W/out")
        echo "$x $(cat "$W/time") $phases"
        run "$bin" "$W/h" teardown --backend restore $LAST
    done
done
