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
    g_atomic_int_inc((gint *)&runner->spawned);
    return runner->run(runner, argv, input, res, error);
}

void
vfRunnerPrestart(vfRunner *runner, const char *const *argv)
{
    if (runner->prestart)
        runner->prestart(runner, argv);
}

void
vfRunnerCancelPrestarted(vfRunner *runner)
{
    if (runner->cancel)
        runner->cancel(runner);
}

void
vfRunnerFree(vfRunner *runner)
{
    if (!runner)
        return;
    vfRunnerCancelPrestarted(runner);
    if (runner->free)
        runner->free(runner);
    else
        g_free(runner);
}

/* ---- GSubprocess ---- */

typedef struct {
    char **argv;
    GSubprocess *proc;
} vfStarted;

typedef struct {
    vfRunner parent;
    int netns_fd;
    GMutex lock;          /* runs may come from several threads */
    GPtrArray *started;   /* of vfStarted*: prestarted, waiting for input */
} vfSubprocessRunner;

static void
startedFree(vfStarted *st)
{
    g_strfreev(st->argv);
    g_clear_object(&st->proc);
    g_free(st);
}

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

static GSubprocess *
spawn(vfSubprocessRunner *self, const char *const *argv, GError **error)
{
    g_autoptr(GSubprocessLauncher) launcher = NULL;
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
    return g_subprocess_launcher_spawnv(launcher, argv, error);
}

static void
subprocessPrestart(vfRunner *runner, const char *const *argv)
{
    vfSubprocessRunner *self = (vfSubprocessRunner *)runner;
    g_autoptr(GError) err = NULL;
    vfStarted *st = g_new0(vfStarted, 1);

    /* a failure shows again, and is reported, when the input comes */
    if (!(st->proc = spawn(self, argv, &err))) {
        g_debug("cannot start %s ahead: %s", argv[0], err->message);
        g_free(st);
        return;
    }
    st->argv = g_strdupv((char **)argv);
    g_mutex_lock(&self->lock);
    g_ptr_array_add(self->started, st);
    g_mutex_unlock(&self->lock);
    g_atomic_int_inc((gint *)&runner->spawned);
}

/* The process prestarted for @argv, if any; the caller owns it. */
static GSubprocess *
takeStarted(vfSubprocessRunner *self, const char *const *argv)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);

    for (guint i = 0; i < self->started->len; i++) {
        vfStarted *st = g_ptr_array_index(self->started, i);
        if (g_strv_equal((const char *const *)st->argv, argv)) {
            GSubprocess *proc = g_steal_pointer(&st->proc);
            g_ptr_array_remove_index(self->started, i);
            return proc;
        }
    }
    return NULL;
}

static void
subprocessCancel(vfRunner *runner)
{
    vfSubprocessRunner *self = (vfSubprocessRunner *)runner;
    g_autoptr(GBytes) none = g_bytes_new_static("", 0);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);

    for (guint i = 0; i < self->started->len; i++) {
        vfStarted *st = g_ptr_array_index(self->started, i);
        g_autoptr(GError) err = NULL;
        if (!g_subprocess_communicate(st->proc, none, NULL, NULL, NULL, &err))
            g_debug("%s started ahead: %s", st->argv[0], err->message);
    }
    g_ptr_array_set_size(self->started, 0);
}

static void
subprocessFree(vfRunner *runner)
{
    vfSubprocessRunner *self = (vfSubprocessRunner *)runner;

    g_ptr_array_unref(self->started);
    g_mutex_clear(&self->lock);
    g_free(self);
}

static gboolean
subprocessRun(vfRunner *runner, const char *const *argv, const char *input,
              vfRunResult *res, GError **error)
{
    vfSubprocessRunner *self = (vfSubprocessRunner *)runner;
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GBytes) stdinBytes = NULL;
    g_autoptr(GBytes) outBytes = NULL;
    g_autoptr(GBytes) errBytes = NULL;

    if ((proc = takeStarted(self, argv)))
        g_atomic_int_add((gint *)&runner->spawned, -1);   /* counted when it started */
    else if (!(proc = spawn(self, argv, error)))
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
    self->parent.prestart = subprocessPrestart;
    self->parent.cancel = subprocessCancel;
    self->parent.free = subprocessFree;
    self->started = g_ptr_array_new_with_free_func((GDestroyNotify)startedFree);
    g_mutex_init(&self->lock);
    self->netns_fd = netns_fd;
    return &self->parent;
}

/* ---- recorder ---- */

typedef struct {
    vfRunner parent;
    GMutex lock;
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
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);

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
    g_mutex_clear(&self->lock);
    g_free(self);
}

vfRunner *
vfRunnerNewScripted(vfRecorderAnswer answer, void *opaque)
{
    vfRecorder *self = g_new0(vfRecorder, 1);

    self->parent.run = recorderRun;
    self->parent.free = recorderFree;
    self->calls = g_ptr_array_new_with_free_func((GDestroyNotify)recordedCallFree);
    g_mutex_init(&self->lock);
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
