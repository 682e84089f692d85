/*
 * table-priv.h: what table.c and table-rules.c share
 */
#pragma once

#include "table.h"

/* table.c */
/* A change of @table's chains (of @chain, if given). */
void vfTableChanged(vfTable *table, vfChain *chain);
/* ACCEPT, DROP, RETURN, ...: read after -j as verdicts, never as chains. */
gboolean vfIsVerdict(const char *target);
/* The chain @rule jumps or goes to, if any. */
const char *vfRuleChainTarget(GStrv rule);
/* The reference index (table->refs): @rule of @chain added, or gone. */
void vfTableRefAdd(vfTable *table, vfChain *chain, GStrv rule);
void vfTableRefRemove(vfTable *table, GStrv rule);

/* table-rules.c */
/* The references of the chains' unparsed lines (built on first use). */
GHashTable *vfTableLineRefs(vfTable *table);
