/*
 * plan.h: splitting the simulated log into restore passes
 *
 * One pass is one restore per table. A new pass is needed only where the
 * tools cannot take two steps in one input (measured on iptables 1.8.9):
 * iptables-nft and ebtables-nft cannot rename a chain created in the same
 * input, and ebtables-nft cannot delete a chain created in the same input.
 * Steps of different chains do not depend on each other, so each entry
 * goes to the earliest pass its chains allow: the number of passes does
 * not grow with the number of programs.
 */
#pragma once

#include "simulate.h"

typedef struct {
    virFirewallLayer layer;
    char *table;
    GPtrArray *entries;   /* of vfLogEntry* (borrowed), in log order */
    gboolean listing;     /* start with a listing of the table (render.h) */
} vfPlanScript;

typedef struct {
    GPtrArray *passes;    /* of GPtrArray* of vfPlanScript* */
} vfPlan;

vfPlan *vfPlanBuild(GPtrArray *log);
/* Frees the script and its entry array, not the entries (borrowed). */
void vfPlanScriptFree(vfPlanScript *script);
void vfPlanFree(vfPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfPlan, vfPlanFree)
