#!/bin/sh
# virt-firewall's commands: usage errors, golden dump, and the restart path
# against the kernel in a network namespace of its own.
#   test-cli.sh VIRT_FIREWALL SRCDIR
# VIR_TEST_REGENERATE_OUTPUT=1 rewrites the golden dump (and still fails).
set -u
VF=$1
SRC=$2
HOST=$SRC/tests/cli/host
GOLDEN=$SRC/tests/restoredata/cli
skips=0
TMP=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
NS=vf-cli-$$
cleanup() {
    for ns in "$NS" "$NS-x" "$NS-h" "$NS-hx" "$NS-n" "$NS-b"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

DIRS="--nwfilter-dir $HOST/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir $HOST/bindings --network-dir $HOST/network --config $HOST/network.conf"

# --- usage and input errors (no root needed)
expect_rc 2 "no command" "$VF"
expect_rc 2 "unknown command" "$VF" frobnicate
expect_rc 2 "unknown option" "$VF" reconnect --frob
expect_rc 2 "extra argument" "$VF" reconnect extra $DIRS --dry-run
expect_rc 2 "unknown backend" "$VF" dump $DIRS --backend nft
expect_err "unknown backend 'nft'" "unknown backend is named"
printf 'firewall_backend = "nft"\n' > "$TMP/bad.conf"
expect_rc 2 "unsupported firewall_backend" "$VF" reconnect --dry-run --config "$TMP/bad.conf" \
    --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir "$HOST/bindings" --network-dir "$HOST/network"
expect_err "bad.conf:1" "network.conf error names the line"
mkdir -p "$TMP/badb"; printf '<filterbindingstatus>\n<filterbinding>\n<portdev name="x"\n' > "$TMP/badb/x.xml"
expect_rc 1 "malformed binding: its unit fails" "$VF" dump --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir "$TMP/badb"
expect_err "interface/x: $TMP/badb/x.xml:4: bad XML" "binding error names the unit and the file"
# every path the user names is checked before anything runs (a missing
# one used to read as "nothing there", exit 0): one line naming the option
# and the path, exit 2
HOSTDIRS="--nwfilter-dir $HOST/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir $HOST/bindings --network-dir $HOST/network"
one_line() { [ "$(wc -l < "$TMP/err")" = 1 ] && ok "$1: one line" || { fail "$1: not one line"; sed 's/^/#   /' "$TMP/err"; }; }
for cmd in reconnect dump verify check "apply vnet0" "teardown vnet0" serve; do
    expect_rc 2 "$cmd: --config that does not exist" "$VF" $cmd $HOSTDIRS --config "$TMP/none.conf" --dry-run
    expect_err "--config $TMP/none.conf: no such file" "$cmd: names --config and the path"
    one_line "$cmd: --config"
    expect_rc 2 "$cmd: --binding-dir that does not exist" "$VF" $cmd --binding-dir "$TMP/none" --dry-run
    expect_err "--binding-dir $TMP/none: no such directory" "$cmd: names --binding-dir and the path"
done
expect_rc 2 "--network-dir that does not exist" "$VF" reconnect $DIRS --network-dir "$TMP/none" --dry-run
expect_err "--network-dir $TMP/none: no such directory" "names --network-dir"
expect_rc 2 "--nwfilter-dir that does not exist" "$VF" dump --nwfilter-dir "$TMP/none"
expect_err "--nwfilter-dir $TMP/none: no such directory" "names --nwfilter-dir"
expect_rc 2 "--binding-dir that is a file" "$VF" dump --binding-dir "$HOST/network.conf"
expect_err "--binding-dir $HOST/network.conf: not a directory" "a file as --binding-dir is named"
expect_rc 2 "--config that is a directory" "$VF" dump $HOSTDIRS --config "$HOST"
expect_err "--config $HOST: a directory, not a file" "a directory as --config is named"
expect_rc 2 "--state-file under a file" "$VF" reconnect $DIRS --dry-run --state-file "$HOST/network.conf/x/state.json"
expect_err "--state-file $HOST/network.conf/x/state.json: $HOST/network.conf is not a directory" "names --state-file and the file in its way"
expect_rc 2 "--state-file that is a directory" "$VF" reconnect $DIRS --dry-run --state-file "$TMP"
expect_err "--state-file $TMP: a directory, not a file" "a directory as --state-file is named"
expect_rc 2 "--config qemu:///system" "$VF" reconnect --config qemu:///system --dry-run
expect_err "--config qemu:///system: a libvirt URI, not a file: a URI goes to -c/--connect" "--config with a URI points to -c/--connect"
one_line "--config URI"
expect_rc 2 "-c FILE" "$VF" reconnect -c "$HOST/network.conf" --dry-run
expect_err "-c/--connect $HOST/network.conf: a file, not a libvirt URI: network.conf goes to --config" "-c with a file points to --config"
one_line "-c FILE"
expect_rc 2 "verify --dry-run" "$VF" verify $DIRS --dry-run
expect_err "verify: --dry-run: verify changes nothing and must read the kernel" "verify refuses --dry-run"
one_line "verify --dry-run"
expect_rc 2 "--netns with --private-netns" "$VF" reconnect $DIRS --netns x --private-netns
expect_err "--netns and --private-netns: choose one namespace" "the conflict is named"
one_line "--netns with --private-netns"
expect_rc 2 "program: --netns with --private-netns" "$VF" program "$SRC/examples/programs/three-vms.prog" --netns x --private-netns
expect_rc 2 "--netns of no namespace" "$VF" reconnect $DIRS --netns "vf-none-$$" --dry-run
expect_err "--netns vf-none-$$: no such network namespace" "the missing namespace is named"
expect_rc 2 "--connect with --binding-dir" "$VF" dump --connect nwfilter:///system --binding-dir "$HOST/bindings"
expect_err "--binding-dir and --connect" "--connect with a directory is refused"
expect_rc 2 "--replay with --backend exec" "$VF" dump $DIRS --backend exec --replay
expect_err "--replay and --backend exec" "--replay with exec is refused"
expect_rc 2 "program --show --dry-run" "$VF" program "$SRC/examples/programs/three-vms.prog" --show --dry-run
expect_err "--show and --dry-run" "program --show with --dry-run is refused"
expect_rc 2 "--wait -1" "$VF" reconnect $DIRS --dry-run --wait -1
expect_err "--wait -1: not a number of seconds" "a negative --wait is refused"
# /dev/null is the empty file, not a device to refuse
expect_rc 0 "--config /dev/null" "$VF" dump --config /dev/null --nwfilter-dir "$HOST/nwfilter" --nwfilter-dir /usr/share/libvirt/nwfilter \
    --binding-dir "$HOST/bindings" --network-dir "$HOST/network"
expect_rc 1 "apply of an unknown interface" "$VF" dump vnet99 $DIRS
expect_err "failed: interface/vnet99: no filter binding for this interface" "unknown interface is named"
expect_rc 0 "help" "$VF" --help
expect_rc 0 "version" "$VF" --version
grep -qx "virt-firewall [0-9][0-9.]*" "$TMP/out" && ok "--version prints the name and version" \
    || fail "--version printed: $(cat "$TMP/out")"

# --- check: what libvirt would ignore or skip is an error (exit 1);
# reconnect and dump only warn of it and apply the same rules
expect_rc 0 "check of a clean host" "$VF" check $DIRS
expect_err "filters: 25, bindings: 3, networks: 1, errors: 0," "check counts and finds nothing"
mkdir -p "$TMP/lint"
sed "s/<tcp dstportstart='22'/<tcp dstport='22' dstportstart='22'/" "$HOST/nwfilter/vf-cli-l3.xml" > "$TMP/lint/vf-cli-l3.xml"
LINT=$(echo "$DIRS" | sed "s|--nwfilter-dir $HOST/nwfilter|--nwfilter-dir $TMP/lint|")
expect_rc 1 "check: an attribute libvirt ignores" "$VF" check $LINT
expect_err "virt-firewall: error: $TMP/lint/vf-cli-l3.xml:4: <tcp>: attribute 'dstport' ignored (libvirt does not read it; did you mean 'dstportstart'?)" \
    "check names file, line, element and attribute"
expect_err "errors: 1, ignored by libvirt: 1, filter files skipped: 0" "check counts it"
expect_err "virt-firewall check: 4 units: 4 built, 0 failed" "check: every unit built"
expect_rc 1 "check --json" "$VF" check $LINT --json
[ "$(json_field errors)" = 1 ] && python3 -c 'import json, sys
w = json.load(open(sys.argv[1]))["warnings"]
sys.exit(0 if len(w) == 1 and "vf-cli-l3.xml:4: <tcp>: attribute" in w[0] else 1)' "$TMP/out" \
    && ok "check --json: errors and the warning on stdout" || { fail "check --json"; sed 's/^/#   /' "$TMP/out"; }
"$VF" dump $DIRS > "$TMP/ref-clean" 2>/dev/null
expect_rc 0 "dump with an attribute libvirt ignores" "$VF" dump $LINT
expect_err "virt-firewall: warning: $TMP/lint/vf-cli-l3.xml:4: <tcp>: attribute 'dstport' ignored" \
    "dump warns with file and line"
cmp -s "$TMP/out" "$TMP/ref-clean" && ok "the ignored attribute changes no rule" \
    || { fail "the ignored attribute changed the rules"; diff "$TMP/ref-clean" "$TMP/out" | head | sed 's/^/#   /'; }
printf 'not xml\n' > "$TMP/lint/vf-unused.xml"
expect_rc 1 "check: a filter file libvirt skips, used by nothing" "$VF" check $LINT
expect_err "filter file skipped: $TMP/lint/vf-unused.xml:1: bad XML" "check names the skipped file"
expect_rc 0 "dump: a skipped filter nothing uses fails no unit" "$VF" dump $LINT
expect_err "filter file skipped: $TMP/lint/vf-unused.xml:1" "dump says the filter file was skipped"
expect_rc 2 "check takes no argument" "$VF" check vnet0 $DIRS

# --- apply (and dump IFACE) reads only <binding-dir>/IFACE.xml, when that
# file holds IFACE's binding; else the whole directory, as reconnect does
dirs_with() { # dirs_with BINDINGDIR
    echo "--nwfilter-dir $HOST/nwfilter --nwfilter-dir /usr/share/libvirt/nwfilter" \
         "--binding-dir $1 --network-dir $HOST/network --config $HOST/network.conf"
}
same_as() { # same_as REF NAME: $TMP/out is $TMP/REF
    if cmp -s "$TMP/$1" "$TMP/out"; then ok "$2"; else
        fail "$2: differs from $1"; diff "$TMP/$1" "$TMP/out" | head | sed 's/^/#   /'; fi
}
# (dump IFACE...: what apply IFACE... runs on empty tables, offline)
for i in 0 1; do "$VF" dump vnet$i $DIRS > "$TMP/ref$i" 2>/dev/null; done
"$VF" dump vnet0 vnet1 vnet2 $DIRS > "$TMP/ref012" 2>/dev/null
grep -q -- '-A libvirt-I-vnet0 ' "$TMP/ref0" && ok "apply vnet0 --dry-run builds vnet0" \
    || fail "apply vnet0 --dry-run built nothing for vnet0"
# a dry run reads the kernel (--dry-run: what this run would write to it
# now): the summaries below come from dry runs in an empty namespace
LIVE=0; [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null && LIVE=1
DRY="--dry-run --private-netns"
[ $LIVE = 1 ] || echo "# SKIP dry runs against a kernel: needs root and unshare -n"
if [ $LIVE = 1 ]; then
expect_rc 0 "apply vnet0 vnet0" "$VF" apply vnet0 vnet0 $DIRS $DRY --json
[ "$(json_field rebuilt)" = 1 ] && ok "an interface named twice is one unit" \
    || fail "apply vnet0 vnet0: rebuilt=$(json_field rebuilt)"
fi
# the file name is no guarantee: vnet0.xml and vnet1.xml swapped
mkdir -p "$TMP/swap"
cp "$HOST/bindings/vnet0.xml" "$TMP/swap/vnet1.xml"
cp "$HOST/bindings/vnet1.xml" "$TMP/swap/vnet0.xml"
cp "$HOST/bindings/vnet2.xml" "$TMP/swap/"
for i in 0 1; do
    expect_rc 0 "apply vnet$i, its binding in the other's file" "$VF" dump vnet$i $(dirs_with "$TMP/swap")
    same_as ref$i "vnet$i's own binding applied, found by its portdev"
done
expect_rc 0 "apply vnet0 vnet1 vnet2, two files swapped" "$VF" dump vnet0 vnet1 vnet2 $(dirs_with "$TMP/swap")
same_as ref012 "swapped files: the same three bindings"
# a binding under another name (no vnet0.xml)
mkdir -p "$TMP/renamed"
cp "$HOST/bindings/vnet0.xml" "$TMP/renamed/vm-a.xml"
cp "$HOST/bindings/vnet1.xml" "$HOST/bindings/vnet2.xml" "$TMP/renamed/"
expect_rc 0 "apply vnet0, its binding in vm-a.xml" "$VF" dump vnet0 $(dirs_with "$TMP/renamed")
same_as ref0 "vnet0's binding found under another file name"
# A broken binding of another VM does not stop this VM's start (libvirt
# reads only the starting VM's binding too); reconnect and dump fail its
# unit alone, as libvirt's start-up skips the file; apply fails only when
# it is the binding asked for.
mkdir -p "$TMP/broken"
cp "$HOST/bindings/"*.xml "$TMP/broken/"
printf '<filterbindingstatus>\n<filterbinding>\n<portdev name="vnet7"\n' > "$TMP/broken/vnet7.xml"
expect_rc 0 "apply vnet0 beside a broken vnet7.xml" "$VF" dump vnet0 $(dirs_with "$TMP/broken")
same_as ref0 "vnet0 applied as without vnet7.xml"
expect_rc 0 "dump vnet0 beside a broken vnet7.xml" "$VF" dump vnet0 $(dirs_with "$TMP/broken")
same_as ref0 "dump vnet0 prints what apply vnet0 runs"
"$VF" dump $DIRS > "$TMP/ref-all" 2>/dev/null
expect_rc 1 "dump of all with a broken vnet7.xml" "$VF" dump $(dirs_with "$TMP/broken")
expect_err "failed: interface/vnet7: $TMP/broken/vnet7.xml:4: bad XML" "dump of all names the broken file"
same_as ref-all "the other bindings dumped as without vnet7.xml"
if [ $LIVE = 1 ]; then
expect_rc 1 "reconnect --json with a broken vnet7.xml" "$VF" reconnect $(dirs_with "$TMP/broken") $DRY --json
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
f = [u for u in d["units"] if u["status"] == "failed"]
sys.exit(0 if d["counts"]["failed"] == 1 and len(f) == 1 and f[0]["name"] == "interface/vnet7"
         and f[0]["kind"] == "interface" and "vnet7.xml:4: bad XML" in f[0]["reason"] else 1)' "$TMP/out" \
    && json_field rebuilt | grep -qx 4 \
    && ok "the JSON summary lists the failed unit with its reason" || { fail "JSON summary"; show "$TMP/out"; }
fi
expect_rc 1 "apply vnet7 (the broken one)" "$VF" dump vnet7 $(dirs_with "$TMP/broken")
expect_err "failed: interface/vnet7: $TMP/broken/vnet7.xml:4: bad XML" "apply vnet7 names its broken file"
cp "$TMP/broken/vnet7.xml" "$TMP/renamed/"
expect_rc 0 "apply vnet0 from vm-a.xml beside a broken vnet7.xml" "$VF" dump vnet0 $(dirs_with "$TMP/renamed")
same_as ref0 "reading the whole directory: vnet0 applied, vnet7 not asked for"
# a FIFO among the bindings is never opened (libvirt opens it and hangs):
# its writer must still be waiting for a reader afterwards
mkdir -p "$TMP/fifo"; cp "$HOST/bindings/vnet0.xml" "$TMP/fifo/"; mkfifo "$TMP/fifo/vnet1.xml"
( echo x > "$TMP/fifo/vnet1.xml" ) & writer=$!
expect_rc 1 "a FIFO in the binding directory fails its unit alone" timeout 60 "$VF" dump $(dirs_with "$TMP/fifo")
expect_err "interface/vnet1: $TMP/fifo/vnet1.xml: a FIFO, not a regular file: skipped without reading it" \
    "the FIFO is named"
sleep 0.3
kill -0 $writer 2>/dev/null && ok "the FIFO was not opened (its writer still waits)" || fail "the FIFO was opened"
kill $writer 2>/dev/null; wait $writer 2>/dev/null
# an interface name does not lead out of the binding directory
mkdir -p "$TMP/esc/b"
sed "s|name='vnet0'|name='../vnet9'|" "$HOST/bindings/vnet0.xml" > "$TMP/esc/vnet9.xml"
expect_rc 1 "apply ../vnet9" "$VF" dump ../vnet9 $(dirs_with "$TMP/esc/b")
expect_err "failed: interface/../vnet9: no filter binding for this interface" "no file outside the binding directory is read"

# --- network.conf's firewall_backend decides the backend
if [ $LIVE = 1 ]; then
backend_of() { sed -n 's/^  "backend" *: *"\([a-z]*\)".*/\1/p' "$TMP/out"; }
for pair in 'iptables:exec' 'iptables-restore:restore'; do
    printf 'firewall_backend = "%s"\n' "${pair%%:*}" > "$TMP/fb.conf"
    "$VF" reconnect $DRY --json --config "$TMP/fb.conf" --nwfilter-dir "$HOST/nwfilter" \
        --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir "$HOST/bindings" \
        --network-dir "$HOST/network" >"$TMP/out" 2>"$TMP/err"
    [ "$(backend_of)" = "${pair#*:}" ] && ok "firewall_backend=${pair%%:*} -> ${pair#*:}" \
        || fail "firewall_backend=${pair%%:*} gave '$(backend_of)'"
done
# libvirt >= 10.4's "nftables": its network driver writes its own nft
# tables, nwfilter still ebtables/iptables. The bindings are ours (backend
# detected, as when unset), the networks left to libvirt, said once.
printf 'firewall_backend = "nftables"\n' > "$TMP/nft.conf"
NFTDIRS=$(echo "$DIRS" | sed "s|--config $HOST/network.conf|--config $TMP/nft.conf|")
expect_rc 0 "firewall_backend = nftables: reconnect $DRY" "$VF" reconnect $NFTDIRS $DRY --json
[ "$(backend_of)" = restore ] && ok "nftables: the bindings' backend is detected (restore)" \
    || fail "nftables: backend '$(backend_of)'"
[ "$(grep -c 'firewall_backend = "nftables": 1 network left to libvirt' "$TMP/err")" = 1 ] \
    && ok "nftables: the run says once that the network is left to libvirt" \
    || { fail "nftables: no (or more than one) notice"; sed 's/^/#   /' "$TMP/err"; }
[ "$(json_field networks_left_to_libvirt)" = 1 ] && [ "$(json_field rebuilt)" = 3 ] \
    && ok "nftables: the JSON summary says so, 3 units (the bindings)" \
    || { fail "nftables: JSON summary"; show "$TMP/out"; }
grep -q 'LIBVIRT_' "$TMP/out" && fail "nftables: network rules in the dry run" \
    || ok "nftables: no network rule in the dry run"
"$VF" reconnect $DIRS $DRY > "$TMP/out" 2>/dev/null
grep -q 'LIBVIRT_FWO' "$TMP/out" && ok "iptables-restore: the network's rules are built" \
    || fail "iptables-restore: no network rule in the dry run"
expect_rc 0 "nftables: apply vnet0 says nothing of networks" "$VF" apply vnet0 $NFTDIRS $DRY
grep -q 'left to libvirt' "$TMP/err" && fail "apply vnet0 spoke of networks" || ok "apply (no networks involved): no notice"
# a network status file we cannot read is libvirt's business under nftables
mkdir -p "$TMP/badnet"; printf 'not xml\n' > "$TMP/badnet/broken.xml"; cp "$HOST/network/"*.xml "$TMP/badnet/"
expect_rc 1 "iptables-restore: a broken network file fails its unit" "$VF" reconnect $(echo "$DIRS" | sed "s|--network-dir $HOST/network|--network-dir $TMP/badnet|") $DRY -q
expect_rc 0 "nftables: a broken network file fails nothing" "$VF" reconnect $(echo "$NFTDIRS" | sed "s|--network-dir $HOST/network|--network-dir $TMP/badnet|") $DRY -q
printf '# no firewall_backend\n' > "$TMP/fb.conf"
"$VF" reconnect $DRY --config "$TMP/fb.conf" --nwfilter-dir "$HOST/nwfilter" \
    --nwfilter-dir /usr/share/libvirt/nwfilter --binding-dir "$HOST/bindings" \
    --network-dir "$HOST/network" >/dev/null 2>"$TMP/err"
grep -q '^  backend: restore ' "$TMP/err" && ok "unset firewall_backend: restore tools detected" \
    || { fail "unset firewall_backend"; sed 's/^/#   /' "$TMP/err"; }
fi

# --- golden dump (offline, both backends, and the restore backend's replay)
for b in restore exec replay; do
    case $b in
    replay) "$VF" dump $DIRS --backend restore --replay > "$TMP/dump-$b" 2>"$TMP/err" ;;
    *) "$VF" dump $DIRS --backend $b > "$TMP/dump-$b" 2>"$TMP/err" ;;
    esac
    if [ -n "${VIR_TEST_REGENERATE_OUTPUT:-}" ]; then
        mkdir -p "$GOLDEN"; cp "$TMP/dump-$b" "$GOLDEN/dump-$b.out"
        fail "dump-$b regenerated"
    elif cmp -s "$TMP/dump-$b" "$GOLDEN/dump-$b.out"; then ok "dump --backend $b matches golden"
    else fail "dump --backend $b differs from golden"; diff "$GOLDEN/dump-$b.out" "$TMP/dump-$b" | head -20 | sed 's/^/#   /'; fi
done
"$VF" dump $DIRS --json > "$TMP/dump.json" 2>/dev/null && grep -q '"stdin"' "$TMP/dump.json" \
    && ok "dump --json" || fail "dump --json"

# --- the exec backend's commands are printed so that sh reads back each
# argv exactly (libvirt's virBufferEscapeShell quoting): blanks, quotes, $,
# a glob character and an empty word
cat > "$TMP/quoted.prog" <<'EOF'
program p1
transaction
ipv4 -t filter -A INPUT -m comment --comment "a b'c\"d $x" -j ACCEPT
ethernet -t nat -A PREROUTING -i "ve*" --among-src "" -j ACCEPT
EOF
"$VF" program "$TMP/quoted.prog" --dry-run --backend exec > "$TMP/quoted.out" 2>/dev/null
printf '%s\n' iptables -w -t filter -A INPUT -m comment --comment "a b'c\"d \$x" -j ACCEPT \
    ebtables --concurrent -t nat -A PREROUTING -i 've*' --among-src '' -j ACCEPT > "$TMP/quoted.want"
while IFS= read -r line; do   # a subshell: a quoting error fails this check only
    ( eval "set -- $line" && printf '%s\n' "$@" ) 2>/dev/null
done < "$TMP/quoted.out" > "$TMP/quoted.got"
cmp -s "$TMP/quoted.got" "$TMP/quoted.want" && [ "$(wc -l < "$TMP/quoted.out")" = 2 ] \
    && ok "dump/dry-run --backend exec: sh reads back every argv word for word" \
    || { fail "exec commands are not quoted for sh"; sed 's/^/#   /' "$TMP/quoted.out"; }

# --- the restart path against the kernel
i=0; while [ $i -lt 5000 ]; do echo frobnicate; i=$((i + 1)); done > "$TMP/many"
if [ "$(id -u)" != 0 ] || ! ip netns add "$NS" 2>/dev/null; then
    echo "# SKIP kernel part: needs root and ip netns"; skips=1
else
    ip netns add "$NS-x"
    K="$DIRS --netns $NS --state-file $TMP/state.json --json"
    expect_rc 0 "first reconnect" "$VF" reconnect $K
    [ "$(json_field rebuilt)" = 4 ] && ok "first reconnect rebuilt 3 interfaces + networks" || fail "rebuilt=$(json_field rebuilt)"
    # with the nft tools the generation id says nothing changed: no process
    # at all; otherwise one *-save per layer
    NFT=0; case $(readlink -f "$(command -v iptables)") in *xtables-nft-multi) NFT=1 ;; esac
    WANT=3; [ $NFT = 1 ] && WANT=0
    expect_rc 0 "second reconnect" "$VF" reconnect $K
    [ "$(json_field skipped)" = 4 ] && [ "$(json_field rules_written)" = 0 ] && [ "$(json_field processes)" = $WANT ] \
        && ok "second reconnect skipped everything, wrote nothing, $WANT processes" \
        || fail "second reconnect: skipped=$(json_field skipped) written=$(json_field rules_written) processes=$(json_field processes)"
    expect_rc 0 "verify clean" "$VF" verify $K
    # cache_is_kernel WHEN: the kernel cache holds exactly what *-save prints
    cache_is_kernel() {
        awk -v d="$TMP" '/^layer /{f=d "/cache." $2; printf "" > f; next} f {print >> f}' "$TMP/state.json.kernel"
        for l in ethernet:ebtables ipv4:iptables ipv6:ip6tables; do
            ip netns exec "$NS" ${l#*:}-save | grep -v '^#' > "$TMP/k.${l%%:*}"
            cmp -s "$TMP/k.${l%%:*}" "$TMP/cache.${l%%:*}" && ok "$1: kernel cache == ${l#*:}-save" \
                || { fail "$1: kernel cache differs from ${l#*:}-save"; diff "$TMP/k.${l%%:*}" "$TMP/cache.${l%%:*}" | head | sed 's/^/#   /'; }
        done
    }
    if [ $NFT = 1 ]; then
        cache_is_kernel "reconnect"
        # a foreign change moves the generation id: the kernel is read again,
        # nothing of ours is rebuilt, the foreign rule stays
        ip netns exec "$NS" iptables -w -A INPUT -s 10.55.0.1/32 -j ACCEPT
        expect_rc 0 "reconnect after a foreign change" "$VF" reconnect $K
        [ "$(json_field processes)" = 3 ] && [ "$(json_field skipped)" = 4 ] && [ "$(json_field rules_written)" = 0 ] \
            && ok "foreign change: kernel read (3 processes), all skipped" \
            || fail "foreign change: processes=$(json_field processes) skipped=$(json_field skipped)"
        ip netns exec "$NS" iptables-save | grep -q -- '-A INPUT -s 10.55.0.1/32 -j ACCEPT' \
            && ok "the foreign rule stayed" || fail "the foreign rule is gone"
        expect_rc 0 "reconnect again" "$VF" reconnect $K
        [ "$(json_field processes)" = 0 ] && ok "and then nothing to read again" \
            || fail "after the foreign change was seen: processes=$(json_field processes)"
        # the host's own namespace keeps its inode and cookie across a
        # reboot and its generation id restarts: files of another boot must
        # not match (here: the same files with another boot id)
        BOOT=$(cat /proc/sys/kernel/random/boot_id)
        grep -q ":$BOOT\"" "$TMP/state.json" && ok "the state file's namespace id names this boot" \
            || fail "no boot id in the state file's namespace id"
        sed "s/$BOOT/00000000-0000-0000-0000-000000000000/" "$TMP/state.json" > "$TMP/oldboot.json"
        sed "s/$BOOT/00000000-0000-0000-0000-000000000000/" "$TMP/state.json.kernel" > "$TMP/oldboot.json.kernel"
        expect_rc 0 "reconnect with the files of another boot" "$VF" reconnect $DIRS --netns "$NS" \
            --state-file "$TMP/oldboot.json" --json
        # the kernel holds every rule already: nothing written, none rebuilt
        [ "$(json_field skipped)" = 0 ] && [ "$(json_field unchanged)" = 4 ] && [ "$(json_field rebuilt)" = 0 ] \
            && [ "$(json_field rules_written)" = 0 ] && [ "$(json_field processes)" -ge 3 ] \
            && ok "another boot's files: nothing trusted, kernel read, all compared: unchanged, none rebuilt" \
            || fail "another boot's files were trusted: skipped=$(json_field skipped) processes=$(json_field processes)"
        ip netns exec "$NS" iptables -w -D INPUT -s 10.55.0.1/32 -j ACCEPT
    fi

    # firewall_backend = "nftables": the bindings' rules in the kernel, no
    # network rule; the same tables as the bindings alone (apply) leave
    ip netns add "$NS-n"; ip netns add "$NS-b"
    expect_rc 0 "nftables: reconnect in a namespace" "$VF" reconnect $NFTDIRS --netns "$NS-n" --state-file "$TMP/nft.json" --json
    [ "$(json_field rebuilt)" = 3 ] && ok "nftables: the 3 bindings applied" || fail "nftables: rebuilt=$(json_field rebuilt)"
    "$VF" apply vnet0 vnet1 vnet2 $DIRS --netns "$NS-b" --state-file "$TMP/b.json" -q
    for t in ebtables-save iptables-save ip6tables-save; do
        ip netns exec "$NS-n" $t | grep -v '^#' > "$TMP/n.$t"
        ip netns exec "$NS-b" $t | grep -v '^#' > "$TMP/b.$t"
        cmp -s "$TMP/n.$t" "$TMP/b.$t" && ok "nftables: $t holds the bindings' rules alone" \
            || { fail "nftables: $t differs from the bindings alone"; diff "$TMP/b.$t" "$TMP/n.$t" | head | sed 's/^/#   /'; }
    done
    grep -q -- '-A libvirt-I-vnet0 ' "$TMP/n.ebtables-save" && ok "nftables: vnet0's rules are in the kernel" \
        || fail "nftables: vnet0's rules missing"
    cat "$TMP/n.iptables-save" "$TMP/n.ip6tables-save" | grep -q 'LIBVIRT_\|virbr' \
        && fail "nftables: network rules in the kernel" || ok "nftables: no network rule in the kernel"
    expect_rc 0 "nftables: verify clean" "$VF" verify $NFTDIRS --netns "$NS-n" --state-file "$TMP/nft.json"
    ip netns del "$NS-n"; ip netns del "$NS-b"

    # the same batch with the exec backend (libvirt's way) leaves the same kernel
    "$VF" reconnect $DIRS --netns "$NS-x" --state-file "$TMP/state-x.json" --backend exec -q
    for t in ebtables-save iptables-save ip6tables-save; do
        ip netns exec "$NS" $t | grep -v '^#' > "$TMP/r.$t"
        ip netns exec "$NS-x" $t | grep -v '^#' > "$TMP/x.$t"
        cmp -s "$TMP/r.$t" "$TMP/x.$t" && ok "restore == exec: $t" || { fail "restore != exec: $t"; diff "$TMP/x.$t" "$TMP/r.$t" | head | sed 's/^/#   /'; }
    done

    ip netns exec "$NS" ebtables -t nat -F
    expect_rc 3 "verify sees the flushed ebtables" "$VF" verify $K
    expect_rc 0 "reconnect after flush" "$VF" reconnect $K
    [ "$(json_field rebuilt)" = 3 ] && [ "$(json_field skipped)" = 1 ] \
        && ok "only the 3 interfaces were rebuilt" || fail "after flush: rebuilt=$(json_field rebuilt) skipped=$(json_field skipped)"
    expect_rc 0 "verify clean after repair" "$VF" verify $K

    ip netns exec "$NS" iptables -w -F LIBVIRT_FWO
    expect_rc 0 "reconnect after network damage" "$VF" reconnect $K
    [ "$(json_field rebuilt)" = 1 ] && [ "$(json_field skipped)" = 3 ] \
        && ok "only the networks were rebuilt" || fail "network damage: rebuilt=$(json_field rebuilt)"

    # a filter changed on disk: only the interface using it is rebuilt
    cp -r "$HOST/nwfilter" "$TMP/nwf"
    sed -i "s/dstportstart='22'/dstportstart='2222'/" "$TMP/nwf/vf-cli-l3.xml"
    K2=$(echo "$K" | sed "s|--nwfilter-dir $HOST/nwfilter|--nwfilter-dir $TMP/nwf|")
    expect_rc 0 "reconnect with a changed filter" "$VF" reconnect $K2
    [ "$(json_field rebuilt)" = 1 ] && [ "$(json_field skipped)" = 3 ] \
        && ok "only vnet2 (the changed filter) was rebuilt" || fail "changed filter: rebuilt=$(json_field rebuilt)"
    ip netns exec "$NS" iptables-save | grep -q -- '--dport 2222' && ok "new port in the kernel" || fail "new port missing"

    expect_rc 0 "teardown vnet0" "$VF" teardown vnet0 $K2
    if ip netns exec "$NS" ebtables-save | grep -q 'vnet0'; then fail "vnet0 rules left"; else ok "vnet0 rules gone"; fi
    expect_rc 3 "verify after teardown reports vnet0" "$VF" verify $(echo "$K2" | sed 's/ --json//')
    grep -q "drift: interface/vnet0" "$TMP/out" && ok "drift names vnet0" || fail "drift does not name vnet0"
    expect_rc 0 "apply vnet0" "$VF" apply vnet0 $K2
    if [ $NFT = 1 ]; then
        # teardown kept the kernel cache: apply read no table (1 ebtables restore)
        [ "$(json_field processes)" = 1 ] && ok "apply after teardown: 1 process (no *-save)" \
            || fail "apply after teardown: processes=$(json_field processes)"
        # recorded while ebtables-restore wrote, put in place after
        cache_is_kernel "apply"
        left=$(ls "$TMP" | grep -E '^state\.json\.(kernel\.)?[A-Za-z0-9]{6}$' | grep -vx 'state.json.kernel')
        [ -z "$left" ] && ok "apply left no temporary file" || fail "apply left temporary files: $left"
    fi
    expect_rc 0 "verify clean after apply" "$VF" verify $K2
    expect_rc 0 "reconnect after teardown+apply" "$VF" reconnect $K2
    [ "$(json_field skipped)" = 4 ] && [ "$(json_field rules_written)" = 0 ] \
        && ok "reconnect after teardown+apply: all in place" \
        || fail "after teardown+apply: skipped=$(json_field skipped) written=$(json_field rules_written)"
    # a VM stopped (teardown), its binding still on disk: the next reconnect
    # must bring it back, not trust the unchanged files
    expect_rc 0 "teardown vnet1" "$VF" teardown vnet1 $K2
    expect_rc 0 "reconnect after teardown" "$VF" reconnect $K2
    [ "$(json_field rebuilt)" = 1 ] && ip netns exec "$NS" ebtables-save | grep -q 'libvirt-I-vnet1' \
        && ok "reconnect after teardown rebuilt vnet1" || fail "after teardown: rebuilt=$(json_field rebuilt)"

    # serve: the same requests in one process, the tables kept between
    # them; the kernel must end as the commands leave it
    for t in ebtables-save iptables-save ip6tables-save; do
        ip netns exec "$NS" $t | grep -v '^#' > "$TMP/before-serve.$t"
    done
    printf '%s\n' "teardown vnet0" "apply vnet0" "# a comment" "" "frobnicate vnet0" \
        "apply nosuch" "teardown vnet1 vnet2" "apply vnet1  vnet2 vnet1" > "$TMP/requests"
    # a foreign write between two requests (the generation id moves): after
    # serve answered the first two (it flushes each answer), not after a
    # fixed pause, which a loaded machine outran (CI: 1/4/3/3)
    : > "$TMP/answers"
    { head -n 2 "$TMP/requests"
      for _ in $(seq 300); do
          [ "$(wc -l < "$TMP/answers")" -ge 2 ] && break
          sleep 0.1
      done
      ip netns exec "$NS" iptables -w -A INPUT -s 10.66.0.1/32 -j ACCEPT
      tail -n +3 "$TMP/requests"; } | "$VF" serve $K2 > "$TMP/answers" 2>"$TMP/err"
    [ $? = 0 ] && [ "$(wc -l < "$TMP/answers")" = 6 ] && ok "serve answered 6 requests, one line each" \
        || { fail "serve: $(wc -l < "$TMP/answers") answers"; sed 's/^/#   /' "$TMP/answers" "$TMP/err"; }
    ans() { sed -n "$1p" "$TMP/answers"; }
    for i in 1 2 5 6; do
        ans $i | grep -q '"ok" *: *true' || fail "serve request $i: $(ans $i)"
    done
    python3 -c 'import json, sys
sys.exit(0 if all(json.loads(l)["version"] == 1 for l in open(sys.argv[1])) else 1)' "$TMP/answers" \
        && ok "serve: every answer carries version 1 (docs/json.md)" || fail "serve: an answer without version 1"
    ans 3 | grep -q "unknown request 'frobnicate'" && ok "serve: an unknown request is answered as such" \
        || fail "serve unknown request: $(ans 3)"
    ans 4 | grep -q '"ok" *: *false' && ans 4 | grep -q 'nosuch: no filter binding' \
        && ok "serve: a missing binding fails its request" || fail "serve missing binding: $(ans 4)"
    if [ $NFT = 1 ]; then
        # the cache the commands left, then the tables kept: no *-save, one
        # restore per layer written (vnet0: ebtables; vnet2: all three);
        # after the foreign write the three *-save once
        procs() { ans $1 | sed -n 's/.*"processes" *: *\([0-9]*\).*/\1/p'; }
        [ "$(procs 1)/$(procs 2)/$(procs 5)/$(procs 6)" = "1/1/6/3" ] \
            && ans 6 | grep -q '"kept_tables" *: *true' \
            && ok "serve: tables kept between requests, read again after a foreign write" \
            || fail "serve processes per request: $(procs 1)/$(procs 2)/$(procs 5)/$(procs 6), wanted 1/1/6/3"
    fi
    ip netns exec "$NS" iptables -w -D INPUT -s 10.66.0.1/32 -j ACCEPT
    for t in ebtables-save iptables-save ip6tables-save; do
        ip netns exec "$NS" $t | grep -v '^#' > "$TMP/after-serve.$t"
    done
    # the same requests as commands (each interface ends re-added in the
    # same order, whatever the order before): the same tables
    "$VF" teardown vnet0 $K2 -q && "$VF" apply vnet0 $K2 -q && \
        "$VF" teardown vnet1 vnet2 $K2 -q && "$VF" apply vnet1 vnet2 $K2 -q
    for t in ebtables-save iptables-save ip6tables-save; do
        ip netns exec "$NS" $t | grep -v '^#' > "$TMP/after-cmds.$t"
        cmp -s "$TMP/after-cmds.$t" "$TMP/after-serve.$t" && ok "serve left what the commands leave: $t" \
            || { fail "serve and the commands differ: $t"; diff "$TMP/after-cmds.$t" "$TMP/after-serve.$t" | head | sed 's/^/#   /'; }
        sort "$TMP/before-serve.$t" > "$TMP/a"; sort "$TMP/after-serve.$t" > "$TMP/b"
        cmp -s "$TMP/a" "$TMP/b" || fail "serve: other rules than before in $t"
    done
    expect_rc 0 "verify clean after serve" "$VF" verify $K2
    expect_rc 0 "reconnect after serve" "$VF" reconnect $K2
    [ "$(json_field skipped)" = 4 ] && [ "$(json_field rules_written)" = 0 ] \
        && ok "reconnect after serve: all in place" \
        || fail "after serve: skipped=$(json_field skipped) written=$(json_field rules_written)"
    if [ $NFT = 1 ]; then
        printf '%s\n' "teardown vnet2" "apply vnet2" | "$VF" serve $K2 > "$TMP/answers" 2>"$TMP/err"
        cache_is_kernel "serve"
    fi
    # filters are read at start and at 'reload', not per request
    cp -r "$TMP/nwf" "$TMP/nwf3"
    K3=$(echo "$K2" | sed "s|--nwfilter-dir $TMP/nwf|--nwfilter-dir $TMP/nwf3|")
    { echo "apply vnet2"; sleep 0.3; sed -i "s/dstportstart='2222'/dstportstart='3333'/" "$TMP/nwf3/vf-cli-l3.xml"
      echo "apply vnet2"; sleep 0.3; ip netns exec "$NS" iptables-save > "$TMP/before-reload"
      echo "reload"; echo "apply vnet2"; } | "$VF" serve $K3 > "$TMP/answers" 2>"$TMP/err"
    [ "$(grep -c '"ok":true' "$TMP/answers")" = 4 ] && grep -q -- '--dport 2222' "$TMP/before-reload" \
        && ! grep -q -- '--dport 3333' "$TMP/before-reload" \
        && ip netns exec "$NS" iptables-save | grep -q -- '--dport 3333' \
        && ! ip netns exec "$NS" iptables-save | grep -q -- '--dport 2222' \
        && ok "serve: a changed filter takes effect at 'reload'" \
        || { fail "serve reload"; sed 's/^/#   /' "$TMP/answers" "$TMP/err"; }
    "$VF" reconnect $K2 -q
    expect_rc 2 "serve takes no arguments" "$VF" serve $K2 vnet0
    expect_rc 2 "serve with --dry-run" "$VF" serve $K2 --dry-run

    # serve answers in JSON whatever bytes a request holds: invalid UTF-8
    # becomes U+FFFD, a control character is escaped (docs/virt-firewall.1)
    printf 'fr\377ob\037x\napply vn\300et0 vnet0\n' | "$VF" serve $K2 > "$TMP/answers" 2>"$TMP/err"
    if python3 -c 'import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(a) == 2, a
assert a[0]["request"] == "fr\ufffdob\x1fx", a[0]
assert a[1]["failed"] == ["vn\ufffdet0: no filter binding"], a[1]' "$TMP/answers"; then
        ok "serve: answers to non-UTF-8 requests are valid JSON, bytes replaced"
    else
        fail "serve answers are not valid JSON"; od -c "$TMP/answers" | head | sed 's/^/#   /'
    fi
    # a reader that goes away: serve stops with a message and exit 4, not
    # SIGPIPE (5000 answers overflow any pipe the reader left)
    { "$VF" serve $K2 < "$TMP/many" 2>"$TMP/err"; echo $? > "$TMP/rc"; } | true
    [ "$(cat "$TMP/rc")" = 4 ] && grep -q "cannot write the answer" "$TMP/err" \
        && ok "serve whose reader is gone: exit 4 with a message" \
        || { fail "serve whose reader is gone: exit $(cat "$TMP/rc")"; sed 's/^/#   /' "$TMP/err"; }

    # commands that write are serialized by an flock beside the state file
    flock "$TMP/state.json.lock" sleep 3 & holder=$!
    sleep 0.3
    expect_rc 4 "reconnect while another holds the lock" "$VF" reconnect $K2 --wait 1
    grep -q "another virt-firewall holds .*state.json.lock" "$TMP/err" && ok "the lock is named" \
        || { fail "lock message"; sed 's/^/#   /' "$TMP/err"; }
    { echo "apply vnet0"; sleep 2.5; echo "apply vnet0"; } | "$VF" serve $K2 --wait 1 > "$TMP/answers" 2>"$TMP/err"
    sed -n 1p "$TMP/answers" | grep -q '"ok":false.*lock' && grep -q "another virt-firewall holds" "$TMP/err" \
        && sed -n 2p "$TMP/answers" | grep -q '"ok":true' \
        && ok "serve: a request that cannot take the lock fails, serve goes on" \
        || { fail "serve under a held lock"; sed 's/^/#   /' "$TMP/answers" "$TMP/err"; }
    wait $holder
    ip netns exec "$NS" ebtables -t nat -F
    "$VF" reconnect $K2 -q & p1=$!
    "$VF" apply vnet0 vnet1 $K2 -q & p2=$!
    "$VF" reconnect $K2 -q & p3=$!
    wait $p1 && wait $p2 && wait $p3 && ok "three writers at once all succeed" || fail "a concurrent writer failed"
    expect_rc 0 "verify clean after concurrent writers" "$VF" verify $K2

    # killed between passes: only the first ebtables pass of a build is in
    # the kernel (temporary chains, linked). Both backends must repair it
    # to the same state.
    "$VF" dump $DIRS --replay > "$TMP/dump-all"
    awk '/^# /{cur=$2} /^# ebtables-restore/{n++; next} /^# /{next}
         cur=="ebtables-restore" && n==1 {print}' "$TMP/dump-all" > "$TMP/pass0"
    for ns in "$NS-h" "$NS-hx"; do
        ip netns add "$ns"; ip netns exec "$ns" ebtables-restore --noflush < "$TMP/pass0"
    done
    expect_rc 0 "reconnect over a half-built batch" "$VF" reconnect $DIRS --netns "$NS-h" --state-file "$TMP/h.json" -q
    "$VF" reconnect $DIRS --netns "$NS-hx" --state-file "$TMP/hx.json" --backend exec -q
    for t in ebtables-save iptables-save ip6tables-save; do
        ip netns exec "$NS-h" $t | grep -v '^#' > "$TMP/h.$t"
        ip netns exec "$NS-hx" $t | grep -v '^#' > "$TMP/hx.$t"
        cmp -s "$TMP/h.$t" "$TMP/hx.$t" && ok "half-built repair, restore == exec: $t" \
            || { fail "half-built repair differs: $t"; diff "$TMP/hx.$t" "$TMP/h.$t" | head | sed 's/^/#   /'; }
    done
    ip netns del "$NS-h"; ip netns del "$NS-hx"
fi

finish
