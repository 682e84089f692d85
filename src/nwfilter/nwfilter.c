/*
 * nwfilter.c: the public entry points.
 */
#include "nwfilter.h"
#include "firewall/error.h"

nwfFilterSet *
nwfLoadFilters(const char *const *dirs, GError **error)
{
    g_autoptr(nwfFilterSet) set = nwfFilterSetNew();

    if (!nwfFilterSetLoadDirs(set, dirs, error))
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

virFirewall *
nwfBuildInstantiate(const nwfFilterSet *set, const nwfBinding *binding,
                    GError **error)
{
    g_autoptr(GHashTable) vars = nwfBindingVars(binding);
    g_autoptr(GPtrArray) insts = NULL;
    g_autoptr(virFirewall) fw = NULL;
    g_autoptr(GError) err = NULL;

    if (!(insts = nwfFilterInstantiate(set, binding->filter, vars, &err)))
        goto error;
    fw = virFirewallNew(binding->portdev);
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
