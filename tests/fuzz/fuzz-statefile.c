/*
 * fuzz-statefile.c: the state file (vfStateFileParse). It is read from
 * disk on every run; whatever it holds must give a state or an error,
 * never a crash (json-glib recurses per nesting level) or a g_critical
 * (json-glib's getters on members of another type).
 */
#include "fuzz-common.h"
#include "state/state.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vfStateFile) st = NULL;
    g_auto(GStrv) units = NULL;
    guint32 gen;

    fuzzInit();
    st = vfStateFileParse("fuzz.json", "net:[1]:2:boot", (const char *)data, size, &error);
    if (!st && !error)
        g_error("vfStateFileParse failed without an error");
    if (st && error)
        g_error("vfStateFileParse succeeded with an error set");
    if (!st)
        return 0;
    units = vfStateFileUnits(st);
    for (gsize i = 0; units[i]; i++) {
        if (!vfStateFileGetDesired(st, units[i]) || !vfStateFileGetKernel(st, units[i]))
            g_error("unit %s without its hashes", units[i]);
    }
    (void)vfStateFileGetGeneration(st, &gen);
    (void)vfStateFileGetInputs(st);
    return 0;
}
