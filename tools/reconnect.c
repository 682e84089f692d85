/*
 * reconnect.c: the restart path — every binding and network in one batch,
 * skipping what the state file and the kernel both say is in place
 */
#include "cli.h"
#include "firewall/netns.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

typedef struct {
    guint skipped, rebuilt, failed;
    vfApplyStats stats;
} vfOutcome;

static void
printSummary(vfCli *cli, const char *cmd, const vfOutcome *o, guint spawned)
{
    if (cli->host_opts.quiet)
        return;
    if (cli->target.json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "command");
        json_builder_add_string_value(b, cmd);
        json_builder_set_member_name(b, "backend");
        json_builder_add_string_value(b, vfBackendKindToString(cli->kind));
        json_builder_set_member_name(b, "phases");
        json_builder_add_string_value(b, cli->phases->str);
        json_builder_set_member_name(b, "processes");
        json_builder_add_int_value(b, spawned);
        json_builder_set_member_name(b, "passes");
        json_builder_add_int_value(b, o->stats.passes);
        json_builder_set_member_name(b, "rules_written");
        json_builder_add_int_value(b, o->stats.lines);
        json_builder_set_member_name(b, "retries");
        json_builder_add_int_value(b, o->stats.retries);
        json_builder_set_member_name(b, "skipped");
        json_builder_add_int_value(b, o->skipped);
        json_builder_set_member_name(b, "rebuilt");
        json_builder_add_int_value(b, o->rebuilt);
        json_builder_set_member_name(b, "failed");
        json_builder_add_int_value(b, o->failed);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        json_generator_set_root(gen, root);
        text = json_generator_to_data(gen, NULL);
        fprintf(stderr, "%s\n", text);
        return;
    }
    fprintf(stderr,
            "virt-firewall %s: backend %s (%s)\n"
            "  time: %s\n"
            "  processes spawned: %u, restore passes: %u, rules written: %u, retries: %u\n"
            "  units: %u rebuilt, %u skipped, %u failed\n",
            cmd, vfBackendKindToString(cli->kind), cli->kind_reason,
            cli->phases->str, spawned, o->stats.passes, o->stats.lines, o->stats.retries,
            o->rebuilt, o->skipped, o->failed);
}

static char *
kernelHash(vfKernelState *ks, const vfUnit *u)
{
    return u->ifname ? vfKernelHashInterface(ks, u->ifname) : vfKernelHashNetworks(ks);
}

/*
 * Applies @units (all of them if !useState, else only those whose desired
 * and kernel hashes differ from the state file) and records the result.
 */
int
vfCliRebuild(vfCli *cli, const char *cmd, GPtrArray *units, gboolean useState,
             gboolean pruneState)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(vfKernelState) ks = NULL;
    g_autoptr(vfKernelState) after = NULL;
    g_autoptr(vfStateFile) st = NULL;
    g_autoptr(GPtrArray) todo = g_ptr_array_new();
    g_autoptr(GPtrArray) errors = NULL;
    g_autofree char *statePath = vfCliStatePath(cli);
    g_autofree char *netnsId = vfNetnsId(cli->netns_fd);
    vfOutcome o = { 0 };
    guint spawned0 = cli->runner->spawned;
    int ret = VF_EXIT_OK;
    gboolean writeState = !cli->target.dry_run;

    if (!(ks = vfKernelStateRead(cli->runner, &err))) {
        fprintf(stderr, "virt-firewall %s: %s\n", cmd, err->message);
        return VF_EXIT_BATCH;
    }
    vfCliIndexKernel(units, ks);
    if (writeState && !(st = vfStateFileLoad(statePath, netnsId, &err))) {
        fprintf(stderr, "virt-firewall %s: %s (ignoring it)\n", cmd, err->message);
        g_clear_error(&err);
        st = vfStateFileLoad("/nonexistent/virt-firewall-state", netnsId, NULL);
    }
    vfCliPhase(cli, "read-kernel");

    for (guint i = 0; i < units->len; i++) {
        vfUnit *u = g_ptr_array_index(units, i);
        if (useState && st) {
            g_autofree char *kh = kernelHash(ks, u);
            if (g_strcmp0(vfStateFileGetDesired(st, u->name), u->desired) == 0 &&
                g_strcmp0(vfStateFileGetKernel(st, u->name), kh) == 0) {
                o.skipped++;
                continue;
            }
        }
        g_ptr_array_add(todo, u);
    }
    if (todo->len > 100 && !cli->host_opts.quiet)
        fprintf(stderr, "virt-firewall %s: applying %u units...\n", cmd, todo->len);

    if (todo->len) {
        if (!vfCliApplyUnits(cli, todo, ks, &errors, &o.stats, &err) && err) {
            fprintf(stderr, "virt-firewall %s: %s\n", cmd, err->message);
            ret = VF_EXIT_BATCH;
        }
    }
    vfCliPhase(cli, "apply");

    if (cli->target.dry_run)
        vfPrintRecording(cli->runner, cli->target.json);

    if (writeState && ret != VF_EXIT_BATCH) {
        /* the kernel's own rendering after the apply, for the layers it
         * wrote; the others are still as read at the start */
        if (todo->len && !(after = vfKernelStateReread(cli->runner, ks,
                                                       o.stats.layers_written, &err))) {
            fprintf(stderr, "virt-firewall %s: %s\n", cmd, err->message);
            return VF_EXIT_BATCH;
        }
        if (after)
            vfCliIndexKernel(units, after);
        for (guint i = 0; i < todo->len; i++) {
            vfUnit *u = g_ptr_array_index(todo, i);
            GError *e = errors ? g_ptr_array_index(errors, i) : NULL;
            if (e) {
                fprintf(stderr, "virt-firewall %s: %s: %s\n", cmd, u->name, e->message);
                vfStateFileRemove(st, u->name);
                o.failed++;
                ret = VF_EXIT_FAILED;
                continue;
            }
            {
                g_autofree char *kh = kernelHash(after, u);
                vfStateFileSet(st, u->name, u->desired, kh);
            }
            o.rebuilt++;
        }
        if (pruneState) {
            /* units that no longer exist (a VM gone while we were down) */
            g_auto(GStrv) names = vfStateFileUnits(st);
            for (gsize k = 0; names[k]; k++) {
                gboolean present = FALSE;
                for (guint i = 0; i < units->len; i++)
                    present |= g_str_equal(((vfUnit *)g_ptr_array_index(units, i))->name, names[k]);
                if (!present)
                    vfStateFileRemove(st, names[k]);
            }
        }
        if (!vfStateFileSave(st, &err)) {
            fprintf(stderr, "virt-firewall %s: %s\n", cmd, err->message);
            ret = ret ? ret : VF_EXIT_BATCH;
        }
        vfCliPhase(cli, "record");
    } else {
        for (guint i = 0; errors && i < errors->len; i++) {
            GError *e = g_ptr_array_index(errors, i);
            if (e) {
                fprintf(stderr, "virt-firewall %s: %s: %s\n", cmd,
                        ((vfUnit *)g_ptr_array_index(todo, i))->name, e->message);
                o.failed++;
                ret = ret ? ret : VF_EXIT_FAILED;
            } else {
                o.rebuilt++;
            }
        }
    }
    printSummary(cli, cmd, &o, cli->runner->spawned - spawned0);
    return ret;
}

int
vfCmdReconnect(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autoptr(GPtrArray) units = NULL;
    int ret, built = VF_EXIT_OK;

    if (!vfCliParse(cli, "reconnect", "",
                    "Re-applies every filter binding's and every active network's rules\n"
                    "as one batch (libvirtd's restart path). Interfaces whose desired rules\n"
                    "and kernel rules are unchanged since the last run are skipped.",
                    &argc, &argv))
        return VF_EXIT_USAGE;
    if (argc != 1) {
        fprintf(stderr, "virt-firewall reconnect: unexpected argument '%s'\n", argv[1]);
        return VF_EXIT_USAGE;
    }
    if ((ret = vfCliOpen(cli, TRUE)))
        return ret;
    units = vfCliBuildUnits(cli, NULL, TRUE, &built);
    ret = vfCliRebuild(cli, "reconnect", units, TRUE, TRUE);
    return ret ? ret : built;
}

int
vfCmdDump(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autoptr(GPtrArray) units = NULL;
    int ret, built = VF_EXIT_OK;

    if (!vfCliParse(cli, "dump", "[IFACE...]",
                    "Prints, without running anything, the restore scripts (or with\n"
                    "--backend exec the commands) that reconnect would run on empty tables.",
                    &argc, &argv))
        return VF_EXIT_USAGE;
    cli->target.dry_run = TRUE;
    cli->host_opts.quiet = TRUE;
    if ((ret = vfCliOpen(cli, TRUE)))
        return ret;
    units = vfCliBuildUnits(cli, argc > 1 ? (const char *const *)argv + 1 : NULL,
                            argc == 1, &built);
    ret = vfCliRebuild(cli, "dump", units, FALSE, FALSE);
    return ret ? ret : built;
}
