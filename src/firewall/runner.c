/*
 * runner.c: starting firewall processes (GSubprocess) and recording them
 */
#include "runner.h"

#include <gio/gio.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

void
vfRunResultClear(vfRunResult *res)
{
    g_clear_pointer(&res->out, g_free);
    g_clear_pointer(&res->err, g_free);
    res->status = 0;
}

gboolean
vfRunnerRun(vfRunner *runner, const char *const *argv, const char *input,
            vfRunResult *res, GError **error)
{
    vfRunResultClear(res);
    runner->spawned++;
    return runner->run(runner, argv, input, res, error);
}

void
vfRunnerFree(vfRunner *runner)
{
    if (!runner)
        return;
    if (runner->free)
        runner->free(runner);
    else
        g_free(runner);
}

/* ---- GSubprocess ---- */

typedef struct {
    vfRunner parent;
    int netns_fd;
} vfSubprocessRunner;

static void
enterNetns(gpointer data)
{
    int fd = GPOINTER_TO_INT(data);

    /* in the child, before exec: a failure must not run the tool in the
     * caller's namespace */
    if (setns(fd, CLONE_NEWNET) < 0)
        _exit(126);
}

/* A NUL-terminated copy of a pipe's bytes (NULL for none). */
static char *
bytesToString(GBytes *bytes)
{
    gsize len = 0;
    const char *data;

    if (!bytes)
        return NULL;
    data = g_bytes_get_data(bytes, &len);
    return g_strndup(data ? data : "", len);
}

static gboolean
subprocessRun(vfRunner *runner, const char *const *argv, const char *input,
              vfRunResult *res, GError **error)
{
    vfSubprocessRunner *self = (vfSubprocessRunner *)runner;
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GBytes) stdinBytes = NULL;
    g_autoptr(GBytes) outBytes = NULL;
    g_autoptr(GBytes) errBytes = NULL;
    GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                             G_SUBPROCESS_FLAGS_STDERR_PIPE |
                             G_SUBPROCESS_FLAGS_STDIN_PIPE;

    launcher = g_subprocess_launcher_new(flags);
    /* tools print messages we parse: keep them in English */
    g_subprocess_launcher_setenv(launcher, "LC_ALL", "C", TRUE);
    if (self->netns_fd >= 0)
        g_subprocess_launcher_set_child_setup(launcher, enterNetns,
                                              GINT_TO_POINTER(self->netns_fd),
                                              NULL);
    if (!(proc = g_subprocess_launcher_spawnv(launcher, argv, error)))
        return FALSE;
    /* bytes, not _utf8: *-save prints what the kernel holds, and a
     * comment xt_comment cut at 255 bytes (or written by another tool)
     * need not be UTF-8 */
    stdinBytes = g_bytes_new_static(input ? input : "", input ? strlen(input) : 0);
    if (!g_subprocess_communicate(proc, stdinBytes, NULL, &outBytes, &errBytes,
                                  error))
        return FALSE;
    res->out = bytesToString(outBytes);
    res->err = bytesToString(errBytes);
    if (g_subprocess_get_if_exited(proc))
        res->status = g_subprocess_get_exit_status(proc);
    else
        res->status = 128 + g_subprocess_get_term_sig(proc);
    if (!res->out)
        res->out = g_strdup("");
    if (!res->err)
        res->err = g_strdup("");
    return TRUE;
}

vfRunner *
vfRunnerNewSubprocess(int netns_fd)
{
    vfSubprocessRunner *self = g_new0(vfSubprocessRunner, 1);

    self->parent.run = subprocessRun;
    self->netns_fd = netns_fd;
    return &self->parent;
}

/* ---- recorder ---- */

typedef struct {
    vfRunner parent;
    GPtrArray *calls;
    vfRecorderAnswer answer;
    void *opaque;
} vfRecorder;

static void
recordedCallFree(vfRecordedCall *call)
{
    g_strfreev(call->argv);
    g_free(call->input);
    g_free(call);
}

static gboolean
recorderRun(vfRunner *runner, const char *const *argv, const char *input,
            vfRunResult *res, GError **error)
{
    vfRecorder *self = (vfRecorder *)runner;
    vfRecordedCall *call = g_new0(vfRecordedCall, 1);

    call->argv = g_strdupv((char **)argv);
    call->input = g_strdup(input);
    g_ptr_array_add(self->calls, call);
    res->status = 0;
    if (self->answer)
        self->answer(argv, input, res, self->opaque);
    if (!res->out)
        res->out = g_strdup("");
    if (!res->err)
        res->err = g_strdup("");
    return TRUE;
}

static void
recorderFree(vfRunner *runner)
{
    vfRecorder *self = (vfRecorder *)runner;

    g_ptr_array_unref(self->calls);
    g_free(self);
}

vfRunner *
vfRunnerNewScripted(vfRecorderAnswer answer, void *opaque)
{
    vfRecorder *self = g_new0(vfRecorder, 1);

    self->parent.run = recorderRun;
    self->parent.free = recorderFree;
    self->calls = g_ptr_array_new_with_free_func((GDestroyNotify)recordedCallFree);
    self->answer = answer;
    self->opaque = opaque;
    return &self->parent;
}

vfRunner *
vfRunnerNewRecorder(void)
{
    return vfRunnerNewScripted(NULL, NULL);
}

GPtrArray *
vfRunnerRecorderCalls(vfRunner *runner)
{
    return ((vfRecorder *)runner)->calls;
}
