/*
 * xmlread.c: parsing the XML files libvirt leaves for us
 */
#include "xmlread.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

typedef struct {
    int line;
    char *message;
} vfXmlFirstError;

static void
keepFirst(void *opaque, xmlErrorPtr err)
{
    vfXmlFirstError *first = opaque;

    if (first->message || err->level < XML_ERR_ERROR)
        return;
    first->line = err->line;
    first->message = g_strdup(err->message ? err->message : "parse error");
}

xmlDocPtr
vfXmlRead(const char *xml, gsize len, const char *path, GQuark domain, int code,
          GError **error)
{
    vfXmlFirstError first = { 0 };
    xmlDocPtr doc;

    xmlSetStructuredErrorFunc(&first, keepFirst);
    doc = xmlReadMemory(xml, len, path, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (!doc)
        g_set_error(error, domain, code, "%s:%d: bad XML: %s", path, MAX(first.line, 1),
                    first.message ? g_strstrip(first.message) : "empty document");
    g_free(first.message);
    return doc;
}
