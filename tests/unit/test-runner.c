/*
 * test-runner: processes started ahead of their input (vfRunnerPrestart)
 * are the ones the next run of the same argv feeds, are counted once, and
 * end with no input when nobody feeds them. A tool that stops reading
 * early costs no SIGPIPE, and a tool that kills its runner while it reads
 * still gets the whole input (runner-feed). Plain commands (cat, sh), no
 * firewall tool and no namespace.
 */
#include "runner.h"

#include <stddef.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
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

/* @size bytes of input (no NUL) */
static char *
bigInput(gsize size)
{
    char *s = g_malloc(size + 1);

    memset(s, 'x', size);
    s[size] = '\0';
    return s;
}

/* A tool that reads 10 bytes and exits, as the restore tools stop at the
 * first line they refuse: the rest of a 4 MiB input is never read. The
 * run reports its status and message; no SIGPIPE ends this process. */
static void
test_stops_reading(void **state G_GNUC_UNUSED)
{
    g_autoptr(vfRunner) r = vfRunnerNewSubprocess(-1);
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) err = NULL;
    g_autofree char *input = bigInput(4 << 20);
    const char *argv[] = SH("head -c 10 >/dev/null; echo 'line 1 refused' >&2; exit 2", "");

    assert_true(vfRunnerRun(r, argv, input, &res, &err));
    assert_int_equal(res.status, 2);
    assert_string_equal(res.err, "line 1 refused\n");
}

/* A process started ahead that closed its stdin before its input came:
 * the write meets a closed pipe (EPIPE, no SIGPIPE); a fresh process
 * gets the input and answers. */
static void
test_prestarted_gone(void **state G_GNUC_UNUSED)
{
    g_autoptr(vfRunner) r = vfRunnerNewSubprocess(-1);
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("vf-runner-XXXXXX", NULL);
    g_autofree char *mark = g_build_filename(dir, "closed", NULL);
    g_autofree char *input = bigInput(100 * 1024);
    /* the first one closes its stdin, says so and waits; the next reads */
    const char *argv[] = SH("if [ -e \"$1\" ]; then wc -c; else exec 0<&-; : > \"$1\"; "
                            "exec sleep 600; fi", mark);

    vfRunnerPrestart(r, argv);
    for (int i = 0; i < 3000 && !g_file_test(mark, G_FILE_TEST_EXISTS); i++)
        g_usleep(10000);
    assert_true(g_file_test(mark, G_FILE_TEST_EXISTS));
    assert_true(vfRunnerRun(r, argv, input, &res, &err));
    assert_int_equal(res.status, 0);
    assert_int_equal(atoi(res.out), 100 * 1024);
    assert_int_equal(r->spawned, 2);
    g_unlink(mark);
    g_rmdir(dir);
}

/* An input larger than a process started ahead takes in one write goes
 * to a fresh process; the one started ahead is ended. */
static void
test_prestarted_too_large(void **state G_GNUC_UNUSED)
{
    g_autoptr(vfRunner) r = vfRunnerNewSubprocess(-1);
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) err = NULL;
    g_autofree char *input = bigInput(3 << 20);
    const char *argv[] = { "wc", "-c", NULL };

    vfRunnerPrestart(r, argv);
    assert_true(vfRunnerRun(r, argv, input, &res, &err));
    assert_int_equal(res.status, 0);
    assert_int_equal(atoi(res.out), 3 << 20);
    assert_int_equal(r->spawned, 2);
}

/*
 * The tool reads @offset bytes of a @size-byte input, SIGKILLs its runner
 * (runner-feed), then reads on. It must get all the input: a tool that
 * commits at end of input (ebtables-restore) must never see the end of a
 * prefix because the process feeding it died.
 */
static void
killedAt(gboolean prestart, gsize size, gsize offset)
{
    const char *feed = g_getenv("VF_RUNNER_FEED");
    g_autofree char *dir = g_dir_make_tmp("vf-runner-XXXXXX", NULL);
    g_autofree char *out = g_build_filename(dir, "got", NULL);
    g_autofree char *lock = g_build_filename(dir, "lock", NULL);
    g_autofree char *sizeArg = g_strdup_printf("%zu", size);
    g_autofree char *script = g_strdup_printf(
        "exec 9>>'%s' && flock 9 && head -c %zu > '%s' && kill -9 $PPID && cat >> '%s'",
        lock, offset, out, out);
    const char *argv[] = { feed, prestart ? "--prestart" : sizeArg,
                           prestart ? sizeArg : "/bin/sh", prestart ? "/bin/sh" : "-c",
                           prestart ? "-c" : script, prestart ? script : NULL, NULL };
    g_autoptr(GError) err = NULL;
    GStatBuf st;
    int wstatus = 0, fd;

    assert_non_null(feed);
    assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                             NULL, NULL, NULL, NULL, &wstatus, &err));
    assert_true(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);
    /* the tool held the lock before it killed: taking it waits for its end */
    assert_true((fd = open(lock, O_RDWR)) >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    close(fd);
    assert_int_equal(g_stat(out, &st), 0);
    if ((gsize)st.st_size != size)
        fail_msg("%s tool killed its runner after %zu bytes: it got %zu of %zu",
                 prestart ? "a prestarted" : "a", offset, (gsize)st.st_size, size);
    g_unlink(out);
    g_unlink(lock);
    g_rmdir(dir);
}

static void
test_killed_while_read(void **state G_GNUC_UNUSED)
{
    /* more than a pipe holds (64 kB), not more than a prestarted tool
     * is fed in one write (1 MiB) */
    const gsize size = 1000 * 1000;
    const gsize offsets[] = { 1, 4095, 65536, 300001, size - 1 };

    for (gsize i = 0; i < G_N_ELEMENTS(offsets); i++) {
        killedAt(FALSE, size, offsets[i]);
        killedAt(TRUE, size, offsets[i]);
    }
    /* too large for a prestarted tool's one write: a fresh one, fed from
     * a memfd like any other */
    killedAt(TRUE, 3 << 20, 2 << 20);
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
        cmocka_unit_test(test_stops_reading),
        cmocka_unit_test(test_prestarted_gone),
        cmocka_unit_test(test_prestarted_too_large),
        cmocka_unit_test(test_killed_while_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
