# added.awk BEFORE AFTER: restore input (any of the three tools) that adds
# what the *-save text AFTER holds beyond BEFORE: per table, the new chains'
# declarations, then the new rules in AFTER's order. With -v undo=1: the
# input that takes it away again (new rules deleted where the chain stays,
# new chains flushed and deleted). bench/run.sh's floor of a VM start.
FNR == NR { if ($0 ~ /^\*/) t = substr($0, 2); else seen[t, $0]++; next }
/^\*/ { t = substr($0, 2); if (!(t in tord)) { tord[t] = ++nt; tname[nt] = t }; next }
/^COMMIT/ { next }
{
    if (seen[t, $0] > 0) { seen[t, $0]--; next }
    if ($0 ~ /^:/) {
        split(substr($0, 2), w, " ")
        nd[t]++; decl[t, nd[t]] = $0; dname[t, nd[t]] = w[1]; isnew[t, w[1]] = 1
    } else if ($0 ~ /^-A /) {
        split($0, w, " ")
        nr[t]++; rule[t, nr[t]] = $0; rchain[t, nr[t]] = w[2]
    }
}
END {
    for (i = 1; i <= nt; i++) {
        t = tname[i]
        if (!nd[t] && !nr[t]) continue
        print "*" t
        if (!undo) {
            for (k = 1; k <= nd[t]; k++) print decl[t, k]
            for (k = 1; k <= nr[t]; k++) print rule[t, k]
        } else {
            for (k = nr[t]; k >= 1; k--) {
                if (isnew[t, rchain[t, k]]) continue
                r = rule[t, k]; sub(/^-A /, "-D ", r); print r
            }
            for (k = 1; k <= nd[t]; k++) print "-F " dname[t, k]
            for (k = 1; k <= nd[t]; k++) print "-X " dname[t, k]
        }
        print "COMMIT"
    }
}
