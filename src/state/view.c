/*
 * view.c: the kernel's tables as a command knows them, and by which
 * generation id they are still the kernel's
 *
 * Every way a command comes by the tables — *-save, the kernel cache, the
 * simulation of what it wrote — gives a vfKernelState with the id it is
 * the kernel's at, and every later trust in it goes through the target's
 * one rule (vfTargetOnlyOurs).
 */
#include "state.h"
#include "firewall/restore/snapshot.h"

vfKernelState *
vfKernelStateRead(vfTarget *target, GError **error)
{
    return vfKernelStateReread(target, NULL, ~0u, error);
}

vfKernelState *
vfKernelStateReread(vfTarget *target, const vfKernelState *before, guint layers,
                    GError **error)
{
    g_autoptr(vfKernelState) ks = g_new0(vfKernelState, 1);
    vfGeneration start = vfTargetGeneration(target);

    if (start.known)
        layers = ~0u;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (!(layers & (1u << l)))
            ks->save[l] = g_strdup(before->save[l]);
        else if (!(ks->save[l] = vfSnapshotReadText(vfTargetGetRunner(target), l, error)))
            return NULL;
    }
    if (vfTargetOnlyOurs(target, start, 0, NULL))
        ks->at = start;
    return g_steal_pointer(&ks);
}

vfKernelState *
vfKernelStateLoadCached(vfTarget *target, const char *cachePath)
{
    vfGeneration now = vfTargetGeneration(target);
    vfKernelState *ks;

    if (!now.known || !(ks = vfKernelCacheLoad(cachePath, vfTargetGetNetnsId(target), now.id)))
        return NULL;
    ks->at = now;
    ks->cached = TRUE;
    return ks;
}

vfKernelState *
vfKernelStateOpen(vfTarget *target, const char *cachePath, GError **error)
{
    vfKernelState *ks = vfKernelStateLoadCached(target, cachePath);

    return ks ? ks : vfKernelStateRead(target, error);
}

gboolean
vfKernelStateOnlyOurs(const vfKernelState *ks, vfTarget *target, guint transactions,
                      vfGeneration *now)
{
    return vfTargetOnlyOurs(target, ks->at, transactions, now);
}

vfKernelState *
vfKernelStateNewAfter(const vfKernelState *before, char **texts, vfGeneration at)
{
    vfKernelState *ks = g_new0(vfKernelState, 1);

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        ks->save[l] = texts[l] ? g_steal_pointer(&texts[l])
                               : g_strdup(before ? before->save[l] : NULL);
    }
    ks->at = at;
    return ks;
}

void
vfKernelStateRecord(const vfKernelState *ks, vfTarget *target, const char *cachePath)
{
    g_autoptr(GError) err = NULL;

    if (!ks || !ks->at.known) {
        vfKernelCacheRemove(cachePath);
        return;
    }
    if (ks->cached)
        return;
    if (!vfKernelCacheSave(cachePath, vfTargetGetNetnsId(target), ks->at.id, ks, &err))
        g_debug("%s", err->message);
}
