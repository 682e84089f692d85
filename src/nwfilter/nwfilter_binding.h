/*
 * nwfilter_binding.h: <filterbinding> and the on-disk
 * <filterbindingstatus> (/run/libvirt/nwfilter-binding/<portdev>.xml).
 */
#pragma once

#include <glib.h>

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

nwfBinding *nwfBindingParseString(const char *xml, const char *path,
                                  GError **error);
nwfBinding *nwfBindingParseFile(const char *path, GError **error);
void nwfBindingFree(nwfBinding *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(nwfBinding, nwfBindingFree)

/* Loads every *.xml of @dir, sorted by file name. GPtrArray of nwfBinding*. */
GPtrArray *nwfBindingLoadDir(const char *dir, GError **error);
