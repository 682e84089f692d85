/*
 * test-runner: processes started ahead of their input (vfRunnerPrestart)
 * are the ones the next run of the same argv feeds, are counted once, and
 * end with no input when nobody feeds them. Plain commands (cat, sh), no
 * firewall tool and no namespace.
 */
#include "runner.h"

#include <stddef.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib/gstdio.h>
#include <unistd.h>

/* sh -c SCRIPT, with $1 = @arg */
#define SH(script, arg) { "/bin/sh", "-c", script, "sh", arg, NULL }

static void
test_fed(void **state G_GNUC_UNUSED)
{
    g_autoptr(vfRunner) r = vfRunnerNewSubprocess(-1);
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("vf-runner-XXXXXX", NULL);
    g_autofree char *pidFile = g_build_filename(dir, "pid", NULL);
    const char *argv[] = SH("echo $$ > \"$1\"; cat", pidFile);
    g_autofree char *startedPid = NULL;

    vfRunnerPrestart(r, argv);
    assert_int_equal(r->spawned, 1);
    /* it runs before any input: it wrote its pid */
    for (int i = 0; i < 500 && !g_file_test(pidFile, G_FILE_TEST_EXISTS); i++)
        g_usleep(10000);
    g_usleep(20000);
    assert_true(g_file_get_contents(pidFile, &startedPid, NULL, NULL));
    assert_true(vfRunnerRun(r, argv, "hello\n", &res, &err));
    assert_int_equal(res.status, 0);
    assert_string_equal(res.out, "hello\n");
    assert_int_equal(r->spawned, 1);   /* the same process, counted once */
    {   /* and it was that process: no second pid written */
        g_autofree char *pid = NULL;
        assert_true(g_file_get_contents(pidFile, &pid, NULL, NULL));
        assert_string_equal(pid, startedPid);
    }
    /* the next run starts its own */
    vfRunResultClear(&res);
    assert_true(vfRunnerRun(r, argv, "again\n", &res, &err));
    assert_string_equal(res.out, "again\n");
    assert_int_equal(r->spawned, 2);
    g_unlink(pidFile);
    g_rmdir(dir);
}

static void
test_other_argv(void **state G_GNUC_UNUSED)
{
    g_autoptr(vfRunner) r = vfRunnerNewSubprocess(-1);
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) err = NULL;
    const char *cat[] = { "cat", NULL };
    const char *catDash[] = { "cat", "-", NULL };

    vfRunnerPrestart(r, cat);
    assert_true(vfRunnerRun(r, catDash, "x", &res, &err));
    assert_string_equal(res.out, "x");
    assert_int_equal(r->spawned, 2);
    /* freeing the runner ends the waiting cat (no hang, no leak) */
}

static void
test_cancel(void **state G_GNUC_UNUSED)
{
    g_autoptr(vfRunner) r = vfRunnerNewSubprocess(-1);
    g_autofree char *dir = g_dir_make_tmp("vf-runner-XXXXXX", NULL);
    g_autofree char *out = g_build_filename(dir, "in", NULL);
    g_autofree char *got = NULL;
    gsize len = 99;
    const char *argv[] = SH("cat > \"$1\"", out);

    vfRunnerPrestart(r, argv);
    vfRunnerCancelPrestarted(r);
    /* it ended (cancel waits) with an empty input */
    assert_true(g_file_get_contents(out, &got, &len, NULL));
    assert_int_equal(len, 0);
    assert_int_equal(r->spawned, 1);   /* it did run */
    /* nothing left to take: a run starts a new process */
    {
        g_auto(vfRunResult) res = { 0 };
        g_autoptr(GError) err = NULL;
        assert_true(vfRunnerRun(r, argv, "y", &res, &err));
        assert_int_equal(r->spawned, 2);
    }
    g_unlink(out);
    g_rmdir(dir);
}

static void
test_missing(void **state G_GNUC_UNUSED)
{
    g_autoptr(vfRunner) r = vfRunnerNewSubprocess(-1);
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) err = NULL;
    const char *argv[] = { "/nonexistent/vf-tool", NULL };

    vfRunnerPrestart(r, argv);
    assert_int_equal(r->spawned, 0);
    /* the failure shows where the input is given */
    assert_false(vfRunnerRun(r, argv, "z", &res, &err));
    assert_non_null(err);
}

static void
test_recorder(void **state G_GNUC_UNUSED)
{
    g_autoptr(vfRunner) r = vfRunnerNewRecorder();
    const char *argv[] = { "ebtables-restore", "--noflush", NULL };

    vfRunnerPrestart(r, argv);
    vfRunnerCancelPrestarted(r);
    assert_int_equal(r->spawned, 0);
    assert_int_equal(vfRunnerRecorderCalls(r)->len, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fed),
        cmocka_unit_test(test_other_argv),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_recorder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
