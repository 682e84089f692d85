/*
 * fuzz-snapshot.c: *-save output (vfSnapshotParse). The first byte picks
 * the layer (ebtables, iptables, ip6tables); the rest is the text.
 *
 * Chains keep their lines unparsed; parsing them later (a cut in place for
 * plain lines) must give savefmt.c's reading of each line (a line may hold
 * line breaks: vfSaveLineEnd), and every reading print the line back
 * exactly (vfSaveFormatRule; an opaque rule verbatim); the references
 * counted from unparsed lines must be those of the parsed rules, and each
 * parsed rule be found in the lines (vfChainHasRule) unparsed. A set read
 * in full prints as it was read, and reads back the same.
 *
 * The same text read as *-save -c (vfSaveReadCounters): never longer than
 * it was, unchanged where no line starts with counters, every rule line
 * it reports a line of what it returns.
 */
#include "fuzz-common.h"
#include "restore/snapshot.h"
#include "restore/savefmt.h"

#include <string.h>

static void
checkChain(virFirewallLayer layer, vfChain *lazy, vfTable *t, vfChain *c)
{
    GPtrArray *rules = vfChainRules(t, c);
    const char *p = lazy->lines, *end = p + lazy->linesLen;
    gsize nameLen = strlen(lazy->name);
    guint n = 0;

    while (p < end) {
        const char *rule = p + 3 + nameLen, *le;
        g_auto(GStrv) w = NULL;
        g_autoptr(GString) again = g_string_new(NULL);
        const char *const *got;

        if (*p == '\n') {
            p++;
            continue;
        }
        if (strncmp(p, "-A ", 3) != 0 || rule > end || memcmp(p + 3, lazy->name, nameLen) != 0)
            g_error("chain %s holds a line that is not its own: '%.*s'", lazy->name,
                    (int)(end - p), p);
        if (rule < end && *rule == ' ')
            rule++;
        le = vfSaveLineEnd(layer, p, rule, end);
        w = vfSaveSplitRule(layer, rule, le);
        vfSaveFormatRule(again, layer, (const char *const *)w);
        if (again->len != (gsize)(le - rule) || memcmp(again->str, rule, again->len) != 0)
            g_error("chain %s: '%.*s' prints back as '%s'", lazy->name, (int)(le - rule),
                    rule, again->str);
        if (n >= rules->len)
            g_error("chain %s: fewer rules than lines", lazy->name);
        got = g_ptr_array_index(rules, n++);
        for (gsize k = 0; w[k] || got[k]; k++) {
            if (g_strcmp0(w[k], got[k]) != 0)
                g_error("chain %s, line '%.*s': token %zu is '%s', savefmt says '%s'",
                        lazy->name, (int)(le - p), p, k, got[k], w[k]);
        }
        p = le < end ? le + 1 : end;
    }
    if (n != rules->len)
        g_error("chain %s: %u lines, %u rules", lazy->name, n, rules->len);
}

static void
checkCounters(virFirewallLayer layer, const char *text)
{
    g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func((GDestroyNotify)vfSaveCountedFree);
    g_autofree char *out = vfSaveReadCounters(layer, text, strlen(text), rules);
    guint counted = 0;

    if (strlen(out) > strlen(text))
        g_error("*-save -c read longer than it was:\n%s---\n%s", text, out);
    for (guint i = 0; i < rules->len; i++) {
        vfSaveCounted *c = g_ptr_array_index(rules, i);
        if (!strstr(out, c->line))
            g_error("rule line '%s' is not in the text read", c->line);
        if (c->packets >= 0)
            counted++;
        else if (c->bytes >= 0)
            g_error("rule line '%s': bytes without packets", c->line);
    }
    if (!counted && !g_str_equal(out, text))
        g_error("no counters, but the text changed:\n%s---\n%s", text, out);
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
    checkCounters(layer, text);
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
                checkChain(layer, lc, t, c);
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
    if (!set->inexact) {
        /* read in full: printed as read (vfTableSetFormat drops the '#'
         * lines and blank ones), and read back the same */
        g_autofree char *once = vfTableSetFormat(set);
        g_autofree char *twice = NULL;
        g_autoptr(vfTableSet) again = vfTableSetNew(layer);
        if (!vfSnapshotParse(again, once, NULL) || again->inexact)
            g_error("the tables' own text does not read back:\n%s", once);
        twice = vfTableSetFormat(again);
        if (!g_str_equal(once, twice))
            g_error("printed, read and printed again differs:\n%s---\n%s", once, twice);
    }
    return 0;
}
