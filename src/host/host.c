/*
 * host.c: reading a libvirt host's filters, bindings and networks from
 * libvirt's own files
 */
#include "host.h"
#include "firewall/error.h"

#include <errno.h>

void
vfHostFree(vfHost *host)
{
    if (!host)
        return;
    nwfFilterSetFree(host->filters);
    if (host->bindings)
        g_ptr_array_unref(host->bindings);
    if (host->networks)
        g_ptr_array_unref(host->networks);
    g_free(host);
}

static gint
bindingCompare(gconstpointer a, gconstpointer b)
{
    const nwfBinding *x = *(nwfBinding *const *)a, *y = *(nwfBinding *const *)b;
    return g_strcmp0(x->portdev, y->portdev);
}

static gint
networkCompare(gconstpointer a, gconstpointer b)
{
    const vfNetworkDef *x = *(vfNetworkDef *const *)a, *y = *(vfNetworkDef *const *)b;
    return g_strcmp0(x->name, y->name);
}

void
vfHostSort(vfHost *host)
{
    if (host->bindings)
        g_ptr_array_sort(host->bindings, bindingCompare);
    if (host->networks)
        g_ptr_array_sort(host->networks, networkCompare);
}

static GPtrArray *
loadNetworks(const char *dir, GError **error)
{
    g_autoptr(GPtrArray) nets =
        g_ptr_array_new_with_free_func((GDestroyNotify)vfNetworkDefFree);
    g_autoptr(GDir) d = NULL;
    g_autoptr(GError) openErr = NULL;
    const char *name;

    if (!dir)
        return g_steal_pointer(&nets);
    if (!(d = g_dir_open(dir, 0, &openErr))) {
        if (g_error_matches(openErr, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return g_steal_pointer(&nets);
        g_propagate_prefixed_error(error, g_steal_pointer(&openErr),
                                   "cannot read network directory %s: ", dir);
        return NULL;
    }
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = NULL;
        vfNetworkDef *def;

        if (!g_str_has_suffix(name, ".xml"))
            continue;
        path = g_build_filename(dir, name, NULL);
        if (!(def = vfNetworkDefParseFile(path, error)))
            return NULL;
        g_ptr_array_add(nets, def);
    }
    return g_steal_pointer(&nets);
}

vfHost *
vfHostLoadFiles(const char *const *nwfilterDirs, const char *bindingDir,
                const char *networkDir, GError **error)
{
    g_autoptr(vfHost) host = g_new0(vfHost, 1);

    if (!(host->filters = nwfLoadFilters(nwfilterDirs, error)))
        return NULL;
    if (bindingDir && g_file_test(bindingDir, G_FILE_TEST_IS_DIR)) {
        if (!(host->bindings = nwfBindingLoadDir(bindingDir, error)))
            return NULL;
    } else {
        host->bindings = g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);
    }
    if (!(host->networks = loadNetworks(networkDir, error)))
        return NULL;
    vfHostSort(host);
    return g_steal_pointer(&host);
}
