#!/bin/bash
# gen-host.sh N FILTER OUTDIR [FIRST]
# Writes a libvirt-like host: OUTDIR/bindings/vnetK.xml for K = FIRST..N-1
# (libvirt's nwfilter-binding status format, as in examples/host), the NAT
# network OUTDIR/network/default.xml and OUTDIR/network.conf.
# Binding K: MAC 52:54:00:00:HH:LL, IP 10.0.HH.LL (K = HH*256+LL) -- the
# oracle's template (/work/shared/oracle/README.md).
set -eu
n=$1 filter=$2 out=$3 first=${4:-0}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/bindings" "$out/network"
cp "$here/../examples/host/network/default.xml" "$out/network/"
cp "$here/../examples/host/network.conf" "$out/"
for ((i = first; i < n; i++)); do
    hi=$((i / 256)) lo=$((i % 256))
    printf -v mac '52:54:00:00:%02x:%02x' $hi $lo
    printf -v uuid '6f726163-6c65-4000-8000-%012x' $i
    cat > "$out/bindings/vnet$i.xml" <<XML
<filterbindingstatus>
  <filterbinding>
    <owner>
      <name>vm$i</name>
      <uuid>$uuid</uuid>
    </owner>
    <portdev name='vnet$i'/>
    <mac address='$mac'/>
    <filterref filter='$filter'>
      <parameter name='IP' value='10.0.$hi.$lo'/>
      <parameter name='MAC' value='$mac'/>
    </filterref>
  </filterbinding>
</filterbindingstatus>
XML
done
