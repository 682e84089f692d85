#!/bin/bash
# The bash completion (data/virt-firewall.bash) against the built program:
# commands, a command's options, option values, interface names.
# usage: test-completion.sh VIRT_FIREWALL SRCDIR
set -u
VF=$1
SRC=$2
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=/dev/null
source "$SRC/data/virt-firewall.bash"

# complete WORD... : the completions of the last word
complete_words() {
    COMP_WORDS=("$VF" "$@")
    COMP_CWORD=$#
    _virt_firewall
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect() {
    local want=$1 got
    shift
    got=$(complete_words "$@")
    if [ "$got" = "$want" ]; then
        echo "ok: virt-firewall $* -> $got"
    else
        echo "FAIL: virt-firewall $*: got '$got', want '$want'"
        fails=$((fails + 1))
    fi
}

mkdir "$tmp/b" "$tmp/b/dir.xml"
touch "$tmp/b/vnet0.xml" "$tmp/b/vnet1.xml" "$tmp/b/tap0.xml" "$tmp/b/notes.txt"

expect "reconnect" re
expect "teardown" te
expect "help" he
expect "--help --version" --
expect "--dry-run" reconnect --dr
expect "--state-file" verify --state
expect "--show" program --sh
expect "exec restore" apply --backend ''
expect "restore" apply -b r
expect "vnet0 vnet1" apply --binding-dir "$tmp/b" vn
expect "tap0 vnet0 vnet1" teardown "--binding-dir=$tmp/b" ''
printf '<filterbindingstatus><filterbinding><owner>\n<name>guest-a</name></owner>\n</filterbinding></filterbindingstatus>\n' >"$tmp/b/vnet0.xml"
expect "guest-a tap0 vnet0 vnet1" show --binding-dir "$tmp/b" ''
expect "guest-a" show --binding-dir "$tmp/b" g
expect "vnet0 vnet1" verify --binding-dir "$tmp/b" vn
expect "apply" help ap
expect "" help apply ''
expect "qemu:///system" reconnect --connect qe
expect "network:///system nwfilter:///system" reconnect -c n
# every command the program lists is offered
want=$("$VF" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')
expect "$want" ''

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
