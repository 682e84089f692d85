/*
 * diff.h: restore input that turns the kernel's tables into the simulated ones
 *
 * The simulation knows the tables a batch leaves behind. Replaying its log
 * repeats libvirt's dance (temporary chains, new hooks, renames) even where
 * the result equals what the kernel already holds; writing only the
 * difference between the snapshot and the simulated tables reaches the same
 * state in one pass, and in no lines at all when nothing changed.
 */
#pragma once

#include "plan.h"

typedef struct {
    GPtrArray *entries;   /* of vfLogEntry*: owns every line of every script */
    GPtrArray *scripts;   /* of vfPlanScript*, one per table that changes,
                           * layer by layer in table order */
    guint lines;
} vfDiff;

/*
 * NULL when the difference cannot be written as restore input that the
 * tools would turn into exactly @to (a table would have to disappear);
 * @why says which.
 */
vfDiff *vfDiffBuild(vfTableSet *const *from, vfTableSet *const *to,
                    char **why);
/* The same, comparing every chain by name even where @to is a copy of
 * @from (vfTableCopiedFrom) whose pristine chains need no look: what
 * vfDiffBuild must equal, for the tests. */
vfDiff *vfDiffBuildEveryChain(vfTableSet *const *from, vfTableSet *const *to,
                              char **why);

/* An empty diff, and one table's lines added to it: @from NULL for a
 * table that does not exist yet. */
vfDiff *vfDiffNew(void);
gboolean vfDiffAddTable(vfDiff *diff, virFirewallLayer layer,
                        vfTable *from, vfTable *to, char **why);
void vfDiffFree(vfDiff *diff);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfDiff, vfDiffFree)
