# gnuplot -e "csv='bench/results/DATE.csv'; out='docs/performance.svg'" bench/plot.gp
set terminal svg size 1100,480 dynamic font "sans,11" background rgb "white"
set output out
set datafile separator ","
set logscale xy
set xlabel "interfaces (N), plus one NAT network"
set ylabel "wall time (s)"
set grid
set key top left font ",9"
set xrange [8:1250]
set multiplot layout 1,2
do for [f in "clean-traffic vf-bench-l3"] {
    set title sprintf("%s", f)
    plot for [m in "exec cold reinst flushed skip single single-serve single-floor floor floor-nf"] \
        csv using (strcol(1) eq f && strcol(3) eq m ? $2 : NaN):5 \
        smooth unique with linespoints lw 2 pt 7 title (m eq "exec" ? "exec backend (libvirt's way; N=1000 extrapolated)" : \
                                          m eq "cold" ? "restore, empty tables" : \
                                          m eq "reinst" ? "restore, rules present (restart)" : \
                                          m eq "flushed" ? "reconnect after flush" : \
                                          m eq "skip" ? "reconnect, nothing changed" : \
                                          m eq "single" ? "one VM start (apply 1)" : \
                                          m eq "single-serve" ? "one VM start, resident (serve)" : \
                                          m eq "single-floor" ? "its floor: its lines by hand" : \
                                          m eq "floor" ? "floor: one *-restore per layer" : \
                                          "floor with --noflush")
}
unset multiplot
