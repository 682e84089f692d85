/*
 * nwfilter_vars.c: filter variables and the combination iterator.
 *
 * Semantics follow libvirt: all accesses with the same iterator id move
 * in lock-step (lists must have the same length), different ids form a
 * cartesian product, iterator 0 always exists and varies fastest, a fixed
 * index gets a private iterator, and a step whose tuple of values was
 * already produced at an earlier index of the same iterator is skipped.
 */
#include "nwfilter_vars.h"
#include "firewall/error.h"

#include <string.h>
#include <stdlib.h>
#include <errno.h>

static void
valuesFree(gpointer p)
{
    g_ptr_array_unref(p);
}

GHashTable *
nwfVarsNew(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, valuesFree);
}

/* A list of values is never changed once it is in a table that was
 * copied (nwfVarsAdd builds tables from parsed XML only): copies share it.
 * libvirt copies every value for every rule instance; a binding of 10 MB
 * cost 30 times that. */
static GPtrArray *
valuesCopy(GPtrArray *src)
{
    return g_ptr_array_ref(src);
}

void
nwfVarsPutAll(GHashTable *src, GHashTable *dst)
{
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, src);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_hash_table_replace(dst, g_strdup(k), valuesCopy(v));
}

GHashTable *
nwfVarsCopy(GHashTable *src)
{
    GHashTable *dst = nwfVarsNew();
    if (src)
        nwfVarsPutAll(src, dst);
    return dst;
}

GHashTable *
nwfVarsMerge(GHashTable *inner, GHashTable *outer)
{
    GHashTable *res = nwfVarsCopy(inner);
    if (outer)
        nwfVarsPutAll(outer, res);
    return res;
}

void
nwfVarsAdd(GHashTable *vars, const char *name, const char *value)
{
    GPtrArray *vals = g_hash_table_lookup(vars, name);
    if (!vals) {
        vals = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(vars, g_strdup(name), vals);
    }
    g_ptr_array_add(vals, g_strdup(value));
}

gboolean
nwfVarNameIsValid(const char *name)
{
    return name[0] && name[strspn(name, NWF_VALID_VARNAME)] == '\0';
}

gboolean
nwfVarValueIsValid(const char *value)
{
    return value[0] && value[strspn(value, NWF_VALID_VARVALUE)] == '\0';
}

static gboolean
parseUInt(const char *s, size_t len, guint *out)
{
    g_autofree char *tmp = g_strndup(s, len);
    char *end = NULL;
    unsigned long v;

    if (!tmp[0] || !g_ascii_isdigit(tmp[0]))
        return FALSE;
    errno = 0;
    v = strtoul(tmp, &end, 10);
    if (errno || *end || v > G_MAXUINT)
        return FALSE;
    *out = v;
    return TRUE;
}

nwfVarAccess *
nwfVarAccessParse(const char *str, GError **error)
{
    size_t namelen = strspn(str, NWF_VALID_VARNAME);
    g_autofree nwfVarAccess *va = NULL;
    const char *rest = str + namelen;

    if (namelen == 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                    "malformed variable '$%s': missing name", str);
        return NULL;
    }
    va = g_new0(nwfVarAccess, 1);
    va->type = NWF_VAR_ACCESS_ITERATOR;
    va->index = 0;

    if (*rest) {
        const char *close;
        if (*rest != '[' || !(close = strchr(rest, ']')) || close[1] != '\0') {
            g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                        "malformed variable '$%s'", str);
            return NULL;
        }
        rest++;
        if (*rest == '@') {
            rest++;
            if (!parseUInt(rest, close - rest, &va->index) ||
                va->index > NWF_MAX_ITERID) {
                g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                            "malformed iterator id in variable '$%s' "
                            "(0..%d)", str, NWF_MAX_ITERID);
                return NULL;
            }
        } else {
            va->type = NWF_VAR_ACCESS_ELEMENT;
            if (!parseUInt(rest, close - rest, &va->index)) {
                g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                            "malformed index in variable '$%s'", str);
                return NULL;
            }
        }
    }
    va->name = g_strndup(str, namelen);
    return g_steal_pointer(&va);
}

void
nwfVarAccessFree(nwfVarAccess *va)
{
    if (!va)
        return;
    g_free(va->name);
    g_free(va);
}

gboolean
nwfVarAccessEqual(const nwfVarAccess *a, const nwfVarAccess *b)
{
    return a->type == b->type && a->index == b->index &&
           strcmp(a->name, b->name) == 0;
}

char *
nwfVarAccessToString(const nwfVarAccess *va)
{
    if (va->type == NWF_VAR_ACCESS_ELEMENT)
        return g_strdup_printf("%s[%u]", va->name, va->index);
    if (va->index == 0)
        return g_strdup(va->name);
    return g_strdup_printf("%s[@%u]", va->name, va->index);
}

gboolean
nwfVarAccessIsAvailable(const nwfVarAccess *va, GHashTable *vars)
{
    GPtrArray *vals = g_hash_table_lookup(vars, va->name);
    if (!vals || vals->len == 0)
        return FALSE;
    if (va->type == NWF_VAR_ACCESS_ELEMENT && va->index >= vals->len)
        return FALSE;
    return TRUE;
}

/* ---- combination iterator ---- */

typedef struct {
    guint iterId;          /* user id, or > NWF_MAX_ITERID for a fixed index */
    guint minValue, maxValue, curValue;
    GPtrArray *names;      /* of const char* (borrowed from the accesses) */
    guint8 *repeat;        /* [i]: the tuple at i was produced at an earlier
                            * index (NULL: none repeats) */
} IterEntry;

struct _nwfVarIter {
    GHashTable *vars;      /* borrowed */
    GArray *iters;         /* of IterEntry */
    GPtrArray *accesses;   /* borrowed */
    GArray *accessIter;    /* per access: index into iters */
};

void
nwfVarIterFree(nwfVarIter *it)
{
    if (!it)
        return;
    for (guint i = 0; i < it->iters->len; i++) {
        g_ptr_array_unref(g_array_index(it->iters, IterEntry, i).names);
        g_free(g_array_index(it->iters, IterEntry, i).repeat);
    }
    g_array_unref(it->iters);
    g_array_unref(it->accessIter);
    g_free(it);
}

static guint
addIter(nwfVarIter *it, guint iterId)
{
    IterEntry e = { .iterId = iterId };
    e.names = g_ptr_array_new();
    g_array_append_val(it->iters, e);
    return it->iters->len - 1;
}

/*
 * Which indices of @e repeat a tuple of values seen at an earlier index
 * (libvirt's virNWFilterVarCombIterEntryAreUniqueEntries, which compares
 * each step with every earlier one: 40 000 values, 21-24 s of CPU for a
 * dump). One pass with a set of the tuples seen, each tuple keyed by its
 * values with their lengths (values may hold any byte but NUL).
 */
static void
entryFindRepeats(nwfVarIter *it, IterEntry *e)
{
    g_autoptr(GHashTable) seen = NULL;
    g_autoptr(GString) key = NULL;
    g_autofree GPtrArray **lists = NULL;
    gboolean any = FALSE;

    if (e->names->len == 0 || e->maxValue <= e->minValue)
        return;
    lists = g_new0(GPtrArray *, e->names->len);
    for (guint j = 0; j < e->names->len; j++) {
        if (!(lists[j] = g_hash_table_lookup(it->vars, e->names->pdata[j])))
            return;
    }
    seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    key = g_string_new(NULL);
    e->repeat = g_new0(guint8, e->maxValue + 1);
    for (guint i = e->minValue; i <= e->maxValue; i++) {
        g_string_truncate(key, 0);
        for (guint j = 0; j < e->names->len; j++) {
            const char *v = i < lists[j]->len ? lists[j]->pdata[i] : "";
            g_string_append_printf(key, "%zu:%s", strlen(v), v);
        }
        if (g_hash_table_contains(seen, key->str)) {
            e->repeat[i] = any = TRUE;
        } else {
            g_hash_table_add(seen, g_strdup(key->str));
        }
    }
    if (!any)
        g_clear_pointer(&e->repeat, g_free);
}

nwfVarIter *
nwfVarIterNew(GHashTable *vars, GPtrArray *accesses, GError **error)
{
    g_autoptr(nwfVarIter) it = g_new0(nwfVarIter, 1);
    guint nextIntId = NWF_MAX_ITERID + 1;

    it->vars = vars;
    it->accesses = accesses;
    it->iters = g_array_new(FALSE, TRUE, sizeof(IterEntry));
    it->accessIter = g_array_new(FALSE, TRUE, sizeof(guint));
    addIter(it, 0);

    for (guint i = 0; accesses && i < accesses->len; i++) {
        const nwfVarAccess *va = accesses->pdata[i];
        GPtrArray *vals = g_hash_table_lookup(vars, va->name);
        guint idx = G_MAXUINT, minv, maxv;
        IterEntry *e;

        if (va->type == NWF_VAR_ACCESS_ITERATOR) {
            for (guint j = 0; j < it->iters->len; j++) {
                if (g_array_index(it->iters, IterEntry, j).iterId == va->index) {
                    idx = j;
                    break;
                }
            }
            if (idx == G_MAXUINT)
                idx = addIter(it, va->index);
        } else {
            idx = addIter(it, nextIntId++);
        }
        g_array_append_val(it->accessIter, idx);

        if (!vals || vals->len == 0) {
            g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                        "could not find value for variable '%s'", va->name);
            return NULL;
        }
        if (va->type == NWF_VAR_ACCESS_ELEMENT) {
            if (va->index >= vals->len) {
                g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                            "index %u of variable '%s' out of bounds "
                            "(%u values)", va->index, va->name, vals->len);
                return NULL;
            }
            minv = maxv = va->index;
        } else {
            minv = 0;
            maxv = vals->len - 1;
        }
        e = &g_array_index(it->iters, IterEntry, idx);
        if (e->names->len == 0) {
            e->minValue = e->curValue = minv;
            e->maxValue = maxv;
        } else if (e->maxValue != maxv) {
            g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                        "cardinality of list items must be the same for "
                        "processing them in parallel (variable '%s')",
                        va->name);
            return NULL;
        }
        g_ptr_array_add(e->names, va->name);
    }
    for (guint i = 0; i < it->iters->len; i++)
        entryFindRepeats(it, &g_array_index(it->iters, IterEntry, i));
    return g_steal_pointer(&it);
}

static const char *
nth(GHashTable *vars, const char *name, guint n)
{
    GPtrArray *vals = g_hash_table_lookup(vars, name);
    if (!vals || n >= vals->len)
        return NULL;
    return vals->pdata[n];
}

gboolean
nwfVarIterNext(nwfVarIter *it)
{
    guint i;

    for (i = 0; i < it->iters->len; i++) {
        IterEntry *e = &g_array_index(it->iters, IterEntry, i);
        gboolean advanced = FALSE;

        while (++e->curValue <= e->maxValue) {
            if (!e->repeat || !e->repeat[e->curValue]) {
                advanced = TRUE;
                break;
            }
        }
        if (advanced)
            break;
        e->curValue = e->minValue;
    }
    return i < it->iters->len;
}

const char *
nwfVarIterGet(nwfVarIter *it, const nwfVarAccess *va, GError **error)
{
    for (guint i = 0; i < it->accesses->len; i++) {
        if (nwfVarAccessEqual(it->accesses->pdata[i], va)) {
            guint idx = g_array_index(it->accessIter, guint, i);
            IterEntry *e = &g_array_index(it->iters, IterEntry, idx);
            const char *v = nth(it->vars, va->name, e->curValue);
            if (!v)
                g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                            "could not get value %u of variable '%s'",
                            e->curValue, va->name);
            return v;
        }
    }
    g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                "could not find variable '%s' in iterator", va->name);
    return NULL;
}
