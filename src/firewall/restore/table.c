/*
 * table.c: the in-memory tables the simulator works on
 */
#include "table.h"
#include "command.h"
#include "syntax.h"

typedef struct {
    const char *table;
    const char *chains[6];
} vfBuiltinTable;

static const vfBuiltinTable ipTables[] = {
    { "filter", { "INPUT", "FORWARD", "OUTPUT" } },
    { "nat", { "PREROUTING", "INPUT", "OUTPUT", "POSTROUTING" } },
    { "mangle", { "PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING" } },
    { "raw", { "PREROUTING", "OUTPUT" } },
    { "security", { "INPUT", "FORWARD", "OUTPUT" } },
    { NULL, { NULL } },
};

static const vfBuiltinTable ebTables[] = {
    { "filter", { "INPUT", "FORWARD", "OUTPUT" } },
    { "nat", { "PREROUTING", "OUTPUT", "POSTROUTING" } },
    { NULL, { NULL } },
};

static const vfBuiltinTable *
builtinTable(virFirewallLayer layer, const char *table)
{
    const vfBuiltinTable *list =
        layer == VIR_FIREWALL_LAYER_ETHERNET ? ebTables : ipTables;

    for (; list->table; list++) {
        if (g_str_equal(list->table, table))
            return list;
    }
    return NULL;
}

gboolean
vfTableNameValid(virFirewallLayer layer, const char *table)
{
    return builtinTable(layer, table) != NULL;
}

gboolean
vfChainIsBuiltin(virFirewallLayer layer, const char *table, const char *chain)
{
    const vfBuiltinTable *bt = builtinTable(layer, table);

    for (gsize i = 0; bt && i < G_N_ELEMENTS(bt->chains) && bt->chains[i]; i++) {
        if (g_str_equal(bt->chains[i], chain))
            return TRUE;
    }
    return FALSE;
}

static void
chainFree(vfChain *chain)
{
    g_free(chain->name);
    g_free(chain->policy);
    g_ptr_array_unref(chain->rules);
    g_free(chain);
}

static void
tableFree(vfTable *table)
{
    g_free(table->name);
    g_ptr_array_unref(table->chains);
    g_free(table);
}

vfTableSet *
vfTableSetNew(virFirewallLayer layer)
{
    vfTableSet *set = g_new0(vfTableSet, 1);

    set->layer = layer;
    set->tables = g_ptr_array_new_with_free_func((GDestroyNotify)tableFree);
    return set;
}

void
vfTableSetFree(vfTableSet *set)
{
    if (!set)
        return;
    g_ptr_array_unref(set->tables);
    g_free(set);
}

static vfTable *
tableNew(const char *name)
{
    vfTable *table = g_new0(vfTable, 1);

    table->name = g_strdup(name);
    table->chains = g_ptr_array_new_with_free_func((GDestroyNotify)chainFree);
    return table;
}

vfChain *
vfTableAddChain(vfTable *table, const char *name, gboolean builtin,
                const char *policy)
{
    vfChain *chain = g_new0(vfChain, 1);

    chain->name = g_strdup(name);
    chain->builtin = builtin;
    chain->policy = g_strdup(policy);
    chain->rules = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    g_ptr_array_add(table->chains, chain);
    return chain;
}

vfTableSet *
vfTableSetCopy(const vfTableSet *set)
{
    vfTableSet *copy = vfTableSetNew(set->layer);

    for (guint i = 0; i < set->tables->len; i++) {
        const vfTable *t = g_ptr_array_index(set->tables, i);
        vfTable *nt = tableNew(t->name);
        for (guint j = 0; j < t->chains->len; j++) {
            const vfChain *c = g_ptr_array_index(t->chains, j);
            vfChain *nc = vfTableAddChain(nt, c->name, c->builtin, c->policy);
            for (guint k = 0; k < c->rules->len; k++)
                g_ptr_array_add(nc->rules,
                                g_strdupv(g_ptr_array_index(c->rules, k)));
        }
        g_ptr_array_add(copy->tables, nt);
    }
    return copy;
}

vfTable *
vfTableSetGet(const vfTableSet *set, const char *name)
{
    for (guint i = 0; i < set->tables->len; i++) {
        vfTable *t = g_ptr_array_index(set->tables, i);
        if (g_str_equal(t->name, name))
            return t;
    }
    return NULL;
}

vfTable *
vfTableSetEnsure(vfTableSet *set, const char *name)
{
    const vfBuiltinTable *bt;
    vfTable *table;

    if ((table = vfTableSetGet(set, name)))
        return table;
    if (!(bt = builtinTable(set->layer, name)))
        return NULL;
    table = tableNew(name);
    for (gsize i = 0; i < G_N_ELEMENTS(bt->chains) && bt->chains[i]; i++)
        vfTableAddChain(table, bt->chains[i], TRUE, "ACCEPT");
    g_ptr_array_add(set->tables, table);
    return table;
}

gssize
vfTableChainIndex(const vfTable *table, const char *name)
{
    for (guint i = 0; i < table->chains->len; i++) {
        vfChain *c = g_ptr_array_index(table->chains, i);
        if (g_str_equal(c->name, name))
            return i;
    }
    return -1;
}

vfChain *
vfTableGetChain(const vfTable *table, const char *name)
{
    gssize i;

    if (!table || (i = vfTableChainIndex(table, name)) < 0)
        return NULL;
    return g_ptr_array_index(table->chains, i);
}

void
vfTableRemoveChain(vfTable *table, const char *name)
{
    gssize i = vfTableChainIndex(table, name);

    if (i >= 0)
        g_ptr_array_remove_index(table->chains, i);
}

guint
vfTableCountReferences(const vfTable *table, const char *name)
{
    guint refs = 0;

    for (guint i = 0; i < table->chains->len; i++) {
        vfChain *c = g_ptr_array_index(table->chains, i);
        for (guint j = 0; j < c->rules->len; j++) {
            const char *target = vfSpecTarget(g_ptr_array_index(c->rules, j));
            if (target && g_str_equal(target, name))
                refs++;
        }
    }
    return refs;
}

void
vfTableRenameChain(vfTable *table, const char *from, const char *to)
{
    vfChain *chain = vfTableGetChain(table, from);

    g_free(chain->name);
    chain->name = g_strdup(to);
    /* the kernel keeps references by handle: they follow the rename */
    for (guint i = 0; i < table->chains->len; i++) {
        vfChain *c = g_ptr_array_index(table->chains, i);
        for (guint j = 0; j < c->rules->len; j++) {
            GStrv spec = g_ptr_array_index(c->rules, j);
            for (gsize k = 0; spec[k] && spec[k + 1]; k++) {
                if ((g_str_equal(spec[k], "-j") || g_str_equal(spec[k], "-g")) &&
                    g_str_equal(spec[k + 1], from)) {
                    g_free(spec[k + 1]);
                    spec[k + 1] = g_strdup(to);
                }
            }
        }
    }
}

void
vfRuleFormat(GString *out, const char *const *tokens)
{
    for (gsize i = 0; tokens[i]; i++) {
        if (i)
            g_string_append_c(out, ' ');
        vfSyntaxAppendWord(out, tokens[i]);
    }
}

static gint
chainCompare(gconstpointer a, gconstpointer b, gpointer unused)
{
    const vfChain *ca = *(vfChain *const *)a, *cb = *(vfChain *const *)b;

    if (ca->builtin != cb->builtin)
        return ca->builtin ? -1 : 1;
    if (ca->builtin)
        return 0;
    return strcmp(ca->name, cb->name);
}

char *
vfTableSetFormat(const vfTableSet *set)
{
    GString *out = g_string_new(NULL);
    gboolean eb = set->layer == VIR_FIREWALL_LAYER_ETHERNET;

    for (guint i = 0; i < set->tables->len; i++) {
        vfTable *t = g_ptr_array_index(set->tables, i);
        /* *-save lists builtins in kernel order, then user chains by name */
        g_autoptr(GPtrArray) chains = g_ptr_array_copy(t->chains, NULL, NULL);
        g_ptr_array_sort_with_data(chains, chainCompare, NULL);

        g_string_append_printf(out, "*%s\n", t->name);
        for (guint j = 0; j < chains->len; j++) {
            vfChain *c = g_ptr_array_index(chains, j);
            if (eb)
                g_string_append_printf(out, ":%s %s\n", c->name,
                                       c->policy ? c->policy : "ACCEPT");
            else
                g_string_append_printf(out, ":%s %s [0:0]\n", c->name,
                                       c->builtin && c->policy ? c->policy : "-");
        }
        for (guint j = 0; j < chains->len; j++) {
            vfChain *c = g_ptr_array_index(chains, j);
            for (guint k = 0; k < c->rules->len; k++) {
                g_string_append_printf(out, "-A %s ", c->name);
                vfRuleFormat(out, g_ptr_array_index(c->rules, k));
                g_string_append_c(out, '\n');
            }
        }
        if (!eb)
            g_string_append(out, "COMMIT\n");
    }
    return g_string_free(out, FALSE);
}
