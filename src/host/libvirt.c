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
 * longer has rules. One that cannot be fetched or parsed fails its own
 * unit (host->failures, libvirt's message), as a file libvirt cannot load
 * does. A connection that cannot be opened or listed fails the whole load
 * (a network-only one: the "networks" unit).
 */
#include "host.h"
#include "firewall/error.h"
#include "util/failure.h"

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

/* @kind/@name could not be read: a failed unit, named with @uri (the
 * others are read and applied, as libvirt's start-up skips one file). */
static void
failUnit(GPtrArray *failures, const char *kind, const char *name,
         const char *uri, const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static void
failUnit(GPtrArray *failures, const char *kind, const char *name,
         const char *uri, const char *fmt, ...)
{
    g_autofree char *unit = g_strdup_printf("%s/%s", kind, name);
    g_autofree char *why = NULL;
    g_autofree char *reason = NULL;
    va_list ap;

    va_start(ap, fmt);
    why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    reason = g_strdup_printf("%s: %s", uri, why);
    lv.virResetLastError();
    if (!vfFailuresFind(failures, unit))
        g_ptr_array_add(failures, vfFailureNew(unit, reason));
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
    g_autoptr(GError) err = NULL;
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
            g_autofree char *why = NULL;
            if (lastErrorIsGone(VIR_ERR_NO_NWFILTER)) {
                g_debug("%s: nwfilter '%s' went away, skipped", uri, name);
                continue;
            }
            /* as a filter file that cannot be loaded: skipped, and the
             * bindings that use it fail when built */
            why = g_strdup_printf("%s: cannot get the XML of nwfilter '%s': %s",
                                  uri, name, lv.virGetLastErrorMessage());
            lv.virResetLastError();
            nwfFilterSetMarkBroken(set, name, why);
            continue;
        }
        if (!(def = nwfFilterParseString(xml, source, &err))) {
            nwfFilterSetMarkBroken(set, name, err->message);
            g_clear_error(&err);
            continue;
        }
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
loadBindings(virConnectPtr conn, const char *uri, GPtrArray *failures, GError **error)
{
    g_autoptr(GPtrArray) res =
        g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);
    g_autoptr(GError) err = NULL;
    virNWFilterBindingPtr *bindings = NULL;
    int n, i;

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
            failUnit(failures, "interface", portdev, uri, "cannot get the XML of "
                     "nwfilter binding '%s': %s", portdev, lv.virGetLastErrorMessage());
            continue;
        }
        if (!(b = nwfBindingParseString(xml, source, &err))) {
            /* as a binding file libvirt cannot load: its unit fails */
            failUnit(failures, "interface", portdev, uri, "%s", err->message);
            g_clear_error(&err);
            continue;
        }
        g_ptr_array_add(res, b);
    }
    for (i = 0; i < n; i++)
        lv.virNWFilterBindingFree(bindings[i]);
    free(bindings);
    return g_steal_pointer(&res);
}

static GPtrArray *
loadNetworks(virConnectPtr conn, const char *uri, GPtrArray *failures, GError **error)
{
    g_autoptr(GPtrArray) res =
        g_ptr_array_new_with_free_func((GDestroyNotify)vfNetworkDefFree);
    g_autoptr(GError) err = NULL;
    virNetworkPtr *nets = NULL;
    int n, i;

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
            failUnit(failures, "network", name, uri, "cannot get the XML of "
                     "network '%s': %s", name, lv.virGetLastErrorMessage());
            continue;
        }
        if (!(def = vfNetworkDefParseString(xml, source, &err))) {
            failUnit(failures, "network", name, uri, "%s", err->message);
            g_clear_error(&err);
            continue;
        }
        g_ptr_array_add(res, def);
    }
    for (i = 0; i < n; i++)
        lv.virNetworkFree(nets[i]);
    free(nets);
    return g_steal_pointer(&res);
}

guint
vfHostUriRoles(const char *uri)
{
    const char *colon = uri ? strchr(uri, ':') : NULL;
    g_autofree char *scheme = colon ? g_ascii_strdown(uri, colon - uri) : NULL;
    char *plus;

    if (!scheme)
        return 0;   /* libvirt's default URI: known once connected */
    if ((plus = strchr(scheme, '+')))   /* nwfilter+unix://, network+ssh:// */
        *plus = '\0';
    if (g_str_equal(scheme, "nwfilter"))
        return VF_URI_NWFILTER;
    if (g_str_equal(scheme, "network"))
        return VF_URI_NETWORK;
    /* a hypervisor (qemu, lxc, test, ...): its connection reaches the
     * daemon's secondary drivers too */
    return VF_URI_NWFILTER | VF_URI_NETWORK;
}

static const char *
roleName(guint role)
{
    return role == VF_URI_NWFILTER ? "filters and bindings" : "networks";
}

vfHost *
vfHostLoadLibvirtUris(const char *const *uris, GError **error)
{
    g_autoptr(vfHost) host = NULL;
    virConnectPtr conns[2] = { NULL, NULL };
    char *actual[2] = { NULL, NULL };
    guint roles[2] = { 0, 0 };
    virConnectPtr by[2] = { NULL, NULL };     /* per role: nwfilter, network */
    const char *byUri[2] = { NULL, NULL };
    guint n = uris ? g_strv_length((char **)uris) : 0;
    gboolean ok = FALSE;

    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (n > 2) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "--connect given %u times: at most twice (one URI for the nwfilter "
                    "driver, one for the network driver)", n);
        return NULL;
    }
    if (!loadLibvirt(error))
        return NULL;
    lv.virSetErrorFunc(NULL, quietErrorFunc);
    host = g_new0(vfHost, 1);
    host->failures = vfFailuresNew();
    host->warnings = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < MAX(n, 1); i++) {
        /* "" (or none): libvirt's default, LIBVIRT_DEFAULT_URI first */
        const char *uri = n && *uris[i] ? uris[i] : NULL;
        guint want = vfHostUriRoles(uri);

        if (!(conns[i] = lv.virConnectOpen(uri))) {
            if (want == VF_URI_NETWORK) {
                /* the networks cannot be read: their unit fails, the
                 * bindings are applied */
                g_autofree char *why = g_strdup_printf("cannot connect to libvirt at %s: %s",
                                                       uri, lv.virGetLastErrorMessage());
                lv.virResetLastError();
                g_ptr_array_add(host->failures, vfFailureNew("networks", why));
                continue;
            }
            setLibvirtError(error, "cannot connect to libvirt%s%s",
                            uri ? " at " : "", uri ? uri : "");
            goto cleanup;
        }
        /* Messages name the URI actually used (the default one for NULL);
         * libvirt's malloc() memory may be g_free()d (GLib >= 2.46). */
        if (!(actual[i] = lv.virConnectGetURI(conns[i])))
            actual[i] = g_strdup(uri ? uri : "libvirt");
        roles[i] = vfHostUriRoles(actual[i]);
    }
    for (guint r = 0; r < 2; r++) {
        guint role = r ? VF_URI_NETWORK : VF_URI_NWFILTER;
        for (guint i = 0; i < 2; i++) {
            if (!(roles[i] & role))
                continue;
            if (by[r]) {
                g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                            "--connect %s and --connect %s both read the %s: give one "
                            "URI for each driver (nwfilter:///system and network:///system) "
                            "or one hypervisor URI (qemu:///system)",
                            byUri[r], actual[i], roleName(role));
                goto cleanup;
            }
            by[r] = conns[i];
            byUri[r] = actual[i];
        }
    }

    /* Only the driver a URI names is asked: a call the connection's
     * driver does not have (virConnectListAllNetworks on nwfilter:///)
     * is an error line in libvirtd's log on every run. */
    if (by[0]) {
        if (!(host->filters = loadFilters(by[0], byUri[0], error)) ||
            !(host->bindings = loadBindings(by[0], byUri[0], host->failures, error)))
            goto cleanup;
    } else {
        host->filters = nwfFilterSetNew();
        host->bindings = g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);
        g_ptr_array_add(host->failures,
                        vfFailureNew("bindings", "no --connect URI reads the nwfilter driver "
                                     "(nwfilter:///system, or a hypervisor URI such as "
                                     "qemu:///system): no binding read, their rules left as "
                                     "they are"));
    }
    if (by[1]) {
        if (!(host->networks = loadNetworks(by[1], byUri[1], host->failures, error)))
            goto cleanup;
    } else {
        host->networks = g_ptr_array_new_with_free_func((GDestroyNotify)vfNetworkDefFree);
        if (!vfFailuresFind(host->failures, "networks")) {
            g_autofree char *why = g_strdup_printf(
                "%s reads only the nwfilter driver: the networks were not read, their "
                "rules are left as they are (add --connect network:///system, or use a "
                "hypervisor URI such as qemu:///system)", byUri[0]);
            g_ptr_array_add(host->failures, vfFailureNew("networks", why));
        }
    }
    vfHostSort(host);
    ok = TRUE;

 cleanup:
    for (guint i = 0; i < 2; i++) {
        if (conns[i])
            lv.virConnectClose(conns[i]);
        g_free(actual[i]);
    }
    return ok ? g_steal_pointer(&host) : NULL;
}

vfHost *
vfHostLoadLibvirt(const char *uri, GError **error)
{
    const char *uris[] = { uri ? uri : "", NULL };

    return vfHostLoadLibvirtUris(uris, error);
}
