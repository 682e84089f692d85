/*
 * render.h: restore text for one table of one pass (pure)
 */
#pragma once

#include "plan.h"

/* Returns the script; lines[k] is the log entry written on line k+1
 * (NULL for the table header and COMMIT). */
char *vfRenderScript(const vfPlanScript *script, GPtrArray **lines);

/* The restore tool and its arguments for a layer. */
GStrv vfRenderRestoreArgv(virFirewallLayer layer, guint waitSeconds);
