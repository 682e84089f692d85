/*
 * fuzz-binding.c: <filterbinding> / <filterbindingstatus> (nwfBindingParse, as
 * the API's form and as a status file, with warnings)
 */
#include "fuzz-common.h"

#include <string.h>
#include "nwfilter/nwfilter_binding.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = fuzzString(data, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(nwfBinding) b = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);

    fuzzInit();
    for (int status = 0; status < 2; status++) {
        b = nwfBindingParse(xml, strlen(xml), "fuzz.xml", status, warnings, &error);
        if (!b && !error)
            g_error("nwfBindingParse failed without an error");
        if (b && error)
            g_error("nwfBindingParse succeeded with an error set");
        g_clear_pointer(&b, nwfBindingFree);
        g_clear_error(&error);
    }
    return 0;
}
