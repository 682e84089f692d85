/*
 * apply.c: the restore backend — snapshot, simulate, plan, render, run
 *
 * Reads each layer's tables once and simulates every program of the batch
 * against that copy. What the simulation leaves behind is written as the
 * difference to the snapshot: one restore per changed table, one pass.
 *
 * When a tool refuses a line of that difference (the model missed
 * something), the tables written are put back and the batch is replayed
 * as the simulation logged it, one restore per table per pass: there a
 * refused line belongs to a program. The committed tables are put back
 * (each entry knows its inverse), the line is recorded as failing, and the
 * batch is planned again: the failing program then fails and rolls back
 * exactly as libvirt would have it, and the others are applied.
 */
#include "backend-priv.h"
#include "diff.h"
#include "error.h"
#include "plan.h"
#include "render.h"
#include "snapshot.h"

#include <stdlib.h>

#define VF_RESTORE_MAX_ROUNDS 64
#define VF_RESTORE_LOCK_TRIES 4
/* Refusals of one line of the replay before it counts as failing. */
#define VF_RESTORE_REFUSALS_FOR_FACT 3
/* A difference up to this many lines is small enough to format the result
 * while the tools write it (vfBackendSetWhileWriting). */
#define VF_WHILE_WRITING_MAX_LINES 4000
/* A batch of at most this many programs (a VM start is one) starts its
 * restore tools ahead (vfRunnerPrestart). */
#define VF_PRESTART_MAX_PROGRAMS 4

typedef struct {
    virFirewallLayer layer;
    char *table;
    GPtrArray *entries;   /* borrowed from the round's simulation */
} vfCommitted;

static void
committedFree(vfCommitted *c)
{
    g_free(c->table);
    g_ptr_array_unref(c->entries);
    g_free(c);
}

static const char *
layerLabel(virFirewallLayer layer)
{
    static const char *const labels[] = { "ebtables", "iptables", "ip6tables" };
    return labels[layer];
}

/* "line 12 failed", "line 12: RULE_APPEND failed", "Error occurred at
 * line: 12" */
static guint
failedLine(const char *err)
{
    const char *p = err;

    while ((p = strstr(p, "line"))) {
        const char *q = p + 4;
        if (*q == ':')
            q++;
        while (*q == ' ')
            q++;
        if (g_ascii_isdigit(*q))
            return atoi(q);
        p += 4;
    }
    return 0;
}

static gboolean
isLockError(int status, const char *err)
{
    return status == 4 && (strstr(err, "xtables lock") || strstr(err, "holding the lock"));
}

static gboolean
runScript(vfBackend *backend, virFirewallLayer layer, const char *text,
          vfRunResult *res, vfApplyStats *stats, GError **error)
{
    g_auto(GStrv) argv = vfRenderRestoreArgv(layer, backend->wait_seconds);

    for (guint attempt = 0;; attempt++) {
        if (!vfRunnerRun(backend->runner, (const char *const *)argv, text,
                         res, error)) {
            g_prefix_error(error, "cannot run %s: ", argv[0]);
            return FALSE;
        }
        if (!isLockError(res->status, res->err))
            return TRUE;
        if (attempt + 1 >= VF_RESTORE_LOCK_TRIES) {
            g_set_error(error, VF_ERROR, VF_ERROR_LOCKED,
                        "%s: the xtables lock is held by another process "
                        "(gave up after %u tries): %s",
                        argv[0], attempt + 1, g_strstrip(res->err));
            return FALSE;
        }
        stats->lock_retries++;
        g_usleep(G_USEC_PER_SEC / 4 << attempt);
    }
}

/* The failing line with its neighbours, for the report. */
static char *
describeFailure(const char *text, guint line, virFirewallLayer layer,
                const char *table, const char *err)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(lines);
    GString *out = g_string_new(NULL);
    g_autofree char *msg = g_strdup(err);

    g_string_append_printf(out, "%s (%s-restore, table %s, line %u:",
                           *g_strstrip(msg) ? msg : "no message", layerLabel(layer),
                           table, line);
    for (guint i = line > 2 ? line - 2 : 1; i <= line + 1 && i <= n; i++) {
        if (i - 1 < n && *lines[i - 1])
            g_string_append_printf(out, "\n  %s%u: %s", i == line ? "> " : "  ",
                                   i, lines[i - 1]);
    }
    g_string_append(out, ")");
    return g_string_free(out, FALSE);
}

/* vfBackendSetListing, for a script that meets @before (NULL: not known,
 * as for a put-back, where AUTO writes none). */
static void
decideListing(const vfBackend *backend, vfPlanScript *script,
              vfTableSet *const *before)
{
    vfTable *table = before && before[script->layer] ?
                     vfTableSetGet(before[script->layer], script->table) : NULL;

    switch (backend->listing) {
    case VF_LISTING_OFF:
        script->listing = FALSE;
        break;
    case VF_LISTING_ALWAYS:
        script->listing = vfRenderListingSafe(script, table);
        break;
    case VF_LISTING_AUTO:
        script->listing = before && vfRenderListingPays(script, table) &&
                          vfRenderListingSafe(script, table);
        break;
    }
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
dropCreated(vfBackend *backend, virFirewallLayer layer, const char *table)
{
    g_autoptr(GError) err = NULL;

    if (backend->drop_table && !backend->drop_table(layer, table, backend->drop_data, &err))
        g_debug("table %s (%s), created by the batch and put back, stays, "
                "empty: %s", table, layerLabel(layer), err ? err->message : "?");
}

/* "layer:table", the key of the sets of tables below */
static char *
tableKey(virFirewallLayer layer, const char *table)
{
    return g_strdup_printf("%d:%s", layer, table);
}

/* Whether @found (vfRestoreApply's tables at its start) lacks the table. */
static gboolean
wasAbsent(GHashTable *found, virFirewallLayer layer, const char *table)
{
    g_autofree char *key = tableKey(layer, table);
    return !g_hash_table_contains(found, key);
}

/* Runs @scripts (of vfPlanScript*) that put tables back; any refusal
 * leaves a table in an unknown state, which the error says. */
static gboolean
runPutBack(vfBackend *backend, GPtrArray *scripts, vfApplyStats *stats,
           GError **error)
{
    for (guint s = 0; s < scripts->len; s++) {
        vfPlanScript *script = g_ptr_array_index(scripts, s);
        g_autofree char *text = NULL;
        g_auto(vfRunResult) res = { 0 };

        decideListing(backend, script, NULL);
        text = vfRenderScript(script, NULL);
        stats->layers_written |= 1u << script->layer;
        if (!runScript(backend, script->layer, text, &res, stats, error))
            return FALSE;
        if (res.status != 0) {
            g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                        "could not put back table %s (%s) after a failed "
                        "batch; its state is unknown: %s",
                        script->table, layerLabel(script->layer),
                        g_strstrip(res.err));
            return FALSE;
        }
    }
    return TRUE;
}

/*
 * Puts back what @committed wrote: the inverse of every entry, newest
 * first, planned into passes like any other log so the undo never asks
 * the tools for two steps they cannot take in one input.
 */
static gboolean
revert(vfBackend *backend, GPtrArray *committed, GHashTable *found,
       vfApplyStats *stats, GError **error)
{
    g_autoptr(GPtrArray) undo = g_ptr_array_new_with_free_func((GDestroyNotify)vfLogEntryFree);
    g_autoptr(vfPlan) plan = NULL;
    g_autoptr(GPtrArray) done = g_ptr_array_new();
    g_autoptr(GHashTable) tables = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                         g_free, NULL);

    /* newest first in the order the simulation logged them: scripts may
     * hold commuting steps in another order, but the inverse of the log
     * is an inverse of any such order, and its positions are the log's */
    for (guint i = 0; i < committed->len; i++) {
        vfCommitted *c = g_ptr_array_index(committed, i);
        for (guint k = 0; k < c->entries->len; k++)
            g_ptr_array_add(done, g_ptr_array_index(c->entries, k));
    }
    g_ptr_array_sort(done, logIndexDescending);
    for (guint k = 0; k < done->len; k++) {
        vfLogEntry *e = g_ptr_array_index(done, k);
        GPtrArray *lines = vfLogEntryUndo(e);
        for (guint j = 0; j < lines->len; j++) {
            vfLogEntry *u = vfLogEntryFromWords(e->layer, e->table,
                                                g_ptr_array_index(lines, j));
            if (u)
                g_ptr_array_add(undo, u);
        }
    }
    plan = vfPlanBuild(undo);
    for (guint p = 0; p < plan->passes->len; p++) {
        if (!runPutBack(backend, g_ptr_array_index(plan->passes, p), stats, error))
            return FALSE;
    }
    for (guint i = 0; i < committed->len; i++) {
        vfCommitted *c = g_ptr_array_index(committed, i);
        /* once per table: a round commits one script per table and pass */
        if (g_hash_table_add(tables, tableKey(c->layer, c->table)) &&
            wasAbsent(found, c->layer, c->table))
            dropCreated(backend, c->layer, c->table);
    }
    g_ptr_array_set_size(committed, 0);
    return TRUE;
}

/* The batch failed (@error) and putting back the tables it had written
 * failed too (@undoErr, taken): say both. */
static void
addPutBackFailure(GError **error, GError *undoErr)
{
    if (error && *error) {
        GError *both = g_error_new((*error)->domain, (*error)->code,
                                   "%s; putting back the tables committed before "
                                   "failed too, they stay applied: %s",
                                   (*error)->message, undoErr->message);
        g_clear_error(error);
        g_propagate_error(error, both);
        g_error_free(undoErr);
    } else {
        g_propagate_error(error, undoErr);
    }
}

/* After the batch itself failed: put back what was committed, and say so
 * in @error if that failed too. */
static void
revertAfterError(vfBackend *backend, GPtrArray *committed, GHashTable *found,
                 vfApplyStats *stats, GError **error)
{
    g_autoptr(GError) undoErr = NULL;

    if (!committed->len || revert(backend, committed, found, stats, &undoErr))
        return;
    addPutBackFailure(error, g_steal_pointer(&undoErr));
}

/* Puts the tables of @written (scripts of a diff) back as @before had
 * them; a table that did not exist stays, empty, unless dropCreated can
 * remove it. */
static gboolean
putBack(vfBackend *backend, GPtrArray *written, vfTableSet *const *before,
        vfTableSet *const *after, vfApplyStats *stats, GError **error)
{
    for (guint i = written->len; i > 0; i--) {
        const vfPlanScript *done = g_ptr_array_index(written, i - 1);
        g_autoptr(vfTableSet) empty = NULL;
        g_autoptr(vfDiff) undo = vfDiffNew();
        vfTable *was = vfTableSetGet(before[done->layer], done->table);
        vfTable *now = vfTableSetGet(after[done->layer], done->table);
        g_autofree char *why = NULL;

        if (!was) {
            empty = vfTableSetNew(done->layer);
            was = vfTableSetEnsure(empty, done->table);
        }
        if (!vfDiffAddTable(undo, done->layer, now, was, &why)) {
            g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                        "cannot put %s table %s back: %s", layerLabel(done->layer),
                        done->table, why);
            return FALSE;
        }
        if (!runPutBack(backend, undo->scripts, stats, error))
            return FALSE;
        if (empty)
            dropCreated(backend, done->layer, done->table);
    }
    g_ptr_array_set_size(written, 0);
    return TRUE;
}

typedef struct {
    vfBackend *backend;
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

    job->ran = runScript(job->backend, job->layer, job->text, &job->res,
                         &job->stats, &job->error);
    return NULL;
}

static void
dropPending(vfBackend *backend)
{
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        g_clear_pointer(&backend->pending_text[l], g_free);
}

typedef enum {
    VF_DIFF_APPLIED,
    VF_DIFF_REFUSED,   /* tables put back: replay the log instead */
    VF_DIFF_ERROR,
} vfDiffOutcome;

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

/*
 * A small difference (a VM start): each layer's restore on a thread of its
 * own, side by side (different tools, different tables; one tool's wait is
 * mostly the kernel's commit), and meanwhile the result they are making is
 * formatted and handed to the caller's while_writing. Then as applyDiff:
 * a restore that could not run or refused its input has the tables the
 * others wrote put back.
 */
static vfDiffOutcome
applyDiffWhileWriting(vfBackend *backend, vfDiff *diff, vfTableSet *const *before,
                      vfTableSet *const *after, vfApplyStats *stats, GError **error)
{
    guint n = diff->scripts->len;
    g_autofree vfScriptJob *jobs = g_new0(vfScriptJob, n);
    g_autofree GThread **threads = g_new0(GThread *, n);
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) written = g_ptr_array_new();
    GError *runErr = NULL;
    gboolean refused = FALSE;

    for (guint s = 0; s < n; s++) {
        vfPlanScript *script = g_ptr_array_index(diff->scripts, s);
        char *text;

        decideListing(backend, script, before);
        text = vfRenderScript(script, NULL);

        g_ptr_array_add(texts, text);
        g_debug("%s-restore --noflush <<\n%s", layerLabel(script->layer), text);
        jobs[s].backend = backend;
        jobs[s].layer = script->layer;
        jobs[s].text = text;
        threads[s] = g_thread_new("vf-restore", scriptJob, &jobs[s]);
    }
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        backend->pending_text[l] = after[l] ? vfTableSetFormat(after[l]) : NULL;
    backend->pending_transactions = n;
    backend->while_writing(backend, backend->while_data);

    for (guint s = 0; s < n; s++) {
        vfPlanScript *script = g_ptr_array_index(diff->scripts, s);
        vfScriptJob *job = &jobs[s];

        g_thread_join(threads[s]);
        stats->lock_retries += job->stats.lock_retries;
        if (!job->ran) {
            if (!runErr)
                runErr = g_steal_pointer(&job->error);
            g_clear_error(&job->error);
        } else {
            stats->layers_written |= 1u << script->layer;
            if (job->res.status != 0) {
                g_debug("%s-restore refused the difference for table %s (%s); "
                        "replaying the programs instead", layerLabel(script->layer),
                        script->table, g_strstrip(job->res.err));
                refused = TRUE;
            } else {
                g_ptr_array_add(written, script);
                stats->lines += script->entries->len;
            }
        }
        vfRunResultClear(&job->res);
    }
    if (runErr) {
        GError *undoErr = NULL;
        g_propagate_error(error, runErr);
        if (!putBack(backend, written, before, after, stats, &undoErr))
            addPutBackFailure(error, undoErr);
        return VF_DIFF_ERROR;
    }
    if (refused) {
        stats->retries++;
        return putBack(backend, written, before, after, stats, error)
            ? VF_DIFF_REFUSED : VF_DIFF_ERROR;
    }
    stats->passes = n ? 1 : 0;
    return VF_DIFF_APPLIED;
}

/* Do the tables print as *-save will (vfTableSet.inexact)? Else they are
 * never handed over as the kernel's: the caller reads *-save. */
static gboolean
exactSets(vfTableSet *const *sets)
{
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (sets[l] && sets[l]->inexact)
            return FALSE;
    }
    return TRUE;
}

static vfDiffOutcome
applyDiff(vfBackend *backend, vfDiff *diff, vfTableSet *const *before,
          vfTableSet *const *after, vfApplyStats *stats, GError **error)
{
    g_autoptr(GPtrArray) written = g_ptr_array_new();

    if (backend->while_writing && diff->scripts->len && exactSets(after) &&
        diff->lines <= VF_WHILE_WRITING_MAX_LINES && oneScriptPerLayer(diff))
        return applyDiffWhileWriting(backend, diff, before, after, stats, error);

    for (guint s = 0; s < diff->scripts->len; s++) {
        vfPlanScript *script = g_ptr_array_index(diff->scripts, s);
        g_autofree char *text = NULL;
        g_auto(vfRunResult) res = { 0 };
        gboolean ran;

        decideListing(backend, script, before);
        text = vfRenderScript(script, NULL);

        g_debug("%s-restore --noflush <<\n%s", layerLabel(script->layer), text);
        ran = runScript(backend, script->layer, text, &res, stats, error);
        if (!ran) {
            GError *undoErr = NULL;
            if (!putBack(backend, written, before, after, stats, &undoErr))
                addPutBackFailure(error, undoErr);
            return VF_DIFF_ERROR;
        }
        stats->layers_written |= 1u << script->layer;
        if (res.status != 0) {
            g_debug("%s-restore refused the difference for table %s (%s); "
                    "replaying the programs instead", layerLabel(script->layer),
                    script->table, g_strstrip(res.err));
            stats->retries++;
            return putBack(backend, written, before, after, stats, error)
                ? VF_DIFF_REFUSED : VF_DIFF_ERROR;
        }
        g_ptr_array_add(written, script);
        stats->lines += script->entries->len;
    }
    stats->passes = diff->scripts->len ? 1 : 0;
    return VF_DIFF_APPLIED;
}

static gboolean
readSnapshots(vfBackend *backend, guint layers, vfTableSet **snapshot,
              GError **error)
{
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (!(layers & (1u << l)))
            continue;
        g_clear_pointer(&snapshot[l], vfTableSetFree);
        if (!(snapshot[l] = vfSnapshotRead(backend->runner, l, error)))
            return FALSE;
    }
    return TRUE;
}

/*
 * When a tool names no usable line (legacy reports kernel rejections at
 * COMMIT; a crash names none), find the first failing entry by trying
 * prefixes of the script and undoing each prefix that applied.
 */
static vfLogEntry *
bisect(vfBackend *backend, const vfPlanScript *script, GHashTable *found,
       vfApplyStats *stats, char **reason, GError **error)
{
    guint lo = 0, hi = script->entries->len;  /* prefix lo ok, prefix hi fails */
    g_autofree char *lastErr = NULL;

    while (hi - lo > 1) {
        guint mid = (lo + hi) / 2;
        vfPlanScript part = { script->layer, script->table, g_ptr_array_new() };
        g_autofree char *text = NULL;
        g_auto(vfRunResult) res = { 0 };

        for (guint i = 0; i < mid; i++)
            g_ptr_array_add(part.entries, g_ptr_array_index(script->entries, i));
        text = vfRenderScript(&part, NULL);
        if (!runScript(backend, script->layer, text, &res, stats, error)) {
            g_ptr_array_unref(part.entries);
            return NULL;
        }
        if (res.status == 0) {
            g_autoptr(GPtrArray) undo = g_ptr_array_new_with_free_func((GDestroyNotify)committedFree);
            vfCommitted *c = g_new0(vfCommitted, 1);
            c->layer = script->layer;
            c->table = g_strdup(script->table);
            c->entries = g_ptr_array_ref(part.entries);
            g_ptr_array_add(undo, c);
            if (!revert(backend, undo, found, stats, error)) {
                g_ptr_array_unref(part.entries);
                return NULL;
            }
            lo = mid;
        } else {
            g_free(lastErr);
            lastErr = g_strdup(res.err);
            hi = mid;
        }
        g_ptr_array_unref(part.entries);
    }
    *reason = g_steal_pointer(&lastErr);
    return g_ptr_array_index(script->entries, hi - 1);
}

typedef struct {
    vfBackend *backend;
    virFirewall **progs;   /* NULL where released */
} vfLender;

static void
releaseProgram(gsize i, gpointer data)
{
    vfLender *lender = data;

    if (lender->backend->release(i, lender->backend->source_data))
        lender->progs[i] = NULL;
}

/* Every released program back, for a replay. */
static gboolean
rebuildPrograms(vfLender *lender, gsize n, GError **error)
{
    for (gsize i = 0; i < n; i++) {
        if (lender->progs[i])
            continue;
        if (!(lender->progs[i] = lender->backend->rebuild(i, lender->backend->source_data))) {
            g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                        "program %zu could not be rebuilt for the replay", i);
            return FALSE;
        }
    }
    return TRUE;
}

/* A resident caller frees the tables between applies (vfBackendPrepareNext):
 * 9000 chains take 2 ms. */
static void
freeSnapshot(vfBackend *backend, vfTableSet **set)
{
    if (!*set)
        return;
    if (!backend->keep_gen) {
        g_clear_pointer(set, vfTableSetFree);
        return;
    }
    if (!backend->garbage)
        backend->garbage = g_ptr_array_new_with_free_func((GDestroyNotify)vfTableSetFree);
    g_ptr_array_add(backend->garbage, g_steal_pointer(set));
}

/*
 * After the difference was written: the simulation's tables are the
 * kernel's if the generation id moved by our transactions alone. The
 * layers this apply did not read keep what was kept (their tables were
 * checked current at its start, and it wrote none of them).
 */
static gboolean
keepTables(vfBackend *backend, gboolean genKnown, guint32 genStart,
           guint layers, guint transactions, vfTableSet **sets)
{
    guint32 now = 0;

    if (!backend->keep_gen || !genKnown ||
        !backend->keep_gen(&now, backend->keep_data) ||
        now != genStart + transactions)
        return FALSE;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (layers & (1u << l)) {
            vfTableSetFree(backend->kept[l]);
            backend->kept[l] = g_steal_pointer(&sets[l]);
        }
    }
    backend->kept_gen = now;
    return TRUE;
}

gboolean
vfRestoreApply(vfBackend *backend, virFirewall *const *fws, gsize n,
               GError **errors, vfApplyStats *stats, GError **error)
{
    g_autofree virFirewall **progs = g_memdup2(fws, sizeof(*fws) * n);
    vfLender lender = { backend, progs };
    vfTableSet *snapshot[VIR_FIREWALL_LAYER_LAST] = { NULL };
    g_autoptr(GHashTable) facts =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) suspects =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean blindRetried = FALSE;
    /* tableKey of the tables the apply started with (dropCreated) */
    g_autoptr(GHashTable) found = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                        g_free, NULL);
    guint layers = 0, adds = 0;
    gboolean ret = FALSE;
    guint32 genStart = 0;
    gboolean genKnown = FALSE, kept = FALSE, givenText = FALSE, exact = TRUE;
    vfTableSet *copies[VIR_FIREWALL_LAYER_LAST] = { NULL };
    /* after a refused restore that carried a listing, the rest of the apply
     * goes without: a listing the tool cannot take must not cost a program */
    vfListing listingWas = backend->listing;

    for (gsize i = 0; i < n; i++) {
        layers |= vfProgramLayers(fws[i]);
        if (n <= VF_PRESTART_MAX_PROGRAMS)
            adds |= vfProgramAddLayers(fws[i]);
    }
    /* the tools start while the tables are read and simulated (a layer
     * only taken rules from is most often left as it is); not for a large
     * batch, where their start is noise and a reconnect with nothing to
     * write would start them for nothing */
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (adds & (1u << l)) {
            g_auto(GStrv) argv = vfRenderRestoreArgv(l, backend->wait_seconds);
            vfRunnerPrestart(backend->runner, (const char *const *)argv);
        }
    }

    /* the tables the last apply left are the kernel's if nobody committed
     * since (vfBackendSetKeepTables) */
    if (backend->garbage)   /* not freed between applies: now, not never */
        g_ptr_array_set_size(backend->garbage, 0);
    if (backend->keep_gen) {
        genKnown = backend->keep_gen(&genStart, backend->keep_data);
        if (!genKnown || genStart != backend->kept_gen)
            vfBackendDropKept(backend);
    }

    /* one *-save per layer: queries never cost a process of their own */
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (!(layers & (1u << l)))
            continue;
        if (backend->kept[l]) {
            snapshot[l] = g_steal_pointer(&backend->kept[l]);
            copies[l] = g_steal_pointer(&backend->kept_copy[l]);
        } else if (backend->snapshot[l]) {
            /* kept tables outlive the caller's text: they get a copy */
            gsize len = strlen(backend->snapshot[l]);
            g_autoptr(GBytes) text = backend->keep_gen ?
                g_bytes_new(backend->snapshot[l], len) :
                g_bytes_new_static(backend->snapshot[l], len);

            givenText = TRUE;
            snapshot[l] = vfTableSetNew(l);
            if (!vfSnapshotParseBytes(snapshot[l], text, error))
                goto cleanup;
        } else if (!(snapshot[l] = vfSnapshotRead(backend->runner, l, error))) {
            goto cleanup;
        }
    }

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        for (guint t = 0; snapshot[l] && t < snapshot[l]->tables->len; t++) {
            const vfTable *table = g_ptr_array_index(snapshot[l]->tables, t);
            g_hash_table_add(found, tableKey(l, table->name));
        }
    }

    for (guint round = 0; round < VF_RESTORE_MAX_ROUNDS; round++) {
        g_autoptr(vfSimulation) sim = vfSimulationNewFrom(snapshot, copies, facts);
        gboolean diffRound = round == 0 && !backend->replay;
        g_autoptr(vfPlan) plan = NULL;
        g_autoptr(GPtrArray) committed =
            g_ptr_array_new_with_free_func((GDestroyNotify)committedFree);
        gboolean failed = FALSE;

        if (!diffRound && !rebuildPrograms(&lender, n, error))
            goto cleanup;
        /* the difference needs only the final tables, not the log, nor
         * the programs once walked */
        sim->keepLog = !diffRound;
        vfSimulationRunFull(sim, (virFirewall *const *)progs, n, errors,
                            diffRound && backend->release ? releaseProgram : NULL,
                            &lender);

        if (diffRound) {
            g_autofree char *why = NULL;
            g_autoptr(vfDiff) diff = NULL;

            /* written as a difference, such a rule would never meet a tool */
            if (!vfSimulationJudgedGone(sim, &why))
                diff = vfDiffBuild(snapshot, sim->sets, &why);
            if (!diff) {
                g_debug("replaying the programs: %s", why);
                continue;
            } else {
                switch (applyDiff(backend, diff, snapshot, sim->sets, stats, error)) {
                case VF_DIFF_APPLIED:
                    /* the simulation's tables are now the kernel's; the
                     * snapshot's go first (the peak of a large apply) */
                    backend->result_has_text = backend->pending_text[0] ||
                                               backend->pending_text[1] ||
                                               backend->pending_text[2];
                    /* tables from a caller's text: only if it says they
                     * are of the generation this apply started from */
                    exact = exactSets(sim->sets);
                    kept = exact &&
                           (!givenText || (backend->snapshot_gen_known &&
                                           backend->snapshot_gen == genStart)) &&
                           keepTables(backend, genKnown, genStart, layers,
                                      diff->scripts->len, sim->sets);
                    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
                        freeSnapshot(backend, &snapshot[l]);
                        if (backend->result_has_text)
                            backend->result_text[l] = g_steal_pointer(&backend->pending_text[l]);
                        else if (!backend->keep_gen && exact)
                            backend->result[l] = g_steal_pointer(&sim->sets[l]);
                    }
                    backend->result_transactions = diff->scripts->len;
                    backend->result_known = backend->result_has_text ||
                                            (!backend->keep_gen && exact);
                    ret = TRUE;
                    for (gsize i = 0; i < n; i++) {
                        if (errors[i])
                            ret = FALSE;
                    }
                    goto cleanup;
                case VF_DIFF_ERROR:
                    goto cleanup;
                case VF_DIFF_REFUSED:
                    dropPending(backend);
                    for (guint k = 0; k < diff->scripts->len; k++) {
                        vfPlanScript *sc = g_ptr_array_index(diff->scripts, k);
                        if (sc->listing)
                            backend->listing = VF_LISTING_OFF;
                    }
                    if (!readSnapshots(backend, layers, snapshot, error))
                        goto cleanup;
                    continue;
                }
            }
        }

        plan = vfPlanBuild(sim->log);
        stats->passes = plan->passes->len;

        for (guint p = 0; p < plan->passes->len && !failed; p++) {
            GPtrArray *scripts = g_ptr_array_index(plan->passes, p);
            for (guint s = 0; s < scripts->len && !failed; s++) {
                vfPlanScript *script = g_ptr_array_index(scripts, s);
                g_autoptr(GPtrArray) map = NULL;
                g_autofree char *text = NULL;
                g_auto(vfRunResult) res = { 0 };
                g_autofree char *reason = NULL;
                vfLogEntry *culprit = NULL;
                guint refusals;
                vfCommitted *c;
                guint line;

                /* a pass after the first meets more than the snapshot:
                 * an estimate still */
                decideListing(backend, script, snapshot);
                text = vfRenderScript(script, &map);
                if (!runScript(backend, script->layer, text, &res, stats, error)) {
                    revertAfterError(backend, committed, found, stats, error);
                    goto cleanup;
                }
                if (res.status == 0) {
                    c = g_new0(vfCommitted, 1);
                    c->layer = script->layer;
                    c->table = g_strdup(script->table);
                    c->entries = g_ptr_array_ref(script->entries);
                    g_ptr_array_add(committed, c);
                    stats->lines += script->entries->len;
                    stats->layers_written |= 1u << script->layer;
                    continue;
                }

                failed = TRUE;
                stats->retries++;
                if (script->listing)
                    backend->listing = VF_LISTING_OFF;
                line = failedLine(res.err);
                if (line >= 1 && line <= map->len)
                    culprit = g_ptr_array_index(map, line - 1);
                if (!culprit && !blindRetried) {
                    /* no line named (a crash, a message we do not know):
                     * try the round once more before searching */
                    blindRetried = TRUE;
                } else if (culprit) {
                    reason = describeFailure(text, line, script->layer,
                                             script->table, res.err);
                } else {
                    g_autofree char *err = NULL;
                    if (!(culprit = bisect(backend, script, found, stats, &err, error))) {
                        revertAfterError(backend, committed, found, stats, error);
                        goto cleanup;
                    }
                    reason = g_strdup_printf("%s (%s-restore, table %s, exit %d)",
                                             err && *g_strstrip(err) ? err : "no message",
                                             layerLabel(script->layer),
                                             script->table, res.status);
                }

                if (culprit) {
                    /* entries of the log carry it (vfLogEntryFromWords ones
                     * are undo lines, never a culprit) */
                    g_autofree char *key = g_strdup(culprit->factKey ? culprit->factKey : "");
                    if (g_hash_table_contains(facts, key)) {
                        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                                    "%s keeps failing: %s", vfLogEntryDescribe(culprit),
                                    reason);
                        revertAfterError(backend, committed, found, stats, error);
                        goto cleanup;
                    }
                    /* a line refused may have met a passing state (a
                     * concurrent writer; ebtables-nft 1.8.9 can fail the
                     * retry of a batch that met another commit, twice in a
                     * row under a busy writer: test-fault 4a under ASan):
                     * only the third refusal of the same line makes it a
                     * fact */
                    refusals = GPOINTER_TO_UINT(g_hash_table_lookup(suspects, key)) + 1;
                    if (refusals >= VF_RESTORE_REFUSALS_FOR_FACT)
                        g_hash_table_insert(facts, g_strdup(key), g_steal_pointer(&reason));
                    else
                        g_hash_table_insert(suspects, g_steal_pointer(&key),
                                            GUINT_TO_POINTER(refusals));
                }
                if (!revert(backend, committed, found, stats, error))
                    goto cleanup;
                /* plan the next round from what the kernel holds now */
                if (!readSnapshots(backend, layers, snapshot, error))
                    goto cleanup;
            }
        }
        if (failed)
            continue;

        ret = TRUE;
        for (gsize i = 0; i < n; i++) {
            if (errors[i])
                ret = FALSE;
        }
        goto cleanup;
    }
    g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                "restore batch did not settle after %d rounds",
                VF_RESTORE_MAX_ROUNDS);

 cleanup:
    backend->listing = listingWas;
    dropPending(backend);
    vfRunnerCancelPrestarted(backend->runner);
    if (!kept)   /* a replay, a failure: what the kernel holds is not known */
        vfBackendDropKept(backend);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        freeSnapshot(backend, &snapshot[l]);
        vfTableSetFree(copies[l]);
        backend->snapshot[l] = NULL;
    }
    backend->snapshot_gen_known = FALSE;
    return ret;
}
