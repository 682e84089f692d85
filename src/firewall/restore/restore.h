/*
 * restore.h: the restore backend's own header (not for outside restore/).
 *
 * vfRestore is what the backend keeps across applies (kept.c); vfRestoreRun
 * is one apply (apply.c), handed to the files that write (tool.c,
 * writediff.c), put back (undo.c) and learn from a refusal (learn.c,
 * bisect.c).
 */
#pragma once

#include "backend-ops.h"
#include "diff.h"
#include "simulate.h"

/* Across applies: the tables the last apply left (keep_tables). */
typedef struct {
    const vfBackendOptions *options;   /* the vfBackend's */
    gboolean keeps;   /* keep_tables, and the target has a generation id */
    /* what the last apply left, valid while the generation id is kept_gen */
    vfTableSet *kept[VIR_FIREWALL_LAYER_LAST];
    guint32 kept_gen;
    /* vfBackendPrepareNext: copies of kept[] for the next simulation, and
     * the tables the last apply let go of, freed there */
    vfTableSet *kept_copy[VIR_FIREWALL_LAYER_LAST];
    GPtrArray *garbage;   /* of vfTableSet* */
} vfRestore;

typedef struct _vfLearner vfLearner;
typedef struct _vfDiffWriting vfDiffWriting;

/* How far a round of the apply got. */
typedef enum {
    VF_ROUND_DONE,      /* written: the outcome is final */
    VF_ROUND_AGAIN,     /* put back: plan again from the kernel's tables */
    VF_ROUND_ERROR,     /* the batch failed */
    VF_ROUND_WRITING,   /* the tools write the difference (vfBackendApplyBegin) */
} vfRoundEnd;

/* One apply, from vfRestoreBegin to vfRestoreFinish. */
typedef struct {
    vfRestore *restore;
    const vfBackendOptions *options;
    const vfBatch *batch;
    vfApplyOutcome *outcome;
    vfApplyStats *stats;   /* the outcome's */
    /* after a refused restore that carried a listing, the rest of the
     * apply goes without: a listing the tool cannot take must not cost a
     * program */
    vfListing listing;
    virFirewall **programs;   /* the batch's; NULL where released */
    guint layers;             /* bit per layer the batch uses */
    vfTableSet *snapshot[VIR_FIREWALL_LAYER_LAST];   /* the kernel's */
    vfTableSet *copies[VIR_FIREWALL_LAYER_LAST];     /* of kept tables */
    GHashTable *found;   /* tableKey of the tables at the start */
    vfGeneration gen_start;   /* read at the start when tables are kept */
    gboolean given_text;   /* a snapshot came from the batch's texts */
    gboolean kept;         /* the result went to vfRestore.kept */
    vfLearner *learner;
    /* the first round's, while its difference is written */
    vfSimulation *sim;
    vfDiff *diff;
    vfDiffWriting *writing;   /* tools left writing by vfRestoreBegin */
    vfRoundEnd end;
    GError *error;            /* told by vfRestoreFinish */
} vfRestoreRun;

/* kept.c */
void vfRestoreDropKept(vfRestore *restore);
/* Frees @set, or leaves it for vfBackendPrepareNext when tables are kept
 * (9000 chains take 2 ms). */
void vfRestoreDiscard(vfRestore *restore, vfTableSet **set);
/* After the difference was written (@transactions of them): keeps @sets
 * (taken) if the generation id moved by exactly that much. */
gboolean vfRestoreKeep(vfRestore *restore, const vfRestoreRun *run,
                       guint transactions, vfTableSet **sets);

/* apply.c: the ops' begin and finish */
gpointer vfRestoreBegin(gpointer state, const vfBatch *batch,
                        vfApplyOutcome *outcome, gboolean background,
                        gboolean *writing);
gboolean vfRestoreFinish(gpointer apply, GError **error);
/* Reads *-save again for the batch's layers (after a put-back). */
gboolean vfRestoreReadAgain(vfRestoreRun *run, GError **error);

/* tool.c: one restore tool run */
const char *vfRestoreLayerLabel(virFirewallLayer layer);
/* Runs @text through @layer's restore, retrying while the xtables lock is
 * held (counted in @stats). FALSE: it could not run, or the lock stayed. */
gboolean vfRestoreRunScript(const vfRestoreRun *run, virFirewallLayer layer,
                            const char *text, vfRunResult *res,
                            vfApplyStats *stats, GError **error);
/* The line a tool's message names (1-based), 0 if none. */
guint vfRestoreFailedLine(const char *err);
/* The failing line with its neighbours, for the report. */
char *vfRestoreDescribeFailure(const char *text, guint line,
                               virFirewallLayer layer, const char *table,
                               const char *err);
/* Sets script->listing by the apply's listing, for a script that meets
 * @before (NULL: not known, as for a put-back, where AUTO writes none). */
void vfRestoreDecideListing(const vfRestoreRun *run, vfPlanScript *script,
                            vfTableSet *const *before);
/* "layer:table", the key of vfRestoreRun.found */
char *vfRestoreTableKey(virFirewallLayer layer, const char *table);

/* writediff.c: the difference in one pass */
typedef enum {
    VF_DIFF_APPLIED,
    VF_DIFF_REFUSED,   /* tables put back: replay the log instead */
    VF_DIFF_ERROR,
} vfDiffOutcome;
vfDiffOutcome vfRestoreWriteDiff(vfRestoreRun *run, vfDiff *diff,
                                 vfTableSet *const *after, GError **error);
/* The same side by side, each layer's restore on a thread of its own, for
 * a small difference with one restore per layer (else NULL: nothing
 * started); meanwhile the outcome tells what will be if the tools take it
 * (known). The Finish waits for them, and frees @writing. */
vfDiffWriting *vfRestoreWriteDiffBegin(vfRestoreRun *run, vfDiff *diff,
                                       vfTableSet *const *after);
vfDiffOutcome vfRestoreWriteDiffFinish(vfDiffWriting *writing, GError **error);
/* Do the tables print as *-save will (vfTableSet.inexact)? Else they are
 * never handed over as the kernel's: the caller reads *-save. */
gboolean vfRestoreExactSets(vfTableSet *const *sets);

/* learn.c: the learn-and-retry rule */
vfLearner *vfLearnerNew(void);
void vfLearnerFree(vfLearner *learner);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfLearner, vfLearnerFree)
/* The refusals taken as facts (key: vfSimulationFactKey), for the next
 * round's simulation. */
GHashTable *vfLearnerFacts(vfLearner *learner);
/* A tool refused @script (rendered as @text, line map @map) with @res:
 * learns what it can for the next round. FALSE with @error when the batch
 * must stop (a fact failing again, bisection impossible). */
gboolean vfLearnRefusal(vfLearner *learner, vfRestoreRun *run,
                        const vfPlanScript *script, const char *text,
                        GPtrArray *map, const vfRunResult *res,
                        GError **error);

/* bisect.c */
/* When a tool names no usable line: the first failing entry of @script,
 * found by trying prefixes and putting back each that applied; @reason
 * the tool's last message. NULL with @error if a run failed. */
vfLogEntry *vfRestoreBisect(vfRestoreRun *run, const vfPlanScript *script,
                            char **reason, GError **error);
