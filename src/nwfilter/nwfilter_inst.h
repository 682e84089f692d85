/*
 * nwfilter_inst.h: filter lookup and expansion of a filter tree into
 * rule instances (libvirt's gentech driver).
 */
#pragma once

#include "nwfilter_def.h"

typedef struct _nwfFilterSet nwfFilterSet;

nwfFilterSet *nwfFilterSetNew(void);
void nwfFilterSetFree(nwfFilterSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(nwfFilterSet, nwfFilterSetFree)

/* Loads every *.xml of each directory; for a filter name defined in
 * several directories the first directory wins. A missing directory is
 * skipped; a malformed file is an error. */
gboolean nwfFilterSetLoadDirs(nwfFilterSet *set, const char *const *dirs,
                              GError **error);
/* Takes ownership; FALSE (and @def freed) if the name exists already. */
gboolean nwfFilterSetAdd(nwfFilterSet *set, nwfFilter *def);
const nwfFilter *nwfFilterSetLookup(const nwfFilterSet *set, const char *name);
guint nwfFilterSetSize(const nwfFilterSet *set);

typedef struct {
    const nwfRule *rule;          /* borrowed from the filter set */
    const char *chainSuffix;      /* borrowed */
    int chainPriority;
    int priority;                 /* may be raised to chainPriority */
    GHashTable *vars;             /* owned */
} nwfRuleInst;

void nwfRuleInstFree(nwfRuleInst *inst);

/*
 * Expands @filter with @vars into rule instances in definition order
 * (a <filterref> is expanded in place; the referencing filter's variables
 * override the reference's own <parameter>s). Fails on a missing filter,
 * a reference loop, or variables that cannot be resolved.
 */
GPtrArray *nwfFilterInstantiate(const nwfFilterSet *set, const char *filter,
                                GHashTable *vars, GError **error);
