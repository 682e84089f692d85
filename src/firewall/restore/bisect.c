/*
 * bisect.c: finding the entry a tool refused when it names no line
 *
 * The legacy tools report a kernel's rejection at COMMIT, a crash names
 * nothing: the first failing entry is found by trying prefixes of the
 * script and putting back each prefix that applied.
 */
#include "undo.h"
#include "render.h"

vfLogEntry *
vfRestoreBisect(vfRestoreRun *run, const vfPlanScript *script,
                char **reason, GError **error)
{
    guint lo = 0, hi = script->entries->len;  /* prefix lo ok, prefix hi fails */
    g_autofree char *lastErr = NULL;

    while (hi - lo > 1) {
        guint mid = (lo + hi) / 2;
        vfPlanScript part = { script->layer, script->table, g_ptr_array_new(), FALSE };
        g_autofree char *text = NULL;
        g_auto(vfRunResult) res = { 0 };
        gboolean ok = TRUE;

        for (guint i = 0; i < mid; i++)
            g_ptr_array_add(part.entries, g_ptr_array_index(script->entries, i));
        text = vfRenderScript(&part, NULL);
        if (!vfRestoreRunScript(run, script->layer, text, &res, run->stats, error)) {
            ok = FALSE;
        } else if (res.status == 0) {
            g_autoptr(vfUndo) undo = vfUndoNewLog();
            vfUndoAdd(undo, &part);
            ok = vfUndoRun(undo, run, error);
            lo = mid;
        } else {
            g_free(lastErr);
            lastErr = g_strdup(res.err);
            hi = mid;
        }
        g_ptr_array_unref(part.entries);
        if (!ok)
            return NULL;
    }
    *reason = g_steal_pointer(&lastErr);
    return g_ptr_array_index(script->entries, hi - 1);
}
