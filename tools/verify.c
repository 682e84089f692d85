/*
 * verify.c: report drift between the desired rules, what was applied and
 * what the kernel holds now; changes nothing
 */
#include "cli.h"
#include "firewall/netns.h"

#include <stdio.h>

int
vfCmdVerify(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autoptr(GPtrArray) units = NULL;
    g_autoptr(vfKernelState) ks = NULL;
    g_autoptr(vfStateFile) st = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *statePath = NULL;
    g_autofree char *netnsId = NULL;
    int ret, built = VF_EXIT_OK;
    guint drift = 0;

    if (!vfCliParse(cli, "verify", "",
                    "Reports interfaces and networks whose kernel rules differ from their\n"
                    "desired rules (exit 3), without changing anything.", &argc, &argv))
        return VF_EXIT_USAGE;
    if ((ret = vfCliOpen(cli, TRUE)))
        return ret;
    units = vfCliBuildUnits(cli, NULL, TRUE, &built);
    if (!(ks = vfKernelStateRead(cli->runner, &err))) {
        fprintf(stderr, "virt-firewall verify: %s\n", err->message);
        return VF_EXIT_BATCH;
    }
    vfCliIndexKernel(units, ks);
    statePath = vfCliStatePath(cli);
    netnsId = vfNetnsId(cli->netns_fd);
    if (!(st = vfStateFileLoad(statePath, netnsId, &err))) {
        fprintf(stderr, "virt-firewall verify: %s\n", err->message);
        return VF_EXIT_USAGE;
    }
    for (guint i = 0; i < units->len; i++) {
        vfUnit *u = g_ptr_array_index(units, i);
        g_autofree char *kh = u->ifname ? vfKernelHashInterface(ks, u->ifname)
                                        : vfKernelHashNetworks(ks);
        const char *why = NULL;

        if (!vfStateFileGetDesired(st, u->name))
            why = "never applied by virt-firewall (no record in the state file)";
        else if (g_strcmp0(vfStateFileGetDesired(st, u->name), u->desired) != 0)
            why = "its filter or parameters changed since it was applied";
        else if (g_strcmp0(vfStateFileGetKernel(st, u->name), kh) != 0)
            why = "its rules in the kernel were changed or removed";
        if (why) {
            printf("drift: %s: %s\n", u->name, why);
            drift++;
        } else if (!cli->host_opts.quiet) {
            printf("ok: %s\n", u->name);
        }
    }
    if (!cli->host_opts.quiet)
        fprintf(stderr, "virt-firewall verify: %u units, %u with drift, processes %u\n",
                units->len, drift, cli->runner->spawned);
    /* a unit that cannot be built cannot be verified */
    vfCliReportFailures(cli, "virt-firewall verify: failed");
    if (drift)
        return VF_EXIT_DRIFT;
    return vfCliExitCode(cli, built);
}
