/*
 * nwfilter_ebiptables_chains.c: the chains of an interface
 *
 * Root and sub chains, temporary and final: created, linked from the
 * builtin chains, renamed and removed, with the commands and the order of
 * libvirt 9.0's ebiptables driver.
 */
#include "nwfilter_ebiptables_priv.h"
#include "chains.h"
#include "firewall/error.h"

#include <string.h>

const char nwfChainPrefixesHost[] = { NWF_PFX_IN, NWF_PFX_OUT, 0 };
const char nwfChainPrefixesHostTemp[] = { NWF_PFX_IN_TEMP, NWF_PFX_OUT_TEMP, 0 };

void
iptCreateBaseChains(virFirewall *fw, virFirewallLayer l)
{
    R(fw, l, "-N", VIRT_IN_CHAIN);
    R(fw, l, "-N", VIRT_OUT_CHAIN);
    R(fw, l, "-N", VIRT_IN_POST_CHAIN);
    R(fw, l, "-N", HOST_IN_CHAIN);
    R(fw, l, "-D", "FORWARD", "-j", VIRT_IN_CHAIN);
    R(fw, l, "-D", "FORWARD", "-j", VIRT_OUT_CHAIN);
    R(fw, l, "-D", "FORWARD", "-j", VIRT_IN_POST_CHAIN);
    R(fw, l, "-D", "INPUT", "-j", HOST_IN_CHAIN);
    F(fw, l, "-I", "FORWARD", "1", "-j", VIRT_IN_CHAIN);
    F(fw, l, "-I", "FORWARD", "2", "-j", VIRT_OUT_CHAIN);
    F(fw, l, "-I", "FORWARD", "3", "-j", VIRT_IN_POST_CHAIN);
    F(fw, l, "-I", "INPUT", "1", "-j", HOST_IN_CHAIN);
}

void
iptCreateTmpRootChains(virFirewall *fw, virFirewallLayer l, const char *ifname)
{
    g_autofree char *fp = nwfChainIpt('F', NWF_PFX_OUT_TEMP, ifname);
    g_autofree char *fj = nwfChainIpt('F', NWF_PFX_IN_TEMP, ifname);
    g_autofree char *hj = nwfChainIpt('H', NWF_PFX_IN_TEMP, ifname);

    F(fw, l, "-N", fp);
    F(fw, l, "-N", fj);
    F(fw, l, "-N", hj);
}

void
iptRemoveRootChains(virFirewall *fw, virFirewallLayer l, const char *ifname,
                    gboolean temp)
{
    char in = temp ? NWF_PFX_IN_TEMP : NWF_PFX_IN, out = temp ? NWF_PFX_OUT_TEMP : NWF_PFX_OUT;
    g_autofree char *fo = nwfChainIpt('F', out, ifname);
    g_autofree char *fi = nwfChainIpt('F', in, ifname);
    g_autofree char *hi = nwfChainIpt('H', in, ifname);

    R(fw, l, "-F", fo);
    R(fw, l, "-X", fo);
    R(fw, l, "-F", fi);
    R(fw, l, "-X", fi);
    R(fw, l, "-F", hi);
    R(fw, l, "-X", hi);
}

void
iptLinkTmpRootChains(virFirewall *fw, virFirewallLayer l, const char *ifname)
{
    g_autofree char *fp = nwfChainIpt('F', NWF_PFX_OUT_TEMP, ifname);
    g_autofree char *fj = nwfChainIpt('F', NWF_PFX_IN_TEMP, ifname);
    g_autofree char *hj = nwfChainIpt('H', NWF_PFX_IN_TEMP, ifname);

    F(fw, l, "-A", VIRT_OUT_CHAIN, "-m", "physdev", "--physdev-is-bridged",
      "--physdev-out", ifname, "-g", fp);
    F(fw, l, "-A", VIRT_IN_CHAIN, "-m", "physdev", "--physdev-in", ifname,
      "-g", fj);
    F(fw, l, "-A", HOST_IN_CHAIN, "-m", "physdev", "--physdev-in", ifname,
      "-g", hj);
}

void
iptSetupVirtInPost(virFirewall *fw, virFirewallLayer l, const char *ifname)
{
    R(fw, l, "-D", VIRT_IN_POST_CHAIN, "-m", "physdev", "--physdev-in",
      ifname, "-j", "ACCEPT");
    F(fw, l, "-A", VIRT_IN_POST_CHAIN, "-m", "physdev", "--physdev-in",
      ifname, "-j", "ACCEPT");
}

void
iptClearVirtInPost(virFirewall *fw, virFirewallLayer l, const char *ifname)
{
    R(fw, l, "-D", VIRT_IN_POST_CHAIN, "-m", "physdev", "--physdev-in",
      ifname, "-j", "ACCEPT");
}

void
iptUnlinkRootChains(virFirewall *fw, virFirewallLayer l, const char *ifname,
                    gboolean temp)
{
    char in = temp ? NWF_PFX_IN_TEMP : NWF_PFX_IN, out = temp ? NWF_PFX_OUT_TEMP : NWF_PFX_OUT;
    g_autofree char *fo = nwfChainIpt('F', out, ifname);
    g_autofree char *fi = nwfChainIpt('F', in, ifname);
    g_autofree char *hi = nwfChainIpt('H', in, ifname);

    R(fw, l, "-D", VIRT_OUT_CHAIN, "-m", "physdev", "--physdev-is-bridged",
      "--physdev-out", ifname, "-g", fo);
    /* older libvirt linked without --physdev-is-bridged */
    R(fw, l, "-D", VIRT_OUT_CHAIN, "-m", "physdev", "--physdev-out", ifname,
      "-g", fo);
    R(fw, l, "-D", VIRT_IN_CHAIN, "-m", "physdev", "--physdev-in", ifname,
      "-g", fi);
    R(fw, l, "-D", HOST_IN_CHAIN, "-m", "physdev", "--physdev-in", ifname,
      "-g", hi);
}

void
iptRenameTmpRootChains(virFirewall *fw, virFirewallLayer l, const char *ifname)
{
    g_autofree char *fp = nwfChainIpt('F', NWF_PFX_OUT_TEMP, ifname);
    g_autofree char *fo = nwfChainIpt('F', NWF_PFX_OUT, ifname);
    g_autofree char *fj = nwfChainIpt('F', NWF_PFX_IN_TEMP, ifname);
    g_autofree char *fi = nwfChainIpt('F', NWF_PFX_IN, ifname);
    g_autofree char *hj = nwfChainIpt('H', NWF_PFX_IN_TEMP, ifname);
    g_autofree char *hi = nwfChainIpt('H', NWF_PFX_IN, ifname);

    F(fw, l, "-E", fp, fo);
    F(fw, l, "-E", fj, fi);
    F(fw, l, "-E", hj, hi);
}

void
ebtCreateTmpRootChain(virFirewall *fw, gboolean incoming, const char *ifname)
{
    g_autofree char *c = nwfChainRoot(incoming ? NWF_PFX_IN_TEMP : NWF_PFX_OUT_TEMP, ifname);
    F(fw, ETH, "-t", "nat", "-N", c);
}

void
ebtLinkTmpRootChain(virFirewall *fw, gboolean incoming, const char *ifname)
{
    g_autofree char *c = nwfChainRoot(incoming ? NWF_PFX_IN_TEMP : NWF_PFX_OUT_TEMP, ifname);
    F(fw, ETH, "-t", "nat", "-A", incoming ? "PREROUTING" : "POSTROUTING",
      incoming ? "-i" : "-o", ifname, "-j", c);
}

void
ebtRemoveRootChain(virFirewall *fw, gboolean incoming, const char *ifname, gboolean temp)
{
    char p = temp ? (incoming ? NWF_PFX_IN_TEMP : NWF_PFX_OUT_TEMP)
                  : (incoming ? NWF_PFX_IN : NWF_PFX_OUT);
    g_autofree char *c = nwfChainRoot(p, ifname);
    R(fw, ETH, "-t", "nat", "-F", c);
    R(fw, ETH, "-t", "nat", "-X", c);
}

void
ebtUnlinkRootChain(virFirewall *fw, gboolean incoming, const char *ifname, gboolean temp)
{
    char p = temp ? (incoming ? NWF_PFX_IN_TEMP : NWF_PFX_OUT_TEMP)
                  : (incoming ? NWF_PFX_IN : NWF_PFX_OUT);
    g_autofree char *c = nwfChainRoot(p, ifname);
    R(fw, ETH, "-t", "nat", "-D", incoming ? "PREROUTING" : "POSTROUTING",
      incoming ? "-i" : "-o", ifname, "-j", c);
}

typedef enum {
    L3_IPV4, L3_IPV6, L3_ARP, L3_RARP, L2_MAC, L2_VLAN, L2_STP, L3_LAST
} ProtoIdx;

/* libvirt's l3_protocols table, in its order (prefix lookup) */
static const struct { ProtoIdx idx; unsigned int attr; const char *val; } l3Protocols[] = {
    { L3_IPV4, 0x0800, "ipv4" },
    { L3_IPV6, 0x86dd, "ipv6" },
    { L3_ARP, 0x0806, "arp" },
    { L3_RARP, 0x8035, "rarp" },
    { L2_VLAN, 0x8100, "vlan" },
    { L2_STP, 0, "stp" },
    { L2_MAC, 0, "mac" },
};

int
protoIdxByFiltername(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(l3Protocols); i++)
        if (g_str_has_prefix(name, l3Protocols[i].val))
            return i;
    return -1;
}

void
ebtCreateTmpSubChain(virFirewall *fw, gboolean incoming, const char *ifname,
                     int protoIdx, const char *filtername)
{
    char p = incoming ? NWF_PFX_IN_TEMP : NWF_PFX_OUT_TEMP;
    g_autofree char *root = nwfChainRoot(p, ifname);
    g_autofree char *chain = nwfChainSub(p, ifname, filtername);
    nwfArgs a;

    R(fw, ETH, "-t", "nat", "-F", chain);
    R(fw, ETH, "-t", "nat", "-X", chain);
    F(fw, ETH, "-t", "nat", "-N", chain);

    nwfArgsInit(&a);
    nwfArg(&a, "-t");
    nwfArg(&a, "nat");
    nwfArg(&a, "-A");
    nwfArg(&a, root);
    switch (l3Protocols[protoIdx].idx) {
    case L2_MAC:
        break;
    case L2_STP:
        nwfArg(&a, "-d");
        nwfArg(&a, MAC_BGA);
        break;
    default:
        nwfArg(&a, "-p");
        nwfArgf(&a, "0x%04x", l3Protocols[protoIdx].attr);
        break;
    }
    nwfArg(&a, "-j");
    nwfArg(&a, chain);
    nwfArgsCommit(fw, ETH, &a);
    nwfArgsClear(&a);
}

int
nwfEbtablesRemoveSubChainsQuery(virFirewall *fw, virFirewallLayer layer,
                                const char *const *lines, void *opaque)
{
    const char *prefixes = opaque;

    for (size_t i = 0; lines && lines[i]; i++) {
        const char *tmp = strstr(lines[i], "-j ");
        if (!tmp)
            continue;
        tmp += 3;
        for (size_t j = 0; prefixes[j]; j++) {
            if (tmp[0] == prefixes[j] && tmp[1] == '-') {
                virFirewallAddRuleFull(fw, layer, FALSE,
                                       nwfEbtablesRemoveSubChainsQuery,
                                       (void *)prefixes,
                                       "-t", "nat", "-L", tmp, NULL);
                R(fw, layer, "-t", "nat", "-F", tmp);
                R(fw, layer, "-t", "nat", "-X", tmp);
            }
        }
    }
    return 0;
}

void
ebtRemoveSubChains(virFirewall *fw, const char *ifname, const char *prefixes)
{
    for (size_t i = 0; prefixes[i]; i++) {
        g_autofree char *root = nwfChainRoot(prefixes[i], ifname);
        virFirewallAddRuleFull(fw, ETH, FALSE, nwfEbtablesRemoveSubChainsQuery,
                               (void *)prefixes, "-t", "nat", "-L", root, NULL);
    }
}

int
nwfEbtablesRenameTmpSubAndRootChainsQuery(virFirewall *fw,
                                          virFirewallLayer layer,
                                          const char *const *lines,
                                          void *opaque)
{
    for (size_t i = 0; lines && lines[i]; i++) {
        const char *tmp = strstr(lines[i], "-j ");
        g_autofree char *newchain = NULL;

        if (!tmp)
            continue;
        tmp += 3;
        if (tmp[0] != NWF_PFX_IN_TEMP && tmp[0] != NWF_PFX_OUT_TEMP)
            continue;
        if (tmp[1] != '-')
            continue;
        newchain = g_strdup(tmp);
        newchain[0] = newchain[0] == NWF_PFX_IN_TEMP ? NWF_PFX_IN : NWF_PFX_OUT;
        virFirewallAddRuleFull(fw, layer, FALSE,
                               nwfEbtablesRenameTmpSubAndRootChainsQuery, NULL,
                               "-t", "nat", "-L", tmp, NULL);
        R(fw, layer, "-t", "nat", "-F", newchain);
        R(fw, layer, "-t", "nat", "-X", newchain);
        F(fw, layer, "-t", "nat", "-E", tmp, newchain);
    }
    return 0;
}

void
ebtRenameTmpSubAndRootChains(virFirewall *fw, const char *ifname)
{
    g_autofree char *j = nwfChainRoot(NWF_PFX_IN_TEMP, ifname);
    g_autofree char *p = nwfChainRoot(NWF_PFX_OUT_TEMP, ifname);
    g_autofree char *i = nwfChainRoot(NWF_PFX_IN, ifname);
    g_autofree char *o = nwfChainRoot(NWF_PFX_OUT, ifname);

    virFirewallAddRuleFull(fw, ETH, FALSE,
                           nwfEbtablesRenameTmpSubAndRootChainsQuery, NULL,
                           "-t", "nat", "-L", j, NULL);
    virFirewallAddRuleFull(fw, ETH, FALSE,
                           nwfEbtablesRenameTmpSubAndRootChainsQuery, NULL,
                           "-t", "nat", "-L", p, NULL);
    F(fw, ETH, "-t", "nat", "-E", j, i);
    F(fw, ETH, "-t", "nat", "-E", p, o);
}

void
ebtRenameTmpRootChain(virFirewall *fw, gboolean incoming, const char *ifname)
{
    g_autofree char *t = nwfChainRoot(incoming ? NWF_PFX_IN_TEMP : NWF_PFX_OUT_TEMP, ifname);
    g_autofree char *f = nwfChainRoot(incoming ? NWF_PFX_IN : NWF_PFX_OUT, ifname);
    F(fw, ETH, "-t", "nat", "-E", t, f);
}
