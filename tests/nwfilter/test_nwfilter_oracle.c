/*
 * test_nwfilter_oracle.c: apply the programs built for the oracle cases
 * (tests/restoredata/nwfilter/<case>/) with the exec backend inside a
 * private network namespace and compare
 *   - the command sequence with libvirt 9.0's (create.cmds), then a second
 *     apply with the rules present against restart.cmds (query callbacks);
 *   - ebtables-save / iptables-save / ip6tables-save with after-create.
 *
 * Every case runs in a fresh network namespace of its own
 * (unshare(CLONE_NEWNET) in this process; the tools inherit it); the test
 * checks the namespace differs from the one it started in before it runs
 * anything. Exit 77 (skip) without root or namespace support.
 *
 * Case layout: binding-*.xml (one per interface, applied in name order),
 * filters/ (optional custom filters, searched before the stock ones in
 * /usr/share/libvirt/nwfilter), create.cmds, restart.cmds,
 * after-create.{ebtables,iptables,ip6tables}-save.
 */
#include "nwfilter/nwfilter.h"
#include "firewall/backend.h"
#include "firewall/runner.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>

#define STOCK_DIR "/usr/share/libvirt/nwfilter"

typedef struct {
    vfRunner parent;
    vfRunner *inner;
    GPtrArray *log;
} LogRunner;

static gboolean
logRun(vfRunner *runner, const char *const *argv, const char *input,
       vfRunResult *res, GError **error)
{
    LogRunner *self = (LogRunner *)runner;
    g_autofree char *base = g_path_get_basename(argv[0]);
    g_autofree char *rest = g_strjoinv(" ", (char **)argv + 1);

    g_ptr_array_add(self->log, g_strdup_printf("%s %s", base, rest));
    return vfRunnerRun(self->inner, argv, input, res, error);
}

static char *
readNormalized(const char *path, bool commands)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    GString *out = g_string_new(NULL);

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return g_string_free(out, FALSE);
    lines = g_strsplit(text, "\n", -1);
    for (gsize i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (!*l || l[0] == '#')
            continue;
        if (commands && l[0] == '/') {
            const char *sp = strchr(l, ' ');
            g_autofree char *bin = g_strndup(l, sp ? (gsize)(sp - l) : strlen(l));
            g_autofree char *base = g_path_get_basename(bin);
            g_string_append_printf(out, "%s%s\n", base, sp ? sp : "");
        } else {
            g_string_append_printf(out, "%s\n", l);
        }
    }
    return g_string_free(out, FALSE);
}

static char *
saveOutput(const char *tool)
{
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    GString *res = g_string_new(NULL);
    const char *argv[] = { tool, NULL };

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH |
                      G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                      NULL, NULL))
        return g_string_free(res, FALSE);
    lines = g_strsplit(out, "\n", -1);
    for (gsize i = 0; lines[i]; i++)
        if (lines[i][0] && lines[i][0] != '#')
            g_string_append_printf(res, "%s\n", lines[i]);
    return g_string_free(res, FALSE);
}

static void
showDiff(const char *what, const char *expected, const char *actual)
{
    g_auto(GStrv) e = g_strsplit(expected, "\n", -1);
    g_auto(GStrv) a = g_strsplit(actual, "\n", -1);
    gsize i;

    for (i = 0; e[i] && a[i]; i++)
        if (strcmp(e[i], a[i]) != 0)
            break;
    fprintf(stderr, "    %s differs at line %zu:\n      expected: %s\n"
            "      actual:   %s\n", what, i + 1, e[i] ? e[i] : "<end>",
            a[i] ? a[i] : "<end>");
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
        nwfBinding *b = nwfBindingParseFile(names->pdata[i], error);
        if (!b) {
            g_ptr_array_unref(res);
            return NULL;
        }
        g_ptr_array_add(res, b);
    }
    return res;
}

static char *outerNetns;

/* A new, empty network namespace for this process and the tools it
 * starts; FALSE unless we are really out of the initial one. */
static bool
enterFreshNetns(void)
{
    g_autofree char *self = NULL;

    if (unshare(CLONE_NEWNET) < 0)
        return false;
    self = g_file_read_link("/proc/self/ns/net", NULL);
    return self && outerNetns && strcmp(self, outerNetns) != 0;
}

/* Applies the programs once; the commands run are appended to @log. */
static bool
applyAll(vfBackend *backend, GPtrArray *fws, GError **error)
{
    for (guint i = 0; i < fws->len; i++)
        if (!vfBackendApplyOne(backend, fws->pdata[i], NULL, error))
            return false;
    return true;
}

/* --restore: apply with the restore backend; only the kernel state is
 * compared (its process sequence differs from libvirt's by design). */
static bool useRestore;

static bool
runCase(const char *casedir, const char *name)
{
    g_autofree char *filters = g_build_filename(casedir, "filters", NULL);
    const char *dirs[] = { filters, STOCK_DIR, NULL };
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfFilterSet) set = NULL;
    g_autoptr(GPtrArray) bindings = NULL;
    g_autoptr(GPtrArray) fws = NULL;
    g_autoptr(GPtrArray) fws2 = NULL;
    g_autoptr(GPtrArray) errors = NULL;
    g_autoptr(vfRunner) inner = vfRunnerNewSubprocess(-1);
    LogRunner lr = { 0 };
    g_autoptr(vfBackend) backend = NULL;
    bool ok = true;
    static const char *const tools[] = { "ebtables", "iptables", "ip6tables" };

    lr.parent.run = logRun;
    lr.inner = inner;
    lr.log = g_ptr_array_new_with_free_func(g_free);
    backend = vfBackendNew(useRestore ? VF_BACKEND_RESTORE : VF_BACKEND_EXEC,
                           &lr.parent);

    if (!enterFreshNetns()) {
        fprintf(stderr, "FAIL %s: no private network namespace\n", name);
        abort();
    }
    if (!(set = nwfLoadFilters(dirs, &err)) ||
        !(bindings = loadBindings(casedir, &err))) {
        fprintf(stderr, "FAIL %s: %s\n", name, err->message);
        g_ptr_array_unref(lr.log);
        return false;
    }
    fws = nwfBuildInstantiateAll(set, bindings, &errors);
    for (guint i = 0; i < fws->len; i++) {
        if (!fws->pdata[i]) {
            fprintf(stderr, "FAIL %s: %s\n", name,
                    ((GError *)errors->pdata[i])->message);
            g_ptr_array_unref(lr.log);
            return false;
        }
    }

    for (int round = 0; round < 2 && ok; round++) {
        g_autofree char *cmdsPath = g_build_filename(casedir,
                                                     round ? "restart.cmds" : "create.cmds",
                                                     NULL);
        g_autofree char *expected = readNormalized(cmdsPath, true);
        g_autoptr(GString) actual = g_string_new(NULL);
        GPtrArray *progs = fws;

        if (round) {
            /* a restart rebuilds the same programs */
            fws2 = nwfBuildInstantiateAll(set, bindings, NULL);
            progs = fws2;
        }
        g_ptr_array_set_size(lr.log, 0);
        if (!applyAll(backend, progs, &err)) {
            fprintf(stderr, "FAIL %s: apply: %s\n", name, err->message);
            ok = false;
            break;
        }
        for (guint i = 0; i < lr.log->len; i++)
            g_string_append_printf(actual, "%s\n", (char *)lr.log->pdata[i]);
        if (!useRestore && *expected && strcmp(expected, actual->str) != 0) {
            fprintf(stderr, "FAIL %s: %s\n", name, round ? "restart.cmds" : "create.cmds");
            showDiff("command sequence", expected, actual->str);
            ok = false;
        }
        for (guint t = 0; t < G_N_ELEMENTS(tools); t++) {
            g_autofree char *file = g_strdup_printf("after-create.%s-save", tools[t]);
            g_autofree char *path = g_build_filename(casedir, file, NULL);
            g_autofree char *tool = g_strdup_printf("%s-save", tools[t]);
            g_autofree char *exp = readNormalized(path, false);
            g_autofree char *act = saveOutput(tool);
            if (strcmp(exp, act) != 0) {
                fprintf(stderr, "FAIL %s: %s (%s)\n", name, file,
                        round ? "after re-apply" : "after create");
                showDiff(tool, exp, act);
                ok = false;
            }
        }
    }
    if (ok)
        fprintf(stderr, "PASS %s (%u processes in the last apply)\n", name, lr.log->len);
    g_ptr_array_unref(lr.log);
    return ok;
}

int
main(int argc, char **argv)
{
    const char *data = g_getenv("VF_TESTDATA");
    g_autofree char *root = NULL;
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    guint failed = 0;

    if (getuid() != 0) {
        fprintf(stderr, "SKIP: needs root for a private network namespace\n");
        return 77;
    }
    if (!(outerNetns = g_file_read_link("/proc/self/ns/net", NULL))) {
        fprintf(stderr, "SKIP: cannot read /proc/self/ns/net\n");
        return 77;
    }
    if (!enterFreshNetns()) {
        fprintf(stderr, "SKIP: cannot create a network namespace\n");
        return 77;
    }
    if (!g_file_test(STOCK_DIR, G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "SKIP: %s missing\n", STOCK_DIR);
        return 77;
    }
    if (argc > 1 && strcmp(argv[1], "--restore") == 0) {
        useRestore = true;
        argv++;
        argc--;
    }
    root = g_build_filename(data ? data : "tests/restoredata", "nwfilter", NULL);
    d = g_dir_open(root, 0, NULL);
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(root, n, NULL);
        g_autofree char *c = g_build_filename(p, "create.cmds", NULL);
        if (g_file_test(c, G_FILE_TEST_EXISTS) &&
            (argc < 2 || g_strv_contains((const char *const *)argv + 1, n)))
            g_ptr_array_add(cases, g_strdup(n));
    }
    g_ptr_array_sort(cases, cmpStr);
    for (guint i = 0; i < cases->len; i++) {
        g_autofree char *p = g_build_filename(root, cases->pdata[i], NULL);
        if (!runCase(p, cases->pdata[i]))
            failed++;
    }
    fprintf(stderr, "%u/%u oracle cases match libvirt\n", cases->len - failed,
            cases->len);
    return failed ? 1 : 0;
}
