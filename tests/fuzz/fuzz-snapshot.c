/*
 * fuzz-snapshot.c: *-save output (vfSnapshotParse). The first byte picks
 * the layer (ebtables, iptables, ip6tables); the rest is the text.
 *
 * Chains keep their lines unparsed; parsing them later (a cut in place for
 * lines without quotes) must give the restore tools' tokens, and the
 * references counted from unparsed lines those of the parsed rules, and
 * each parsed rule be found in the lines (vfChainHasRule) unparsed.
 */
#include "fuzz-common.h"
#include "restore/snapshot.h"
#include "restore/syntax.h"

static void
checkChain(vfChain *lazy, vfTable *t, vfChain *c)
{
    GPtrArray *rules = vfChainRules(t, c);
    g_autofree char *text = g_strndup(lazy->lines, lazy->linesLen);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n = 0;

    for (gsize i = 0; lines[i]; i++) {
        g_auto(GStrv) w = NULL;
        const char *const *got;
        if (!*lines[i] && !lines[i + 1])
            break;   /* after the last newline */
        if (!g_str_has_prefix(lines[i], "-A "))
            g_error("chain %s holds a line that is no -A: '%s'", lazy->name, lines[i]);
        w = vfSyntaxSplit(lines[i] + 3);
        if (n >= rules->len)
            g_error("chain %s: fewer rules than lines", lazy->name);
        got = g_ptr_array_index(rules, n++);
        for (gsize k = 0; w[0] && (w[k + 1] || got[k]); k++) {
            if (g_strcmp0(w[k + 1], got[k]) != 0)
                g_error("chain %s, line '%s': token %zu is '%s', the tokenizer says '%s'",
                        lazy->name, lines[i], k, got[k], w[k + 1]);
        }
    }
    if (n != rules->len)
        g_error("chain %s: %u lines, %u rules", lazy->name, n, rules->len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(vfTableSet) set = NULL;
    g_autoptr(vfTableSet) copy = NULL;
    virFirewallLayer layer;

    if (size < 1)
        return 0;
    fuzzInit();
    layer = data[0] % VIR_FIREWALL_LAYER_LAST;
    text = fuzzString(data + 1, size - 1);
    set = vfTableSetNew(layer);
    if (!vfSnapshotParse(set, text, &error)) {
        if (!error)
            g_error("vfSnapshotParse failed without an error");
        return 0;
    }
    if (error)
        g_error("vfSnapshotParse succeeded with an error set");
    copy = vfTableSetCopy(set);
    for (guint i = 0; i < set->tables->len; i++) {
        vfTable *lt = g_ptr_array_index(set->tables, i);
        vfTable *t = vfTableSetGet(copy, lt->name);
        g_autoptr(GArray) before = g_array_new(FALSE, FALSE, sizeof(guint));
        for (guint j = 0; j < lt->chains->len; j++) {
            vfChain *lc = g_ptr_array_index(lt->chains, j);
            guint refs = vfTableCountReferences(lt, lc->name);
            g_array_append_val(before, refs);
        }
        for (guint j = 0; j < lt->chains->len; j++) {
            vfChain *lc = g_ptr_array_index(lt->chains, j);
            if (lc->lines) {
                vfChain *c = vfTableGetChain(t, lc->name);
                GPtrArray *rules;
                checkChain(lc, t, c);
                /* each rule is found in the lines it was cut from */
                rules = vfChainRules(t, c);
                for (guint k = 0; k < rules->len; k++) {
                    if (!vfChainHasRule(lt, lc, g_ptr_array_index(rules, k)))
                        g_error("chain %s: rule %u not found in its lines", lc->name, k);
                }
            }
            vfChainRules(lt, lc);
        }
        for (guint j = 0; j < lt->chains->len; j++) {
            vfChain *lc = g_ptr_array_index(lt->chains, j);
            if (vfTableCountReferences(lt, lc->name) != g_array_index(before, guint, j))
                g_error("chain %s: %u references while unparsed, %u parsed", lc->name,
                        g_array_index(before, guint, j), vfTableCountReferences(lt, lc->name));
        }
    }
    return 0;
}
