/*
 * test_nwfilter_golden.c: the restore scripts, per pass and table, that the
 * restore backend writes for every oracle case (tests/restoredata/nwfilter/
 * <case>/), with no kernel involved:
 *
 *   restore-empty.out    first instantiation, all tables empty
 *   restore-present.out  re-instantiation with libvirt's after-create state
 *                        in the kernel (a daemon restart)
 *   teardown.out         allTeardown of every interface of the case, with
 *                        the after-create state in the kernel
 *
 * Each also as NAME.replay.out: the same batch with the backend replaying
 * the programs' steps pass by pass (vfBackendOptions.replay), the fallback when
 * a tool refuses the difference the default apply writes.
 *
 * A replaying runner answers `*-save` with the given state and records
 * every other call as "# argv" followed by its stdin (the format of the
 * .out files of tests/restoredata/firewall). VIR_TEST_REGENERATE_OUTPUT=1 rewrites
 * the files and still fails, so a regeneration is never silent.
 */
#include "nwfilter/nwfilter.h"
#include "firewall/backend.h"

#include <stdio.h>
#include <string.h>

#define STOCK_DIR "/usr/share/libvirt/nwfilter"

typedef struct {
    vfRunner parent;
    const char *casedir;
    const char *state;      /* NULL: empty tables; else "after-create" */
    GString *log;
} ReplayRunner;

static gboolean
replayRun(vfRunner *runner, const char *const *argv, const char *input,
          vfRunResult *res, GError **error)
{
    ReplayRunner *self = (ReplayRunner *)runner;
    g_autofree char *line = g_strjoinv(" ", (char **)argv);

    res->status = 0;
    res->err = g_strdup("");
    if (g_str_has_suffix(argv[0], "-save")) {
        g_autofree char *base = g_path_get_basename(argv[0]);
        g_autofree char *file = g_strdup_printf("%s.%s", self->state ? self->state : "", base);
        g_autofree char *path = g_build_filename(self->casedir, file, NULL);
        if (!self->state || !g_file_get_contents(path, &res->out, NULL, NULL))
            res->out = g_strdup("");
        return TRUE;
    }
    g_string_append_printf(self->log, "# %s\n%s", line, input ? input : "");
    res->out = g_strdup("");
    return TRUE;
}

static gint
cmpStr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static GPtrArray *
loadBindings(const char *dir, GError **error)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, error);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *res = g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);
    const char *n;

    while (d && (n = g_dir_read_name(d)))
        if (g_str_has_prefix(n, "binding-") && g_str_has_suffix(n, ".xml"))
            g_ptr_array_add(names, g_build_filename(dir, n, NULL));
    g_ptr_array_sort(names, cmpStr);
    for (guint i = 0; i < names->len; i++) {
        nwfBinding *b = nwfBindingParseFile(names->pdata[i], false, NULL, error);
        if (!b) {
            g_ptr_array_unref(res);
            return NULL;
        }
        g_ptr_array_add(res, b);
    }
    return res;
}

/* Applies @fws as one batch through the restore backend; the recording. */
static char *
record(const char *casedir, const char *state, GPtrArray *fws, gboolean replay)
{
    ReplayRunner runner = { { replayRun, NULL, 0 }, casedir, state, g_string_new(NULL) };
    g_autoptr(vfBackend) backend = vfBackendNew(&(vfBackendOptions){
        .kind = VF_BACKEND_RESTORE, .runner = &runner.parent, .wait_seconds = 10,
        .replay = replay });
    g_autofree GError **errors = g_new0(GError *, fws->len + 1);
    g_autoptr(GError) err = NULL;
    vfApplyStats stats = { 0 };

    vfBackendApply(backend, (virFirewall *const *)fws->pdata, fws->len, errors,
                   &stats, &err);
    if (err)
        g_string_append_printf(runner.log, "# batch error: %s\n", err->message);
    for (guint i = 0; i < fws->len; i++) {
        if (errors[i])
            g_string_append_printf(runner.log, "# program %u failed: %s\n",
                                   i, errors[i]->message);
        g_clear_error(&errors[i]);
    }
    g_string_append_printf(runner.log, "# processes %u passes %u lines %u\n",
                           stats.processes, stats.passes, stats.lines);
    return g_string_free(runner.log, FALSE);
}

static gboolean
compare(const char *casedir, const char *base, gboolean replay,
        const char *actual, gboolean regenerate)
{
    g_autofree char *file = g_strdup_printf("%s%s.out", base, replay ? ".replay" : "");
    g_autofree char *path = g_build_filename(casedir, file, NULL);
    g_autofree char *expected = NULL;

    if (regenerate) {
        g_assert_true(g_file_set_contents(path, actual, -1, NULL));
        g_printerr("regenerated %s\n", path);
        return FALSE;
    }
    if (!g_file_get_contents(path, &expected, NULL, NULL))
        expected = g_strdup("");
    if (g_str_equal(expected, actual))
        return TRUE;
    g_printerr("%s differs; got:\n%s\nexpected:\n%s\n", path, actual, expected);
    return FALSE;
}

static gboolean
checkCase(const char *casedir, gboolean regenerate, guint *checks)
{
    g_autofree char *filters = g_build_filename(casedir, "filters", NULL);
    const char *dirs[] = { filters, STOCK_DIR, NULL };
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfFilterSet) set = NULL;
    g_autoptr(GPtrArray) bindings = NULL;
    g_autoptr(GPtrArray) tear = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallFree);
    gboolean ok = TRUE;
    static const char *const states[] = { NULL, "after-create" };
    static const char *const outs[] = { "restore-empty", "restore-present" };

    if (!(set = nwfLoadFilters(dirs, &err)) ||
        !(bindings = loadBindings(casedir, &err))) {
        g_printerr("%s: %s\n", casedir, err->message);
        return FALSE;
    }
    for (guint s = 0; s < G_N_ELEMENTS(states) * 2; s++) {
        /* built afresh: a program is applied once per state */
        g_autoptr(GPtrArray) errors = NULL;
        g_autoptr(GPtrArray) fws = nwfBuildInstantiateAll(set, bindings, &errors);
        g_autofree char *rec = NULL;

        for (guint i = 0; i < fws->len; i++) {
            if (!fws->pdata[i]) {
                g_printerr("%s: %s\n", casedir, ((GError *)errors->pdata[i])->message);
                return FALSE;
            }
        }
        rec = record(casedir, states[s / 2], fws, s % 2);
        ok &= compare(casedir, outs[s / 2], s % 2, rec, regenerate);
        (*checks)++;
    }
    for (guint i = 0; i < bindings->len; i++)
        g_ptr_array_add(tear, nwfBuildTeardown(((nwfBinding *)bindings->pdata[i])->portdev));
    for (int replay = 0; replay < 2; replay++) {
        g_autofree char *rec = record(casedir, "after-create", tear, replay);
        ok &= compare(casedir, "teardown", replay, rec, regenerate);
        (*checks)++;
    }
    return ok;
}

int
main(int argc, char **argv)
{
    const char *data = g_getenv("VF_TESTDATA");
    gboolean regenerate = g_getenv("VIR_TEST_REGENERATE_OUTPUT") != NULL;
    g_autofree char *root = g_build_filename(data ? data : "tests/restoredata",
                                             "nwfilter", NULL);
    g_autoptr(GDir) d = g_dir_open(root, 0, NULL);
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    guint failed = 0, checks = 0;

    if (!g_file_test(STOCK_DIR, G_FILE_TEST_IS_DIR)) {
        printf("1..0 # SKIP %s missing\n", STOCK_DIR);
        return 0;
    }
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(root, n, NULL);
        g_autofree char *c = g_build_filename(p, "after-create.ebtables-save", NULL);
        if (g_file_test(c, G_FILE_TEST_EXISTS) &&
            (argc < 2 || g_strv_contains((const char *const *)argv + 1, n)))
            g_ptr_array_add(cases, g_strdup(n));
    }
    g_ptr_array_sort(cases, cmpStr);
    printf("1..%u\n", cases->len);
    for (guint i = 0; i < cases->len; i++) {
        g_autofree char *p = g_build_filename(root, cases->pdata[i], NULL);
        gboolean ok = checkCase(p, regenerate, &checks);
        printf("%s %u - %s\n", ok ? "ok" : "not ok", i + 1, (char *)cases->pdata[i]);
        if (!ok)
            failed++;
    }
    g_printerr("%u cases, %u golden files, %u failed cases\n", cases->len,
               checks, failed);
    return failed || cases->len == 0 ? 1 : 0;
}
