/*
 * failure.c: units that failed, and why
 */
#include "failure.h"

vfFailure *
vfFailureNew(const char *unit, const char *reason)
{
    vfFailure *f = g_new0(vfFailure, 1);

    f->unit = g_strdup(unit);
    f->reason = g_strdup(reason);
    return f;
}

void
vfFailureFree(vfFailure *f)
{
    if (!f)
        return;
    g_free(f->unit);
    g_free(f->reason);
    g_free(f);
}

GPtrArray *
vfFailuresNew(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)vfFailureFree);
}

const vfFailure *
vfFailuresFind(GPtrArray *failures, const char *unit)
{
    for (guint i = 0; failures && i < failures->len; i++) {
        const vfFailure *f = g_ptr_array_index(failures, i);
        if (g_str_equal(f->unit, unit))
            return f;
    }
    return NULL;
}
