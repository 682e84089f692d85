# a FIFO, a directory, a symlink to /dev/zero and a file over the size
# limit, each named like a binding: libvirt opens them (and hangs on the
# FIFO, reads /dev/zero until memory runs out); each fails alone here
mkfifo bindings/vnet2.xml
mkdir bindings/vnet3.xml
ln -s /dev/zero bindings/vnet4.xml
truncate -s 11M bindings/vnet5.xml
