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

/* Loads every *.xml of each directory as libvirt loads its one directory
 * at start-up: NAME.xml must define filter NAME; a file that cannot be
 * loaded (not XML, not a regular file, too large, a name or UUID clash)
 * is skipped and remembered (nwfFilterSetBroken), so the bindings that
 * need it fail with the reason and no other. For a name in several
 * directories the first directory wins. What libvirt ignores in a filter
 * goes to @warnings (of char*; may be NULL). FALSE only when a directory
 * exists and cannot be read. */
gboolean nwfFilterSetLoadDirs(nwfFilterSet *set, const char *const *dirs,
                              GPtrArray *warnings, GError **error);
/* Why the file of filter @name was skipped, or NULL. */
const char *nwfFilterSetBroken(const nwfFilterSet *set, const char *name);
void nwfFilterSetMarkBroken(nwfFilterSet *set, const char *name, const char *why);
/* The reasons of every skipped filter file, by filter name (g_free'd). */
GPtrArray *nwfFilterSetBrokenList(const nwfFilterSet *set);
/* Takes ownership; FALSE (and @def freed) if the name exists already. */
gboolean nwfFilterSetAdd(nwfFilterSet *set, nwfFilter *def);
const nwfFilter *nwfFilterSetLookup(const nwfFilterSet *set, const char *name);
guint nwfFilterSetSize(const nwfFilterSet *set);

typedef struct {
    const nwfRule *rule;          /* borrowed from the filter set */
    const nwfFilter *filter;      /* the filter holding it (borrowed) */
    const char *chainSuffix;      /* borrowed */
    int chainPriority;
    int priority;                 /* may be raised to chainPriority */
    GHashTable *vars;             /* owned */
} nwfRuleInst;

void nwfRuleInstFree(nwfRuleInst *inst);

/*
 * virt-firewall's limits on one binding's expansion (libvirt has none; a
 * binding beyond them fails alone, with a message naming the limit):
 * - references followed: a filter that references another twice, which
 *   does the same, and so on, doubles the work at each level;
 * - the depth of references: the expansion recurses (as libvirt's does),
 *   and each level is checked against the path for a loop (a chain of
 *   50 000 filters: 27 s, and a deeper one overflows the stack);
 * - rules, each counted as often as the combinations of the values of its
 *   variables (lists iterated by different iterators multiply: two lists
 *   of 1000 are a million rules, 3 million iptables commands, 1.7 GB).
 *   40 000 values of one list in clean-traffic are 80 000 (0.6 s of CPU); at the
 *   limit an inout iptables rule makes 300 000 commands.
 */
#define NWF_MAX_FILTER_REFS 100000
#define NWF_MAX_FILTER_DEPTH 1000
#define NWF_MAX_RULES 100000

/*
 * Expands @filter with @vars into rule instances in definition order
 * (a <filterref> is expanded in place; the referencing filter's variables
 * override the reference's own <parameter>s). Fails on a missing filter,
 * a reference loop, variables that cannot be resolved, or a limit above.
 * The instances share the variable tables (and those @vars' value lists):
 * none may be changed.
 */
GPtrArray *nwfFilterInstantiate(const nwfFilterSet *set, const char *filter,
                                GHashTable *vars, GError **error);
