/*
 * undo.c: putting back what an apply committed (undo.h)
 */
#include "undo.h"
#include "error.h"
#include "render.h"

typedef struct {
    virFirewallLayer layer;
    char *table;
    GPtrArray *entries;   /* borrowed from the round's simulation */
} vfCommitted;

struct _vfUndo {
    gboolean diff;   /* vfUndoNewDiff */
    vfTableSet *const *before;
    vfTableSet *const *after;
    GPtrArray *committed;   /* of vfCommitted*, oldest first */
};

static void
committedFree(vfCommitted *c)
{
    g_free(c->table);
    g_ptr_array_unref(c->entries);
    g_free(c);
}

static vfUndo *
undoNew(void)
{
    vfUndo *undo = g_new0(vfUndo, 1);

    undo->committed = g_ptr_array_new_with_free_func((GDestroyNotify)committedFree);
    return undo;
}

vfUndo *
vfUndoNewLog(void)
{
    return undoNew();
}

vfUndo *
vfUndoNewDiff(vfTableSet *const *before, vfTableSet *const *after)
{
    vfUndo *undo = undoNew();

    undo->diff = TRUE;
    undo->before = before;
    undo->after = after;
    return undo;
}

void
vfUndoFree(vfUndo *undo)
{
    if (!undo)
        return;
    g_ptr_array_unref(undo->committed);
    g_free(undo);
}

void
vfUndoAdd(vfUndo *undo, const vfPlanScript *script)
{
    vfCommitted *c = g_new0(vfCommitted, 1);

    c->layer = script->layer;
    c->table = g_strdup(script->table);
    c->entries = g_ptr_array_ref(script->entries);
    g_ptr_array_add(undo->committed, c);
}

static gint
logIndexDescending(gconstpointer a, gconstpointer b)
{
    const vfLogEntry *x = *(vfLogEntry *const *)a, *y = *(vfLogEntry *const *)b;
    return x->logIndex < y->logIndex ? 1 : x->logIndex > y->logIndex ? -1 : 0;
}

/* A table the apply found absent, wrote and then put back is still there,
 * empty (the tools never delete a table); exec would have left none. */
static void
dropCreated(vfRestoreRun *run, virFirewallLayer layer, const char *table)
{
    const vfBackendOptions *o = run->options;
    g_autoptr(GError) err = NULL;

    if (o->target && !vfTargetDropEmptyTable(o->target, layer, table, &err))
        g_debug("table %s (%s), created by the batch and put back, stays, "
                "empty: %s", table, vfRestoreLayerLabel(layer),
                err ? err->message : "?");
}

/* Whether the apply found the table absent at its start. */
static gboolean
wasAbsent(vfRestoreRun *run, virFirewallLayer layer, const char *table)
{
    g_autofree char *key = vfRestoreTableKey(layer, table);
    return !g_hash_table_contains(run->found, key);
}

/* Runs @scripts (of vfPlanScript*) that put tables back; any refusal
 * leaves a table in an unknown state, which the error says. */
static gboolean
runPutBack(vfRestoreRun *run, GPtrArray *scripts, GError **error)
{
    for (guint s = 0; s < scripts->len; s++) {
        vfPlanScript *script = g_ptr_array_index(scripts, s);
        g_autofree char *text = NULL;
        g_auto(vfRunResult) res = { 0 };

        vfRestoreDecideListing(run, script, NULL);
        text = vfRenderScript(script, NULL);
        run->stats->layers_written |= 1u << script->layer;
        if (!vfRestoreRunScript(run, script->layer, text, &res, run->stats, error))
            return FALSE;
        if (res.status != 0) {
            g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                        "could not put back table %s (%s) after a failed "
                        "batch; its state is unknown: %s",
                        script->table, vfRestoreLayerLabel(script->layer),
                        g_strstrip(res.err));
            return FALSE;
        }
    }
    return TRUE;
}

/* The log's way: the inverse of every entry, newest first. */
static gboolean
undoLog(vfUndo *undo, vfRestoreRun *run, GError **error)
{
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func((GDestroyNotify)vfLogEntryFree);
    g_autoptr(vfPlan) plan = NULL;
    g_autoptr(GPtrArray) done = g_ptr_array_new();
    g_autoptr(GHashTable) tables = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                         g_free, NULL);

    /* newest first in the order the simulation logged them: scripts may
     * hold commuting steps in another order, but the inverse of the log
     * is an inverse of any such order, and its positions are the log's */
    for (guint i = 0; i < undo->committed->len; i++) {
        vfCommitted *c = g_ptr_array_index(undo->committed, i);
        for (guint k = 0; k < c->entries->len; k++)
            g_ptr_array_add(done, g_ptr_array_index(c->entries, k));
    }
    g_ptr_array_sort(done, logIndexDescending);
    for (guint k = 0; k < done->len; k++) {
        vfLogEntry *e = g_ptr_array_index(done, k);
        GPtrArray *inverse = vfLogEntryUndo(e);
        for (guint j = 0; j < inverse->len; j++) {
            vfLogEntry *u = vfLogEntryFromWords(e->layer, e->table,
                                                g_ptr_array_index(inverse, j));
            if (u)
                g_ptr_array_add(lines, u);
        }
    }
    plan = vfPlanBuild(lines);
    for (guint p = 0; p < plan->passes->len; p++) {
        if (!runPutBack(run, g_ptr_array_index(plan->passes, p), error))
            return FALSE;
    }
    for (guint i = 0; i < undo->committed->len; i++) {
        vfCommitted *c = g_ptr_array_index(undo->committed, i);
        /* once per table: a round commits one script per table and pass */
        if (g_hash_table_add(tables, vfRestoreTableKey(c->layer, c->table)) &&
            wasAbsent(run, c->layer, c->table))
            dropCreated(run, c->layer, c->table);
    }
    return TRUE;
}

/* The difference's way: each table written back to what it was, newest
 * first; a table that did not exist stays, empty, unless dropCreated can
 * remove it. */
static gboolean
undoDiff(vfUndo *undo, vfRestoreRun *run, GError **error)
{
    for (guint i = undo->committed->len; i > 0; i--) {
        const vfCommitted *done = g_ptr_array_index(undo->committed, i - 1);
        g_autoptr(vfTableSet) empty = NULL;
        g_autoptr(vfDiff) back = vfDiffNew();
        vfTable *was = vfTableSetGet(undo->before[done->layer], done->table);
        vfTable *now = vfTableSetGet(undo->after[done->layer], done->table);
        g_autofree char *why = NULL;

        if (!was) {
            empty = vfTableSetNew(done->layer);
            was = vfTableSetEnsure(empty, done->table);
        }
        if (!vfDiffAddTable(back, done->layer, now, was, &why)) {
            g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                        "cannot put %s table %s back: %s",
                        vfRestoreLayerLabel(done->layer), done->table, why);
            return FALSE;
        }
        if (!runPutBack(run, back->scripts, error))
            return FALSE;
        if (empty)
            dropCreated(run, done->layer, done->table);
    }
    return TRUE;
}

gboolean
vfUndoRun(vfUndo *undo, vfRestoreRun *run, GError **error)
{
    if (!(undo->diff ? undoDiff : undoLog)(undo, run, error))
        return FALSE;
    g_ptr_array_set_size(undo->committed, 0);
    return TRUE;
}

void
vfUndoRunAfterError(vfUndo *undo, vfRestoreRun *run, GError **error)
{
    g_autoptr(GError) undoErr = NULL;

    if (!undo->committed->len || vfUndoRun(undo, run, &undoErr))
        return;
    if (error && *error) {
        GError *both = g_error_new((*error)->domain, (*error)->code,
                                   "%s; putting back the tables committed before "
                                   "failed too, they stay applied: %s",
                                   (*error)->message, undoErr->message);
        g_clear_error(error);
        g_propagate_error(error, both);
    } else {
        g_propagate_error(error, g_steal_pointer(&undoErr));
    }
}
