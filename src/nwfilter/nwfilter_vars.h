/*
 * nwfilter_vars.h: filter variables ($VAR, $VAR[N], $VAR[@K]), value
 * lists and the combination iterator (libvirt's nwfilter_params.c).
 */
#pragma once

#include <glib.h>

#define NWF_VALID_VARNAME \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
#define NWF_VALID_VARVALUE \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:"
#define NWF_MAX_ITERID 1000

/* Variables: name -> GPtrArray of char* (a plain value is a list of one).
 * Copies (nwfVarsCopy, nwfVarsMerge, nwfVarsPutAll) share the lists: add
 * values to a table only while building it from XML, before any copy. */
GHashTable *nwfVarsNew(void);
GHashTable *nwfVarsCopy(GHashTable *src);
/* Appends @value to the list of @name (creating it). */
void nwfVarsAdd(GHashTable *vars, const char *name, const char *value);
/* Copies every entry of @src into @dst, replacing existing names. */
void nwfVarsPutAll(GHashTable *src, GHashTable *dst);
/* Copy of @inner, then @outer's entries override (virNWFilterCreateVarsFrom). */
GHashTable *nwfVarsMerge(GHashTable *inner, GHashTable *outer);
gboolean nwfVarNameIsValid(const char *name);
gboolean nwfVarValueIsValid(const char *value);

typedef enum {
    NWF_VAR_ACCESS_ITERATOR,   /* $X or $X[@K] */
    NWF_VAR_ACCESS_ELEMENT,    /* $X[N] */
} nwfVarAccessType;

typedef struct {
    char *name;
    nwfVarAccessType type;
    guint index;               /* ELEMENT: the index; ITERATOR: the iterator id */
} nwfVarAccess;

/* Parses the text after '$'. */
nwfVarAccess *nwfVarAccessParse(const char *str, GError **error);
void nwfVarAccessFree(nwfVarAccess *va);
gboolean nwfVarAccessEqual(const nwfVarAccess *a, const nwfVarAccess *b);
char *nwfVarAccessToString(const nwfVarAccess *va);

/* True if the variable exists (and, for ELEMENT, the index is in range). */
gboolean nwfVarAccessIsAvailable(const nwfVarAccess *va, GHashTable *vars);

typedef struct _nwfVarIter nwfVarIter;

/* @accesses: the rule's distinct accesses, in attribute order. */
nwfVarIter *nwfVarIterNew(GHashTable *vars, GPtrArray *accesses,
                          GError **error);
/* FALSE when every combination was visited. */
gboolean nwfVarIterNext(nwfVarIter *it);
const char *nwfVarIterGet(nwfVarIter *it, const nwfVarAccess *va,
                          GError **error);
void nwfVarIterFree(nwfVarIter *it);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(nwfVarIter, nwfVarIterFree)
