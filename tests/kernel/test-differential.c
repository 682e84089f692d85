/*
 * test-differential: the restore backend must leave the kernel exactly as
 * the exec backend does.
 *
 * A seeded generator writes random batches of programs (chains, rules,
 * ignore-errors deletes, queries, rollbacks, several VMs, VMs that fail in
 * ways the simulation can and cannot foresee) in the text format. Each
 * batch runs on top of a random pre-existing state, once with each backend
 * in its own private network namespace; the *-save outputs and the set of
 * failing programs must be identical.
 *
 * Here: the random batches and their listing variant, and main; the
 * kept-tables sequence, the hand-written cases and the adversarial
 * arguments are differential-{kept,cases,adversarial}.c.
 *
 *   VF_DIFF_COUNT=N   how many batches (default 200)
 *   VF_DIFF_FIRST=S   the first seed (default 1), to explore further seeds
 *                     (the kept-tables sequence starts at 10000 + S)
 *   VF_DIFF_SEED=S    run only seed S (prints the program)
 */
#include "differential.h"

static guint totalExec, totalRestore, failingPrograms;

static void
checkSeed(guint32 seed, gboolean verbose)
{
    g_autofree char *setup = genBatch(seed * 2 + 1, TRUE);
    g_autofree char *batch = genBatch(seed * 2, FALSE);
    g_autoptr(GString) fe = g_string_new(NULL);
    g_autoptr(GString) fr = g_string_new(NULL);
    guint pe, pr;
    g_autofree char *se = runOne(VF_BACKEND_EXEC, setup, batch, fe, &pe);
    g_autofree char *sr = runOne(VF_BACKEND_RESTORE, setup, batch, fr, &pr);

    totalExec += pe;
    totalRestore += pr;
    if (strstr(fe->str, "failed"))
        failingPrograms++;
    if (verbose || !g_str_equal(se, sr) || !g_str_equal(fe->str, fr->str)) {
        g_printerr("seed %u\n--- setup\n%s--- batch\n%s--- exec (%s)\n%s--- restore (%s)\n%s",
                   seed, setup, batch, fe->str, se, fr->str, sr);
    }
    g_assert_cmpstr(fe->str, ==, fr->str);
    g_assert_cmpstr(se, ==, sr);
}

static void
testRandom(void)
{
    const char *only = g_getenv("VF_DIFF_SEED");
    guint count = g_getenv("VF_DIFF_COUNT") ? atoi(g_getenv("VF_DIFF_COUNT")) : 200;
    guint first = g_getenv("VF_DIFF_FIRST") ? atoi(g_getenv("VF_DIFF_FIRST")) : 1;

    if (only) {
        checkSeed(atoi(only), TRUE);
        return;
    }
    for (guint seed = first; seed < first + count; seed++)
        checkSeed(seed, FALSE);
    g_test_message("%u batches: %u exec processes, %u restore processes, "
                   "%u batches with a failing program",
                   count, totalExec, totalRestore, failingPrograms);
    g_print("# %u batches identical; processes exec %u, restore %u; "
            "%u batches had a failing program; %u recorded results equal *-save\n",
            count, totalExec, totalRestore, failingPrograms, resultsChecked);
    /* most batches are written as a difference: their result is checked */
    g_assert_cmpuint(resultsChecked, >, count / 2);
}

/*
 * The same with a listing in every restore where it is safe: the listing
 * changes what the nft tools read (render.h), so it must change nothing
 * they write, in results, generation ids (kept tables) or refusals.
 */
static void
testListing(void)
{
    if (!vfNftToolsAreNft()) {
        g_test_skip("the listing is only written for the nft variants of the tools");
        return;
    }
    listing = VF_LISTING_ALWAYS;
    listingsSeen = 0;
    testRandom();
    g_print("# listing: %u restores listed their table\n", listingsSeen);
    g_assert_cmpuint(listingsSeen, >, 50);
    listingsSeen = 0;
    testKept();
    g_print("# listing, kept tables: %u restores listed their table\n", listingsSeen);
    g_assert_cmpuint(listingsSeen, >, 10);
    listing = VF_LISTING_OFF;
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    int fd;

    g_test_init(&argc, &argv, NULL);
    if (geteuid() != 0 || (fd = vfNetnsCreatePrivate(&err)) < 0) {
        g_print("1..0 # SKIP needs root and network namespaces: %s\n",
                err ? err->message : "not root");
        return 0;
    }
    close(fd);
    g_test_add_func("/differential/adversarial", testAdversarial);
    g_test_add_func("/differential/random", testRandom);
    g_test_add_func("/differential/kept", testKept);
    g_test_add_func("/differential/listing", testListing);
    g_test_add_func("/differential/created-table", testCreatedTable);
    g_test_add_func("/differential/loops", testLoops);
    g_test_add_func("/differential/facts", testFacts);
    g_test_add_func("/differential/judged", testJudged);
    return g_test_run();
}
