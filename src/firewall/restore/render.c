/*
 * render.c: log entries → restore input
 *
 * Every word passes through vfSyntaxAppendWord, so an argument can never
 * start a new line, a new table or a COMMIT: it is one word to the tool.
 */
#include "render.h"
#include "syntax.h"

static void
appendLine(GString *out, const char *const *words)
{
    for (gsize i = 0; words[i]; i++) {
        if (i)
            g_string_append_c(out, ' ');
        vfSyntaxAppendWord(out, words[i]);
    }
    g_string_append_c(out, '\n');
}

/* The chain a rule line jumps or goes to, if any (a target too). */
static const char *
jumpTarget(const vfLogEntry *e)
{
    for (gsize i = 0; e->words[i] && e->words[i + 1]; i++) {
        const char *w = e->words[i];
        if (g_str_equal(w, "-j") || g_str_equal(w, "--jump") ||
            g_str_equal(w, "-g") || g_str_equal(w, "--goto"))
            return e->words[i + 1];
    }
    return NULL;
}

/*
 * The entries written before the listing (vfRenderListingSafe), by index
 * in script order: per builtin chain whose first line appends or inserts,
 * that line and the -N of the chain it jumps to if the script makes it.
 * FALSE when one of those cannot go ahead of the lines before it (its
 * target deleted or renamed, or made twice, before it). @firstOther gets
 * the builtin chains whose first line is anything else.
 */
static gboolean
listingPrelude(const vfPlanScript *script, GArray *moved, GPtrArray *firstOther)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < script->entries->len; i++) {
        const vfLogEntry *e = g_ptr_array_index(script->entries, i);
        const char *target;
        gint made = -1;

        if (!e->chain || !vfChainIsBuiltin(script->layer, script->table, e->chain) ||
            !g_hash_table_add(seen, e->chain))
            continue;
        if (e->op != VF_OP_APPEND && e->op != VF_OP_INSERT) {
            g_ptr_array_add(firstOther, e->chain);
            continue;
        }
        if ((target = jumpTarget(e))) {
            for (guint k = 0; k < i; k++) {
                const vfLogEntry *b = g_ptr_array_index(script->entries, k);
                gboolean names = g_strcmp0(b->chain, target) == 0 ||
                                 g_strcmp0(b->chain2, target) == 0;
                if (!names)
                    continue;
                if (b->op == VF_OP_DELETE_CHAIN || b->op == VF_OP_RENAME ||
                    (b->op == VF_OP_NEW_CHAIN && made >= 0))
                    return FALSE;
                if (b->op == VF_OP_NEW_CHAIN)
                    made = k;
            }
        }
        if (made >= 0) {
            gboolean already = FALSE;
            for (guint k = 0; k < moved->len; k++)
                already |= g_array_index(moved, guint, k) == (guint)made;
            if (!already)
                g_array_append_val(moved, made);
        }
        g_array_append_val(moved, i);
    }
    return TRUE;
}

gboolean
vfRenderListingSafe(const vfPlanScript *script, const vfTable *before)
{
    g_autoptr(GArray) moved = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GPtrArray) others = g_ptr_array_new();

    if (!listingPrelude(script, moved, others))
        return FALSE;
    for (guint i = 0; i < others->len; i++) {
        vfChain *c = before ? vfTableGetChain(before, g_ptr_array_index(others, i)) : NULL;
        if (!c || vfChainIsEmpty(c))   /* *-save prints absent builtins too */
            return FALSE;
    }
    return TRUE;
}

char *
vfRenderScript(const vfPlanScript *script, GPtrArray **lines)
{
    GString *out = g_string_new(NULL);
    GPtrArray *map = g_ptr_array_new();
    g_autoptr(GArray) moved = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autofree gboolean *isMoved = NULL;

    g_string_append_printf(out, "*%s\n", script->table);
    g_ptr_array_add(map, NULL);
    if (script->listing) {
        g_autoptr(GPtrArray) others = g_ptr_array_new();

        /* decided safe by the caller: the prelude is there */
        listingPrelude(script, moved, others);
        isMoved = g_new0(gboolean, script->entries->len);
        for (guint k = 0; k < moved->len; k++) {
            guint i = g_array_index(moved, guint, k);
            vfLogEntry *e = g_ptr_array_index(script->entries, i);
            isMoved[i] = TRUE;
            appendLine(out, (const char *const *)e->words);
            g_ptr_array_add(map, e);
        }
        /* ebtables has no -S; -S prints iptables' rules faster than -L */
        g_string_append(out, script->layer == VIR_FIREWALL_LAYER_ETHERNET ? "-L\n" : "-S\n");
        g_ptr_array_add(map, NULL);
    }
    for (guint i = 0; i < script->entries->len; i++) {
        vfLogEntry *e = g_ptr_array_index(script->entries, i);
        if (isMoved && isMoved[i])
            continue;
        appendLine(out, (const char *const *)e->words);
        g_ptr_array_add(map, e);
    }
    g_string_append(out, "COMMIT\n");
    g_ptr_array_add(map, NULL);
    if (lines)
        *lines = map;
    else
        g_ptr_array_unref(map);
    return g_string_free(out, FALSE);
}

/*
 * The nft tools (iptables 1.8.9's nft-cache.c) keep every chain a --noflush
 * input names in a sorted linked list, to fetch only those: each line
 * walks it, ~2.4 ns per line and chain named, measured at 1000 interfaces
 * (a cold start's ebtables nat, 47 000 lines naming 9000 chains: 1.0 s of
 * ebtables-restore's 1.6 s; iptables filter, 22 000 naming 3000: 0.15 s of
 * 0.6 s). A line naming no chain, such as a listing, makes them read the
 * whole table instead, which costs by what it holds: ebtables -L ~38 us
 * per rule or chain (29 000 rules: 1.1 s), iptables -S ~10.5 us (19 000:
 * 0.2 s). Under 5 ms of list, no line is worth writing.
 */
#define VF_LIST_NS_PER_LINE_CHAIN 2.4
#define VF_LISTING_NS_EBTABLES 38000.0
#define VF_LISTING_NS_IPTABLES 10500.0
#define VF_LIST_NS_WORTH 5e6

gboolean
vfRenderListingPays(const vfPlanScript *script, const vfTable *before)
{
    g_autoptr(GHashTable) chains = NULL;
    double lines = script->entries->len, listNs, listingNs = 0;

    /* no more chains than lines */
    if (VF_LIST_NS_PER_LINE_CHAIN * lines * lines < VF_LIST_NS_WORTH)
        return FALSE;
    chains = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < script->entries->len; i++) {
        const vfLogEntry *e = g_ptr_array_index(script->entries, i);
        const char *named[] = { e->chain, e->chain2, e->target };

        for (gsize k = 0; k < G_N_ELEMENTS(named); k++) {
            if (named[k])
                g_hash_table_add(chains, (gpointer)named[k]);
        }
    }
    listNs = VF_LIST_NS_PER_LINE_CHAIN * lines * g_hash_table_size(chains);
    if (listNs < VF_LIST_NS_WORTH)
        return FALSE;
    if (before)
        listingNs = (script->layer == VIR_FIREWALL_LAYER_ETHERNET ?
                     VF_LISTING_NS_EBTABLES : VF_LISTING_NS_IPTABLES) *
                    (double)(vfTableCountRules(before) + before->chains->len);
    return listNs > listingNs;
}

GStrv
vfRenderRestoreArgv(virFirewallLayer layer, guint waitSeconds)
{
    GPtrArray *argv = g_ptr_array_new();

    switch (layer) {
    case VIR_FIREWALL_LAYER_ETHERNET:
        /* ebtables-restore rejects -w and ignores a file: stdin only */
        g_ptr_array_add(argv, g_strdup("ebtables-restore"));
        break;
    case VIR_FIREWALL_LAYER_IPV4:
    case VIR_FIREWALL_LAYER_IPV6:
        g_ptr_array_add(argv, g_strdup(layer == VIR_FIREWALL_LAYER_IPV4 ?
                                       "iptables-restore" : "ip6tables-restore"));
        g_ptr_array_add(argv, g_strdup("-w"));
        g_ptr_array_add(argv, g_strdup_printf("%u", waitSeconds));
        break;
    case VIR_FIREWALL_LAYER_LAST:
        break;
    }
    g_ptr_array_add(argv, g_strdup("--noflush"));
    g_ptr_array_add(argv, NULL);
    return (GStrv)g_ptr_array_free(argv, FALSE);
}
