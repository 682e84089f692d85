/*
 * fuzz-conf.c: libvirt's virConf syntax (vfConfParse), network.conf
 */
#include "fuzz-common.h"
#include "conf/vfconf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = fuzzString(data, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(vfConf) conf = NULL;
    g_autofree char *backend = NULL;

    fuzzInit();
    if (!vfConfParse("fuzz.conf", text, &conf, &error)) {
        if (!error)
            g_error("vfConfParse failed without an error");
        return 0;
    }
    if (error)
        g_error("vfConfParse succeeded with an error set");
    (void)vfConfGetValue(conf, "firewall_backend");
    (void)vfConfGetLine(conf, "firewall_backend");
    if (vfConfGetString(conf, "firewall_backend", &backend, &error) < 0 && !error)
        g_error("vfConfGetString failed without an error");
    return 0;
}
