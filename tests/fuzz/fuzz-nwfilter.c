/*
 * fuzz-nwfilter.c: libvirt's <filter> XML (nwfFilterParse, with the warnings
 * of what libvirt ignores)
 */
#include "fuzz-common.h"

#include <string.h>
#include "nwfilter/nwfilter_def.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = fuzzString(data, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(nwfFilter) def = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);

    fuzzInit();
    def = nwfFilterParse(xml, strlen(xml), "fuzz.xml", warnings, &error);
    if (!def && !error)
        g_error("nwfFilterParse failed without an error");
    if (def && error)
        g_error("nwfFilterParse succeeded with an error set");
    return 0;
}
