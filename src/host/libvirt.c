/*
 * libvirt.c: reading a libvirt host's filters, bindings and networks from
 * a running libvirt through its C API
 *
 * Every document is fetched with the object's GetXMLDesc and parsed with
 * the same parsers the file loader uses; the parse source is named
 * "libvirt:nwfilter/NAME", "libvirt:nwfilter-binding/PORTDEV" or
 * "libvirt:network/NAME", so a message names the object it is about.
 *
 * libvirt is opened with dlopen() on first use: linking it costs every
 * virt-firewall process ~15 ms of library constructors (measured: 17 ms
 * for an empty program linked with it, 5 ms without), a third of a VM
 * start, and only --connect needs it.
 *
 * An object that disappears between the listing and the XML request (a
 * guest shutting down, a network stopped or undefined) is skipped: it no
 * longer has rules. Every other libvirt error fails the whole load with
 * libvirt's own message.
 */
#include "host.h"
#include "firewall/error.h"

#include <errno.h>
#include <gmodule.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#define VF_LIBVIRT_FUNCS(X) \
    X(virConnectClose) X(virConnectGetURI) X(virConnectListAllNWFilterBindings) \
    X(virConnectListAllNWFilters) X(virConnectListAllNetworks) X(virConnectOpen) \
    X(virGetLastError) X(virGetLastErrorCode) X(virGetLastErrorMessage) \
    X(virNWFilterBindingFree) X(virNWFilterBindingGetPortDev) \
    X(virNWFilterBindingGetXMLDesc) X(virNWFilterFree) X(virNWFilterGetName) \
    X(virNWFilterGetXMLDesc) X(virNetworkFree) X(virNetworkGetName) \
    X(virNetworkGetXMLDesc) X(virResetLastError) X(virSetErrorFunc)

static struct {
#define X(f) __typeof__(&f) f;
    VF_LIBVIRT_FUNCS(X)
#undef X
} lv;

#ifdef VF_LIBVIRT_LINKED
static gboolean
loadLibvirt(GError **error G_GNUC_UNUSED)
{
#define X(f) lv.f = f;
    VF_LIBVIRT_FUNCS(X)
#undef X
    return TRUE;
}
#else
static gboolean
loadLibvirt(GError **error)
{
    static GModule *module;

    if (module)
        return TRUE;
    /* the soname of libvirt's stable ABI; never unloaded (its threads and
     * atexit handlers must not outlive the code) */
    if (!(module = g_module_open("libvirt.so.0", G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL))) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "--connect needs libvirt's client library: %s", g_module_error());
        return FALSE;
    }
    g_module_make_resident(module);
#define X(f) \
    if (!g_module_symbol(module, #f, (gpointer *)&lv.f)) { \
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED, \
                    "libvirt.so.0 has no %s: %s", #f, g_module_error()); \
        g_module_close(module); \
        module = NULL; \
        return FALSE; \
    }
    VF_LIBVIRT_FUNCS(X)
#undef X
    return TRUE;
}
#endif

/* libvirt prints every error on stderr unless a handler is set; ours
 * are reported through GError instead. */
static void
quietErrorFunc(void *userdata G_GNUC_UNUSED, virErrorPtr err G_GNUC_UNUSED)
{
}

static void
setLibvirtError(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
setLibvirtError(GError **error, const char *fmt, ...)
{
    g_autofree char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VF_ERROR, VF_ERROR_FAILED, "%s: %s", what,
                lv.virGetLastErrorMessage());
}

/* Did the object go away since it was listed? */
static gboolean
lastErrorIsGone(int code)
{
    return lv.virGetLastErrorCode() == code;
}

/* Is the last error "this connection has no network driver"? */
static gboolean
lastErrorIsNoNetworkDriver(void)
{
    virErrorPtr e = lv.virGetLastError();

    if (!e)
        return FALSE;
    /* monolithic libvirtd without the network module, or a connection
     * whose driver has none (nwfilter:///system) */
    if (e->code == VIR_ERR_NO_SUPPORT || e->code == VIR_ERR_NO_CONNECT)
        return TRUE;
    /* modular daemons: virtqemud passes network calls on to virtnetworkd,
     * whose socket does not exist when it is not installed (the errno is
     * carried in int1; the message may be translated, the path is not) */
    return e->code == VIR_ERR_SYSTEM_ERROR && e->int1 == ENOENT &&
           e->message && strstr(e->message, "virtnetworkd-sock");
}

static nwfFilterSet *
loadFilters(virConnectPtr conn, const char *uri, GError **error)
{
    g_autoptr(nwfFilterSet) set = nwfFilterSetNew();
    virNWFilterPtr *filters = NULL;
    int n, i;
    gboolean ok = FALSE;

    if ((n = lv.virConnectListAllNWFilters(conn, &filters, 0)) < 0) {
        setLibvirtError(error, "%s: cannot list network filters", uri);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        const char *name = lv.virNWFilterGetName(filters[i]);
        g_autofree char *source = g_strdup_printf("libvirt:nwfilter/%s", name);
        g_autofree char *xml = NULL;
        nwfFilter *def;

        if (!(xml = lv.virNWFilterGetXMLDesc(filters[i], 0))) {
            if (lastErrorIsGone(VIR_ERR_NO_NWFILTER)) {
                g_debug("%s: nwfilter '%s' went away, skipped", uri, name);
                continue;
            }
            setLibvirtError(error, "%s: cannot get the XML of nwfilter '%s'",
                            uri, name);
            goto cleanup;
        }
        if (!(def = nwfFilterParseString(xml, source, error)))
            goto cleanup;
        if (!nwfFilterSetAdd(set, def)) {   /* frees def */
            g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                        "%s: libvirt lists nwfilter '%s' twice", uri, name);
            goto cleanup;
        }
    }
    ok = TRUE;

 cleanup:
    for (i = 0; i < n; i++)
        lv.virNWFilterFree(filters[i]);
    free(filters);
    return ok ? g_steal_pointer(&set) : NULL;
}

static GPtrArray *
loadBindings(virConnectPtr conn, const char *uri, GError **error)
{
    g_autoptr(GPtrArray) res =
        g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);
    virNWFilterBindingPtr *bindings = NULL;
    int n, i;
    gboolean ok = FALSE;

    if ((n = lv.virConnectListAllNWFilterBindings(conn, &bindings, 0)) < 0) {
        setLibvirtError(error, "%s: cannot list nwfilter bindings", uri);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        const char *portdev = lv.virNWFilterBindingGetPortDev(bindings[i]);
        g_autofree char *source =
            g_strdup_printf("libvirt:nwfilter-binding/%s", portdev);
        g_autofree char *xml = NULL;
        nwfBinding *b;

        if (!(xml = lv.virNWFilterBindingGetXMLDesc(bindings[i], 0))) {
            if (lastErrorIsGone(VIR_ERR_NO_NWFILTER_BINDING)) {
                g_debug("%s: nwfilter binding '%s' went away, skipped",
                        uri, portdev);
                continue;
            }
            setLibvirtError(error, "%s: cannot get the XML of nwfilter "
                            "binding '%s'", uri, portdev);
            goto cleanup;
        }
        if (!(b = nwfBindingParseString(xml, source, error)))
            goto cleanup;
        g_ptr_array_add(res, b);
    }
    ok = TRUE;

 cleanup:
    for (i = 0; i < n; i++)
        lv.virNWFilterBindingFree(bindings[i]);
    free(bindings);
    return ok ? g_steal_pointer(&res) : NULL;
}

static GPtrArray *
loadNetworks(virConnectPtr conn, const char *uri, GError **error)
{
    g_autoptr(GPtrArray) res =
        g_ptr_array_new_with_free_func((GDestroyNotify)vfNetworkDefFree);
    virNetworkPtr *nets = NULL;
    int n, i;
    gboolean ok = FALSE;

    if ((n = lv.virConnectListAllNetworks(conn, &nets,
                                       VIR_CONNECT_LIST_NETWORKS_ACTIVE)) < 0) {
        if (lastErrorIsNoNetworkDriver()) {
            g_debug("%s: no network driver (%s): no networks", uri,
                    lv.virGetLastErrorMessage());
            lv.virResetLastError();
            return g_steal_pointer(&res);
        }
        setLibvirtError(error, "%s: cannot list active networks", uri);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        const char *name = lv.virNetworkGetName(nets[i]);
        g_autofree char *source = g_strdup_printf("libvirt:network/%s", name);
        g_autofree char *xml = NULL;
        vfNetworkDef *def;

        /* flags 0: the live definition, the one the rules come from */
        if (!(xml = lv.virNetworkGetXMLDesc(nets[i], 0))) {
            if (lastErrorIsGone(VIR_ERR_NO_NETWORK)) {
                g_debug("%s: network '%s' went away, skipped", uri, name);
                continue;
            }
            setLibvirtError(error, "%s: cannot get the XML of network '%s'",
                            uri, name);
            goto cleanup;
        }
        if (!(def = vfNetworkDefParseString(xml, source, error)))
            goto cleanup;
        g_ptr_array_add(res, def);
    }
    ok = TRUE;

 cleanup:
    for (i = 0; i < n; i++)
        lv.virNetworkFree(nets[i]);
    free(nets);
    return ok ? g_steal_pointer(&res) : NULL;
}

vfHost *
vfHostLoadLibvirt(const char *uri, GError **error)
{
    g_autoptr(vfHost) host = NULL;
    g_autofree char *actual = NULL;
    virConnectPtr conn;
    gboolean ok = FALSE;

    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (!loadLibvirt(error))
        return NULL;
    lv.virSetErrorFunc(NULL, quietErrorFunc);
    if (!(conn = lv.virConnectOpen(uri))) {
        setLibvirtError(error, "cannot connect to libvirt%s%s",
                        uri ? " at " : "", uri ? uri : "");
        return NULL;
    }
    /* Messages name the URI actually used (the default one for NULL);
     * libvirt's malloc() memory may be g_free()d (GLib >= 2.46). */
    if (!(actual = lv.virConnectGetURI(conn)))
        actual = g_strdup(uri ? uri : "libvirt");

    host = g_new0(vfHost, 1);
    host->failures = vfFailuresNew();
    host->warnings = g_ptr_array_new_with_free_func(g_free);
    if (!(host->filters = loadFilters(conn, actual, error)))
        goto cleanup;
    if (!(host->bindings = loadBindings(conn, actual, error)))
        goto cleanup;
    if (!(host->networks = loadNetworks(conn, actual, error)))
        goto cleanup;
    vfHostSort(host);
    ok = TRUE;

 cleanup:
    lv.virConnectClose(conn);
    return ok ? g_steal_pointer(&host) : NULL;
}
