/*
 * host.h: what a libvirt host holds that has firewall rules
 *
 * Read from libvirt's own files (default places below) or, with
 * vfHostLoadLibvirt(), from a running libvirt through its API.
 */
#pragma once

#include "nwfilter/nwfilter.h"
#include "network/network_def.h"

#define VF_DEFAULT_NWFILTER_DIR "/etc/libvirt/nwfilter"
#define VF_DEFAULT_BINDING_DIR "/run/libvirt/nwfilter-binding"
#define VF_DEFAULT_NETWORK_DIR "/run/libvirt/network"
#define VF_DEFAULT_CONFIG "/etc/libvirt/network.conf"

typedef struct {
    nwfFilterSet *filters; /* skipped filter files: nwfFilterSetBroken */
    GPtrArray *bindings;   /* of nwfBinding*, sorted by portdev */
    GPtrArray *networks;   /* of vfNetworkDef*, active networks, by name */
    GPtrArray *failures;   /* of vfFailure*: binding and network files that
                            * could not be loaded ("interface/NAME",
                            * "network/NAME"), as libvirt's start-up skips them */
    GPtrArray *warnings;   /* of char*: what libvirt ignores in the files read */
} vfHost;

void vfHostFree(vfHost *host);

/* Puts bindings in portdev order and networks in name order, whichever
 * way they were read. */
void vfHostSort(vfHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfHost, vfHostFree)

/* @nwfilterDirs: first match wins. @networkDir holds libvirt's status
 * files (<networkstatus>) of active networks; NULL or missing = none. A
 * missing binding directory means no bindings (libvirt not running).
 * @portdevs non-NULL: only these interfaces' bindings are needed; when
 * each is in <bindingDir>/<portdev>.xml (where libvirt writes it) only
 * those files are read; otherwise every binding is read, as with NULL.
 *
 * As libvirt's start-up, a file that cannot be loaded fails alone: a
 * filter file is skipped (the bindings that use it fail when built), a
 * binding or network file goes to host->failures (with @portdevs, only
 * those of the interfaces asked for). Special files are never opened
 * (util/inputfile.h). NULL only when a directory exists and cannot be
 * read. */
vfHost *vfHostLoadFiles(const char *const *nwfilterDirs,
                        const char *bindingDir,
                        const char *const *portdevs,
                        const char *networkDir,
                        GError **error);

/* The bindings vfHostLoadFiles() would read (of nwfBinding*, not sorted):
 * those of @portdevs alone where each is in <@dir>/<portdev>.xml, else
 * every binding in @dir. Files that cannot be loaded go to @failures (of
 * vfFailure*; with @portdevs, only those of the interfaces asked for),
 * what libvirt ignores in them to @warnings (of char*); both may be NULL. */
GPtrArray *vfHostLoadBindings(const char *dir, const char *const *portdevs,
                              GPtrArray *failures, GPtrArray *warnings,
                              GError **error);

/* A SHA-256 over every file vfHostLoadFiles() and the backend selection
 * read (names and contents): equal digests build equal programs. */
char *vfHostInputDigest(const char *const *nwfilterDirs, const char *bindingDir,
                        const char *networkDir, const char *config,
                        GError **error);

/* The same, from a running libvirt (virConnectOpen(@uri); NULL: libvirt's
 * default, LIBVIRT_DEFAULT_URI first): all filters, all bindings, all
 * active networks. */
vfHost *vfHostLoadLibvirt(const char *uri, GError **error);

/* Which of libvirt's drivers a URI reads: nwfilter:// the filters and
 * bindings, network:// the networks, a hypervisor URI (qemu://, test://,
 * ...) both; 0 for NULL (the default URI, known once connected). */
enum { VF_URI_NWFILTER = 1, VF_URI_NETWORK = 2 };
guint vfHostUriRoles(const char *uri);

/*
 * From one or two URIs (--connect given twice: one for the nwfilter
 * driver, one for the network driver; "" is libvirt's default URI). Each
 * connection is asked only for what its driver holds. What no URI reads,
 * a network URI that cannot be opened, and every binding, network or
 * filter whose XML cannot be fetched or parsed is a failed unit in
 * host->failures ("bindings", "networks", "interface/X", "network/X"; a
 * filter is skipped as a broken file is), never left out silently. NULL
 * (VF_ERROR_INVALID) when two URIs read the same driver, or when the
 * nwfilter connection cannot be opened or listed.
 */
vfHost *vfHostLoadLibvirtUris(const char *const *uris, GError **error);
