/*
 * table.c: the in-memory tables the simulator works on
 */
#include "table.h"
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
    g_free(chain);
}

/* A change of @table's chains (of @chain, if given). */
static void
changed(vfTable *table, vfChain *chain)
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
    changed(table, NULL);
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
    changed(table, NULL);
}

/* The tools read these after -j as verdicts, never as chains: indexing
 * the thousands of rules that ACCEPT or DROP was a quarter of the tables'
 * memory at N=1000. */
static gboolean
isVerdict(const char *target)
{
    static const char *const verdicts[] = { "ACCEPT", "DROP", "RETURN", "CONTINUE",
                                            "QUEUE", NULL };
    return target && g_strv_contains(verdicts, target);
}

/* The chain @rule jumps or goes to, if any. */
static const char *
chainTarget(GStrv rule)
{
    const char *target = vfSpecTarget((const char *const *)rule);
    return isVerdict(target) ? NULL : target;
}

/* @chain, the rule's, is the value: a rename marks the referrers' chains
 * changed without looking at every chain of the table */
static void
refAdd(vfTable *table, vfChain *chain, GStrv rule)
{
    const char *target = chainTarget(rule);
    GHashTable *set;

    if (!target)
        return;
    if (!(set = g_hash_table_lookup(table->refs, target))) {
        set = g_hash_table_new(NULL, NULL);
        g_hash_table_insert(table->refs, g_strdup(target), set);
    }
    g_hash_table_insert(set, rule, chain);
}

static void
refRemove(vfTable *table, GStrv rule)
{
    const char *target = chainTarget(rule);
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

/* The next word of [*p, end) cut at blanks (a plain rule's, see
 * vfSaveRuleIsPlain): its start, or NULL; *p moves past it. */
static const char *
nextWord(const char **p, const char *end, gsize *len)
{
    const char *s = *p, *w;

    while (s < end && *s == ' ')
        s++;
    if (s == end) {
        *p = s;
        return NULL;
    }
    w = s;
    while (s < end && *s != ' ')
        s++;
    *len = s - w;
    *p = s;
    return w;
}

/* One rule's text (what follows "-A CHAIN ") as a packed rule. Plain
 * rules (nearly all that *-save prints) are cut in place; the rest are
 * read by savefmt.c, and those it cannot read exactly are opaque. */
static GStrv
packLine(virFirewallLayer layer, const char *p, const char *end)
{
    const char *w;
    gsize len, n = 0, bytes = 0;
    char **rule;
    char *out;

    if (!vfSaveRuleIsPlain(layer, p, end)) {
        g_auto(GStrv) words = vfSaveSplitRule(layer, p, end);
        return vfRulePack((const char *const *)words);
    }
    for (const char *q = p; (w = nextWord(&q, end, &len)); n++)
        bytes += len + 1;
    rule = g_malloc(sizeof(char *) * (n + 1) + bytes);
    out = (char *)(rule + n + 1);
    for (gsize i = 0; (w = nextWord(&p, end, &len)); i++) {
        memcpy(out, w, len);
        out[len] = '\0';
        rule[i] = out;
        out += len + 1;
    }
    rule[n] = NULL;
    return rule;
}

/* What the rule text on [p, end) jumps or goes to (as vfSpecTarget),
 * without packing it; NULL for none. */
static char *
lineTarget(virFirewallLayer layer, const char *p, const char *end)
{
    const char *w;
    gboolean next = FALSE;
    gsize len;

    if (!vfSaveRuleIsPlain(layer, p, end)) {
        g_autofree GStrv rule = packLine(layer, p, end);
        return g_strdup(vfSpecTarget((const char *const *)rule));
    }
    while ((w = nextWord(&p, end, &len))) {
        if (next)
            return g_strndup(w, len);
        next = (len == 2 && (w[1] == 'j' || w[1] == 'g') && w[0] == '-') ||
               (len == 6 && !memcmp(w, "--jump", 6)) ||
               (len == 6 && !memcmp(w, "--goto", 6));
        /* a comment or a name may be "-j" ("--comment -j -j ACCEPT") */
        if (!next && w[0] == '-' && vfSaveOptionTakesWord(w, len))
            nextWord(&p, end, &len);
    }
    return NULL;
}

/* Calls @fn for each line of the unparsed "-A @name ..." text [p, p +
 * len), with where its rule text starts. A line of *-save may hold line
 * breaks (in a quoted comment, in a name): savefmt.c finds its end. */
static void
forEachLine(virFirewallLayer layer, const char *name, const char *p, gsize len,
            void (*fn)(const char *, const char *, gpointer), gpointer data)
{
    const char *end;
    gsize nameLen = strlen(name);

    if (!p)
        return;
    end = p + len;
    while (p < end) {
        const char *rule = p + 3 + nameLen, *le;
        if (*p == '\n') {
            p++;
            continue;
        }
        /* the chain's lines all start so (snapshot.c) */
        g_return_if_fail(rule <= end && !memcmp(p + 3, name, nameLen));
        if (rule < end && *rule == ' ')
            rule++;
        le = vfSaveLineEnd(layer, p, rule, end);
        fn(rule, le, data);
        p = le + 1;
    }
}

#define FOR_EACH_LINE(table, chain, fn, data) \
    forEachLine((table)->layer, (chain)->name, (chain)->lines, (chain)->linesLen, \
                (fn), (data))

typedef struct {
    vfTable *table;
    vfChain *chain;
    const char *const *rule;   /* lineFind: looked for */
    gboolean found;
    GPtrArray *targets;        /* lineTargetAdd: found */
} vfLineCtx;

static void
lineRefAdd(const char *line, const char *end, gpointer data)
{
    vfLineCtx *ctx = data;
    char *target = lineTarget(ctx->table->layer, line, end);
    GHashTable *set;

    if (!target || isVerdict(target)) {
        g_free(target);
        return;
    }
    if (!(set = g_hash_table_lookup(ctx->table->lineRefs, target))) {
        set = g_hash_table_new(NULL, NULL);
        g_hash_table_insert(ctx->table->lineRefs, target, set);
    } else {
        g_free(target);
    }
    g_hash_table_insert(set, ctx->chain,
                        GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(set, ctx->chain)) + 1));
}

/* The references of unparsed rules, indexed once something asks: a VM
 * start never does (only chains *-save declared can be referred to by
 * unparsed rules, and it deletes or renames none of them). */
static GHashTable *
lineRefs(vfTable *table)
{
    if (!table->lineRefs) {
        table->lineRefs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify)g_hash_table_unref);
        for (guint i = 0; i < table->chains->len; i++) {
            vfLineCtx ctx = { table, g_ptr_array_index(table->chains, i) };
            FOR_EACH_LINE(table, ctx.chain, lineRefAdd, &ctx);
        }
    }
    return table->lineRefs;
}

/* One unparsed rule of @chain jumping to @target is gone from the lines. */
static void
lineRefForget(vfTable *table, vfChain *chain, const char *target)
{
    GHashTable *set;

    if (table->lineRefs && target &&
        (set = g_hash_table_lookup(table->lineRefs, target))) {
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(set, chain));
        if (n > 1)
            g_hash_table_insert(set, chain, GUINT_TO_POINTER(n - 1));
        else
            g_hash_table_remove(set, chain);
    }
}

static void
lineParse(const char *line, const char *end, gpointer data)
{
    vfLineCtx *ctx = data;
    GStrv rule = packLine(ctx->table->layer, line, end);

    lineRefForget(ctx->table, ctx->chain, chainTarget(rule));
    g_ptr_array_add(ctx->chain->parsed, rule);
    refAdd(ctx->table, ctx->chain, rule);
}

GPtrArray *
vfChainRules(vfTable *table, vfChain *chain)
{
    if (chain->lines) {
        /* the rules appended after the lines come after them */
        GPtrArray *tail = g_steal_pointer(&chain->parsed);
        vfLineCtx ctx = { table, chain };
        const char *lines = chain->lines;
        gsize linesLen = chain->linesLen;

        chain->lines = NULL;
        chain->linesLen = 0;
        chain->parsed = g_ptr_array_new_with_free_func(g_free);
        forEachLine(table->layer, chain->name, lines, linesLen, lineParse, &ctx);
        if (tail) {
            for (guint i = 0; i < tail->len; i++)
                g_ptr_array_add(chain->parsed, tail->pdata[i]);
            g_free(g_ptr_array_steal(tail, NULL));
            g_ptr_array_unref(tail);
        }
    }
    /* most chains of a large snapshot never need one */
    if (!chain->parsed)
        chain->parsed = g_ptr_array_new_with_free_func(g_free);
    return chain->parsed;
}

guint
vfChainTailLength(const vfChain *chain)
{
    return chain->lines && chain->parsed ? chain->parsed->len : 0;
}

gsize
vfTableCountRules(const vfTable *table)
{
    gsize n = 0;

    for (guint i = 0; i < table->chains->len; i++) {
        const vfChain *c = g_ptr_array_index(table->chains, i);
        const char *p = c->lines, *end = c->lines + c->linesLen;

        while (p && p < end && (p = memchr(p, '\n', end - p))) {
            n++;
            p++;
        }
        n += c->parsed ? c->parsed->len : 0;
    }
    return n;
}

static gboolean
ruleIn(GPtrArray *rules, const char *const *rule)
{
    for (guint i = 0; i < rules->len; i++) {
        const char *const *r = g_ptr_array_index(rules, i);
        gsize k = 0;
        while (r[k] && rule[k] && g_str_equal(r[k], rule[k]))
            k++;
        if (!r[k] && !rule[k])
            return TRUE;
    }
    return FALSE;
}

/* Is the rule text [p, end) @rule? Plain ones compared in place, as
 * packLine() would cut them. */
static gboolean
lineIsRule(virFirewallLayer layer, const char *p, const char *end,
           const char *const *rule)
{
    const char *w;
    gsize len;

    if (!vfSaveRuleIsPlain(layer, p, end)) {
        g_autofree GStrv packed = packLine(layer, p, end);
        g_autoptr(GPtrArray) one = g_ptr_array_new();
        g_ptr_array_add(one, packed);
        return ruleIn(one, rule);
    }
    for (gsize i = 0; rule[i]; i++) {
        if (!(w = nextWord(&p, end, &len)) || len != strlen(rule[i]) ||
            memcmp(w, rule[i], len) != 0)
            return FALSE;
    }
    return nextWord(&p, end, &len) == NULL;
}

static void
lineFind(const char *line, const char *end, gpointer data)
{
    vfLineCtx *ctx = data;

    if (!ctx->found)
        ctx->found = lineIsRule(ctx->table->layer, line, end, ctx->rule);
}

gboolean
vfChainHasRule(vfTable *table, vfChain *chain, const char *const *rule)
{
    GPtrArray *rules = chain->parsed;
    vfLineCtx ctx = { table, chain, rule, FALSE };

    FOR_EACH_LINE(table, chain, lineFind, &ctx);
    return ctx.found || (rules && ruleIn(rules, rule));
}

gboolean
vfChainMatchesLines(virFirewallLayer layer, const vfChain *chain, const vfChain *other)
{
    g_autoptr(GString) line = g_string_new(NULL);
    const char *p = other->lines;
    gsize left = other->linesLen;

    g_return_val_if_fail(!chain->lines && other->lines, FALSE);
    if (vfChainTailLength(other))
        return FALSE;
    for (guint i = 0; chain->parsed && i < chain->parsed->len; i++) {
        g_string_printf(line, "-A %s ", other->name);
        vfSaveFormatRule(line, layer, g_ptr_array_index(chain->parsed, i));
        g_string_append_c(line, '\n');
        if (left == line->len - 1 && i == chain->parsed->len - 1)
            g_string_truncate(line, line->len - 1);  /* no final newline */
        if (line->len > left || memcmp(p, line->str, line->len) != 0)
            return FALSE;
        p += line->len;
        left -= line->len;
    }
    return left == 0;
}

gboolean
vfChainIsEmpty(const vfChain *chain)
{
    return !chain->lines && (!chain->parsed || chain->parsed->len == 0);
}

void
vfTableAddLines(vfTable *table, vfChain *chain, const char *text, gsize len)
{
    if (!len)
        return;
    changed(table, chain);
    if (!vfChainIsEmpty(chain) || table->lineRefs) {
        /* a chain's second run of lines (never from *-save) */
        vfLineCtx ctx = { table, chain };
        vfChainRules(table, chain);
        forEachLine(table->layer, chain->name, text, len, lineParse, &ctx);
        return;
    }
    chain->lines = text;
    chain->linesLen = len;
}

void
vfTableInsertRule(vfTable *table, vfChain *chain, guint index, GStrv rule)
{
    g_ptr_array_insert(vfChainRules(table, chain), index, rule);
    refAdd(table, chain, rule);
    changed(table, chain);
}

void
vfTableAppendRule(vfTable *table, vfChain *chain, GStrv rule)
{
    if (!chain->parsed)
        chain->parsed = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(chain->parsed, rule);
    refAdd(table, chain, rule);
    changed(table, chain);
}

GStrv
vfTableStealRule(vfTable *table, vfChain *chain, guint index)
{
    GStrv rule = g_ptr_array_steal_index(vfChainRules(table, chain), index);

    refRemove(table, rule);
    changed(table, chain);
    return rule;
}

static void
lineRefDrop(const char *line, const char *end, gpointer data)
{
    vfLineCtx *ctx = data;
    g_autofree char *target = lineTarget(ctx->table->layer, line, end);

    lineRefForget(ctx->table, ctx->chain, target);
}

void
vfTableFlushChain(vfTable *table, vfChain *chain)
{
    changed(table, chain);
    /* a rebuild flushes thousands of chains it never reads */
    if (chain->lines) {
        vfLineCtx ctx = { table, chain };
        if (table->lineRefs)
            FOR_EACH_LINE(table, chain, lineRefDrop, &ctx);
        chain->lines = NULL;
        chain->linesLen = 0;
    }
    for (guint i = 0; chain->parsed && i < chain->parsed->len; i++)
        refRemove(table, g_ptr_array_index(chain->parsed, i));
    if (chain->parsed)
        g_ptr_array_set_size(chain->parsed, 0);
}

guint
vfTableCountReferences(vfTable *table, const char *name)
{
    GHashTable *set = g_hash_table_lookup(table->refs, name);
    vfChain *chain = vfTableGetChain(table, name);
    guint n = set ? g_hash_table_size(set) : 0;

    if (chain && chain->fromSave && (set = g_hash_table_lookup(lineRefs(table), name))) {
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
    if (chain->fromSave && (set = g_hash_table_lookup(lineRefs(table), from))) {
        g_autoptr(GList) referrers = g_hash_table_get_keys(set);   /* parsing edits set */
        for (GList *l = referrers; l; l = l->next)
            vfChainRules(table, l->data);
        set = NULL;
    }
    chain->fromSave = FALSE;
    changed(table, chain);
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
                     * owns the new name */
                    spec[k + 1] = g_string_chunk_insert_const(table->names, to);
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
    changed(table, chain);
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

/* The chains @chain's rules jump or go to, named as written (verdicts and
 * extension targets too: the caller looks them up), lines unparsed. */
static void
lineTargetAdd(const char *line, const char *end, gpointer data)
{
    vfLineCtx *ctx = data;
    char *target = lineTarget(ctx->table->layer, line, end);

    if (target)
        g_ptr_array_add(ctx->targets, target);
}

static GPtrArray *
chainTargets(vfTable *table, const vfChain *chain)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    vfLineCtx ctx = { .table = table, .chain = (vfChain *)chain, .targets = out };

    FOR_EACH_LINE(table, chain, lineTargetAdd, &ctx);
    for (guint i = 0; chain->parsed && i < chain->parsed->len; i++) {
        const char *target = vfSpecTarget(g_ptr_array_index(chain->parsed, i));
        if (target)
            g_ptr_array_add(out, g_strdup(target));
    }
    return out;
}

/* Does a path from @chain (grey while on it) reach @from or come round to
 * a chain on it? */
static gboolean
closureLoops(vfTable *table, vfChain *chain, const vfChain *from, GHashTable *color)
{
    g_autoptr(GPtrArray) targets = chainTargets(table, chain);

    g_hash_table_insert(color, chain, GINT_TO_POINTER(1));
    for (guint i = 0; i < targets->len; i++) {
        vfChain *next = vfTableGetChain(table, g_ptr_array_index(targets, i));
        gint seen;

        if (!next || next->builtin)
            continue;
        seen = GPOINTER_TO_INT(g_hash_table_lookup(color, next));
        if (next == from || seen == 1 ||
            (!seen && closureLoops(table, next, from, color)))
            return TRUE;
    }
    g_hash_table_insert(color, chain, GINT_TO_POINTER(2));
    return FALSE;
}

/* Does a path from a builtin chain reach @chain? Walked backwards: the
 * unparsed lines through their index, the parsed rules by looking. */
static gboolean
reachedFromBuiltin(vfTable *table, vfChain *chain)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
    g_autoptr(GQueue) queue = g_queue_new();

    g_queue_push_tail(queue, chain);
    g_hash_table_add(seen, chain);
    while (!g_queue_is_empty(queue)) {
        vfChain *c = g_queue_pop_head(queue);
        GHashTable *lineParents;

        if (c->builtin)
            return TRUE;
        if (c->fromSave && (lineParents = g_hash_table_lookup(lineRefs(table), c->name))) {
            GHashTableIter it;
            gpointer parent;

            g_hash_table_iter_init(&it, lineParents);
            while (g_hash_table_iter_next(&it, &parent, NULL)) {
                if (g_hash_table_add(seen, parent))
                    g_queue_push_tail(queue, parent);
            }
        }
        for (guint i = 0; i < table->chains->len; i++) {
            vfChain *p = g_ptr_array_index(table->chains, i);

            for (guint k = 0; p->parsed && k < p->parsed->len; k++) {
                const char *target = vfSpecTarget(g_ptr_array_index(p->parsed, k));
                if (target && g_str_equal(target, c->name)) {
                    if (g_hash_table_add(seen, p))
                        g_queue_push_tail(queue, p);
                    break;
                }
            }
        }
    }
    return FALSE;
}

gboolean
vfTableJumpLoops(vfTable *table, vfChain *from, vfChain *to)
{
    g_autoptr(GHashTable) color = NULL;

    if (to->builtin)
        return FALSE;
    color = g_hash_table_new(NULL, NULL);
    /* the walk from @to is small (a VM's few chains); the one back from
     * @from looks at every parsed rule, but only once a loop is there */
    return (from == to || closureLoops(table, to, from, color)) &&
           reachedFromBuiltin(table, from);
}
