/*
 * table-rules.c: the rules of a chain in the in-memory tables
 *
 * A chain read from *-save keeps its lines unparsed until something looks
 * at its rules; here are the packed rules, the lines and their parsing,
 * the rule edits that keep the reference index true, and the jump graph
 * (the loops nf_tables refuses).
 */
#include "table-priv.h"
#include "command.h"
#include "savefmt.h"

#include <string.h>

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

/* forEachLine() over @chain's unparsed lines. */
static void
forEachChainLine(const vfTable *table, const vfChain *chain,
                 void (*fn)(const char *, const char *, gpointer), gpointer data)
{
    forEachLine(table->layer, chain->name, chain->lines, chain->linesLen, fn, data);
}

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

    if (!target || vfIsVerdict(target)) {
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
GHashTable *
vfTableLineRefs(vfTable *table)
{
    if (!table->lineRefs) {
        table->lineRefs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify)g_hash_table_unref);
        for (guint i = 0; i < table->chains->len; i++) {
            vfLineCtx ctx = { table, g_ptr_array_index(table->chains, i) };
            forEachChainLine(table, ctx.chain, lineRefAdd, &ctx);
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

    lineRefForget(ctx->table, ctx->chain, vfRuleChainTarget(rule));
    g_ptr_array_add(ctx->chain->parsed, rule);
    vfTableRefAdd(ctx->table, ctx->chain, rule);
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

/* Its rules, the unparsed lines counted by their line breaks. */
static gsize
chainCountRules(const vfChain *c)
{
    const char *p = c->lines, *end = c->lines + c->linesLen;
    gsize n = c->parsed ? c->parsed->len : 0;

    while (p && p < end && (p = memchr(p, '\n', end - p))) {
        n++;
        p++;
    }
    return n;
}

gsize
vfTableCountRules(const vfTable *table)
{
    gsize n = 0;

    for (guint i = 0; i < table->chains->len; i++)
        n += chainCountRules(g_ptr_array_index(table->chains, i));
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

/*
 * The index of vfChainHasRule. libvirt deletes each interface's jumps from
 * libvirt-in, libvirt-out, ... before it adds them, and again after, in
 * chains of one rule per interface: every delete was a scan, N^2 in a
 * batch (an eighth of a reconnect beside 1000 interfaces with IP filters,
 * more of a libvirtd restart). The index answers it at once.
 *
 * A key is the rule's words, each with its NUL: equal keys, equal rules.
 * Every edit of the chain's rules here keeps it true; a rename rewrites
 * the jump words of its referrers' rules, and moves their keys with them
 * (vfTableRenameChain); a flush or lines read drop it.
 */
#define VF_RULE_INDEX_MIN_RULES 64   /* shorter chains: the scan is cheap */
#define VF_RULE_INDEX_SCANS 8        /* scans of the chain before it is indexed */

static GBytes *
ruleKey(const char *const *rule)
{
    g_autoptr(GByteArray) key = g_byte_array_new();

    for (gsize i = 0; rule[i]; i++)
        g_byte_array_append(key, (const guint8 *)rule[i], strlen(rule[i]) + 1);
    return g_byte_array_free_to_bytes(g_steal_pointer(&key));
}

void
vfChainIndexAdd(vfChain *chain, const char *const *rule)
{
    GHashTable *keys = chain->ruleKeys;
    GBytes *key;
    guint n;

    if (!keys)
        return;
    key = ruleKey(rule);
    n = GPOINTER_TO_UINT(g_hash_table_lookup(keys, key));
    g_hash_table_replace(keys, key, GUINT_TO_POINTER(n + 1));
}

void
vfChainIndexRemove(vfChain *chain, const char *const *rule)
{
    g_autoptr(GBytes) key = NULL;
    guint n;

    if (!chain->ruleKeys)
        return;
    key = ruleKey(rule);
    n = GPOINTER_TO_UINT(g_hash_table_lookup(chain->ruleKeys, key));
    if (n > 1)
        g_hash_table_replace(chain->ruleKeys, g_bytes_ref(key), GUINT_TO_POINTER(n - 1));
    else
        g_hash_table_remove(chain->ruleKeys, key);
}

static void
lineKeyAdd(const char *line, const char *end, gpointer data)
{
    vfLineCtx *ctx = data;
    g_autofree GStrv packed = packLine(ctx->table->layer, line, end);

    vfChainIndexAdd(ctx->chain, (const char *const *)packed);
}

static void
indexRules(vfTable *table, vfChain *chain)
{
    vfLineCtx ctx = { table, chain };

    chain->ruleKeys = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                            (GDestroyNotify)g_bytes_unref, NULL);
    forEachChainLine(table, chain, lineKeyAdd, &ctx);
    for (guint i = 0; chain->parsed && i < chain->parsed->len; i++)
        vfChainIndexAdd(chain, g_ptr_array_index(chain->parsed, i));
}

gboolean
vfChainHasRule(vfTable *table, vfChain *chain, const char *const *rule)
{
    GPtrArray *rules = chain->parsed;
    vfLineCtx ctx = { table, chain, rule, FALSE };

    if (!chain->ruleKeys && ++chain->scans >= VF_RULE_INDEX_SCANS &&
        chainCountRules(chain) >= VF_RULE_INDEX_MIN_RULES)
        indexRules(table, chain);
    if (chain->ruleKeys) {
        g_autoptr(GBytes) key = ruleKey(rule);
        return g_hash_table_contains(chain->ruleKeys, key);
    }
    forEachChainLine(table, chain, lineFind, &ctx);
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

static void noteJump(vfTable *table, vfChain *chain, GStrv rule);

void
vfTableAddLines(vfTable *table, vfChain *chain, const char *text, gsize len)
{
    if (!len)
        return;
    vfTableChanged(table, chain);
    table->noLoops = FALSE;   /* jumps not looked at */
    g_clear_pointer(&chain->ruleKeys, g_hash_table_unref);
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
    noteJump(table, chain, rule);
    g_ptr_array_insert(vfChainRules(table, chain), index, rule);
    vfTableRefAdd(table, chain, rule);
    vfChainIndexAdd(chain, (const char *const *)rule);
    vfTableChanged(table, chain);
}

void
vfTableAppendRule(vfTable *table, vfChain *chain, GStrv rule)
{
    noteJump(table, chain, rule);
    if (!chain->parsed)
        chain->parsed = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(chain->parsed, rule);
    vfTableRefAdd(table, chain, rule);
    vfChainIndexAdd(chain, (const char *const *)rule);
    vfTableChanged(table, chain);
}

GStrv
vfTableStealRule(vfTable *table, vfChain *chain, guint index)
{
    GStrv rule = g_ptr_array_steal_index(vfChainRules(table, chain), index);

    vfTableRefRemove(table, rule);
    vfChainIndexRemove(chain, (const char *const *)rule);
    vfTableChanged(table, chain);
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
    vfTableChanged(table, chain);
    g_clear_pointer(&chain->ruleKeys, g_hash_table_unref);
    /* a rebuild flushes thousands of chains it never reads */
    if (chain->lines) {
        vfLineCtx ctx = { table, chain };
        if (table->lineRefs)
            forEachChainLine(table, chain, lineRefDrop, &ctx);
        chain->lines = NULL;
        chain->linesLen = 0;
    }
    for (guint i = 0; chain->parsed && i < chain->parsed->len; i++)
        vfTableRefRemove(table, g_ptr_array_index(chain->parsed, i));
    if (chain->parsed)
        g_ptr_array_set_size(chain->parsed, 0);
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

    forEachChainLine(table, chain, lineTargetAdd, &ctx);
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
        if (c->fromSave && (lineParents = g_hash_table_lookup(vfTableLineRefs(table), c->name))) {
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

/*
 * A jump from a user chain @chain keeps a table without loops so unless
 * its target reaches @chain back: the walk from the target is short for
 * the jumps libvirt adds (into a VM's few chains). Jumps from builtin
 * chains close no loop: nothing jumps to a builtin chain.
 */
static void
noteJump(vfTable *table, vfChain *chain, GStrv rule)
{
    g_autoptr(GHashTable) color = NULL;
    const char *target;
    vfChain *to;

    if (!table->noLoops || chain->builtin || !(target = vfRuleChainTarget(rule)) ||
        !(to = vfTableGetChain(table, target)) || to->builtin)
        return;
    /* the check of this very jump just walked it (nothing changed since) */
    if (table->walk.from == chain && table->walk.to == to &&
        table->walk.serial == table->serial) {
        table->noLoops = !table->walk.loops;
        return;
    }
    color = g_hash_table_new(NULL, NULL);
    if (to == chain || closureLoops(table, to, chain, color))
        table->noLoops = FALSE;
}

/* One walk over every chain, once after the tables were read. */
static gboolean
tableHasNoLoops(vfTable *table)
{
    g_autoptr(GHashTable) color = NULL;

    if (table->noLoops)
        return TRUE;
    color = g_hash_table_new(NULL, NULL);
    for (guint i = 0; i < table->chains->len; i++) {
        vfChain *c = g_ptr_array_index(table->chains, i);
        if (!c->builtin && !g_hash_table_lookup(color, c) &&
            closureLoops(table, c, NULL, color))
            return FALSE;
    }
    return table->noLoops = TRUE;
}

gboolean
vfTableJumpLoops(vfTable *table, vfChain *from, vfChain *to)
{
    g_autoptr(GHashTable) color = NULL;

    if (to->builtin)
        return FALSE;
    /* libvirt links its base chains from FORWARD, INPUT and OUTPUT again
     * at every VM (-D then -I): the walk below from libvirt-in would look
     * at every VM's chains each time, quadratic in the VMs
     * (docs/performance.md, "Jump loops") */
    if (from->builtin && tableHasNoLoops(table))
        return FALSE;
    color = g_hash_table_new(NULL, NULL);
    /* the walk from @to is small (a VM's few chains); the one back from
     * @from looks at every parsed rule, but only once a loop is there */
    table->walk.from = from;
    table->walk.to = to;
    table->walk.serial = table->serial;
    table->walk.loops = from == to || closureLoops(table, to, from, color);
    return table->walk.loops && reachedFromBuiltin(table, from);
}
