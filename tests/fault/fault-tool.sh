#!/bin/sh
# Fault-injection stand-in for a firewall tool. The fault tests put a directory
# of symlinks to this script first in PATH; virt-firewall spawns its tools by
# name, so it runs this instead. The name it was called by ($0) is the tool.
#
#   VF_FAULT_DIR      call log, counter and restore inputs in.N (required)
#   VF_FAULT_HOSTNS   the test's own netns (readlink /proc/self/ns/net); the
#                     script refuses to run there, so a fault test can never
#                     change the firewall of the namespace it was started from
#   VF_FAULT_TOOLS    tools whose calls are counted (default: the 3 restores)
#   VF_FAULT_AT       the counted call the fault hits (1-based; 0 = none)
#   VF_FAULT_MODE     what happens at that call:
#       fail1   exit 1 "line N failed" without applying (a refused line)
#       fail2   exit 2 "Error occurred at line: N" (a line it cannot parse)
#       fail4   exit 4 "line N: RULE_APPEND failed" without applying (kernel)
#       crash   exit 139 with no message, nothing applied (names no line)
#       kill    run the real tool, then SIGKILL the caller (virt-firewall)
#       killat  the real tool reads VF_FAULT_BYTE bytes of its input, then
#               the caller is SIGKILLed, then the tool reads on to the end
#               of its input (all of it, if the caller handed it over
#               whole; else what the caller had written when it died). It
#               holds an flock on $VF_FAULT_DIR/running until it ends.
#     Like the real tools, fail1/fail2/fail4/crash stop reading at line N
#     and exit: the rest of the input is never read (a caller writing a
#     pipe meets a closed one).
#   VF_FAULT_RACE_AT  the counted call before which $VF_FAULT_RACE (a foreign
#                     change, a shell command) runs; the call itself then
#                     runs as usual (or gets the fault, when AT = RACE_AT)
#   VF_FAULT_LINE     N for fail1/fail2/fail4/crash (default 3)
#   VF_FAULT_MATCH    a persistent fault instead: every restore whose input
#                     has a line matching this (an ERE) gets VF_FAULT_MODE
#                     at the first such line, however often it is tried
#   VF_FAULT_BYTE     for killat: bytes read before the kill (>= 1)
#   VF_FAULT_LEGACY=1 iptables/ip6tables[-save|-restore] run the legacy tools
#   VF_FAULT_WAIT     replaces the value of -w (keeps the lock test short)
name=${0##*/}

if [ -z "${VF_FAULT_HOSTNS:-}" ] || [ "$(readlink /proc/self/ns/net)" = "$VF_FAULT_HOSTNS" ]; then
    echo "$name: fault wrapper: refusing to run in the test's own network namespace" >&2
    exit 99
fi

real=/usr/sbin/$name
if [ "${VF_FAULT_LEGACY:-}" = 1 ]; then
    case $name in
    iptables|ip6tables) real=/usr/sbin/$name-legacy ;;
    iptables-*|ip6tables-*) real=/usr/sbin/${name%%-*}-legacy-${name#*-} ;;
    esac
fi

if [ -n "${VF_FAULT_WAIT:-}" ]; then
    # rewrite "-w N" (positional parameters, so quoting is kept)
    n=$#; prev=
    while [ "$n" -gt 0 ]; do
        a=$1; shift; n=$((n - 1))
        [ "$prev" = -w ] && a=$VF_FAULT_WAIT
        set -- "$@" "$a"; prev=$a
    done
fi

counted=0
case " ${VF_FAULT_TOOLS:-ebtables-restore iptables-restore ip6tables-restore} " in
*" $name "*) counted=1 ;;
esac
# A restore is counted once its input begins: virt-firewall starts a restore
# tool ahead of its input, and ends one it did not need with no input at
# all (the tool then does nothing), which is not a call. Its first byte is
# read here; the rest stays unread until the fault (or the tool) reads it.
first=
case $name in
*-restore)
    first=$VF_FAULT_DIR/in.first.$$
    head -c 1 > "$first"
    [ -s "$first" ] || counted=0 ;;
esac
call=0
if [ "$counted" = 1 ]; then
    call=$(( $(cat "$VF_FAULT_DIR/count" 2>/dev/null || echo 0) + 1 ))
    echo "$call" > "$VF_FAULT_DIR/count"
fi
echo "${call:-0} $name $*" >> "$VF_FAULT_DIR/log"

if [ "$counted" = 1 ] && [ "$call" = "${VF_FAULT_RACE_AT:-0}" ]; then
    sh -c "$VF_FAULT_RACE" >> "$VF_FAULT_DIR/log" 2>&1
fi
hit=0
line=${VF_FAULT_LINE:-3}
if [ "$counted" = 1 ] && [ "$call" = "${VF_FAULT_AT:-0}" ]; then
    hit=1
fi
# in.N: what restore N read (its input, or up to the line it refused)
input=$VF_FAULT_DIR/in.$call
[ "$counted" = 1 ] || input=$VF_FAULT_DIR/in.tmp.$$
mode=${VF_FAULT_MODE:-}
if [ -z "$first" ]; then
    :   # not a restore: its arguments are its input
elif [ "$hit" = 0 ] && [ "$counted" = 1 ] && [ -n "${VF_FAULT_MATCH:-}" ]; then
    # up to the first matching line and no further than awk's buffer; the
    # byte read above is the start of line 1
    awk -v re="$VF_FAULT_MATCH" -v first="$(cat "$first"; echo .)" '
        BEGIN { first = substr(first, 1, length(first) - 1) }
        NR == 1 { if (first == "\n") { print ""; n++ } else $0 = first $0 }
        { print; n++ } $0 ~ re { exit 3 }
        END { if (n == 0) printf "%s", first }' > "$input"
    if [ $? = 3 ]; then hit=1; line=$(wc -l < "$input"); fi
    exec < "$input"
elif [ "$hit" = 1 ] && [ "$mode" != kill ] && [ "$mode" != killat ]; then
    # the refused line is read, nothing after it
    { cat "$first"; head -n "$line"; } > "$input"
    exec < "$input"
elif [ "$hit" = 0 ] || [ "$mode" = kill ]; then
    { cat "$first"; cat; } > "$input"
    exec < "$input"
fi
if [ "$hit" = 1 ]; then
    case $mode in
    fail1)
        echo "$name: line $line failed: Injected failure (call $call)." >&2
        exit 1 ;;
    fail2)
        printf '%s v1.8.9 (nf_tables): injected parse error (call %s)\nError occurred at line: %s\n' \
            "$name" "$call" "$line" >&2
        exit 2 ;;
    fail4)
        printf '%s v1.8.9 (nf_tables): \nline %s: RULE_APPEND failed (Invalid argument): injected (call %s)\n' \
            "$name" "$line" "$call" >&2
        exit 4 ;;
    crash)
        exit 139 ;;
    kill)
        "$real" "$@"; rc=$?
        echo "$call killed parent $PPID after rc $rc" >> "$VF_FAULT_DIR/log"
        kill -9 "$PPID"
        exit "$rc" ;;
    killat)
        # held until the tool ends: the test waits for this orphan's commit
        # with flock "$VF_FAULT_DIR/running" (it is not our caller's child)
        exec 8>>"$VF_FAULT_DIR/running"
        flock 8
        parent=$PPID
        {
            cat "$first"
            head -c $(( ${VF_FAULT_BYTE:-1} - 1 ))
            echo "$call killed parent $parent at byte ${VF_FAULT_BYTE:-1}" >> "$VF_FAULT_DIR/log"
            kill -9 "$parent"
            cat
        } | tee "$input" | "$real" "$@"
        exit ;;
    esac
fi
[ "$counted" = 1 ] || rm -f "$input"
[ -n "$first" ] && rm -f "$first"
exec "$real" "$@"
