/*
 * writediff.c: the difference in one pass, one restore per changed table
 *
 * A restore that could not run or refused its input has the tables the
 * others wrote put back (undo.c); a refusal then makes the apply replay the
 * programs' log instead (apply.c). One after the other, or (a small
 * difference, vfBackendApplyBegin) side by side while the caller goes on.
 */
#include "undo.h"
#include "render.h"

/* A difference up to this many lines is small enough to format the result
 * while the tools write it (vfBackendApplyBegin). */
#define VF_WHILE_WRITING_MAX_LINES 4000

gboolean
vfRestoreExactSets(vfTableSet *const *sets)
{
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (sets[l] && sets[l]->inexact)
            return FALSE;
    }
    return TRUE;
}

/* One restore per layer at most: the layers' tools can run side by side. */
static gboolean
oneScriptPerLayer(const vfDiff *diff)
{
    guint seen = 0;

    for (guint s = 0; s < diff->scripts->len; s++) {
        const vfPlanScript *script = g_ptr_array_index(diff->scripts, s);
        if (seen & (1u << script->layer))
            return FALSE;
        seen |= 1u << script->layer;
    }
    return TRUE;
}

static void
refusedDebug(const vfPlanScript *script, char *err)
{
    g_debug("%s-restore refused the difference for table %s (%s); "
            "replaying the programs instead", vfRestoreLayerLabel(script->layer),
            script->table, g_strstrip(err));
}

/* How the writing ended: @runErr (taken) when a tool could not run,
 * @refused when one refused its input; @undo holds what was written. */
static vfDiffOutcome
endWriting(vfRestoreRun *run, vfUndo *undo, GError *runErr, gboolean refused,
           guint scripts, GError **error)
{
    if (runErr) {
        g_propagate_error(error, runErr);
        vfUndoRunAfterError(undo, run, error);
        return VF_DIFF_ERROR;
    }
    if (refused) {
        run->stats->retries++;
        return vfUndoRun(undo, run, error) ? VF_DIFF_REFUSED : VF_DIFF_ERROR;
    }
    run->stats->passes = scripts ? 1 : 0;
    return VF_DIFF_APPLIED;
}

typedef struct {
    const vfRestoreRun *run;
    virFirewallLayer layer;
    const char *text;
    vfRunResult res;
    vfApplyStats stats;
    GError *error;
    gboolean ran;
} vfScriptJob;

static gpointer
scriptJob(gpointer data)
{
    vfScriptJob *job = data;

    job->ran = vfRestoreRunScript(job->run, job->layer, job->text, &job->res,
                                  &job->stats, &job->error);
    return NULL;
}

/* The outcome as it will be if the tools take the difference: known
 * until vfRestoreWriteDiffFinish, which tells whether it holds. */
static void
foretellOutcome(vfRestoreRun *run, vfTableSet *const *after, guint transactions)
{
    vfApplyOutcome *out = run->outcome;

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        out->save[l] = after[l] ? vfTableSetFormat(after[l]) : NULL;
    out->transactions = transactions;
    out->known = TRUE;
}

/* A small difference being written (a VM start): each layer's restore on
 * a thread of its own, side by side (different tools, different tables;
 * one tool's wait is mostly the kernel's commit). */
struct _vfDiffWriting {
    vfRestoreRun *run;
    vfDiff *diff;   /* the run's */
    vfScriptJob *jobs;
    GThread **threads;
    GPtrArray *texts;
    vfUndo *undo;
};

vfDiffWriting *
vfRestoreWriteDiffBegin(vfRestoreRun *run, vfDiff *diff, vfTableSet *const *after)
{
    vfDiffWriting *w;
    guint n = diff->scripts->len;

    if (!n || !vfRestoreExactSets(after) || diff->lines > VF_WHILE_WRITING_MAX_LINES ||
        !oneScriptPerLayer(diff))
        return NULL;
    w = g_new0(vfDiffWriting, 1);
    w->run = run;
    w->diff = diff;
    w->jobs = g_new0(vfScriptJob, n);
    w->threads = g_new0(GThread *, n);
    w->texts = g_ptr_array_new_with_free_func(g_free);
    w->undo = vfUndoNewDiff(run->snapshot, after);
    for (guint s = 0; s < n; s++) {
        vfPlanScript *script = g_ptr_array_index(diff->scripts, s);
        char *text;

        vfRestoreDecideListing(run, script, run->snapshot);
        text = vfRenderScript(script, NULL);

        g_ptr_array_add(w->texts, text);
        g_debug("%s-restore --noflush <<\n%s", vfRestoreLayerLabel(script->layer), text);
        w->jobs[s].run = run;
        w->jobs[s].layer = script->layer;
        w->jobs[s].text = text;
        w->threads[s] = g_thread_new("vf-restore", scriptJob, &w->jobs[s]);
    }
    /* formatted while the tools write */
    foretellOutcome(run, after, n);
    return w;
}

vfDiffOutcome
vfRestoreWriteDiffFinish(vfDiffWriting *w, GError **error)
{
    vfRestoreRun *run = w->run;
    guint n = w->diff->scripts->len;
    GError *runErr = NULL;
    gboolean refused = FALSE;
    vfDiffOutcome end;

    run->outcome->known = FALSE;   /* until the tools have taken it */
    for (guint s = 0; s < n; s++) {
        vfPlanScript *script = g_ptr_array_index(w->diff->scripts, s);
        vfScriptJob *job = &w->jobs[s];

        g_thread_join(w->threads[s]);
        run->stats->lock_retries += job->stats.lock_retries;
        if (!job->ran) {
            if (!runErr)
                runErr = g_steal_pointer(&job->error);
            g_clear_error(&job->error);
        } else {
            run->stats->layers_written |= 1u << script->layer;
            if (job->res.status != 0) {
                refusedDebug(script, job->res.err);
                refused = TRUE;
            } else {
                vfUndoAdd(w->undo, script);
                run->stats->lines += script->entries->len;
            }
        }
        vfRunResultClear(&job->res);
    }
    end = endWriting(run, w->undo, runErr, refused, n, error);
    vfUndoFree(w->undo);
    g_ptr_array_unref(w->texts);
    g_free(w->threads);
    g_free(w->jobs);
    g_free(w);
    return end;
}

vfDiffOutcome
vfRestoreWriteDiff(vfRestoreRun *run, vfDiff *diff, vfTableSet *const *after,
                   GError **error)
{
    g_autoptr(vfUndo) undo = vfUndoNewDiff(run->snapshot, after);

    for (guint s = 0; s < diff->scripts->len; s++) {
        vfPlanScript *script = g_ptr_array_index(diff->scripts, s);
        g_autofree char *text = NULL;
        g_auto(vfRunResult) res = { 0 };
        GError *runErr = NULL;

        vfRestoreDecideListing(run, script, run->snapshot);
        text = vfRenderScript(script, NULL);

        g_debug("%s-restore --noflush <<\n%s", vfRestoreLayerLabel(script->layer), text);
        if (!vfRestoreRunScript(run, script->layer, text, &res, run->stats, &runErr))
            return endWriting(run, undo, runErr, FALSE, 0, error);
        run->stats->layers_written |= 1u << script->layer;
        if (res.status != 0) {
            refusedDebug(script, res.err);
            return endWriting(run, undo, NULL, TRUE, 0, error);
        }
        vfUndoAdd(undo, script);
        run->stats->lines += script->entries->len;
    }
    return endWriting(run, undo, NULL, FALSE, diff->scripts->len, error);
}
