/*
 * nwfilter_ebiptables_priv.h: what the files of the ebiptables driver share
 *
 * nwfilter_ebiptables.c (the driver's entry points) instantiates an
 * interface's rules with nwfilter_ebtables_rule.c and
 * nwfilter_iptables_rule.c (one rule's commands, words built with
 * nwfilter_rule_args.c) in the chains nwfilter_ebiptables_chains.c makes.
 */
#pragma once

#include "nwfilter_ebiptables.h"

#define VIRT_IN_CHAIN "libvirt-in"
#define VIRT_OUT_CHAIN "libvirt-out"
#define VIRT_IN_POST_CHAIN "libvirt-in-post"
#define HOST_IN_CHAIN "libvirt-host-in"
#define MAC_BGA "01:80:c2:00:00:00"

#define ETH VIR_FIREWALL_LAYER_ETHERNET

/* A command whose failure is ignored (R) or not (F), as libvirt adds them. */
#define R(fw, layer, ...) virFirewallAddRuleFull(fw, layer, TRUE, NULL, NULL, __VA_ARGS__, NULL)
#define F(fw, layer, ...) virFirewallAddRuleFull(fw, layer, FALSE, NULL, NULL, __VA_ARGS__, NULL)

/* A command's words, built one by one. */
typedef struct {
    GPtrArray *args;
} nwfArgs;

/* nwfilter_rule_args.c */
void nwfArgf(nwfArgs *a, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void nwfArgsInit(nwfArgs *a);
void nwfArgsClear(nwfArgs *a);
void nwfArg(nwfArgs *a, const char *s);
void nwfArgsCommit(virFirewall *fw, virFirewallLayer layer, nwfArgs *a);
char *nwfPrintItem(const nwfItem *item, nwfVarIter *it, gboolean asHex, gboolean dirIn,
                   GError **error);
gboolean nwfPrintAttr(char **dst, const nwfRule *rule, nwfAttr a,
                      nwfVarIter *it, gboolean hex, GError **error);

/* nwfilter_ebtables_rule.c */
gboolean ebtablesCreateRuleInstance(virFirewall *fw, char chainPrefix,
                                    const char *chainSuffix,
                                    const nwfRule *rule, const char *ifname,
                                    nwfVarIter *it, gboolean reverse,
                                    GError **error);

/* nwfilter_iptables_rule.c */
gboolean iptablesCreateRuleInstance(virFirewall *fw, virFirewallLayer layer,
                                    const nwfRule *rule, const char *ifname,
                                    nwfVarIter *it, GError **error);

/* nwfilter_ebiptables_chains.c */
extern const char nwfChainPrefixesHost[];
extern const char nwfChainPrefixesHostTemp[];
void iptCreateBaseChains(virFirewall *fw, virFirewallLayer l);
void iptCreateTmpRootChains(virFirewall *fw, virFirewallLayer l,
                            const char *ifname);
void iptRemoveRootChains(virFirewall *fw, virFirewallLayer l,
                         const char *ifname, gboolean temp);
void iptLinkTmpRootChains(virFirewall *fw, virFirewallLayer l,
                          const char *ifname);
void iptSetupVirtInPost(virFirewall *fw, virFirewallLayer l,
                        const char *ifname);
void iptClearVirtInPost(virFirewall *fw, virFirewallLayer l,
                        const char *ifname);
void iptUnlinkRootChains(virFirewall *fw, virFirewallLayer l,
                         const char *ifname, gboolean temp);
void iptRenameTmpRootChains(virFirewall *fw, virFirewallLayer l,
                            const char *ifname);
void ebtCreateTmpRootChain(virFirewall *fw, gboolean incoming, const char *ifname);
void ebtLinkTmpRootChain(virFirewall *fw, gboolean incoming, const char *ifname);
void ebtRemoveRootChain(virFirewall *fw, gboolean incoming, const char *ifname,
                        gboolean temp);
void ebtUnlinkRootChain(virFirewall *fw, gboolean incoming, const char *ifname,
                        gboolean temp);
int protoIdxByFiltername(const char *name);
void ebtCreateTmpSubChain(virFirewall *fw, gboolean incoming, const char *ifname,
                          int protoIdx, const char *filtername);
void ebtRemoveSubChains(virFirewall *fw, const char *ifname,
                        const char *prefixes);
void ebtRenameTmpSubAndRootChains(virFirewall *fw, const char *ifname);
void ebtRenameTmpRootChain(virFirewall *fw, gboolean incoming, const char *ifname);
