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
    nwfFilterSet *filters;
    GPtrArray *bindings;   /* of nwfBinding*, sorted by portdev */
    GPtrArray *networks;   /* of vfNetworkDef*, active networks, by name */
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
 * those files are read, and a broken file of another interface is no
 * error; otherwise every binding is read, as with NULL. */
vfHost *vfHostLoadFiles(const char *const *nwfilterDirs,
                        const char *bindingDir,
                        const char *const *portdevs,
                        const char *networkDir,
                        GError **error);

/* The bindings vfHostLoadFiles() would read (of nwfBinding*, not sorted):
 * those of @portdevs alone where each is in <@dir>/<portdev>.xml, else
 * every binding in @dir. */
GPtrArray *vfHostLoadBindings(const char *dir, const char *const *portdevs,
                              GError **error);

/* A SHA-256 over every file vfHostLoadFiles() and the backend selection
 * read (names and contents): equal digests build equal programs. */
char *vfHostInputDigest(const char *const *nwfilterDirs, const char *bindingDir,
                        const char *networkDir, const char *config,
                        GError **error);

/* The same, from a running libvirt (virConnectOpen(@uri)): all filters,
 * all bindings, all active networks. */
vfHost *vfHostLoadLibvirt(const char *uri, GError **error);
