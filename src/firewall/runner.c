/*
 * runner.c: starting firewall processes (GSubprocess) and recording them
 *
 * A tool's input is in place before it can read its end (runner.h): a
 * sealed memfd as a fresh tool's stdin, one write into the pipe of a tool
 * started ahead. No pipe write here can raise SIGPIPE.
 */
#include "runner.h"
#include "sigpipe.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixoutputstream.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The largest input a prestarted process is fed through its pipe (the
 * pipe is grown to hold it all, see feedStarted); 1 MiB is the default
 * pipe-max-size, and a VM start's restore is a few kB. Larger inputs go
 * to a fresh process through a memfd. */
#define VF_FEED_MAX (1024 * 1024)

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

/*
 * A sealed memfd holding @input, at offset 0, for a child's stdin: the
 * whole input is in place before the child starts. Our death (SIGKILL)
 * cannot cut it short, so a tool that commits what it read at end of
 * input (ebtables-restore needs no COMMIT) commits all of it or, killed
 * with us, nothing; and a tool that stops reading at a line it refuses
 * raises no SIGPIPE here, as there is no pipe to write.
 */
static int
sealedInput(const char *input, gsize len, GError **error)
{
    int fd = memfd_create("vf-tool-input", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    const char *p = input;
    gsize left = len;

    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot hold a tool's input (memfd_create): %s", g_strerror(errno));
        return -1;
    }
    while (left > 0) {
        gssize n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "cannot hold a tool's input (%zu bytes): %s", len, g_strerror(e));
            close(fd);
            return -1;
        }
        p += n;
        left -= n;
    }
    /* the seals say no one changes it now; the child reads from offset 0
     * (the offset is shared with it) */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0 ||
        lseek(fd, 0, SEEK_SET) != 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot seal a tool's input: %s", g_strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* @stdinFd: VF_STDIN_PIPE (a process started ahead of its input),
 * VF_STDIN_NULL (/dev/null), or an fd the launcher takes. */
#define VF_STDIN_PIPE (-2)
#define VF_STDIN_NULL (-1)

static GSubprocess *
spawn(vfSubprocessRunner *self, const char *const *argv, int stdinFd,
      GError **error)
{
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                             G_SUBPROCESS_FLAGS_STDERR_PIPE;

    if (stdinFd == VF_STDIN_PIPE)
        flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
    launcher = g_subprocess_launcher_new(flags);
    if (stdinFd >= 0)
        g_subprocess_launcher_take_stdin_fd(launcher, stdinFd);
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
    if (!(st->proc = spawn(self, argv, VF_STDIN_PIPE, &err))) {
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

/*
 * Feeds @input to a process started ahead (its stdin a pipe) with one
 * write(2) into the empty pipe, grown first to hold it all: the kernel
 * copies the whole input before the call returns, so nothing we suffer
 * after (a SIGKILL) leaves the tool a prefix and then end of input. The
 * caller then closes the pipe. FALSE when the input cannot go that way
 * (too large, the pipe cannot grow, a short write, the process gone):
 * the process is then killed while the pipe is still open, so it never
 * sees end of input and commits nothing, and the caller starts a fresh
 * one from a memfd.
 */
static gboolean
feedStarted(GSubprocess *proc, const char *input, gsize len)
{
    GOutputStream *in = g_subprocess_get_stdin_pipe(proc);
    int fd = g_unix_output_stream_get_fd(G_UNIX_OUTPUT_STREAM(in));
    int cap = fcntl(fd, F_GETPIPE_SZ);

    if (len == 0)
        return TRUE;
    if (len <= VF_FEED_MAX && cap >= 0 &&
        ((gsize)cap >= len || fcntl(fd, F_SETPIPE_SZ, (int)len) >= (int)len) &&
        vfWriteNoSigpipe(fd, input, len) == (gssize)len)
        return TRUE;
    g_debug("a process started ahead cannot take its input in one write; "
            "running a fresh one");
    g_subprocess_force_exit(proc);
    g_subprocess_wait(proc, NULL, NULL);
    return FALSE;
}

static gboolean
subprocessRun(vfRunner *runner, const char *const *argv, const char *input,
              vfRunResult *res, GError **error)
{
    vfSubprocessRunner *self = (vfSubprocessRunner *)runner;
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GBytes) none = NULL;
    g_autoptr(GBytes) outBytes = NULL;
    g_autoptr(GBytes) errBytes = NULL;
    gsize len = input ? strlen(input) : 0;

    if ((proc = takeStarted(self, argv))) {
        if (feedStarted(proc, input ? input : "", len)) {
            g_atomic_int_add((gint *)&runner->spawned, -1);   /* counted when it started */
            none = g_bytes_new_static("", 0);   /* closes its pipe: end of input */
        } else {
            g_clear_object(&proc);
        }
    }
    if (!proc) {
        int fd = VF_STDIN_NULL;
        if (input && (fd = sealedInput(input, len, error)) < 0)
            return FALSE;
        if (!(proc = spawn(self, argv, fd, error)))
            return FALSE;
    }
    /* bytes, not _utf8: *-save prints what the kernel holds, and a
     * comment xt_comment cut at 255 bytes (or written by another tool)
     * need not be UTF-8 */
    if (!g_subprocess_communicate(proc, none, NULL, &outBytes, &errBytes, error))
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
    GDestroyNotify destroy;   /* of @opaque, with the runner */
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
    if (self->destroy)
        self->destroy(self->opaque);
    g_free(self);
}

vfRunner *
vfRunnerNewScripted(vfRecorderAnswer answer, void *opaque)
{
    return vfRunnerNewScriptedFull(answer, opaque, NULL);
}

vfRunner *
vfRunnerNewScriptedFull(vfRecorderAnswer answer, void *opaque, GDestroyNotify destroy)
{
    vfRecorder *self = g_new0(vfRecorder, 1);

    self->parent.run = recorderRun;
    self->parent.free = recorderFree;
    self->calls = g_ptr_array_new_with_free_func((GDestroyNotify)recordedCallFree);
    g_mutex_init(&self->lock);
    self->answer = answer;
    self->opaque = opaque;
    self->destroy = destroy;
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
