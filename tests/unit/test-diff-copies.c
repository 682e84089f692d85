/*
 * test-diff-copies: a copy of tables edited as the simulation edits it
 * (rules inserted, deleted, appended after unparsed lines, chains made,
 * removed, renamed, policies set): the difference that looks at the
 * changed chains only is the one that compares every chain, and it
 * reaches the edited tables; a source changed after the copy is no longer
 * the copy's.
 */
#include "diff-fixtures.h"
#include "restore/syntax.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

/* A random rule for @c, if the chain it jumps to is there (the kernel
 * refuses a jump to nowhere). */
static void
insertRandomRule(GRand *r, vfTable *t, vfChain *c, guint pos)
{
    GStrv rule = randomRule(r);
    guint n = g_strv_length(rule);

    if (g_str_has_prefix(rule[n - 1], "c") && !vfTableGetChain(t, rule[n - 1]))
        g_free(rule);
    else
        vfTableInsertRule(t, c, pos, rule);
}

/* vfChainHasRule() against the parsed rules, for one of the chain's own
 * rules (cut from its lines as the tools' tokenizer cuts them) or a
 * random one; it may parse a chain only where its lines have quotes. */
static void
checkHasRule(GRand *r, vfTable *t, vfChain *c)
{
    g_autofree char *text = c->lines ? g_strndup(c->lines, c->linesLen) : NULL;
    g_auto(GStrv) lines = text ? g_strsplit(text, "\n", -1) : NULL;
    g_auto(GStrv) own = NULL;
    g_autofree GStrv rule = NULL;
    gboolean has, quoted = c->lines && memchr(c->lines, '"', c->linesLen);
    GPtrArray *rules;
    guint n = lines ? g_strv_length(lines) : 0;

    if (n && lines[n - 1][0] == '\0')
        n--;
    if (n && g_rand_boolean(r)) {
        own = vfSyntaxSplit(lines[g_rand_int_range(r, 0, n)] + 3);   /* "-A " */
        rule = vfRulePack((const char *const *)own + 1);
    } else {
        rule = randomRule(r);
    }
    has = vfChainHasRule(t, c, (const char *const *)rule);
    if (c->lines && !quoted && vfChainIsEmpty(c))
        fail_msg("vfChainHasRule emptied chain %s", c->name);
    if (!quoted && lines && !c->lines)
        fail_msg("vfChainHasRule parsed chain %s, which has no quotes", c->name);
    rules = vfChainRules(t, c);
    for (guint i = 0; i < rules->len; i++) {
        if (ruleEq(g_ptr_array_index(rules, i), (const char *const *)rule)) {
            if (!has)
                fail_msg("chain %s holds the rule; vfChainHasRule says no", c->name);
            return;
        }
    }
    if (has)
        fail_msg("chain %s lacks the rule; vfChainHasRule says yes", c->name);
}

/* -A: after the chain's lines, which stay unparsed. */
static void
appendRandomRule(GRand *r, vfTable *t, vfChain *c)
{
    GStrv rule = randomRule(r);
    guint n = g_strv_length(rule);
    gboolean hadLines = c->lines != NULL;

    if (g_str_has_prefix(rule[n - 1], "c") && !vfTableGetChain(t, rule[n - 1])) {
        g_free(rule);
        return;
    }
    vfTableAppendRule(t, c, rule);
    if (hadLines && !c->lines)
        fail_msg("an append parsed chain %s", c->name);
}

/* One random change to @t, through the calls the simulation makes. */
static void
randomEdit(GRand *r, vfTable *t, guint *fresh)
{
    vfChain *c = g_ptr_array_index(t->chains, g_rand_int_range(r, 0, t->chains->len));
    char name[32];

    switch (g_rand_int_range(r, 0, 10)) {
    case 0:
    case 1:
        insertRandomRule(r, t, c, g_rand_int_range(r, 0, vfChainRules(t, c)->len + 1));
        break;
    case 2:
        if (vfChainRules(t, c)->len)
            g_free(vfTableStealRule(t, c, g_rand_int_range(r, 0, vfChainRules(t, c)->len)));
        break;
    case 3:
        vfTableFlushChain(t, c);
        break;
    case 4:   /* a new chain, now and then under a name that was there */
        g_snprintf(name, sizeof(name), g_rand_boolean(r) ? "n%u" : "c%u",
                   g_rand_boolean(r) ? (*fresh)++ : (guint)g_rand_int_range(r, 1, 4));
        if (!vfTableGetChain(t, name)) {
            vfChain *n = vfTableAddChain(t, name, FALSE, NULL);
            if (g_rand_boolean(r))
                insertRandomRule(r, t, n, 0);
        }
        break;
    case 5:
        if (!c->builtin && vfTableCountReferences(t, c->name) == 0) {
            g_autofree char *gone = g_strdup(c->name);
            vfTableRemoveChain(t, gone);
        }
        break;
    case 6:
        g_snprintf(name, sizeof(name), "r%u", (*fresh)++);
        if (!c->builtin)
            vfTableRenameChain(t, c->name, name);
        break;
    case 7:
        if (c->builtin)
            vfTableSetPolicy(t, c, g_rand_boolean(r) ? "DROP" : "ACCEPT");
        break;
    case 8:
        appendRandomRule(r, t, c);
        break;
    case 9:
        checkHasRule(r, t, c);
        break;
    }
}

/* A copy edited as the simulation edits it: the difference that looks at
 * the changed chains only is the one that compares every chain, and it
 * reaches the edited tables. */
static void
test_copy_edits(void **state G_GNUC_UNUSED)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(112611);
    guint fresh = 100, lines = 0;

    for (guint round = 0; round < 3000; round++) {
        vfTableSet *from[VIR_FIREWALL_LAYER_LAST] = { NULL };
        vfTableSet *to[VIR_FIREWALL_LAYER_LAST] = { NULL };
        g_autoptr(vfTableSet) before = randomSet(r, g_rand_boolean(r));
        g_autoptr(vfTableSet) after = NULL;
        g_autoptr(vfTableSet) work = NULL;
        g_autoptr(vfDiff) fast = NULL, slow = NULL;
        g_autofree char *why = NULL, *fastText = NULL, *slowText = NULL;
        guint edits = g_rand_int_range(r, 0, 6);
        vfTable *t;

        if (round % 2) {   /* unparsed chains, as a snapshot has them */
            g_autofree char *bt = vfTableSetFormat(before);
            g_clear_pointer(&before, vfTableSetFree);
            before = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
            assert_true(vfSnapshotParse(before, bt, NULL));
            if (round % 4 == 3) {   /* kept tables: rules after the lines */
                vfTable *bt0 = vfTableSetGet(before, "filter");
                for (guint k = 0; k < 3; k++)
                    appendRandomRule(r, bt0, g_ptr_array_index(bt0->chains,
                                                g_rand_int_range(r, 0, bt0->chains->len)));
            }
        }
        after = vfTableSetCopy(before);
        work = vfTableSetCopy(before);
        t = vfTableSetGet(after, "filter");
        for (guint e = 0; e < edits; e++)
            randomEdit(r, t, &fresh);
        assert_true(vfTableCopiedFrom(t, vfTableSetGet(before, "filter")));

        from[VIR_FIREWALL_LAYER_IPV4] = before;
        to[VIR_FIREWALL_LAYER_IPV4] = after;
        fast = vfDiffBuild(from, to, &why);
        slow = vfDiffBuildEveryChain(from, to, &why);
        assert_non_null(fast);
        assert_non_null(slow);
        fastText = diffText(fast);
        slowText = diffText(slow);
        if (!g_str_equal(fastText, slowText))
            fail_msg("round %u: the copy's difference differs\nfast:\n%sslow:\n%s",
                     round, fastText, slowText);
        lines += runDiff(work, fast, after, round);
        {
            /* unparsed lines and what was appended after them print as
             * the parsed rules do */
            g_autofree char *lazy = vfTableSetFormat(after), *full = NULL;
            for (guint i = 0; i < t->chains->len; i++)
                vfChainRules(t, g_ptr_array_index(t->chains, i));
            full = vfTableSetFormat(after);
            if (!g_str_equal(lazy, full))
                fail_msg("round %u: printed unparsed\n%sparsed:\n%s", round, lazy, full);
        }
    }
    print_message("3000 edited copies, %u lines\n", lines);
}

/* A source changed after the copy: the copy's chains are no longer its. */
static void
test_copy_of_changed(void **state G_GNUC_UNUSED)
{
    g_autoptr(vfTableSet) a = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    g_autoptr(vfTableSet) b = NULL;
    vfTable *ta = vfTableSetEnsure(a, "filter"), *tb;
    const char *w[] = { "-j", "ACCEPT", NULL };
    vfTableSet *from[VIR_FIREWALL_LAYER_LAST] = { NULL };
    vfTableSet *to[VIR_FIREWALL_LAYER_LAST] = { NULL };
    g_autofree char *why = NULL;
    g_autoptr(vfDiff) diff = NULL;

    vfTableAddChain(ta, "x", FALSE, NULL);
    b = vfTableSetCopy(a);
    tb = vfTableSetGet(b, "filter");
    assert_true(vfTableCopiedFrom(tb, ta));
    assert_false(vfTableCopiedFrom(ta, tb));
    vfChainRules(ta, vfTableGetChain(ta, "x"));   /* reading is no change */
    assert_true(vfTableCopiedFrom(tb, ta));
    vfTableInsertRule(ta, vfTableGetChain(ta, "x"), 0, vfRulePack(w));
    assert_false(vfTableCopiedFrom(tb, ta));
    from[VIR_FIREWALL_LAYER_IPV4] = a;
    to[VIR_FIREWALL_LAYER_IPV4] = b;
    diff = vfDiffBuild(from, to, &why);
    assert_non_null(diff);
    assert_int_equal(diff->lines, 1);   /* the rule b never had goes */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_edits),
        cmocka_unit_test(test_copy_of_changed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
