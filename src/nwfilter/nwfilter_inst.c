/*
 * nwfilter_inst.c: filter sets and filter tree expansion.
 */
#include "nwfilter_inst.h"
#include "firewall/error.h"

#include <string.h>

struct _nwfFilterSet {
    GHashTable *byName;           /* name -> nwfFilter* (owned) */
};

nwfFilterSet *
nwfFilterSetNew(void)
{
    nwfFilterSet *set = g_new0(nwfFilterSet, 1);
    set->byName = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify)nwfFilterFree);
    return set;
}

void
nwfFilterSetFree(nwfFilterSet *set)
{
    if (!set)
        return;
    g_hash_table_unref(set->byName);
    g_free(set);
}

gboolean
nwfFilterSetAdd(nwfFilterSet *set, nwfFilter *def)
{
    if (g_hash_table_contains(set->byName, def->name)) {
        nwfFilterFree(def);
        return FALSE;
    }
    g_hash_table_insert(set->byName, def->name, def);
    return TRUE;
}

const nwfFilter *
nwfFilterSetLookup(const nwfFilterSet *set, const char *name)
{
    return g_hash_table_lookup(set->byName, name);
}

guint
nwfFilterSetSize(const nwfFilterSet *set)
{
    return g_hash_table_size(set->byName);
}

static gint
cmpStr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

gboolean
nwfFilterSetLoadDirs(nwfFilterSet *set, const char *const *dirs,
                     GError **error)
{
    for (guint i = 0; dirs && dirs[i]; i++) {
        g_autoptr(GDir) d = g_dir_open(dirs[i], 0, NULL);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *n;

        if (!d)
            continue;
        while ((n = g_dir_read_name(d)))
            if (g_str_has_suffix(n, ".xml"))
                g_ptr_array_add(names, g_strdup(n));
        g_ptr_array_sort(names, cmpStr);
        for (guint j = 0; j < names->len; j++) {
            g_autofree char *p = g_build_filename(dirs[i], names->pdata[j], NULL);
            nwfFilter *def = nwfFilterParseFile(p, error);
            if (!def)
                return FALSE;
            nwfFilterSetAdd(set, def);   /* first directory wins */
        }
    }
    return TRUE;
}

void
nwfRuleInstFree(nwfRuleInst *inst)
{
    if (!inst)
        return;
    if (inst->vars)
        g_hash_table_unref(inst->vars);
    g_free(inst);
}

typedef struct {
    const nwfFilterSet *set;
    GPtrArray *insts;
    GPtrArray *stack;             /* filter names on the current path */
    GPtrArray *missing;           /* of char*: missing variable accesses */
    const char *top;              /* the binding's filter */
    guint refs;                   /* filter references followed */
    guint64 rules;                /* rules times their combinations */
} ExpandCtx;

/* How many times a rule is instantiated with @vars, at most: the product
 * of the lengths of its lists, one factor per iterator (lists iterated in
 * parallel have one length; a fixed index is one value). */
static guint64
ruleCombinations(const nwfRule *rule, GHashTable *vars)
{
    g_autoptr(GHashTable) perIter = g_hash_table_new(g_direct_hash, g_direct_equal);
    GHashTableIter it;
    gpointer len;
    guint64 n = 1;

    for (guint j = 0; j < rule->vars->len; j++) {
        const nwfVarAccess *va = rule->vars->pdata[j];
        GPtrArray *vals = g_hash_table_lookup(vars, va->name);
        guint have;

        if (va->type != NWF_VAR_ACCESS_ITERATOR || !vals)
            continue;
        have = GPOINTER_TO_UINT(g_hash_table_lookup(perIter, GUINT_TO_POINTER(va->index + 1)));
        if (vals->len > have)
            g_hash_table_insert(perIter, GUINT_TO_POINTER(va->index + 1),
                                GUINT_TO_POINTER(vals->len));
    }
    g_hash_table_iter_init(&it, perIter);
    while (g_hash_table_iter_next(&it, NULL, &len)) {
        if (n > G_MAXUINT64 / GPOINTER_TO_UINT(len))
            return G_MAXUINT64;
        n *= GPOINTER_TO_UINT(len);
    }
    return n;
}

static void
noteMissing(ExpandCtx *ctx, const nwfVarAccess *va)
{
    g_autofree char *s = nwfVarAccessToString(va);
    for (guint i = 0; i < ctx->missing->len; i++)
        if (strcmp(ctx->missing->pdata[i], s) == 0)
            return;
    g_ptr_array_add(ctx->missing, g_steal_pointer(&s));
}

static gboolean
expand(ExpandCtx *ctx, const nwfFilter *def, GHashTable *vars, GError **error)
{
    for (guint i = 0; i < def->entries->len; i++) {
        const nwfEntry *e = def->entries->pdata[i];

        if (e->rule) {
            nwfRuleInst *inst;
            guint64 n;

            for (guint j = 0; j < e->rule->vars->len; j++)
                if (!nwfVarAccessIsAvailable(e->rule->vars->pdata[j], vars))
                    noteMissing(ctx, e->rule->vars->pdata[j]);
            n = ruleCombinations(e->rule, vars);
            if (n > NWF_MAX_RULES - ctx->rules) {
                g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                            "filter '%s' expands to more than %d rules (counting each "
                            "combination of variable values; %s:%d adds %" G_GUINT64_FORMAT
                            "): virt-firewall's limit", ctx->top, NWF_MAX_RULES,
                            def->path ? def->path : def->name, e->rule->line, n);
                return FALSE;
            }
            ctx->rules += n;
            inst = g_new0(nwfRuleInst, 1);
            inst->rule = e->rule;
            inst->chainSuffix = def->chain;
            inst->chainPriority = def->chainPriority;
            inst->priority = e->rule->priority;
            /* nobody changes it: each rule of this filter shares it */
            inst->vars = g_hash_table_ref(vars);
            g_ptr_array_add(ctx->insts, inst);
        } else {
            const nwfFilter *child = nwfFilterSetLookup(ctx->set, e->include->filter);
            g_autoptr(GHashTable) tmp = NULL;
            gboolean ok;

            if (!child) {
                g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                            "%s:%d: filter '%s' references filter '%s', "
                            "which is missing", def->path ? def->path : "?",
                            e->include->line, def->name, e->include->filter);
                return FALSE;
            }
            for (guint j = 0; j < ctx->stack->len; j++) {
                if (strcmp(ctx->stack->pdata[j], child->name) == 0) {
                    g_autoptr(GString) path = g_string_new(NULL);
                    for (guint k = j; k < ctx->stack->len; k++)
                        g_string_append_printf(path, "%s -> ",
                                               (char *)ctx->stack->pdata[k]);
                    g_string_append(path, child->name);
                    g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                                "%s:%d: filter reference loop: %s",
                                def->path ? def->path : "?",
                                e->include->line, path->str);
                    return FALSE;
                }
            }
            /* libvirt follows references without a limit; a fan-out (a
             * filter referencing another twice, and so on) doubles the
             * work at each level */
            if (++ctx->refs > NWF_MAX_FILTER_REFS) {
                g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                            "filter '%s' expands to more than %d filter references "
                            "(%s:%d): virt-firewall's limit", ctx->top,
                            NWF_MAX_FILTER_REFS, def->path ? def->path : def->name,
                            e->include->line);
                return FALSE;
            }
            if (ctx->stack->len > NWF_MAX_FILTER_DEPTH) {
                g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                            "filter '%s': filter references nested deeper than %d "
                            "levels (%s:%d): virt-firewall's limit", ctx->top,
                            NWF_MAX_FILTER_DEPTH, def->path ? def->path : def->name,
                            e->include->line);
                return FALSE;
            }
            tmp = nwfVarsMerge(e->include->params, vars);
            g_ptr_array_add(ctx->stack, child->name);
            ok = expand(ctx, child, tmp, error);
            g_ptr_array_remove_index(ctx->stack, ctx->stack->len - 1);
            if (!ok)
                return FALSE;
        }
    }
    return TRUE;
}

/*
 * @vars without the variables no rule reachable from @def names: the rule
 * instances hold the variables, and a binding may carry any number of
 * parameters (200 000 unused ones, copied into each instance: 659 MB).
 * Each filter once, whatever the fan-out; no recursion, whatever the depth.
 */
static GHashTable *
usedVars(const nwfFilterSet *set, const nwfFilter *def, GHashTable *vars)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) todo = g_ptr_array_new();
    GHashTable *used = nwfVarsNew();

    g_hash_table_add(seen, def->name);
    g_ptr_array_add(todo, (gpointer)def);
    while (todo->len) {
        const nwfFilter *f = g_ptr_array_steal_index_fast(todo, todo->len - 1);

        for (guint i = 0; i < f->entries->len; i++) {
            const nwfEntry *e = f->entries->pdata[i];
            const nwfFilter *child;

            for (guint j = 0; e->rule && j < e->rule->vars->len; j++) {
                const nwfVarAccess *va = e->rule->vars->pdata[j];
                GPtrArray *vals = g_hash_table_lookup(vars, va->name);
                if (vals && !g_hash_table_contains(used, va->name))
                    g_hash_table_insert(used, g_strdup(va->name), g_ptr_array_ref(vals));
            }
            if (e->include && (child = nwfFilterSetLookup(set, e->include->filter)) &&
                g_hash_table_add(seen, child->name))
                g_ptr_array_add(todo, (gpointer)child);
        }
    }
    return used;
}

GPtrArray *
nwfFilterInstantiate(const nwfFilterSet *set, const char *filter,
                     GHashTable *vars, GError **error)
{
    g_autoptr(GPtrArray) insts =
        g_ptr_array_new_with_free_func((GDestroyNotify)nwfRuleInstFree);
    g_autoptr(GPtrArray) stack = g_ptr_array_new();
    g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) used = NULL;
    ExpandCtx ctx = { set, insts, stack, missing, filter };
    const nwfFilter *def = nwfFilterSetLookup(set, filter);

    if (!def) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "filter '%s' is missing", filter);
        return NULL;
    }
    used = usedVars(set, def, vars);
    g_ptr_array_add(stack, def->name);
    if (!expand(&ctx, def, used, error))
        return NULL;
    if (missing->len > 0) {
        g_autofree char *list = NULL;
        g_ptr_array_add(missing, NULL);
        list = g_strjoinv(", ", (char **)missing->pdata);
        if (missing->len == 2 && strcmp(missing->pdata[0], "IP") == 0)
            g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                        "filter '%s': variable IP is not set (libvirt would "
                        "start IP address learning; not supported)", filter);
        else
            g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                        "filter '%s': cannot instantiate filter due to "
                        "unresolvable variables or unavailable list elements: %s",
                        filter, list);
        return NULL;
    }
    return g_steal_pointer(&insts);
}
