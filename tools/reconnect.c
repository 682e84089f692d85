/*
 * reconnect.c: the restart path — every binding and network in one batch,
 * skipping what the state file and the kernel both say is in place
 */
#include "cli.h"
#include "firewall/netns.h"
#include "firewall/nftgen.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

typedef struct {
    guint skipped, rebuilt, failed;
    vfApplyStats stats;
} vfOutcome;

static char *
kernelHash(vfKernelState *ks, const vfUnit *u)
{
    return u->ifname ? vfKernelHashInterface(ks, u->ifname) : vfKernelHashNetworks(ks);
}

/*
 * What became of @todo's units: failed (errors[i]), else rebuilt when
 * rules were written for it, unchanged when the kernel already held them.
 * The restore backend writes only the difference: a unit whose lines in
 * the tables @before and @after the apply are the same had none written
 * (a dry run with nothing to do rebuilds nothing). The exec backend and a
 * replay write every rule of every program: any rule written rebuilt
 * them all. Without the tables of both sides, the batch's count of rules
 * written tells. @changed (NULL: compare the tables here) is that
 * comparison made already (prepareChanged).
 */
static void
noteUnits(vfCli *cli, GPtrArray *todo, GPtrArray *errors, vfKernelState *before,
          vfKernelState *after, const gboolean *changed, const vfApplyStats *stats)
{
    gboolean writesAll = cli->kind == VF_BACKEND_EXEC || cli->target_opts.replay;

    if (before && after && !writesAll && !changed) {
        vfCliIndexKernel(todo, before);
        vfCliIndexKernel(todo, after);
    }
    for (guint i = 0; i < todo->len; i++) {
        vfUnit *u = g_ptr_array_index(todo, i);
        GError *e = errors ? g_ptr_array_index(errors, i) : NULL;
        gboolean written = stats->lines > 0;

        if (e) {
            vfSummaryUnitSet(cli->summary, u->name, VF_STATUS_FAILED, e->message);
            continue;
        }
        if (cli->target_opts.dry_run && cli->target_opts.offline) {
            vfSummaryUnitSet(cli->summary, u->name, VF_STATUS_BUILT, NULL);
            continue;
        }
        if (written && changed && !writesAll) {
            written = changed[i];
        } else if (written && before && after && !writesAll) {
            g_autofree char *was = kernelHash(before, u);
            g_autofree char *is = kernelHash(after, u);
            written = g_strcmp0(was, is) != 0;
        }
        vfSummaryUnitSet(cli->summary, u->name,
                         written ? VF_STATUS_REBUILT : VF_STATUS_UNCHANGED, NULL);
    }
}

/*
 * The state file may claim a generation id only if every kernel hash in
 * it is the kernel's at that id: those of the units applied now are; the
 * skipped ones are hashed again from @now; units of the state file not
 * among @units (an `apply` of some interfaces) were hashed at the recorded
 * id, still true only if nothing but this run committed since.
 */
static void
recordGeneration(vfStateFile *st, GPtrArray *units, GPtrArray *todo,
                 vfKernelState *now, vfGeneration at, gboolean asRecorded)
{
    g_auto(GStrv) names = vfStateFileUnits(st);
    g_autoptr(GHashTable) mine = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < units->len; i++)
        g_hash_table_add(mine, ((vfUnit *)g_ptr_array_index(units, i))->name);
    for (gsize k = 0; at.known && !asRecorded && names[k]; k++) {
        if (!g_hash_table_contains(mine, names[k]))
            at.known = FALSE;
    }
    if (!at.known) {
        vfStateFileSetGeneration(st, FALSE, 0);
        return;
    }
    for (guint i = 0; now && i < units->len; i++) {
        vfUnit *u = g_ptr_array_index(units, i);
        g_autofree char *desired = g_strdup(vfStateFileGetDesired(st, u->name));
        g_autofree char *kh = NULL;
        if (!desired || g_ptr_array_find(todo, u, NULL))
            continue;
        kh = kernelHash(now, u);
        vfStateFileSet(st, u->name, desired, kh);
    }
    vfStateFileSetGeneration(st, TRUE, at.id);
}

/*
 * What the outcome of @todo makes of @st: the applied units with their
 * kernel hashes in @now (the tables after the apply), the failed ones
 * (@failed[i]) forgotten, units that are gone pruned, the generation id
 * (@at: what @now, else @ks, is the kernel's at) and the digest of the
 * inputs. Counts into @o; prints nothing.
 */
static void
recordUnits(vfCli *cli, vfStateFile *st, GPtrArray *units, GPtrArray *todo,
            const gboolean *failed, vfKernelState *now, vfKernelState *ks,
            vfGeneration at, gboolean asRecorded, gboolean pruneState, vfOutcome *o)
{
    guint32 recorded;

    if (now)
        vfCliIndexKernel(units, now);
    for (guint i = 0; i < todo->len; i++) {
        vfUnit *u = g_ptr_array_index(todo, i);
        g_autofree char *kh = NULL;
        if (failed[i]) {
            vfStateFileRemove(st, u->name);
            o->failed++;
            continue;
        }
        kh = kernelHash(now, u);
        vfStateFileSet(st, u->name, u->desired, kh);
        o->rebuilt++;
    }
    if (pruneState) {
        /* units that no longer exist (a VM gone while we were down) */
        g_auto(GStrv) names = vfStateFileUnits(st);
        for (gsize k = 0; names[k]; k++) {
            gboolean present = FALSE;
            for (guint i = 0; i < units->len; i++)
                present |= g_str_equal(((vfUnit *)g_ptr_array_index(units, i))->name, names[k]);
            if (!present)
                vfStateFileRemove(st, names[k]);
        }
    }
    recordGeneration(st, units, todo, now ? now : ks, at, asRecorded);
    /* a reconnect that left every unit applied vouches for the inputs;
     * any failure, here or in an `apply`, withdraws that */
    if (o->failed || cli->failures->len || !vfStateFileGetGeneration(st, &recorded))
        vfStateFileSetInputs(st, NULL);
    else if (pruneState)
        vfStateFileSetInputs(st, cli->input_digest);
}

/* One run's context. */
typedef struct {
    vfCli *cli;
    const char *cmd;
    GPtrArray *units;
    GPtrArray *todo;
    gboolean pruneState;
    char *statePath;
    char *cachePath;
    vfStateFile *st;          /* as on disk; NULL until loaded */
    vfGeneration start;       /* the generation id when the run started */
    gboolean asRecorded;      /* nothing committed since @st was recorded */
    vfKernelState *ks;        /* the tables before the apply (at ks->at) */
    /* made while the restore tools wrote the difference (prepareRecord) */
    gboolean prepared;
    guint transactions;
    gboolean *failed;         /* per todo unit */
    gboolean *changed;        /* per todo unit: its kernel lines (noteUnits) */
    gboolean peekedNone[VIR_FIREWALL_LAYER_LAST];
    vfKernelState *after;
    vfOutcome o;
    vfStagedFile *stateFile;
    vfStagedFile *cacheFile;
} vfRun;

static void
runClear(vfRun *run)
{
    g_free(run->statePath);
    g_free(run->cachePath);
    vfStateFileFree(run->st);
    vfKernelStateFree(run->ks);
    g_free(run->failed);
    g_free(run->changed);
    vfKernelStateFree(run->after);
    vfStagedFileFree(run->stateFile);
    vfStagedFileFree(run->cacheFile);
}

static void
loadState(vfRun *run)
{
    g_autoptr(GError) err = NULL;
    const char *netnsId = vfTargetGetNetnsId(run->cli->target);
    guint32 recorded;

    if (run->st)
        return;
    if (!(run->st = vfStateFileLoad(run->statePath, netnsId, &err))) {
        /* replaced by what this run records, at its own path */
        fprintf(stderr, "virt-firewall %s: %s (ignoring it)\n", run->cmd, err->message);
        run->st = vfStateFileNew(run->statePath, netnsId);
    }
    /* nothing committed since the state was recorded: its kernel hashes
     * are the kernel's */
    run->asRecorded = run->start.known && vfStateFileGetGeneration(run->st, &recorded) &&
                      recorded == run->start.id;
}

/*
 * Whether each unit's kernel lines change, for noteUnits, found while the
 * tools write: an `apply` beside 1000 interfaces with IP filters would
 * otherwise scan 10 MiB of tables after it (20 ms of its 220). Before: the
 * hash the state file recorded, the kernel's when nothing was committed
 * since, else the tables read; after: the hash @st now records.
 */
static void
prepareChanged(vfRun *run, vfStateFile *st)
{
    run->changed = g_new0(gboolean, run->todo->len + 1);
    for (guint i = 0; i < run->todo->len; i++) {
        vfUnit *u = g_ptr_array_index(run->todo, i);
        const char *was = run->asRecorded ? vfStateFileGetKernel(run->st, u->name) : NULL;
        g_autofree char *scanned = NULL;

        if (run->failed[i])
            continue;
        if (!was)
            was = scanned = kernelHash(run->ks, u);
        run->changed[i] = g_strcmp0(was, vfStateFileGetKernel(st, u->name)) != 0;
    }
}

/*
 * While the restore tools write a VM's few lines (15-20 ms at N=1000, our
 * only wait), the state file and the kernel cache are written as they will
 * be if the tools take the difference, under temporary names; the run
 * renames them if the apply ends as foreseen (prepareHolds).
 */
static void
prepareRecord(vfRun *run, const vfApplyOutcome *sofar, const gboolean *failed)
{
    const char *const *texts = (const char *const *)sofar->save;
    char *copies[VIR_FIREWALL_LAYER_LAST];
    g_autoptr(vfStateFile) st = NULL;
    g_autoptr(GError) err = NULL;
    /* the id the tools' transactions will leave */
    vfGeneration at = { TRUE, run->ks->at.id + sofar->transactions };

    run->transactions = sofar->transactions;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        run->peekedNone[l] = !texts[l];
        copies[l] = g_strdup(texts[l]);
    }
    run->after = vfKernelStateNewAfter(run->ks, copies, at);
    run->failed = g_memdup2(failed, sizeof(gboolean) * (run->todo->len + 1));
    loadState(run);
    st = vfStateFileCopy(run->st);
    recordUnits(run->cli, st, run->units, run->todo, run->failed, run->after, run->ks,
                at, run->asRecorded, run->pruneState, &run->o);
    prepareChanged(run, st);
    if (!(run->stateFile = vfStateFileStage(st, &err)) ||
        !(run->cacheFile = vfKernelCacheStage(run->cachePath,
                                              vfTargetGetNetnsId(run->cli->target), at.id,
                                              run->after, &err))) {
        g_debug("not recorded ahead: %s", err->message);
        return;
    }
    run->prepared = TRUE;
}

/* Did the apply end as prepareRecord foresaw? */
static gboolean
prepareHolds(vfRun *run, vfApplyResult *result, GPtrArray *errors)
{
    if (!run->prepared || result->transactions != run->transactions)
        return FALSE;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (result->save[l] ? g_strcmp0(result->save[l], run->after->save[l]) != 0
                            : !run->peekedNone[l])
            return FALSE;
    }
    for (guint i = 0; i < run->todo->len; i++) {
        if (run->failed[i] != (errors && g_ptr_array_index(errors, i) != NULL))
            return FALSE;
    }
    return TRUE;
}

/*
 * Applies @units (all of them if !useState, else only those whose desired
 * and kernel hashes differ from the state file) and records the result.
 *
 * With the nf_tables generation id the kernel is not read at all when
 * nothing was committed since the last run (the recorded kernel hashes
 * still hold), and not read again after the apply when the id moved by
 * exactly the transactions the apply committed (the simulated tables are
 * then what *-save would print: tests/kernel/test-differential checks it).
 */
int
vfCliRebuild(vfCli *cli, const char *cmd, GPtrArray *units, gboolean useState,
             gboolean pruneState)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(vfKernelState) after = NULL;
    g_autoptr(GPtrArray) todo = g_ptr_array_new();
    g_autoptr(GPtrArray) errors = NULL;
    g_auto(vfApplyResult) result = { 0 };
    vfRun run = { cli, cmd, units, todo, pruneState, vfCliStatePath(cli) };
    vfOutcome o = { 0 };
    guint spawned0 = cli->runner->spawned;
    int ret = VF_EXIT_OK;
    gboolean writeState = !cli->target_opts.dry_run;
    /* a dry run against the kernel reads what the real run reads (the
     * state file too: what it skips is what the real run leaves where it
     * is, jumps included) and writes nothing */
    gboolean readKernelState = !cli->target_opts.offline;

    cli->summary->shown |= cli->target_opts.dry_run && cli->target_opts.offline
                           ? 1u << VF_STATUS_BUILT
                           : (1u << VF_STATUS_REBUILT) | (1u << VF_STATUS_UNCHANGED) |
                             (useState ? 1u << VF_STATUS_SKIPPED : 0);
    run.cachePath = vfKernelCachePath(run.statePath);
    run.start = vfTargetGeneration(cli->target);
    /* an apply needs the state file only to record: it is read while the
     * tools write */
    if (readKernelState && useState)
        loadState(&run);

    if (useState && run.st && run.asRecorded) {
        for (guint i = 0; i < units->len; i++) {
            vfUnit *u = g_ptr_array_index(units, i);
            if (g_strcmp0(vfStateFileGetDesired(run.st, u->name), u->desired) == 0 &&
                vfStateFileGetKernel(run.st, u->name)) {
                o.skipped++;
                vfSummaryUnitSet(cli->summary, u->name, VF_STATUS_SKIPPED, NULL);
            } else
                g_ptr_array_add(todo, u);
        }
    }
    if (!(useState && run.st && run.asRecorded) || todo->len) {
        /* the cache when nothing was committed since it was written */
        if (!(run.ks = vfKernelStateOpen(cli->target, run.cachePath, &err))) {
            fprintf(stderr, "virt-firewall %s: %s\n", cmd, err->message);
            runClear(&run);
            return VF_EXIT_BATCH;
        }
        /* the state file was judged at the run's start: tables of a later
         * id would mix two moments */
        if (!run.start.known || run.ks->at.id != run.start.id)
            run.ks->at = VF_GENERATION_UNKNOWN;
        vfCliIndexKernel(units, run.ks);
    }
    vfCliPhase(cli, "read-kernel");

    if (!(useState && run.st && run.asRecorded)) {
        for (guint i = 0; i < units->len; i++) {
            vfUnit *u = g_ptr_array_index(units, i);
            if (useState && run.st) {
                g_autofree char *kh = kernelHash(run.ks, u);
                if (g_strcmp0(vfStateFileGetDesired(run.st, u->name), u->desired) == 0 &&
                    g_strcmp0(vfStateFileGetKernel(run.st, u->name), kh) == 0) {
                    o.skipped++;
                    vfSummaryUnitSet(cli->summary, u->name, VF_STATUS_SKIPPED, NULL);
                    continue;
                }
            }
            g_ptr_array_add(todo, u);
        }
    }
    if (todo->len) {
        gboolean ok;

        /* the per-unit lines are a copy of the tables: not needed while
         * applying (rebuilt on demand), and the apply is the peak */
        if (run.ks)
            g_clear_pointer(&run.ks->index, g_hash_table_unref);
        if (writeState && run.ks->at.known) {
            /* while the tools write, record what they will leave */
            vfCliApply *apply = vfCliApplyBegin(cli, todo, run.ks);
            const gboolean *failed;
            const vfApplyOutcome *sofar = vfCliApplyForetold(apply, &failed);

            if (sofar)
                prepareRecord(&run, sofar, failed);
            ok = vfCliApplyFinish(apply, &errors, &o.stats, &result, &err);
        } else {
            ok = vfCliApplyUnits(cli, todo, run.ks, &errors, &o.stats, &result, &err);
        }
        if (!ok && err) {
            fprintf(stderr, "virt-firewall %s: %s\n", cmd, err->message);
            ret = VF_EXIT_BATCH;
        }
    }
    vfCliPhase(cli, "apply");

    if (cli->target_opts.dry_run)
        vfCliDryRunOutput(cli);

    if (writeState && ret != VF_EXIT_BATCH) {
        /* what the tables the run leaves are the kernel's at */
        vfGeneration at = run.ks ? run.ks->at : run.start;
        gboolean prepared = FALSE;

        if (todo->len && result.known &&
            vfKernelStateOnlyOurs(run.ks, cli->target, result.transactions, &at)) {
            /* only our transactions since the tables were read: the
             * simulated tables are the kernel's */
            prepared = prepareHolds(&run, &result, errors);
            if (!prepared)
                after = vfKernelStateNewAfter(run.ks, result.save, at);
        } else if (todo->len) {
            /* the kernel's own rendering after the apply, for the layers
             * it wrote (all of them when the generation id can be known:
             * the others are as read only if nobody wrote) */
            if (!(after = vfKernelStateReread(cli->target, run.ks, o.stats.layers_written,
                                              &err))) {
                fprintf(stderr, "virt-firewall %s: %s\n", cmd, err->message);
                runClear(&run);
                return VF_EXIT_BATCH;
            }
            at = after->at;
        }
        for (guint i = 0; errors && i < todo->len; i++) {
            GError *e = g_ptr_array_index(errors, i);
            if (e) {
                vfCliFail(cli, ((vfUnit *)g_ptr_array_index(todo, i))->name, e->message);
                ret = VF_EXIT_FAILED;
            }
        }
        noteUnits(cli, todo, errors, run.ks, prepared ? run.after : after,
                  prepared ? run.changed : NULL, &o.stats);
        if (prepared) {
            /* as foreseen while the tools wrote: put the files in place */
            o.rebuilt = run.o.rebuilt;
            o.failed = run.o.failed;
            if (!vfStagedFileCommit(run.stateFile, &err)) {
                fprintf(stderr, "virt-firewall %s: cannot write state file: %s\n", cmd,
                        err->message);
                ret = ret ? ret : VF_EXIT_BATCH;
                g_clear_error(&err);
                vfKernelCacheRemove(run.cachePath);
            } else if (!vfStagedFileCommit(run.cacheFile, &err)) {
                g_debug("%s", err->message);
                vfKernelCacheRemove(run.cachePath);
            }
        } else {
            g_autofree gboolean *failed = g_new0(gboolean, todo->len + 1);
            for (guint i = 0; errors && i < todo->len; i++)
                failed[i] = g_ptr_array_index(errors, i) != NULL;
            loadState(&run);
            recordUnits(cli, run.st, units, todo, failed, after, run.ks, at,
                        run.asRecorded, pruneState, &o);
            if (!vfStateFileSave(run.st, &err)) {
                fprintf(stderr, "virt-firewall %s: %s\n", cmd, err->message);
                ret = ret ? ret : VF_EXIT_BATCH;
            }
            if (after || run.ks)
                vfKernelStateRecord(after ? after : run.ks, cli->target, run.cachePath);
            else if (!at.known)
                vfKernelCacheRemove(run.cachePath);
        }
        vfCliPhase(cli, "record");
    } else if (ret == VF_EXIT_BATCH) {
        /* the batch failed as a whole (said above): none of its units
         * can be told applied */
        for (guint i = 0; i < todo->len; i++)
            vfSummaryUnitSet(cli->summary, ((vfUnit *)g_ptr_array_index(todo, i))->name,
                             VF_STATUS_FAILED, err ? err->message : "the batch failed");
    } else {
        g_autoptr(vfKernelState) sim = NULL;

        for (guint i = 0; errors && i < errors->len; i++) {
            GError *e = g_ptr_array_index(errors, i);
            if (e) {
                vfCliFail(cli, ((vfUnit *)g_ptr_array_index(todo, i))->name, e->message);
                o.failed++;
                ret = ret ? ret : VF_EXIT_FAILED;
            }
        }
        /* a dry run against the kernel: the tables the run would leave */
        if (todo->len && result.known && run.ks)
            sim = vfKernelStateNewAfter(run.ks, result.save, VF_GENERATION_UNKNOWN);
        noteUnits(cli, todo, errors, run.ks, sim, NULL, &o.stats);
    }
    vfSummaryAddStats(cli->summary, &o.stats);
    cli->summary->processes = cli->runner->spawned - spawned0;
    vfCliSummaryBackend(cli);
    vfCliPrintSummary(cli);
    runClear(&run);
    return ret;
}

/*
 * Nothing to do when the files the programs are built from are those of
 * the last reconnect that left everything applied, and nothing was
 * committed to the kernel since: no program is built, no table read.
 */
static gboolean
unchangedSinceLastRun(vfCli *cli)
{
    g_autofree char *statePath = vfCliStatePath(cli);
    g_autoptr(vfStateFile) st = NULL;
    g_auto(GStrv) names = NULL;
    vfOutcome o = { 0 };
    vfGeneration recorded = { TRUE, 0 };

    if (!cli->input_digest || cli->target_opts.dry_run || cli->failures->len)
        return FALSE;
    if (!(st = vfStateFileLoad(statePath, vfTargetGetNetnsId(cli->target), NULL)) ||
        g_strcmp0(vfStateFileGetInputs(st), cli->input_digest) != 0 ||
        !vfStateFileGetGeneration(st, &recorded.id) ||
        !vfTargetOnlyOurs(cli->target, recorded, 0, NULL))
        return FALSE;
    names = vfStateFileUnits(st);
    cli->summary->shown |= (1u << VF_STATUS_REBUILT) | (1u << VF_STATUS_UNCHANGED) |
                           (1u << VF_STATUS_SKIPPED);
    for (gsize k = 0; names[k]; k++)
        vfSummaryUnitSet(cli->summary, names[k], VF_STATUS_SKIPPED, NULL);
    vfCliPhase(cli, "check");
    vfSummaryAddStats(cli->summary, &o.stats);
    vfCliSummaryBackend(cli);
    vfCliPrintSummary(cli);
    return TRUE;
}

int
vfCmdReconnect(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autoptr(GPtrArray) units = NULL;
    int ret, built = VF_EXIT_OK;

    if (!vfCliParse(cli, "reconnect", "",
                    "Re-applies every filter binding's and every active network's rules\n"
                    "as one batch (libvirtd's restart path). Interfaces whose desired rules\n"
                    "and kernel rules are unchanged since the last run are skipped.",
                    &argc, &argv))
        return VF_EXIT_USAGE;
    if (argc != 1) {
        fprintf(stderr, "virt-firewall reconnect: unexpected argument '%s'\n", argv[1]);
        return VF_EXIT_USAGE;
    }
    cli->want_digest = TRUE;
    if ((ret = vfCliOpen(cli, TRUE)) || (ret = vfCliLock(cli, "reconnect")))
        return ret;
    if (unchangedSinceLastRun(cli))
        return VF_EXIT_OK;
    units = vfCliBuildUnits(cli, NULL, TRUE, &built);
    /* the inputs hold a binding that failed: the next run must fail it
     * again, not find the files unchanged and skip everything */
    if (built != VF_EXIT_OK)
        g_clear_pointer(&cli->input_digest, g_free);
    ret = vfCliRebuild(cli, "reconnect", units, TRUE, TRUE);
    return vfCliExitCode(cli, ret ? ret : built);
}

int
vfCmdDump(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autoptr(GPtrArray) units = NULL;
    int ret, built = VF_EXIT_OK;

    if (!vfCliParse(cli, "dump", "[IFACE...]",
                    "Prints, without running anything, the restore scripts (or with\n"
                    "--backend exec the commands) that reconnect would run on empty tables.",
                    &argc, &argv))
        return VF_EXIT_USAGE;
    cli->target_opts.dry_run = TRUE;
    cli->target_opts.offline = TRUE;
    cli->summary->dry_run = TRUE;
    /* what apply IFACE... would run, from the bindings apply would read */
    if (argc > 1)
        cli->only_ifaces = (const char *const *)argv + 1;
    if ((ret = vfCliOpen(cli, TRUE)))
        return ret;
    units = vfCliBuildUnits(cli, argc > 1 ? (const char *const *)argv + 1 : NULL,
                            argc == 1, &built);
    ret = vfCliRebuild(cli, "dump", units, FALSE, FALSE);
    return vfCliExitCode(cli, ret ? ret : built);
}
