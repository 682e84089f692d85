/*
 * test-diff: the lines restore/diff.c writes turn the "before" tables into
 * the "after" tables, for random chains full of duplicate rules, and for
 * hand-made cases (nothing changed, a moved hook, a rule *-save printed so
 * that it cannot be read back). The lines are run through the interpreter
 * of diff-fixtures.h.
 *
 * The other test-diff-* programs: edited copies (test-diff-copies), chains
 * read from *-save and left unparsed (test-diff-unparsed), scripts that
 * list the table first (test-diff-listing).
 */
#include "diff-fixtures.h"
#include "restore/savefmt.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

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
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_moved_hook),
        cmocka_unit_test(test_opaque),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
