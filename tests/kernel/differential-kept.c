/*
 * differential-kept: the kept-tables sequence (virt-firewall serve).
 */
#include "differential.h"

/*
 * A resident caller (virt-firewall serve) applies batch after batch with
 * one backend that keeps its tables: after each, the kernel must be as
 * exec leaves it, and the kept tables exactly what *-save prints. Every
 * fifth batch a foreign rule lands between two batches (the tables must
 * be read again).
 */
void
testKept(void)
{
    guint count = g_getenv("VF_DIFF_COUNT") ? atoi(g_getenv("VF_DIFF_COUNT")) / 5 + 1 : 40;
    /* VF_DIFF_FIRST moves this sequence's seeds too */
    guint first = g_getenv("VF_DIFF_FIRST") ? atoi(g_getenv("VF_DIFF_FIRST")) : 1;
    g_autoptr(GError) err = NULL;
    int fd[2];
    g_autoptr(vfRunner) rx = NULL;
    g_autoptr(vfRunner) rr = NULL;
    g_autoptr(vfBackend) bx = NULL;
    g_autoptr(vfTarget) target = NULL;
    g_autoptr(vfBackend) br = NULL;
    CountingRunner counting = { { countingRun } };
    guint keptChecked = 0, reused = 0;
    gboolean nft = vfNftToolsAreNft();

    for (int k = 0; k < 2; k++) {
        fd[k] = vfNetnsCreatePrivate(&err);
        g_assert_no_error(err);
    }
    rx = vfRunnerNewSubprocess(fd[0]);
    rr = vfRunnerNewSubprocess(fd[1]);
    counting.inner = rr;
    bx = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_EXEC, rx));
    /* legacy tools: no generation id counts them, nothing is kept */
    target = vfTargetNew(&counting.parent, fd[1], 0);
    br = vfBackendNew(&(vfBackendOptions){
        .kind = VF_BACKEND_RESTORE, .runner = &counting.parent, .target = target,
        .wait_seconds = 10, .listing = listing, .keep_tables = TRUE });

    for (guint step = 1; step <= count; step++) {
        g_autofree char *batch = genBatch(10000 + first - 1 + step, step == 1);
        g_autoptr(vfProgramSet) b = vfProgramSetParse(batch, "batch", &err);
        gsize n = vfProgramSetCount(b);
        g_autofree GError **ex = g_new0(GError *, n + 1);
        g_autofree GError **er = g_new0(GError *, n + 1);
        g_autofree char *sx = NULL;
        g_autofree char *sr = NULL;
        guint keptBefore = vfBackendKeptLayers(br);
        guint saves = counting.saves;

        g_assert_no_error(err);
        if (step % 5 == 0) {
            const char *argv[] = { "iptables", "-w", "-A", "INPUT", "-s", "10.77.0.1/32",
                                   "-j", "ACCEPT", NULL };
            g_auto(vfRunResult) r1 = { 0 };
            g_auto(vfRunResult) r2 = { 0 };
            g_assert_true(vfRunnerRun(rx, argv, NULL, &r1, NULL));
            g_assert_true(vfRunnerRun(rr, argv, NULL, &r2, NULL));
            keptBefore = 0;
        }
        vfBackendApply(bx, vfProgramSetPrograms(b), n, ex, NULL, &err);
        g_assert_no_error(err);
        vfBackendApply(br, vfProgramSetPrograms(b), n, er, NULL, &err);
        g_assert_no_error(err);
        if (keptBefore == VIR_FIREWALL_LAYER_LAST && counting.saves == saves)
            reused++;   /* nothing read: kept tables used */
        for (gsize i = 0; i < n; i++) {
            if (!ex[i] != !er[i])
                g_printerr("step %u program %zu: exec %s, restore %s\n%s", step, i,
                           ex[i] ? ex[i]->message : "ok", er[i] ? er[i]->message : "ok", batch);
            g_assert_true(!ex[i] == !er[i]);
            g_clear_error(&ex[i]);
            g_clear_error(&er[i]);
        }
        sx = saveAll(rx);
        sr = saveAll(rr);
        if (!g_str_equal(sx, sr))
            g_printerr("step %u\n--- batch\n%s--- exec\n%s--- restore\n%s", step, batch, sx, sr);
        g_assert_cmpstr(sx, ==, sr);
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
            guint32 gen;
            g_autofree char *kept = vfBackendFormatKept(br, l, &gen);
            g_autofree char *kernel = NULL;

            if (!kept)
                continue;
            kernel = saveLayer(rr, l);
            g_assert_cmpstr(kept, ==, kernel);
            keptChecked++;
        }
    }
    g_print("# kept tables: %u batches in a row identical to exec; %u kept layers "
            "equal *-save; %u batches started from kept tables\n", count, keptChecked, reused);
    listingsSeen += counting.listings;
    if (nft) {
        g_assert_cmpuint(keptChecked, >, count);
        g_assert_cmpuint(reused, >, count / 2);
    } else {
        g_assert_cmpuint(keptChecked, ==, 0);   /* legacy: no generation id */
    }
    close(fd[0]);
    close(fd[1]);
}
