# bash completion for virt-firewall                       -*- shell-script -*-
#
# Commands and options are read from the program's own --help, so they
# never fall behind it; interface names from the binding directory (or the
# one named by --binding-dir on the line), as libvirt names its binding
# files <portdev>.xml; for show, the VM names the bindings hold too.

_virt_firewall_commands()
{
    "$1" --help 2>/dev/null | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'
}

_virt_firewall_binding_dir()
{
    local dir=/run/libvirt/nwfilter-binding i
    for ((i = 2; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in
        --binding-dir) dir=${COMP_WORDS[i + 1]} ;;
        --binding-dir=*) dir=${COMP_WORDS[i]#--binding-dir=} ;;
        esac
    done
    printf '%s\n' "$dir"
}

_virt_firewall_ifaces()
{
    local dir f
    dir=$(_virt_firewall_binding_dir)
    for f in "$dir"/*.xml; do
        [ -f "$f" ] || continue
        f=${f##*/}
        printf '%s\n' "${f%.xml}"
    done
}

# the VMs that own bindings: <name> is the owner's (the binding's other
# names are attributes)
_virt_firewall_vms()
{
    local dir f
    dir=$(_virt_firewall_binding_dir)
    for f in "$dir"/*.xml; do
        [ -f "$f" ] || continue
        sed -n 's|.*<name>\([^<]*\)</name>.*|\1|p' "$f" 2>/dev/null
    done | sort -u
}

_virt_firewall()
{
    local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev= cmd=
    local IFS=$'\n'

    COMPREPLY=()
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    if ((COMP_CWORD == 1)); then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W $'--help\n--version' -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_virt_firewall_commands "$prog")" -- "$cur"))
        fi
        return
    fi
    cmd=${COMP_WORDS[1]}

    case $prev in
    --config|--state-file)
        COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --nwfilter-dir|--binding-dir|--network-dir)
        COMPREPLY=($(compgen -d -- "$cur")); return ;;
    -b|--backend)
        COMPREPLY=($(compgen -W $'exec\nrestore' -- "$cur")); return ;;
    --netns)
        COMPREPLY=($(compgen -W "$(ip netns list 2>/dev/null | awk '{ print $1 }')" -- "$cur"))
        return ;;
    -c|--connect)
        COMPREPLY=($(compgen -W $'qemu:///system\nnwfilter:///system\nnetwork:///system' -- "$cur"))
        return ;;
    -w|--wait)
        return ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$("$prog" "$cmd" --help 2>/dev/null |
                                   grep -oE -- '--[a-z][a-z-]*' | grep -vE '^--help-' | sort -u)" -- "$cur"))
        return
    fi
    case $cmd in
    help)
        ((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W "$(_virt_firewall_commands "$prog")" -- "$cur")) ;;
    apply|teardown|verify)
        COMPREPLY=($(compgen -W "$(_virt_firewall_ifaces)" -- "$cur")) ;;
    show)
        COMPREPLY=($(compgen -W "$(_virt_firewall_vms; _virt_firewall_ifaces)" -- "$cur")) ;;
    program)
        COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}
complete -F _virt_firewall virt-firewall
