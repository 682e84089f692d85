# a FIFO named like a filter: never opened; the binding using it fails
mkdir -p nwfilter
mkfifo nwfilter/vf-fifo.xml
