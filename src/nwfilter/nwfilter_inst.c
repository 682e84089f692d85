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
} ExpandCtx;

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

            for (guint j = 0; j < e->rule->vars->len; j++)
                if (!nwfVarAccessIsAvailable(e->rule->vars->pdata[j], vars))
                    noteMissing(ctx, e->rule->vars->pdata[j]);
            inst = g_new0(nwfRuleInst, 1);
            inst->rule = e->rule;
            inst->chainSuffix = def->chain;
            inst->chainPriority = def->chainPriority;
            inst->priority = e->rule->priority;
            inst->vars = nwfVarsCopy(vars);
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

GPtrArray *
nwfFilterInstantiate(const nwfFilterSet *set, const char *filter,
                     GHashTable *vars, GError **error)
{
    g_autoptr(GPtrArray) insts =
        g_ptr_array_new_with_free_func((GDestroyNotify)nwfRuleInstFree);
    g_autoptr(GPtrArray) stack = g_ptr_array_new();
    g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func(g_free);
    ExpandCtx ctx = { set, insts, stack, missing };
    const nwfFilter *def = nwfFilterSetLookup(set, filter);

    if (!def) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "filter '%s' is missing", filter);
        return NULL;
    }
    g_ptr_array_add(stack, def->name);
    if (!expand(&ctx, def, vars, error))
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
