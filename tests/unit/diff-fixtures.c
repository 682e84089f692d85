/*
 * diff-fixtures.c: random tables and the tools' semantics, shared by the
 * test-diff* programs (see diff-fixtures.h)
 */
#include "diff-fixtures.h"

#include "restore/savefmt.h"
#include "restore/syntax.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

static const char *const alphabet[] = { "-j ACCEPT", "-j DROP", "-s 10.0.0.1 -j RETURN",
                                        "-i vnet0 -j c1", "-i vnet1 -j c2",
                                        "-m comment --comment \"a b\" -j ACCEPT", NULL };

GStrv
randomRule(GRand *r)
{
    guint n = g_strv_length((char **)alphabet);
    g_auto(GStrv) w = vfSyntaxSplit(alphabet[g_rand_int_range(r, 0, n)]);
    return vfRulePack((const char *const *)w);
}

vfTableSet *
randomSet(GRand *r, gboolean withC3)
{
    vfTableSet *set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    vfTable *t = vfTableSetEnsure(set, "filter");
    const char *chains[] = { "INPUT", "FORWARD", "c1", "c2", "c3" };

    vfTableAddChain(t, "c1", FALSE, NULL);
    vfTableAddChain(t, "c2", FALSE, NULL);
    if (withC3)
        vfTableAddChain(t, "c3", FALSE, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(chains); i++) {
        vfChain *c = vfTableGetChain(t, chains[i]);
        guint len = g_rand_int_range(r, 0, 12);
        for (guint k = 0; c && k < len; k++)
            vfTableInsertRule(t, c, vfChainRules(t, c)->len, randomRule(r));
    }
    return set;
}

gboolean
ruleEq(const char *const *a, const char *const *b)
{
    g_autofree char *x = g_strjoinv(" ", (char **)a);
    g_autofree char *y = g_strjoinv(" ", (char **)b);
    return g_str_equal(x, y);
}

/* Runs one restore line against @t, as the tools would. */
void
runLine(vfTable *t, const char *const *w)
{
    vfChain *c = w[1] ? vfTableGetChain(t, w[1]) : NULL;

    if (g_str_equal(w[0], "-N")) {
        assert_null(c);
        vfTableAddChain(t, w[1], FALSE, NULL);
    } else if (g_str_equal(w[0], "-X")) {
        assert_non_null(c);
        assert_int_equal(vfChainRules(t, c)->len, 0);
        assert_int_equal(vfTableCountReferences(t, w[1]), 0);
        vfTableRemoveChain(t, w[1]);
    } else if (g_str_equal(w[0], "-F")) {
        assert_non_null(c);
        vfTableFlushChain(t, c);
    } else if (g_str_equal(w[0], "-A")) {
        assert_non_null(c);
        vfTableInsertRule(t, c, vfChainRules(t, c)->len, vfRulePack(w + 2));
    } else if (g_str_equal(w[0], "-I")) {
        guint pos = atoi(w[2]);
        assert_non_null(c);
        assert_true(pos >= 1 && pos <= vfChainRules(t, c)->len + 1);
        vfTableInsertRule(t, c, pos - 1, vfRulePack(w + 3));
    } else if (g_str_equal(w[0], "-D") && g_ascii_isdigit(w[2][0]) && !w[3]) {
        guint pos = atoi(w[2]);
        assert_non_null(c);
        assert_true(pos >= 1 && pos <= vfChainRules(t, c)->len);
        g_free(vfTableStealRule(t, c, pos - 1));
    } else if (g_str_equal(w[0], "-D")) {
        guint i;
        assert_non_null(c);
        for (i = 0; i < vfChainRules(t, c)->len; i++) {
            if (ruleEq(g_ptr_array_index(vfChainRules(t, c), i), w + 2))
                break;
        }
        assert_true(i < vfChainRules(t, c)->len);
        g_free(vfTableStealRule(t, c, i));
    } else if (g_str_equal(w[0], "-P")) {
        assert_non_null(c);
        assert_true(c->builtin);
        vfTableSetPolicy(t, c, w[2]);
    } else {
        fail_msg("unexpected line %s", w[0]);
    }
}

/* Runs @diff's lines against @work as the tools would, and checks that
 * they make it @want; the number of lines. */
guint
runDiff(vfTableSet *work, const vfDiff *diff, const vfTableSet *want, guint round)
{
    g_autofree char *wantText = NULL, *got = NULL;
    guint lines = 0;

    for (guint s = 0; s < diff->scripts->len; s++) {
        vfPlanScript *script = g_ptr_array_index(diff->scripts, s);
        vfTable *t = vfTableSetGet(work, script->table);
        for (guint i = 0; i < script->entries->len; i++) {
            vfLogEntry *e = g_ptr_array_index(script->entries, i);
            runLine(t, (const char *const *)e->words);
            lines++;
        }
    }
    wantText = vfTableSetFormat(want);
    got = vfTableSetFormat(work);
    if (!g_str_equal(wantText, got))
        fail_msg("round %u: diff did not reach the result\nwant:\n%sgot:\n%s",
                 round, wantText, got);
    return lines;
}

char *
diffText(const vfDiff *diff)
{
    GString *out = g_string_new(NULL);

    for (guint s = 0; s < diff->scripts->len; s++) {
        vfPlanScript *script = g_ptr_array_index(diff->scripts, s);
        g_string_append_printf(out, "*%s\n", script->table);
        for (guint i = 0; i < script->entries->len; i++) {
            vfLogEntry *e = g_ptr_array_index(script->entries, i);
            g_autofree char *line = g_strjoinv(" ", e->words);
            g_string_append_printf(out, "%s\n", line);
        }
    }
    return g_string_free(out, FALSE);
}

char *
rulesOf(vfTable *t, const char *chain)
{
    GPtrArray *rules = vfChainRules(t, vfTableGetChain(t, chain));
    g_autoptr(GString) out = g_string_new(NULL);

    for (guint i = 0; i < rules->len; i++) {
        vfSaveFormatRule(out, t->layer, g_ptr_array_index(rules, i));
        g_string_append_c(out, '|');
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}
