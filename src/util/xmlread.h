/*
 * xmlread.h: parsing the XML files libvirt leaves for us
 */
#pragma once
#include <glib.h>
#include <libxml/tree.h>

/* Parses @len bytes of @xml as libxml2 reads a file for libvirt (no
 * network access, nothing printed). NULL on an error, set in @domain with
 * @code as "PATH:LINE: bad XML: MESSAGE" naming the first error (later
 * ones are most often its consequences), or "PATH:1: bad XML: empty
 * document". Thread-safe: libxml2's error handlers are per thread. */
xmlDocPtr vfXmlRead(const char *xml, gsize len, const char *path, GQuark domain,
                    int code, GError **error);
