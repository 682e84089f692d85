# shellcheck shell=bash
# lib.sh: what every end-to-end test of the patched libvirt shares.
#
# Sourced by the scenario scripts next to it. Each scenario runs the
# libvirtd that contrib/libvirt/build.sh installed in $VF_LIBVIRT_PREFIX,
# inside a sandbox of its own:
#   - a private network namespace (ip netns add), where the tap devices
#     live and every firewall command runs;
#   - a private mount namespace in it, with tmpfs over /run (the xtables
#     lock) and over PREFIX's etc/libvirt, var/run, var/lib/libvirt,
#     var/cache/libvirt and var/log/libvirt, so that the installed
#     prefix stays as installed and runs never meet;
#   - a holder process (sleep, renamed) that keeps both alive; every
#     command goes through sb(), which refuses unless the holder is ours
#     and lives in the private netns (neither ours nor PID 1's).
# Everything is torn down on exit, also on failure and on SIGTERM
# (meson's timeout). The firewall of the namespace the test starts from
# is never touched.
#
# Exit codes: 0 pass, 1 fail, 77 skip (no prefix given, not root, tools
# or namespaces missing).
set -euo pipefail

log()  { printf '# %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
skip() { log "SKIP: $*"; exit 77; }

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PREFIX=${VF_LIBVIRT_PREFIX:-}
HOLDER_PID=""
DAEMON_PID=""
LAUNCH_PID=""
DAEMON_LOG=""
N_STARTS=0
# libvirtd's log_filters: the scenarios read the debug lines of these
# modules; a script may narrow them before e2e_init (bench/libvirt does)
E2E_LOG_FILTERS=${E2E_LOG_FILTERS:-1:util.firewall 1:util.command 1:nwfilter 1:network 3:*}

# e2e_init NAME: checks, then the sandbox
e2e_init() {
    local name=$1 t

    [ -n "$PREFIX" ] || skip "VF_LIBVIRT_PREFIX is not set: build with 'sh contrib/libvirt/build.sh PREFIX', then run with VF_LIBVIRT_PREFIX=PREFIX"
    [ "$(id -u)" = 0 ] || skip "needs root (network and mount namespaces, libvirtd)"
    PREFIX=$(readlink -f "$PREFIX")
    LIBVIRTD=$PREFIX/sbin/libvirtd
    VIRSH=$PREFIX/bin/virsh
    [ -x "$LIBVIRTD" ] && [ -x "$VIRSH" ] ||
        skip "$LIBVIRTD or $VIRSH missing: is $PREFIX a prefix built by contrib/libvirt/build.sh?"
    [ -d "$PREFIX/etc/libvirt/nwfilter" ] || skip "$PREFIX/etc/libvirt/nwfilter missing"
    for t in ip unshare nsenter ebtables-save iptables-save ip6tables-save nft; do
        command -v "$t" >/dev/null || skip "$t not installed"
    done

    NETNS=vflv-$name-$$
    HOLDER_MARK=vf-libvirt-e2e-holder-$NETNS
    WORK=$(mktemp -d "/tmp/vf-libvirt-$name.XXXXXX")
    mkdir -p "$WORK/rules"

    cleanup_stale
    HOST_FW_BEFORE=$(host_fw_snapshot)
    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start_sandbox
}

# A run killed with SIGKILL leaves its sandbox behind: for each netns of
# an earlier run whose test process is gone, end what that run started
# there (its holder, daemons, virsh, dnsmasq) and delete the netns.
cleanup_stale() {
    local ns p exe cmd
    for ns in /run/netns/vflv-*; do
        [ -e "$ns" ] || continue
        ns=${ns##*/}
        [[ $ns =~ -([0-9]+)$ ]] || continue
        kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            exe=$(readlink "/proc/$p/exe" 2>/dev/null || true)
            cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null || true)
            case "$cmd/$exe" in
                "vf-libvirt-e2e-holder-$ns "*|*/sbin/libvirtd|*/sbin/virtnwfilterd|*/bin/virsh|*/sbin/dnsmasq)
                    log "ending pid $p ($exe) left by an earlier run in $ns"
                    kill -KILL "$p" 2>/dev/null || true ;;
            esac
        done
        sleep 0.2
        if [ -z "$(ip netns pids "$ns" 2>/dev/null)" ]; then
            log "deleting netns $ns left by an earlier run"
            ip netns del "$ns" || true
        fi
    done
}

holder_ok() {
    local p=${1:-}
    [ -n "$p" ] && [ -r "/proc/$p/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "^$HOLDER_MARK " || return 1
}

# DAEMON: the daemon start_daemon runs (libvirtd, or a modular one)
daemon_ok() {
    local p=${1:-}
    [ -n "$p" ] && [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "${DAEMON:-$LIBVIRTD}" ]
}

# Runs a command inside the sandbox; refuses unless the holder is ours
# and lives in the private netns.
sb() {
    holder_ok "$HOLDER_PID" || fail "sandbox holder '$HOLDER_PID' is not alive/ours"
    if [[ /proc/$HOLDER_PID/ns/net -ef /proc/$$/ns/net ]] ||
       [[ /proc/$HOLDER_PID/ns/net -ef /proc/1/ns/net ]] ||
       ! [[ /proc/$HOLDER_PID/ns/net -ef /run/netns/$NETNS ]]; then
        fail "SAFETY: holder $HOLDER_PID is not in netns $NETNS - refusing"
    fi
    nsenter -t "$HOLDER_PID" -n -m -- "$@"
}

# A path of the sandbox's mount namespace, seen from outside
sbpath() { printf '/proc/%s/root%s' "$HOLDER_PID" "$1"; }

vsh() { sb "$VIRSH" -q -c "${URI:-nwfilter:///system}" "$@"; }

host_fw_snapshot() {
    { nft -s list ruleset 2>&1 || true
      cat /proc/net/ip_tables_names /proc/net/ip6_tables_names 2>/dev/null || true; } | sed '/^# /d'
}

start_sandbox() {
    local d hs
    # the installed configuration, copied into the private etc/libvirt;
    # no network autostarts (the default one needs a free 192.168.122.0/24)
    cp -a "$PREFIX/etc/libvirt" "$WORK/etc"
    rm -f "$WORK"/etc/qemu/networks/autostart/*.xml
    printf '%s\n' 'log_filters="'"$E2E_LOG_FILTERS"'"' \
        'log_outputs="1:file:'"$PREFIX"'/var/log/libvirt/libvirtd.log"' >"$WORK/etc/libvirtd.conf"

    mkdir -p "$PREFIX/var/run" "$PREFIX/var/lib/libvirt" "$PREFIX/var/cache/libvirt" \
             "$PREFIX/var/log/libvirt"
    ip netns add "$NETNS" 2>"$WORK/netns.err" ||
        skip "cannot create a network namespace: $(cat "$WORK/netns.err")"
    hs='set -e
mount -t tmpfs -o mode=0755 vf-lv-run /run
mkdir -p /run/lock
for d in "'"$PREFIX"'/var/run" "'"$PREFIX"'/var/lib/libvirt" "'"$PREFIX"'/var/cache/libvirt" "'"$PREFIX"'/var/log/libvirt"; do
  mount -t tmpfs -o mode=0755 vf-lv "$d"
done
mount -t tmpfs -o mode=0755 vf-lv-etc "'"$PREFIX"'/etc/libvirt"
cp -a "'"$WORK"'"/etc/. "'"$PREFIX"'/etc/libvirt/"
mkdir -p "'"$PREFIX"'/var/run/libvirt/nwfilter-binding" "'"$PREFIX"'/var/lib/libvirt/dnsmasq"
ip link set lo up
touch "'"$WORK"'/holder.ready"
exec -a '"$HOLDER_MARK"' sleep infinity'
    ip netns exec "$NETNS" unshare --mount --propagation private bash -c "$hs" \
        </dev/null >"$WORK/holder.log" 2>&1 &
    HOLDER_PID=$!
    for _ in $(seq 200); do
        [ -e "$WORK/holder.ready" ] && holder_ok "$HOLDER_PID" && break
        sleep 0.05
    done
    if ! holder_ok "$HOLDER_PID"; then
        cat "$WORK/holder.log" >&2
        skip "cannot set up the private mount namespace"
    fi
    sb true
    log "sandbox: netns $NETNS, holder $HOLDER_PID, prefix $PREFIX"
}

stop_daemon() {
    local p=${DAEMON_PID:-}
    if daemon_ok "$p"; then
        kill -TERM "$p" 2>/dev/null || true
        for _ in $(seq 150); do daemon_ok "$p" || break; sleep 0.1; done
        if daemon_ok "$p"; then
            log "libvirtd $p did not exit, SIGKILL"
            kill -KILL "$p" 2>/dev/null || true
            sleep 0.2
        fi
    fi
    if [ -n "$LAUNCH_PID" ]; then wait "$LAUNCH_PID" 2>/dev/null || true; LAUNCH_PID=""; fi
    DAEMON_PID=""
}

# Processes this test may have left in its netns
kill_leftovers() {
    local p exe
    for p in $(ip netns pids "$NETNS" 2>/dev/null); do
        exe=$(readlink "/proc/$p/exe" 2>/dev/null || true)
        case "$exe" in
            "$LIBVIRTD"|"${DAEMON:-$LIBVIRTD}"|"$VIRSH"|/usr/sbin/dnsmasq|/usr/sbin/xtables-*|/usr/sbin/ebtables*|/usr/sbin/nft|"$PREFIX"/*)
                log "killing leftover pid $p ($exe)"; kill -KILL "$p" 2>/dev/null || true ;;
            *)
                if holder_ok "$p"; then kill -KILL "$p" 2>/dev/null || true
                else log "netns $NETNS holds foreign pid $p ($exe); not touching it"; fi ;;
        esac
    done
}

teardown() {
    stop_daemon
    if holder_ok "$HOLDER_PID"; then
        kill -TERM "$HOLDER_PID" 2>/dev/null || true
        for _ in $(seq 50); do holder_ok "$HOLDER_PID" || break; sleep 0.1; done
        if holder_ok "$HOLDER_PID"; then kill -KILL "$HOLDER_PID" 2>/dev/null || true; fi
    fi
    HOLDER_PID=""
    if [ -e "/run/netns/$NETNS" ]; then
        kill_leftovers
        sleep 0.2
        ip netns del "$NETNS" 2>/dev/null || ip netns del "$NETNS" || log "cannot delete netns $NETNS"
    fi
}

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "$DAEMON_LOG" ] && [ -s "$DAEMON_LOG" ]; then
        log "libvirtd warnings and errors (last 20):"
        grep -E ' (warning|error) : ' "$DAEMON_LOG" | tail -n 20 | sed 's/^/#   /' >&2 || true
    fi
    teardown || true
    if [ -n "${HOST_FW_BEFORE+x}" ] && [ "$(host_fw_snapshot)" != "$HOST_FW_BEFORE" ]; then
        # not a failure of this test by itself: something else on the
        # machine may have changed its firewall meanwhile
        log "WARNING: the firewall of the starting namespace changed during the test"
    fi
    if [ -n "${VF_LIBVIRT_KEEP:-}" ]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}

# set_backend VALUE: network.conf's firewall_backend ("" = no file)
set_backend() {
    local f
    f=$(sbpath "$PREFIX/etc/libvirt/network.conf")
    if [ -z "$1" ]; then
        rm -f "$f"
    else
        printf 'firewall_backend = "%s"\n' "$1" >"$f"
    fi
}

# start_daemon TAG [env NAME=VALUE...]: starts $DAEMON (libvirtd by
# default; its log settings come from the private libvirtd.conf, which
# the modular daemons understand too), waits until it
# answers; its log is $WORK/TAG.log (DAEMON_LOG). T_READY: seconds from
# launch until the first answer.
start_daemon() {
    local tag=$1 pidf=$PREFIX/var/run/e2e-libvirtd.pid t0 i
    shift
    N_STARTS=$((N_STARTS + 1))
    rm -f "$(sbpath "$pidf")" "$(sbpath "$PREFIX/var/log/libvirt/libvirtd.log")"
    DAEMON_LOG=$WORK/$tag.log
    t0=$(date +%s.%N)
    sb env "$@" "${DAEMON:-$LIBVIRTD}" -f "$PREFIX/etc/libvirt/libvirtd.conf" -p "$pidf" \
        </dev/null >"$WORK/$tag.out" 2>&1 &
    LAUNCH_PID=$!
    for i in $(seq 600); do
        if [ -s "$(sbpath "$pidf")" ]; then
            DAEMON_PID=$(cat "$(sbpath "$pidf")" 2>/dev/null || true)
            daemon_ok "$DAEMON_PID" && break
        fi
        if ! kill -0 "$LAUNCH_PID" 2>/dev/null; then
            copy_log
            return 1
        fi
        sleep 0.02
    done
    daemon_ok "${DAEMON_PID:-}" || { copy_log; fail "libvirtd did not write its pid file"; }
    # libvirtd accepts a connection before its drivers are ready, and
    # answers it after: a short timeout keeps SIGTERM (meson's timeout)
    # from waiting for that
    for i in $(seq 100000); do
        if sb timeout 2 "$VIRSH" -q -c "${URI:-nwfilter:///system}" nwfilter-binding-list \
               >"$WORK/bl.txt" 2>"$WORK/bl.err"; then
            break
        fi
        if ! daemon_ok "$DAEMON_PID"; then copy_log; return 1; fi
        [ "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print (b - a > 1200) }')" = 0 ] ||
            { copy_log; fail "the daemon did not answer within 1200 s"; }
        sleep 0.05
    done
    T_READY=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    copy_log
    return 0
}

# The daemon's log so far, to $DAEMON_LOG
copy_log() {
    cp "$(sbpath "$PREFIX/var/log/libvirt/libvirtd.log")" "$DAEMON_LOG" 2>/dev/null || true
}

# restart_daemon TAG [env...]: stop, start again, rules left in place
restart_daemon() {
    stop_daemon
    start_daemon "$@" || fail "libvirtd failed to start ($1): $(tail -n 3 "$WORK/$1.out")"
}

flush_rules() {
    sb nft flush ruleset
    [ -z "$(sb nft list ruleset)" ] || fail "flushing the sandbox's ruleset failed"
}

# Firewall processes libvirt ran, from its debug log (virCommand logs
# each before it runs): fw_procs LOG -> count
fw_procs() {
    grep -cE 'About to run [^ ]*(ebtables|iptables|ip6tables)' "$1" || true
}

# Restore processes among them
restore_procs() {
    grep -cE 'About to run [^ ]*-restore' "$1" || true
}

norm() { sed -e '/^#/d'; }

# dump_rules PHASE: the sandbox's tables to $WORK/rules/PHASE.*
dump_rules() {
    local ph=$1 d=$WORK/rules
    sb ebtables-save | norm >"$d/$ph.ebtables-save"
    sb iptables-save | norm >"$d/$ph.iptables-save"
    sb ip6tables-save | norm >"$d/$ph.ip6tables-save"
}

# The rules of the chains that hold one jump per interface (libvirt
# instantiates bindings in hash table order, which differs from run to
# run, also between two runs of stock libvirt) move, sorted, to the end;
# everything else keeps its order.
canon() {
    awk '/^-A (PREROUTING|POSTROUTING|INPUT|FORWARD|OUTPUT|libvirt-in|libvirt-out|libvirt-in-post|libvirt-host-in) /{r[++n]=$0; next} {print}
         END{fflush(); c = "LC_ALL=C sort"; for (i = 1; i <= n; i++) print r[i] | c; close(c)}' "$1"
}

# same_rules PHASE_A PHASE_B: the same tables, modulo that order
same_rules() {
    local a=$1 b=$2 d=$WORK/rules f
    for f in ebtables-save iptables-save ip6tables-save; do
        if ! cmp -s <(canon "$d/$a.$f") <(canon "$d/$b.$f"); then
            log "$f differs between $a and $b:"
            diff <(canon "$d/$a.$f") <(canon "$d/$b.$f") | head -n 20 | sed 's/^/#   /' >&2 || true
            return 1
        fi
    done
}

count_rules() {
    local d=$WORK/rules ph=$1
    printf 'eb=%s ip4=%s ip6=%s' \
        "$(grep -c '^-A' "$d/$ph.ebtables-save" || true)" \
        "$(grep -c '^-A' "$d/$ph.iptables-save" || true)" \
        "$(grep -c '^-A' "$d/$ph.ip6tables-save" || true)"
}

# make_taps FIRST LAST: tap devices vnetFIRST..vnetLAST
make_taps() {
    local i
    : >"$WORK/ip.batch"
    for ((i = $1; i <= $2; i++)); do echo "tuntap add dev vnet$i mode tap"; done >"$WORK/ip.batch"
    sb ip -batch "$WORK/ip.batch" || skip "cannot create tap devices"
}

# binding_xml I FILTER [NAME=VALUE...]: a binding for vnetI on stdout
binding_xml() {
    local i=$1 filter=$2 p hi lo
    shift 2
    hi=$((i / 256)); lo=$((i % 256))
    printf '<filterbinding>\n'
    printf '  <owner><name>vm%d</name><uuid>6f726163-6c65-4000-8000-%012x</uuid></owner>\n' "$i" "$i"
    printf "  <portdev name='vnet%d'/>\n" "$i"
    printf "  <mac address='52:54:00:00:%02x:%02x'/>\n" "$hi" "$lo"
    if [ $# -eq 0 ]; then
        printf "  <filterref filter='%s'/>\n" "$filter"
    else
        printf "  <filterref filter='%s'>\n" "$filter"
        for p in "$@"; do
            p=${p//%hi/$hi}; p=${p//%lo/$lo}
            printf "    <parameter name='%s' value='%s'/>\n" "${p%%=*}" "${p#*=}"
        done
        printf '  </filterref>\n'
    fi
    printf '</filterbinding>\n'
}

# status_bindings FIRST LAST FILTER [NAME=VALUE...]: bindings in the
# daemon's status directory, as a running libvirtd leaves them for its
# next start
status_bindings() {
    local first=$1 last=$2 i d
    shift 2
    d=$(sbpath "$PREFIX/var/run/libvirt/nwfilter-binding")
    for ((i = first; i <= last; i++)); do
        { echo '<filterbindingstatus>'; binding_xml "$i" "$@"; echo '</filterbindingstatus>'; } >"$d/vnet$i.xml"
    done
}

# define_filter FILE: a filter in the private etc/libvirt/nwfilter
define_filter() {
    cp "$1" "$(sbpath "$PREFIX/etc/libvirt/nwfilter")/"
}

# assert_log PATTERN [LOG]: an extended regexp the daemon logged
assert_log() {
    grep -qE "$1" "${2:-$DAEMON_LOG}" || fail "libvirtd did not log /$1/"
}
