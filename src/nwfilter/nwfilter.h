/*
 * nwfilter.h: libvirt's nwfilter bindings as virFirewall programs.
 *
 *   set = nwfLoadFilters(dirs)          filters, first directory wins
 *   bindings = nwfBindingLoadDir(dir)   /run/libvirt/nwfilter-binding
 *   fw = nwfBuildInstantiate(set, b)    one program per interface:
 *                                       applyNewRules + tearOldRules
 *   fw = nwfBuildTeardown(ifname)       allTeardown
 *   virFirewallToText(fw)               stable text form (firewall.h): the
 *                                       hash input for "did the rules of
 *                                       this interface change"
 *
 * The programs carry libvirt 9.0's exact argv sequence, including the
 * query rules (`ebtables -t nat -L CHAIN`) whose callbacks add the
 * sub-chain cleanup/rename rules at the end of their group.
 */
#pragma once

#include "firewall/firewall.h"
#include "nwfilter_binding.h"
#include "nwfilter_inst.h"
#include "nwfilter_ebiptables.h"

/* nwfFilterSetLoadDirs into a new set; broken files are skipped
 * (nwfFilterSetBroken), warnings dropped. */
nwfFilterSet *nwfLoadFilters(const char *const *dirs, GError **error);
nwfFilterSet *nwfLoadFiltersFull(const char *const *dirs, GPtrArray *warnings,
                                 GError **error);

/* The variables of a binding: its parameters, plus MAC from <mac>
 * unless a MAC parameter is given. */
GHashTable *nwfBindingVars(const nwfBinding *binding);

/* FALSE (and why) for a name the tools would not match exactly: a '+' at
 * the end is their wildcard, one elsewhere ebtables refuses. libvirt 9.0
 * takes any name; virt-firewall does not instantiate such an interface
 * (tearing it down is allowed: it only deletes rules of that very name). */
gboolean nwfInterfaceNameIsExact(const char *ifname, GError **error);

/* One interface (refused for a name nwfInterfaceNameIsExact refuses): applyNewRules' groups followed by tearOldRules' group.
 * Program name = the interface name. */
virFirewall *nwfBuildInstantiate(const nwfFilterSet *set,
                                 const nwfBinding *binding, GError **error);
/* The same; @origins: each rule a filter's <rule> produced carries its
 * origin (virFirewallRuleGetOrigin: filter, file, line, priority). */
virFirewall *nwfBuildInstantiateFull(const nwfFilterSet *set,
                                     const nwfBinding *binding,
                                     gboolean origins, GError **error);

/* Programs for many bindings (order kept). A binding that cannot be
 * built gets NULL in the result and its error in @errors (same index,
 * GPtrArray of GError*, may be NULL). */
GPtrArray *nwfBuildInstantiateAll(const nwfFilterSet *set, GPtrArray *bindings,
                                  GPtrArray **errors);

virFirewall *nwfBuildTeardown(const char *ifname);      /* allTeardown */
virFirewall *nwfBuildTearNew(const char *ifname);       /* tearNewRules */
virFirewall *nwfBuildRemoveBasic(const char *ifname);   /* removeBasicRules */
