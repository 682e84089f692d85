#!/bin/bash
# bench/report.sh OUTBASE "NLIST" EXEC_MAX_N SAMPLES.csv...
# Medians and ratios (summarize.awk) of one or more runs' samples, merged:
# writes OUTBASE.csv, OUTBASE.svg (gnuplot, if installed) and prints the
# markdown table. Used by run.sh; also merges runs made separately, e.g.
#   bench/report.sh bench/results/merged "10 100 1000" 100 bench/results/*-samples.csv
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
out=$1 nlist=$2 execmax=$3
shift 3
{ head -n 1 "$1"; for f in "$@"; do tail -n +2 "$f"; done; } > "$out.samples.tmp"
awk -F, -v exec_max="$execmax" -v nlist="$nlist" -f "$HERE/summarize.awk" "$out.samples.tmp" > "$out.csv"
rm -f "$out.samples.tmp"
if command -v gnuplot >/dev/null; then
    # a run of one filter leaves the other's panel empty: no plot, still a table
    gnuplot -e "csv='$out.csv'; out='$out.svg'" "$HERE/plot.gp" ||
        echo "bench/report.sh: no plot ($out.svg)" >&2
fi
echo "| filter | N | measure | runs | median s | vs exec (×) | vs floor (×) | processes | peak RSS MiB | rules written | phases of the median run (s) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
tail -n +2 "$out.csv" | tr -d '"' | awk -F, '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11 }'
