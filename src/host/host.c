/*
 * host.c: reading a libvirt host's filters, bindings and networks from
 * libvirt's own files
 */
#include "host.h"
#include "firewall/error.h"

#include <errno.h>
#include <string.h>

#include "util/failure.h"

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
    if (host->failures)
        g_ptr_array_unref(host->failures);
    if (host->warnings)
        g_ptr_array_unref(host->warnings);
    g_free(host);
}

static gint
strCompare(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
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

/*
 * libvirt's virNetworkObjLoadAllState: every NAME.xml of the status
 * directory, which must hold network NAME; a file that cannot be loaded is
 * skipped (its network's rules are left as they are) and named in
 * @failures as "network/NAME".
 */
static GPtrArray *
loadNetworks(const char *dir, GPtrArray *failures, GError **error)
{
    g_autoptr(GPtrArray) nets =
        g_ptr_array_new_with_free_func((GDestroyNotify)vfNetworkDefFree);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
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
        if (g_str_has_suffix(name, ".xml"))
            g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, strCompare);
    for (guint i = 0; i < names->len; i++) {
        const char *file = g_ptr_array_index(names, i);
        g_autofree char *stem = g_strndup(file, strlen(file) - 4);
        g_autofree char *path = g_build_filename(dir, file, NULL);
        g_autofree char *unit = g_strdup_printf("network/%s", stem);
        g_autoptr(GError) err = NULL;
        g_autoptr(vfNetworkDef) def = vfNetworkDefParseFile(path, &err);

        if (def && !g_str_equal(def->name, stem))
            g_set_error(&err, VF_ERROR, VF_ERROR_PARSE,
                        "%s: network config filename '%s' does not match network "
                        "name '%s'", path, file, def->name);
        if (err) {
            g_ptr_array_add(failures, vfFailureNew(unit, err->message));
            continue;
        }
        g_ptr_array_add(nets, g_steal_pointer(&def));
    }
    return g_steal_pointer(&nets);
}

/*
 * The bindings of @portdevs alone, from <dir>/<portdev>.xml where libvirt
 * writes them: starting one VM need not parse the binding of every other
 * VM on the host. The portdev inside a file is the truth, not its name:
 * NULL when a file is missing, unparsable or names another interface, and
 * the caller reads the whole directory, which finds a binding under any
 * file name and names a broken file of an interface asked for.
 *
 * So a broken binding of another interface does not fail this start:
 * libvirt too reads only the starting VM's binding, and at its own restart
 * skips a malformed status file rather than fail (LoadAllConfigs). A
 * second binding of the same portdev under another file name is not seen
 * either: libvirt keeps one binding per portdev and writes it to
 * <portdev>.xml only, so that file is the one it uses (when the directory
 * is read, the commands apply that one and fail the others:
 * vfCliBindingApplies).
 */
static GPtrArray *
loadNamedBindings(const char *dir, const char *const *portdevs, GPtrArray *warnings)
{
    g_autoptr(GPtrArray) res =
        g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (gsize i = 0; portdevs[i]; i++) {
        g_autofree char *file = NULL;
        g_autofree char *path = NULL;
        g_autoptr(GError) err = NULL;
        g_autoptr(nwfBinding) b = NULL;

        /* named twice: one binding, as from the directory */
        if (!g_hash_table_add(seen, (gpointer)portdevs[i]))
            continue;
        /* no interface has such a name, and it must not lead out of @dir */
        if (!portdevs[i][0] || strchr(portdevs[i], G_DIR_SEPARATOR))
            return NULL;
        file = g_strconcat(portdevs[i], ".xml", NULL);
        path = g_build_filename(dir, file, NULL);
        if (!(b = nwfBindingParseFile(path, true, warnings, &err))) {
            g_debug("%s: reading all of %s", err->message, dir);
            return NULL;
        }
        if (!g_str_equal(b->portdev, portdevs[i])) {
            g_debug("%s is the binding of %s: reading all of %s", path,
                    b->portdev, dir);
            return NULL;
        }
        g_ptr_array_add(res, g_steal_pointer(&b));
    }
    return g_steal_pointer(&res);
}

GPtrArray *
vfHostLoadBindings(const char *dir, const char *const *portdevs,
                   GPtrArray *failures, GPtrArray *warnings, GError **error)
{
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GPtrArray) named = NULL;
    g_autoptr(GPtrArray) failed = vfFailuresNew();
    g_autoptr(GPtrArray) noted = g_ptr_array_new_with_free_func(g_free);

    if (!dir || !g_file_test(dir, G_FILE_TEST_IS_DIR))
        return g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);
    if (portdevs && (named = loadNamedBindings(dir, portdevs, noted))) {
        for (guint i = 0; warnings && i < noted->len; i++)
            g_ptr_array_add(warnings, g_strdup(noted->pdata[i]));
        return g_steal_pointer(&named);
    }
    if (!(all = nwfBindingLoadDir(dir, failed, warnings, error)))
        return NULL;
    /* an apply asks about its interfaces only: libvirt reads only the
     * starting VM's binding */
    for (guint i = 0; failures && i < failed->len; i++) {
        vfFailure *f = g_ptr_array_index(failed, i);
        gboolean wanted = !portdevs;
        for (gsize k = 0; portdevs && portdevs[k]; k++)
            wanted |= g_str_equal(f->unit + strlen("interface/"), portdevs[k]);
        if (wanted)
            g_ptr_array_add(failures, vfFailureNew(f->unit, f->reason));
    }
    return g_steal_pointer(&all);
}

vfHost *
vfHostLoadFiles(const char *const *nwfilterDirs, const char *bindingDir,
                const char *const *portdevs, const char *networkDir,
                GError **error)
{
    g_autoptr(vfHost) host = g_new0(vfHost, 1);

    host->failures = vfFailuresNew();
    host->warnings = g_ptr_array_new_with_free_func(g_free);
    if (!(host->filters = nwfLoadFiltersFull(nwfilterDirs, host->warnings, error)))
        return NULL;
    if (!(host->bindings = vfHostLoadBindings(bindingDir, portdevs, host->failures,
                                              host->warnings, error)))
        return NULL;
    if (!(host->networks = loadNetworks(networkDir, host->failures, error)))
        return NULL;
    vfHostSort(host);
    return g_steal_pointer(&host);
}
