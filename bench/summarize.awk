# summarize.awk: bench/run.sh's samples → one row per filter, N and measure
# (median wall time, ratios, processes and phases of the median run, peak
# RSS over the runs); exec above exec_max is extrapolated linearly from the
# two largest measured N.  Portable awk (mawk).
function median_idx(key,   k, i, j, t, cnt, idx) {
    cnt = count[key]
    for (i = 1; i <= cnt; i++) idx[i] = i
    for (i = 2; i <= cnt; i++)           # insertion sort by wall time
        for (j = i; j > 1 && wall[key, idx[j]] < wall[key, idx[j - 1]]; j--) {
            t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t
        }
    MED = (cnt % 2) ? wall[key, idx[(cnt + 1) / 2]] \
                    : (wall[key, idx[cnt / 2]] + wall[key, idx[cnt / 2 + 1]]) / 2
    return idx[int((cnt + 1) / 2)]
}
NR == 1 { next }
{
    key = $1 SUBSEP $2 SUBSEP $3
    if (!(key in count)) count[key] = 0
    c = ++count[key]
    wall[key, c] = $5; procs[key, c] = $6; rss[key, c] = $7; written[key, c] = $8
    ph = $0; sub(/^[^"]*"/, "", ph); sub(/"$/, "", ph); phases[key, c] = ph
    if (!($1 in seenf)) { seenf[$1] = 1; filters[++nf] = $1 }
}
END {
    nn = split(nlist, ns, " ")
    nm = split("exec cold reinst skip flushed floor floor-nf single single-serve single-floor", ms, " ")
    print "filter,n,measure,runs,median_s,vs_exec_x,vs_floor_x,processes,peak_rss_mib,rules_written,phases"
    for (f = 1; f <= nf; f++) {
        fl = filters[f]
        # exec medians for the extrapolation
        m = 0
        for (i = 1; i <= nn; i++) {
            key = fl SUBSEP ns[i] SUBSEP "exec"
            if (key in count) { median_idx(key); m++; en[m] = ns[i] + 0; et[m] = MED
                                ep[m] = procs[key, median_idx(key)] }
        }
        for (i = 1; i <= nn; i++) {
            n = ns[i]
            kexec = fl SUBSEP n SUBSEP "exec"; kfloor = fl SUBSEP n SUBSEP "floor"
            execT = ""; execP = ""; extrap = 0
            if (kexec in count) { median_idx(kexec); execT = MED }
            else if (m >= 2) {
                execT = et[m - 1] + (et[m] - et[m - 1]) * (n - en[m - 1]) / (en[m] - en[m - 1])
                execP = int(ep[m - 1] + (ep[m] - ep[m - 1]) * (n - en[m - 1]) / (en[m] - en[m - 1]) + 0.5)
                extrap = 1
            } else if (m == 1) {
                execT = et[1] * n / en[1]; execP = int(ep[1] * n / en[1] + 0.5); extrap = 1
            }
            floorT = ""; singleFloorT = ""
            if (kfloor in count) { median_idx(kfloor); floorT = MED }
            ksf = fl SUBSEP n SUBSEP "single-floor"
            if (ksf in count) { median_idx(ksf); singleFloorT = MED }
            for (j = 1; j <= nm; j++) {
                key = fl SUBSEP n SUBSEP ms[j]
                if (ms[j] == "exec" && extrap && execT != "") {
                    printf "%s,%s,exec,extrapolated,%.1f,1.0,%s,%s,,,\"\"\n", fl, n, execT,
                        floorT != "" ? sprintf("%.0f", execT / floorT) : "", execP
                    continue
                }
                if (!(key in count)) continue
                mi = median_idx(key)
                peak = 0
                for (r = 1; r <= count[key]; r++) if (rss[key, r] + 0 > peak) peak = rss[key, r] + 0
                vx = (execT != "" && MED > 0) ? sprintf("%.0f", execT / MED) : ""
                if (vx != "" && execT / MED < 10) vx = sprintf("%.1f", execT / MED)
                vf = (floorT != "" && floorT > 0) ? sprintf("%.2f", MED / floorT) : ""
                if (ms[j] == "single" || ms[j] == "skip") vf = ""   # other work than the floor's
                # a VM start against its own floor: its lines written by hand
                if (ms[j] ~ /^single/ && singleFloorT != "" && singleFloorT > 0)
                    vf = sprintf("%.2f", MED / singleFloorT)
                printf "%s,%s,%s,%d,%.4f,%s,%s,%s,%.1f,%s,\"%s\"\n", fl, n, ms[j], count[key], MED,
                    vx, vf, procs[key, mi], peak / 1024, written[key, mi], phases[key, mi]
            }
        }
    }
}
