/*
 * table.c: the in-memory tables the simulator works on
 *
 * Tables and chains: made, copied, looked up, renamed, printed as *-save
 * prints them. A chain's rules are table-rules.c's.
 */
#include "table-priv.h"
#include "command.h"
#include "savefmt.h"

#include <string.h>

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

/* The policies the kernel prints, shared: 9000 chains at N=1000 each had
 * their own "ACCEPT", allocated twice per run (snapshot, simulation). */
static const char *const policies[] = { "ACCEPT", "DROP", "RETURN", "CONTINUE", "QUEUE" };

static const char *
policyDup(const char *policy)
{
    for (gsize i = 0; policy && i < G_N_ELEMENTS(policies); i++) {
        if (g_str_equal(policy, policies[i]))
            return policies[i];
    }
    return g_strdup(policy);
}

static void
policyFree(const char *policy)
{
    for (gsize i = 0; i < G_N_ELEMENTS(policies); i++) {
        if (policy == policies[i])
            return;
    }
    g_free((char *)policy);
}

static void
chainFree(vfChain *chain)
{
    if (chain->name != chain->nameBuf)
        g_free(chain->name);
    policyFree(chain->policy);
    if (chain->parsed)
        g_ptr_array_unref(chain->parsed);
    if (chain->ruleKeys)
        g_hash_table_unref(chain->ruleKeys);
    g_free(chain);
}

/* A change of @table's chains (of @chain, if given). */
void
vfTableChanged(vfTable *table, vfChain *chain)
{
    table->serial++;
    if (chain)
        chain->pristine = FALSE;
}

static void
tableFree(vfTable *table)
{
    g_free(table->name);
    g_hash_table_unref(table->gone);
    g_hash_table_unref(table->byName);
    g_hash_table_unref(table->refs);
    if (table->lineRefs)
        g_hash_table_unref(table->lineRefs);
    g_ptr_array_unref(table->chains);
    g_ptr_array_unref(table->sources);
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
tableNew(virFirewallLayer layer, const char *name)
{
    static guint64 lastId;
    vfTable *table = g_new0(vfTable, 1);

    table->id = __atomic_add_fetch(&lastId, 1, __ATOMIC_RELAXED);
    table->layer = layer;
    table->gone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    table->name = g_strdup(name);
    table->chains = g_ptr_array_new_with_free_func((GDestroyNotify)chainFree);
    table->names = g_string_chunk_new(256);
    table->byName = g_hash_table_new(g_str_hash, g_str_equal);
    table->refs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)g_hash_table_unref);
    table->sources = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    return table;
}

vfChain *
vfTableAddChain(vfTable *table, const char *name, gboolean builtin,
                const char *policy)
{
    gsize len = strlen(name) + 1;
    vfChain *chain = g_malloc0(sizeof(vfChain) + len);

    chain->name = memcpy(chain->nameBuf, name, len);
    chain->builtin = builtin;
    chain->policy = policyDup(policy);
    g_ptr_array_add(table->chains, chain);
    g_hash_table_insert(table->byName, chain->name, chain);
    vfTableChanged(table, NULL);
    return chain;
}

vfTableSet *
vfTableSetCopy(const vfTableSet *set)
{
    vfTableSet *copy = vfTableSetNew(set->layer);

    copy->inexact = set->inexact;

    for (guint i = 0; i < set->tables->len; i++) {
        const vfTable *t = g_ptr_array_index(set->tables, i);
        vfTable *nt = tableNew(set->layer, t->name);
        for (guint j = 0; j < t->sources->len; j++)
            g_ptr_array_add(nt->sources, g_bytes_ref(g_ptr_array_index(t->sources, j)));
        for (guint j = 0; j < t->chains->len; j++) {
            const vfChain *c = g_ptr_array_index(t->chains, j);
            vfChain *nc = vfTableAddChain(nt, c->name, c->builtin, c->policy);
            nc->fromSave = c->fromSave;
            nc->lines = c->lines;   /* the copy shares the text */
            nc->linesLen = c->linesLen;
            for (guint k = 0; c->parsed && k < c->parsed->len; k++)
                vfTableAppendRule(nt, nc, vfRulePack(g_ptr_array_index(c->parsed, k)));
            nc->pristine = TRUE;
        }
        nt->copiedFrom = t->id;
        nt->copiedSerial = t->serial;
        nt->noLoops = t->noLoops;   /* the same jumps */
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
    table = tableNew(set->layer, name);
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
    g_hash_table_add(table->gone, g_strdup(name));
    g_hash_table_remove(table->byName, name);
    g_ptr_array_remove(table->chains, c);
    vfTableChanged(table, NULL);
}

/* The tools read these after -j as verdicts, never as chains: indexing
 * the thousands of rules that ACCEPT or DROP was a quarter of the tables'
 * memory at N=1000. */
gboolean
vfIsVerdict(const char *target)
{
    static const char *const verdicts[] = { "ACCEPT", "DROP", "RETURN", "CONTINUE",
                                            "QUEUE", NULL };
    return target && g_strv_contains(verdicts, target);
}

/* The chain @rule jumps or goes to, if any. */
const char *
vfRuleChainTarget(GStrv rule)
{
    const char *target = vfSpecTarget((const char *const *)rule);
    return vfIsVerdict(target) ? NULL : target;
}

/* @chain, the rule's, is the value: a rename marks the referrers' chains
 * changed without looking at every chain of the table */
void
vfTableRefAdd(vfTable *table, vfChain *chain, GStrv rule)
{
    const char *target = vfRuleChainTarget(rule);
    GHashTable *set;

    if (!target)
        return;
    if (!(set = g_hash_table_lookup(table->refs, target))) {
        set = g_hash_table_new(NULL, NULL);
        g_hash_table_insert(table->refs, g_strdup(target), set);
    }
    g_hash_table_insert(set, rule, chain);
}

void
vfTableRefRemove(vfTable *table, GStrv rule)
{
    const char *target = vfRuleChainTarget(rule);
    GHashTable *set;

    if (target && (set = g_hash_table_lookup(table->refs, target)))
        g_hash_table_remove(set, rule);
}

guint
vfTableCountReferences(vfTable *table, const char *name)
{
    GHashTable *set = g_hash_table_lookup(table->refs, name);
    vfChain *chain = vfTableGetChain(table, name);
    guint n = set ? g_hash_table_size(set) : 0;

    if (chain && chain->fromSave && (set = g_hash_table_lookup(vfTableLineRefs(table), name))) {
        GHashTableIter it;
        gpointer count;
        g_hash_table_iter_init(&it, set);
        while (g_hash_table_iter_next(&it, NULL, &count))
            n += GPOINTER_TO_UINT(count);
    }
    return n;
}

void
vfTableRenameChain(vfTable *table, const char *fromName, const char *to)
{
    g_autofree char *from = g_strdup(fromName);   /* may be chain->name */
    vfChain *chain = vfTableGetChain(table, from);
    GHashTable *set = NULL;
    gpointer oldKey;

    /* unparsed lines carry the old name, in the chain and in its
     * referrers: parse them so the references below follow */
    vfChainRules(table, chain);
    if (chain->fromSave && (set = g_hash_table_lookup(vfTableLineRefs(table), from))) {
        g_autoptr(GList) referrers = g_hash_table_get_keys(set);   /* parsing edits set */
        for (GList *l = referrers; l; l = l->next)
            vfChainRules(table, l->data);
        set = NULL;
    }
    chain->fromSave = FALSE;
    vfTableChanged(table, chain);
    g_hash_table_add(table->gone, g_strdup(from));

    g_hash_table_remove(table->byName, from);
    if (chain->name != chain->nameBuf)
        g_free(chain->name);
    chain->name = g_strdup(to);
    g_hash_table_insert(table->byName, chain->name, chain);

    /* the kernel keeps references by handle: they follow the rename */
    if (g_hash_table_steal_extended(table->refs, from, &oldKey, (gpointer *)&set)) {
        GHashTableIter it;
        gpointer key, value;
        g_free(oldKey);
        g_hash_table_iter_init(&it, set);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            GStrv spec = key;
            vfChain *referrer = value;
            for (gsize k = 0; spec[k] && spec[k + 1]; k++) {
                if ((g_str_equal(spec[k], "-j") || g_str_equal(spec[k], "-g")) &&
                    g_str_equal(spec[k + 1], from)) {
                    /* the packed block keeps the old bytes; the table
                     * owns the new name; the referrer's index follows */
                    vfChainIndexRemove(referrer, (const char *const *)spec);
                    spec[k + 1] = g_string_chunk_insert_const(table->names, to);
                    vfChainIndexAdd(referrer, (const char *const *)spec);
                    break;
                }
            }
            /* its rule now names @to (a scan of every chain here was
             * 0.2 s of a restart beside 1000 bindings: 9000 chains, a
             * rename per chain) */
            referrer->pristine = FALSE;
        }
        g_hash_table_insert(table->refs, g_strdup(to), set);
    }
}

void
vfTableSetPolicy(vfTable *table, vfChain *chain, const char *policy)
{
    const char *old = chain->policy;   /* @policy may be it */

    chain->policy = policyDup(policy);
    policyFree(old);
    vfTableChanged(table, chain);
}

gboolean
vfTableCopiedFrom(const vfTable *table, const vfTable *source)
{
    return table->copiedFrom && table->copiedFrom == source->id &&
           table->copiedSerial == source->serial;
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
            if (c->lines) {
                /* as *-save printed them, under the same name; then the
                 * rules appended since */
                g_string_append_len(out, c->lines, c->linesLen);
                if (c->lines[c->linesLen - 1] != '\n')
                    g_string_append_c(out, '\n');
            }
            for (guint k = 0; c->parsed && k < c->parsed->len; k++) {
                g_string_append_printf(out, "-A %s ", c->name);
                vfSaveFormatRule(out, set->layer, g_ptr_array_index(c->parsed, k));
                g_string_append_c(out, '\n');
            }
        }
        if (!eb)
            g_string_append(out, "COMMIT\n");
    }
    return g_string_free(out, FALSE);
}
