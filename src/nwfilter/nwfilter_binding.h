/*
 * nwfilter_binding.h: <filterbinding> and the on-disk
 * <filterbindingstatus> (/run/libvirt/nwfilter-binding/<portdev>.xml).
 */
#pragma once

#include <glib.h>
#include "util/failure.h"

typedef struct {
    char *ownerName;
    char *ownerUUID;
    char *portdev;
    char *linkdev;          /* optional */
    char *mac;              /* normalized lower-case aa:bb:cc:dd:ee:ff */
    char *filter;
    GHashTable *params;     /* nwfVars; repeated names form lists */
    char *path;
} nwfBinding;

/* A binding document of @len bytes; @status: the file must be libvirt's
 * <filterbindingstatus> (what the binding directory holds), else
 * <filterbinding> is taken too (the libvirt API's form). Checks as
 * libvirt's parser, and that the interface name is one the kernel takes.
 * Invalid parameters are skipped, with a message added to @warnings (of
 * char*; may be NULL). */
nwfBinding *nwfBindingParse(const char *xml, gsize len, const char *path,
                            gboolean status, GPtrArray *warnings, GError **error);
nwfBinding *nwfBindingParseString(const char *xml, const char *path,
                                  GError **error);
/* The file @path (regular files only, at most VF_INPUT_FILE_MAX bytes);
 * @status as for nwfBindingParse. */
nwfBinding *nwfBindingParseFile(const char *path, gboolean status,
                                GPtrArray *warnings, GError **error);
void nwfBindingFree(nwfBinding *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(nwfBinding, nwfBindingFree)

/* Loads every *.xml of @dir, sorted by file name (GPtrArray of
 * nwfBinding*). A file that cannot be loaded is skipped, as libvirt's
 * start-up skips it, and added to @failures (of vfFailure*, may be NULL)
 * as "interface/<file name without .xml>". NULL only when @dir cannot be
 * read. */
GPtrArray *nwfBindingLoadDir(const char *dir, GPtrArray *failures,
                             GPtrArray *warnings, GError **error);
