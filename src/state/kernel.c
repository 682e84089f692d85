/*
 * kernel.c: the kernel's rules per unit, hashed
 *
 * The *-save text of every layer, indexed by the unit (interface, the
 * networks) each line belongs to, and the hashes of those lines that the
 * state file compares; the id of a network namespace.
 */
#include "state.h"
#include "firewall/error.h"
#include "firewall/nftgen.h"
#include "firewall/restore/snapshot.h"
#include "firewall/restore/savefmt.h"
#include "network/network_iptables.h"
#include "nwfilter/chains.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

void
vfKernelStateFree(vfKernelState *ks)
{
    if (!ks)
        return;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        g_free(ks->save[l]);
    if (ks->index)
        g_hash_table_unref(ks->index);
    if (ks->ifnames)
        g_hash_table_unref(ks->ifnames);
    g_free(ks);
}

void
vfKernelStateIndex(vfKernelState *ks, const char *const *ifnames)
{
    g_clear_pointer(&ks->index, g_hash_table_unref);
    g_clear_pointer(&ks->ifnames, g_hash_table_unref);
    ks->ifnames = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (gsize i = 0; ifnames && ifnames[i]; i++)
        g_hash_table_add(ks->ifnames, g_strdup(ifnames[i]));
}

void
vfKernelStateSetScanMax(vfKernelState *ks, int max)
{
    ks->scanMax = max;
    g_clear_pointer(&ks->index, g_hash_table_unref);
}

/*
 * ---- the lines of a unit ----
 *
 * For each line of layer L, in table T (of the last "*T" line, "" before
 * any), the unit that owns it gets:
 *   ":CHAIN ..."    "L T :CHAIN" when it owns CHAIN (chainOwner);
 *   "-A CHAIN ..."  "L T -A CHAIN ..." when it owns CHAIN, else, when the
 *                   rule names it (ruleOwner), the same as a hook: its hooks
 *                   of a table are sorted and follow its other lines of that
 *                   table (flushRoots).
 * Owners are among the interfaces given to vfKernelStateIndex (and
 * "networks"). The hashes of these lines are in the state files of
 * running hosts: they must stay byte-identical (tests/unit/test-state.c
 * compares with a copy of the first implementation).
 *
 * A line is a line of *-save as savefmt.h reads it: it goes on where a
 * quoted comment or a name holds a line break, so a comment can never
 * make a line that is not one. Chain names are read as *-save prints
 * them (as they are); the words of a rule are what vfSaveSplitRule()
 * makes of it: for a plain rule, pieces of the line itself.
 */

typedef struct {
    const char *p;
    gsize n;
} vfWord;

typedef struct {
    GString *own;
    GPtrArray *roots;   /* of char*, sorted at the end of each table */
} vfUnitLines;

typedef struct {
    GHashTable *ifnames;
    GHashTable *index;      /* owner -> vfUnitLines */
    const char *only;       /* NULL: every owner */
    GString *prefix;        /* "L T " */
    GString *scratch;       /* a word, NUL-terminated, to look it up */
    GArray *words;          /* of vfWord: those of the current line */
    GStrv quoted;           /* their text when the line has quotes */
    const char *lastOwner;  /* the unit of the previous line (most are */
    vfUnitLines *lastUnit;  /* in runs of one chain) */
} vfScan;

static void
unitLinesFree(vfUnitLines *u)
{
    g_string_free(u->own, TRUE);
    g_ptr_array_unref(u->roots);
    g_free(u);
}

static vfUnitLines *
unitLines(GHashTable *index, const char *owner)
{
    vfUnitLines *u = g_hash_table_lookup(index, owner);

    if (!u) {
        u = g_new0(vfUnitLines, 1);
        u->own = g_string_new(NULL);
        u->roots = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(index, g_strdup(owner), u);
    }
    return u;
}

static const char *
lookupIfname(vfScan *s, const char *name, gsize n)
{
    gpointer key;

    g_string_truncate(s->scratch, 0);
    g_string_append_len(s->scratch, name, n);
    return g_hash_table_lookup_extended(s->ifnames, s->scratch->str, &key, NULL) ? key : NULL;
}

/* The interface whose name @rest starts with, followed by '-' (longest). */
static const char *
ifnamePrefix(vfScan *s, const char *rest, gsize n)
{
    const char *found = NULL, *end = rest + n;

    for (const char *p = memchr(rest, '-', n); p; p = memchr(p + 1, '-', end - p - 1)) {
        const char *key = lookupIfname(s, rest, p - rest);
        if (key)
            found = key;
    }
    return found;
}

/* The interface owning a chain (nwfilter/chains.h), or "networks" for
 * the network driver's LIBVIRT_* chains. */
static const char *
chainOwner(vfScan *s, const char *c, gsize n)
{
    const char *rest;

    if (n >= strlen(VF_CHAIN_PREFIX) && memcmp(c, VF_CHAIN_PREFIX, strlen(VF_CHAIN_PREFIX)) == 0)
        return "networks";
    switch (nwfChainParse(c, n, &rest)) {
    case NWF_CHAIN_ROOT:
    case NWF_CHAIN_IPT:
        return lookupIfname(s, rest, n - (rest - c));
    case NWF_CHAIN_SUB:
        return ifnamePrefix(s, rest, n - (rest - c));
    case NWF_CHAIN_OTHER:
        break;
    }
    return NULL;
}

static gboolean
wordIs(const vfWord *w, const char *lit)
{
    gsize n = strlen(lit);
    return w->n == n && memcmp(w->p, lit, n) == 0;
}

/* A hook (a rule of a shared chain, its words) belongs to the interface
 * it names, or to the networks when it jumps to their chains. */
static const char *
ruleOwner(vfScan *s)
{
    const vfWord *w = (const vfWord *)(gpointer)s->words->data;

    for (guint i = 0; i + 1 < s->words->len; i++) {
        if (wordIs(&w[i], "-i") || wordIs(&w[i], "-o") ||
            wordIs(&w[i], "--physdev-in") || wordIs(&w[i], "--physdev-out")) {
            const char *owner = lookupIfname(s, w[i + 1].p, w[i + 1].n);
            if (owner)
                return owner;
        }
        if ((wordIs(&w[i], "-j") || wordIs(&w[i], "-g")) &&
            w[i + 1].n >= strlen(VF_CHAIN_PREFIX) &&
            memcmp(w[i + 1].p, VF_CHAIN_PREFIX, strlen(VF_CHAIN_PREFIX)) == 0)
            return "networks";
    }
    return NULL;
}

/* s->words := the words of the rule text [p, end) */
static void
splitWords(vfScan *s, int layer, const char *p, const char *end)
{
    g_array_set_size(s->words, 0);
    g_clear_pointer(&s->quoted, g_strfreev);
    if (!vfSaveRuleIsPlain(layer, p, end)) {
        s->quoted = vfSaveSplitRule(layer, p, end);
        for (gsize i = 0; s->quoted[i]; i++) {
            vfWord w = { s->quoted[i], strlen(s->quoted[i]) };
            g_array_append_val(s->words, w);
        }
        return;
    }
    while (p < end) {
        vfWord w = { p, 0 };
        while (p < end && *p != ' ')
            p++;
        w.n = p - w.p;
        g_array_append_val(s->words, w);
        if (p < end)
            p++;
    }
}

/* Where the rule text of a "-A CHAIN ..." line starts (the chain is its
 * first word: libvirt's names hold no blank), and the chain's length;
 * NULL for other lines. */
static const char *
ruleStart(const char *line, const char *end, gsize *chainLen)
{
    const char *p = line + 3;

    if (end - line < 3 || memcmp(line, "-A ", 3) != 0)
        return NULL;
    while (p < end && *p != ' ' && *p != '\n')
        p++;
    if (chainLen)
        *chainLen = p - line - 3;
    return p < end && *p == ' ' ? p + 1 : p;
}

/* The lines of @owner, or NULL when only another owner's are wanted. */
static vfUnitLines *
unitOf(vfScan *s, const char *owner)
{
    if (s->only && !g_str_equal(owner, s->only))
        return NULL;
    if (owner != s->lastOwner) {
        s->lastUnit = unitLines(s->index, owner);
        s->lastOwner = owner;
    }
    return s->lastUnit;
}

static void
addOwn(vfScan *s, const char *owner, const char *mark, const char *text, gsize n)
{
    vfUnitLines *u = unitOf(s, owner);

    if (!u)
        return;
    g_string_append_len(u->own, s->prefix->str, s->prefix->len);
    g_string_append(u->own, mark);
    g_string_append_len(u->own, text, n);
    g_string_append_c(u->own, '\n');
}

static void
addRoot(vfScan *s, const char *owner, const char *line, gsize n)
{
    vfUnitLines *u = unitOf(s, owner);
    char *root;

    if (!u)
        return;
    root = g_malloc(s->prefix->len + n + 1);
    memcpy(root, s->prefix->str, s->prefix->len);
    memcpy(root + s->prefix->len, line, n);
    root[s->prefix->len + n] = '\0';
    g_ptr_array_add(u->roots, root);
}

static gint
strPtrCompare(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* End of a table: the order of hooks depends on the order interfaces were
 * instantiated (libvirt itself reorders them at restart), so sort them. */
static void
flushRoots(vfScan *s)
{
    GHashTableIter it;
    vfUnitLines *u;

    g_hash_table_iter_init(&it, s->index);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&u)) {
        if (!u->roots->len)
            continue;
        g_ptr_array_sort(u->roots, strPtrCompare);
        for (guint k = 0; k < u->roots->len; k++) {
            g_string_append(u->own, g_ptr_array_index(u->roots, k));
            g_string_append_c(u->own, '\n');
        }
        g_ptr_array_set_size(u->roots, 0);
    }
}

static void
setTable(vfScan *s, int layer, const char *table, gsize n)
{
    g_string_printf(s->prefix, "%d ", layer);
    g_string_append_len(s->prefix, table, n);
    g_string_append_c(s->prefix, ' ');
}

/* One line of *-save (line breaks inside it are a comment's or a
 * name's), @n bytes. */
static void
scanLine(vfScan *s, int layer, const char *line, gsize n)
{
    const char *owner, *name, *policy, *rule;
    gsize nameLen, policyLen, chainLen;

    if (n && line[0] == '*') {
        flushRoots(s);
        setTable(s, layer, line + 1, n - 1);
        return;
    }
    if (n && line[0] == ':') {
        /* policies and counters of declarations are not ours */
        if (vfSaveSplitDeclaration(layer, line, line + n, &name, &nameLen,
                                   &policy, &policyLen) &&
            (owner = chainOwner(s, name, nameLen)))
            addOwn(s, owner, ":", name, nameLen);
        return;
    }
    if (!(rule = ruleStart(line, line + n, &chainLen)))
        return;
    /* most lines belong to a unit's own chain and need no splitting */
    if ((owner = chainOwner(s, line + 3, chainLen)))
        addOwn(s, owner, "", line, n);
    else if ((splitWords(s, layer, rule, line + n), owner = ruleOwner(s)))
        addRoot(s, owner, line, n);
}

/* Where the next occurrence of a string is, from a position on: found
 * again only once the position passed it (the scan moves forward only). */
typedef struct {
    const char *pat;
    const char *at;   /* NULL: not looked for yet; the end: none */
} vfNeedle;

static const char *
needleFind(vfNeedle *nd, const char *from, const char *end)
{
    if (!nd->at || nd->at < from) {
        /* the text ends at its NUL: strstr() is several times faster
         * than memmem() in glibc */
        nd->at = strstr(from, nd->pat);
        if (!nd->at)
            nd->at = end;
    }
    return nd->at;
}

static void
scanText(vfScan *s, int layer, const char *text)
{
    const char *p = text, *end = text + strlen(text);
    vfNeedle needles[3] = { { 0 } };
    vfNeedle tables = { "\n*", NULL };
    guint nNeedles = 0;

    setTable(s, layer, "", 0);
    if (!s->only || !*s->only) {
        while (p < end) {
            const char *le = vfSaveLineEnd(layer, p, ruleStart(p, end, NULL), end);
            scanLine(s, layer, p, le - p);
            p = le < end ? le + 1 : end;
        }
        flushRoots(s);
        return;
    }

    /*
     * One owner: only the table lines and the lines that may be its are
     * looked at. A line can be the owner's only if one of its words
     * contains the owner's name (or, for "networks", LIBVIRT_). The words
     * of a line without '"' are pieces of it; those of a line with quotes
     * need not be (vfSaveSplitRule drops the quotes and the backslashes in
     * them), so such lines are always looked at. A line found so starts a
     * line of *-save: one that goes on past a line break in quotes has a
     * quote before it (looked at first, and its end found from there), and
     * the text after a line break in a name starts no line (scanLine
     * passes over it).
     */
    needles[nNeedles++] = (vfNeedle){ s->only, NULL };
    needles[nNeedles++] = (vfNeedle){ "\"", NULL };
    if (g_str_equal(s->only, "networks"))
        needles[nNeedles++] = (vfNeedle){ VF_CHAIN_PREFIX, NULL };
    while (p < end) {
        const char *line, *le;

        if (*p == '*') {
            line = p;
        } else {
            const char *t = needleFind(&tables, p, end);
            line = t < end ? t + 1 : end;
            for (guint k = 0; k < nNeedles; k++) {
                const char *m = needleFind(&needles[k], p, end);
                if (m < line) {
                    const char *ls = memrchr(p, '\n', m - p);
                    line = ls ? ls + 1 : p;
                }
            }
            if (line == end)
                break;
        }
        le = vfSaveLineEnd(layer, line, ruleStart(line, end, NULL), end);
        scanLine(s, layer, line, le - line);
        p = le < end ? le + 1 : end;
    }
    flushRoots(s);
}

/* The lines of @only (NULL: of every owner) into ks->index. */
static void
scan(vfKernelState *ks, const char *only)
{
    vfScan s = { 0 };

    s.ifnames = ks->ifnames;
    s.index = ks->index;
    s.only = only;
    s.prefix = g_string_new(NULL);
    s.scratch = g_string_new(NULL);
    s.words = g_array_new(FALSE, FALSE, sizeof(vfWord));
    if (only)
        unitLines(s.index, only);   /* asked for, even if it has no line */
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        scanText(&s, l, ks->save[l] ? ks->save[l] : "");
    g_string_free(s.prefix, TRUE);
    g_string_free(s.scratch, TRUE);
    g_array_unref(s.words);
    g_strfreev(s.quoted);
}

/*
 * A VM start hashes one interface: its lines are found by a scan that
 * looks only at the lines that may be its (0.2 ms at 1000 clean-traffic
 * interfaces, 1.7 MB of *-save, against 10 ms to sort every line). When
 * the state knows more than VF_KERNEL_SCAN_MAX interfaces (reconnect and
 * verify, which hash every unit), or more than VF_KERNEL_SCAN_MAX + 1
 * units are asked for, one pass sorts every line to its unit.
 */
#define VF_KERNEL_SCAN_MAX 8

static const char *
linesOf(vfKernelState *ks, const char *owner)
{
    int scanMax = ks->scanMax ? ks->scanMax : VF_KERNEL_SCAN_MAX;
    vfUnitLines *u;

    if (!ks->ifnames)
        vfKernelStateIndex(ks, NULL);
    if (!ks->index) {
        ks->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)unitLinesFree);
        ks->indexFull = FALSE;
        ks->scans = 0;
    }
    if (!ks->indexFull && !g_hash_table_contains(ks->index, owner)) {
        /* up to scanMax interfaces and the networks */
        if (scanMax > 0 && g_hash_table_size(ks->ifnames) <= (guint)scanMax &&
            ks->scans <= (guint)scanMax) {
            ks->scans++;
            scan(ks, owner);
        } else {
            g_hash_table_remove_all(ks->index);
            scan(ks, NULL);
            ks->indexFull = TRUE;
        }
    }
    u = g_hash_table_lookup(ks->index, owner);
    return u ? u->own->str : "";
}

static char *
sha256(const char *text)
{
    return g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
}

char *
vfKernelLinesInterface(vfKernelState *ks, const char *ifname)
{
    return g_strdup(linesOf(ks, ifname));
}

char *
vfKernelHashInterface(vfKernelState *ks, const char *ifname)
{
    return sha256(linesOf(ks, ifname));
}

char *
vfKernelHashNetworks(vfKernelState *ks)
{
    return sha256(linesOf(ks, "networks"));
}

char *
vfDesiredHash(GPtrArray *programs)
{
    g_autoptr(GString) text = g_string_new("virt-firewall " VF_VERSION "\n");

    for (guint i = 0; i < programs->len; i++) {
        g_autofree char *t = virFirewallToText(g_ptr_array_index(programs, i));
        g_string_append(text, t);
    }
    return sha256(text->str);
}
