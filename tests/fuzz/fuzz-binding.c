/*
 * fuzz-binding.c: <filterbinding> / <filterbindingstatus> (nwfBindingParseString)
 */
#include "fuzz-common.h"
#include "nwfilter/nwfilter_binding.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = fuzzString(data, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(nwfBinding) b = NULL;

    fuzzInit();
    b = nwfBindingParseString(xml, "fuzz.xml", &error);
    if (!b && !error)
        g_error("nwfBindingParseString failed without an error");
    if (b && error)
        g_error("nwfBindingParseString succeeded with an error set");
    return 0;
}
