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

static void
scriptFree(vfPlanScript *s)
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
                        g_ptr_array_new_with_free_func((GDestroyNotify)scriptFree));
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
    return plan;
}
