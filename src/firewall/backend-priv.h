#pragma once
#include "backend.h"
#include "firewall-priv.h"

struct _vfBackend {
    vfBackendKind kind;
    vfRunner *runner;
    guint wait_seconds;
};

gboolean vfExecApply(vfBackend *backend, virFirewall *const *fws, gsize n,
                     GError **errors, vfApplyStats *stats, GError **error);
gboolean vfRestoreApply(vfBackend *backend, virFirewall *const *fws, gsize n,
                        GError **errors, vfApplyStats *stats, GError **error);
