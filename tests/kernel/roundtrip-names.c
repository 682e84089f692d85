/*
 * roundtrip-names.c: names with quotes, backslashes, blanks and line
 * breaks, as chains, interfaces and ebtables log prefixes, against the
 * real tools (iptables and ebtables 1.8.9), each layer in two private
 * namespaces:
 *
 *  - E: every name made with the tools' own commands (exec's way), one
 *    process each;
 *  - R: the same commands rendered as restore input (vfRenderScript), one
 *    restore per name; a name the tool refuses with one it must refuse
 *    with the other.
 *
 * Then: *-save of E and R are the same; the snapshot reads it exactly
 * (every chain under its name, every rule's tokens the words given, or an
 * opaque rule where a blank in a name leaves no reading) and prints it
 * back as *-save did; and the restore backend's simulated listing (a query
 * "-L" / "-S", what libvirt's ebtables rename parses) is what the exec
 * backend gets from the real tool.
 */
#include "roundtrip-names.h"
#include "backend.h"
#include "firewall.h"
#include "netns.h"
#include "runner.h"
#include "restore/render.h"
#include "restore/savefmt.h"
#include "restore/simulate.h"
#include "restore/snapshot.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const names[] = {
    "v\"a", "v\\b", "v'c", "\"", "\\", "'", "a\"b\"", "x'y\"z\\", "n\xc3\xa9",
    "\"q", "tab\tx", "a b", "nl\nx", "#h", "COMMIT", "*nat", "x:y.z/w",
};

typedef struct {
    virFirewallLayer layer;
    const char *tool, *lock, *save, *restore[5], *list;
} vfTool;

static const vfTool tools[] = {
    { VIR_FIREWALL_LAYER_IPV4, "iptables", "-w", "iptables-save",
      { "iptables-restore", "-w", "5", "--noflush", NULL }, "-S" },
    { VIR_FIREWALL_LAYER_ETHERNET, "ebtables", "--concurrent", "ebtables-save",
      { "ebtables-restore", "--noflush", NULL }, "-L" },
};

enum { MADE_CHAIN = 1, MADE_IFACE = 2, MADE_JUMP = 4, MADE_RULE = 8 };

/* The commands for @name (after "-t filter"), in the order of MADE_*. */
static GPtrArray *
commandsFor(const vfTool *t, const char *name)
{
    GPtrArray *cmds = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    const char *mk[] = { "-N", name, NULL };
    const char *iface[] = { "-A", "INPUT", "-i", name, "-j", "ACCEPT", NULL };
    const char *jump[] = { "-A", "INPUT", "-j", name, NULL };
    const char *own[] = { "-A", name, "-j", "RETURN", NULL };
    const char *log[] = { "-A", name, "--log-level", "notice", "--log-prefix", name,
                          "-j", "ACCEPT", NULL };

    g_ptr_array_add(cmds, g_strdupv((char **)mk));
    g_ptr_array_add(cmds, g_strdupv((char **)iface));
    g_ptr_array_add(cmds, g_strdupv((char **)jump));
    /* ebtables refuses a '"' in a prefix, and a prefix over 29 bytes */
    if (t->layer == VIR_FIREWALL_LAYER_ETHERNET && !strchr(name, '"'))
        g_ptr_array_add(cmds, g_strdupv((char **)log));
    else
        g_ptr_array_add(cmds, g_strdupv((char **)own));
    return cmds;
}

static int
run(vfRunner *runner, const char *const *argv, const char *input, char **out,
    char **err)
{
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) error = NULL;

    if (!vfRunnerRun(runner, argv, input, &res, &error)) {
        if (err)
            *err = g_strdup(error->message);
        return -1;
    }
    if (out)
        *out = g_steal_pointer(&res.out);
    if (err)
        *err = g_steal_pointer(&res.err);
    return res.status;
}

/* exec's way: one process per command; those that succeeded (MADE_*) */
static guint
execName(vfRunner *runner, const vfTool *t, GPtrArray *cmds)
{
    guint made = 0;

    for (guint i = 0; i < cmds->len; i++) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        GStrv cmd = g_ptr_array_index(cmds, i);
        g_autofree char *err = NULL;

        g_ptr_array_add(argv, (gpointer)t->tool);
        g_ptr_array_add(argv, (gpointer)t->lock);
        g_ptr_array_add(argv, (gpointer)"-t");
        g_ptr_array_add(argv, (gpointer)"filter");
        for (gsize k = 0; cmd[k]; k++)
            g_ptr_array_add(argv, cmd[k]);
        g_ptr_array_add(argv, NULL);
        if (run(runner, (const char *const *)argv->pdata, NULL, NULL, &err) == 0)
            made |= 1u << i;
    }
    return made;
}

/* restore's way: each command an input of its own; those the tool took */
static guint
restoreName(vfRunner *runner, const vfTool *t, GPtrArray *cmds)
{
    guint made = 0;

    for (guint i = 0; i < cmds->len; i++) {
        g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(g_free);
        vfPlanScript plan = { .layer = t->layer, .table = (char *)"filter" };
        g_autofree char *text = NULL;
        vfLogEntry *e = g_new0(vfLogEntry, 1);

        e->layer = t->layer;
        e->words = g_ptr_array_index(cmds, i);
        g_ptr_array_add(entries, e);
        plan.entries = entries;
        text = vfRenderScript(&plan, NULL);
        if (run(runner, t->restore, text, NULL, NULL) == 0)
            made |= 1u << i;
    }
    return made;
}

static char *
saveOf(vfRunner *runner, const vfTool *t)
{
    const char *argv[] = { t->save, NULL };
    g_autofree char *out = NULL;
    GString *kept = g_string_new(NULL);

    run(runner, argv, NULL, &out, NULL);
    for (const char *p = out ? out : ""; *p;) {
        const char *nl = strchr(p, '\n');
        gsize n = nl ? (gsize)(nl - p + 1) : strlen(p);
        if (*p != '#')
            g_string_append_len(kept, p, n);
        p += n;
    }
    return g_string_free(kept, FALSE);
}

static int
keepLines(virFirewall *fw G_GNUC_UNUSED, virFirewallLayer layer G_GNUC_UNUSED,
          const char *const *lines, void *opaque)
{
    g_autofree char *joined = g_strjoinv("\n", (char **)lines);

    g_string_append(opaque, joined);
    return 0;
}

/* The listing a program's query gets from @kind in @fd's namespace. */
static char *
listing(int fd, vfBackendKind kind, const vfTool *t)
{
    g_autoptr(vfRunner) runner = vfRunnerNewSubprocess(fd);
    g_autoptr(vfBackend) backend = vfBackendNew(&VF_BACKEND_OPTIONS(kind, runner));
    g_autoptr(virFirewall) fw = virFirewallNew("listing");
    g_autoptr(GError) err = NULL;
    GString *out = g_string_new(NULL);

    virFirewallStartTransaction(fw, 0);
    virFirewallAddRuleFull(fw, t->layer, false, keepLines, out, "-t", "filter",
                           t->list, NULL);
    if (!vfBackendApplyOne(backend, fw, NULL, &err))
        g_string_append_printf(out, "(failed: %s)", err->message);
    return g_string_free(out, FALSE);
}

static void
checkLayer(const vfTool *t, GString *failures, gboolean verbose)
{
    g_autoptr(GError) err = NULL;
    int fdE = vfNetnsCreatePrivate(&err), fdR = vfNetnsCreatePrivate(&err);
    g_autoptr(vfRunner) runE = NULL, runR = NULL;
    g_autoptr(vfTableSet) set = vfTableSetNew(t->layer);
    g_autofree char *saveE = NULL, *saveR = NULL, *printed = NULL;
    g_autofree char *listExec = NULL, *listRestore = NULL;
    guint made[G_N_ELEMENTS(names)] = { 0 }, complete = 0;
    vfTable *table;

    if (fdE < 0 || fdR < 0 || !vfNetnsIsPrivate(fdE) || !vfNetnsIsPrivate(fdR)) {
        g_string_append_printf(failures, "%s: no private namespaces\n", t->tool);
        return;
    }
    runE = vfRunnerNewSubprocess(fdE);
    runR = vfRunnerNewSubprocess(fdR);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autoptr(GPtrArray) cmds = commandsFor(t, names[i]);
        g_autofree char *shown = g_strescape(names[i], NULL);
        guint e = execName(runE, t, cmds), r;

        made[i] = e;
        complete += e == (1u << cmds->len) - 1;
        if (strpbrk(names[i], "\r\n")) {
            /* no restore input carries a line break: exec only, in R too,
             * so that both namespaces hold the same */
            if (verbose)
                printf("%s '%s': exec made %#x\n", t->tool, shown, e);
            execName(runR, t, cmds);
            continue;
        }
        r = restoreName(runR, t, cmds);
        if (verbose)
            printf("%s '%s': exec made %#x, restore %#x\n", t->tool, shown, e, r);
        if (e != r)
            g_string_append_printf(failures, "%s '%s': exec made %#x, restore %#x\n",
                                   t->tool, shown, e, r);
    }

    saveE = saveOf(runE, t);
    saveR = saveOf(runR, t);
    if (!g_str_equal(saveE, saveR))
        g_string_append_printf(failures, "%s: exec and restore differ:\n%s---\n%s",
                               t->tool, saveE, saveR);

    /* read back exactly */
    vfSnapshotParse(set, saveE, NULL);
    table = vfTableSetGet(set, "filter");
    if (set->inexact || !table) {
        g_string_append_printf(failures, "%s-save not read in full:\n%s", t->tool, saveE);
        return;
    }
    printed = vfTableSetFormat(set);
    if (!g_str_equal(printed, saveE))
        g_string_append_printf(failures, "%s: read and printed:\n%s---\n*-save:\n%s",
                               t->tool, printed, saveE);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        const char *name = names[i];
        const char *iface[] = { "-i", name, "-j", "ACCEPT", NULL };
        const char *jump[] = { "-j", name, NULL };
        g_autofree char *shown = g_strescape(name, NULL);
        vfChain *c = vfTableGetChain(table, name);
        vfChain *input = vfTableGetChain(table, "INPUT");

        if (!c != !(made[i] & MADE_CHAIN)) {
            g_string_append_printf(failures, "%s: chain '%s' %s\n", t->tool, shown,
                                   c ? "read, not made" : "made, not read");
            continue;
        }
        /* "-i a b -j ACCEPT" has no one reading: opaque, kept as it is */
        if ((made[i] & MADE_IFACE) && !strchr(name, ' ') &&
            !vfChainHasRule(table, input, iface))
            g_string_append_printf(failures, "%s: -i '%s' not read\n", t->tool, shown);
        if ((made[i] & MADE_JUMP) && !strchr(name, ' ') &&
            !vfChainHasRule(table, input, jump))
            g_string_append_printf(failures, "%s: -j '%s' not read\n", t->tool, shown);
        if (c && vfChainRules(table, c)->len != !!(made[i] & MADE_RULE))
            g_string_append_printf(failures, "%s: chain '%s' has %u rules\n", t->tool,
                                   shown, vfChainRules(table, c)->len);
    }

    /* what libvirt's queries see: the simulation's listing is the tool's */
    listExec = listing(fdE, VF_BACKEND_EXEC, t);
    listRestore = listing(fdE, VF_BACKEND_RESTORE, t);
    if (!g_str_equal(listExec, listRestore))
        g_string_append_printf(failures, "%s %s: the real tool lists\n%s\n---\n"
                               "the simulation\n%s\n", t->tool, t->list, listExec,
                               listRestore);
    printf("%s: %zu names (%u taken as chain, interface, jump and rule) made by "
           "exec and restore alike, read back and listed as the tool does\n",
           t->tool, G_N_ELEMENTS(names), complete);
    close(fdE);
    close(fdR);
}

void
vfRoundtripNames(GString *failures, gboolean verbose)
{
    for (gsize i = 0; i < G_N_ELEMENTS(tools); i++)
        checkLayer(&tools[i], failures, verbose);
}
