/*
 * fuzz-network.c: libvirt's network XML (vfNetworkDefParseString), and
 * the formatting of what it parsed
 */
#include "fuzz-common.h"
#include "network/network_def.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = fuzzString(data, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(vfNetworkDef) def = NULL;

    fuzzInit();
    def = vfNetworkDefParseString(xml, "fuzz.xml", &error);
    if (!def) {
        if (!error)
            g_error("vfNetworkDefParseString failed without an error");
        return 0;
    }
    if (error)
        g_error("vfNetworkDefParseString succeeded with an error set");
    for (guint i = 0; i < def->ips->len; i++) {
        const vfNetworkIPDef *ip = g_ptr_array_index(def->ips, i);
        g_autofree char *addr = vfSocketAddrFormat(&ip->address);
        g_autofree char *net = NULL;

        if (ip->has_prefix)
            net = vfNetworkIPDefFormatNetwork(ip);
    }
    (void)vfNetworkDefGetIP(def, AF_INET, 0);
    (void)vfNetworkDefGetIP(def, AF_INET6, 1);
    return 0;
}
