#!/bin/sh
# Fault-injection stand-in for a firewall tool. test-fault.sh puts a directory
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
#       fail4   exit 4 "line N: RULE_APPEND failed" without applying (kernel)
#       crash   exit 139 with no message, nothing applied (names no line)
#       kill    run the real tool, then SIGKILL the caller (virt-firewall)
#   VF_FAULT_RACE_AT  the counted call before which $VF_FAULT_RACE (a foreign
#                     change, a shell command) runs; the call itself then
#                     runs as usual (or gets the fault, when AT = RACE_AT)
#   VF_FAULT_LINE     N for fail1/fail4 (default 3)
#   VF_FAULT_MATCH    a persistent fault instead: every restore whose input
#                     has a line matching this (grep -E) gets VF_FAULT_MODE
#                     at that line, however often it is tried
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
# A restore is counted once its input is in: virt-firewall starts a restore
# tool ahead of its input, and ends one it did not need with no input at
# all (the tool then does nothing), which is not a call.
input=
case $name in
*-restore)
    input=$VF_FAULT_DIR/in.tmp.$$
    cat > "$input"
    exec < "$input"
    [ -s "$input" ] || counted=0 ;;
esac
call=0
if [ "$counted" = 1 ]; then
    call=$(( $(cat "$VF_FAULT_DIR/count" 2>/dev/null || echo 0) + 1 ))
    echo "$call" > "$VF_FAULT_DIR/count"
    # keep each counted restore input (in.N) for the report
    [ -n "$input" ] && mv "$input" "$VF_FAULT_DIR/in.$call"
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
if [ "$counted" = 1 ] && [ -n "${VF_FAULT_MATCH:-}" ] && [ -f "$VF_FAULT_DIR/in.$call" ]; then
    m=$(grep -n -E -- "$VF_FAULT_MATCH" "$VF_FAULT_DIR/in.$call" | head -n 1 | cut -d: -f1)
    if [ -n "$m" ]; then hit=1; line=$m; fi
fi
if [ "$hit" = 1 ]; then
    case ${VF_FAULT_MODE:-} in
    fail1)
        cat > /dev/null
        echo "$name: line $line failed: Injected failure (call $call)." >&2
        exit 1 ;;
    fail4)
        cat > /dev/null
        printf '%s v1.8.9 (nf_tables): \nline %s: RULE_APPEND failed (Invalid argument): injected (call %s)\n' \
            "$name" "$line" "$call" >&2
        exit 4 ;;
    crash)
        cat > /dev/null
        exit 139 ;;
    kill)
        "$real" "$@"; rc=$?
        echo "$call killed parent $PPID after rc $rc" >> "$VF_FAULT_DIR/log"
        kill -9 "$PPID"
        exit "$rc" ;;
    esac
fi
exec "$real" "$@"
