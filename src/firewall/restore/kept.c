/*
 * kept.c: the restore backend's state across applies, and its row in the
 * table of backends
 *
 * With keep_tables (a daemon, `virt-firewall serve`), the tables an
 * apply leaves are kept and the next apply starts from them instead of
 * reading and parsing *-save, while the target's generation rule says
 * nobody else committed (target.h). vfBackendPrepareNext copies them for the next
 * simulation and frees what the last apply let go of, between applies.
 */
#include "restore.h"

static gpointer
restoreCreate(const vfBackendOptions *options)
{
    vfRestore *restore = g_new0(vfRestore, 1);

    restore->options = options;
    restore->keeps = options->keep_tables && options->target &&
                     vfTargetHasGeneration(options->target);
    return restore;
}

void
vfRestoreDropKept(vfRestore *restore)
{
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        g_clear_pointer(&restore->kept[l], vfTableSetFree);
        g_clear_pointer(&restore->kept_copy[l], vfTableSetFree);
    }
}

static void
restoreFree(gpointer state)
{
    vfRestore *restore = state;

    vfRestoreDropKept(restore);
    if (restore->garbage)
        g_ptr_array_unref(restore->garbage);
    g_free(restore);
}

void
vfRestoreDiscard(vfRestore *restore, vfTableSet **set)
{
    if (!*set)
        return;
    if (!restore->keeps) {
        g_clear_pointer(set, vfTableSetFree);
        return;
    }
    if (!restore->garbage)
        restore->garbage = g_ptr_array_new_with_free_func((GDestroyNotify)vfTableSetFree);
    g_ptr_array_add(restore->garbage, g_steal_pointer(set));
}

/*
 * The simulation's tables are the kernel's if the generation id moved by
 * our transactions alone. The layers this apply did not read keep what was
 * kept (their tables were checked current at its start, and it wrote none
 * of them).
 */
gboolean
vfRestoreKeep(vfRestore *restore, const vfRestoreRun *run,
              guint transactions, vfTableSet **sets)
{
    vfGeneration now;

    if (!restore->keeps ||
        !vfTargetOnlyOurs(restore->options->target, run->gen_start, transactions, &now))
        return FALSE;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (run->layers & (1u << l)) {
            vfTableSetFree(restore->kept[l]);
            restore->kept[l] = g_steal_pointer(&sets[l]);
        }
    }
    restore->kept_gen = now.id;
    return TRUE;
}

static void
restorePrepareNext(gpointer state)
{
    vfRestore *restore = state;

    if (restore->garbage)
        g_ptr_array_set_size(restore->garbage, 0);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (restore->kept[l] && !restore->kept_copy[l])
            restore->kept_copy[l] = vfTableSetCopy(restore->kept[l]);
    }
}

static gboolean
restoreHasPrepareWork(gpointer state)
{
    vfRestore *restore = state;

    return restore->keeps || restore->garbage;
}

static char *
restoreFormatKept(gpointer state, virFirewallLayer layer, guint32 *gen)
{
    vfRestore *restore = state;

    if (!restore->kept[layer])
        return NULL;
    *gen = restore->kept_gen;
    return vfTableSetFormat(restore->kept[layer]);
}

static guint
restoreKeptLayers(gpointer state)
{
    vfRestore *restore = state;
    guint n = 0;

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        n += restore->kept[l] != NULL;
    return n;
}

const vfBackendOps vfRestoreBackendOps = {
    .name = "restore",
    .create = restoreCreate,
    .free = restoreFree,
    .begin = vfRestoreBegin,
    .finish = vfRestoreFinish,
    .prepare_next = restorePrepareNext,
    .has_prepare_work = restoreHasPrepareWork,
    .format_kept = restoreFormatKept,
    .kept_layers = restoreKeptLayers,
};
