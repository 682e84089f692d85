/*
 * report.c: what a command tells of the units that failed and of the
 * input libvirt would ignore or skip, in one place (text and JSON)
 *
 * A failed unit is one that libvirt would not (re)instantiate either: its
 * binding or network file cannot be loaded, its filter (or one it
 * references) is missing or was skipped, its program cannot be built, or
 * it failed in the kernel. Its old rules are left as they are, as
 * libvirt's start-up leaves them (docs/libvirt-parity.md); every other
 * unit is applied. Exit code 1 when any failed.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>

void
vfCliFail(vfCli *cli, const char *unit, const char *reason)
{
    if (!vfFailuresFind(cli->failures, unit))
        g_ptr_array_add(cli->failures, vfFailureNew(unit, reason));
}

void
vfCliNoteHost(vfCli *cli)
{
    g_autoptr(GPtrArray) skipped = NULL;

    if (!cli->host)
        return;
    for (guint i = 0; cli->host->failures && i < cli->host->failures->len; i++) {
        vfFailure *f = g_ptr_array_index(cli->host->failures, i);
        vfCliFail(cli, f->unit, f->reason);
    }
    for (guint i = 0; cli->host->warnings && i < cli->host->warnings->len; i++)
        fprintf(stderr, "virt-firewall: %s: %s\n", cli->strict ? "error" : "warning",
                (char *)g_ptr_array_index(cli->host->warnings, i));
    /* a filter file that cannot be loaded fails only the bindings that
     * use it; said here too, for a filter nothing uses yet */
    skipped = nwfFilterSetBrokenList(cli->host->filters);
    for (guint i = 0; i < skipped->len; i++)
        fprintf(stderr, "virt-firewall: filter file skipped: %s\n",
                (char *)g_ptr_array_index(skipped, i));
}

static gint
failureCompare(gconstpointer a, gconstpointer b)
{
    const vfFailure *x = *(vfFailure *const *)a, *y = *(vfFailure *const *)b;
    return g_strcmp0(x->unit, y->unit);
}

void
vfCliReportFailures(vfCli *cli, const char *prefix)
{
    g_ptr_array_sort(cli->failures, failureCompare);
    for (guint i = 0; i < cli->failures->len; i++) {
        vfFailure *f = g_ptr_array_index(cli->failures, i);
        fprintf(stderr, "%s: %s: %s\n", prefix, f->unit, f->reason);
    }
}

void
vfCliJsonReport(vfCli *cli, JsonBuilder *b)
{
    g_autoptr(GPtrArray) skipped = NULL;

    if (cli->networks_nft) {
        /* firewall_backend = "nftables": networks not built nor applied */
        json_builder_set_member_name(b, "networks_left_to_libvirt");
        json_builder_add_int_value(b, cli->networks_left);
    }
    json_builder_set_member_name(b, "warnings");
    json_builder_begin_array(b);
    for (guint i = 0; cli->host && cli->host->warnings && i < cli->host->warnings->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(cli->host->warnings, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "skipped_files");
    json_builder_begin_array(b);
    if (cli->host) {
        skipped = nwfFilterSetBrokenList(cli->host->filters);
        for (guint i = 0; i < skipped->len; i++)
            json_builder_add_string_value(b, g_ptr_array_index(skipped, i));
    }
    json_builder_end_array(b);
}

void
vfCliSummaryBackend(vfCli *cli)
{
    g_free(cli->summary->backend);
    g_free(cli->summary->backend_reason);
    cli->summary->backend = g_strdup(vfBackendKindToString(cli->kind));
    cli->summary->backend_reason = g_strdup(cli->kind_reason);
}

static void
jsonCalls(JsonBuilder *b, gpointer data)
{
    vfCli *cli = data;

    vfJsonCalls(b, cli->runner, !cli->target_opts.offline);
}

void
vfCliDryRunOutput(vfCli *cli)
{
    if (cli->target_opts.json) {
        cli->summary->extra = jsonCalls;
        cli->summary->extra_data = cli;
    } else if (cli->target_opts.offline) {
        vfPrintRecording(cli->runner);
    } else {
        vfPrintDryRun(cli->runner);
    }
}

static gint
unitCompare(gconstpointer a, gconstpointer b)
{
    const vfSummaryUnit *x = *(vfSummaryUnit *const *)a, *y = *(vfSummaryUnit *const *)b;
    return g_strcmp0(x->name, y->name);
}

void
vfCliPrintSummary(vfCli *cli)
{
    vfSummary *s = cli->summary;
    g_autofree char *prefix = g_strdup_printf("virt-firewall %s: failed", s->command);

    vfProgressClear(cli->progress);
    /* every unit that failed, also those that never got to be one (a
     * binding that cannot be loaded, a program that cannot be built) */
    for (guint i = 0; i < cli->failures->len; i++) {
        vfFailure *f = g_ptr_array_index(cli->failures, i);
        vfSummaryUnitSet(s, f->unit, VF_STATUS_FAILED, f->reason);
    }
    g_ptr_array_sort(s->units, unitCompare);
    if (cli->target_opts.json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        /* stdout holds the object alone; the reasons are also said where
         * a log catches them */
        vfCliReportFailures(cli, prefix);
        json_builder_begin_object(b);
        vfSummaryBuildJson(s, b);
        vfCliJsonReport(cli, b);
        json_builder_end_object(b);
        if (!vfPrintJson(stdout, b, TRUE))
            fprintf(stderr, "virt-firewall %s: cannot write the JSON summary: %s\n",
                    s->command, g_strerror(errno));
        return;
    }
    if (cli->host_opts.quiet) {
        vfCliReportFailures(cli, prefix);
        return;
    }
    {
        g_autoptr(GString) text = g_string_new(NULL);
        g_autoptr(GPtrArray) skipped = cli->host ? nwfFilterSetBrokenList(cli->host->filters)
                                                 : g_ptr_array_new();
        guint warnings = cli->host && cli->host->warnings ? cli->host->warnings->len : 0;

        vfSummaryFormatText(s, text);
        fputs(text->str, stderr);
        if (warnings || skipped->len)
            fprintf(stderr, "  input: %u warnings, %u filter files skipped\n",
                    warnings, skipped->len);
        vfCliReportFailures(cli, "  failed");
    }
}

int
vfCliExitCode(vfCli *cli, int ret)
{
    if (ret)
        return ret;
    return cli->failures->len ? VF_EXIT_FAILED : VF_EXIT_OK;
}
