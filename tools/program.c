/*
 * program.c: `virt-firewall program FILE...` — programs in the text format
 */
#include "cli.h"
#include "text.h"
#include "restore/snapshot.h"

#include <stdio.h>

int
vfCmdProgram(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    vfTargetOptions *opts = &cli->target_opts;
    gboolean show = FALSE;
    g_autoptr(GOptionContext) ctx = g_option_context_new("FILE - apply firewall programs");
    GOptionEntry entries[] = {
        { "show", 0, 0, G_OPTION_ARG_NONE, &show,
          "print the resulting *-save output afterwards", NULL },
        { NULL }
    };
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    g_autoptr(vfProgramSet) set = NULL;
    vfRunner *runner;
    g_autoptr(vfBackend) backend = NULL;
    g_autofree GError **errors = NULL;
    vfApplyStats stats = { 0 };
    int kind, ret = VF_EXIT_OK;
    gsize n;

    g_option_context_add_main_entries(ctx, entries, NULL);
    vfTargetOptionsAdd(ctx, opts);
    if (!vfCliParseOptions(ctx, "program", &argc, &argv, &err) || argc != 2) {
        fprintf(stderr, "virt-firewall program: %s\n",
                err ? err->message : "expected one FILE");
        return VF_EXIT_USAGE;
    }
    if (!vfTargetOptionsCheck(opts, "program"))
        return VF_EXIT_USAGE;
    g_free(cli->summary->command);
    cli->summary->command = g_strdup("program");
    cli->summary->dry_run = opts->dry_run;
    cli->progress = vfProgressNew("program", TRUE);
    /* a program file is tested against empty tables, as dump does */
    opts->offline = opts->dry_run;
    if (show && opts->json) {
        fprintf(stderr, "virt-firewall program: --show and --json: with --json stdout "
                "holds the JSON object alone\n");
        return VF_EXIT_USAGE;
    }
    if (show && opts->dry_run) {
        fprintf(stderr, "virt-firewall program: --show and --dry-run: a dry run leaves "
                "no tables to show\n");
        return VF_EXIT_USAGE;
    }
    kind = vfBackendKindFromString(opts->backend ? opts->backend : "restore");
    if (kind < 0) {
        fprintf(stderr, "virt-firewall program: unknown backend '%s' (exec, restore)\n",
                opts->backend);
        return VF_EXIT_USAGE;
    }
    if (!g_file_get_contents(argv[1], &text, NULL, &err) ||
        !(set = vfProgramSetParse(text, argv[1], &err))) {
        fprintf(stderr, "virt-firewall program: %s\n", err->message);
        return VF_EXIT_USAGE;
    }
    cli->kind = kind;
    if (!vfCliOpenTarget(cli, &err)) {
        fprintf(stderr, "virt-firewall program: %s\n", err->message);
        return VF_EXIT_BATCH;
    }
    runner = cli->runner;
    cli->kind_reason = g_strdup(opts->backend ? "--backend" : "the default");
    vfCliPhase(cli, "load");
    backend = vfCliNewBackend(cli);
    n = vfProgramSetCount(set);
    errors = g_new0(GError *, n + 1);
    if (!vfBackendApply(backend, vfProgramSetPrograms(set), n, errors, &stats, &err)) {
        ret = VF_EXIT_FAILED;
        if (err) {
            fprintf(stderr, "virt-firewall program: %s\n", err->message);
            ret = VF_EXIT_BATCH;
        }
    }
    vfCliPhase(cli, "apply");
    cli->summary->shown |= opts->dry_run ? 1u << VF_STATUS_BUILT : 1u << VF_STATUS_APPLIED;
    for (gsize i = 0; i < n; i++) {
        const char *name = virFirewallGetName(vfProgramSetPrograms(set)[i]);
        g_autofree char *unit = name && *name ? g_strdup_printf("program/%s", name)
                                              : g_strdup_printf("program/%zu", i + 1);
        if (errors[i]) {
            vfCliFail(cli, unit, errors[i]->message);
            g_error_free(errors[i]);
        } else {
            vfSummaryUnitSet(cli->summary, unit,
                             opts->dry_run ? VF_STATUS_BUILT : VF_STATUS_APPLIED, NULL);
        }
    }
    if (opts->dry_run)
        vfCliDryRunOutput(cli);
    if (show && !opts->dry_run) {
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
            const char *save[] = { vfSnapshotSaveBinary(l), NULL };
            g_auto(vfRunResult) res = { 0 };
            if (vfRunnerRun(runner, save, NULL, &res, NULL))
                fputs(res.out, stdout);
        }
    }
    vfSummaryAddStats(cli->summary, &stats);
    cli->summary->processes = stats.processes;
    vfCliSummaryBackend(cli);
    vfCliPrintSummary(cli);
    return ret;
}
