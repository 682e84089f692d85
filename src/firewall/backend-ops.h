/*
 * backend-ops.h: what a backend implements, one table of functions each
 * (as runner.h for runners). backend.c holds the rows; a backend's state
 * is its own (exec.c, restore/), behind a pointer backend.c never reads.
 * A new backend is a folder of its own and one row here and in backend.c.
 */
#pragma once

#include "backend.h"

typedef struct {
    const char *name;   /* vfBackendKindToString */
    gpointer (*create)(const vfBackendOptions *options);
    void (*free)(gpointer state);
    /*
     * A backend applies in one call or in two halves (vfBackendApplyBegin),
     * and has @apply or @begin and @finish. @outcome arrives with its
     * errors allocated and its stats zeroed; backend.c counts the
     * processes.
     */
    gboolean (*apply)(gpointer state, const vfBatch *batch,
                      vfApplyOutcome *outcome, GError **error);
    /* Applies up to tools left writing on threads of their own (only with
     * @background; then it sets *@writing and, in @outcome, the result it
     * foretells) or the whole batch; returns the apply's own state for
     * @finish, which also frees it. What fails is told by @finish. */
    gpointer (*begin)(gpointer state, const vfBatch *batch,
                      vfApplyOutcome *outcome, gboolean background,
                      gboolean *writing);
    gboolean (*finish)(gpointer apply, GError **error);
    /* Optional, for the state kept across applies (NULL: none kept). May
     * run on vfBackendPrepareNextAsync's thread. */
    void (*prepare_next)(gpointer state);
    gboolean (*has_prepare_work)(gpointer state);
    char *(*format_kept)(gpointer state, virFirewallLayer layer, guint32 *gen);
    guint (*kept_layers)(gpointer state);
} vfBackendOps;

/* the rows, by vfBackendKind */
extern const vfBackendOps vfExecBackendOps;      /* exec.c */
extern const vfBackendOps vfRestoreBackendOps;   /* restore/kept.c */
