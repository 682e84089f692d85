/*
 * nwfilter_inst.c: filter sets and filter tree expansion.
 */
#include "nwfilter_inst.h"
#include "firewall/error.h"

#include <string.h>

struct _nwfFilterSet {
    GHashTable *byName;           /* name -> nwfFilter* (owned) */
    GHashTable *broken;           /* name -> why its file was skipped */
};

nwfFilterSet *
nwfFilterSetNew(void)
{
    nwfFilterSet *set = g_new0(nwfFilterSet, 1);
    set->byName = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify)nwfFilterFree);
    set->broken = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return set;
}

void
nwfFilterSetFree(nwfFilterSet *set)
{
    if (!set)
        return;
    g_hash_table_unref(set->byName);
    g_hash_table_unref(set->broken);
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

void
nwfFilterSetMarkBroken(nwfFilterSet *set, const char *name, const char *why)
{
    if (!g_hash_table_contains(set->byName, name))
        g_hash_table_replace(set->broken, g_strdup(name), g_strdup(why));
}

const char *
nwfFilterSetBroken(const nwfFilterSet *set, const char *name)
{
    return g_hash_table_lookup(set->broken, name);
}

static gint
cmpStr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *
nwfFilterSetBrokenList(const nwfFilterSet *set)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    GPtrArray *res = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer key;

    g_hash_table_iter_init(&it, set->broken);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(names, key);
    g_ptr_array_sort(names, cmpStr);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(res, g_strdup(g_hash_table_lookup(set->broken, names->pdata[i])));
    return res;
}

/* One file of a directory: its filter, or why it is skipped. */
typedef struct {
    char *stem;
    GPtrArray *warnings;
} LoadedFile;

static void
loadedFileFree(gpointer p)
{
    LoadedFile *f = p;
    g_free(f->stem);
    g_ptr_array_unref(f->warnings);
    g_free(f);
}

static gint
loadedFileCompare(gconstpointer a, gconstpointer b)
{
    return strcmp((*(LoadedFile *const *)a)->stem, (*(LoadedFile *const *)b)->stem);
}

/*
 * virNWFilterObjListLoadConfig: NAME.xml must hold filter NAME; a UUID
 * already taken by another name is refused. A failure skips the file only.
 */
static void
loadFile(nwfFilterSet *set, GHashTable *uuids, const char *dir, LoadedFile *f)
{
    g_autofree char *file = g_strconcat(f->stem, ".xml", NULL);
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfFilter) def = nwfFilterParseFile(path, f->warnings, &err);
    const char *other;

    if (!def) {
        g_ptr_array_set_size(f->warnings, 0);
        nwfFilterSetMarkBroken(set, f->stem, err->message);
        return;
    }
    if (strcmp(def->name, f->stem) != 0) {
        g_autofree char *why = g_strdup_printf(
            "%s: network filter config filename '%s' does not match name '%s'",
            path, file, def->name);
        g_ptr_array_set_size(f->warnings, 0);
        nwfFilterSetMarkBroken(set, f->stem, why);
        return;
    }
    if (def->uuid && (other = g_hash_table_lookup(uuids, def->uuid))) {
        g_autofree char *why = g_strdup_printf(
            "%s: filter with same UUID %s but different name ('%s') already exists",
            path, def->uuid, other);
        g_ptr_array_set_size(f->warnings, 0);
        nwfFilterSetMarkBroken(set, f->stem, why);
        return;
    }
    if (def->uuid)
        g_hash_table_insert(uuids, g_strdup(def->uuid), g_strdup(def->name));
    nwfFilterSetAdd(set, g_steal_pointer(&def));
}

/*
 * virNWFilterObjListLoadAllConfigs, for each directory: every *.xml in
 * the order the directory lists them (the order decides which of two
 * files with one UUID libvirt keeps), a broken file skipped. A name in an
 * earlier directory hides it in the later ones, unread. Warnings go out in
 * file name order.
 */
gboolean
nwfFilterSetLoadDirs(nwfFilterSet *set, const char *const *dirs,
                     GPtrArray *warnings, GError **error)
{
    g_autoptr(GHashTable) uuids = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                        g_free, g_free);

    for (guint i = 0; dirs && dirs[i]; i++) {
        g_autoptr(GError) openErr = NULL;
        g_autoptr(GDir) d = g_dir_open(dirs[i], 0, &openErr);
        g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(loadedFileFree);
        const char *n;

        if (!d) {
            if (g_error_matches(openErr, G_FILE_ERROR, G_FILE_ERROR_NOENT))
                continue;
            g_propagate_prefixed_error(error, g_steal_pointer(&openErr),
                                       "cannot read filter directory %s: ", dirs[i]);
            return FALSE;
        }
        while ((n = g_dir_read_name(d))) {
            g_autofree char *stem = NULL;
            LoadedFile *f;

            if (!g_str_has_suffix(n, ".xml"))
                continue;
            stem = g_strndup(n, strlen(n) - 4);
            if (nwfFilterSetLookup(set, stem) || nwfFilterSetBroken(set, stem))
                continue;   /* an earlier directory has it */
            f = g_new0(LoadedFile, 1);
            f->stem = g_steal_pointer(&stem);
            f->warnings = g_ptr_array_new_with_free_func(g_free);
            g_ptr_array_add(files, f);
            loadFile(set, uuids, dirs[i], f);
        }
        g_ptr_array_sort(files, loadedFileCompare);
        for (guint k = 0; warnings && k < files->len; k++) {
            LoadedFile *f = g_ptr_array_index(files, k);
            for (guint w = 0; w < f->warnings->len; w++)
                g_ptr_array_add(warnings, g_strdup(f->warnings->pdata[w]));
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
            inst->filter = def;
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
                const char *why = nwfFilterSetBroken(ctx->set, e->include->filter);
                g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                            "%s:%d: filter '%s' references filter '%s', "
                            "which is missing%s%s", def->path ? def->path : "?",
                            e->include->line, def->name, e->include->filter,
                            why ? ": its file was skipped: " : "", why ? why : "");
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
        const char *why = nwfFilterSetBroken(set, filter);
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "filter '%s' is missing%s%s", filter,
                    why ? ": its file was skipped: " : "", why ? why : "");
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
