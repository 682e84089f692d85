/*
 * syntax.c: quoting and splitting words of restore input
 */
#include "syntax.h"
#include "error.h"

#include <string.h>

static gboolean
needsQuotes(const char *word)
{
    return *word == '\0' || strpbrk(word, " \t\"\\'") != NULL;
}

void
vfSyntaxAppendWord(GString *out, const char *word)
{
    if (!needsQuotes(word)) {
        g_string_append(out, word);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *p = word; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

gboolean
vfSyntaxCheckWord(const char *word, GError **error)
{
    gsize len = strlen(word);

    if (strpbrk(word, "\n\r")) {
        g_autofree char *shown = g_strescape(word, NULL);
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "argument '%s' holds a line break, which restore input "
                    "cannot carry", shown);
        return FALSE;
    }
    if (len > VF_RESTORE_MAX_TOKEN) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "argument of %zu characters is longer than the %d the "
                    "restore tools accept", len, VF_RESTORE_MAX_TOKEN);
        return FALSE;
    }
    if (!g_utf8_validate(word, len, NULL)) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "argument is not valid UTF-8");
        return FALSE;
    }
    return TRUE;
}

GStrv
vfSyntaxSplit(const char *line)
{
    g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) cur = g_string_new(NULL);
    gboolean inQuote = FALSE, escaped = FALSE, have = FALSE;

    for (const char *p = line; *p; p++) {
        if (inQuote) {
            if (escaped) {
                g_string_append_c(cur, *p);
                escaped = FALSE;
            } else if (*p == '\\') {
                escaped = TRUE;
            } else if (*p == '"') {
                inQuote = FALSE;
                /* a closing quote ends the word, even an empty one */
                g_ptr_array_add(words, g_strdup(cur->str));
                g_string_truncate(cur, 0);
                have = FALSE;
            } else {
                g_string_append_c(cur, *p);
            }
            continue;
        }
        if (*p == '"') {
            inQuote = TRUE;
            have = TRUE;   /* an unterminated quote still makes a word */
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\n') {
            if (have) {
                g_ptr_array_add(words, g_strdup(cur->str));
                g_string_truncate(cur, 0);
                have = FALSE;
            }
            continue;
        }
        g_string_append_c(cur, *p);
        have = TRUE;
    }
    if (have)
        g_ptr_array_add(words, g_strdup(cur->str));
    g_ptr_array_add(words, NULL);
    return (GStrv)g_ptr_array_free(g_steal_pointer(&words), FALSE);
}
