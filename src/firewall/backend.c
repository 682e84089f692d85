/*
 * backend.c: choosing how programs reach the kernel — the table of
 * backends, the apply's frame (outcome, process count) and the thread of
 * vfBackendPrepareNextAsync. What a backend does is in its own files.
 */
#include "backend-ops.h"

#include <pthread.h>
#include <signal.h>

static const vfBackendOps *const backendOps[] = {
    [VF_BACKEND_EXEC] = &vfExecBackendOps,
    [VF_BACKEND_RESTORE] = &vfRestoreBackendOps,
};

struct _vfBackend {
    vfBackendOptions options;
    const vfBackendOps *ops;
    gpointer state;   /* the ops' own */
    /* vfBackendPrepareNextAsync: the thread running ops->prepare_next. It
     * owns the state until joined (vfBackendWaitPrepared); every function
     * that touches the state joins it first. */
    GThread *preparing;
    gboolean applying;   /* between vfBackendApplyBegin and its Finish */
};

/* An apply between its halves. */
struct _vfApply {
    vfBackend *backend;
    vfApplyOutcome outcome;   /* the caller's at the Finish */
    guint spawned;            /* the runner's count at the start */
    gpointer run;             /* ops->begin's */
    gboolean writing;         /* tools left writing: outcome is foretold */
    gboolean ret;             /* ops->apply's, for a backend without begin */
    GError *error;
};

const char *
vfBackendKindToString(vfBackendKind kind)
{
    return kind < G_N_ELEMENTS(backendOps) ? backendOps[kind]->name : "unknown";
}

int
vfBackendKindFromString(const char *str)
{
    for (guint i = 0; i < G_N_ELEMENTS(backendOps); i++) {
        if (g_strcmp0(str, backendOps[i]->name) == 0)
            return i;
    }
    return -1;
}

vfBackend *
vfBackendNew(const vfBackendOptions *options)
{
    vfBackend *backend = g_new0(vfBackend, 1);

    g_return_val_if_fail(options->kind < G_N_ELEMENTS(backendOps), NULL);
    backend->options = *options;
    backend->ops = backendOps[options->kind];
    backend->state = backend->ops->create(&backend->options);
    return backend;
}

vfBackendOptions
vfBackendOptionsFor(vfBackendKind kind, vfTarget *target)
{
    vfBackendOptions o = VF_BACKEND_OPTIONS(kind, vfTargetGetRunner(target));

    o.target = target;
    /* the quadratic chain list is the nft variants' (vfListing) */
    if (kind == VF_BACKEND_RESTORE && vfTargetIsNft(target))
        o.listing = VF_LISTING_AUTO;
    return o;
}

void
vfBackendFree(vfBackend *backend)
{
    if (!backend)
        return;
    vfBackendWaitPrepared(backend);
    backend->ops->free(backend->state);
    g_free(backend);
}

vfBackendKind
vfBackendGetKind(const vfBackend *backend)
{
    return backend->options.kind;
}

const vfBackendOptions *
vfBackendGetOptions(const vfBackend *backend)
{
    return &backend->options;
}

void
vfApplyOutcomeClear(vfApplyOutcome *outcome)
{
    for (gsize i = 0; outcome->errors && i < outcome->n; i++)
        g_clear_error(&outcome->errors[i]);
    g_clear_pointer(&outcome->errors, g_free);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        g_clear_pointer(&outcome->save[l], g_free);
        if (outcome->tables[l])
            outcome->tables_free(outcome->tables[l]);
    }
    memset(outcome, 0, sizeof(*outcome));
}

gboolean
vfApplyOutcomeTake(vfApplyOutcome *outcome, char **save, guint *transactions)
{
    if (!outcome->known)
        return FALSE;
    outcome->known = FALSE;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        /* one layer's tables at a time: the texts replace them */
        if (outcome->save[l])
            save[l] = g_steal_pointer(&outcome->save[l]);
        else
            save[l] = outcome->tables[l] ? outcome->tables_format(outcome->tables[l]) : NULL;
        if (outcome->tables[l])
            outcome->tables_free(g_steal_pointer(&outcome->tables[l]));
    }
    *transactions = outcome->transactions;
    return TRUE;
}

static vfApply *
applyBegin(vfBackend *backend, const vfBatch *batch, gboolean background)
{
    vfApply *apply = g_new0(vfApply, 1);

    /* the last apply's tables are this one's */
    vfBackendWaitPrepared(backend);
    g_warn_if_fail(!backend->applying);
    backend->applying = TRUE;
    apply->backend = backend;
    apply->spawned = backend->options.runner->spawned;
    apply->outcome.n = batch->n;
    apply->outcome.errors = g_new0(GError *, batch->n + 1);
    if (backend->ops->begin)
        apply->run = backend->ops->begin(backend->state, batch, &apply->outcome,
                                         background, &apply->writing);
    else
        apply->ret = backend->ops->apply(backend->state, batch, &apply->outcome,
                                         &apply->error);
    return apply;
}

vfApply *
vfBackendApplyBegin(vfBackend *backend, const vfBatch *batch)
{
    return applyBegin(backend, batch, TRUE);
}

const vfApplyOutcome *
vfApplyForetold(const vfApply *apply)
{
    return apply->writing ? &apply->outcome : NULL;
}

gboolean
vfBackendApplyFinish(vfApply *apply, vfApplyOutcome *outcome, GError **error)
{
    vfBackend *backend = apply->backend;
    gboolean ret;

    if (backend->ops->finish) {
        ret = backend->ops->finish(apply->run, error);
    } else {
        ret = apply->ret;
        if (apply->error)
            g_propagate_error(error, apply->error);
    }
    apply->outcome.stats.processes = backend->options.runner->spawned - apply->spawned;
    backend->applying = FALSE;
    vfApplyOutcomeClear(outcome);
    *outcome = apply->outcome;
    g_free(apply);
    return ret;
}

gboolean
vfBackendApplyBatch(vfBackend *backend, const vfBatch *batch,
                    vfApplyOutcome *outcome, GError **error)
{
    return vfBackendApplyFinish(applyBegin(backend, batch, FALSE), outcome, error);
}

gboolean
vfBackendApply(vfBackend *backend, virFirewall *const *fws, gsize n,
               GError **errors, vfApplyStats *stats, GError **error)
{
    vfBatch batch = { .programs = fws, .n = n };
    g_auto(vfApplyOutcome) outcome = { 0 };
    gboolean ret = vfBackendApplyBatch(backend, &batch, &outcome, error);

    for (gsize i = 0; i < n; i++)
        errors[i] = g_steal_pointer(&outcome.errors[i]);
    if (stats)
        *stats = outcome.stats;
    return ret;
}

gboolean
vfBackendApplyOne(vfBackend *backend, virFirewall *fw,
                  vfApplyStats *stats, GError **error)
{
    GError *errors[1] = { NULL };

    if (!vfBackendApply(backend, &fw, 1, errors, stats, error)) {
        if (errors[0]) {
            if (error && !*error)
                g_propagate_error(error, errors[0]);
            else
                g_error_free(errors[0]);
        }
        return FALSE;
    }
    return TRUE;
}

char *
vfBackendFormatKept(vfBackend *backend, virFirewallLayer layer, guint32 *gen)
{
    vfBackendWaitPrepared(backend);
    return backend->ops->format_kept ?
           backend->ops->format_kept(backend->state, layer, gen) : NULL;
}

guint
vfBackendKeptLayers(vfBackend *backend)
{
    vfBackendWaitPrepared(backend);
    return backend->ops->kept_layers ? backend->ops->kept_layers(backend->state) : 0;
}

void
vfBackendPrepareNext(vfBackend *backend)
{
    g_return_if_fail(!backend->applying);
    vfBackendWaitPrepared(backend);
    if (backend->ops->prepare_next)
        backend->ops->prepare_next(backend->state);
}

static gpointer
prepareThread(gpointer data)
{
    vfBackend *backend = data;
    vfPrepareHook hook = backend->options.prepare_hook;

    if (hook)
        hook(FALSE, backend->options.prepare_hook_data);
    backend->ops->prepare_next(backend->state);
    if (hook)
        hook(TRUE, backend->options.prepare_hook_data);
    return NULL;
}

void
vfBackendPrepareNextAsync(vfBackend *backend)
{
    g_autoptr(GError) err = NULL;
    sigset_t all, old;

    g_return_if_fail(!backend->applying);
    vfBackendWaitPrepared(backend);
    if (!backend->ops->has_prepare_work ||
        !backend->ops->has_prepare_work(backend->state))
        return;
    /* a signal meant for the caller's process must not land on a thread
     * that cannot handle it (libvirtd's handlers write to its event loop,
     * any thread will do, but a caller may count on its own masks) */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    backend->preparing = g_thread_try_new("vf-prepare", prepareThread,
                                          backend, &err);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!backend->preparing) {
        g_debug("preparing the next apply here: %s", err->message);
        backend->ops->prepare_next(backend->state);
    }
}

void
vfBackendWaitPrepared(vfBackend *backend)
{
    if (backend->preparing)
        g_thread_join(g_steal_pointer(&backend->preparing));
}
