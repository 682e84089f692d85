/*
 * differential-fixtures: applying a batch with one backend in a fresh
 * private namespace, reading the tables back, and comparing restore with
 * exec.
 */
#include "differential.h"

/* One layer's *-save output without its comment lines, as virt-firewall
 * renders tables. */
char *
saveLayer(vfRunner *runner, virFirewallLayer layer)
{
    const char *argv[] = { vfSnapshotSaveBinary(layer), NULL };
    g_auto(vfRunResult) res = { 0 };
    GString *kernel = g_string_new(NULL);
    g_auto(GStrv) lines = NULL;

    g_assert_true(vfRunnerRun(runner, argv, NULL, &res, NULL));
    lines = g_strsplit(res.out, "\n", -1);
    for (gsize i = 0; lines[i]; i++) {
        if (*lines[i] && *lines[i] != '#')
            g_string_append_printf(kernel, "%s\n", lines[i]);
    }
    return g_string_free(kernel, FALSE);
}

char *
saveAll(vfRunner *runner)
{
    GString *all = g_string_new(NULL);

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        g_autofree char *text = saveLayer(runner, l);
        g_string_append(all, text);
    }
    return g_string_free(all, FALSE);
}

guint resultsChecked;

/* What the restore backend says it left (the simulated tables, which
 * virt-firewall records instead of reading the kernel again) must be
 * exactly what *-save shows. */
void
checkResult(vfApplyOutcome *outcome, vfRunner *runner)
{
    char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL };
    guint transactions;

    if (!vfApplyOutcomeTake(outcome, texts, &transactions))
        return;
    resultsChecked++;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        g_autofree char *kernel = NULL;

        if (!texts[l])
            continue;
        kernel = saveLayer(runner, l);
        g_assert_cmpstr(texts[l], ==, kernel);
        g_free(texts[l]);
    }
}

gboolean
countingRun(vfRunner *runner, const char *const *argv, const char *input,
            vfRunResult *res, GError **error)
{
    CountingRunner *self = (CountingRunner *)runner;

    if (g_str_has_suffix(argv[0], "-save"))
        self->saves++;
    /* programs' queries are answered from the simulation: a listing in a
     * restore input is the backend's */
    if (input && (strstr(input, "\n-L\n") || strstr(input, "\n-S\n")))
        self->listings++;
    return vfRunnerRun(self->inner, argv, input, res, error);
}

vfListing listing = VF_LISTING_OFF;
guint listingsSeen;
gboolean replayMode;

/* Applies @setup then @batch with @kind in a fresh namespace. */
char *
runOne(vfBackendKind kind, const char *setup, const char *batch,
       GString *failures, guint *processes)
{
    g_autoptr(GError) err = NULL;
    int fd = vfNetnsCreatePrivate(&err);
    g_autoptr(vfRunner) runner = NULL;
    CountingRunner counting = { { countingRun } };
    g_autoptr(vfTarget) target = NULL;   /* outlives the backends */
    g_autoptr(vfBackend) setupBackend = NULL;
    g_autoptr(vfBackend) backend = NULL;
    g_autoptr(vfProgramSet) s = vfProgramSetParse(setup, "setup", &err);
    g_autoptr(vfProgramSet) b = NULL;
    g_autofree GError **errors = NULL;
    g_auto(vfApplyOutcome) outcome = { 0 };
    vfBackendOptions o;
    vfBatch batchIn = { 0 };
    char *state;

    g_assert_no_error(err);
    g_assert_cmpint(fd, >=, 0);
    runner = vfRunnerNewSubprocess(fd);

    /* the pre-existing state always comes from exec, so both start alike */
    setupBackend = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_EXEC, runner));
    errors = g_new0(GError *, vfProgramSetCount(s) + 1);
    vfBackendApply(setupBackend, vfProgramSetPrograms(s), vfProgramSetCount(s),
                   errors, NULL, &err);
    g_assert_no_error(err);
    g_clear_error(&errors[0]);
    g_clear_pointer(&errors, g_free);

    b = vfProgramSetParse(batch, "batch", &err);
    g_assert_no_error(err);
    counting.inner = runner;
    o = VF_BACKEND_OPTIONS(kind, &counting.parent);
    o.listing = listing;
    o.replay = replayMode;
    /* as virt-firewall does: a table created and put back goes again */
    target = vfTargetNew(&counting.parent, fd, 0);
    o.target = target;
    backend = vfBackendNew(&o);
    batchIn.programs = vfProgramSetPrograms(b);
    batchIn.n = vfProgramSetCount(b);
    vfBackendApplyBatch(backend, &batchIn, &outcome, &err);
    listingsSeen += counting.listings;
    g_assert_no_error(err);
    for (gsize i = 0; i < vfProgramSetCount(b); i++)
        g_string_append_printf(failures, "vm%zu:%s ", i, outcome.errors[i] ? "failed" : "ok");
    *processes = outcome.stats.processes;
    state = saveAll(runner);
    checkResult(&outcome, runner);
    close(fd);
    return state;
}

/* @setup then @batch with exec and with restore, written as a difference
 * and as the log (replay): the same failing programs (@failures, if
 * given, says which) and the same tables each time. Returns exec's
 * tables. */
char *
sameAsExec(const char *setup, const char *batch, const char *failures)
{
    char *state = NULL;

    for (int r = 0; r < 2; r++) {
        g_autoptr(GString) fe = g_string_new(NULL);
        g_autoptr(GString) fr = g_string_new(NULL);
        g_autofree char *se = NULL;
        g_autofree char *sr = NULL;
        guint pe, pr;

        replayMode = r;
        se = runOne(VF_BACKEND_EXEC, setup, batch, fe, &pe);
        sr = runOne(VF_BACKEND_RESTORE, setup, batch, fr, &pr);
        if (g_test_verbose() || !g_str_equal(se, sr) || !g_str_equal(fe->str, fr->str))
            g_printerr("--- %s\n--- exec (%s)\n%s--- restore (%s)\n%s",
                       replayMode ? "log" : "difference", fe->str, se, fr->str, sr);
        if (failures)
            g_assert_cmpstr(fe->str, ==, failures);
        g_assert_cmpstr(fr->str, ==, fe->str);
        g_assert_cmpstr(sr, ==, se);
        g_free(state);
        state = g_steal_pointer(&se);
    }
    replayMode = FALSE;
    return state;
}
