#!/bin/bash
# The man page (docs/virt-firewall.1) against the built program: every
# command it lists and every option each command takes is documented,
# and there are EXAMPLES. With groff present, the page renders without
# a warning.
# usage: test-manpage.sh VIRT_FIREWALL SRCDIR
set -u
VF=$1
MAN=$2/docs/virt-firewall.1
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

commands=$("$VF" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')
[ -n "$commands" ] || fail "no commands in virt-firewall --help"
for cmd in $commands; do
    grep -qE "^\.B[RI]? \"?$cmd( |\"|\$)" "$MAN" || fail "command '$cmd' has no entry (.B $cmd) in the man page"
    [ "$cmd" = help ] && continue
    opts=$("$VF" help "$cmd" | grep -oE -- '--[a-z][a-z-]*' | grep -vE '^--help' | sort -u)
    [ -n "$opts" ] || fail "'virt-firewall help $cmd' lists no option"
    for o in $opts; do
        # roff writes each '-' as '\-'
        grep -qF -- "${o//-/\\-}" "$MAN" || fail "$cmd: option $o is not in the man page"
    done
done
grep -q '^\.SH EXAMPLES' "$MAN" || fail "no EXAMPLES section"
[ "$(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$MAN" | grep -c '^virt-firewall ')" -ge 5 ] ||
    fail "EXAMPLES shows fewer than 5 command lines"
if command -v groff >/dev/null; then
    warn=$(groff -man -ww -z "$MAN" 2>&1)
    [ -z "$warn" ] || fail "groff warns: $warn"
else
    echo "groff not installed: rendering not checked"
fi
[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "ok: $(echo $commands | wc -w) commands, their options and EXAMPLES documented"
