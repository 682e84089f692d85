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
    VF_VERIFY_SAME,       /* vfVerifyCompareAll: both hold it */
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
/* The same, with what is equal too (VF_VERIFY_SAME): every chain (an item
 * with no rule: SAME, or MISSING/EXTRA for a chain one side lacks, then
 * its rules as MISSING/EXTRA) followed by its rules, in their order. */
GPtrArray *vfVerifyCompareAll(const char *want, const char *have);

/* The tables the kernel would hold after reconnect applied @units'
 * programs (of vfUnit*) to @ks (NULL when the simulation cannot tell them
 * exactly: a rule only the kernel can judge, a host name); errors[i] set
 * for a unit whose program fails there (@errors: one slot per unit). */
vfKernelState *vfVerifySimulate(GPtrArray *units, vfKernelState *ks,
                                GPtrArray *errors, GError **error);

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
