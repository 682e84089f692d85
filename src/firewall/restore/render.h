/*
 * render.h: restore text for one table of one pass (pure)
 */
#pragma once

#include "plan.h"

/* Returns the script; lines[k] is the log entry written on line k+1
 * (NULL for the table header, the listing and COMMIT). */
char *vfRenderScript(const vfPlanScript *script, GPtrArray **lines);

/*
 * A listing of the table near the top of a script (vfListing in
 * backend.h, script->listing). It is safe when every builtin chain the
 * script names exists by the time the tool lists: the nft tools take a
 * builtin chain the kernel lacks for there when they list it, and never
 * create it then. The script's first append or insert to a builtin chain
 * (with the -N of the chain it jumps to) is written before the listing
 * for that; any other builtin chain must hold rules in @before (the
 * table as the script finds it; NULL: not known, or no table).
 */
gboolean vfRenderListingSafe(const vfPlanScript *script, const vfTable *before);
/* Whether the listing saves the tool time: when the chains the script
 * names would cost it more than reading what @before holds. */
gboolean vfRenderListingPays(const vfPlanScript *script, const vfTable *before);

/* The restore tool and its arguments for a layer. */
GStrv vfRenderRestoreArgv(virFirewallLayer layer, guint waitSeconds);
