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

    g_ptr_array_sort(cli->failures, failureCompare);
    json_builder_set_member_name(b, "failures");
    json_builder_begin_array(b);
    for (guint i = 0; i < cli->failures->len; i++) {
        vfFailure *f = g_ptr_array_index(cli->failures, i);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "unit");
        json_builder_add_string_value(b, f->unit);
        json_builder_set_member_name(b, "reason");
        json_builder_add_string_value(b, f->reason);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
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

int
vfCliExitCode(vfCli *cli, int ret)
{
    if (ret)
        return ret;
    return cli->failures->len ? VF_EXIT_FAILED : VF_EXIT_OK;
}
