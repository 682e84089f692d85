#!/bin/bash
# capture-switch.sh - (re)captures tests/restoredata/nwfilter-switch/ with
# real libvirt (oracle-switch.sh, private network namespace). about 8 s per case.
set -euo pipefail
H=$(cd "$(dirname "$0")" && pwd)
D=$H/../restoredata/nwfilter-switch
W=$H/oracle-switch.sh
F=$H/switch-filters
L3=$H/../restoredata/nwfilter/vf-l3-tcp/filters/vf-l3-tcp.xml
case_() {
    local name=$1; shift
    if [ -n "${ONLY:-}" ] && [ "$ONLY" != "$name" ]; then return 0; fi
    "$W" "$@"
}
case_ ct-to-nms     -P IP=10.0.0.0 clean-traffic "$D/ct-to-nms" --to no-mac-spoofing --to-param IP=10.0.0.0
case_ l3tcp-to-ct   -d "$L3" -P IP=10.0.0.0 vf-l3-tcp "$D/l3tcp-to-ct" --to clean-traffic --to-param IP=10.0.0.0
case_ ct-to-l3tcp   -P IP=10.0.0.0 clean-traffic "$D/ct-to-l3tcp" -d "$L3" --to vf-l3-tcp --to-param IP=10.0.0.0
case_ update-vf-upd -d "$F/vf-upd-v1.xml" -P IP=10.0.0.0 vf-upd "$D/update-vf-upd" --update "$F/vf-upd-v2.xml"
