#!/bin/bash
# bench/ab-single.sh [--serve] A B [ITER] [FILTER] [N]: `apply vnet<N-1>`
# beside N-1 interfaces (N=1000, FILTER vf-bench-l3), two virt-firewall
# binaries A and B alternating ITER times (10) in one private namespace made
# here and deleted at exit; each apply is followed by its teardown, as
# bench/run.sh's "single". Prints per apply: A or B, wall, user and system
# CPU seconds (GNU time) and the phases of its --json summary in ms.
# --serve: the same requests to a `serve` process of A, then of B, ITER rounds
# of 15 requests each, 0.1 s apart as bench/run.sh's "single-serve"; prints
# per round the median, least and largest time to the answer in ms.
# On this noisy VM only alternating runs compare; a run of bench/run.sh per
# tree does not.
set -eu -o pipefail

SERVE=0
[ "${1:-}" = --serve ] && { SERVE=1; shift; }
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

# serve: 15 VM starts (and stops) to one process of @bin; the median,
# least and largest time from the request to its answer
serveRound() { # serveRound BIN
    local bin=$1 t0 answer times=()
    run "$bin" "$W/hm" reconnect --backend restore
    coproc SERVER { exec "$bin" serve --nwfilter-dir "$HERE/nwfilter" \
        --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir "$W/h/bindings" \
        --network-dir "$W/h/network" --config "$W/h/network.conf" --netns $NS \
        --state-file "$W/state" --backend restore 2>"$W/err"; }
    for ((k = 1; k <= 15; k++)); do
        sleep 0.1
        t0=${EPOCHREALTIME/./}
        echo "apply $LAST" >&"${SERVER[1]}"
        read -r -t 60 answer <&"${SERVER[0]}" || { cat "$W/err" >&2; exit 1; }
        times+=($((${EPOCHREALTIME/./} - t0)))
        case $answer in *'"ok":true'*) ;; *) echo "serve: $answer" >&2; exit 1 ;; esac
        echo "teardown $LAST" >&"${SERVER[1]}"
        read -r -t 60 answer <&"${SERVER[0]}" || exit 1
    done
    eval "exec ${SERVER[1]}>&-"
    wait "$SERVER_PID" || true
    printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END {
        printf "median %.1f ms, least %.1f, largest %.1f\n", t[int((NR + 1) / 2)] / 1000,
               t[1] / 1000, t[NR] / 1000 }'
}

run "$A" "$W/hm" reconnect --backend restore
for ((i = 1; i <= ITER; i++)); do
    for x in A B; do
        bin=${!x}
        if [ $SERVE = 1 ]; then
            echo "$x serve: $(serveRound "$bin")"
            continue
        fi
        run "$bin" "$W/h" apply --backend restore $LAST
        phases=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join("%s=%.1f" % (p["name"], p["microseconds"] / 1e3) for p in d["phases"]),
      "rebuilt=%d" % d["counts"].get("rebuilt", 0))' "$W/out")
        echo "$x $(cat "$W/time") $phases"
        run "$bin" "$W/h" teardown --backend restore $LAST
    done
done
