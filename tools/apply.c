/*
 * apply.c: `apply IFACE...` and `teardown IFACE...`
 */
#include "cli.h"

#include <stdio.h>

int
vfCmdApply(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autoptr(GPtrArray) units = NULL;
    int ret, built = VF_EXIT_OK;

    if (!vfCliParse(cli, "apply", "IFACE...",
                    "Instantiates the named interfaces' filter bindings (as libvirt does\n"
                    "when a VM starts), as one batch.", &argc, &argv))
        return VF_EXIT_USAGE;
    if (argc < 2) {
        fprintf(stderr, "virt-firewall apply: name at least one interface\n");
        return VF_EXIT_USAGE;
    }
    /* a VM start: its binding, not every binding on the host */
    cli->only_ifaces = (const char *const *)argv + 1;
    if ((ret = vfCliOpen(cli, TRUE)) || (ret = vfCliLock(cli, "apply")))
        return ret;
    units = vfCliBuildUnits(cli, (const char *const *)argv + 1, FALSE, &built);
    ret = vfCliRebuild(cli, "apply", units, FALSE, FALSE);
    return vfCliExitCode(cli, ret ? ret : built);
}

/*
 * What became of each interface: failed, else removed when rules were
 * written for it, unchanged when there was nothing to remove. The
 * restore backend writes only the difference: with the tables before
 * (the kernel cache) and after (its result) known, an interface whose
 * lines did not change had none written. Otherwise the batch's count of
 * rules written tells (exec runs every teardown command, present or not).
 */
static void
noteTeardown(vfCli *cli, int argc, char **argv, GError **errors, vfKernelState *before,
             vfKernelState *after, const vfApplyStats *stats)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();

    for (int i = 1; i < argc; i++)
        g_ptr_array_add(names, argv[i]);
    g_ptr_array_add(names, NULL);
    vfSummaryAddStats(cli->summary, stats);
    cli->summary->processes = stats->processes;
    cli->summary->shown |= (1u << VF_STATUS_REMOVED) | (1u << VF_STATUS_UNCHANGED);
    vfCliSummaryBackend(cli);
    /* exec and a replay write every rule: the count tells */
    if (!before || cli->kind != VF_BACKEND_RESTORE || cli->target_opts.replay)
        after = NULL;
    if (after) {
        vfKernelStateIndex(before, (const char *const *)names->pdata);
        vfKernelStateIndex(after, (const char *const *)names->pdata);
    }
    for (int i = 1; i < argc; i++) {
        g_autofree char *unit = g_strdup_printf("interface/%s", argv[i]);
        gboolean written = stats->lines > 0;

        if (errors[i - 1]) {
            vfCliFail(cli, unit, errors[i - 1]->message);
            continue;
        }
        if (written && after) {
            g_autofree char *was = vfKernelHashInterface(before, argv[i]);
            g_autofree char *is = vfKernelHashInterface(after, argv[i]);
            written = g_strcmp0(was, is) != 0;
        }
        vfSummaryUnitSet(cli->summary, unit,
                         written ? VF_STATUS_REMOVED : VF_STATUS_UNCHANGED, NULL);
    }
}

int
vfCmdTeardown(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autoptr(vfKernelState) ks = NULL;     /* outlives the backend: it borrows */
    g_autoptr(vfBackend) backend = NULL;
    g_autoptr(GPtrArray) fws = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallFree);
    g_autoptr(vfStateFile) st = NULL;
    g_autoptr(GError) err = NULL;
    vfBatch batch = { 0 };
    g_auto(vfApplyOutcome) outcome = { 0 };
    g_autofree char *statePath = NULL;
    g_autofree char *cachePath = NULL;
    g_auto(vfApplyResult) result = { 0 };
    g_autoptr(vfKernelState) after = NULL;   /* the tables left, if known */
    vfGeneration start, now = VF_GENERATION_UNKNOWN;
    guint32 recorded;
    int ret;

    if (!vfCliParse(cli, "teardown", "IFACE...",
                    "Removes the named interfaces' filter rules (libvirt's allTeardown),\n"
                    "as one batch.", &argc, &argv))
        return VF_EXIT_USAGE;
    if (argc < 2) {
        fprintf(stderr, "virt-firewall teardown: name at least one interface\n");
        return VF_EXIT_USAGE;
    }
    if ((ret = vfCliOpen(cli, FALSE)) || (ret = vfCliLock(cli, "teardown")))
        return ret;
    for (int i = 1; i < argc; i++)
        g_ptr_array_add(fws, nwfBuildTeardown(argv[i]));
    backend = vfCliNewBackend(cli);
    statePath = vfCliStatePath(cli);
    cachePath = vfKernelCachePath(statePath);
    /* the cached tables when nothing was committed since (the backend
     * reads *-save itself otherwise) */
    start = vfTargetGeneration(cli->target);
    if ((ks = vfKernelStateLoadCached(cli->target, cachePath))) {
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
            batch.save[l] = ks->save[l];
        batch.save_at = ks->at;
    }
    batch.programs = (virFirewall *const *)fws->pdata;
    batch.n = fws->len;
    if (!vfBackendApplyBatch(backend, &batch, &outcome, &err) && err) {
        fprintf(stderr, "virt-firewall teardown: %s\n", err->message);
        vfKernelCacheRemove(cachePath);
        for (int i = 1; i < argc; i++) {
            g_autofree char *unit = g_strdup_printf("interface/%s", argv[i]);
            vfSummaryUnitSet(cli->summary, unit, VF_STATUS_FAILED, err->message);
        }
        vfSummaryAddStats(cli->summary, &outcome.stats);
        vfCliSummaryBackend(cli);
        vfCliPrintSummary(cli);
        return VF_EXIT_BATCH;
    }
    vfCliPhase(cli, "apply");
    result.known = vfApplyOutcomeTake(&outcome, result.save, &result.transactions);
    if (result.known) {
        /* the kernel's at @now only if nobody else committed, and only
         * whole: not with a layer neither read nor cached */
        gboolean ours = vfTargetOnlyOurs(cli->target, start, result.transactions, &now);
        after = vfKernelStateNewAfter(ks, result.save, ours ? now : VF_GENERATION_UNKNOWN);
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
            if (!after->save[l])
                after->at = VF_GENERATION_UNKNOWN;
        }
    }
    noteTeardown(cli, argc, argv, outcome.errors, ks, after, &outcome.stats);
    for (guint i = 0; i < fws->len; i++) {
        if (outcome.errors[i])   /* all teardown groups ignore errors */
            ret = VF_EXIT_FAILED;
    }
    if (cli->target_opts.dry_run) {
        vfCliDryRunOutput(cli);
        vfCliPrintSummary(cli);
        return ret;
    }
    if (!(st = vfStateFileLoad(statePath, vfTargetGetNetnsId(cli->target), &err))) {
        /* not ours: replaced, as reconnect and apply do */
        fprintf(stderr, "virt-firewall teardown: %s (ignoring it)\n", err->message);
        g_clear_error(&err);
        st = vfStateFileNew(statePath, vfTargetGetNetnsId(cli->target));
    }
    {
        /* the other units' hashes still hold if only this teardown
         * committed since they were recorded */
        gboolean asRecorded = start.known && vfStateFileGetGeneration(st, &recorded) &&
                              recorded == start.id;
        for (int i = 1; i < argc; i++) {
            g_autofree char *unit = g_strdup_printf("interface/%s", argv[i]);
            vfStateFileRemove(st, unit);
        }
        vfStateFileSetGeneration(st, after && after->at.known && asRecorded, now.id);
        /* the bindings may still be on disk: the next reconnect must look */
        vfStateFileSetInputs(st, NULL);
        if (!vfStateFileSave(st, &err))
            fprintf(stderr, "virt-firewall teardown: %s\n", err->message);
    }
    vfKernelStateRecord(after, cli->target, cachePath);
    vfCliPhase(cli, "record");
    vfCliPrintSummary(cli);
    return ret;
}
