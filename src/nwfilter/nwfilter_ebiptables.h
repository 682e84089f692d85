/*
 * nwfilter_ebiptables.h: libvirt's ebiptables tech driver as virFirewall
 * programs (one interface at a time).
 */
#pragma once

#include "firewall/firewall.h"
#include "nwfilter_inst.h"

/*
 * applyNewRules' groups: cleanup of temporary chains (ignore errors), then
 * the new J/P (ebtables) and FJ/FP/HJ (ip(6)tables) chains with their
 * rollback. Sorts @insts (GPtrArray of nwfRuleInst*) in place and may
 * raise their priorities, as libvirt does.
 */
gboolean nwfAddApplyNewRules(virFirewall *fw, const char *ifname,
                             GPtrArray *insts, GError **error);
/* tearOldRules' group: drop the old chains, rename temporary -> final. */
void nwfAddTearOldRules(virFirewall *fw, const char *ifname);
/* tearNewRules' group: drop the temporary chains. */
void nwfAddTearNewRules(virFirewall *fw, const char *ifname);
/* allTeardown's group: drop every chain of the interface. */
void nwfAddAllTeardown(virFirewall *fw, const char *ifname);
/* ebtablesCleanAll (removeBasicRules). */
void nwfAddCleanAll(virFirewall *fw, const char *ifname);

/* applyBasicRules / applyDHCPOnlyRules / applyDropAllRules: allTeardown
 * group, then the rule group whose rollback is ebtablesCleanAll.
 * @mac: "aa:bb:..."; @dhcpservers may be NULL. */
void nwfAddApplyBasicRules(virFirewall *fw, const char *ifname,
                           const char *mac);
void nwfAddApplyDHCPOnlyRules(virFirewall *fw, const char *ifname,
                              const char *mac, GPtrArray *dhcpservers,
                              gboolean leaveTemporary);
void nwfAddApplyDropAllRules(virFirewall *fw, const char *ifname);

/* The query callbacks (exported for tests). */
int nwfEbtablesRemoveSubChainsQuery(virFirewall *fw, virFirewallLayer layer,
                                    const char *const *lines, void *opaque);
int nwfEbtablesRenameTmpSubAndRootChainsQuery(virFirewall *fw,
                                              virFirewallLayer layer,
                                              const char *const *lines,
                                              void *opaque);
