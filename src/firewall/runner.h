/*
 * runner.h: the only place where firewall processes are started.
 *
 * Backends never fork themselves; they hand an argv (and optional stdin
 * text) to a runner. The real runner uses GSubprocess; tests inject a fake
 * that records and replays; dry-run is a recording runner.
 */
#pragma once

#include <glib.h>

typedef struct _vfRunner vfRunner;

typedef struct {
    int status;      /* exit status, or 128+signal when killed */
    char *out;       /* captured stdout (never NULL after success) */
    char *err;       /* captured stderr (never NULL after success) */
} vfRunResult;

void vfRunResultClear(vfRunResult *res);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(vfRunResult, vfRunResultClear)

/*
 * Returns FALSE only when the process could not be run at all (missing
 * binary, spawn failure); a non-zero exit is reported in res->status.
 *
 * Two promises every runner that starts processes keeps about @input
 * (libvirt's runner, through virCommand, must keep them too):
 *  - the tool never sees the end of a part of @input: it reads all of it
 *    or, if the caller dies first, none. ebtables-restore commits what it
 *    read at end of input, COMMIT or not, so a caller killed while it
 *    wrote a pipe would leave a table torn. The subprocess runner gives a
 *    fresh tool a sealed memfd holding the whole input as its stdin, and a
 *    tool started ahead (vfRunnerPrestart) the whole input in one write
 *    into its grown, empty pipe (or a fresh process when that fails).
 *  - a tool that stops reading early (the restore tools exit at the
 *    first line they refuse) is a status and a message in @res, never a
 *    SIGPIPE: the caller's process must survive it.
 */
typedef gboolean (*vfRunFunc)(vfRunner *runner,
                              const char *const *argv,
                              const char *input,
                              vfRunResult *res,
                              GError **error);

struct _vfRunner {
    vfRunFunc run;
    void (*free)(vfRunner *runner);   /* NULL: g_free */
    /* optional, see vfRunnerPrestart() */
    void (*prestart)(vfRunner *runner, const char *const *argv);
    void (*cancel)(vfRunner *runner);
    guint spawned;   /* processes started through this runner */
};

/* May be called from several threads at once: the restore backend runs
 * the layers' restores of a small difference side by side in an apply in
 * two halves (vfBackendApplyBegin). The runners here allow it. */
gboolean vfRunnerRun(vfRunner *runner, const char *const *argv,
                     const char *input, vfRunResult *res, GError **error);

/*
 * Starts @argv now, its input to come: the next vfRunnerRun() of the same
 * argv feeds that process instead of starting one. A restore tool takes
 * 3-5 ms to start (dynamic linking, its netlink socket), time the caller
 * spends computing the input. Runners without processes ignore it.
 */
void vfRunnerPrestart(vfRunner *runner, const char *const *argv);
/* Ends the processes started and not fed with an empty input (the tools
 * then do nothing, and commit nothing); vfRunnerFree() does it too. */
void vfRunnerCancelPrestarted(vfRunner *runner);

/* Real processes via GSubprocess. @netns_fd: -1, or an fd of a network
 * namespace every child enters before exec. */
vfRunner *vfRunnerNewSubprocess(int netns_fd);

/* A runner that runs nothing: it records each argv and stdin and answers
 * exit 0 with empty output (libvirt's dry-run hook does the same). */
typedef struct {
    char **argv;
    char *input;
} vfRecordedCall;

vfRunner *vfRunnerNewRecorder(void);

/* A recorder whose answers come from @answer (tests: canned listings,
 * *-save text, failures). @answer fills res->status/out/err; fields it
 * leaves NULL become "". */
typedef void (*vfRecorderAnswer)(const char *const *argv, const char *input,
                                 vfRunResult *res, void *opaque);
vfRunner *vfRunnerNewScripted(vfRecorderAnswer answer, void *opaque);
/* The same; @destroy (may be NULL) frees @opaque with the runner. */
vfRunner *vfRunnerNewScriptedFull(vfRecorderAnswer answer, void *opaque,
                                  GDestroyNotify destroy);
GPtrArray *vfRunnerRecorderCalls(vfRunner *runner); /* of vfRecordedCall* */

void vfRunnerFree(vfRunner *runner);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfRunner, vfRunnerFree)
