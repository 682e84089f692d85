#pragma once
#include "backend.h"
#include "firewall-priv.h"
#include "restore/table.h"

struct _vfBackend {
    vfBackendKind kind;
    vfRunner *runner;
    guint wait_seconds;
    vfListing listing;   /* vfBackendSetListing */
    vfTableDropFunc drop_table;   /* vfBackendSetTableDrop */
    gpointer drop_data;
    gboolean replay;   /* restore: write the log, not the difference */
    const char *snapshot[VIR_FIREWALL_LAYER_LAST];   /* borrowed, used once */
    gboolean snapshot_gen_known;   /* vfBackendSetSnapshotGeneration, once */
    guint32 snapshot_gen;
    /* what the last apply left, when known exactly (vfBackendGetResult):
     * formatted only when asked, after the caller let go of its programs */
    gboolean result_known;
    vfTableSet *result[VIR_FIREWALL_LAYER_LAST];
    char *result_text[VIR_FIREWALL_LAYER_LAST];   /* made while writing */
    gboolean result_has_text;
    guint result_transactions;
    vfBackendWhileWriting while_writing;   /* vfBackendSetWhileWriting */
    gpointer while_data;
    char *pending_text[VIR_FIREWALL_LAYER_LAST];  /* vfBackendPeekResult */
    guint pending_transactions;
    vfProgramRelease release;   /* vfBackendSetProgramSource */
    vfProgramRebuild rebuild;
    gpointer source_data;
    /* vfBackendSetKeepTables: what the last apply left, valid while the
     * generation id is kept_gen */
    vfGenerationFunc keep_gen;
    gpointer keep_data;
    vfTableSet *kept[VIR_FIREWALL_LAYER_LAST];
    guint32 kept_gen;
    /* vfBackendPrepareNext: copies of kept[] for the next simulation, and
     * the tables the last apply let go of, freed there */
    vfTableSet *kept_copy[VIR_FIREWALL_LAYER_LAST];
    GPtrArray *garbage;   /* of vfTableSet* */
    /* vfBackendPrepareNextAsync: the thread running vfBackendPrepareNext.
     * It owns kept[] (read), kept_copy[] and garbage until joined
     * (vfBackendWaitPrepared); every function that touches them joins
     * it first. */
    GThread *preparing;
    vfPrepareHook prepare_hook;   /* tests */
    gpointer prepare_hook_data;
};

void vfBackendDropKept(vfBackend *backend);

gboolean vfExecApply(vfBackend *backend, virFirewall *const *fws, gsize n,
                     GError **errors, vfApplyStats *stats, GError **error);
gboolean vfRestoreApply(vfBackend *backend, virFirewall *const *fws, gsize n,
                        GError **errors, vfApplyStats *stats, GError **error);
