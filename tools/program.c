/*
 * program.c: `virt-firewall program FILE...` — programs in the text format
 */
#include "cli.h"
#include "text.h"
#include "restore/snapshot.h"

#include <stdio.h>
#include <unistd.h>

int
vfCmdProgram(int argc, char **argv)
{
    g_auto(vfTargetOptions) opts = { 0 };
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
    g_autoptr(vfRunner) runner = NULL;
    g_autoptr(vfBackend) backend = NULL;
    g_autofree GError **errors = NULL;
    vfApplyStats stats = { 0 };
    int kind, netns = -1, ret = VF_EXIT_OK;
    gsize n;

    g_option_context_add_main_entries(ctx, entries, NULL);
    vfTargetOptionsAdd(ctx, &opts);
    if (!vfCliParseOptions(ctx, "program", &argc, &argv, &err) || argc != 2) {
        fprintf(stderr, "virt-firewall program: %s\n",
                err ? err->message : "expected one FILE");
        return VF_EXIT_USAGE;
    }
    if (!vfTargetOptionsCheck(&opts, "program"))
        return VF_EXIT_USAGE;
    /* a program file is tested against empty tables, as dump does */
    opts.offline = opts.dry_run;
    if (show && opts.dry_run) {
        fprintf(stderr, "virt-firewall program: --show and --dry-run: a dry run leaves "
                "no tables to show\n");
        return VF_EXIT_USAGE;
    }
    kind = vfBackendKindFromString(opts.backend ? opts.backend : "restore");
    if (kind < 0) {
        fprintf(stderr, "virt-firewall program: unknown backend '%s' (exec, restore)\n",
                opts.backend);
        return VF_EXIT_USAGE;
    }
    if (!g_file_get_contents(argv[1], &text, NULL, &err) ||
        !(set = vfProgramSetParse(text, argv[1], &err))) {
        fprintf(stderr, "virt-firewall program: %s\n", err->message);
        return VF_EXIT_USAGE;
    }
    if (!(runner = vfTargetOpenRunner(&opts, &netns, &err))) {
        fprintf(stderr, "virt-firewall program: %s\n", err->message);
        return VF_EXIT_BATCH;
    }
    backend = vfTargetNewBackend(&opts, kind, runner, netns);
    n = vfProgramSetCount(set);
    errors = g_new0(GError *, n + 1);
    if (!vfBackendApply(backend, vfProgramSetPrograms(set), n, errors, &stats, &err)) {
        ret = VF_EXIT_FAILED;
        if (err) {
            fprintf(stderr, "virt-firewall program: %s\n", err->message);
            ret = VF_EXIT_BATCH;
        }
    }
    for (gsize i = 0; i < n; i++) {
        if (errors[i]) {
            fprintf(stderr, "virt-firewall program: %s\n", errors[i]->message);
            g_error_free(errors[i]);
        }
    }
    if (opts.dry_run)
        vfPrintRecording(runner, opts.json);
    if (show && !opts.dry_run) {
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
            const char *save[] = { vfSnapshotSaveBinary(l), NULL };
            g_auto(vfRunResult) res = { 0 };
            if (vfRunnerRun(runner, save, NULL, &res, NULL))
                fputs(res.out, stdout);
        }
    }
    fprintf(stderr, "programs: %zu, backend: %s, processes: %u, passes: %u, lines: %u, retries: %u\n",
            n, vfBackendKindToString(kind), stats.processes, stats.passes,
            stats.lines, stats.retries);
    if (netns >= 0)
        close(netns);
    return ret;
}
