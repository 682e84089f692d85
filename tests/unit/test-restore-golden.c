/*
 * test-restore-golden: program (text format) + optional *-save snapshots
 * → the restore scripts, per pass and table, that the backend would run.
 *
 * For each tests/restoredata/firewall/NAME.prog: NAME.ebtables-save,
 * NAME.iptables-save, NAME.ip6tables-save (optional) are what the kernel
 * holds; NAME.out is the expected recording of the default apply (the
 * difference to the snapshot), NAME.replay.out that of the replay of the
 * programs' steps, pass by pass (the fallback when a tool refuses the
 * difference). VIR_TEST_REGENERATE_OUTPUT=1
 * rewrites the .out files and still fails, so a regeneration is never
 * silent.
 */
#include "backend.h"
#include "text.h"
#include "restore/snapshot.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
    const char *dir;
    const char *name;
} Replay;

/* *-save answers with the case's snapshot files; the rest is recorded. */
static void
replayAnswer(const char *const *argv, const char *input, vfRunResult *res,
             void *opaque)
{
    Replay *r = opaque;

    if (g_str_has_suffix(argv[0], "-save")) {
        g_autofree char *path = g_strdup_printf("%s/%s.%s", r->dir, r->name, argv[0]);
        g_file_get_contents(path, &res->out, NULL, NULL);
    }
}

static char *
formatRestoreCalls(GPtrArray *calls)
{
    GString *log = g_string_new(NULL);

    for (guint i = 0; i < calls->len; i++) {
        vfRecordedCall *c = g_ptr_array_index(calls, i);
        g_autofree char *line = g_strjoinv(" ", c->argv);
        if (g_str_has_suffix(c->argv[0], "-save"))
            continue;
        g_string_append_printf(log, "# %s\n%s", line, c->input ? c->input : "");
    }
    return g_string_free(log, FALSE);
}

static gboolean
checkOne(const char *dir, const char *name, gboolean replayMode,
         gboolean regenerate)
{
    g_autofree char *progPath = g_strdup_printf("%s/%s.prog", dir, name);
    g_autofree char *outPath = g_strdup_printf("%s/%s%s.out", dir, name,
                                               replayMode ? ".replay" : "");
    g_autofree char *text = NULL, *expected = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(vfProgramSet) set = NULL;
    g_autoptr(vfBackend) backend = NULL;
    Replay replay = { dir, name };
    g_autoptr(vfRunner) runner = vfRunnerNewScripted(replayAnswer, &replay);
    g_autoptr(GString) log = NULL;
    g_autofree GError **errors = NULL;
    vfApplyStats stats;
    gsize n;
    gboolean ok;

    g_assert_true(g_file_get_contents(progPath, &text, NULL, &err));
    set = vfProgramSetParse(text, progPath, &err);
    g_assert_no_error(err);
    n = vfProgramSetCount(set);
    errors = g_new0(GError *, n + 1);
    {
        vfBackendOptions o = VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, runner);
        o.replay = replayMode;
        backend = vfBackendNew(&o);
    }
    vfBackendApply(backend, vfProgramSetPrograms(set), n, errors, &stats, &err);
    {
        g_autofree char *calls = formatRestoreCalls(vfRunnerRecorderCalls(runner));
        log = g_string_new(calls);
    }
    if (err)
        g_string_append_printf(log, "# batch error: %s\n", err->message);
    for (gsize i = 0; i < n; i++) {
        if (errors[i])
            g_string_append_printf(log, "# program %zu failed: %s\n",
                                   i, errors[i]->message);
        g_clear_error(&errors[i]);
    }
    g_string_append_printf(log, "# processes %u passes %u lines %u\n",
                           stats.processes, stats.passes, stats.lines);

    if (regenerate) {
        g_assert_true(g_file_set_contents(outPath, log->str, -1, NULL));
        g_printerr("regenerated %s\n", outPath);
        return FALSE;
    }
    if (!g_file_get_contents(outPath, &expected, NULL, NULL))
        expected = g_strdup("");
    ok = g_str_equal(expected, log->str);
    if (!ok)
        g_printerr("%s differs; got:\n%s\nexpected:\n%s\n", outPath,
                   log->str, expected);
    return ok;
}

int
main(void)
{
    const char *data = g_getenv("VF_TESTDATA");
    g_autofree char *dir = g_strdup_printf("%s/firewall", data ? data : "tests/restoredata");
    gboolean regenerate = g_getenv("VIR_TEST_REGENERATE_OUTPUT") != NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *entry;
    guint passed = 0, failed = 0;

    if (!d) {
        g_printerr("cannot open %s\n", dir);
        return 1;
    }
    while ((entry = g_dir_read_name(d))) {
        if (g_str_has_suffix(entry, ".prog"))
            g_ptr_array_add(names, g_strndup(entry, strlen(entry) - 5));
    }
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    printf("1..%u\n", names->len * 2);
    for (guint i = 0; i < names->len * 2; i++) {
        const char *name = g_ptr_array_index(names, i / 2);
        gboolean replayMode = i % 2;
        gboolean ok = checkOne(dir, name, replayMode, regenerate);
        printf("%s %u - %s%s\n", ok ? "ok" : "not ok", i + 1, name,
               replayMode ? " (replay)" : "");
        ok ? passed++ : failed++;
    }
    if (names->len == 0)
        failed++;
    return failed ? 1 : 0;
}
