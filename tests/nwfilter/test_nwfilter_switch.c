/*
 * test_nwfilter_switch.c: an interface switching filters must end in
 * libvirt's state. Cases in tests/restoredata/nwfilter-switch/<case>/ were
 * captured from real libvirt 9.0 with tests/nwfilter/oracle-switch.sh:
 *
 *   mode delete-create   nwfilter-binding-delete + nwfilter-binding-create
 *                        (binding-a.xml, then binding-b.xml): allTeardown,
 *                        then applyNewRules + tearOldRules of the new filter
 *   mode update          nwfilter-define of a new version of the filter the
 *                        binding uses (filters-new/ before filters/):
 *                        applyNewRules + tearOldRules over the old rules
 *
 * In a fresh private network namespace per case and backend: binding A is
 * instantiated (state = before.*-save), then switched; the states after
 * each libvirt step (after-delete, after-switch) must match, and with the
 * exec backend the command sequence of the switch must be switch.cmds.
 * With --restore each step is one batch; in addition the whole switch
 * (teardown + instantiate) is applied as ONE batch in another namespace.
 */
#include "nwftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool useRestore;

typedef struct {
    const char *dir;
    const char *name;
    bool update;
    nwfFilterSet *setA;
    nwfFilterSet *setB;
    nwfBinding *a;
    nwfBinding *b;      /* == a for update */
} SwitchCase;

static bool
apply(vfBackend *backend, GPtrArray *fws, const char *label, GError **error)
{
    bool ok;
    if (useRestore) {
        ok = nwftApplyBatch(backend, fws, NULL, error);
    } else {
        ok = true;
        for (guint i = 0; ok && i < fws->len; i++)
            ok = vfBackendApplyOne(backend, fws->pdata[i], NULL, error);
    }
    if (!ok)
        g_prefix_error(error, "%s: ", label);
    return ok;
}

static GPtrArray *
progs(virFirewall *first, virFirewall *second)
{
    GPtrArray *a = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallFree);
    g_ptr_array_add(a, first);
    if (second)
        g_ptr_array_add(a, second);
    return a;
}

static virFirewall *
build(nwfFilterSet *set, nwfBinding *b)
{
    g_autoptr(GError) err = NULL;
    virFirewall *fw = nwfBuildInstantiate(set, b, &err);
    if (!fw) {
        fprintf(stderr, "cannot build: %s\n", err->message);
        abort();
    }
    return fw;
}

/* Steps as libvirt runs them, one apply per step. */
static bool
runSteps(SwitchCase *c)
{
    g_autoptr(vfRunner) inner = vfRunnerNewSubprocess(-1);
    g_autoptr(vfBackend) backend = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *label = g_strdup_printf("%s (%s)", c->name,
                                             useRestore ? "restore" : "exec");
    NwftLogRunner lr;
    bool ok = true;

    nwftLogRunnerInit(&lr, inner);
    backend = vfBackendNew(&VF_BACKEND_OPTIONS(useRestore ? VF_BACKEND_RESTORE : VF_BACKEND_EXEC, &lr.parent));
    if (!nwftEnterFreshNetns()) {
        fprintf(stderr, "FAIL %s: no private network namespace\n", label);
        abort();
    }
    {
        g_autoptr(GPtrArray) p = progs(build(c->setA, c->a), NULL);
        if (!apply(backend, p, "instantiate A", &err))
            goto fail;
        ok &= nwftCompareSaves(c->dir, "before", false, label);
    }
    nwftLogRunnerReset(&lr);
    if (!c->update) {
        g_autoptr(GPtrArray) t = progs(nwfBuildTeardown(c->a->portdev), NULL);
        g_autoptr(GPtrArray) p = progs(build(c->setB, c->b), NULL);
        if (!apply(backend, t, "teardown", &err))
            goto fail;
        ok &= nwftCompareSaves(c->dir, "after-delete", false, label);
        if (!apply(backend, p, "instantiate B", &err))
            goto fail;
    } else {
        g_autoptr(GPtrArray) p = progs(build(c->setB, c->a), NULL);
        if (!apply(backend, p, "update", &err))
            goto fail;
    }
    ok &= nwftCompareSaves(c->dir, "after-switch", false, label);
    if (!useRestore) {
        g_autofree char *path = g_build_filename(c->dir, "switch.cmds", NULL);
        g_autofree char *exp = nwftReadNormalized(path, true);
        g_autofree char *act = nwftLogRunnerText(&lr);
        /* the oracle's strace drops the save calls; we made none */
        if (strcmp(exp, act) != 0) {
            fprintf(stderr, "FAIL %s: switch.cmds\n", label);
            nwftShowDiff("command sequence", exp, act);
            ok = false;
        }
    }
    if (ok)
        fprintf(stderr, "PASS %s (%u processes for the switch)\n", label, lr.log->len);
    nwftLogRunnerClear(&lr);
    return ok;

 fail:
    fprintf(stderr, "FAIL %s: %s\n", label, err->message);
    nwftLogRunnerClear(&lr);
    return false;
}

/* --restore only: the whole switch as one batch. */
static bool
runOneBatch(SwitchCase *c)
{
    g_autoptr(vfRunner) inner = vfRunnerNewSubprocess(-1);
    g_autoptr(vfBackend) backend = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, inner));
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) a = progs(build(c->setA, c->a), NULL);
    g_autoptr(GPtrArray) sw = NULL;
    g_autofree char *label = g_strdup_printf("%s (restore, one batch)", c->name);
    vfApplyStats stats = { 0 };
    bool ok;

    if (!nwftEnterFreshNetns()) {
        fprintf(stderr, "FAIL %s: no private network namespace\n", label);
        abort();
    }
    if (c->update)
        sw = progs(build(c->setB, c->a), NULL);
    else
        sw = progs(nwfBuildTeardown(c->a->portdev), build(c->setB, c->b));
    if (!nwftApplyBatch(backend, a, NULL, &err) ||
        !nwftApplyBatch(backend, sw, &stats, &err)) {
        fprintf(stderr, "FAIL %s: %s\n", label, err->message);
        return false;
    }
    ok = nwftCompareSaves(c->dir, "after-switch", false, label);
    if (ok)
        fprintf(stderr, "PASS %s (%u processes, %u passes)\n", label,
                stats.processes, stats.passes);
    return ok;
}

static bool
loadCase(SwitchCase *c, GError **error)
{
    g_autofree char *filters = g_build_filename(c->dir, "filters", NULL);
    g_autofree char *filtersNew = g_build_filename(c->dir, "filters-new", NULL);
    g_autofree char *modePath = g_build_filename(c->dir, "mode", NULL);
    g_autofree char *aPath = g_build_filename(c->dir, "binding-a.xml", NULL);
    g_autofree char *bPath = g_build_filename(c->dir, "binding-b.xml", NULL);
    g_autofree char *mode = NULL;
    const char *dirsA[] = { filters, NWFT_STOCK_DIR, NULL };
    const char *dirsB[] = { filtersNew, filters, NWFT_STOCK_DIR, NULL };

    if (!g_file_get_contents(modePath, &mode, NULL, error))
        return false;
    c->update = g_str_equal(g_strstrip(mode), "update");
    if (!(c->setA = nwfLoadFilters(dirsA, error)) ||
        !(c->setB = nwfLoadFilters(c->update ? dirsB : dirsA, error)) ||
        !(c->a = nwfBindingParseFile(aPath, false, NULL, error)))
        return false;
    if (c->update)
        c->b = c->a;
    else if (!(c->b = nwfBindingParseFile(bPath, false, NULL, error)))
        return false;
    return true;
}

static void
clearCase(SwitchCase *c)
{
    g_clear_pointer(&c->setA, nwfFilterSetFree);
    g_clear_pointer(&c->setB, nwfFilterSetFree);
    if (c->b != c->a)
        g_clear_pointer(&c->b, nwfBindingFree);
    g_clear_pointer(&c->a, nwfBindingFree);
}

int
main(int argc, char **argv)
{
    const char *data = g_getenv("VF_TESTDATA");
    g_autofree char *root = NULL;
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    guint failed = 0, checks = 0;

    if (getuid() != 0) {
        fprintf(stderr, "SKIP: needs root for a private network namespace\n");
        return 77;
    }
    if (!nwftInit() || !nwftEnterFreshNetns()) {
        fprintf(stderr, "SKIP: cannot create a network namespace\n");
        return 77;
    }
    if (!g_file_test(NWFT_STOCK_DIR, G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "SKIP: %s missing\n", NWFT_STOCK_DIR);
        return 77;
    }
    if (argc > 1 && strcmp(argv[1], "--restore") == 0) {
        useRestore = true;
        argv++;
        argc--;
    }
    root = g_build_filename(data ? data : "tests/restoredata", "nwfilter-switch", NULL);
    d = g_dir_open(root, 0, NULL);
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(root, n, "mode", NULL);
        if (g_file_test(p, G_FILE_TEST_EXISTS) &&
            (argc < 2 || g_strv_contains((const char *const *)argv + 1, n)))
            g_ptr_array_add(cases, g_strdup(n));
    }
    g_ptr_array_sort(cases, nwftCmpStrPtr);
    for (guint i = 0; i < cases->len; i++) {
        g_autofree char *p = g_build_filename(root, cases->pdata[i], NULL);
        g_autoptr(GError) err = NULL;
        SwitchCase c = { .dir = p, .name = cases->pdata[i] };

        if (!loadCase(&c, &err)) {
            fprintf(stderr, "FAIL %s: %s\n", c.name, err->message);
            failed++;
            clearCase(&c);
            continue;
        }
        checks++;
        if (!runSteps(&c))
            failed++;
        if (useRestore) {
            checks++;
            if (!runOneBatch(&c))
                failed++;
        }
        clearCase(&c);
    }
    fprintf(stderr, "%u/%u switch checks match libvirt (%u cases)\n",
            checks - failed, checks, cases->len);
    return failed || cases->len == 0 ? 1 : 0;
}
