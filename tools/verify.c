/*
 * verify.c: does the kernel hold what the host's bindings and networks
 * produce now? Changes nothing.
 *
 * The host's programs are simulated against the tables *-save prints, as
 * reconnect does before it writes (the restore backend, on a runner that
 * runs nothing): a unit is in place when its lines in the simulated
 * tables are those in the kernel. So the answer does not depend on who
 * applied the rules (libvirt, the exec backend, an older virt-firewall),
 * and the state file is only a shortcut: a unit whose recorded desired
 * and kernel hashes both still match is in place without simulating it.
 */
#include "cli.h"
#include "verify.h"
#include "firewall/netns.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    vfUnit *unit;
    gboolean byState;     /* the state file's hashes vouched for it */
    gboolean failed;      /* could not be checked (vfCliFail says why) */
    GPtrArray *items;     /* of vfVerifyItem*; NULL until compared */
} vfVerifyUnit;

static void
verifyUnitFree(vfVerifyUnit *v)
{
    if (v->items)
        g_ptr_array_unref(v->items);
    g_free(v);
}

/*
 * (verify.h) The host's programs simulated against the kernel's tables.
 */
vfKernelState *
vfVerifySimulate(GPtrArray *units, vfKernelState *ks, GPtrArray *errors, GError **error)
{
    g_autoptr(vfRunner) nothing = vfRunnerNewRecorder();
    vfBackendOptions opts = VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, nothing);
    g_autoptr(vfBackend) backend = vfBackendNew(&opts);
    g_autofree guint *owner = NULL;
    g_autoptr(GPtrArray) fws = vfUnitsPrograms(units, &owner);
    vfBatch batch = { (virFirewall *const *)fws->pdata, fws->len };
    g_auto(vfApplyOutcome) outcome = { 0 };
    char *save[VIR_FIREWALL_LAYER_LAST] = { NULL };
    guint transactions;

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        batch.save[l] = ks->save[l];
    if (!vfBackendApplyBatch(backend, &batch, &outcome, error) && error && *error)
        return NULL;
    for (guint i = 0; i < fws->len; i++) {
        if (outcome.errors[i] && !g_ptr_array_index(errors, owner[i]))
            errors->pdata[owner[i]] = g_steal_pointer(&outcome.errors[i]);
    }
    if (!vfApplyOutcomeTake(&outcome, save, &transactions))
        return NULL;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (!save[l])
            save[l] = g_strdup(ks->save[l]);
    }
    return vfKernelStateNewFromText(save);
}

static void
errorFree(gpointer e)
{
    if (e)
        g_error_free(e);
}

/* Compares @todo's units (simulated together, or one by one when the
 * batch cannot be simulated exactly) with @ks. FALSE: the batch failed. */
static gboolean
compareUnits(vfCli *cli, GPtrArray *todo, vfKernelState *ks)
{
    g_autoptr(GPtrArray) units = g_ptr_array_new();
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(errorFree);
    g_autoptr(vfKernelState) sim = NULL;
    g_autoptr(GError) err = NULL;

    for (guint i = 0; i < todo->len; i++) {
        g_ptr_array_add(units, ((vfVerifyUnit *)g_ptr_array_index(todo, i))->unit);
        g_ptr_array_add(errors, NULL);
    }
    sim = vfVerifySimulate(units, ks, errors, &err);
    if (err) {
        fprintf(stderr, "virt-firewall verify: %s\n", err->message);
        return FALSE;
    }
    if (sim)
        vfCliIndexKernel(units, sim);
    for (guint i = 0; i < todo->len; i++) {
        vfVerifyUnit *v = g_ptr_array_index(todo, i);
        const char *owner = v->unit->ifname ? v->unit->ifname : "networks";
        g_autoptr(vfKernelState) alone = NULL;
        g_autofree char *want = NULL, *have = NULL;
        GError *e = g_ptr_array_index(errors, i);

        if (!sim) {
            /* which unit makes it inexact: the others can still be told */
            g_autoptr(GPtrArray) one = g_ptr_array_new();
            g_autoptr(GPtrArray) oneErr = g_ptr_array_new_with_free_func(errorFree);
            g_ptr_array_add(one, v->unit);
            g_ptr_array_add(oneErr, NULL);
            if (!(alone = vfVerifySimulate(one, ks, oneErr, &err))) {
                if (err) {
                    fprintf(stderr, "virt-firewall verify: %s\n", err->message);
                    return FALSE;
                }
                vfCliFail(cli, v->unit->name, "cannot be checked without applying it "
                          "(the simulation cannot tell its rules exactly: a host name "
                          "or an ipset only the kernel can judge)");
                v->failed = TRUE;
                continue;
            }
            vfCliIndexKernel(one, alone);
            e = g_ptr_array_steal_index(oneErr, 0);
            if (e)
                g_ptr_array_index(errors, i) = e;
        }
        if (e) {
            /* reconnect would fail it too, and leave its rules as they are */
            g_autofree char *why = g_strdup_printf("its program fails: %s", e->message);
            vfCliFail(cli, v->unit->name, why);
            v->failed = TRUE;
            continue;
        }
        want = vfKernelLinesInterface(alone ? alone : sim, owner);
        have = vfKernelLinesInterface(ks, owner);
        v->items = vfVerifyCompare(want, have);
    }
    return TRUE;
}

/* ---- output ---- */

static const char *const kindNames[] = { "missing", "changed", "extra", "orphan" };

static void
printItem(const vfVerifyItem *it)
{
    const char *tool = vfVerifyTool(it->layer);

    if (!it->rule)
        printf("  %s chain: %s -t %s %s\n", kindNames[it->kind], tool, it->table, it->chain);
    else if (it->kind == VF_VERIFY_CHANGED)
        printf("  changed: %s -t %s %s\n   kernel: %s\n", tool, it->table, it->rule, it->kernel);
    else
        printf("  %s: %s -t %s %s\n", kindNames[it->kind], tool, it->table, it->rule);
}

static void
countItems(GPtrArray *items, guint *n)
{
    for (guint i = 0; items && i < items->len; i++)
        n[((vfVerifyItem *)g_ptr_array_index(items, i))->kind]++;
}

static void
printText(vfCli *cli, GPtrArray *checked, GPtrArray *orphans)
{
    for (guint i = 0; i < checked->len; i++) {
        vfVerifyUnit *v = g_ptr_array_index(checked, i);
        guint n[4] = { 0 };

        if (v->failed)
            continue;
        if (!v->items || !v->items->len) {
            if (!cli->host_opts.quiet)
                printf("ok: %s\n", v->unit->name);
            continue;
        }
        countItems(v->items, n);
        printf("drift: %s: %u missing, %u changed, %u extra\n", v->unit->name,
               n[VF_VERIFY_MISSING], n[VF_VERIFY_CHANGED], n[VF_VERIFY_EXTRA]);
        for (guint k = 0; k < v->items->len; k++)
            printItem(g_ptr_array_index(v->items, k));
    }
    for (guint i = 0; i < orphans->len; i++) {
        vfVerifyOrphan *o = g_ptr_array_index(orphans, i);
        printf("drift: interface/%s: orphan: no binding names it\n", o->ifname);
        for (guint k = 0; k < o->items->len; k++)
            printItem(g_ptr_array_index(o->items, k));
    }
}

static void
jsonItems(JsonBuilder *b, const char *member, GPtrArray *items, int kind, int rules)
{
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    for (guint i = 0; items && i < items->len; i++) {
        vfVerifyItem *it = g_ptr_array_index(items, i);
        /* @rules: 0 chains and rules, 1 chains only, 2 rules only */
        if ((int)it->kind != kind || (rules == 1 && it->rule) || (rules == 2 && !it->rule))
            continue;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "tool");
        json_builder_add_string_value(b, vfVerifyTool(it->layer));
        json_builder_set_member_name(b, "table");
        json_builder_add_string_value(b, it->table);
        json_builder_set_member_name(b, "chain");
        json_builder_add_string_value(b, it->chain);
        /* no rule: the chain itself */
        if (it->rule) {
            json_builder_set_member_name(b, "rule");
            json_builder_add_string_value(b, it->rule);
        }
        if (it->kernel) {
            json_builder_set_member_name(b, "kernel");
            json_builder_add_string_value(b, it->kernel);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* a unit's members besides name, kind, status and reason */
static void
jsonUnit(JsonBuilder *b, gpointer data)
{
    vfVerifyUnit *v = data;

    json_builder_set_member_name(b, "checked_by");
    json_builder_add_string_value(b, v->failed ? "none" :
                                     v->byState ? "state-file" : "simulation");
    jsonItems(b, "missing", v->items, VF_VERIFY_MISSING, 0);
    jsonItems(b, "changed", v->items, VF_VERIFY_CHANGED, 0);
    jsonItems(b, "extra", v->items, VF_VERIFY_EXTRA, 0);
}

static void
jsonOrphans(JsonBuilder *b, gpointer data)
{
    GPtrArray *orphans = data;

    json_builder_set_member_name(b, "orphans");
    json_builder_begin_array(b);
    for (guint i = 0; i < orphans->len; i++) {
        vfVerifyOrphan *o = g_ptr_array_index(orphans, i);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "interface");
        json_builder_add_string_value(b, o->ifname);
        jsonItems(b, "chains", o->items, VF_VERIFY_ORPHAN, 1);
        jsonItems(b, "rules", o->items, VF_VERIFY_ORPHAN, 2);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* The units into the summary, with what verify found of each. */
static void
noteUnits(vfCli *cli, GPtrArray *checked, GPtrArray *orphans, guint drift, guint byState)
{
    vfSummary *s = cli->summary;

    s->shown |= (1u << VF_STATUS_OK) | (1u << VF_STATUS_DRIFT);
    for (guint i = 0; i < checked->len; i++) {
        vfVerifyUnit *v = g_ptr_array_index(checked, i);
        const vfFailure *f = vfFailuresFind(cli->failures, v->unit->name);
        vfSummaryUnit *u = vfSummaryUnitSet(s, v->unit->name,
                                            v->failed ? VF_STATUS_FAILED :
                                            v->items && v->items->len ? VF_STATUS_DRIFT :
                                            VF_STATUS_OK, f ? f->reason : NULL);
        u->extra = jsonUnit;
        u->extra_data = v;
    }
    s->extra = jsonOrphans;
    s->extra_data = orphans;
    vfSummaryCountAdd(s, "drift", "drift", drift);
    vfSummaryCountAdd(s, "orphaned_interfaces", "orphaned interfaces", orphans->len);
    vfSummaryCountAdd(s, "by_state_file", "checked by the state file", byState);
    s->processes = cli->runner->spawned;
}

/* ---- which units ---- */

/*
 * The units @args name: an interface (IFACE, interface/IFACE) with a
 * binding, or an active network (NAME, network/NAME, "networks": the
 * networks share their chains, so they are one unit). FALSE, with the
 * reason on stderr, for a name that is neither.
 */
static gboolean
resolveArgs(vfCli *cli, char **args, GPtrArray *ifaces, gboolean *networks)
{
    vfHost *host = cli->host;

    for (gsize a = 0; args[a]; a++) {
        const char *name = args[a];
        gboolean found = FALSE;

        if (g_str_equal(name, "networks")) {
            *networks = TRUE;
            continue;
        }
        if (g_str_has_prefix(name, "interface/"))
            name += strlen("interface/");
        else if (g_str_has_prefix(name, "network/"))
            name += strlen("network/");
        for (guint i = 0; !found && i < host->bindings->len; i++) {
            nwfBinding *b = g_ptr_array_index(host->bindings, i);
            if (g_str_equal(b->portdev, name) && !g_str_has_prefix(args[a], "network/")) {
                g_ptr_array_add(ifaces, (gpointer)name);
                found = TRUE;
            }
        }
        for (guint i = 0; !found && i < host->failures->len; i++) {
            vfFailure *f = g_ptr_array_index(host->failures, i);
            /* a binding file that cannot be loaded: its unit fails */
            if (g_str_has_prefix(f->unit, "interface/") &&
                g_str_equal(f->unit + strlen("interface/"), name))
                found = TRUE;
        }
        for (guint i = 0; !found && i < host->networks->len; i++) {
            vfNetworkDef *def = g_ptr_array_index(host->networks, i);
            if (g_str_equal(def->name, name) && !g_str_has_prefix(args[a], "interface/"))
                found = *networks = TRUE;
        }
        if (!found) {
            fprintf(stderr, "virt-firewall verify: '%s': no filter binding and no active "
                    "network of that name\n", args[a]);
            return FALSE;
        }
    }
    return TRUE;
}

/* Every interface a binding names, applied or not (a refused binding's
 * chains are not orphans: libvirt still has the interface). */
static GHashTable *
namedInterfaces(vfHost *host)
{
    GHashTable *named = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < host->bindings->len; i++)
        g_hash_table_add(named, ((nwfBinding *)g_ptr_array_index(host->bindings, i))->portdev);
    for (guint i = 0; host->failures && i < host->failures->len; i++) {
        vfFailure *f = g_ptr_array_index(host->failures, i);
        if (g_str_has_prefix(f->unit, "interface/"))
            g_hash_table_add(named, f->unit + strlen("interface/"));
    }
    return named;
}

int
vfCmdVerify(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autoptr(GPtrArray) units = NULL;
    g_autoptr(GPtrArray) ifaces = g_ptr_array_new();
    g_autoptr(GPtrArray) checked = g_ptr_array_new_with_free_func((GDestroyNotify)verifyUnitFree);
    g_autoptr(GPtrArray) todo = g_ptr_array_new();
    g_autoptr(GPtrArray) orphans = NULL;
    g_autoptr(GHashTable) named = NULL;
    g_autoptr(vfKernelState) ks = NULL;
    g_autoptr(vfStateFile) st = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *statePath = NULL;
    gboolean networks = FALSE;
    int ret, built = VF_EXIT_OK;
    guint drift = 0;

    if (!vfCliParse(cli, "verify", "[IFACE|NETWORK...]",
                    "Reports interfaces and networks whose kernel rules differ from what\n"
                    "their bindings and networks produce now (missing, changed and extra\n"
                    "rules and chains), and the chains of interfaces no binding names any\n"
                    "more (orphans); exit 3 if any. Changes nothing. With arguments, only\n"
                    "those units are checked (the networks are one unit).", &argc, &argv))
        return VF_EXIT_USAGE;
    /* a dry run reads no kernel: every rule would be "missing" */
    if (cli->target_opts.dry_run) {
        fprintf(stderr, "virt-firewall verify: --dry-run: verify changes nothing and "
                "must read the kernel; run it without --dry-run\n");
        return VF_EXIT_USAGE;
    }
    if ((ret = vfCliOpen(cli, TRUE)))
        return ret;
    networks = argc == 1;
    if (argc > 1) {
        if (!resolveArgs(cli, argv + 1, ifaces, &networks))
            return VF_EXIT_USAGE;
        g_ptr_array_add(ifaces, NULL);
    }
    /* with arguments only the interfaces named; none: every binding */
    units = vfCliBuildUnits(cli, argc > 1 ? (const char *const *)ifaces->pdata : NULL,
                            networks, &built);
    if (!(ks = vfKernelStateRead(cli->target, &err))) {
        fprintf(stderr, "virt-firewall verify: %s\n", err->message);
        return VF_EXIT_BATCH;
    }
    vfCliIndexKernel(units, ks);
    vfCliPhase(cli, "read-kernel");

    /* the shortcut: a unit recorded as applied, whose program and kernel
     * lines are still those recorded */
    statePath = vfCliStatePath(cli);
    if (!(st = vfStateFileLoad(statePath, vfTargetGetNetnsId(cli->target), &err))) {
        fprintf(stderr, "virt-firewall verify: %s (ignoring it)\n", err->message);
        g_clear_error(&err);
    }
    for (guint i = 0; i < units->len; i++) {
        vfVerifyUnit *v = g_new0(vfVerifyUnit, 1);
        vfUnit *u = g_ptr_array_index(units, i);
        const char *recorded = st ? vfStateFileGetKernel(st, u->name) : NULL;

        v->unit = u;
        g_ptr_array_add(checked, v);
        if (recorded && g_strcmp0(vfStateFileGetDesired(st, u->name), u->desired) == 0) {
            g_autofree char *kh = u->ifname ? vfKernelHashInterface(ks, u->ifname)
                                            : vfKernelHashNetworks(ks);
            v->byState = g_str_equal(kh, recorded);
        }
        if (!v->byState)
            g_ptr_array_add(todo, v);
    }
    if (todo->len && !compareUnits(cli, todo, ks))
        return VF_EXIT_BATCH;
    vfCliPhase(cli, "compare");

    /* orphans are looked for only when every unit is checked */
    named = namedInterfaces(cli->host);
    orphans = argc > 1 ? g_ptr_array_new() : vfVerifyOrphans(ks, named);

    for (guint i = 0; i < checked->len; i++) {
        vfVerifyUnit *v = g_ptr_array_index(checked, i);
        drift += v->items && v->items->len;
    }
    drift += orphans->len;
    if (!cli->target_opts.json)
        printText(cli, checked, orphans);
    noteUnits(cli, checked, orphans, drift, checked->len - todo->len);
    /* a unit that cannot be built cannot be verified */
    vfCliPrintSummary(cli);
    if (drift)
        return VF_EXIT_DRIFT;
    return vfCliExitCode(cli, built);
}
