/*
 * exec.c: the exec backend — one process per rule, libvirt's argv.
 *
 * It is the reference the restore backend is measured and tested against,
 * and the fallback where the restore tools are missing.
 */
#include "backend-ops.h"
#include "error.h"
#include "firewall-priv.h"

/* the exec backend's state: its runner, nothing kept across applies */
typedef struct {
    vfRunner *runner;
} vfExec;

static virFirewallExecResult
execRule(void *opaque, virFirewall *fw, const virFirewallRule *rule,
         char **output, GError **error)
{
    vfExec *exec = opaque;
    const char *const *args = virFirewallRuleGetArgs(rule);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) spawnErr = NULL;

    g_ptr_array_add(argv, (char *)virFirewallLayerBinary(rule->layer));
    g_ptr_array_add(argv, (char *)virFirewallLayerLockFlag(rule->layer));
    for (gsize i = 0; args[i]; i++)
        g_ptr_array_add(argv, (char *)args[i]);
    g_ptr_array_add(argv, NULL);

    if (!vfRunnerRun(exec->runner, (const char *const *)argv->pdata, NULL,
                     &res, &spawnErr)) {
        /* libvirt sees a missing binary as a failing command (exit 127) */
        g_autofree char *cmd = virFirewallRuleToString(rule);
        g_set_error(error, VF_ERROR, VF_ERROR_TOOL,
                    "Failed to run firewall command %s: %s",
                    cmd, spawnErr->message);
        return VIR_FIREWALL_EXEC_FAILED;
    }

    *output = g_steal_pointer(&res.out);
    if (res.status != 0) {
        g_autofree char *cmd = virFirewallRuleToString(rule);
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "Failed to apply firewall command %s (program '%s', exit %d): %s",
                    cmd, virFirewallGetName(fw), res.status,
                    g_strstrip(res.err));
        return VIR_FIREWALL_EXEC_FAILED;
    }
    return VIR_FIREWALL_EXEC_OK;
}

static virFirewallExecResult
countingExecRule(void *opaque, virFirewall *fw, const virFirewallRule *rule,
                 char **output, GError **error)
{
    void **ctx = opaque;
    vfApplyStats *stats = ctx[1];

    stats->lines++;
    stats->layers_written |= 1u << rule->layer;
    return execRule(ctx[0], fw, rule, output, error);
}

static gboolean
execApply(gpointer state, const vfBatch *batch, vfApplyOutcome *outcome,
          GError **error G_GNUC_UNUSED)
{
    void *ctx[2] = { state, &outcome->stats };
    gboolean ok = TRUE;

    /* libvirt applies one program after the other, each to completion */
    for (gsize i = 0; i < batch->n; i++) {
        if (!virFirewallWalk(batch->programs[i], countingExecRule, ctx,
                             &outcome->errors[i]))
            ok = FALSE;
    }
    return ok;
}

static gpointer
execCreate(const vfBackendOptions *options)
{
    vfExec *exec = g_new0(vfExec, 1);

    exec->runner = options->runner;
    return exec;
}

const vfBackendOps vfExecBackendOps = {
    .name = "exec",
    .create = execCreate,
    .free = g_free,
    .apply = execApply,
};
