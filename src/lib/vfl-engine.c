/*
 * vfl-engine.c: vflEngine, a vfBackend whose processes are the caller's
 */
#include "vfl-priv.h"
#include "backend.h"
#include "error.h"
#include "conf/vfconf.h"

#include <stdlib.h>

/*
 * A vfRunner over the caller's vflRunFunc: every process the engine needs
 * is started there (libvirt: virCommand, with its logging and dry-run).
 * No prestart, and no apply in two halves (vfBackendApplyBegin: the
 * restore tools side by side on threads): the caller's runner is called
 * from the applying thread only, one process at a time.
 */
typedef struct {
    vfRunner parent;
    vflRunFunc run;
    void *opaque;
} vflRunner;

static gboolean
callerRun(vfRunner *runner, const char *const *argv, const char *input,
          vfRunResult *res, GError **error)
{
    vflRunner *self = (vflRunner *)runner;
    char *out = NULL, *err = NULL;
    int status = 0;

    if (self->run(argv, input, &status, &out, &err, self->opaque) < 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_TOOL, "%s",
                    err && *g_strstrip(err) ? err : "the caller's runner failed");
        free(out);
        free(err);
        return FALSE;
    }
    /* malloc'd, and GLib's allocator is malloc (GLib >= 2.46): taken as
     * they are, a 5 MiB *-save is not copied */
    res->status = status;
    res->out = out ? out : g_strdup("");
    res->err = err ? err : g_strdup("");
    return TRUE;
}

static void
runnerInit(vflRunner *runner, vflRunFunc run, void *opaque)
{
    memset(runner, 0, sizeof(*runner));
    runner->parent.run = callerRun;
    runner->run = run;
    runner->opaque = opaque;
}

struct _vflEngine {
    vflRunner runner;
    vfTarget *target;   /* the caller's namespace, through its runner */
    vfBackend *backend;
    vflBackend kind;
};

static void
setError(char **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
setError(char **error, const char *fmt, ...)
{
    va_list ap;

    if (!error)
        return;
    va_start(ap, fmt);
    *error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

vflEngine *
vflEngineNew(vflBackend backend, unsigned int flags, vflRunFunc run,
             void *opaque, char **error)
{
    vflEngine *engine;
    vfBackendOptions opts;

    if (backend != VFL_BACKEND_EXEC && backend != VFL_BACKEND_RESTORE) {
        setError(error, "unknown firewall engine backend %d", (int)backend);
        return NULL;
    }
    if (flags & ~(unsigned int)VFL_ENGINE_KEEP_TABLES) {
        setError(error, "unknown firewall engine flags 0x%x", flags);
        return NULL;
    }
    if (!run) {
        setError(error, "a firewall engine needs a runner");
        return NULL;
    }

    engine = g_new0(vflEngine, 1);
    runnerInit(&engine->runner, run, opaque);
    engine->kind = backend;
    /* as virt-firewall's own commands (tools/target.c): which tools run is
     * looked at once, as libvirtd looks at its config once; exec's
     * commits are not counted */
    engine->target = vfTargetNew(&engine->runner.parent, -1,
                                 backend == VFL_BACKEND_EXEC ? VF_TARGET_NO_GENERATION : 0);
    opts = vfBackendOptionsFor(backend == VFL_BACKEND_EXEC ? VF_BACKEND_EXEC
                                                          : VF_BACKEND_RESTORE,
                               engine->target);
    opts.keep_tables = (flags & VFL_ENGINE_KEEP_TABLES) != 0;
    engine->backend = vfBackendNew(&opts);
    return engine;
}

void
vflEngineFree(vflEngine *engine)
{
    if (!engine)
        return;
    vfBackendFree(engine->backend);
    vfTargetFree(engine->target);
    g_free(engine);
}

vflBackend
vflEngineGetBackend(const vflEngine *engine)
{
    return engine->kind;
}

void
vflEngineSetWait(vflEngine *engine, unsigned int seconds)
{
    vfBackendOptions opts = *vfBackendGetOptions(engine->backend);

    /* options are a backend's for its life: a new one (the kept tables,
     * if any, are read again by the next apply) */
    if (opts.wait_seconds == seconds)
        return;
    opts.wait_seconds = seconds;
    vfBackendFree(engine->backend);
    engine->backend = vfBackendNew(&opts);
}

int
vflEngineApply(vflEngine *engine, vflProgram *const *progs, size_t nprogs,
               char **errors, char **batchError, vflStats *stats)
{
    g_autofree virFirewall **fws = g_new0(virFirewall *, nprogs + 1);
    g_autofree GError **errs = g_new0(GError *, nprogs + 1);
    g_autoptr(GError) err = NULL;
    vfApplyStats st = { 0 };
    gboolean ok;

    for (size_t i = 0; i < nprogs; i++)
        fws[i] = progs[i]->fw;
    ok = vfBackendApply(engine->backend, fws, nprogs, errs, &st, &err);
    for (size_t i = 0; i < nprogs; i++) {
        if (!errs[i])
            continue;
        ok = FALSE;
        if (errors)
            errors[i] = g_strdup(errs[i]->message);
        g_error_free(errs[i]);
    }
    if (err && batchError)
        *batchError = g_strdup(err->message);
    if (stats) {
        memset(stats, 0, sizeof(*stats));
        stats->processes = st.processes;
        stats->lines = st.lines;
        stats->passes = st.passes;
        stats->retries = st.retries;
    }
    /* the next apply's copy of the kept tables, made after we return:
     * libvirt waits for this apply, and freeing the last one's tables and
     * copying the kept ones (every rule parsed: the simulation's) was
     * nearly half of a VM start's CPU in libvirtd beside 100 bindings,
     * 83 % beside 1000. The next apply, or vflEngineFree, waits for it.
     * Without kept tables the backend has nothing to prepare and starts
     * no thread. */
    vfBackendPrepareNextAsync(engine->backend);
    return ok && !err ? 0 : -1;
}

int
vflProbeRestoreTools(vflRunFunc run, void *opaque, char **why)
{
    vflRunner runner;
    g_autofree char *reason = NULL;
    gboolean ok;

    if (!run) {
        setError(why, "no runner to probe the restore tools with");
        return 0;
    }
    runnerInit(&runner, run, opaque);
    ok = vfConfProbeRestoreTools(&runner.parent, &reason);
    if (why)
        *why = g_steal_pointer(&reason);
    return ok ? 1 : 0;
}

const char *
vflVersion(void)
{
    return VF_VERSION;
}
