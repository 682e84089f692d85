/*
 * apply.c: the restore backend's apply — snapshot, simulate, plan, render, run
 *
 * Reads each layer's tables once and simulates every program of the batch
 * against that copy. What the simulation leaves behind is written as the
 * difference to the snapshot: one restore per changed table, one pass
 * (writediff.c).
 *
 * When a tool refuses a line of that difference (the model missed
 * something), the tables written are put back and the batch is replayed
 * as the simulation logged it, one restore per table per pass: there a
 * refused line belongs to a program. The committed tables are put back
 * (undo.c), the line is recorded as failing (learn.c), and the batch is
 * planned again: the failing program then fails and rolls back exactly as
 * libvirt would have it, and the others are applied.
 *
 * The apply is one vfRestoreRun from vfRestoreBegin to vfRestoreFinish.
 * The Begin goes as far as it can; only a small difference written side
 * by side (vfBackendApplyBegin) makes it return early, with the tools
 * writing, and the Finish takes it from there: the same phases, cut at
 * the one place where the caller has time.
 */
#include "undo.h"
#include "error.h"
#include "render.h"
#include "snapshot.h"

#define VF_RESTORE_MAX_ROUNDS 64
/* A batch of at most this many programs (a VM start is one) starts its
 * restore tools ahead (vfRunnerPrestart). */
#define VF_PRESTART_MAX_PROGRAMS 4

/*
 * The tools start while the tables are read and simulated (a layer only
 * taken rules from is most often left as it is); not for a large batch,
 * where their start is noise and a reconnect with nothing to write would
 * start them for nothing.
 */
static void
startTools(vfRestoreRun *run)
{
    const vfBatch *batch = run->batch;
    guint adds = 0;

    for (gsize i = 0; i < batch->n; i++) {
        run->layers |= vfProgramLayers(batch->programs[i]);
        if (batch->n <= VF_PRESTART_MAX_PROGRAMS)
            adds |= vfProgramAddLayers(batch->programs[i]);
    }
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (adds & (1u << l)) {
            g_auto(GStrv) argv = vfRenderRestoreArgv(l, run->options->wait_seconds);
            vfRunnerPrestart(run->options->runner, (const char *const *)argv);
        }
    }
}

/* The tables the last apply left are the kernel's if nobody committed
 * since (keep_tables). */
static void
checkKept(vfRestoreRun *run)
{
    vfRestore *restore = run->restore;
    const vfBackendOptions *o = run->options;

    if (restore->garbage)   /* not freed between applies: now, not never */
        g_ptr_array_set_size(restore->garbage, 0);
    if (restore->keeps) {
        run->gen_start = vfTargetGeneration(o->target);
        if (!run->gen_start.known || run->gen_start.id != restore->kept_gen)
            vfRestoreDropKept(restore);
    }
}

/* One *-save per layer (queries never cost a process of their own),
 * unless the tables are kept or the batch brought the texts. */
static gboolean
readTables(vfRestoreRun *run, GError **error)
{
    vfRestore *restore = run->restore;

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        const char *given = run->batch->save[l];

        if (!(run->layers & (1u << l)))
            continue;
        if (restore->kept[l]) {
            run->snapshot[l] = g_steal_pointer(&restore->kept[l]);
            run->copies[l] = g_steal_pointer(&restore->kept_copy[l]);
        } else if (given) {
            /* kept tables outlive the caller's text: they get a copy */
            gsize len = strlen(given);
            g_autoptr(GBytes) text = restore->keeps ?
                g_bytes_new(given, len) : g_bytes_new_static(given, len);

            run->given_text = TRUE;
            run->snapshot[l] = vfTableSetNew(l);
            if (!vfSnapshotParseBytes(run->snapshot[l], text, error))
                return FALSE;
        } else if (!(run->snapshot[l] = vfSnapshotRead(run->options->runner, l, error))) {
            return FALSE;
        }
    }
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        for (guint t = 0; run->snapshot[l] && t < run->snapshot[l]->tables->len; t++) {
            const vfTable *table = g_ptr_array_index(run->snapshot[l]->tables, t);
            g_hash_table_add(run->found, vfRestoreTableKey(l, table->name));
        }
    }
    return TRUE;
}

gboolean
vfRestoreReadAgain(vfRestoreRun *run, GError **error)
{
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (!(run->layers & (1u << l)))
            continue;
        g_clear_pointer(&run->snapshot[l], vfTableSetFree);
        if (!(run->snapshot[l] = vfSnapshotRead(run->options->runner, l, error)))
            return FALSE;
    }
    return TRUE;
}

static void
releaseProgram(gsize i, gpointer data)
{
    vfRestoreRun *run = data;

    if (run->batch->release(i, run->batch->source_data))
        run->programs[i] = NULL;
}

/* Every released program back, for a replay. */
static gboolean
rebuildPrograms(vfRestoreRun *run, GError **error)
{
    for (gsize i = 0; i < run->batch->n; i++) {
        if (run->programs[i])
            continue;
        if (!(run->programs[i] = run->batch->rebuild(i, run->batch->source_data))) {
            g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                        "program %zu could not be rebuilt for the replay", i);
            return FALSE;
        }
    }
    return TRUE;
}

static vfSimulation *
simulate(vfRestoreRun *run, gboolean keepLog, void (*done)(gsize, gpointer))
{
    vfSimulation *sim = vfSimulationNewFrom(run->snapshot, run->copies,
                                            vfLearnerFacts(run->learner));

    sim->keepLog = keepLog;
    vfSimulationRunFull(sim, (virFirewall *const *)run->programs, run->batch->n,
                        run->outcome->errors, done, run);
    return sim;
}

/* vfApplyOutcome's way to the tables it holds */
static char *
formatTables(void *tables)
{
    return vfTableSetFormat(tables);
}

static void
freeTables(void *tables)
{
    vfTableSetFree(tables);
}

/*
 * The difference is written: the simulation's tables (@sets) are now the
 * kernel's. They are kept (keep_tables) when exact and, if made from
 * the batch's texts, only if those are of the generation this apply
 * started from; else handed over in the outcome. The snapshot's tables go
 * first (the peak of a large apply).
 */
static void
settleOutcome(vfRestoreRun *run, vfTableSet **sets, guint transactions)
{
    vfApplyOutcome *out = run->outcome;
    const vfBatch *batch = run->batch;
    gboolean hasText = out->save[0] || out->save[1] || out->save[2];
    gboolean exact = vfRestoreExactSets(sets);
    gboolean keep = run->restore->keeps;

    G_STATIC_ASSERT(VIR_FIREWALL_LAYER_LAST == 3);
    run->kept = exact &&
                (!run->given_text || (batch->save_at.known && run->gen_start.known &&
                                      batch->save_at.id == run->gen_start.id)) &&
                vfRestoreKeep(run->restore, run, transactions, sets);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        vfRestoreDiscard(run->restore, &run->snapshot[l]);
        if (!hasText && !keep && exact)
            out->tables[l] = g_steal_pointer(&sets[l]);
    }
    out->tables_format = formatTables;
    out->tables_free = freeTables;
    out->transactions = transactions;
    out->known = hasText || (!keep && exact);
}

/* What writing the first round's difference left: the outcome settled,
 * or the tables put back for a replay. */
static vfRoundEnd
differenceWritten(vfRestoreRun *run, vfDiffOutcome written, GError **error)
{
    g_autoptr(vfSimulation) sim = g_steal_pointer(&run->sim);
    g_autoptr(vfDiff) diff = g_steal_pointer(&run->diff);

    switch (written) {
    case VF_DIFF_APPLIED:
        settleOutcome(run, sim->sets, diff->scripts->len);
        return VF_ROUND_DONE;
    case VF_DIFF_ERROR:
        return VF_ROUND_ERROR;
    case VF_DIFF_REFUSED:
        break;
    }
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        g_clear_pointer(&run->outcome->save[l], g_free);
    for (guint k = 0; k < diff->scripts->len; k++) {
        vfPlanScript *sc = g_ptr_array_index(diff->scripts, k);
        if (sc->listing)
            run->listing = VF_LISTING_OFF;
    }
    return vfRestoreReadAgain(run, error) ? VF_ROUND_AGAIN : VF_ROUND_ERROR;
}

/* The first round: the whole batch as one difference, left writing in
 * the background if @background and it is small. */
static vfRoundEnd
writeDifference(vfRestoreRun *run, gboolean background, GError **error)
{
    g_autofree char *why = NULL;

    /* the difference needs only the final tables, not the log, nor the
     * programs once walked */
    run->sim = simulate(run, FALSE, run->batch->release ? releaseProgram : NULL);
    /* written as a difference, such a rule would never meet a tool */
    if (!vfSimulationJudgedGone(run->sim, &why))
        run->diff = vfDiffBuild(run->snapshot, run->sim->sets, &why);
    if (!run->diff) {
        g_debug("replaying the programs: %s", why);
        g_clear_pointer(&run->sim, vfSimulationFree);
        return VF_ROUND_AGAIN;
    }
    if (background &&
        (run->writing = vfRestoreWriteDiffBegin(run, run->diff, run->sim->sets)))
        return VF_ROUND_WRITING;
    return differenceWritten(run, vfRestoreWriteDiff(run, run->diff, run->sim->sets, error),
                             error);
}

/* One script of a replay; @undo holds what the round committed. */
static vfRoundEnd
replayScript(vfRestoreRun *run, vfPlanScript *script, vfUndo *undo,
             GError **error)
{
    g_autoptr(GPtrArray) map = NULL;
    g_autofree char *text = NULL;
    g_auto(vfRunResult) res = { 0 };

    /* a pass after the first meets more than the snapshot: an estimate still */
    vfRestoreDecideListing(run, script, run->snapshot);
    text = vfRenderScript(script, &map);
    if (!vfRestoreRunScript(run, script->layer, text, &res, run->stats, error)) {
        vfUndoRunAfterError(undo, run, error);
        return VF_ROUND_ERROR;
    }
    if (res.status == 0) {
        vfUndoAdd(undo, script);
        run->stats->lines += script->entries->len;
        run->stats->layers_written |= 1u << script->layer;
        return VF_ROUND_DONE;
    }

    run->stats->retries++;
    if (script->listing)
        run->listing = VF_LISTING_OFF;
    if (!vfLearnRefusal(run->learner, run, script, text, map, &res, error)) {
        vfUndoRunAfterError(undo, run, error);
        return VF_ROUND_ERROR;
    }
    if (!vfUndoRun(undo, run, error))
        return VF_ROUND_ERROR;
    /* plan the next round from what the kernel holds now */
    return vfRestoreReadAgain(run, error) ? VF_ROUND_AGAIN : VF_ROUND_ERROR;
}

/* A round of the replay: libvirt's steps as the simulation logged them,
 * pass by pass. */
static vfRoundEnd
replayRound(vfRestoreRun *run, GError **error)
{
    g_autoptr(vfSimulation) sim = NULL;
    g_autoptr(vfPlan) plan = NULL;
    g_autoptr(vfUndo) undo = vfUndoNewLog();

    if (!rebuildPrograms(run, error))
        return VF_ROUND_ERROR;
    sim = simulate(run, TRUE, NULL);
    plan = vfPlanBuild(sim->log);
    run->stats->passes = plan->passes->len;
    for (guint p = 0; p < plan->passes->len; p++) {
        GPtrArray *scripts = g_ptr_array_index(plan->passes, p);
        for (guint s = 0; s < scripts->len; s++) {
            vfRoundEnd end = replayScript(run, g_ptr_array_index(scripts, s),
                                          undo, error);
            if (end != VF_ROUND_DONE)
                return end;
        }
    }
    return VF_ROUND_DONE;
}

/* Rounds of the replay from @round on, until one is done. */
static vfRoundEnd
replayRounds(vfRestoreRun *run, guint round, GError **error)
{
    vfRoundEnd end;

    for (; round < VF_RESTORE_MAX_ROUNDS; round++) {
        if ((end = replayRound(run, error)) != VF_ROUND_AGAIN)
            return end;
    }
    g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                "restore batch did not settle after %d rounds",
                VF_RESTORE_MAX_ROUNDS);
    return VF_ROUND_ERROR;
}

/* Whatever the end: tools started ahead stop, and what the kernel holds
 * is forgotten unless kept (a replay, a failure: it is not known). */
static void
finish(vfRestoreRun *run)
{
    vfRunnerCancelPrestarted(run->options->runner);
    if (!run->kept)
        vfRestoreDropKept(run->restore);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        vfRestoreDiscard(run->restore, &run->snapshot[l]);
        vfTableSetFree(run->copies[l]);
        if (!run->outcome->known)
            g_clear_pointer(&run->outcome->save[l], g_free);
    }
    g_clear_pointer(&run->sim, vfSimulationFree);
    g_clear_pointer(&run->diff, vfDiffFree);
    g_hash_table_unref(run->found);
    vfLearnerFree(run->learner);
    g_free(run->programs);
}

gpointer
vfRestoreBegin(gpointer state, const vfBatch *batch, vfApplyOutcome *outcome,
               gboolean background, gboolean *writing)
{
    vfRestore *restore = state;
    vfRestoreRun *run = g_new0(vfRestoreRun, 1);

    run->restore = restore;
    run->options = restore->options;
    run->batch = batch;
    run->outcome = outcome;
    run->stats = &outcome->stats;
    run->listing = restore->options->listing;
    run->programs = g_memdup2(batch->programs, sizeof(*batch->programs) * batch->n);
    run->found = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    run->learner = vfLearnerNew();

    startTools(run);
    checkKept(run);
    if (!readTables(run, &run->error))
        run->end = VF_ROUND_ERROR;
    else if (run->options->replay)
        run->end = replayRounds(run, 0, &run->error);
    else if ((run->end = writeDifference(run, background, &run->error)) == VF_ROUND_AGAIN)
        run->end = replayRounds(run, 1, &run->error);
    *writing = run->end == VF_ROUND_WRITING;
    return run;
}

gboolean
vfRestoreFinish(gpointer apply, GError **error)
{
    vfRestoreRun *run = apply;
    gboolean ok;

    if (run->end == VF_ROUND_WRITING) {
        vfDiffOutcome written = vfRestoreWriteDiffFinish(g_steal_pointer(&run->writing),
                                                         &run->error);
        run->end = differenceWritten(run, written, &run->error);
        if (run->end == VF_ROUND_AGAIN)
            run->end = replayRounds(run, 1, &run->error);
    }
    finish(run);
    ok = run->end == VF_ROUND_DONE;
    for (gsize i = 0; ok && i < run->batch->n; i++) {
        if (run->outcome->errors[i])
            ok = FALSE;
    }
    if (run->error)
        g_propagate_error(error, run->error);
    g_free(run);
    return ok;
}
