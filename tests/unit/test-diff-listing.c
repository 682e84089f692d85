/*
 * test-diff-listing: a script that lists its table (-S) near its top
 * (render.h): the listing is safe only where every builtin chain the
 * script names exists by the time the tool lists, since the nft tools take
 * a builtin chain the kernel lacks for there and never create it; the
 * first append or insert to a builtin chain goes ahead of the listing for
 * that (vfRenderListingSafe); and when the listing pays
 * (vfRenderListingPays). Random differences run through runListed, an
 * interpreter that fails the append to such a chain.
 */
#include "diff-fixtures.h"
#include "restore/render.h"
#include "restore/syntax.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

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
        runLine(t, (const char *const *)w);
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listing),
        cmocka_unit_test(test_listing_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
