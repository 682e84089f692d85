/*
 * nwfilter_parse.h: shared by the parts of the <filter> parser
 * (nwfilter_def.c: the document, <filter>, <filterref>; nwfilter_rule.c:
 * <rule> and its protocol element). Not for use outside src/nwfilter.
 */
#pragma once

#include "nwfilter_def.h"

#include <libxml/tree.h>

typedef struct {
    const char *path;
    GPtrArray *warnings;         /* of char*; NULL: not wanted */
} nwfParseCtx;

/* "PATH:LINE: <element>: message" as a VF_ERROR_PARSE error */
void nwfParseError(GError **error, const nwfParseCtx *ctx, xmlNodePtr node,
                   const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* the same, added to ctx->warnings */
void nwfParseWarn(const nwfParseCtx *ctx, xmlNodePtr node, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* An attribute's value (g_free), as libvirt's virXMLPropString. */
char *nwfProp(xmlNodePtr node, const char *name);

/* Warns of every attribute of @node not in @known (NULL-terminated):
 * libvirt reads only those. @hint may add to a message. */
void nwfWarnUnknownAttrs(const nwfParseCtx *ctx, xmlNodePtr node,
                         const char *const *known,
                         char *(*hint)(const char *attr, gconstpointer data),
                         gconstpointer data);

/* Edit distance of two short names, ignoring case. */
guint nwfNameDistance(const char *a, const char *b);

nwfRule *nwfParseRule(const nwfParseCtx *ctx, xmlNodePtr node, GError **error);
void nwfRuleFree(nwfRule *rule);
