/*
 * nwftest.h: helpers shared by the nwfilter kernel tests (private network
 * namespaces, *-save dumps, binding directories, command logging).
 */
#pragma once

#include "nwfilter/nwfilter.h"
#include "firewall/backend.h"
#include "firewall/runner.h"

#include <stdbool.h>

#define NWFT_STOCK_DIR "/usr/share/libvirt/nwfilter"

/* Runs through @inner, logging "tool args" (basename) of every call and,
 * in golden format ("# argv" + stdin), every call except the *-save. */
typedef struct {
    vfRunner parent;
    vfRunner *inner;
    GPtrArray *log;
    GString *golden;
} NwftLogRunner;

void nwftLogRunnerInit(NwftLogRunner *lr, vfRunner *inner);
void nwftLogRunnerClear(NwftLogRunner *lr);
void nwftLogRunnerReset(NwftLogRunner *lr);
char *nwftLogRunnerText(const NwftLogRunner *lr);   /* log, one per line */

/* The file without empty and '#' lines; with @commands, an absolute
 * binary path at the start of a line becomes its basename. */
char *nwftReadNormalized(const char *path, bool commands);

/* `TOOL` (ebtables-save, ...) in the current namespace, '#' lines removed. */
char *nwftSaveOutput(const char *tool);

void nwftShowDiff(const char *what, const char *expected, const char *actual);

/* binding-*.xml of @dir, in name order (GPtrArray of nwfBinding*). */
GPtrArray *nwftLoadBindings(const char *dir, const char *prefix, GError **error);

/* Remember the namespace we started in; FALSE if it cannot be read. */
bool nwftInit(void);
/* A new, empty network namespace for this process (and the tools it
 * starts); FALSE unless we are really out of the initial one. */
bool nwftEnterFreshNetns(void);

/* One batch; the first error if any program failed. */
bool nwftApplyBatch(vfBackend *backend, GPtrArray *fws, vfApplyStats *stats,
                    GError **error);

/* Compares the three *-save dumps with CASEDIR/PREFIX.{ebtables,...}-save;
 * with @canon, the per-interface jumps in root chains are sorted first
 * (the oracle's canon()). Prints what differs. */
bool nwftCompareSaves(const char *casedir, const char *prefix, bool canon,
                      const char *label);

/* The oracle's canon(): lines "-A ROOT ..." of the root chains moved,
 * sorted, to the end. */
char *nwftCanon(const char *text);

/* strcmp on two char** (g_ptr_array_sort of strings). */
gint nwftCmpStrPtr(gconstpointer a, gconstpointer b);
