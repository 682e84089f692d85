/*
 * nwfilter_ebtables_rule.c: an nwfilter rule as ebtables commands
 * (libvirt 9.0's ebtablesCreateRuleInstance)
 */
#include "nwfilter_ebiptables_priv.h"
#include "chains.h"
#include "firewall/error.h"

#include <string.h>

static gboolean
ebtHandleEthHdr(nwfArgs *a, const nwfRule *rule, nwfVarIter *it, gboolean reverse,
                GError **error)
{
    g_autofree char *mac = NULL;
    g_autofree char *mask = NULL;

    if (NWF_ITEM_HAS(rule, NWF_ATTR_SRCMAC)) {
        if (!nwfPrintAttr(&mac, rule, NWF_ATTR_SRCMAC, it, FALSE, error))
            goto error;
        nwfArg(a, reverse ? "-d" : "-s");
        if (NWF_ITEM_NEGATED(rule, NWF_ATTR_SRCMAC))
            nwfArg(a, "!");
        if (NWF_ITEM_HAS(rule, NWF_ATTR_SRCMACMASK)) {
            if (!nwfPrintAttr(&mask, rule, NWF_ATTR_SRCMACMASK, it, FALSE, error))
                goto error;
            nwfArgf(a, "%s/%s", mac, mask);
        } else {
            nwfArg(a, mac);
        }
    }
    if (NWF_ITEM_HAS(rule, NWF_ATTR_DSTMAC)) {
        if (!nwfPrintAttr(&mac, rule, NWF_ATTR_DSTMAC, it, FALSE, error))
            goto error;
        nwfArg(a, reverse ? "-s" : "-d");
        if (NWF_ITEM_NEGATED(rule, NWF_ATTR_DSTMAC))
            nwfArg(a, "!");
        if (NWF_ITEM_HAS(rule, NWF_ATTR_DSTMACMASK)) {
            if (!nwfPrintAttr(&mask, rule, NWF_ATTR_DSTMACMASK, it, FALSE, error))
                goto error;
            nwfArgf(a, "%s/%s", mac, mask);
        } else {
            nwfArg(a, mac);
        }
    }
    return TRUE;
 error:
    return FALSE;
}

/* INST_ITEM / INST_ITEM_2PARMS */
static gboolean
ebtItem(nwfArgs *a, const nwfRule *rule, nwfVarIter *it, nwfAttr at,
        nwfAttr hi, const char *cli, const char *sep, GError **error)
{
    g_autofree char *f = NULL;
    g_autofree char *g = NULL;

    if (!NWF_ITEM_HAS(rule, at))
        return TRUE;
    if (!nwfPrintAttr(&f, rule, at, it, FALSE, error))
        goto error;
    nwfArg(a, cli);
    if (NWF_ITEM_NEGATED(rule, at))
        nwfArg(a, "!");
    if (hi != NWF_ATTR_LAST && NWF_ITEM_HAS(rule, hi)) {
        if (!nwfPrintAttr(&g, rule, hi, it, FALSE, error))
            goto error;
        nwfArgf(a, "%s%s%s", f, sep, g);
    } else {
        nwfArg(a, f);
    }
    return TRUE;
 error:
    return FALSE;
}

/* option, [!], value with an optional range/mask partner */
static gboolean
ebtAddrOpt(nwfArgs *a, const nwfRule *rule, nwfVarIter *it, nwfAttr at,
           nwfAttr mask, const char *cli, const char *sep, GError **error)
{
    return ebtItem(a, rule, it, at, mask, cli, sep, error);
}

gboolean
ebtablesCreateRuleInstance(virFirewall *fw, char chainPrefix,
                           const char *chainSuffix, const nwfRule *rule,
                           const char *ifname, nwfVarIter *it, gboolean reverse,
                           GError **error)
{
    g_autofree char *chain = NULL;
    g_autofree char *number = NULL;
    g_autofree char *ip = NULL;
    g_autofree char *mask = NULL;
    nwfArgs a;
    const char *target;
    gboolean hasMask = FALSE;

    nwfArgsInit(&a);
    if (strcmp(chainSuffix, "root") == 0)
        chain = nwfChainRoot(chainPrefix, ifname);
    else
        chain = nwfChainSub(chainPrefix, ifname, chainSuffix);

    if (rule->protocol == NWF_PROTO_STP && reverse && NWF_ITEM_HAS(rule, NWF_ATTR_SRCMAC)) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "STP filtering in inout direction with source MAC "
                    "address set is not supported");
        goto error;
    }

    nwfArg(&a, "-t");
    nwfArg(&a, "nat");
    nwfArg(&a, "-A");
    nwfArg(&a, chain);

    switch (rule->protocol) {
    case NWF_PROTO_MAC:
        if (!ebtHandleEthHdr(&a, rule, it, reverse, error))
            goto error;
        if (NWF_ITEM_HAS(rule, NWF_ATTR_PROTOCOLID)) {
            if (!nwfPrintAttr(&number, rule, NWF_ATTR_PROTOCOLID, it, TRUE, error))
                goto error;
            nwfArg(&a, "-p");
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_PROTOCOLID))
                nwfArg(&a, "!");
            nwfArg(&a, number);
        }
        break;

    case NWF_PROTO_VLAN:
        if (!ebtHandleEthHdr(&a, rule, it, reverse, error))
            goto error;
        nwfArg(&a, "-p");
        nwfArg(&a, "0x8100");
        if (!ebtItem(&a, rule, it, NWF_ATTR_VLANID, NWF_ATTR_LAST, "--vlan-id", "", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_VLANENCAP, NWF_ATTR_LAST, "--vlan-encap", "", error))
            goto error;
        break;

    case NWF_PROTO_STP:
        if (!ebtHandleEthHdr(&a, rule, it, reverse, error))
            goto error;
        nwfArg(&a, "-d");
        nwfArg(&a, MAC_BGA);
        if (!ebtItem(&a, rule, it, NWF_ATTR_STP_TYPE, NWF_ATTR_LAST, "--stp-type", "", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_STP_FLAGS, NWF_ATTR_LAST, "--stp-flags", "", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_STP_ROOTPRI, NWF_ATTR_STP_ROOTPRIHI,
                     "--stp-root-pri", ":", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_STP_ROOTADDR, NWF_ATTR_STP_ROOTADDRMASK,
                     "--stp-root-addr", "/", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_STP_ROOTCOST, NWF_ATTR_STP_ROOTCOSTHI,
                     "--stp-root-cost", ":", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_STP_SNDRPRIO, NWF_ATTR_STP_SNDRPRIOHI,
                     "--stp-sender-prio", ":", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_STP_SNDRADDR, NWF_ATTR_STP_SNDRADDRMASK,
                     "--stp-sender-addr", "/", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_STP_PORT, NWF_ATTR_STP_PORTHI, "--stp-port", ":",
                     error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_STP_AGE, NWF_ATTR_STP_AGEHI, "--stp-msg-age", ":",
                     error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_STP_MAXAGE, NWF_ATTR_STP_MAXAGEHI, "--stp-max-age",
                     ":", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_STP_HELLO, NWF_ATTR_STP_HELLOHI,
                     "--stp-hello-time", ":", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_STP_FWD, NWF_ATTR_STP_FWDHI, "--stp-forward-delay",
                     ":", error))
            goto error;
        break;

    case NWF_PROTO_ARP:
    case NWF_PROTO_RARP:
        if (!ebtHandleEthHdr(&a, rule, it, reverse, error))
            goto error;
        nwfArg(&a, "-p");
        nwfArgf(&a, "0x%x", rule->protocol == NWF_PROTO_ARP ? 0x806 : 0x8035);
        if (NWF_ITEM_HAS(rule, NWF_ATTR_ARP_HWTYPE)) {
            if (!nwfPrintAttr(&number, rule, NWF_ATTR_ARP_HWTYPE, it, FALSE, error))
                goto error;
            nwfArg(&a, "--arp-htype");
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_ARP_HWTYPE))
                nwfArg(&a, "!");
            nwfArg(&a, number);
        }
        if (NWF_ITEM_HAS(rule, NWF_ATTR_ARP_OPCODE)) {
            if (!nwfPrintAttr(&number, rule, NWF_ATTR_ARP_OPCODE, it, FALSE, error))
                goto error;
            nwfArg(&a, "--arp-opcode");
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_ARP_OPCODE))
                nwfArg(&a, "!");
            nwfArg(&a, number);
        }
        if (NWF_ITEM_HAS(rule, NWF_ATTR_ARP_PTYPE)) {
            if (!nwfPrintAttr(&number, rule, NWF_ATTR_ARP_PTYPE, it, TRUE, error))
                goto error;
            nwfArg(&a, "--arp-ptype");
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_ARP_PTYPE))
                nwfArg(&a, "!");
            nwfArg(&a, number);
        }
        if (NWF_ITEM_HAS(rule, NWF_ATTR_ARP_SRCIP)) {
            if (!nwfPrintAttr(&ip, rule, NWF_ATTR_ARP_SRCIP, it, FALSE, error))
                goto error;
            if (NWF_ITEM_HAS(rule, NWF_ATTR_ARP_SRCIPMASK)) {
                if (!nwfPrintAttr(&mask, rule, NWF_ATTR_ARP_SRCIPMASK, it, FALSE, error))
                    goto error;
                hasMask = TRUE;
            }
            nwfArg(&a, reverse ? "--arp-ip-dst" : "--arp-ip-src");
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_ARP_SRCIP))
                nwfArg(&a, "!");
            nwfArgf(&a, "%s/%s", ip, hasMask ? mask : "32");
        }
        if (NWF_ITEM_HAS(rule, NWF_ATTR_ARP_DSTIP)) {
            if (!nwfPrintAttr(&ip, rule, NWF_ATTR_ARP_DSTIP, it, FALSE, error))
                goto error;
            if (NWF_ITEM_HAS(rule, NWF_ATTR_ARP_DSTIPMASK)) {
                if (!nwfPrintAttr(&mask, rule, NWF_ATTR_ARP_DSTIPMASK, it, FALSE, error))
                    goto error;
                hasMask = TRUE;   /* libvirt: sticky from the source mask */
            }
            nwfArg(&a, reverse ? "--arp-ip-src" : "--arp-ip-dst");
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_ARP_DSTIP))
                nwfArg(&a, "!");
            nwfArgf(&a, "%s/%s", ip, hasMask ? mask : "32");
        }
        if (NWF_ITEM_HAS(rule, NWF_ATTR_ARP_SRCMAC)) {
            if (!nwfPrintAttr(&number, rule, NWF_ATTR_ARP_SRCMAC, it, FALSE, error))
                goto error;
            nwfArg(&a, reverse ? "--arp-mac-dst" : "--arp-mac-src");
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_ARP_SRCMAC))
                nwfArg(&a, "!");
            nwfArg(&a, number);
        }
        if (NWF_ITEM_HAS(rule, NWF_ATTR_ARP_DSTMAC)) {
            if (!nwfPrintAttr(&number, rule, NWF_ATTR_ARP_DSTMAC, it, FALSE, error))
                goto error;
            nwfArg(&a, reverse ? "--arp-mac-src" : "--arp-mac-dst");
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_ARP_DSTMAC))
                nwfArg(&a, "!");
            nwfArg(&a, number);
        }
        if (NWF_ITEM_HAS(rule,
                         NWF_ATTR_ARP_GRATUITOUS) && rule->items[NWF_ATTR_ARP_GRATUITOUS].u.num) {
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_ARP_GRATUITOUS))
                nwfArg(&a, "!");
            nwfArg(&a, "--arp-gratuitous");
        }
        break;

    case NWF_PROTO_IP:
    case NWF_PROTO_IPV6: {
        gboolean v6 = rule->protocol == NWF_PROTO_IPV6;
        const char *src = v6 ? "--ip6-source" : "--ip-source";
        const char *dst = v6 ? "--ip6-destination" : "--ip-destination";
        const char *sport = v6 ? "--ip6-source-port" : "--ip-source-port";
        const char *dport = v6 ? "--ip6-destination-port" : "--ip-destination-port";

        if (!ebtHandleEthHdr(&a, rule, it, reverse, error))
            goto error;
        nwfArg(&a, "-p");
        nwfArg(&a, v6 ? "ipv6" : "ipv4");
        if (!ebtAddrOpt(&a, rule, it, NWF_ATTR_SRCIP, NWF_ATTR_SRCIPMASK,
                        reverse ? dst : src, "/", error) ||
            !ebtAddrOpt(&a, rule, it, NWF_ATTR_DSTIP, NWF_ATTR_DSTIPMASK,
                        reverse ? src : dst, "/", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_IPPROTOCOL, NWF_ATTR_LAST,
                     v6 ? "--ip6-protocol" : "--ip-protocol", "", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_SRCPORT, NWF_ATTR_SRCPORTEND,
                     reverse ? dport : sport, ":", error) ||
            !ebtItem(&a, rule, it, NWF_ATTR_DSTPORT, NWF_ATTR_DSTPORTEND,
                     reverse ? sport : dport, ":", error))
            goto error;
        if (!v6 && NWF_ITEM_HAS(rule, NWF_ATTR_DSCP)) {
            if (!nwfPrintAttr(&number, rule, NWF_ATTR_DSCP, it, TRUE, error))
                goto error;
            nwfArg(&a, "--ip-tos");
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_DSCP))
                nwfArg(&a, "!");
            nwfArg(&a, number);
        }
        if (v6 && (NWF_ITEM_HAS(rule, NWF_ATTR_ICMPTYPE) || NWF_ITEM_HAS(rule,
                                                                         NWF_ATTR_ICMPTYPEEND) ||
                   NWF_ITEM_HAS(rule, NWF_ATTR_ICMPCODE) || NWF_ITEM_HAS(rule,
                                                                         NWF_ATTR_ICMPCODEEND))) {
            g_autofree char *lo = NULL;
            g_autofree char *hi = NULL;
            g_autofree char *clo = NULL;
            g_autofree char *chi = NULL;

            nwfArg(&a, "--ip6-icmp-type");
            if (NWF_ITEM_HAS(rule, NWF_ATTR_ICMPTYPE) &&
                !nwfPrintAttr(&lo, rule, NWF_ATTR_ICMPTYPE, it, FALSE, error))
                goto error;
            if (NWF_ITEM_HAS(rule, NWF_ATTR_ICMPTYPEEND)) {
                if (!nwfPrintAttr(&hi, rule, NWF_ATTR_ICMPTYPEEND, it, FALSE, error))
                    goto error;
            } else {
                hi = g_strdup(lo ? lo : "255");
            }
            if (!lo)
                lo = g_strdup("0");
            if (NWF_ITEM_HAS(rule, NWF_ATTR_ICMPCODE) &&
                !nwfPrintAttr(&clo, rule, NWF_ATTR_ICMPCODE, it, FALSE, error))
                goto error;
            if (NWF_ITEM_HAS(rule, NWF_ATTR_ICMPCODEEND)) {
                if (!nwfPrintAttr(&chi, rule, NWF_ATTR_ICMPCODEEND, it, FALSE, error))
                    goto error;
            } else {
                chi = g_strdup(clo ? clo : "255");
            }
            if (!clo)
                clo = g_strdup("0");
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_ICMPTYPE))
                nwfArg(&a, "!");
            nwfArgf(&a, "%s:%s/%s:%s", lo, hi, clo, chi);
        }
        break;
    }

    case NWF_PROTO_NONE:
        break;

    default:
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "unexpected rule protocol %s", nwfProtocolToString(rule->protocol));
        goto error;
    }

    target = rule->action == NWF_ACTION_REJECT ? "DROP" : nwfActionTarget(rule->action);
    nwfArg(&a, "-j");
    nwfArg(&a, target);
    nwfArgsCommit(fw, ETH, &a);
    nwfArgsClear(&a);
    return TRUE;

 error:
    nwfArgsClear(&a);
    return FALSE;
}
