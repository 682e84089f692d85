/*
 * verify-diff.c: the differences between the lines a unit should have and
 * those the kernel holds, and the chains left of interfaces that are gone
 */
#include "verify.h"
#include "firewall/firewall.h"
#include "firewall/restore/savefmt.h"
#include "nwfilter/chains.h"

#include <string.h>

void
vfVerifyItemFree(vfVerifyItem *item)
{
    if (!item)
        return;
    g_free(item->table);
    g_free(item->chain);
    g_free(item->rule);
    g_free(item->kernel);
    g_free(item);
}

void
vfVerifyOrphanFree(vfVerifyOrphan *o)
{
    if (!o)
        return;
    g_free(o->ifname);
    g_ptr_array_unref(o->items);
    g_free(o);
}

const char *
vfVerifyTool(int layer)
{
    switch (layer) {
    case VIR_FIREWALL_LAYER_ETHERNET: return "ebtables";
    case VIR_FIREWALL_LAYER_IPV4: return "iptables";
    case VIR_FIREWALL_LAYER_IPV6: return "ip6tables";
    }
    return "?";
}

static vfVerifyItem *
itemNew(vfVerifyKind kind, int layer, const char *table, const char *chain,
        const char *rule, const char *kernel)
{
    vfVerifyItem *it = g_new0(vfVerifyItem, 1);

    it->kind = kind;
    it->layer = layer;
    it->table = g_strdup(table);
    it->chain = g_strdup(chain);
    it->rule = g_strdup(rule);
    it->kernel = g_strdup(kernel);
    return it;
}

/* ---- one unit ---- */

/* A chain of the unit (its own, or a shared one holding its hooks). */
typedef struct {
    int layer;
    char *table;
    char *chain;
    gboolean declared[2];   /* [0] wanted, [1] in the kernel */
    GPtrArray *rules[2];    /* of const char* into the texts */
} vfChainLines;

static void
chainLinesFree(vfChainLines *c)
{
    g_free(c->table);
    g_free(c->chain);
    g_ptr_array_unref(c->rules[0]);
    g_ptr_array_unref(c->rules[1]);
    g_free(c);
}

/* Does a unit line start at @p: "L T :..." or "L T -A ..."? A line break
 * inside a quoted comment is followed by anything else. */
static gboolean
unitLineStarts(const char *p)
{
    const char *sp;

    if (!g_ascii_isdigit(p[0]) || p[1] != ' ' || !(sp = strchr(p + 2, ' ')))
        return FALSE;
    return sp[1] == ':' || g_str_has_prefix(sp + 1, "-A ");
}

/* Cuts @text (taken) into its lines, in place. */
static GPtrArray *
unitLines(char *text)
{
    GPtrArray *lines = g_ptr_array_new();
    char *p = text;

    while (*p) {
        char *e = p;
        g_ptr_array_add(lines, p);
        while ((e = strchr(e, '\n')) && !unitLineStarts(e + 1))
            e++;
        if (!e)
            break;
        *e = '\0';
        p = e + 1;
    }
    return lines;
}

static void
addLines(GPtrArray *chains, GHashTable *byKey, char *text, int side)
{
    g_autoptr(GPtrArray) lines = unitLines(text);

    for (guint i = 0; i < lines->len; i++) {
        char *line = g_ptr_array_index(lines, i);
        char *tableEnd = strchr(line + 2, ' ');
        const char *what = tableEnd + 1;
        g_autofree char *table = g_strndup(line + 2, tableEnd - (line + 2));
        g_autofree char *chain = NULL;
        g_autofree char *key = NULL;
        vfChainLines *c;

        if (*what == ':') {
            chain = g_strdup(what + 1);
        } else {
            const char *ce = what + 3;
            while (*ce && *ce != ' ')
                ce++;
            chain = g_strndup(what + 3, ce - (what + 3));
        }
        key = g_strdup_printf("%c %s %s", line[0], table, chain);
        if (!(c = g_hash_table_lookup(byKey, key))) {
            c = g_new0(vfChainLines, 1);
            c->layer = line[0] - '0';
            c->table = g_steal_pointer(&table);
            c->chain = g_steal_pointer(&chain);
            c->rules[0] = g_ptr_array_new();
            c->rules[1] = g_ptr_array_new();
            g_ptr_array_add(chains, c);
            g_hash_table_insert(byKey, g_steal_pointer(&key), c);
        }
        if (*what == ':')
            c->declared[side] = TRUE;
        else
            g_ptr_array_add(c->rules[side], (gpointer)what);
    }
}

/* Beyond this many cells the rules are compared as sets: a shared chain
 * of thousands of hooks has no "place" worth pairing rules by. */
#define VF_VERIFY_LCS_MAX (4u * 1024 * 1024)

static void
addRun(GPtrArray *out, const vfChainLines *c, const char *const *miss, guint nMiss,
       const char *const *extra, guint nExtra)
{
    guint k = 0;

    for (; k < nMiss && k < nExtra; k++)
        g_ptr_array_add(out, itemNew(VF_VERIFY_CHANGED, c->layer, c->table, c->chain,
                                     miss[k], extra[k]));
    for (guint j = k; j < nMiss; j++)
        g_ptr_array_add(out, itemNew(VF_VERIFY_MISSING, c->layer, c->table, c->chain,
                                     miss[j], NULL));
    for (guint j = k; j < nExtra; j++)
        g_ptr_array_add(out, itemNew(VF_VERIFY_EXTRA, c->layer, c->table, c->chain,
                                     extra[j], NULL));
}

static void
addSame(GPtrArray *out, const vfChainLines *c, const char *const *rules, guint n)
{
    for (guint k = 0; k < n; k++)
        g_ptr_array_add(out, itemNew(VF_VERIFY_SAME, c->layer, c->table, c->chain,
                                     rules[k], NULL));
}

/* The rules of a chain both sides have: a longest common subsequence;
 * what differs at one place is "changed", the rest missing or extra.
 * @full: the equal rules too (VF_VERIFY_SAME), in their order. */
static void
compareRules(GPtrArray *out, const vfChainLines *c, gboolean full)
{
    const char *const *a = (const char *const *)c->rules[0]->pdata;
    const char *const *b = (const char *const *)c->rules[1]->pdata;
    guint n = c->rules[0]->len, m = c->rules[1]->len, lo = 0, tail = 0;
    g_autofree guint *len = NULL;
    g_autoptr(GPtrArray) miss = g_ptr_array_new();
    g_autoptr(GPtrArray) extra = g_ptr_array_new();
    guint i, j;

    while (lo < n && lo < m && g_str_equal(a[lo], b[lo]))
        lo++;
    while (n > lo && m > lo && g_str_equal(a[n - 1], b[m - 1]))
        n--, m--, tail++;
    if (full)
        addSame(out, c, a, lo);
    a += lo, b += lo, n -= lo, m -= lo;
    if (!n || !m || (gsize)(n + 1) * (m + 1) > VF_VERIFY_LCS_MAX) {
        /* as sets (a multiset difference) */
        g_autoptr(GHashTable) count = g_hash_table_new(g_str_hash, g_str_equal);
        for (j = 0; j < m; j++)
            g_hash_table_insert(count, (gpointer)b[j],
                                GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(count, b[j])) + 1));
        for (i = 0; i < n; i++) {
            guint k = GPOINTER_TO_UINT(g_hash_table_lookup(count, a[i]));
            if (k) {
                g_hash_table_insert(count, (gpointer)a[i], GUINT_TO_POINTER(k - 1));
                if (full)
                    addSame(out, c, &a[i], 1);
            } else {
                g_ptr_array_add(miss, (gpointer)a[i]);
            }
        }
        for (j = 0; j < m; j++) {
            guint k = GPOINTER_TO_UINT(g_hash_table_lookup(count, b[j]));
            if (k) {
                g_hash_table_insert(count, (gpointer)b[j], GUINT_TO_POINTER(k - 1));
                g_ptr_array_add(extra, (gpointer)b[j]);
            }
        }
        if (miss->len && extra->len && (gsize)(n + 1) * (m + 1) > VF_VERIFY_LCS_MAX) {
            addRun(out, c, (const char *const *)miss->pdata, miss->len, NULL, 0);
            addRun(out, c, NULL, 0, (const char *const *)extra->pdata, extra->len);
        } else {
            addRun(out, c, (const char *const *)miss->pdata, miss->len,
                   (const char *const *)extra->pdata, extra->len);
        }
        if (full)
            addSame(out, c, a + n, tail);
        return;
    }
    /* len[i][j]: the LCS of a[i..] and b[j..] */
    len = g_new0(guint, (gsize)(n + 1) * (m + 1));
#define L(x, y) len[(gsize)(x) * (m + 1) + (y)]
    for (i = n; i-- > 0;) {
        for (j = m; j-- > 0;)
            L(i, j) = g_str_equal(a[i], b[j]) ? L(i + 1, j + 1) + 1
                                              : MAX(L(i + 1, j), L(i, j + 1));
    }
    i = j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && g_str_equal(a[i], b[j])) {
            addRun(out, c, (const char *const *)miss->pdata, miss->len,
                   (const char *const *)extra->pdata, extra->len);
            g_ptr_array_set_size(miss, 0);
            g_ptr_array_set_size(extra, 0);
            if (full)
                addSame(out, c, &a[i], 1);
            i++, j++;
        } else if (j == m || (i < n && L(i + 1, j) >= L(i, j + 1))) {
            g_ptr_array_add(miss, (gpointer)a[i++]);
        } else {
            g_ptr_array_add(extra, (gpointer)b[j++]);
        }
    }
#undef L
    addRun(out, c, (const char *const *)miss->pdata, miss->len,
           (const char *const *)extra->pdata, extra->len);
    if (full)
        addSame(out, c, a + n, tail);
}

static GPtrArray *
compareUnit(const char *want, const char *have, gboolean full)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)vfVerifyItemFree);
    g_autoptr(GPtrArray) chains = g_ptr_array_new_with_free_func((GDestroyNotify)chainLinesFree);
    g_autoptr(GHashTable) byKey = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *w = g_strdup(want);
    g_autofree char *h = g_strdup(have);

    if (!full && g_str_equal(want, have))
        return out;
    addLines(chains, byKey, w, 0);
    addLines(chains, byKey, h, 1);
    for (guint i = 0; i < chains->len; i++) {
        vfChainLines *c = g_ptr_array_index(chains, i);
        if (c->declared[0] && !c->declared[1]) {
            g_ptr_array_add(out, itemNew(VF_VERIFY_MISSING, c->layer, c->table, c->chain,
                                         NULL, NULL));
            if (full)
                addRun(out, c, (const char *const *)c->rules[0]->pdata, c->rules[0]->len,
                       NULL, 0);
        } else if (c->declared[1] && !c->declared[0]) {
            g_ptr_array_add(out, itemNew(VF_VERIFY_EXTRA, c->layer, c->table, c->chain,
                                         NULL, NULL));
            if (full)
                addRun(out, c, NULL, 0, (const char *const *)c->rules[1]->pdata,
                       c->rules[1]->len);
        } else {
            if (full)
                g_ptr_array_add(out, itemNew(VF_VERIFY_SAME, c->layer, c->table, c->chain,
                                             NULL, NULL));
            compareRules(out, c, full);
        }
    }
    return out;
}

GPtrArray *
vfVerifyCompare(const char *want, const char *have)
{
    return compareUnit(want, have, FALSE);
}

GPtrArray *
vfVerifyCompareAll(const char *want, const char *have)
{
    return compareUnit(want, have, TRUE);
}

/* ---- orphans ---- */

/*
 * The interface a chain named as libvirt names an interface's chains is
 * for (owned by one of @named if it can be); NULL for other chains. A
 * sub-chain [IOJP]-IF-SUFFIX is ambiguous (both may hold '-'): its
 * interface is the longest in @named, else in @roots (the interfaces of
 * orphan chains with one reading), else the text up to the first '-'.
 */
static char *
chainIfname(const char *c, GHashTable *named, GHashTable *roots, gboolean *isSub)
{
    const char *rest, *dash;
    nwfChainKind kind = nwfChainParse(c, strlen(c), &rest);
    g_autofree char *found = NULL;

    *isSub = FALSE;
    if (kind == NWF_CHAIN_OTHER || !*rest)
        return NULL;
    if (kind == NWF_CHAIN_ROOT || kind == NWF_CHAIN_IPT)
        return g_strdup(rest);
    *isSub = TRUE;
    for (int pass = 0; pass < 2 && !found; pass++) {
        GHashTable *set = pass ? roots : named;
        for (const char *p = strchr(rest, '-'); set && p; p = strchr(p + 1, '-')) {
            g_autofree char *name = g_strndup(rest, p - rest);
            if (g_hash_table_contains(set, name)) {
                g_free(found);
                found = g_steal_pointer(&name);
            }
        }
    }
    if (found)
        return g_steal_pointer(&found);
    if ((dash = strchr(rest, '-')) && dash != rest)
        return g_strndup(rest, dash - rest);
    return NULL;
}

typedef void (*vfSaveLineFunc)(int layer, const char *table, const char *line,
                               const char *end, gpointer data);

static void
eachLine(vfKernelState *ks, vfSaveLineFunc fn, gpointer data)
{
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        const char *p = ks->save[l] ? ks->save[l] : "";
        const char *end = p + strlen(p);
        g_autofree char *table = g_strdup("");

        while (p < end) {
            const char *rule = g_str_has_prefix(p, "-A ") ? strchr(p + 3, ' ') : NULL;
            const char *le = vfSaveLineEnd(l, p, rule ? rule + 1 : NULL, end);
            if (*p == '*') {
                g_free(table);
                table = g_strndup(p + 1, le - p - 1);
            } else {
                fn(l, table, p, le, data);
            }
            p = le < end ? le + 1 : end;
        }
    }
}

typedef struct {
    GHashTable *named;
    GHashTable *roots;       /* ifname of orphan chains with one reading */
    GHashTable *chains;      /* "L T CHAIN" -> ifname */
    GHashTable *byIf;        /* ifname -> vfVerifyOrphan* */
    int pass;
} vfOrphanScan;

static vfVerifyOrphan *
orphanOf(vfOrphanScan *s, const char *ifname)
{
    vfVerifyOrphan *o = g_hash_table_lookup(s->byIf, ifname);

    if (!o) {
        o = g_new0(vfVerifyOrphan, 1);
        o->ifname = g_strdup(ifname);
        o->items = g_ptr_array_new_with_free_func((GDestroyNotify)vfVerifyItemFree);
        g_hash_table_insert(s->byIf, o->ifname, o);
    }
    return o;
}

/* Passes 0 and 1: the declarations, roots first; pass 2: the jumps. */
static void
orphanLine(int layer, const char *table, const char *line, const char *end,
           gpointer data)
{
    vfOrphanScan *s = data;
    const char *name, *policy;
    gsize nameLen, policyLen;

    if (s->pass < 2 && *line == ':' &&
        vfSaveSplitDeclaration(layer, line, end, &name, &nameLen, &policy, &policyLen)) {
        g_autofree char *chain = g_strndup(name, nameLen);
        gboolean isSub;
        g_autofree char *ifname = chainIfname(chain, s->named, s->roots, &isSub);

        if (!ifname || g_hash_table_contains(s->named, ifname) || isSub != (s->pass == 1))
            return;
        if (!isSub)
            g_hash_table_add(s->roots, g_strdup(ifname));
        g_hash_table_insert(s->chains, g_strdup_printf("%d %s %s", layer, table, chain),
                            g_strdup(ifname));
        g_ptr_array_add(orphanOf(s, ifname)->items,
                        itemNew(VF_VERIFY_ORPHAN, layer, table, chain, NULL, NULL));
    } else if (s->pass == 2 && g_str_has_prefix(line, "-A ")) {
        const char *rs = strchr(line + 3, ' ');
        g_auto(GStrv) words = NULL;
        g_autofree char *chain = NULL;
        g_autofree char *key = NULL;

        if (!rs || rs >= end)
            return;
        chain = g_strndup(line + 3, rs - line - 3);
        /* a rule of an orphan chain goes with its chain */
        key = g_strdup_printf("%d %s %s", layer, table, chain);
        if (g_hash_table_contains(s->chains, key))
            return;
        words = vfSaveSplitRule(layer, rs + 1, end);
        for (gsize k = 0; words && words[k] && words[k + 1]; k++) {
            const char *ifname;
            if (!g_str_equal(words[k], "-j") && !g_str_equal(words[k], "-g"))
                continue;
            g_free(key);
            key = g_strdup_printf("%d %s %s", layer, table, words[k + 1]);
            if ((ifname = g_hash_table_lookup(s->chains, key))) {
                g_autofree char *rule = g_strndup(line, end - line);
                g_ptr_array_add(orphanOf(s, ifname)->items,
                                itemNew(VF_VERIFY_ORPHAN, layer, table, chain, rule, NULL));
                break;
            }
        }
    }
}

static gint
orphanCompare(gconstpointer a, gconstpointer b)
{
    return g_strcmp0((*(vfVerifyOrphan *const *)a)->ifname,
                     (*(vfVerifyOrphan *const *)b)->ifname);
}

GPtrArray *
vfVerifyOrphans(vfKernelState *ks, GHashTable *named)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)vfVerifyOrphanFree);
    vfOrphanScan s = { named };
    GHashTableIter it;
    gpointer o;

    s.roots = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s.chains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    s.byIf = g_hash_table_new(g_str_hash, g_str_equal);
    for (s.pass = 0; s.pass < 3; s.pass++)
        eachLine(ks, orphanLine, &s);
    g_hash_table_iter_init(&it, s.byIf);
    while (g_hash_table_iter_next(&it, NULL, &o))
        g_ptr_array_add(out, o);
    g_ptr_array_sort(out, orphanCompare);
    g_hash_table_unref(s.roots);
    g_hash_table_unref(s.chains);
    g_hash_table_unref(s.byIf);
    return out;
}
