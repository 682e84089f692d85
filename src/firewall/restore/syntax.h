/*
 * syntax.h: the restore language's tokens (iptables' add_param_to_argv)
 *
 * Words are split on blanks; a word in double quotes may hold blanks, and
 * inside quotes a backslash takes the next character literally. Lines are
 * read with fgets, so no word can hold a newline.
 */
#pragma once

#include <glib.h>

/* Tool limits measured on iptables 1.8.9 (restore-semantics.md Q8). */
#define VF_RESTORE_MAX_TOKEN 1023
#define VF_RESTORE_MAX_LINE 10239
#define VF_RESTORE_MAX_WORDS 251
#define VF_RESTORE_MAX_CHAIN 28

/* Appends @word to @out, quoted only where needed. */
void vfSyntaxAppendWord(GString *out, const char *word);

/* Is @word representable? FALSE with a reason in @error. */
gboolean vfSyntaxCheckWord(const char *word, GError **error);

/* Splits one line the way the restore tools do. */
GStrv vfSyntaxSplit(const char *line);
