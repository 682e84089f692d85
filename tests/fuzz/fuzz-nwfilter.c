/*
 * fuzz-nwfilter.c: libvirt's <filter> XML (nwfFilterParseString)
 */
#include "fuzz-common.h"
#include "nwfilter/nwfilter_def.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = fuzzString(data, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(nwfFilter) def = NULL;

    fuzzInit();
    def = nwfFilterParseString(xml, "fuzz.xml", &error);
    if (!def && !error)
        g_error("nwfFilterParseString failed without an error");
    if (def && error)
        g_error("nwfFilterParseString succeeded with an error set");
    return 0;
}
