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
    if ((ret = vfCliOpen(cli, TRUE)))
        return ret;
    units = vfCliBuildUnits(cli, (const char *const *)argv + 1, FALSE, &built);
    ret = vfCliRebuild(cli, "apply", units, FALSE, FALSE);
    return ret ? ret : built;
}

int
vfCmdTeardown(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autoptr(vfBackend) backend = NULL;
    g_autoptr(GPtrArray) fws = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallFree);
    g_autoptr(vfStateFile) st = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree GError **errors = NULL;
    g_autofree char *statePath = NULL;
    g_autofree char *netnsId = NULL;
    vfApplyStats stats = { 0 };
    int ret;

    if (!vfCliParse(cli, "teardown", "IFACE...",
                    "Removes the named interfaces' filter rules (libvirt's allTeardown),\n"
                    "as one batch.", &argc, &argv))
        return VF_EXIT_USAGE;
    if (argc < 2) {
        fprintf(stderr, "virt-firewall teardown: name at least one interface\n");
        return VF_EXIT_USAGE;
    }
    if ((ret = vfCliOpen(cli, FALSE)))
        return ret;
    for (int i = 1; i < argc; i++)
        g_ptr_array_add(fws, nwfBuildTeardown(argv[i]));
    backend = vfTargetNewBackend(&cli->target, cli->kind, cli->runner);
    errors = g_new0(GError *, fws->len + 1);
    if (!vfBackendApply(backend, (virFirewall *const *)fws->pdata, fws->len,
                        errors, &stats, &err) && err) {
        fprintf(stderr, "virt-firewall teardown: %s\n", err->message);
        return VF_EXIT_BATCH;
    }
    for (guint i = 0; i < fws->len; i++) {
        if (errors[i]) {   /* all teardown groups ignore errors */
            fprintf(stderr, "virt-firewall teardown: %s\n", errors[i]->message);
            g_error_free(errors[i]);
            ret = VF_EXIT_FAILED;
        }
    }
    if (cli->target.dry_run) {
        vfPrintRecording(cli->runner, cli->target.json);
        return ret;
    }
    statePath = vfCliStatePath(cli);
    netnsId = vfNetnsId(cli->netns_fd);
    if ((st = vfStateFileLoad(statePath, netnsId, NULL))) {
        for (int i = 1; i < argc; i++) {
            g_autofree char *unit = g_strdup_printf("interface/%s", argv[i]);
            vfStateFileRemove(st, unit);
        }
        if (!vfStateFileSave(st, &err))
            fprintf(stderr, "virt-firewall teardown: %s\n", err->message);
    }
    if (!cli->host_opts.quiet)
        fprintf(stderr, "virt-firewall teardown: %d interfaces, backend %s, "
                "processes %u, rules written %u\n", argc - 1,
                vfBackendKindToString(cli->kind), stats.processes, stats.lines);
    return ret;
}
