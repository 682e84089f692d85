/*
 * test-diff-unparsed: chains read from *-save keep their lines unparsed
 * until something must look: rules appended after them, references,
 * renames, flushes, the comparison with rebuilt chains and jump loops
 * decide as if every line had been parsed.
 */
#include "diff-fixtures.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appended),
        cmocka_unit_test(test_unparsed),
        cmocka_unit_test(test_jump_loops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
