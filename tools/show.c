/*
 * show.c: `virt-firewall show VM|UUID|IFACE`: what one VM's interfaces
 * should have and what the kernel holds, rule by rule, with counters and
 * the filter line behind each rule. Changes nothing.
 *
 * The desired lines are verify's (the unit's program simulated against
 * the tables *-save prints, verify.c), compared as verify compares them
 * (vfVerifyCompareAll), so "drift" here is verify's drift. The kernel is
 * read once, with "*-save -c": the counters are taken off its lines
 * (savefmt.c) and the rest is what plain *-save prints.
 */
#include "show.h"
#include "firewall/firewall-priv.h"
#include "firewall/restore/normalize.h"
#include "firewall/restore/savefmt.h"
#include "firewall/restore/snapshot.h"
#include "nwfilter/chains.h"

#include <stdio.h>
#include <string.h>

static void
showRuleFree(vfShowRule *r)
{
    g_free(r->rule);
    g_free(r->desired);
    g_free(r);
}

static void
showChainFree(vfShowChain *c)
{
    g_free(c->table);
    g_free(c->chain);
    g_ptr_array_unref(c->rules);
    g_free(c);
}

void
vfShowIfaceFree(vfShowIface *s)
{
    if (!s)
        return;
    if (s->unit)
        vfUnitFree(s->unit);
    g_free(s->failed);
    if (s->chains)
        g_ptr_array_unref(s->chains);
    g_free(s);
}

/* ---- which interfaces ---- */

/*
 * The bindings @args name: a VM by name or UUID (each of its interfaces),
 * an interface (IFACE, interface/IFACE). A binding not in force (another
 * one of its interface is) is not shown. VF_EXIT_OK, or the exit code
 * with the reason on stderr: 2 for a name no binding holds, 1 for an
 * interface whose binding file cannot be loaded.
 */
static int
resolveArgs(vfCli *cli, char **args, GPtrArray *out)
{
    GPtrArray *bindings = cli->host->bindings;

    for (gsize a = 0; args[a]; a++) {
        const char *name = args[a];
        gboolean iface = g_str_has_prefix(name, "interface/");
        gboolean named = FALSE;
        g_autofree char *unit = NULL;
        const vfFailure *f;

        if (iface)
            name += strlen("interface/");
        for (guint i = 0; i < bindings->len; i++) {
            nwfBinding *b = g_ptr_array_index(bindings, i);
            if (!g_str_equal(b->portdev, name) &&
                (iface || ((!b->ownerName || !g_str_equal(b->ownerName, name)) &&
                           (!b->ownerUUID || g_ascii_strcasecmp(b->ownerUUID, name) != 0))))
                continue;
            named = TRUE;
            if (!g_ptr_array_find(out, b, NULL) && vfCliBindingApplies(bindings, b, NULL))
                g_ptr_array_add(out, b);
        }
        unit = g_strdup_printf("interface/%s", name);
        if (!named && cli->host->failures &&
            (f = vfFailuresFind(cli->host->failures, unit))) {
            fprintf(stderr, "virt-firewall show: %s: %s\n", unit, f->reason);
            return VF_EXIT_FAILED;
        }
        if (!named) {
            fprintf(stderr, "virt-firewall show: '%s': no filter binding names a VM, "
                    "UUID or interface of that name\n", args[a]);
            return VF_EXIT_USAGE;
        }
    }
    return VF_EXIT_OK;
}

/* Only the shown interfaces' failures are this command's (vfCliOpen
 * recorded every file of the host that cannot be loaded). */
static void
keepFailuresOf(vfCli *cli, GPtrArray *bindings)
{
    for (guint i = cli->failures->len; i-- > 0;) {
        vfFailure *f = g_ptr_array_index(cli->failures, i);
        gboolean ours = FALSE;
        for (guint k = 0; !ours && k < bindings->len; k++) {
            nwfBinding *b = g_ptr_array_index(bindings, k);
            ours = g_str_has_prefix(f->unit, "interface/") &&
                   g_str_equal(f->unit + strlen("interface/"), b->portdev);
        }
        if (!ours)
            g_ptr_array_remove_index(cli->failures, i);
    }
}

/* ---- the origins of the desired lines ---- */

/* The name a chain has once libvirt renamed its new set (J -> I, P -> O):
 * the program builds the temporary chains. */
static char *
finalChain(const char *chain)
{
    char *c = g_strdup(chain);
    const char *rest;
    gsize at;

    if (nwfChainParse(chain, strlen(chain), &rest) == NWF_CHAIN_OTHER)
        return c;
    /* in every kind the prefix letter stands just before "-IF" */
    at = rest - chain - 2;
    if (c[at] == NWF_PFX_IN_TEMP)
        c[at] = NWF_PFX_IN;
    else if (c[at] == NWF_PFX_OUT_TEMP)
        c[at] = NWF_PFX_OUT;
    return c;
}

static char *
lineKey(int layer, const char *table, const char *line)
{
    return g_strdup_printf("%d\n%s\n%s", layer, table, line);
}

/* The rules of @fw that carry an origin, by the line *-save prints for
 * them: "LAYER\nTABLE\n-A CHAIN ..." -> origin (the first, when two
 * filter rules make the same line). */
static GHashTable *
originsByLine(virFirewall *fw)
{
    GHashTable *by = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (gsize g = 0; g < virFirewallGetGroupCount(fw); g++) {
        GPtrArray *action = virFirewallGetGroup(fw, g)->action;
        for (guint i = 0; i < action->len; i++) {
            virFirewallRule *rule = g_ptr_array_index(action, i);
            const virFirewallRuleOrigin *o = virFirewallRuleGetOrigin(fw, rule);
            const char *const *a = virFirewallRuleGetArgs(rule);
            const char *table = "filter";
            g_autofree char *chain = NULL;
            g_auto(GStrv) tokens = NULL;
            g_autoptr(GString) line = NULL;

            if (!o)
                continue;
            if (a[0] && g_str_equal(a[0], "-t") && a[1]) {
                table = a[1];
                a += 2;
            }
            if (!a[0] || !a[1] || !(g_str_equal(a[0], "-A") || g_str_equal(a[0], "--append")))
                continue;
            chain = finalChain(a[1]);
            tokens = vfNormalizeRule(rule->layer, a + 2);
            line = g_string_new(NULL);
            g_string_append_printf(line, "-A %s ", chain);
            vfSaveFormatRule(line, rule->layer, (const char *const *)tokens);
            g_hash_table_insert(by, lineKey(rule->layer, table, line->str), (gpointer)o);
        }
    }
    return by;
}

/* ---- the kernel, with counters ---- */

static void
queueFree(gpointer q)
{
    g_queue_free(q);
}

/* The kernel's tables (*-save -c, read once); @counters: lineKey() -> a
 * queue of vfSaveCounted*, in the order *-save printed them. */
static vfKernelState *
readKernel(vfCli *cli, GPtrArray *counted, GHashTable *counters, GError **error)
{
    char *save[VIR_FIREWALL_LAYER_LAST] = { NULL };

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        guint from = counted->len;
        if (!(save[l] = vfSnapshotReadCounted(cli->runner, l, counted, error))) {
            for (int k = 0; k < l; k++)
                g_free(save[k]);
            return NULL;
        }
        for (guint i = from; i < counted->len; i++) {
            vfSaveCounted *c = g_ptr_array_index(counted, i);
            g_autofree char *key = lineKey(l, c->table ? c->table : "", c->line);
            GQueue *q = g_hash_table_lookup(counters, key);
            if (!q) {
                q = g_queue_new();
                g_hash_table_insert(counters, g_steal_pointer(&key), q);
            }
            g_queue_push_tail(q, c);
        }
    }
    return vfKernelStateNewFromText(save);
}

/* ---- one interface ---- */

static void
errorFree(gpointer e)
{
    if (e)
        g_error_free(e);
}

static void
countersOf(GHashTable *counters, const vfVerifyItem *it, const char *line, vfShowRule *r)
{
    g_autofree char *key = lineKey(it->layer, it->table, line);
    GQueue *q = g_hash_table_lookup(counters, key);
    vfSaveCounted *c = q ? g_queue_pop_head(q) : NULL;

    r->packets = c ? c->packets : -1;
    r->bytes = c ? c->bytes : -1;
}

/* A unit's last line keeps the text's final line break (verify-diff.c
 * cuts lines only where another starts). */
static char *
lineOf(const char *text)
{
    gsize n = text ? strlen(text) : 0;

    if (!text)
        return NULL;
    if (n && text[n - 1] == '\n')
        n--;
    return g_strndup(text, n);
}

/* The chains and rules of @s from verify's comparison, each kernel rule
 * with its counters, each desired one with its origin. */
static void
buildChains(vfShowIface *s, GPtrArray *items, GHashTable *origins, GHashTable *counters)
{
    vfShowChain *cur = NULL;

    s->chains = g_ptr_array_new_with_free_func((GDestroyNotify)showChainFree);
    for (guint i = 0; i < items->len; i++) {
        vfVerifyItem *it = g_ptr_array_index(items, i);
        vfShowRule *r;
        const char *desired;
        g_autofree char *okey = NULL;

        if (!it->rule) {
            cur = g_new0(vfShowChain, 1);
            cur->layer = it->layer;
            cur->table = g_strdup(it->table);
            cur->chain = g_strdup(it->chain);
            cur->status = it->kind;
            cur->rules = g_ptr_array_new_with_free_func((GDestroyNotify)showRuleFree);
            g_ptr_array_add(s->chains, cur);
            if (it->kind != VF_VERIFY_SAME)
                s->count[it->kind]++;   /* a chain missing or extra: drift, as for verify */
            continue;
        }
        if (!cur || cur->layer != it->layer || !g_str_equal(cur->table, it->table) ||
            !g_str_equal(cur->chain, it->chain))
            continue;   /* vfVerifyCompareAll names each chain first */
        r = g_new0(vfShowRule, 1);
        r->status = it->kind;
        r->packets = r->bytes = -1;
        if (it->kind == VF_VERIFY_CHANGED) {
            r->rule = lineOf(it->kernel);
            r->desired = lineOf(it->rule);
        } else {
            r->rule = lineOf(it->rule);
        }
        if (it->kind != VF_VERIFY_MISSING)
            countersOf(counters, it, r->rule, r);
        desired = it->kind == VF_VERIFY_EXTRA ? NULL
                : it->kind == VF_VERIFY_CHANGED ? r->desired : r->rule;
        if (desired) {
            okey = lineKey(it->layer, it->table, desired);
            r->origin = g_hash_table_lookup(origins, okey);
        }
        s->count[it->kind]++;
        g_ptr_array_add(cur->rules, r);
    }
}

/* FALSE: the batch failed (@error); a unit that cannot be shown has
 * s->failed set. */
static gboolean
showIface(vfCli *cli, vfShowIface *s, vfKernelState *ks, GHashTable *counters,
          GError **error)
{
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    g_autoptr(GPtrArray) errs = g_ptr_array_new_with_free_func(errorFree);
    g_autoptr(GHashTable) origins = originsByLine(g_ptr_array_index(s->unit->programs, 0));
    g_autoptr(vfKernelState) sim = NULL;
    g_autoptr(GPtrArray) items = NULL;
    g_autofree char *want = NULL, *have = NULL;
    GError *e;

    g_ptr_array_add(one, s->unit);
    g_ptr_array_add(errs, NULL);
    if (!(sim = vfVerifySimulate(one, ks, errs, error))) {
        if (error && *error)
            return FALSE;
        s->failed = g_strdup("cannot be shown without applying it (the simulation cannot "
                             "tell its rules exactly: a host name or an ipset only the "
                             "kernel can judge)");
        return TRUE;
    }
    if ((e = g_ptr_array_index(errs, 0))) {
        s->failed = g_strdup_printf("its program fails: %s", e->message);
        return TRUE;
    }
    vfCliIndexKernel(one, sim);
    want = vfKernelLinesInterface(sim, s->unit->ifname);
    have = vfKernelLinesInterface(ks, s->unit->ifname);
    items = vfVerifyCompareAll(want, have);
    buildChains(s, items, origins, counters);
    return TRUE;
}

int
vfCmdShow(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autoptr(GPtrArray) bindings = g_ptr_array_new();
    g_autoptr(GPtrArray) ifaces = g_ptr_array_new_with_free_func((GDestroyNotify)vfShowIfaceFree);
    g_autoptr(GPtrArray) units = g_ptr_array_new();
    g_autoptr(GPtrArray) counted = g_ptr_array_new_with_free_func((GDestroyNotify)vfSaveCountedFree);
    g_autoptr(GHashTable) counters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, queueFree);
    g_autoptr(vfKernelState) ks = NULL;
    g_autoptr(GError) err = NULL;
    guint drift = 0;
    int ret, built = VF_EXIT_OK;

    if (!vfCliParse(cli, "show", "VM|UUID|IFACE...",
                    "Shows a VM's interfaces (by VM name or UUID, as the filter bindings\n"
                    "name them) or an interface: its filter tree and parameters, and its\n"
                    "kernel rules chain by chain with packet and byte counters, each traced\n"
                    "to the filter file, line and priority that produce it, drift marked as\n"
                    "verify marks it (missing, changed, extra); exit 3 if any. Changes nothing.",
                    &argc, &argv))
        return VF_EXIT_USAGE;
    if (cli->target_opts.dry_run) {
        fprintf(stderr, "virt-firewall show: --dry-run: show changes nothing and must read "
                "the kernel; run it without --dry-run\n");
        return VF_EXIT_USAGE;
    }
    if (argc < 2) {
        fprintf(stderr, "virt-firewall show: expected a VM name, a VM UUID or an interface\n");
        return VF_EXIT_USAGE;
    }
    if ((ret = vfCliOpen(cli, TRUE)))
        return ret;
    if ((ret = resolveArgs(cli, argv + 1, bindings)))
        return ret;
    keepFailuresOf(cli, bindings);

    for (guint i = 0; i < bindings->len; i++) {
        vfShowIface *s = g_new0(vfShowIface, 1);
        g_autoptr(GError) e = NULL;

        s->binding = g_ptr_array_index(bindings, i);
        g_ptr_array_add(ifaces, s);
        if (!(s->unit = vfCliBindingUnitFull(cli, s->binding, TRUE, &e))) {
            s->failed = g_strdup(e->message);
            continue;
        }
        g_ptr_array_add(units, s->unit);
    }
    vfCliPhase(cli, "build");
    if (!(ks = readKernel(cli, counted, counters, &err))) {
        fprintf(stderr, "virt-firewall show: %s\n", err->message);
        return VF_EXIT_BATCH;
    }
    vfCliIndexKernel(units, ks);
    vfCliPhase(cli, "read-kernel");

    for (guint i = 0; i < ifaces->len; i++) {
        vfShowIface *s = g_ptr_array_index(ifaces, i);
        g_autofree char *unit = g_strdup_printf("interface/%s", s->binding->portdev);

        if (s->unit && !showIface(cli, s, ks, counters, &err)) {
            fprintf(stderr, "virt-firewall show: %s\n", err->message);
            return VF_EXIT_BATCH;
        }
        if (s->failed) {
            vfCliFail(cli, unit, s->failed);
            built = VF_EXIT_FAILED;
            continue;
        }
        drift += s->count[VF_VERIFY_MISSING] + s->count[VF_VERIFY_CHANGED] +
                 s->count[VF_VERIFY_EXTRA] > 0;
    }
    vfCliPhase(cli, "compare");
    if (cli->target_opts.json)
        vfShowPrintJson(cli, ifaces, drift);
    else
        vfShowPrintText(cli, ifaces);
    vfCliReportFailures(cli, "virt-firewall show: failed");
    if (drift)
        return VF_EXIT_DRIFT;
    return vfCliExitCode(cli, built);
}
