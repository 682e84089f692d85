/*
 * nwfilter.c: the public entry points.
 */
#include "nwfilter.h"
#include "firewall/error.h"

#include <string.h>

nwfFilterSet *
nwfLoadFilters(const char *const *dirs, GError **error)
{
    return nwfLoadFiltersFull(dirs, NULL, error);
}

nwfFilterSet *
nwfLoadFiltersFull(const char *const *dirs, GPtrArray *warnings, GError **error)
{
    g_autoptr(nwfFilterSet) set = nwfFilterSetNew();

    if (!nwfFilterSetLoadDirs(set, dirs, warnings, error))
        return NULL;
    return g_steal_pointer(&set);
}

GHashTable *
nwfBindingVars(const nwfBinding *binding)
{
    GHashTable *vars = nwfVarsNew();

    nwfVarsAdd(vars, "MAC", binding->mac);
    if (binding->params)
        nwfVarsPutAll(binding->params, vars);
    return vars;
}

gboolean
nwfInterfaceNameIsExact(const char *ifname, GError **error)
{
    const char *plus = strchr(ifname, '+');

    if (!plus)
        return TRUE;
    /* libvirt 9.0 writes the rules: `-i vnet+` hooks that catch every
     * interface whose name starts with "vnet" (every one for "+"), so one
     * VM's chains filter other VMs' frames */
    if (!plus[1])
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "interface name '%s' ends in '+', which iptables and ebtables "
                    "read as a wildcard (%s%.*s%s): refused (libvirt 9.0 applies "
                    "such rules)", ifname, plus == ifname ? "every interface" :
                    "every interface whose name starts with '", (int)(plus - ifname),
                    ifname, plus == ifname ? "" : "'");
    else
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "interface name '%s' holds a '+', which ebtables refuses before "
                    "the end of a name (\"Spurious characters after '+' wildcard\")",
                    ifname);
    return FALSE;
}

virFirewall *
nwfBuildInstantiate(const nwfFilterSet *set, const nwfBinding *binding,
                    GError **error)
{
    return nwfBuildInstantiateFull(set, binding, FALSE, error);
}

virFirewall *
nwfBuildInstantiateFull(const nwfFilterSet *set, const nwfBinding *binding,
                        gboolean origins, GError **error)
{
    g_autoptr(GHashTable) vars = NULL;
    g_autoptr(GPtrArray) insts = NULL;
    g_autoptr(virFirewall) fw = NULL;
    g_autoptr(GError) err = NULL;

    if (!nwfInterfaceNameIsExact(binding->portdev, &err))
        goto error;
    vars = nwfBindingVars(binding);
    if (!(insts = nwfFilterInstantiate(set, binding->filter, vars, &err)))
        goto error;
    fw = virFirewallNew(binding->portdev);
    if (origins)
        virFirewallKeepOrigins(fw);
    if (!nwfAddApplyNewRules(fw, binding->portdev, insts, &err))
        goto error;
    nwfAddTearOldRules(fw, binding->portdev);
    return g_steal_pointer(&fw);

 error:
    g_set_error(error, err->domain, err->code, "%s (%s): %s",
                binding->portdev, binding->path ? binding->path : "binding",
                err->message);
    return NULL;
}

static void
errorFree(gpointer e)
{
    if (e)
        g_error_free(e);
}

GPtrArray *
nwfBuildInstantiateAll(const nwfFilterSet *set, GPtrArray *bindings,
                       GPtrArray **errors)
{
    GPtrArray *res = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallFree);

    if (errors)
        *errors = g_ptr_array_new_with_free_func(errorFree);
    for (guint i = 0; i < bindings->len; i++) {
        GError *err = NULL;
        virFirewall *fw = nwfBuildInstantiate(set, bindings->pdata[i], &err);
        g_ptr_array_add(res, fw);
        if (errors)
            g_ptr_array_add(*errors, err);
        else
            g_clear_error(&err);
    }
    return res;
}

virFirewall *
nwfBuildTeardown(const char *ifname)
{
    virFirewall *fw = virFirewallNew(ifname);
    nwfAddAllTeardown(fw, ifname);
    return fw;
}

virFirewall *
nwfBuildTearNew(const char *ifname)
{
    virFirewall *fw = virFirewallNew(ifname);
    nwfAddTearNewRules(fw, ifname);
    return fw;
}

virFirewall *
nwfBuildRemoveBasic(const char *ifname)
{
    virFirewall *fw = virFirewallNew(ifname);
    nwfAddCleanAll(fw, ifname);
    return fw;
}
