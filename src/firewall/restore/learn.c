/*
 * learn.c: what a refused line of the replay teaches the next round
 *
 * A line a tool refused is the model's miss: its entry's fact key is
 * recorded as failing, and the next round's simulation fails that rule as
 * the kernel did (the program then fails and rolls back exactly as libvirt
 * would have it, the others are applied). A line refused may have met a
 * passing state (a concurrent writer; ebtables-nft 1.8.9 can fail the
 * retry of a batch that met another commit, twice in a row under a busy
 * writer: test-fault 4a under ASan): only the third refusal of the same
 * line makes it a fact. A refusal naming no line is retried once blind,
 * then bisected (bisect.c).
 */
#include "restore.h"
#include "error.h"

/* Refusals of one line of the replay before it counts as failing. */
#define VF_RESTORE_REFUSALS_FOR_FACT 3

struct _vfLearner {
    GHashTable *facts;      /* fact key -> reason */
    GHashTable *suspects;   /* fact key -> refusals so far */
    gboolean blind_retried;
};

vfLearner *
vfLearnerNew(void)
{
    vfLearner *learner = g_new0(vfLearner, 1);

    learner->facts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    learner->suspects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return learner;
}

void
vfLearnerFree(vfLearner *learner)
{
    if (!learner)
        return;
    g_hash_table_unref(learner->facts);
    g_hash_table_unref(learner->suspects);
    g_free(learner);
}

GHashTable *
vfLearnerFacts(vfLearner *learner)
{
    return learner->facts;
}

gboolean
vfLearnRefusal(vfLearner *learner, vfRestoreRun *run, const vfPlanScript *script,
               const char *text, GPtrArray *map, const vfRunResult *res,
               GError **error)
{
    guint line = vfRestoreFailedLine(res->err);
    vfLogEntry *culprit = NULL;
    g_autofree char *reason = NULL;
    g_autofree char *key = NULL;
    guint refusals;

    if (line >= 1 && line <= map->len)
        culprit = g_ptr_array_index(map, line - 1);
    if (!culprit && !learner->blind_retried) {
        /* no line named (a crash, a message we do not know): try the round
         * once more before searching */
        learner->blind_retried = TRUE;
        return TRUE;
    }
    if (culprit) {
        reason = vfRestoreDescribeFailure(text, line, script->layer,
                                          script->table, res->err);
    } else {
        g_autofree char *err = NULL;
        if (!(culprit = vfRestoreBisect(run, script, &err, error)))
            return FALSE;
        reason = g_strdup_printf("%s (%s-restore, table %s, exit %d)",
                                 err && *g_strstrip(err) ? err : "no message",
                                 vfRestoreLayerLabel(script->layer),
                                 script->table, res->status);
    }

    /* entries of the log carry it (vfLogEntryFromWords ones are undo
     * lines, never a culprit) */
    key = g_strdup(culprit->factKey ? culprit->factKey : "");
    if (g_hash_table_contains(learner->facts, key)) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "%s keeps failing: %s", vfLogEntryDescribe(culprit), reason);
        return FALSE;
    }
    refusals = GPOINTER_TO_UINT(g_hash_table_lookup(learner->suspects, key)) + 1;
    if (refusals >= VF_RESTORE_REFUSALS_FOR_FACT)
        g_hash_table_insert(learner->facts, g_steal_pointer(&key),
                            g_steal_pointer(&reason));
    else
        g_hash_table_insert(learner->suspects, g_steal_pointer(&key),
                            GUINT_TO_POINTER(refusals));
    return TRUE;
}
