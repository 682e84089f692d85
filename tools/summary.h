/*
 * summary.h: the one summary every command fills and prints once, as
 * text on stderr or as one JSON object on stdout (docs/json.md), and the
 * progress line shown meanwhile on a terminal
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "firewall/backend.h"

/* What became of a unit. The words are the same in the text and in the
 * JSON ("status"); docs/json.md says which command uses which. */
typedef enum {
    VF_STATUS_REBUILT,    /* rules were written for it */
    VF_STATUS_UNCHANGED,  /* applied, but the kernel held its rules: nothing written */
    VF_STATUS_SKIPPED,    /* the state file and the kernel say it is in place */
    VF_STATUS_REMOVED,    /* teardown: its rules were removed */
    VF_STATUS_BUILT,      /* dump, check, program --dry-run: its program was built */
    VF_STATUS_APPLIED,    /* program: applied */
    VF_STATUS_OK,         /* verify: the kernel holds what it produces */
    VF_STATUS_DRIFT,      /* verify: it does not */
    VF_STATUS_FAILED,     /* see its reason */
    VF_STATUS_LAST
} vfStatus;

const char *vfStatusToString(vfStatus status);

/* Members a command adds to a unit's or to the whole JSON object. */
typedef void (*vfSummaryJsonFunc)(JsonBuilder *b, gpointer data);

typedef struct {
    char *name;           /* "interface/vnet0", "networks", "network/default" */
    char *kind;           /* "interface", "networks", "network", "program" */
    vfStatus status;
    char *reason;         /* FAILED: why (the error text) */
    vfSummaryJsonFunc extra;
    gpointer extra_data;  /* borrowed: must live until the summary is printed */
} vfSummaryUnit;

typedef struct {
    char *key;            /* the JSON member */
    char *label;          /* the text's words */
    guint64 value;
} vfSummaryCount;

typedef struct {
    char *command;
    gboolean dry_run;
    char *backend;        /* NULL: the command runs no backend */
    char *backend_reason;
    guint shown;          /* 1 << vfStatus: counted in the text even when 0 */
    GPtrArray *units;     /* of vfSummaryUnit* */
    gboolean applied;     /* @stats holds an apply's numbers */
    vfApplyStats stats;
    guint processes;      /* every process the command ran */
    GArray *phases;       /* of vfSummaryPhase */
    GPtrArray *counts;    /* of vfSummaryCount*: the command's own numbers */
    vfSummaryJsonFunc extra;
    gpointer extra_data;
    GTimer *total;
} vfSummary;

typedef struct {
    const char *name;     /* static */
    double seconds;
} vfSummaryPhase;

vfSummary *vfSummaryNew(const char *command);
void vfSummaryFree(vfSummary *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfSummary, vfSummaryFree)

/* A unit and what became of it (@reason: FAILED's). Named twice, the
 * last word counts. */
vfSummaryUnit *vfSummaryUnitSet(vfSummary *s, const char *name, vfStatus status,
                                const char *reason);
void vfSummaryPhaseAdd(vfSummary *s, const char *name, double seconds);
void vfSummaryCountAdd(vfSummary *s, const char *key, const char *label, guint64 value);
/* How many units have @status. */
guint vfSummaryCountStatus(vfSummary *s, vfStatus status);
/* Adds an apply's numbers (a command may apply more than once). */
void vfSummaryAddStats(vfSummary *s, const vfApplyStats *stats);

/* The text, without the failed units and the input (summary.c adds them
 * from the command's context): @out gets "virt-firewall CMD: ..." lines. */
void vfSummaryFormatText(vfSummary *s, GString *out);
/* The JSON object's members, the whole object being open in @b. */
void vfSummaryBuildJson(vfSummary *s, JsonBuilder *b);

/* ---- progress.c: one line on a terminal, rewritten in place ---- */

typedef struct _vfProgress vfProgress;

/* Shown only when stderr is a terminal and @enabled (not -q). */
vfProgress *vfProgressNew(const char *command, gboolean enabled);
/* @phase (static) is under way: @done of @total units (total 0: no count).
 * Redrawn at most every 100 ms, and at the end of a phase. */
void vfProgressUpdate(vfProgress *p, const char *phase, guint done, guint total);
/* Removes the line (before other text goes to stderr). */
void vfProgressClear(vfProgress *p);
void vfProgressFree(vfProgress *p);
