/*
 * undo.h: putting back what an apply committed — the one entry point of
 * every recovery of the restore backend.
 *
 * An undo records each script the tools took (vfUndoAdd), then puts all of
 * them back, newest first (vfUndoRun). Two kinds, by what was written:
 *  - a log's scripts (a replay pass, a bisection prefix): the inverse of
 *    every entry (vfLogEntryUndo), newest first, planned into passes like
 *    any other log so the undo never asks the tools for two steps they
 *    cannot take in one input;
 *  - a difference's scripts: the difference back from the tables written
 *    to the tables found (diff.c), table by table.
 * A table the apply found absent, wrote and put back is still there, empty
 * (the tools never delete a table): exec would have left none, so it goes
 * through the target (vfTargetDropEmptyTable).
 */
#pragma once

#include "restore.h"

typedef struct _vfUndo vfUndo;

/* Undo for scripts of the simulation's log. */
vfUndo *vfUndoNewLog(void);
/* Undo for scripts of a difference from @before to @after (borrowed). */
vfUndo *vfUndoNewDiff(vfTableSet *const *before, vfTableSet *const *after);
void vfUndoFree(vfUndo *undo);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfUndo, vfUndoFree)

/* @script was committed (its entries are referenced, not copied). */
void vfUndoAdd(vfUndo *undo, const vfPlanScript *script);

/* Puts back everything added, newest first, and forgets it. FALSE with
 * @error when a put-back was refused: a table's state is then unknown. */
gboolean vfUndoRun(vfUndo *undo, vfRestoreRun *run, GError **error);
/* The same after the batch itself failed with *@error: a put-back that
 * fails too is added to *@error. */
void vfUndoRunAfterError(vfUndo *undo, vfRestoreRun *run, GError **error);
