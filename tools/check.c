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
    cli->target.dry_run = TRUE;   /* no tool runs, not even a probe */
    cli->target.offline = TRUE;
    if ((ret = vfCliOpen(cli, TRUE)))
        return ret;
    units = vfCliBuildUnits(cli, NULL, TRUE, &built);
    skipped = nwfFilterSetBrokenList(cli->host->filters);
    warnings = cli->host->warnings ? cli->host->warnings->len : 0;
    errors = warnings + skipped->len + cli->failures->len;
    vfCliReportFailures(cli, "virt-firewall check: failed");
    if (cli->target.json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "command");
        json_builder_add_string_value(b, "check");
        json_builder_set_member_name(b, "filters");
        json_builder_add_int_value(b, nwfFilterSetSize(cli->host->filters));
        json_builder_set_member_name(b, "bindings");
        json_builder_add_int_value(b, cli->host->bindings->len);
        json_builder_set_member_name(b, "networks");
        json_builder_add_int_value(b, cli->host->networks->len);
        json_builder_set_member_name(b, "errors");
        json_builder_add_int_value(b, errors);
        vfCliJsonReport(cli, b);
        json_builder_end_object(b);
        vfPrintJson(stdout, b, FALSE);
    } else if (!cli->host_opts.quiet) {
        fprintf(stderr, "virt-firewall check: %u filters, %u bindings, %u networks: "
                "%u errors (%u ignored by libvirt, %u filter files skipped, "
                "%u units failed)\n", nwfFilterSetSize(cli->host->filters),
                cli->host->bindings->len, cli->host->networks->len, errors,
                warnings, skipped->len, cli->failures->len);
    }
    return errors ? VF_EXIT_FAILED : VF_EXIT_OK;
}
