/*
 * target.h: the kernel a backend's tools write — one network namespace,
 * the runner that starts the tools there, and which variant of the tools
 * that is, decided once.
 *
 * With the nf_tables variants every restore is one nf_tables transaction,
 * and the namespace's generation id (nftgen.h) counts the transactions of
 * everybody. One rule follows, and every layer above uses it through
 * vfTargetOnlyOurs: tables computed from the kernel's at generation G,
 * changed by T transactions of our own, are the kernel's if the id is now
 * G + T. The restore backend keeps its tables across applies by it
 * (restore/kept.c), the commands trust their state file and kernel cache
 * by it (src/state), serve and libvirtd's engine skip *-save by it.
 */
#pragma once

#include "firewall.h"
#include "runner.h"

/* A point in a namespace's history: its generation id, if known. */
typedef struct {
    gboolean known;
    guint32 id;
} vfGeneration;

#define VF_GENERATION_UNKNOWN ((vfGeneration){ FALSE, 0 })

typedef enum {
    /* A dry run: the runner answers for what would write, and nothing
     * else the target does may write (no table is dropped). */
    VF_TARGET_READ_ONLY = 1 << 0,
    /* The generation id is never read: there is no kernel (a dry run
     * against empty tables), or the caller's commits are not counted
     * (the exec backend: one transaction per rule, none reported). */
    VF_TARGET_NO_GENERATION = 1 << 1,
} vfTargetFlags;

/*
 * What a target asks of the kernel besides its tools. The real one reads
 * the namespace by netlink; tests give their own.
 */
typedef struct {
    gboolean nft;   /* the tools are the nf_tables variants */
    gboolean (*read_generation)(gpointer data, guint32 *gen, GError **error);
    /* as vfNftTableDropIfEmpty: TRUE when the table is gone, absent, or
     * stays for a reason (it holds something, the ruleset moved); FALSE
     * with @error when it could not tell */
    gboolean (*drop_empty_table)(gpointer data, virFirewallLayer layer,
                                 const char *table, GError **error);
    gpointer data;
} vfTargetKernel;

typedef struct _vfTarget vfTarget;

/* The tools in PATH, started by @runner in the namespace @netnsFd refers
 * to (-1: the caller's own); both borrowed, and must outlive the target.
 * Whether they are the nf_tables variants is looked at now (200 system
 * calls): a switch of the alternatives needs a new target. */
vfTarget *vfTargetNew(vfRunner *runner, int netnsFd, vfTargetFlags flags);
/* Tests: a kernel of their own (@kernel copied). */
vfTarget *vfTargetNewWithKernel(vfRunner *runner, const vfTargetKernel *kernel,
                                vfTargetFlags flags);
void vfTargetFree(vfTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfTarget, vfTargetFree)

vfRunner *vfTargetGetRunner(const vfTarget *target);
int vfTargetGetNetnsFd(const vfTarget *target);
/* The tools are the nf_tables variants: the listing that spares their
 * quadratic chain list is worth writing (backend.h, vfListing). */
gboolean vfTargetIsNft(const vfTarget *target);
/* vfTargetGeneration can be known: nft tools, and not NO_GENERATION. */
gboolean vfTargetHasGeneration(const vfTarget *target);
/* The namespace's identity, the same for its whole life and never
 * another's, not even after a reboot ("net:[INODE]:COOKIE:BOOT_ID"): a
 * generation id written to disk is compared only within it. */
const char *vfTargetGetNetnsId(vfTarget *target);

/* The generation id now; unknown without one (vfTargetHasGeneration) or
 * when it cannot be read. */
vfGeneration vfTargetGeneration(vfTarget *target);
/*
 * The rule: did the namespace commit exactly @transactions (ours) since
 * @since? *@now is the id read now (unknown if it could not be). FALSE
 * when @since is unknown, the id cannot be read, or somebody else
 * committed. With @transactions 0: nothing changed since @since.
 */
gboolean vfTargetOnlyOurs(vfTarget *target, vfGeneration since,
                          guint transactions, vfGeneration *now);

/* Removes @layer's table @table if it filters nothing (nfttable.h): a
 * table an apply created and put back, which exec would not have left.
 * Nothing to do unless the tools are the nft variants and the target
 * writes. FALSE with @error only when it could not tell. */
gboolean vfTargetDropEmptyTable(vfTarget *target, virFirewallLayer layer,
                                const char *table, GError **error);
