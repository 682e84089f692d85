/*
 * operation.h: each operation of a command against the model of the tables
 *
 * One function per operation decides it as the tool would (with the tool's
 * message), changes the model and fills the log entry; the operation's
 * undo is written beside it. simulate.c walks the programs and calls
 * vfOperationSimulate() for each command.
 */
#pragma once

#include "simulate.h"

/* Decides @cmd against @set; on success changes the tables and fills @e
 * (for writes; NULL: nothing is logged) or @output (for listings). */
virFirewallExecResult vfOperationSimulate(vfTableSet *set, const vfCommand *cmd,
                                          vfLogEntry *e, char **output,
                                          GError **error);
