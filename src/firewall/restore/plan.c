/*
 * plan.c: assigning log entries to passes
 */
#include "plan.h"

typedef struct {
    GHashTable *touched;   /* chain -> last pass + 1 that used it */
    GHashTable *created;   /* chain -> pass + 1 that created it */
    guint floor;           /* set by steps on every chain (-F all) */
} vfTableState;

static void
tableStateFree(vfTableState *st)
{
    g_hash_table_unref(st->touched);
    g_hash_table_unref(st->created);
    g_free(st);
}

static guint
lookup(GHashTable *h, const char *key)
{
    return key ? GPOINTER_TO_UINT(g_hash_table_lookup(h, key)) : 0;
}

void
vfPlanScriptFree(vfPlanScript *s)
{
    g_free(s->table);
    g_ptr_array_unref(s->entries);
    g_free(s);
}

void
vfPlanFree(vfPlan *plan)
{
    if (!plan)
        return;
    g_ptr_array_unref(plan->passes);
    g_free(plan);
}

static vfPlanScript *
scriptFor(vfPlan *plan, guint pass, const vfLogEntry *e)
{
    GPtrArray *scripts;
    vfPlanScript *s;

    while (plan->passes->len <= pass)
        g_ptr_array_add(plan->passes,
                        g_ptr_array_new_with_free_func((GDestroyNotify)vfPlanScriptFree));
    scripts = g_ptr_array_index(plan->passes, pass);
    for (guint i = 0; i < scripts->len; i++) {
        s = g_ptr_array_index(scripts, i);
        if (s->layer == e->layer && g_str_equal(s->table, e->table))
            return s;
    }
    s = g_new0(vfPlanScript, 1);
    s->layer = e->layer;
    s->table = g_strdup(e->table);
    s->entries = g_ptr_array_new();
    g_ptr_array_add(scripts, s);
    return s;
}

/* Deletes first, then flushes and chain deletes, then what builds: the
 * tools resolve each step against everything queued before it in the
 * input, and ebtables-restore spends most of a large rebuild on that when
 * builds and tear-downs alternate (bench: 53 s -> 12 s at 1000
 * interfaces). */
static int
opClass(vfOp op)
{
    switch (op) {
    case VF_OP_DELETE:
    case VF_OP_DELETE_NUM:
        return 0;
    case VF_OP_FLUSH:
    case VF_OP_DELETE_CHAIN:
        return 1;
    default:
        return 2;
    }
}

static gint
uintCompare(gconstpointer a, gconstpointer b, gpointer unused)
{
    guint x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);
    return x < y ? -1 : x > y;
}

/*
 * What one object (a chain) needs to know to order the steps on it:
 * appending and deleting rules by spec commute unless they are about the
 * same rule or both append; everything else (a positional insert or
 * delete, a flush, creating, deleting or renaming the chain, a jump to
 * it) needs every earlier step on the chain behind it.
 */
typedef struct {
    gint lastExclusive;     /* -1: none */
    gint lastAppend;
    GArray *since;          /* steps since lastExclusive */
    GHashTable *bySpec;     /* rule -> last step about it */
} vfObjectOrder;

static void
objectOrderFree(vfObjectOrder *o)
{
    g_array_unref(o->since);
    g_hash_table_unref(o->bySpec);
    g_free(o);
}

typedef struct {
    GArray *edges;   /* pairs (from, to) */
    guint *indeg;
} vfEdgeSet;

static void
addEdge(vfEdgeSet *set, gint from, guint to)
{
    guint pair[2] = { (guint)from, to };

    if (from < 0 || (guint)from == to)
        return;
    g_array_append_val(set->edges, pair);
    set->indeg[to]++;
}

static void
orderOn(GHashTable *objects, vfEdgeSet *set, const char *name, guint i,
        gboolean exclusive, gboolean append, const char *ruleKey)
{
    vfObjectOrder *o = g_hash_table_lookup(objects, name);

    if (!o) {
        o = g_new0(vfObjectOrder, 1);
        o->lastExclusive = o->lastAppend = -1;
        o->since = g_array_new(FALSE, FALSE, sizeof(guint));
        o->bySpec = g_hash_table_new(g_str_hash, g_str_equal);
        g_hash_table_insert(objects, (gpointer)name, o);
    }
    addEdge(set, o->lastExclusive, i);
    if (exclusive || !ruleKey) {
        for (guint k = 0; k < o->since->len; k++)
            addEdge(set, g_array_index(o->since, guint, k), i);
        g_array_set_size(o->since, 0);
        g_hash_table_remove_all(o->bySpec);
        o->lastExclusive = i;
        o->lastAppend = -1;
        return;
    }
    if (append) {
        addEdge(set, o->lastAppend, i);
        o->lastAppend = i;
    }
    {
        gpointer prev;
        if (g_hash_table_lookup_extended(o->bySpec, ruleKey, NULL, &prev))
            addEdge(set, GPOINTER_TO_INT(prev), i);
        g_hash_table_insert(o->bySpec, (gpointer)ruleKey, GINT_TO_POINTER(i));
    }
    g_array_append_val(o->since, i);
}


/*
 * Orders one script's entries by opClass() where that keeps every step
 * behind the earlier steps it depends on (see vfObjectOrder): Kahn's
 * algorithm, always taking the ready entry of the lowest class, then the
 * earliest in the log.
 */
static void
reorderScript(vfPlanScript *script)
{
    guint n = script->entries->len;
    g_autoptr(GHashTable) objects = NULL;
    g_autofree guint *start = NULL;
    g_autofree guint *succ = NULL;
    g_autofree guint *fill = NULL;
    vfEdgeSet set;
    GQueue ready[3] = { G_QUEUE_INIT, G_QUEUE_INIT, G_QUEUE_INIT };
    g_autoptr(GPtrArray) out = NULL;

    if (n < 2)
        return;
    for (guint i = 0; i < n; i++) {
        if (!((vfLogEntry *)g_ptr_array_index(script->entries, i))->chain)
            return;   /* a step on every chain: keep the log's order */
    }

    objects = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                    (GDestroyNotify)objectOrderFree);
    set.edges = g_array_new(FALSE, FALSE, sizeof(guint) * 2);
    set.indeg = g_new0(guint, n);
    for (guint i = 0; i < n; i++) {
        vfLogEntry *e = g_ptr_array_index(script->entries, i);
        gboolean byspec = e->op == VF_OP_APPEND || e->op == VF_OP_DELETE;

        orderOn(objects, &set, e->chain, i, !byspec, e->op == VF_OP_APPEND, e->ruleKey);
        if (e->chain2)
            orderOn(objects, &set, e->chain2, i, TRUE, FALSE, NULL);
        if (e->target)
            orderOn(objects, &set, e->target, i, TRUE, FALSE, NULL);
        for (guint k = 0; e->released && k < e->released->len; k++)
            orderOn(objects, &set, g_ptr_array_index(e->released, k), i, TRUE, FALSE, NULL);
    }

    /* successor lists */
    start = g_new0(guint, n + 1);
    for (guint k = 0; k < set.edges->len; k++)
        start[((guint *)set.edges->data)[2 * k] + 1]++;
    for (guint i = 0; i < n; i++)
        start[i + 1] += start[i];
    succ = g_new0(guint, set.edges->len + 1);
    fill = g_memdup2(start, sizeof(guint) * (n + 1));
    for (guint k = 0; k < set.edges->len; k++) {
        guint from = ((guint *)set.edges->data)[2 * k];
        succ[fill[from]++] = ((guint *)set.edges->data)[2 * k + 1];
    }

    for (guint i = 0; i < n; i++) {
        if (set.indeg[i] == 0)
            g_queue_push_tail(&ready[opClass(((vfLogEntry *)g_ptr_array_index(script->entries, i))->op)],
                              GUINT_TO_POINTER(i + 1));
    }
    out = g_ptr_array_sized_new(n);
    while (out->len < n) {
        guint i = 0;
        for (int c = 0; c < 3 && !i; c++) {
            if (!g_queue_is_empty(&ready[c]))
                i = GPOINTER_TO_UINT(g_queue_pop_head(&ready[c]));
        }
        g_assert(i);   /* edges only point forward in the log: no cycle */
        i--;
        g_ptr_array_add(out, g_ptr_array_index(script->entries, i));
        for (guint k = start[i]; k < start[i + 1]; k++) {
            guint j = succ[k];
            if (--set.indeg[j] == 0) {
                GQueue *q = &ready[opClass(((vfLogEntry *)g_ptr_array_index(script->entries, j))->op)];
                g_queue_insert_sorted(q, GUINT_TO_POINTER(j + 1), uintCompare, NULL);
            }
        }
    }
    g_array_unref(set.edges);
    g_free(set.indeg);
    g_ptr_array_unref(script->entries);
    script->entries = g_steal_pointer(&out);
}

vfPlan *
vfPlanBuild(GPtrArray *log)
{
    vfPlan *plan = g_new0(vfPlan, 1);
    g_autoptr(GHashTable) states =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                              (GDestroyNotify)tableStateFree);

    plan->passes = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);

    for (guint i = 0; i < log->len; i++) {
        vfLogEntry *e = g_ptr_array_index(log, i);
        g_autofree char *key = g_strdup_printf("%d/%s", e->layer, e->table);
        vfTableState *st = g_hash_table_lookup(states, key);
        const char *objs[3] = { e->chain, e->chain2, e->target };
        gboolean eb = e->layer == VIR_FIREWALL_LAYER_ETHERNET;
        guint pass;

        if (!st) {
            st = g_new0(vfTableState, 1);
            st->touched = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
            st->created = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
            g_hash_table_insert(states, g_steal_pointer(&key), st);
        }

        /* stay behind every earlier step on the same chains */
        pass = st->floor;
        for (int k = 0; k < 3; k++)
            pass = MAX(pass, lookup(st->touched, objs[k]) ? lookup(st->touched, objs[k]) - 1 : 0);
        for (guint k = 0; e->released && k < e->released->len; k++) {
            guint t = lookup(st->touched, g_ptr_array_index(e->released, k));
            pass = MAX(pass, t ? t - 1 : 0);
        }
        if (!e->chain) {
            GHashTableIter it;
            gpointer v;
            g_hash_table_iter_init(&it, st->touched);
            while (g_hash_table_iter_next(&it, NULL, &v))
                pass = MAX(pass, GPOINTER_TO_UINT(v) - 1);
        }

        /* the tools' limits: a chain made in this input cannot be renamed
         * (nft), nor deleted or made again (ebtables-nft) */
        if (e->op == VF_OP_RENAME) {
            /* nft renames what it has cached before this input: a chain
             * changed earlier in the same input (even a builtin) must be
             * committed first */
            guint used = lookup(st->touched, e->chain);
            if (used)
                pass = MAX(pass, used);
        }
        if (e->op == VF_OP_RENAME ||
            (eb && (e->op == VF_OP_DELETE_CHAIN || e->op == VF_OP_NEW_CHAIN))) {
            guint made = lookup(st->created, e->chain);
            if (made)
                pass = MAX(pass, made);  /* made in pass made-1 */
        }
        if (e->op == VF_OP_NEW_CHAIN) {
            /* re-creating a name deleted or renamed away in this input:
             * nft resolves names against its cache, keep them apart */
            guint gone = lookup(st->touched, e->chain);
            if (gone)
                pass = MAX(pass, gone);
        }

        for (int k = 0; k < 3; k++) {
            if (objs[k])
                g_hash_table_insert(st->touched, g_strdup(objs[k]),
                                    GUINT_TO_POINTER(pass + 1));
        }
        /* a flush frees the chains its rules jumped to: a later -X of
         * one of them must not run before it */
        for (guint k = 0; e->released && k < e->released->len; k++)
            g_hash_table_insert(st->touched, g_strdup(g_ptr_array_index(e->released, k)),
                                GUINT_TO_POINTER(pass + 1));
        if (e->op == VF_OP_NEW_CHAIN)
            g_hash_table_insert(st->created, g_strdup(e->chain),
                                GUINT_TO_POINTER(pass + 1));
        if (e->op == VF_OP_RENAME && e->chain2)
            g_hash_table_insert(st->created, g_strdup(e->chain2),
                                GUINT_TO_POINTER(pass + 1));
        if (!e->chain)
            st->floor = pass;

        g_ptr_array_add(scriptFor(plan, pass, e)->entries, e);
    }
    for (guint p = 0; p < plan->passes->len; p++) {
        GPtrArray *scripts = g_ptr_array_index(plan->passes, p);
        for (guint k = 0; k < scripts->len; k++)
            reorderScript(g_ptr_array_index(scripts, k));
    }
    return plan;
}
