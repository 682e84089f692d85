/*
 * nwfilter_parse.c: messages of the filter parser (errors and warnings
 * naming file, line and element)
 */
#include "nwfilter_parse.h"
#include "firewall/error.h"

#include <string.h>

static char *
where(const nwfParseCtx *ctx, xmlNodePtr node, const char *msg)
{
    return g_strdup_printf("%s:%ld: <%s>: %s", ctx->path,
                           node ? xmlGetLineNo(node) : 0L,
                           node ? (const char *)node->name : "?", msg);
}

void
nwfParseError(GError **error, const nwfParseCtx *ctx, xmlNodePtr node,
              const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;
    g_autofree char *full = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    full = where(ctx, node, msg);
    g_set_error_literal(error, VF_ERROR, VF_ERROR_PARSE, full);
}

void
nwfParseWarn(const nwfParseCtx *ctx, xmlNodePtr node, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    if (!ctx->warnings)
        return;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(ctx->warnings, where(ctx, node, msg));
}

char *
nwfProp(xmlNodePtr node, const char *name)
{
    xmlChar *v = xmlGetProp(node, BAD_CAST name);
    char *r = v ? g_strdup((const char *)v) : NULL;
    xmlFree(v);
    return r;
}

/* The attributes of @node libvirt does not read: each ignored, with a
 * warning. @hint (may be NULL) adds to the message. */
void
nwfWarnUnknownAttrs(const nwfParseCtx *ctx, xmlNodePtr node,
                    const char *const *known,
                    char *(*hint)(const char *attr, gconstpointer data),
                    gconstpointer data)
{
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        const char *an = (const char *)a->name;
        g_autofree char *more = NULL;

        if (known && g_strv_contains(known, an))
            continue;
        if (hint)
            more = hint(an, data);
        nwfParseWarn(ctx, node, "attribute '%s' ignored (libvirt does not read it%s%s)",
                     an, more ? "; " : "", more ? more : "");
    }
}

/* Edit distance, for "did you mean" (attribute names are short). */
guint
nwfNameDistance(const char *a, const char *b)
{
    gsize la = strlen(a), lb = strlen(b);
    g_autofree guint *row = g_new(guint, lb + 1);

    for (gsize j = 0; j <= lb; j++)
        row[j] = j;
    for (gsize i = 1; i <= la; i++) {
        guint diag = row[0];
        row[0] = i;
        for (gsize j = 1; j <= lb; j++) {
            guint up = row[j];
            guint best = MIN(row[j] + 1, row[j - 1] + 1);
            row[j] = MIN(best, diag + (g_ascii_tolower(a[i - 1]) != g_ascii_tolower(b[j - 1])));
            diag = up;
        }
    }
    return row[lb];
}

