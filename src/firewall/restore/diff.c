/*
 * diff.c: the restore lines between two copies of a layer's tables
 *
 * Per table: new chains first (rules may jump to them), then each chain's
 * rules edited into place, then the chains that are gone flushed and
 * deleted (nothing refers to them any more by then). Rules are edited
 * along a shortest edit script, so a rule present before and after, ours
 * or a foreign one, is never touched: a reinstantiation that changes
 * nothing writes nothing, and a VM whose hook moved to the top of a shared
 * chain costs two lines, not one per VM. Deletes go by spec where the spec
 * is unique in its chain, so a rule added by someone else between our
 * *-save and our restore never shifts a delete onto the wrong rule.
 */
#include "diff.h"
#include "savefmt.h"

/* Beyond this many differences in one chain, deleting and inserting its
 * whole differing middle is as good as an exact edit script. */
#define VF_DIFF_MAX_EDITS 512

typedef enum { EDIT_KEEP, EDIT_DELETE, EDIT_INSERT } vfEditKind;

typedef struct {
    virFirewallLayer layer;
    const char *table;
    vfDiff *diff;
    vfPlanScript *script;   /* created on the first line */
} vfDiffCtx;

void
vfDiffFree(vfDiff *diff)
{
    if (!diff)
        return;
    g_ptr_array_unref(diff->scripts);
    g_ptr_array_unref(diff->entries);
    g_free(diff);
    virFirewallPoolUnref();
}

/* Takes @words. */
static void
emit(vfDiffCtx *ctx, vfOp op, const char *chain, GStrv words)
{
    vfLogEntry *e = g_new0(vfLogEntry, 1);

    if (!ctx->script) {
        ctx->script = g_new0(vfPlanScript, 1);
        ctx->script->layer = ctx->layer;
        ctx->script->table = g_strdup(ctx->table);
        ctx->script->entries = g_ptr_array_new();
        g_ptr_array_add(ctx->diff->scripts, ctx->script);
    }
    e->pooled = TRUE;
    e->layer = ctx->layer;
    e->table = (char *)virFirewallIntern(ctx->table);
    e->op = op;
    e->chain = (char *)virFirewallIntern(chain);
    e->words = words;
    g_ptr_array_add(ctx->diff->entries, e);
    g_ptr_array_add(ctx->script->entries, e);
    ctx->diff->lines++;
}

/* A short line: the words up to the first NULL. */
static GStrv
words(const char *a, const char *b, const char *c)
{
    return vfLogLine(TRUE, a, b, c, NULL);
}

/* "-A CHAIN" / "-I CHAIN POS" followed by the rule's tokens. */
static GStrv
ruleWords(const char *op, const char *chain, guint pos, const char *const *rule)
{
    char num[16];

    g_snprintf(num, sizeof(num), "%u", pos);
    return vfLogLine(TRUE, op, chain, pos ? num : NULL, rule);
}

static gboolean
ruleEqual(const char *const *a, const char *const *b)
{
    for (; *a && *b; a++, b++) {
        if (!g_str_equal(*a, *b))
            return FALSE;
    }
    return !*a && !*b;
}

#define RULE(arr, i) ((const char *const *)g_ptr_array_index((arr), (i)))

/*
 * Myers' O((n+m)·D) shortest edit script between s[so, so+n) and
 * f[fo, fo+m), appended to @script as kinds; FALSE when more than
 * VF_DIFF_MAX_EDITS edits would be needed.
 */
static gboolean
shortestEdit(GPtrArray *s, guint so, guint n, GPtrArray *f, guint fo, guint m,
             GArray *script)
{
    gint max = MIN((gint)(n + m), VF_DIFF_MAX_EDITS);
    gint off = max + 1;
    g_autofree gint *v = g_new0(gint, 2 * max + 3);
    g_autoptr(GPtrArray) trace = g_ptr_array_new_with_free_func(g_free);
    gint d, x, y, k;

    for (d = 0; d <= max; d++) {
        g_ptr_array_add(trace, g_memdup2(v, sizeof(gint) * (2 * max + 3)));
        for (k = -d; k <= d; k += 2) {
            if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
                x = v[off + k + 1];
            else
                x = v[off + k - 1] + 1;
            y = x - k;
            while (x < (gint)n && y < (gint)m &&
                   ruleEqual(RULE(s, so + x), RULE(f, fo + y))) {
                x++;
                y++;
            }
            v[off + k] = x;
            if (x >= (gint)n && y >= (gint)m)
                goto found;
        }
    }
    return FALSE;

 found:
    {
        g_autoptr(GArray) rev = g_array_new(FALSE, FALSE, sizeof(vfEditKind));
        x = n;
        y = m;
        for (; d > 0; d--) {
            gint *vp = g_ptr_array_index(trace, d);
            gint prevK, prevX, prevY;
            vfEditKind kind;
            k = x - y;
            if (k == -d || (k != d && vp[off + k - 1] < vp[off + k + 1])) {
                prevK = k + 1;
                kind = EDIT_INSERT;
            } else {
                prevK = k - 1;
                kind = EDIT_DELETE;
            }
            prevX = vp[off + prevK];
            prevY = prevX - prevK;
            for (; x > prevX && y > prevY; x--, y--) {
                vfEditKind keep = EDIT_KEEP;
                g_array_append_val(rev, keep);
            }
            g_array_append_val(rev, kind);
            x = prevX;
            y = prevY;
        }
        for (; x > 0 && y > 0; x--, y--) {
            vfEditKind keep = EDIT_KEEP;
            g_array_append_val(rev, keep);
        }
        for (guint i = rev->len; i > 0; i--)
            g_array_append_val(script, g_array_index(rev, vfEditKind, i - 1));
    }
    return TRUE;
}

/* Is s[i] the only rule of its chain with its spec? @counts is built on
 * first use. */
static gboolean
isUnique(GHashTable **counts, GPtrArray *s, guint i)
{
    g_autofree char *key = g_strjoinv(" ", g_ptr_array_index(s, i));

    if (!*counts) {
        *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (guint k = 0; k < s->len; k++) {
            char *rule = g_strjoinv(" ", g_ptr_array_index(s, k));
            guint n = GPOINTER_TO_UINT(g_hash_table_lookup(*counts, rule));
            g_hash_table_replace(*counts, rule, GUINT_TO_POINTER(n + 1));
        }
    }
    return GPOINTER_TO_UINT(g_hash_table_lookup(*counts, key)) == 1;
}

/* A rule the difference would have to write that no tool can take: one
 * *-save printed so that it cannot be read back (savefmt.h). */
static gboolean
unwritable(const char *chain, const char *const *rule, char **why)
{
    if (!vfSaveRuleIsOpaque(rule))
        return FALSE;
    *why = g_strdup_printf("a rule of chain %s that cannot be read back would "
                           "have to be written again (%s)", chain,
                           vfSaveOpaqueText(rule));
    return TRUE;
}

/* FALSE (and @why) where it would write a rule no tool can take. An
 * opaque rule is deleted by its position, never by a spec. */
static gboolean
diffRules(vfDiffCtx *ctx, const char *chain, gboolean builtin, GPtrArray *s,
          GPtrArray *f, char **why)
{
    g_autoptr(GHashTable) counts = NULL;
    guint ns = s ? s->len : 0, nf = f->len, p = 0, q = 0;
    g_autoptr(GArray) script = g_array_new(FALSE, FALSE, sizeof(vfEditKind));
    vfEditKind keep = EDIT_KEEP, del = EDIT_DELETE, ins = EDIT_INSERT;
    guint pos = 1, si = 0, fi = 0, kept = 0, tailInserts = 0, totalInserts = 0;

    while (p < ns && p < nf && ruleEqual(RULE(s, p), RULE(f, p)))
        p++;
    while (q < ns - p && q < nf - p &&
           ruleEqual(RULE(s, ns - 1 - q), RULE(f, nf - 1 - q)))
        q++;
    if (p == ns && p == nf)
        return TRUE;

    for (guint i = 0; i < p; i++)
        g_array_append_val(script, keep);
    if (!shortestEdit(s, p, ns - p - q, f, p, nf - p - q, script)) {
        for (guint i = p; i < ns - q; i++)
            g_array_append_val(script, del);
        for (guint i = p; i < nf - q; i++)
            g_array_append_val(script, ins);
    }
    for (guint i = 0; i < q; i++)
        g_array_append_val(script, keep);

    for (guint i = 0; i < script->len; i++) {
        if (g_array_index(script, vfEditKind, i) == EDIT_KEEP)
            kept++;
    }
    /* nothing survives: one flush instead of a delete per rule; not in a
     * builtin chain, where a rule another program adds meanwhile would go
     * with it */
    if (!kept && ns && !builtin) {
        emit(ctx, VF_OP_FLUSH, chain, words("-F", chain, NULL));
        for (guint i = 0; i < nf; i++) {
            if (unwritable(chain, RULE(f, i), why))
                return FALSE;
            emit(ctx, VF_OP_APPEND, chain, ruleWords("-A", chain, 0, RULE(f, i)));
        }
        return TRUE;
    }

    for (guint i = 0; i < script->len; i++) {
        if (g_array_index(script, vfEditKind, i) == EDIT_INSERT)
            totalInserts++;
    }
    /* inserts after the last kept rule are appends */
    for (guint i = script->len; i > 0 &&
         g_array_index(script, vfEditKind, i - 1) != EDIT_KEEP; i--) {
        if (g_array_index(script, vfEditKind, i - 1) == EDIT_INSERT)
            tailInserts++;
    }

    /* deletes first: a delete by spec then meets no rule inserted by this
     * edit (a moved rule has the same spec), and positions count only
     * rules that were there */
    for (guint i = 0; i < script->len; i++) {
        switch (g_array_index(script, vfEditKind, i)) {
        case EDIT_KEEP:
            pos++;
            si++;
            break;
        case EDIT_DELETE:
            /* by spec where that names one rule: a rule another program
             * inserts meanwhile must not make us delete its neighbour */
            if (!vfSaveRuleIsOpaque(RULE(s, si)) && isUnique(&counts, s, si)) {
                emit(ctx, VF_OP_DELETE, chain, ruleWords("-D", chain, 0, RULE(s, si)));
            } else {
                g_autofree char *num = g_strdup_printf("%u", pos);
                emit(ctx, VF_OP_DELETE_NUM, chain, words("-D", chain, num));
            }
            si++;
            break;
        case EDIT_INSERT:
            break;
        }
    }
    pos = 1;
    for (guint i = 0, inserts = 0; i < script->len; i++) {
        switch (g_array_index(script, vfEditKind, i)) {
        case EDIT_KEEP:
            pos++;
            fi++;
            break;
        case EDIT_DELETE:
            break;
        case EDIT_INSERT:
            inserts++;
            if (unwritable(chain, RULE(f, fi), why))
                return FALSE;
            if (inserts > totalInserts - tailInserts)
                emit(ctx, VF_OP_APPEND, chain, ruleWords("-A", chain, 0, RULE(f, fi)));
            else
                emit(ctx, VF_OP_INSERT, chain, ruleWords("-I", chain, pos, RULE(f, fi)));
            pos++;
            fi++;
            break;
        }
    }
    return TRUE;
}

static const char *
policyOf(const vfChain *c)
{
    return c && c->policy ? c->policy : "ACCEPT";
}

static gint
chainByName(gconstpointer a, gconstpointer b)
{
    const vfChain *x = *(vfChain *const *)a, *y = *(vfChain *const *)b;
    return strcmp(x->name, y->name);
}

/* @cf is @cs's unparsed lines and rules appended after them (a VM start's
 * jump after PREROUTING's 999 others): the appends, neither chain parsed. */
static gboolean
appendsOnly(vfDiffCtx *ctx, const vfChain *cs, const vfChain *cf)
{
    guint ns = vfChainTailLength(cs), nf = vfChainTailLength(cf);

    if (!cs->lines || cs->lines != cf->lines || cs->linesLen != cf->linesLen ||
        ns > nf)
        return FALSE;
    for (guint i = 0; i < ns; i++) {
        if (!ruleEqual(RULE(cs->parsed, i), RULE(cf->parsed, i)))
            return FALSE;
    }
    for (guint i = ns; i < nf; i++)
        emit(ctx, VF_OP_APPEND, cf->name, ruleWords("-A", cf->name, 0, RULE(cf->parsed, i)));
    return TRUE;
}

static gboolean
addTable(vfDiff *diff, virFirewallLayer layer, vfTable *ts, vfTable *tf,
         gboolean everyChain, char **why)
{
    vfDiffCtx ctx = { layer, tf->name, diff, NULL };
    gboolean eb = layer == VIR_FIREWALL_LAYER_ETHERNET;
    /* a copy of @ts: its pristine chains are @ts's, and what it lost is
     * named in tf->gone; no need to look up 9000 chains by name */
    gboolean copy = !everyChain && ts && vfTableCopiedFrom(tf, ts);
    g_autoptr(GPtrArray) declare = g_ptr_array_new();
    g_autoptr(GHashTable) lost = NULL;

    /* the chains to create or whose policy changes, in name order: the nft
     * tools keep their chain cache sorted by name, and creating 9000
     * chains in name order takes ebtables-restore 1.7 s, in the programs'
     * order 3.0 s (docs/performance.md); *-save sorts them either way */
    for (guint i = 0; i < tf->chains->len; i++) {
        vfChain *cf = g_ptr_array_index(tf->chains, i);
        vfChain *cs;
        if (copy && cf->pristine)
            continue;
        cs = vfTableGetChain(ts, cf->name);
        if ((!cs && !cf->builtin) ||
            ((cf->builtin || eb) && !g_str_equal(policyOf(cs), policyOf(cf))))
            g_ptr_array_add(declare, cf);
    }
    g_ptr_array_sort(declare, chainByName);
    for (guint i = 0; i < declare->len; i++) {
        vfChain *cf = g_ptr_array_index(declare, i);
        vfChain *cs = vfTableGetChain(ts, cf->name);

        if (!cs && !cf->builtin) {
            emit(&ctx, VF_OP_NEW_CHAIN, cf->name, words("-N", cf->name, NULL));
            if (eb && !g_str_equal(policyOf(cf), "ACCEPT"))
                emit(&ctx, VF_OP_POLICY, cf->name,
                     words("-P", cf->name, policyOf(cf)));
        } else {
            /* a builtin of a table that does not exist yet has ACCEPT */
            emit(&ctx, VF_OP_POLICY, cf->name, words("-P", cf->name, policyOf(cf)));
        }
    }
    for (guint i = 0; i < tf->chains->len; i++) {
        vfChain *cf = g_ptr_array_index(tf->chains, i);
        vfChain *cs;
        if (copy && cf->pristine)
            continue;
        cs = vfTableGetChain(ts, cf->name);
        /* untouched since *-save, or rebuilt as it was: equal without
         * parsing the kernel's lines */
        if (cs && ((!everyChain && appendsOnly(&ctx, cs, cf)) ||
                   (cs->lines && !cf->lines && vfChainMatchesLines(layer, cf, cs))))
            continue;
        if (!diffRules(&ctx, cf->name, cf->builtin, cs ? vfChainRules(ts, cs) : NULL,
                       vfChainRules(tf, cf), why))
            return FALSE;
    }
    if (copy) {
        /* the chains of @ts that are gone, kept in @ts's order below */
        GHashTableIter it;
        gpointer name;
        lost = g_hash_table_new(NULL, NULL);
        g_hash_table_iter_init(&it, tf->gone);
        while (g_hash_table_iter_next(&it, &name, NULL)) {
            vfChain *cs = vfTableGetChain(ts, name);
            if (cs && !vfTableGetChain(tf, name))
                g_hash_table_add(lost, cs);
        }
    }
    if (ts && (!lost || g_hash_table_size(lost))) {
        for (guint i = 0; i < ts->chains->len; i++) {
            vfChain *cs = g_ptr_array_index(ts->chains, i);
            if ((lost ? g_hash_table_contains(lost, cs) : !vfTableGetChain(tf, cs->name)) &&
                !vfChainIsEmpty(cs))
                emit(&ctx, VF_OP_FLUSH, cs->name, words("-F", cs->name, NULL));
        }
        for (guint i = 0; i < ts->chains->len; i++) {
            vfChain *cs = g_ptr_array_index(ts->chains, i);
            if (lost ? g_hash_table_contains(lost, cs) : !vfTableGetChain(tf, cs->name))
                emit(&ctx, VF_OP_DELETE_CHAIN, cs->name,
                     words("-X", cs->name, NULL));
        }
    }

    /* the tools create a table on its first write, and so did the
     * programs that left this one empty: setting a builtin's policy is a
     * write that adds nothing else */
    if (!ts && !ctx.script) {
        vfChain *first = tf->chains->len ? g_ptr_array_index(tf->chains, 0) : NULL;
        if (!first || !first->builtin) {
            *why = g_strdup_printf("%s table %s has no builtin chain",
                                   virFirewallLayerToString(layer), tf->name);
            return FALSE;
        }
        emit(&ctx, VF_OP_POLICY, first->name,
             words("-P", first->name, policyOf(first)));
    }
    return TRUE;
}

vfDiff *
vfDiffNew(void)
{
    vfDiff *diff = g_new0(vfDiff, 1);

    virFirewallPoolRef();

    diff->entries = g_ptr_array_new_with_free_func((GDestroyNotify)vfLogEntryFree);
    diff->scripts = g_ptr_array_new_with_free_func((GDestroyNotify)vfPlanScriptFree);
    return diff;
}

gboolean
vfDiffAddTable(vfDiff *diff, virFirewallLayer layer, vfTable *ts,
               vfTable *tf, char **why)
{
    return addTable(diff, layer, ts, tf, FALSE, why);
}

static vfDiff *
build(vfTableSet *const *from, vfTableSet *const *to, gboolean everyChain,
      char **why)
{
    g_autoptr(vfDiff) diff = vfDiffNew();

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (!to[l])
            continue;
        if (!from[l]) {
            *why = g_strdup_printf("no snapshot of layer %s",
                                   virFirewallLayerToString(l));
            return NULL;
        }
        for (guint i = 0; i < from[l]->tables->len; i++) {
            vfTable *ts = g_ptr_array_index(from[l]->tables, i);
            if (!vfTableSetGet(to[l], ts->name)) {
                *why = g_strdup_printf("%s table %s would have to disappear",
                                       virFirewallLayerToString(l), ts->name);
                return NULL;
            }
        }
        for (guint i = 0; i < to[l]->tables->len; i++) {
            vfTable *tf = g_ptr_array_index(to[l]->tables, i);
            if (!addTable(diff, l, vfTableSetGet(from[l], tf->name), tf, everyChain, why))
                return NULL;
        }
    }
    return g_steal_pointer(&diff);
}

vfDiff *
vfDiffBuild(vfTableSet *const *from, vfTableSet *const *to, char **why)
{
    return build(from, to, FALSE, why);
}

vfDiff *
vfDiffBuildEveryChain(vfTableSet *const *from, vfTableSet *const *to, char **why)
{
    return build(from, to, TRUE, why);
}
