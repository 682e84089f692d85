/*
 * check.c: `check` — lint a host's filters, bindings and networks
 *
 * Loads them as reconnect does and builds every unit's program, runs no
 * tool and needs no privileges. What libvirt 9.0 would ignore without a
 * word (an attribute it does not read, a second protocol element, ...:
 * docs/libvirt-parity.md) is an error here, as are the files libvirt
 * would skip and the units it could not instantiate: exit 1 if there is
 * any, for admins and CI pipelines that check filters before deploying
 * them.
 */
#include "cli.h"

#include <stdio.h>

int
vfCmdCheck(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autoptr(GPtrArray) units = NULL;
    g_autoptr(GPtrArray) skipped = NULL;
    int ret, built = VF_EXIT_OK;
    guint warnings, errors;

    if (!vfCliParse(cli, "check", "",
                    "Loads the filters, bindings and networks as reconnect does and\n"
                    "builds every program, running nothing. Everything libvirt would\n"
                    "ignore or skip is an error: exit 1 if there is any.", &argc, &argv))
        return VF_EXIT_USAGE;
    if (argc != 1) {
        fprintf(stderr, "virt-firewall check: unexpected argument '%s'\n", argv[1]);
        return VF_EXIT_USAGE;
    }
    cli->strict = TRUE;
    cli->target_opts.dry_run = TRUE;   /* no tool runs, not even a probe */
    cli->target_opts.offline = TRUE;
    if ((ret = vfCliOpen(cli, TRUE)))
        return ret;
    units = vfCliBuildUnits(cli, NULL, TRUE, &built);
    skipped = nwfFilterSetBrokenList(cli->host->filters);
    warnings = cli->host->warnings ? cli->host->warnings->len : 0;
    errors = warnings + skipped->len + cli->failures->len;
    cli->summary->shown |= 1u << VF_STATUS_BUILT;
    for (guint i = 0; i < units->len; i++)
        vfSummaryUnitSet(cli->summary, ((vfUnit *)g_ptr_array_index(units, i))->name,
                         VF_STATUS_BUILT, NULL);
    vfSummaryCountAdd(cli->summary, "filters", "filters",
                      nwfFilterSetSize(cli->host->filters));
    vfSummaryCountAdd(cli->summary, "bindings", "bindings", cli->host->bindings->len);
    vfSummaryCountAdd(cli->summary, "networks", "networks", cli->host->networks->len);
    vfSummaryCountAdd(cli->summary, "errors", "errors", errors);
    vfSummaryCountAdd(cli->summary, "ignored_by_libvirt", "ignored by libvirt", warnings);
    vfSummaryCountAdd(cli->summary, "filter_files_skipped", "filter files skipped",
                      skipped->len);
    vfCliPrintSummary(cli);
    return errors ? VF_EXIT_FAILED : VF_EXIT_OK;
}
