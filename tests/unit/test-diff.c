/*
 * test-diff: the lines restore/diff.c writes turn the "before" tables into
 * the "after" tables, for random chains full of duplicate rules.
 *
 * The lines are run through a small interpreter with the tools' semantics
 * (-A appends, -I N inserts before rule N, -D N deletes rule N, -D SPEC
 * deletes the first equal rule, -F, -N, -X, -P); the kernel tests check the
 * same against the real tools for fewer, realistic cases.
 */
#include "restore/diff.h"
#include "restore/render.h"
#include "restore/snapshot.h"
#include "restore/syntax.h"
#include "restore/savefmt.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

static const char *const alphabet[] = { "-j ACCEPT", "-j DROP", "-s 10.0.0.1 -j RETURN",
                                        "-i vnet0 -j c1", "-i vnet1 -j c2",
                                        "-m comment --comment \"a b\" -j ACCEPT", NULL };

static GStrv
randomRule(GRand *r)
{
    guint n = g_strv_length((char **)alphabet);
    g_auto(GStrv) w = vfSyntaxSplit(alphabet[g_rand_int_range(r, 0, n)]);
    return vfRulePack((const char *const *)w);
}

static vfTableSet *
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

static gboolean
ruleEq(const char *const *a, const char *const *b)
{
    g_autofree char *x = g_strjoinv(" ", (char **)a);
    g_autofree char *y = g_strjoinv(" ", (char **)b);
    return g_str_equal(x, y);
}

/* Runs one restore line against @t, as the tools would. */
static void
run(vfTable *t, const char *const *w)
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
static guint
runDiff(vfTableSet *work, const vfDiff *diff, const vfTableSet *want, guint round)
{
    g_autofree char *wantText = NULL, *got = NULL;
    guint lines = 0;

    for (guint s = 0; s < diff->scripts->len; s++) {
        vfPlanScript *script = g_ptr_array_index(diff->scripts, s);
        vfTable *t = vfTableSetGet(work, script->table);
        for (guint i = 0; i < script->entries->len; i++) {
            vfLogEntry *e = g_ptr_array_index(script->entries, i);
            run(t, (const char *const *)e->words);
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

static void
test_random(void **state G_GNUC_UNUSED)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(20261126);
    guint lines = 0, kept = 0;

    for (guint round = 0; round < 4000; round++) {
        vfTableSet *from[VIR_FIREWALL_LAYER_LAST] = { NULL };
        vfTableSet *to[VIR_FIREWALL_LAYER_LAST] = { NULL };
        g_autoptr(vfTableSet) before = randomSet(r, g_rand_boolean(r));
        g_autoptr(vfTableSet) after = randomSet(r, g_rand_boolean(r));
        g_autoptr(vfTableSet) work = vfTableSetCopy(before);
        g_autofree char *why = NULL;
        g_autoptr(vfDiff) diff = NULL;

        /* half the rounds work on "before" tables read back from text,
         * whose chains stay unparsed until the diff or an edit looks: against
         * parsed "after" chains (compared as printed lines), or against a
         * copy of themselves with one chain edited */
        if (round % 4 >= 2) {
            g_autofree char *bt = vfTableSetFormat(before);
            g_clear_pointer(&before, vfTableSetFree);
            g_clear_pointer(&work, vfTableSetFree);
            before = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
            assert_true(vfSnapshotParse(before, bt, NULL));
            work = vfTableSetCopy(before);
        }
        /* some rounds change a little, as a restart or a VM start does */
        if (round % 2) {
            g_clear_pointer(&after, vfTableSetFree);
            after = vfTableSetCopy(before);
            vfTable *t = vfTableSetGet(after, "filter");
            vfChain *c = vfTableGetChain(t, "INPUT");
            vfTableInsertRule(t, c, g_rand_int_range(r, 0, vfChainRules(t, c)->len + 1),
                              randomRule(r));
            if (vfChainRules(t, c)->len > 2)
                g_free(vfTableStealRule(t, c, g_rand_int_range(r, 0, vfChainRules(t, c)->len)));
        }
        from[VIR_FIREWALL_LAYER_IPV4] = before;
        to[VIR_FIREWALL_LAYER_IPV4] = after;
        diff = vfDiffBuild(from, to, &why);
        assert_non_null(diff);
        lines += runDiff(work, diff, after, round);
        if (!diff->lines)
            kept++;
    }
    print_message("4000 random pairs, %u lines, %u needed none\n", lines, kept);
}

static char *
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

static char *rulesOf(vfTable *t, const char *chain);

/* Rules appended after a chain's unparsed lines (a VM start's jump after
 * PREROUTING's 999 others): the lines stay unparsed, the rules print and
 * parse after them, are found and counted, and the difference against the
 * same lines is the appends (or, for another tail, an edit). */
static void
test_appended(void **state G_GNUC_UNUSED)
{
    static const char text[] =
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        ":c1 - [0:0]\n:c2 - [0:0]\n"
        "-A INPUT -i vnet0 -j c1\n-A INPUT -j DROP\n"
        "-A FORWARD -m comment --comment \"a b\" -j ACCEPT\nCOMMIT\n";
    g_autoptr(GBytes) bytes = g_bytes_new_static(text, sizeof(text) - 1);
    g_autoptr(vfTableSet) a = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    g_autoptr(vfTableSet) b = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    g_autoptr(vfTableSet) work = NULL;
    vfTableSet *from[VIR_FIREWALL_LAYER_LAST] = { NULL };
    vfTableSet *to[VIR_FIREWALL_LAYER_LAST] = { NULL };
    const char *x[] = { "-i", "vnet1", "-j", "c2", NULL };
    const char *y[] = { "-j", "ACCEPT", NULL };
    const char *drop[] = { "-j", "DROP", NULL };
    const char *comment[] = { "-m", "comment", "--comment", "a b", "-j", "ACCEPT", NULL };
    g_autofree char *lazy = NULL, *full = NULL, *got = NULL, *rules = NULL;
    g_autofree char *why = NULL;
    g_autoptr(vfDiff) diff = NULL;
    g_autoptr(vfDiff) back = NULL;
    vfTable *ta, *tb;
    vfChain *ia, *ib, *fa;

    /* both read from the same text: their lines are the same bytes */
    assert_true(vfSnapshotParseBytes(a, bytes, NULL));
    assert_true(vfSnapshotParseBytes(b, bytes, NULL));
    ta = vfTableSetGet(a, "filter");
    tb = vfTableSetGet(b, "filter");
    ia = vfTableGetChain(ta, "INPUT");
    ib = vfTableGetChain(tb, "INPUT");
    fa = vfTableGetChain(ta, "FORWARD");

    assert_true(vfChainHasRule(ta, ia, drop));
    assert_false(vfChainHasRule(ta, ia, y));
    assert_non_null(ia->lines);                 /* found without parsing */
    assert_true(vfChainHasRule(ta, fa, comment));
    assert_non_null(fa->lines);                 /* quotes: read, not kept */

    assert_int_equal(vfTableCountReferences(ta, "c2"), 0);
    vfTableAppendRule(ta, ia, vfRulePack(x));
    assert_non_null(ia->lines);
    assert_int_equal(vfChainTailLength(ia), 1);
    assert_int_equal(vfTableCountReferences(ta, "c2"), 1);
    assert_int_equal(vfTableCountReferences(ta, "c1"), 1);
    assert_true(vfChainHasRule(ta, ia, x));
    lazy = vfTableSetFormat(a);
    assert_non_null(strstr(lazy, "-A INPUT -i vnet0 -j c1\n-A INPUT -j DROP\n"
                                 "-A INPUT -i vnet1 -j c2\n"));

    /* the lines with one rule more: that rule, neither chain parsed */
    from[VIR_FIREWALL_LAYER_IPV4] = b;
    to[VIR_FIREWALL_LAYER_IPV4] = a;
    assert_non_null(diff = vfDiffBuild(from, to, &why));
    got = diffText(diff);
    assert_string_equal(got, "*filter\n-A INPUT -i vnet1 -j c2\n");
    assert_non_null(ia->lines);
    assert_non_null(ib->lines);
    /* a parsed chain is not known equal to lines with rules after them */
    {
        g_autoptr(vfTableSet) p = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
        vfTable *tp = vfTableSetEnsure(p, "filter");
        vfChain *ip = vfTableGetChain(tp, "INPUT");
        const char *c1[] = { "-i", "vnet0", "-j", "c1", NULL };
        vfTableAddChain(tp, "c1", FALSE, NULL);
        vfTableInsertRule(tp, ip, 0, vfRulePack(c1));
        vfTableInsertRule(tp, ip, 1, vfRulePack(drop));
        assert_false(vfChainMatchesLines(VIR_FIREWALL_LAYER_IPV4, ip, ia));
    }

    /* another tail after the same lines: the difference takes ours away */
    vfTableAppendRule(tb, ib, vfRulePack(y));
    work = vfTableSetCopy(a);
    assert_int_equal(vfChainTailLength(vfTableGetChain(vfTableSetGet(work, "filter"),
                                                       "INPUT")), 1);
    from[VIR_FIREWALL_LAYER_IPV4] = a;
    to[VIR_FIREWALL_LAYER_IPV4] = b;
    assert_non_null(back = vfDiffBuild(from, to, &why));
    runDiff(work, back, b, 0);

    /* parsed, the appended rule comes after the lines; printed the same */
    rules = rulesOf(ta, "INPUT");
    assert_string_equal(rules, "-i vnet0 -j c1|-j DROP|-i vnet1 -j c2|");
    assert_null(ia->lines);
    full = vfTableSetFormat(a);
    assert_string_equal(full, lazy);
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

/* Nothing changed: nothing written. */
static void
test_equal(void **state G_GNUC_UNUSED)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(7);
    g_autoptr(vfTableSet) a = randomSet(r, TRUE);
    g_autoptr(vfTableSet) b = vfTableSetCopy(a);
    vfTableSet *from[VIR_FIREWALL_LAYER_LAST] = { NULL, a, NULL };
    vfTableSet *to[VIR_FIREWALL_LAYER_LAST] = { NULL, b, NULL };
    g_autofree char *why = NULL;
    g_autoptr(vfDiff) diff = vfDiffBuild(from, to, &why);

    assert_non_null(diff);
    assert_int_equal(diff->lines, 0);
    assert_int_equal(diff->scripts->len, 0);
}

/* A moved hook costs two lines, and the delete names the rule, not its
 * position (a foreign insert meanwhile must not shift it). */
static void
test_moved_hook(void **state G_GNUC_UNUSED)
{
    g_autoptr(vfTableSet) a = vfTableSetNew(VIR_FIREWALL_LAYER_ETHERNET);
    g_autoptr(vfTableSet) b = NULL;
    vfTable *t = vfTableSetEnsure(a, "nat");
    vfChain *pre = vfTableGetChain(t, "PREROUTING");
    vfTableSet *from[VIR_FIREWALL_LAYER_LAST] = { NULL };
    vfTableSet *to[VIR_FIREWALL_LAYER_LAST] = { NULL };
    g_autofree char *why = NULL;
    g_autoptr(vfDiff) diff = NULL;
    g_autofree char *text = NULL;

    for (guint i = 0; i < 50; i++) {
        g_autofree char *dev = g_strdup_printf("vnet%u", i);
        const char *w[] = { "-i", dev, "-j", "ACCEPT", NULL };
        vfTableInsertRule(t, pre, vfChainRules(t, pre)->len, vfRulePack(w));
    }
    b = vfTableSetCopy(a);
    t = vfTableSetGet(b, "nat");
    pre = vfTableGetChain(t, "PREROUTING");
    vfTableInsertRule(t, pre, 0, vfTableStealRule(t, pre, 25));
    from[VIR_FIREWALL_LAYER_ETHERNET] = a;
    to[VIR_FIREWALL_LAYER_ETHERNET] = b;
    diff = vfDiffBuild(from, to, &why);
    assert_non_null(diff);
    assert_int_equal(diff->lines, 2);
    text = g_strjoinv(" ", ((vfLogEntry *)g_ptr_array_index(diff->entries, 0))->words);
    assert_string_equal(text, "-D PREROUTING -i vnet25 -j ACCEPT");
    g_free(text);
    text = g_strjoinv(" ", ((vfLogEntry *)g_ptr_array_index(diff->entries, 1))->words);
    assert_string_equal(text, "-I PREROUTING 1 -i vnet25 -j ACCEPT");
}

static char *
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

/* Unparsed chains count as references, follow renames and are never
 * shifted: -X and -E must decide as if every line had been parsed. */
static void
test_unparsed(void **state G_GNUC_UNUSED)
{
    static const char text[] =
        "*filter\n"
        ":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        ":a - [0:0]\n:b - [0:0]\n:c - [0:0]\n"
        "-A INPUT -j a\n"
        "-A INPUT -i v\"x -j a\n"
        "-A a -j b\n"
        "-A c -m comment --comment \"x -j c\" -j ACCEPT\n"
        "-A b -p tcp --goto c\n"
        "-A a -j RETURN\n"
        "COMMIT\n";
    g_autoptr(vfTableSet) snap = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    g_autoptr(vfTableSet) sim = NULL;
    g_autofree char *again = NULL, *renamed = NULL, *r = NULL;
    vfTable *t;

    assert_true(vfSnapshotParse(snap, text, NULL));
    sim = vfTableSetCopy(snap);
    t = vfTableSetGet(sim, "filter");
    assert_int_equal(vfTableCountReferences(t, "a"), 2);
    assert_int_equal(vfTableCountReferences(t, "b"), 1);
    assert_int_equal(vfTableCountReferences(t, "c"), 1);   /* the --goto */
    /* the second run of a's lines (not what *-save prints) is kept in order */
    r = rulesOf(t, "a");
    assert_string_equal(r, "-j b|-j RETURN|");
    g_free(r);
    r = rulesOf(t, "INPUT");
    assert_string_equal(r, "-j a|-i v\"x -j a|");
    g_free(r);
    r = rulesOf(t, "c");
    assert_string_equal(r, "-m comment --comment \"x -j c\" -j ACCEPT|");

    vfTableRenameChain(t, "b", "b2");
    assert_int_equal(vfTableCountReferences(t, "b2"), 1);
    assert_int_equal(vfTableCountReferences(t, "c"), 1);
    renamed = vfTableSetFormat(sim);
    assert_non_null(strstr(renamed, "-A a -j b2\n"));
    assert_non_null(strstr(renamed, "-A b2 -p tcp --goto c\n"));
    vfTableFlushChain(t, vfTableGetChain(t, "INPUT"));
    assert_int_equal(vfTableCountReferences(t, "a"), 0);

    /* a flush drops unparsed lines unparsed, and their references */
    {
        g_autoptr(vfTableSet) sim2 = vfTableSetCopy(snap);
        vfTable *t2 = vfTableSetGet(sim2, "filter");
        vfChain *in2 = vfTableGetChain(t2, "INPUT");
        g_autofree char *flushed = NULL;
        assert_int_equal(vfTableCountReferences(t2, "a"), 2);
        assert_non_null(in2->lines);
        vfTableFlushChain(t2, in2);
        assert_true(vfChainIsEmpty(in2));
        assert_int_equal(vfTableCountReferences(t2, "a"), 0);
        assert_int_equal(vfTableCountReferences(t2, "b"), 1);
        flushed = vfTableSetFormat(sim2);
        assert_null(strstr(flushed, "-A INPUT"));
    }

    /* a rebuilt chain is compared with the kernel's lines as printed */
    {
        vfTable *snapT = vfTableSetGet(snap, "filter");
        g_autoptr(vfTableSet) other = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
        vfTable *o = vfTableSetEnsure(other, "filter");
        vfChain *in = vfTableGetChain(o, "INPUT");
        const char *w1[] = { "-j", "a", NULL };
        const char *w2[] = { "-i", "vnet0", "-j", "a", NULL };
        g_autoptr(vfTableSet) noNl = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
        vfTableAddChain(o, "a", FALSE, NULL);
        vfTableInsertRule(o, in, 0, vfRulePack(w1));
        /* INPUT's second line names another interface */
        vfTableInsertRule(o, in, 1, vfRulePack(w2));
        assert_false(vfChainMatchesLines(VIR_FIREWALL_LAYER_IPV4, in,
                                         vfTableGetChain(snapT, "INPUT")));
        assert_true(vfSnapshotParse(noNl, "*filter\n:INPUT ACCEPT [0:0]\n"
                                    "-A INPUT -j a\n-A INPUT -i vnet0 -j a", NULL));
        assert_true(vfChainMatchesLines(VIR_FIREWALL_LAYER_IPV4, in,
                                        vfTableGetChain(vfTableSetGet(noNl, "filter"), "INPUT")));
        g_free(vfTableStealRule(o, in, 1));
        assert_false(vfChainMatchesLines(VIR_FIREWALL_LAYER_IPV4, in,
                                         vfTableGetChain(vfTableSetGet(noNl, "filter"), "INPUT")));
    }

    /* a comment or an empty line between a chain's lines is no rule */
    {
        g_autoptr(vfTableSet) odd = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
        g_autofree char *got = NULL;
        assert_true(vfSnapshotParse(odd, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j RETURN\n"
                                    "# x\n\n-A INPUT -j DROP\nCOMMIT\n", NULL));
        got = rulesOf(vfTableSetGet(odd, "filter"), "INPUT");
        assert_string_equal(got, "-j RETURN|-j DROP|");
    }

    /* the snapshot the copy was made from still reads as it was */
    again = vfTableSetFormat(snap);
    assert_non_null(strstr(again, "-A INPUT -i v\"x -j a\n-A a -j b\n-A a -j RETURN\n"));
}


/* An entry of a hand-made script (not pooled: its strings are its own). */
static vfLogEntry *
entry(vfOp op, const char *line)
{
    vfLogEntry *e = g_new0(vfLogEntry, 1);

    e->layer = VIR_FIREWALL_LAYER_IPV4;
    e->table = g_strdup("filter");
    e->op = op;
    e->words = vfSyntaxSplit(line);
    e->chain = g_strdup(e->words[1]);
    return e;
}

static vfPlanScript *
script(vfLogEntry *first, ...)
{
    vfPlanScript *s = g_new0(vfPlanScript, 1);
    va_list ap;

    s->layer = VIR_FIREWALL_LAYER_IPV4;
    s->table = g_strdup("filter");
    s->entries = g_ptr_array_new_with_free_func((GDestroyNotify)vfLogEntryFree);
    va_start(ap, first);
    for (vfLogEntry *e = first; e; e = va_arg(ap, vfLogEntry *))
        g_ptr_array_add(s->entries, e);
    va_end(ap);
    return s;
}

/*
 * Runs a rendered script as the nft tools do with a listing: a builtin
 * chain the kernel lacks (here: any without rules in @before, the worst
 * case, as *-save prints absent builtins too) is taken for there once
 * listed and then never made, so an append to it fails; a jump needs its
 * chain. Checks the map against the text on the way.
 */
static void
runListed(vfTable *t, const vfTable *before, const char *text, GPtrArray *map)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GHashTable) made = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean listed = FALSE;

    for (guint i = 0; lines[i] && *lines[i]; i++) {
        g_auto(GStrv) w = vfSyntaxSplit(lines[i]);
        vfLogEntry *e = i < map->len ? g_ptr_array_index(map, i) : NULL;
        guint n = g_strv_length(w);

        if (e) {
            g_autofree char *want = g_strjoinv(" ", e->words);
            g_autofree char *got = g_strjoinv(" ", w);
            assert_string_equal(want, got);
        } else {
            assert_true(i == 0 || g_str_equal(lines[i], "COMMIT") ||
                        g_str_equal(lines[i], "-S"));
        }
        if (g_str_equal(lines[i], "-S")) {
            listed = TRUE;
            continue;
        }
        if (i == 0 || g_str_equal(lines[i], "COMMIT"))
            continue;
        if (vfChainIsBuiltin(VIR_FIREWALL_LAYER_IPV4, "filter", w[1])) {
            vfChain *was = vfTableGetChain(before, w[1]);
            gboolean there = (was && !vfChainIsEmpty(was)) ||
                             g_hash_table_contains(made, w[1]);
            if (!there && listed)
                fail_msg("line %u (%s): builtin chain taken for there by the listing\n%s",
                         i + 1, lines[i], text);
            if (g_str_equal(w[0], "-A") || g_str_equal(w[0], "-I"))
                g_hash_table_add(made, g_strdup(w[1]));
        }
        if (n >= 2 && g_str_equal(w[n - 2], "-j") && g_str_has_prefix(w[n - 1], "c") &&
            !vfTableGetChain(t, w[n - 1]))
            fail_msg("line %u (%s): jump to a chain not made yet", i + 1, lines[i]);
        run(t, (const char *const *)w);
    }
}

/* vfRenderListingSafe/Pays and the lines written before the listing. */
static void
test_listing(void **state G_GNUC_UNUSED)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(20261127);
    guint listedScripts = 0, refused = 0, moved = 0;

    for (guint round = 0; round < 3000; round++) {
        vfTableSet *from[VIR_FIREWALL_LAYER_LAST] = { NULL };
        vfTableSet *to[VIR_FIREWALL_LAYER_LAST] = { NULL };
        g_autoptr(vfTableSet) before = randomSet(r, FALSE);
        g_autoptr(vfTableSet) after = randomSet(r, TRUE);
        g_autoptr(vfTableSet) work = vfTableSetCopy(before);
        g_autofree char *why = NULL, *wantText = NULL, *got = NULL;
        g_autoptr(vfDiff) diff = NULL;
        vfTable *bt = vfTableSetGet(before, "filter");
        vfTable *at = vfTableSetGet(after, "filter");

        /* c3 is new: jumps to it from the builtins need its -N first */
        for (guint k = g_rand_int_range(r, 0, 3); k > 0; k--) {
            vfChain *c = vfTableGetChain(at, g_rand_boolean(r) ? "INPUT" : "FORWARD");
            g_auto(GStrv) w = vfSyntaxSplit("-i vnet2 -j c3");
            vfTableInsertRule(at, c, g_rand_int_range(r, 0, vfChainRules(at, c)->len + 1),
                              vfRulePack((const char *const *)w));
        }
        from[VIR_FIREWALL_LAYER_IPV4] = before;
        to[VIR_FIREWALL_LAYER_IPV4] = after;
        diff = vfDiffBuild(from, to, &why);
        assert_non_null(diff);
        for (guint s = 0; s < diff->scripts->len; s++) {
            vfPlanScript *sc = g_ptr_array_index(diff->scripts, s);
            g_autoptr(GPtrArray) map = NULL;
            g_autofree char *text = NULL;

            sc->listing = vfRenderListingSafe(sc, bt);
            if (!sc->listing) {
                /* a builtin chain empty before whose first line is not an
                 * append or insert (a -P): test_listing_cases */
                refused++;
                continue;
            }
            listedScripts++;
            text = vfRenderScript(sc, &map);
            if (!g_str_has_prefix(text, "*filter\n-S\n"))
                moved++;
            runListed(vfTableSetGet(work, "filter"), bt, text, map);
        }
        if (diff->scripts->len && !((vfPlanScript *)g_ptr_array_index(diff->scripts, 0))->listing)
            continue;
        wantText = vfTableSetFormat(after);
        got = vfTableSetFormat(work);
        if (!g_str_equal(wantText, got))
            fail_msg("round %u: listed script did not reach the result\nwant:\n%sgot:\n%s",
                     round, wantText, got);
    }
    print_message("listing: %u scripts listed (%u with lines moved ahead), %u refused\n",
                  listedScripts, moved, refused);
    assert_true(listedScripts > 2000 && moved > 200);
}

/* Hand-made scripts: what makes a listing unsafe, and what it costs. */
static void
test_listing_cases(void **state G_GNUC_UNUSED)
{
    g_autoptr(vfTableSet) set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    g_autoptr(vfTableSet) empty = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    GString *big = g_string_new("*filter\n:INPUT ACCEPT [0:0]\n");
    vfPlanScript *s;
    g_autofree char *text = NULL;
    g_autoptr(GPtrArray) map = NULL;

    /* a chain deleted and made again before the jump: the jump cannot go
     * ahead of the -X */
    s = script(entry(VF_OP_DELETE_CHAIN, "-X c3"), entry(VF_OP_NEW_CHAIN, "-N c3"),
               entry(VF_OP_APPEND, "-A INPUT -j c3"), NULL);
    assert_false(vfRenderListingSafe(s, NULL));
    vfPlanScriptFree(s);

    /* -N, rules, jump: the -N and the jump go first, in that order */
    s = script(entry(VF_OP_NEW_CHAIN, "-N c3"), entry(VF_OP_APPEND, "-A c3 -j ACCEPT"),
               entry(VF_OP_APPEND, "-A FORWARD -j c3"), entry(VF_OP_APPEND, "-A INPUT -j DROP"),
               entry(VF_OP_APPEND, "-A INPUT -j c3"), NULL);
    assert_true(vfRenderListingSafe(s, NULL));
    s->listing = TRUE;
    text = vfRenderScript(s, &map);
    assert_string_equal(text, "*filter\n-N c3\n-A FORWARD -j c3\n-A INPUT -j DROP\n-S\n"
                              "-A c3 -j ACCEPT\n-A INPUT -j c3\nCOMMIT\n");
    assert_int_equal(map->len, 8);
    assert_null(g_ptr_array_index(map, 4));
    assert_string_equal(((vfLogEntry *)g_ptr_array_index(map, 5))->words[1], "c3");
    vfPlanScriptFree(s);

    /* a builtin chain only deleted from: it must be there (rules in it) */
    s = script(entry(VF_OP_DELETE, "-D INPUT -j DROP"), NULL);
    assert_true(vfSnapshotParse(set, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\nCOMMIT\n",
                                NULL));
    assert_true(vfSnapshotParse(empty, "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", NULL));
    assert_true(vfRenderListingSafe(s, vfTableSetGet(set, "filter")));
    assert_false(vfRenderListingSafe(s, vfTableSetGet(empty, "filter")));
    assert_false(vfRenderListingSafe(s, NULL));
    vfPlanScriptFree(s);

    /* cost: 2000 new chains are worth a listing of an empty table, not of
     * one with 20 000 rules; 40 lines (a VM start) never are */
    s = script(NULL);
    for (guint i = 0; i < 2000; i++) {
        g_autofree char *line = g_strdup_printf("-N c%u", i);
        g_ptr_array_add(s->entries, entry(VF_OP_NEW_CHAIN, line));
    }
    for (guint i = 0; i < 20000; i++)
        g_string_append_printf(big, "-A INPUT -s 10.0.%u.%u/32 -j ACCEPT\n", i / 256, i % 256);
    g_string_append(big, "COMMIT\n");
    g_clear_pointer(&set, vfTableSetFree);
    set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    assert_true(vfSnapshotParse(set, big->str, NULL));
    assert_int_equal(vfTableCountRules(vfTableSetGet(set, "filter")), 20000);
    assert_true(vfRenderListingPays(s, NULL));
    assert_true(vfRenderListingPays(s, vfTableSetGet(empty, "filter")));
    assert_false(vfRenderListingPays(s, vfTableSetGet(set, "filter")));
    g_ptr_array_set_size(s->entries, 40);
    assert_false(vfRenderListingPays(s, NULL));
    vfPlanScriptFree(s);
    g_string_free(big, TRUE);
}

/* vfTableJumpLoops on chains read from *-save (unparsed lines, found
 * backwards through their index) and on rules added since (parsed). */
static void
test_jump_loops(void **state)
{
    g_autoptr(vfTableSet) set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    vfTable *t;

    assert_true(vfSnapshotParse(set, "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
                                ":OUTPUT ACCEPT [0:0]\n:a - [0:0]\n:b - [0:0]\n:c - [0:0]\n"
                                ":d - [0:0]\n:e - [0:0]\n"
                                "-A FORWARD -j a\n-A a -p udp -j b\n-A b -j c\n"
                                "-A d -j e\nCOMMIT\n", NULL));
    t = vfTableSetGet(set, "filter");
#define LOOPS(from, to) \
    vfTableJumpLoops(t, vfTableGetChain(t, from), vfTableGetChain(t, to))
    /* FORWARD -> a -> b -> c: back to a, b or c is a reached loop */
    assert_true(LOOPS("c", "a"));
    assert_true(LOOPS("b", "b"));
    assert_true(LOOPS("c", "b"));
    /* forward, or among what nothing reaches: taken */
    assert_false(LOOPS("a", "c"));
    assert_false(LOOPS("c", "d"));
    assert_false(LOOPS("e", "d"));   /* d -> e -> d, reached from nowhere */
    assert_false(LOOPS("e", "e"));
    /* now d <-> e (the kernel takes it): reaching it is the loop */
    vfTableAppendRule(t, vfTableGetChain(t, "e"), vfRulePack((const char *const[]){ "-j", "d", NULL }));
    assert_true(LOOPS("c", "d"));
    assert_true(LOOPS("INPUT", "e"));
    assert_false(LOOPS("INPUT", "a"));
    /* referrers that are parsed rules: a -> f added */
    vfTableAddChain(t, "f", FALSE, NULL);
    vfTableAddChain(t, "g", FALSE, NULL);
    vfTableAddChain(t, "h", FALSE, NULL);
    vfTableAppendRule(t, vfTableGetChain(t, "a"), vfRulePack((const char *const[]){ "-j", "f", NULL }));
    vfTableAppendRule(t, vfTableGetChain(t, "h"), vfRulePack((const char *const[]){ "-j", "g", NULL }));
    assert_true(LOOPS("f", "a"));
    assert_true(LOOPS("f", "f"));
    assert_false(LOOPS("g", "h"));   /* h -> g -> h, reached from nowhere */
    assert_false(LOOPS("f", "g"));
#undef LOOPS
}

/* A rule *-save printed so that it cannot be read back (savefmt.h) is
 * kept, or deleted by its position; never written: a difference that
 * would have to write it fails (the programs are replayed instead). */
static void
test_opaque(void **state G_GNUC_UNUSED)
{
    static const char text[] =
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        "-A INPUT -j ACCEPT\n-A INPUT -i a b -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n";
    const char *mine[] = { "-i", "vnet0", "-j", "RETURN", NULL };

    for (int k = 0; k < 3; k++) {
        g_autoptr(vfTableSet) snap = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
        g_autoptr(vfTableSet) sim = NULL;
        g_autoptr(vfDiff) diff = NULL;
        g_autofree char *why = NULL;
        g_autoptr(GString) lines = g_string_new(NULL);
        vfTableSet *from[VIR_FIREWALL_LAYER_LAST] = { NULL };
        vfTableSet *to[VIR_FIREWALL_LAYER_LAST] = { NULL };
        vfTable *t;
        vfChain *in;
        GStrv opaque;

        assert_true(vfSnapshotParse(snap, text, NULL));
        sim = vfTableSetCopy(snap);
        t = vfTableSetGet(sim, "filter");
        in = vfTableGetChain(t, "INPUT");
        assert_true(vfSaveRuleIsOpaque(g_ptr_array_index(vfChainRules(t, in), 1)));
        from[VIR_FIREWALL_LAYER_IPV4] = snap;
        to[VIR_FIREWALL_LAYER_IPV4] = sim;
        switch (k) {
        case 0:   /* a rule of ours around it: it stays */
            vfTableInsertRule(t, in, 2, vfRulePack(mine));
            g_free(vfTableStealRule(t, in, 0));
            break;
        case 1:   /* gone: deleted by its position */
            g_free(vfTableStealRule(t, in, 1));
            break;
        case 2:   /* moved: it would have to be written */
            opaque = vfTableStealRule(t, in, 1);
            vfTableAppendRule(t, in, opaque);
            break;
        }
        diff = vfDiffBuild(from, to, &why);
        if (k == 2) {
            assert_null(diff);
            assert_non_null(strstr(why, "cannot be read back"));
            continue;
        }
        assert_non_null(diff);
        for (guint i = 0; i < diff->entries->len; i++) {
            vfLogEntry *e = g_ptr_array_index(diff->entries, i);
            g_autofree char *line = g_strjoinv(" ", e->words);
            g_string_append_printf(lines, "%s%s", i ? "|" : "", line);
        }
        assert_string_equal(lines->str, k == 0 ? "-D INPUT -j ACCEPT|-I INPUT 2 -i vnet0 -j RETURN"
                                               : "-D INPUT 2");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_copy_edits),
        cmocka_unit_test(test_appended),
        cmocka_unit_test(test_listing),
        cmocka_unit_test(test_listing_cases),
        cmocka_unit_test(test_copy_of_changed),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_moved_hook),
        cmocka_unit_test(test_unparsed),
        cmocka_unit_test(test_jump_loops),
        cmocka_unit_test(test_opaque),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
