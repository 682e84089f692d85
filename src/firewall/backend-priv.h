#pragma once
#include "backend.h"
#include "firewall-priv.h"

struct _vfBackend {
    vfBackendKind kind;
    vfRunner *runner;
    guint wait_seconds;
    gboolean replay;   /* restore: write the log, not the difference */
    const char *snapshot[VIR_FIREWALL_LAYER_LAST];   /* borrowed, used once */
    /* what the last apply left, when known exactly (vfBackendGetResult) */
    gboolean result_known;
    char *result[VIR_FIREWALL_LAYER_LAST];
    guint result_transactions;
};

gboolean vfExecApply(vfBackend *backend, virFirewall *const *fws, gsize n,
                     GError **errors, vfApplyStats *stats, GError **error);
gboolean vfRestoreApply(vfBackend *backend, virFirewall *const *fws, gsize n,
                        GError **errors, vfApplyStats *stats, GError **error);
