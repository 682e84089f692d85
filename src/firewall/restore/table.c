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
    g_hash_table_unref(table->byName);
    g_hash_table_unref(table->refs);
    g_ptr_array_unref(table->chains);
    g_string_chunk_free(table->names);
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
    table->names = g_string_chunk_new(256);
    table->byName = g_hash_table_new(g_str_hash, g_str_equal);
    table->refs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)g_hash_table_unref);
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
    chain->rules = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(table->chains, chain);
    g_hash_table_insert(table->byName, chain->name, chain);
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
                vfTableInsertRule(nt, nc, k, vfRulePack(g_ptr_array_index(c->rules, k)));
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
    vfChain *c = table ? g_hash_table_lookup(table->byName, name) : NULL;

    if (!c)
        return -1;
    for (guint i = 0; i < table->chains->len; i++) {
        if (g_ptr_array_index(table->chains, i) == c)
            return i;
    }
    return -1;
}

vfChain *
vfTableGetChain(const vfTable *table, const char *name)
{
    return table ? g_hash_table_lookup(table->byName, name) : NULL;
}

void
vfTableRemoveChain(vfTable *table, const char *name)
{
    vfChain *c = vfTableGetChain(table, name);

    if (!c)
        return;
    vfTableFlushChain(table, c);
    g_hash_table_remove(table->byName, name);
    g_ptr_array_remove(table->chains, c);
}

static void
refAdd(vfTable *table, GStrv rule)
{
    const char *target = vfSpecTarget((const char *const *)rule);
    GHashTable *set;

    if (!target)
        return;
    if (!(set = g_hash_table_lookup(table->refs, target))) {
        set = g_hash_table_new(NULL, NULL);
        g_hash_table_insert(table->refs, g_strdup(target), set);
    }
    g_hash_table_add(set, rule);
}

static void
refRemove(vfTable *table, GStrv rule)
{
    const char *target = vfSpecTarget((const char *const *)rule);
    GHashTable *set;

    if (target && (set = g_hash_table_lookup(table->refs, target)))
        g_hash_table_remove(set, rule);
}

GStrv
vfRulePack(const char *const *tokens)
{
    gsize n = 0, bytes = 0;
    char **rule;
    char *p;

    for (; tokens[n]; n++)
        bytes += strlen(tokens[n]) + 1;
    rule = g_malloc(sizeof(char *) * (n + 1) + bytes);
    p = (char *)(rule + n + 1);
    for (gsize i = 0; i < n; i++) {
        gsize len = strlen(tokens[i]) + 1;
        memcpy(p, tokens[i], len);
        rule[i] = p;
        p += len;
    }
    rule[n] = NULL;
    return rule;
}

void
vfTableInsertRule(vfTable *table, vfChain *chain, guint index, GStrv rule)
{
    g_ptr_array_insert(chain->rules, index, rule);
    refAdd(table, rule);
}

GStrv
vfTableStealRule(vfTable *table, vfChain *chain, guint index)
{
    GStrv rule = g_ptr_array_steal_index(chain->rules, index);

    refRemove(table, rule);
    return rule;
}

void
vfTableFlushChain(vfTable *table, vfChain *chain)
{
    for (guint i = 0; i < chain->rules->len; i++)
        refRemove(table, g_ptr_array_index(chain->rules, i));
    g_ptr_array_set_size(chain->rules, 0);
}

guint
vfTableCountReferences(const vfTable *table, const char *name)
{
    GHashTable *set = g_hash_table_lookup(table->refs, name);
    return set ? g_hash_table_size(set) : 0;
}

void
vfTableRenameChain(vfTable *table, const char *from, const char *to)
{
    vfChain *chain = vfTableGetChain(table, from);
    GHashTable *set = NULL;
    gpointer oldKey;

    g_hash_table_remove(table->byName, from);
    g_free(chain->name);
    chain->name = g_strdup(to);
    g_hash_table_insert(table->byName, chain->name, chain);

    /* the kernel keeps references by handle: they follow the rename */
    if (g_hash_table_steal_extended(table->refs, from, &oldKey, (gpointer *)&set)) {
        GHashTableIter it;
        gpointer key;
        g_free(oldKey);
        g_hash_table_iter_init(&it, set);
        while (g_hash_table_iter_next(&it, &key, NULL)) {
            GStrv spec = key;
            for (gsize k = 0; spec[k] && spec[k + 1]; k++) {
                if ((g_str_equal(spec[k], "-j") || g_str_equal(spec[k], "-g")) &&
                    g_str_equal(spec[k + 1], from)) {
                    /* the packed block keeps the old bytes; the table
                     * owns the new name */
                    spec[k + 1] = g_string_chunk_insert_const(table->names, to);
                    break;
                }
            }
        }
        g_hash_table_insert(table->refs, g_strdup(to), set);
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

/* The order *-save prints tables in (the tools' own table lists), not the
 * order they were created in. */
static guint
saveRank(virFirewallLayer layer, const char *name)
{
    static const char *const ip[] = { "mangle", "security", "raw", "filter", "nat", NULL };
    static const char *const eb[] = { "filter", "nat", "broute", NULL };
    const char *const *order = layer == VIR_FIREWALL_LAYER_ETHERNET ? eb : ip;

    for (guint i = 0; order[i]; i++) {
        if (g_str_equal(order[i], name))
            return i;
    }
    return G_MAXUINT;
}

static gint
tableCompare(gconstpointer a, gconstpointer b, gpointer data)
{
    const vfTable *x = *(vfTable *const *)a, *y = *(vfTable *const *)b;
    virFirewallLayer layer = GPOINTER_TO_INT(data);
    guint rx = saveRank(layer, x->name), ry = saveRank(layer, y->name);

    return rx < ry ? -1 : rx > ry ? 1 : 0;
}

char *
vfTableSetFormat(const vfTableSet *set)
{
    GString *out = g_string_new(NULL);
    gboolean eb = set->layer == VIR_FIREWALL_LAYER_ETHERNET;
    g_autoptr(GPtrArray) tables = g_ptr_array_copy(set->tables, NULL, NULL);

    g_ptr_array_set_free_func(tables, NULL);  /* the copy borrows */
    g_ptr_array_sort_with_data(tables, tableCompare, GINT_TO_POINTER(set->layer));
    for (guint i = 0; i < tables->len; i++) {
        vfTable *t = g_ptr_array_index(tables, i);
        /* *-save lists builtins in kernel order, then user chains by name */
        g_autoptr(GPtrArray) chains = g_ptr_array_copy(t->chains, NULL, NULL);
        g_ptr_array_set_free_func(chains, NULL);  /* the copy borrows */
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
