/*
 * verify.h: what `verify` finds, unit by unit (verify-diff.c)
 */
#pragma once

#include <glib.h>
#include "state/state.h"

typedef enum {
    VF_VERIFY_MISSING,    /* the host produces it, the kernel lacks it */
    VF_VERIFY_CHANGED,    /* at its place the kernel holds another rule */
    VF_VERIFY_EXTRA,      /* the kernel holds it, the host does not produce it */
    VF_VERIFY_ORPHAN,     /* of an interface no binding names */
} vfVerifyKind;

typedef struct {
    vfVerifyKind kind;
    int layer;            /* virFirewallLayer */
    char *table;
    char *chain;
    char *rule;           /* "-A CHAIN ..." as *-save prints it; NULL: the chain itself */
    char *kernel;         /* CHANGED: the kernel's rule at that place */
} vfVerifyItem;

void vfVerifyItemFree(vfVerifyItem *item);

/* "ebtables", "iptables", "ip6tables" */
const char *vfVerifyTool(int layer);

/* The differences between the lines of one unit (vfKernelLinesInterface)
 * that the host produces (@want) and the kernel holds (@have): of
 * vfVerifyItem*, chain by chain in the order of @want, then @have. */
GPtrArray *vfVerifyCompare(const char *want, const char *have);

/* One interface whose chains outlive its binding. */
typedef struct {
    char *ifname;
    GPtrArray *items;     /* of vfVerifyItem* (ORPHAN): its chains, then
                           * the rules that jump to them */
} vfVerifyOrphan;

void vfVerifyOrphanFree(vfVerifyOrphan *o);

/* The chains of @ks named as libvirt names an interface's chains
 * (nwfilter_ebiptables.c: libvirt-[IOJP]-IF, [IOJP]-IF-SUFFIX, F[IOJP]-IF,
 * H[IJ]-IF) for interfaces not in @named, and the rules that jump to
 * them; of vfVerifyOrphan*, by interface name. */
GPtrArray *vfVerifyOrphans(vfKernelState *ks, GHashTable *named);
