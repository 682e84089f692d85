/*
 * backend.c: choosing how programs reach the kernel
 */
#include "backend-priv.h"
#include "error.h"

#include <pthread.h>
#include <signal.h>

static const char *const kindNames[] = { "exec", "restore" };

const char *
vfBackendKindToString(vfBackendKind kind)
{
    return kind <= VF_BACKEND_RESTORE ? kindNames[kind] : "unknown";
}

int
vfBackendKindFromString(const char *str)
{
    for (int i = 0; i <= VF_BACKEND_RESTORE; i++) {
        if (g_strcmp0(str, kindNames[i]) == 0)
            return i;
    }
    return -1;
}

vfBackend *
vfBackendNew(vfBackendKind kind, vfRunner *runner)
{
    vfBackend *backend = g_new0(vfBackend, 1);

    backend->kind = kind;
    backend->runner = runner;
    backend->wait_seconds = 10;
    return backend;
}

void
vfBackendFree(vfBackend *backend)
{
    if (!backend)
        return;
    vfBackendWaitPrepared(backend);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        vfTableSetFree(backend->result[l]);
        g_free(backend->result_text[l]);
    }
    vfBackendDropKept(backend);
    if (backend->garbage)
        g_ptr_array_unref(backend->garbage);
    g_free(backend);
}

void
vfBackendSetSnapshot(vfBackend *backend, virFirewallLayer layer,
                     const char *saveText)
{
    backend->snapshot[layer] = saveText;
}

vfBackendKind
vfBackendGetKind(const vfBackend *backend)
{
    return backend->kind;
}

gboolean
vfBackendGetResult(vfBackend *backend, char **saveText, guint *transactions)
{
    if (!backend->result_known)
        return FALSE;
    backend->result_known = FALSE;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        /* one layer's tables at a time: the texts replace them */
        if (backend->result_has_text)
            saveText[l] = g_steal_pointer(&backend->result_text[l]);
        else
            saveText[l] = backend->result[l] ? vfTableSetFormat(backend->result[l]) : NULL;
        g_clear_pointer(&backend->result[l], vfTableSetFree);
    }
    backend->result_has_text = FALSE;
    *transactions = backend->result_transactions;
    return TRUE;
}

void
vfBackendSetWhileWriting(vfBackend *backend, vfBackendWhileWriting fn,
                         gpointer data)
{
    backend->while_writing = fn;
    backend->while_data = data;
}

void
vfBackendPeekResult(vfBackend *backend, const char **saveText,
                    guint *transactions)
{
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        saveText[l] = backend->pending_text[l];
    *transactions = backend->pending_transactions;
}

void
vfBackendSetReplay(vfBackend *backend, gboolean replay)
{
    backend->replay = replay;
}

void
vfBackendSetProgramSource(vfBackend *backend, vfProgramRelease release,
                          vfProgramRebuild rebuild, gpointer data)
{
    backend->release = release;
    backend->rebuild = rebuild;
    backend->source_data = data;
}

void
vfBackendSetKeepTables(vfBackend *backend, vfGenerationFunc gen, gpointer data)
{
    vfBackendWaitPrepared(backend);
    backend->keep_gen = gen;
    backend->keep_data = data;
    if (!gen)
        vfBackendDropKept(backend);
}

void
vfBackendDropKept(vfBackend *backend)
{
    vfBackendWaitPrepared(backend);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        g_clear_pointer(&backend->kept[l], vfTableSetFree);
        g_clear_pointer(&backend->kept_copy[l], vfTableSetFree);
    }
}

/* vfBackendPrepareNext's work, on whichever thread owns the backend */
static void
prepareNext(vfBackend *backend)
{
    if (backend->garbage)
        g_ptr_array_set_size(backend->garbage, 0);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (backend->kept[l] && !backend->kept_copy[l])
            backend->kept_copy[l] = vfTableSetCopy(backend->kept[l]);
    }
}

void
vfBackendPrepareNext(vfBackend *backend)
{
    vfBackendWaitPrepared(backend);
    prepareNext(backend);
}

static gpointer
prepareThread(gpointer data)
{
    vfBackend *backend = data;

    if (backend->prepare_hook)
        backend->prepare_hook(FALSE, backend->prepare_hook_data);
    prepareNext(backend);
    if (backend->prepare_hook)
        backend->prepare_hook(TRUE, backend->prepare_hook_data);
    return NULL;
}

void
vfBackendPrepareNextAsync(vfBackend *backend)
{
    g_autoptr(GError) err = NULL;
    sigset_t all, old;

    vfBackendWaitPrepared(backend);
    if (!backend->keep_gen && !backend->garbage)
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
        prepareNext(backend);
    }
}

void
vfBackendWaitPrepared(vfBackend *backend)
{
    if (backend->preparing)
        g_thread_join(g_steal_pointer(&backend->preparing));
}

void
vfBackendSetPrepareHook(vfBackend *backend, vfPrepareHook hook, gpointer data)
{
    vfBackendWaitPrepared(backend);
    backend->prepare_hook = hook;
    backend->prepare_hook_data = data;
}

void
vfBackendSetSnapshotGeneration(vfBackend *backend, guint32 gen)
{
    backend->snapshot_gen_known = TRUE;
    backend->snapshot_gen = gen;
}

char *
vfBackendFormatKept(vfBackend *backend, virFirewallLayer layer, guint32 *gen)
{
    vfBackendWaitPrepared(backend);
    if (!backend->kept[layer])
        return NULL;
    *gen = backend->kept_gen;
    return vfTableSetFormat(backend->kept[layer]);
}

guint
vfBackendKeptLayers(vfBackend *backend)
{
    guint n = 0;

    vfBackendWaitPrepared(backend);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        n += backend->kept[l] != NULL;
    return n;
}

void
vfBackendSetWait(vfBackend *backend, guint seconds)
{
    backend->wait_seconds = seconds;
}

void
vfBackendSetListing(vfBackend *backend, vfListing listing)
{
    backend->listing = listing;
}

void
vfBackendSetTableDrop(vfBackend *backend, vfTableDropFunc fn, gpointer data)
{
    backend->drop_table = fn;
    backend->drop_data = data;
}

gboolean
vfBackendApply(vfBackend *backend, virFirewall *const *fws, gsize n,
               GError **errors, vfApplyStats *stats, GError **error)
{
    vfApplyStats local = { 0 };
    guint spawned = backend->runner->spawned;
    gboolean ret;

    /* the last apply's tables are this one's */
    vfBackendWaitPrepared(backend);
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    backend->result_known = FALSE;
    backend->result_has_text = FALSE;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        g_clear_pointer(&backend->result[l], vfTableSetFree);
        g_clear_pointer(&backend->result_text[l], g_free);
    }
    if (backend->kind == VF_BACKEND_EXEC)
        ret = vfExecApply(backend, fws, n, errors, stats, error);
    else
        ret = vfRestoreApply(backend, fws, n, errors, stats, error);
    stats->processes = backend->runner->spawned - spawned;
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
