/*
 * fuzz-snapshot.c: *-save output (vfSnapshotParse). The first byte picks
 * the layer (ebtables, iptables, ip6tables); the rest is the text.
 */
#include "fuzz-common.h"
#include "restore/snapshot.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(vfTableSet) set = NULL;
    g_autoptr(vfTableSet) copy = NULL;
    virFirewallLayer layer;

    if (size < 1)
        return 0;
    fuzzInit();
    layer = data[0] % VIR_FIREWALL_LAYER_LAST;
    text = fuzzString(data + 1, size - 1);
    set = vfTableSetNew(layer);
    if (!vfSnapshotParse(set, text, &error)) {
        if (!error)
            g_error("vfSnapshotParse failed without an error");
        return 0;
    }
    if (error)
        g_error("vfSnapshotParse succeeded with an error set");
    copy = vfTableSetCopy(set);
    return 0;
}
