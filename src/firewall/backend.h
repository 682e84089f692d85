/*
 * backend.h: how firewall programs reach the kernel.
 *
 * A batch is several independent programs (one per interface or network).
 * Each keeps its own order and its own failure scope: one failing program
 * never stops the others. Both backends must leave the same kernel state.
 *
 * A backend is made from its options (vfBackendOptions), then applies
 * batches (vfBatch: the programs and what the caller knows of the kernel)
 * to outcomes (vfApplyOutcome: per-program errors, stats, the tables the kernel
 * now holds). The only state it keeps across applies is the restore
 * backend's kept tables (keep_tables below).
 */
#pragma once

#include "firewall.h"
#include "runner.h"
#include "target.h"

typedef enum {
    VF_BACKEND_EXEC,     /* one process per rule, libvirt's argv */
    VF_BACKEND_RESTORE,  /* one *-restore per table per pass */
} vfBackendKind;

const char *vfBackendKindToString(vfBackendKind kind);
int vfBackendKindFromString(const char *str);

typedef struct {
    guint processes;   /* processes spawned during the apply */
    guint passes;      /* restore passes (0 for exec) */
    guint lines;       /* rule lines written (restore) or rules run (exec) */
    guint retries;     /* table re-runs after a failing ignorable line */
    guint lock_retries;
    guint layers_written;  /* bit per virFirewallLayer the apply may have changed */
} vfApplyStats;

/*
 * Whether the restore backend starts a large script with a listing of its
 * table (ebtables -L, iptables -S): read-only, and with the nft variants
 * of the tools (vfTargetIsNft) it makes them read the table's cache in
 * one go instead of keeping a sorted list of every chain the input names
 * (iptables 1.8.9's nft-cache.c), which is quadratic: a cold start of
 * 1000 interfaces names 9000 chains and took ebtables-restore 1.6 s
 * instead of 0.57 s. The listing costs time by the rules the table holds,
 * so AUTO writes it only where the list would cost more (render.h).
 * OFF (the default: the legacy tools do not need it) or ALWAYS (tests).
 */
typedef enum {
    VF_LISTING_OFF,
    VF_LISTING_AUTO,
    VF_LISTING_ALWAYS,
} vfListing;

/* Tests: called on the preparing thread before (@done FALSE) and after
 * (@done TRUE) vfBackendPrepareNextAsync's work. */
typedef void (*vfPrepareHook)(gboolean done, gpointer data);

/* What a backend is made with; it does not change afterwards. */
typedef struct {
    vfBackendKind kind;
    vfRunner *runner;        /* not owned */
    /* The kernel the runner's tools write (not owned): its generation id
     * and its empty tables. NULL: nothing is known of it, nothing kept,
     * no table dropped. */
    vfTarget *target;
    guint wait_seconds;      /* lock wait (-w) of iptables/ip6tables */
    vfListing listing;
    /* The restore backend writes the difference between the kernel's
     * tables and the simulated result. With @replay it writes libvirt's
     * steps as the programs take them instead (pass by pass), as it also
     * does when a tool refuses the difference. */
    gboolean replay;
    /*
     * For a caller that lives across applies (a daemon, `virt-firewall
     * serve`): the restore backend keeps the tables each apply leaves and
     * starts the next apply from them instead of reading and parsing
     * *-save (9000 chains at 1000 interfaces), by the target's generation
     * rule (target.h): kept only when the id moved by exactly the
     * transactions the apply committed, used only while it has not moved
     * since; any other change, a replay or a failure drops them. Nothing
     * is kept without the target's generation id (vfTargetHasGeneration),
     * and the outcome hands the tables over instead.
     *
     * A table the apply found absent, wrote and then had to put back
     * (another layer's tool refused its input, a round failed) is left
     * behind by the tools, empty: they never delete tables. exec leaves
     * none there, so it goes again (vfTargetDropEmptyTable) whether or
     * not tables are kept.
     */
    gboolean keep_tables;
    vfPrepareHook prepare_hook;   /* tests */
    gpointer prepare_hook_data;
} vfBackendOptions;

/* The defaults: nothing but @kind and @runner, a lock wait of 10 s. */
#define VF_BACKEND_OPTIONS(k, r) \
    ((vfBackendOptions){ .kind = (k), .runner = (r), .wait_seconds = 10 })

/* The defaults for @kind writing @target's kernel with its runner: the
 * listing its tools' variant needs (AUTO for the nft variants). */
vfBackendOptions vfBackendOptionsFor(vfBackendKind kind, vfTarget *target);

typedef struct _vfApplyOutcome vfApplyOutcome;

/*
 * For a caller short of memory (1000 VMs' programs are 20 MiB): the
 * restore backend calls @release(i) once program i is simulated and only
 * the difference is left to write; the caller may then free it (it
 * returns FALSE to keep it). Should the tools refuse the difference and
 * the programs have to be replayed, @rebuild(i) must give program i back
 * as it was. Programs of the exec backend and of a replay are never
 * released.
 */
typedef gboolean (*vfProgramRelease)(gsize index, gpointer data);
typedef virFirewall *(*vfProgramRebuild)(gsize index, gpointer data);

/* One apply's input. Everything here is borrowed for the apply only
 * (until vfBackendApplyFinish), except @save (see there). */
typedef struct {
    virFirewall *const *programs;
    gsize n;
    /* The *-save output of each layer the caller has just read (or knows
     * from its cache), so the apply does not read it again; NULL: read it.
     * Not copied (a 61 000-rule text is 5 MiB): the tables the outcome
     * holds point into it, so it must live until the outcome is cleared or
     * its result taken. */
    const char *save[VIR_FIREWALL_LAYER_LAST];
    /* @save is the kernel's at this generation: only then are tables
     * made from it kept (keep_tables), and only when the apply finds the
     * generation id still there. */
    vfGeneration save_at;
    vfProgramRelease release;   /* NULL: programs are never released */
    vfProgramRebuild rebuild;
    gpointer source_data;
} vfBatch;

/* One apply's result; zero it before the apply, clear it after. */
struct _vfApplyOutcome {
    gsize n;
    GError **errors;       /* [n]: set for each program that failed */
    vfApplyStats stats;
    /*
     * After an apply of the restore backend that wrote the difference in
     * one go: the tables the kernel now holds, and how many nf_tables
     * transactions the apply committed (one per table written). FALSE when
     * that is not known exactly: exec backend, a replay, a retry, a batch
     * error, or the tables were kept (keep_tables). Taken with
     * vfApplyOutcomeTake.
     */
    gboolean known;
    guint transactions;
    char *save[VIR_FIREWALL_LAYER_LAST];   /* made while writing, else NULL */
    /* the backend's own tables, formatted when taken, by its functions */
    void *tables[VIR_FIREWALL_LAYER_LAST];
    char *(*tables_format)(void *tables);
    void (*tables_free)(void *tables);
};

void vfApplyOutcomeClear(vfApplyOutcome *outcome);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(vfApplyOutcome, vfApplyOutcomeClear)

/*
 * The tables the kernel now holds, as *-save prints them without its
 * comment lines (@save[layer], NULL for a layer the batch did not read;
 * the caller frees them) and the transactions: FALSE when not known
 * (vfApplyOutcome.known). Handed over once; the texts are made here, so a
 * caller short of memory frees its programs first.
 */
gboolean vfApplyOutcomeTake(vfApplyOutcome *outcome, char **save,
                             guint *transactions);

typedef struct _vfBackend vfBackend;

vfBackend *vfBackendNew(const vfBackendOptions *options);
void vfBackendFree(vfBackend *backend);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfBackend, vfBackendFree)

vfBackendKind vfBackendGetKind(const vfBackend *backend);
const vfBackendOptions *vfBackendGetOptions(const vfBackend *backend);

/*
 * Applies @batch into @outcome (zeroed by the caller, who clears it), its
 * tools one after the other on the calling thread.
 * Returns TRUE if every program succeeded. @error is set, and FALSE
 * returned, for a failure of the batch itself (a tool missing, a runner
 * failure): then the outcome's errors may be partly filled.
 */
gboolean vfBackendApplyBatch(vfBackend *backend, const vfBatch *batch,
                             vfApplyOutcome *outcome, GError **error);

/*
 * The apply in two halves, for a caller with work of its own while the
 * kernel takes the rules: a VM start waits 15-20 ms for its restore tool,
 * most of it the kernel's commit, and the tools can record their state
 * meanwhile.
 *
 * vfBackendApplyBegin reads and simulates and, where the restore backend
 * writes a small difference (a few thousand lines, one restore per
 * layer), starts the layers' restores side by side on threads of their
 * own and returns while they write: the runner must allow that
 * (runner.h). Otherwise it applies the whole batch before it returns.
 * Between the two halves the caller may not use the runner nor the
 * backend, and @batch must live.
 *
 * vfApplyForetold: while the tools write, the outcome as it will be if
 * they take the difference (its errors, and its result: known, save texts,
 * transactions), valid until the Finish; NULL when nothing is being
 * written (exec, a replay, nothing to write, a large difference).
 *
 * vfBackendApplyFinish waits for the tools, puts back and replays what
 * they refused, frees @apply and fills @outcome (zeroed by the caller,
 * who clears it) as vfBackendApplyBatch does: a refusal makes the outcome
 * differ from what was foretold (its result is then not known). Every
 * Begin is followed by exactly one Finish.
 */
typedef struct _vfApply vfApply;

vfApply *vfBackendApplyBegin(vfBackend *backend, const vfBatch *batch);
const vfApplyOutcome *vfApplyForetold(const vfApply *apply);
gboolean vfBackendApplyFinish(vfApply *apply, vfApplyOutcome *outcome,
                              GError **error);

/* A batch of programs alone: errors[i] set for each program that failed
 * (the caller passes @n NULL pointers and frees what it gets). */
gboolean vfBackendApply(vfBackend *backend,
                        virFirewall *const *fws, gsize n,
                        GError **errors,
                        vfApplyStats *stats,
                        GError **error);

/* Convenience for one program: FALSE with @error on any failure. */
gboolean vfBackendApplyOne(vfBackend *backend, virFirewall *fw,
                           vfApplyStats *stats, GError **error);

/* The kept tables of @layer as *-save prints them (without its comment
 * lines) and the generation id they are the kernel's at; NULL if none. */
char *vfBackendFormatKept(vfBackend *backend, virFirewallLayer layer,
                          guint32 *gen);
/* How many layers the next apply could start from kept tables (tests). */
guint vfBackendKeptLayers(vfBackend *backend);

/*
 * For a resident caller with time between applies: does now what the next
 * apply would otherwise do on its way (free the tables the last apply let
 * go of, copy the kept tables for the next simulation): 5 ms of a VM start
 * beside 1000 interfaces. Nothing to do without kept tables.
 */
void vfBackendPrepareNext(vfBackend *backend);
/*
 * The same on a thread of the backend's own, for a caller that cannot
 * tell when it has time (libvirtd: the caller of an apply waits for it,
 * the next one comes whenever a VM starts). Returns at once; the next
 * call that needs the kept tables (an apply, vfBackendFree, ...) waits
 * for the thread first, so the backend is still one thread's at a time.
 * The thread blocks every signal. If it cannot be started, the work is
 * done here.
 */
void vfBackendPrepareNextAsync(vfBackend *backend);
/* Waits for vfBackendPrepareNextAsync's thread, if one runs. */
void vfBackendWaitPrepared(vfBackend *backend);
