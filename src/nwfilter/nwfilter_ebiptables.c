/*
 * nwfilter_ebiptables.c: rule instances -> ebtables/iptables/ip6tables
 * commands, in the order libvirt 9.0's ebiptables driver issues them.
 */
#include "nwfilter_ebiptables.h"
#include "chains.h"
#include "firewall/error.h"

#include <string.h>

#define VIRT_IN_CHAIN "libvirt-in"
#define VIRT_OUT_CHAIN "libvirt-out"
#define VIRT_IN_POST_CHAIN "libvirt-in-post"
#define HOST_IN_CHAIN "libvirt-host-in"
#define MAC_BGA "01:80:c2:00:00:00"

static const char chainprefixesHost[] = { NWF_PFX_IN, NWF_PFX_OUT, 0 };
static const char chainprefixesHostTemp[] = { NWF_PFX_IN_TEMP, NWF_PFX_OUT_TEMP, 0 };

#define ETH VIR_FIREWALL_LAYER_ETHERNET

/* ---------------- argument list helper ---------------- */

typedef struct {
    GPtrArray *args;
} Args;

static void
argsInit(Args *a)
{
    a->args = g_ptr_array_new_with_free_func(g_free);
}

static void
argsClear(Args *a)
{
    g_clear_pointer(&a->args, g_ptr_array_unref);
}

static void
arg(Args *a, const char *s)
{
    g_ptr_array_add(a->args, g_strdup(s));
}

static void G_GNUC_PRINTF(2, 3)
argf(Args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(a->args, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static void
argsCommit(virFirewall *fw, virFirewallLayer layer, Args *a)
{
    g_ptr_array_add(a->args, NULL);
    virFirewallAddRuleFullV(fw, layer, false, NULL, NULL,
                            (const char *const *)a->args->pdata);
    g_ptr_array_remove_index(a->args, a->args->len - 1);
}

/* ---------------- value printing (libvirt's _printDataType) ---------------- */

static char *
printItem(const nwfItem *item, nwfVarIter *it, bool asHex, bool dirIn,
          GError **error)
{
    if (item->flags & NWF_ITEM_HASVAR) {
        const char *v = nwfVarIterGet(it, item->var, error);
        return v ? g_strdup(v) : NULL;
    }
    switch (item->datatype) {
    case DT_IPADDR:
    case DT_IPV6ADDR:
    case DT_IPSETNAME:
        return g_strdup(item->str);
    case DT_MACADDR:
    case DT_MACMASK:
        return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x",
                               item->u.mac[0], item->u.mac[1], item->u.mac[2],
                               item->u.mac[3], item->u.mac[4], item->u.mac[5]);
    case DT_IPMASK:
    case DT_IPV6MASK:
        return g_strdup_printf("%d", (int)(item->u.num & 0xff));
    case DT_UINT32:
    case DT_UINT32_HEX:
        return g_strdup_printf(asHex ? "0x%x" : "%u", item->u.num);
    case DT_UINT16:
    case DT_UINT16_HEX:
    case DT_UINT8:
    case DT_UINT8_HEX:
        return g_strdup_printf(asHex ? "0x%x" : "%d", item->u.num);
    case DT_IPSETFLAGS: {
        GString *s = g_string_new(NULL);
        for (int i = 0; i < item->u.ipset.nflags; i++) {
            bool src = item->u.ipset.flags & (1 << i);
            if (i)
                g_string_append_c(s, ',');
            g_string_append(s, (src != dirIn) ? "src" : "dst");
        }
        return g_string_free(s, FALSE);
    }
    default:
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "unhandled datatype 0x%x", item->datatype);
        return NULL;
    }
}

#define HAS(a) NWF_ITEM_HAS(rule, (a))
#define NEG(a) ((rule->items[(a)].flags & NWF_ITEM_NEG) != 0)
/* *@dst := attribute @a of @rule printed (in hex with @hex); FALSE with
 * @error set when its value cannot be printed */
static gboolean
printAttr(char **dst, const nwfRule *rule, nwfAttr a, nwfVarIter *it, bool hex,
          GError **error)
{
    g_free(*dst);
    return (*dst = printItem(&rule->items[a], it, hex, false, error)) != NULL;
}

/* ---------------- ebtables ---------------- */

static gboolean
ebtHandleEthHdr(Args *a, const nwfRule *rule, nwfVarIter *it, bool reverse,
                GError **error)
{
    g_autofree char *mac = NULL;
    g_autofree char *mask = NULL;

    if (HAS(A_SRCMAC)) {
        if (!printAttr(&mac, rule, A_SRCMAC, it, false, error))
            goto error;
        arg(a, reverse ? "-d" : "-s");
        if (NEG(A_SRCMAC))
            arg(a, "!");
        if (HAS(A_SRCMACMASK)) {
            if (!printAttr(&mask, rule, A_SRCMACMASK, it, false, error))
                goto error;
            argf(a, "%s/%s", mac, mask);
        } else {
            arg(a, mac);
        }
    }
    if (HAS(A_DSTMAC)) {
        if (!printAttr(&mac, rule, A_DSTMAC, it, false, error))
            goto error;
        arg(a, reverse ? "-s" : "-d");
        if (NEG(A_DSTMAC))
            arg(a, "!");
        if (HAS(A_DSTMACMASK)) {
            if (!printAttr(&mask, rule, A_DSTMACMASK, it, false, error))
                goto error;
            argf(a, "%s/%s", mac, mask);
        } else {
            arg(a, mac);
        }
    }
    return TRUE;
 error:
    return FALSE;
}

/* INST_ITEM / INST_ITEM_2PARMS */
static gboolean
ebtItem(Args *a, const nwfRule *rule, nwfVarIter *it, nwfAttr at,
        nwfAttr hi, const char *cli, const char *sep, GError **error)
{
    g_autofree char *f = NULL;
    g_autofree char *g = NULL;

    if (!HAS(at))
        return TRUE;
    if (!printAttr(&f, rule, at, it, false, error))
        goto error;
    arg(a, cli);
    if (NEG(at))
        arg(a, "!");
    if (hi != A_LAST && HAS(hi)) {
        if (!printAttr(&g, rule, hi, it, false, error))
            goto error;
        argf(a, "%s%s%s", f, sep, g);
    } else {
        arg(a, f);
    }
    return TRUE;
 error:
    return FALSE;
}

/* option, [!], value with an optional range/mask partner */
static gboolean
ebtAddrOpt(Args *a, const nwfRule *rule, nwfVarIter *it, nwfAttr at,
           nwfAttr mask, const char *cli, const char *sep, GError **error)
{
    return ebtItem(a, rule, it, at, mask, cli, sep, error);
}

static gboolean
ebtablesCreateRuleInstance(virFirewall *fw, char chainPrefix,
                           const char *chainSuffix, const nwfRule *rule,
                           const char *ifname, nwfVarIter *it, bool reverse,
                           GError **error)
{
    g_autofree char *chain = NULL;
    g_autofree char *number = NULL;
    g_autofree char *ip = NULL;
    g_autofree char *mask = NULL;
    Args a;
    const char *target;
    bool hasMask = false;

    argsInit(&a);
    if (strcmp(chainSuffix, "root") == 0)
        chain = nwfChainRoot(chainPrefix, ifname);
    else
        chain = nwfChainSub(chainPrefix, ifname, chainSuffix);

    if (rule->protocol == NWF_PROTO_STP && reverse && HAS(A_SRCMAC)) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "STP filtering in inout direction with source MAC "
                    "address set is not supported");
        goto error;
    }

    arg(&a, "-t");
    arg(&a, "nat");
    arg(&a, "-A");
    arg(&a, chain);

    switch (rule->protocol) {
    case NWF_PROTO_MAC:
        if (!ebtHandleEthHdr(&a, rule, it, reverse, error))
            goto error;
        if (HAS(A_PROTOCOLID)) {
            if (!printAttr(&number, rule, A_PROTOCOLID, it, true, error))
                goto error;
            arg(&a, "-p");
            if (NEG(A_PROTOCOLID))
                arg(&a, "!");
            arg(&a, number);
        }
        break;

    case NWF_PROTO_VLAN:
        if (!ebtHandleEthHdr(&a, rule, it, reverse, error))
            goto error;
        arg(&a, "-p");
        arg(&a, "0x8100");
        if (!ebtItem(&a, rule, it, A_VLANID, A_LAST, "--vlan-id", "", error) ||
            !ebtItem(&a, rule, it, A_VLANENCAP, A_LAST, "--vlan-encap", "", error))
            goto error;
        break;

    case NWF_PROTO_STP:
        if (!ebtHandleEthHdr(&a, rule, it, reverse, error))
            goto error;
        arg(&a, "-d");
        arg(&a, MAC_BGA);
        if (!ebtItem(&a, rule, it, A_STP_TYPE, A_LAST, "--stp-type", "", error) ||
            !ebtItem(&a, rule, it, A_STP_FLAGS, A_LAST, "--stp-flags", "", error) ||
            !ebtItem(&a, rule, it, A_STP_ROOTPRI, A_STP_ROOTPRIHI, "--stp-root-pri", ":", error) ||
            !ebtItem(&a, rule, it, A_STP_ROOTADDR, A_STP_ROOTADDRMASK, "--stp-root-addr", "/", error) ||
            !ebtItem(&a, rule, it, A_STP_ROOTCOST, A_STP_ROOTCOSTHI, "--stp-root-cost", ":", error) ||
            !ebtItem(&a, rule, it, A_STP_SNDRPRIO, A_STP_SNDRPRIOHI, "--stp-sender-prio", ":", error) ||
            !ebtItem(&a, rule, it, A_STP_SNDRADDR, A_STP_SNDRADDRMASK, "--stp-sender-addr", "/", error) ||
            !ebtItem(&a, rule, it, A_STP_PORT, A_STP_PORTHI, "--stp-port", ":", error) ||
            !ebtItem(&a, rule, it, A_STP_AGE, A_STP_AGEHI, "--stp-msg-age", ":", error) ||
            !ebtItem(&a, rule, it, A_STP_MAXAGE, A_STP_MAXAGEHI, "--stp-max-age", ":", error) ||
            !ebtItem(&a, rule, it, A_STP_HELLO, A_STP_HELLOHI, "--stp-hello-time", ":", error) ||
            !ebtItem(&a, rule, it, A_STP_FWD, A_STP_FWDHI, "--stp-forward-delay", ":", error))
            goto error;
        break;

    case NWF_PROTO_ARP:
    case NWF_PROTO_RARP:
        if (!ebtHandleEthHdr(&a, rule, it, reverse, error))
            goto error;
        arg(&a, "-p");
        argf(&a, "0x%x", rule->protocol == NWF_PROTO_ARP ? 0x806 : 0x8035);
        if (HAS(A_ARP_HWTYPE)) {
            if (!printAttr(&number, rule, A_ARP_HWTYPE, it, false, error))
                goto error;
            arg(&a, "--arp-htype");
            if (NEG(A_ARP_HWTYPE))
                arg(&a, "!");
            arg(&a, number);
        }
        if (HAS(A_ARP_OPCODE)) {
            if (!printAttr(&number, rule, A_ARP_OPCODE, it, false, error))
                goto error;
            arg(&a, "--arp-opcode");
            if (NEG(A_ARP_OPCODE))
                arg(&a, "!");
            arg(&a, number);
        }
        if (HAS(A_ARP_PTYPE)) {
            if (!printAttr(&number, rule, A_ARP_PTYPE, it, true, error))
                goto error;
            arg(&a, "--arp-ptype");
            if (NEG(A_ARP_PTYPE))
                arg(&a, "!");
            arg(&a, number);
        }
        if (HAS(A_ARP_SRCIP)) {
            if (!printAttr(&ip, rule, A_ARP_SRCIP, it, false, error))
                goto error;
            if (HAS(A_ARP_SRCIPMASK)) {
                if (!printAttr(&mask, rule, A_ARP_SRCIPMASK, it, false, error))
                    goto error;
                hasMask = true;
            }
            arg(&a, reverse ? "--arp-ip-dst" : "--arp-ip-src");
            if (NEG(A_ARP_SRCIP))
                arg(&a, "!");
            argf(&a, "%s/%s", ip, hasMask ? mask : "32");
        }
        if (HAS(A_ARP_DSTIP)) {
            if (!printAttr(&ip, rule, A_ARP_DSTIP, it, false, error))
                goto error;
            if (HAS(A_ARP_DSTIPMASK)) {
                if (!printAttr(&mask, rule, A_ARP_DSTIPMASK, it, false, error))
                    goto error;
                hasMask = true;   /* libvirt: sticky from the source mask */
            }
            arg(&a, reverse ? "--arp-ip-src" : "--arp-ip-dst");
            if (NEG(A_ARP_DSTIP))
                arg(&a, "!");
            argf(&a, "%s/%s", ip, hasMask ? mask : "32");
        }
        if (HAS(A_ARP_SRCMAC)) {
            if (!printAttr(&number, rule, A_ARP_SRCMAC, it, false, error))
                goto error;
            arg(&a, reverse ? "--arp-mac-dst" : "--arp-mac-src");
            if (NEG(A_ARP_SRCMAC))
                arg(&a, "!");
            arg(&a, number);
        }
        if (HAS(A_ARP_DSTMAC)) {
            if (!printAttr(&number, rule, A_ARP_DSTMAC, it, false, error))
                goto error;
            arg(&a, reverse ? "--arp-mac-src" : "--arp-mac-dst");
            if (NEG(A_ARP_DSTMAC))
                arg(&a, "!");
            arg(&a, number);
        }
        if (HAS(A_ARP_GRATUITOUS) && rule->items[A_ARP_GRATUITOUS].u.num) {
            if (NEG(A_ARP_GRATUITOUS))
                arg(&a, "!");
            arg(&a, "--arp-gratuitous");
        }
        break;

    case NWF_PROTO_IP:
    case NWF_PROTO_IPV6: {
        bool v6 = rule->protocol == NWF_PROTO_IPV6;
        const char *src = v6 ? "--ip6-source" : "--ip-source";
        const char *dst = v6 ? "--ip6-destination" : "--ip-destination";
        const char *sport = v6 ? "--ip6-source-port" : "--ip-source-port";
        const char *dport = v6 ? "--ip6-destination-port" : "--ip-destination-port";

        if (!ebtHandleEthHdr(&a, rule, it, reverse, error))
            goto error;
        arg(&a, "-p");
        arg(&a, v6 ? "ipv6" : "ipv4");
        if (!ebtAddrOpt(&a, rule, it, A_SRCIP, A_SRCIPMASK,
                        reverse ? dst : src, "/", error) ||
            !ebtAddrOpt(&a, rule, it, A_DSTIP, A_DSTIPMASK,
                        reverse ? src : dst, "/", error) ||
            !ebtItem(&a, rule, it, A_IPPROTOCOL, A_LAST,
                     v6 ? "--ip6-protocol" : "--ip-protocol", "", error) ||
            !ebtItem(&a, rule, it, A_SRCPORT, A_SRCPORTEND,
                     reverse ? dport : sport, ":", error) ||
            !ebtItem(&a, rule, it, A_DSTPORT, A_DSTPORTEND,
                     reverse ? sport : dport, ":", error))
            goto error;
        if (!v6 && HAS(A_DSCP)) {
            if (!printAttr(&number, rule, A_DSCP, it, true, error))
                goto error;
            arg(&a, "--ip-tos");
            if (NEG(A_DSCP))
                arg(&a, "!");
            arg(&a, number);
        }
        if (v6 && (HAS(A_ICMPTYPE) || HAS(A_ICMPTYPEEND) ||
                   HAS(A_ICMPCODE) || HAS(A_ICMPCODEEND))) {
            g_autofree char *lo = NULL;
            g_autofree char *hi = NULL;
            g_autofree char *clo = NULL;
            g_autofree char *chi = NULL;

            arg(&a, "--ip6-icmp-type");
            if (HAS(A_ICMPTYPE) &&
                !printAttr(&lo, rule, A_ICMPTYPE, it, false, error))
                goto error;
            if (HAS(A_ICMPTYPEEND)) {
                if (!printAttr(&hi, rule, A_ICMPTYPEEND, it, false, error))
                    goto error;
            } else {
                hi = g_strdup(lo ? lo : "255");
            }
            if (!lo)
                lo = g_strdup("0");
            if (HAS(A_ICMPCODE) &&
                !printAttr(&clo, rule, A_ICMPCODE, it, false, error))
                goto error;
            if (HAS(A_ICMPCODEEND)) {
                if (!printAttr(&chi, rule, A_ICMPCODEEND, it, false, error))
                    goto error;
            } else {
                chi = g_strdup(clo ? clo : "255");
            }
            if (!clo)
                clo = g_strdup("0");
            if (NEG(A_ICMPTYPE))
                arg(&a, "!");
            argf(&a, "%s:%s/%s:%s", lo, hi, clo, chi);
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
    arg(&a, "-j");
    arg(&a, target);
    argsCommit(fw, ETH, &a);
    argsClear(&a);
    return TRUE;

 error:
    argsClear(&a);
    return FALSE;
}

/* ---------------- iptables ---------------- */

static gboolean
iptHandleIpHdr(Args *a, const nwfRule *rule, nwfVarIter *it, bool dirIn,
               bool *skipRule, bool *skipMatch, GError **error)
{
    const char *src = dirIn ? "--destination" : "--source";
    const char *dst = dirIn ? "--source" : "--destination";
    const char *srcrange = dirIn ? "--dst-range" : "--src-range";
    const char *dstrange = dirIn ? "--src-range" : "--dst-range";
    g_autofree char *ip = NULL;
    g_autofree char *alt = NULL;
    g_autofree char *number = NULL;

    for (int pass = 0; pass < 2; pass++) {
        nwfAttr addr = pass ? A_DSTIP : A_SRCIP;
        nwfAttr mask = pass ? A_DSTIPMASK : A_SRCIPMASK;
        nwfAttr from = pass ? A_DSTIPFROM : A_SRCIPFROM;
        nwfAttr to = pass ? A_DSTIPTO : A_SRCIPTO;

        if (HAS(addr)) {
            if (!printAttr(&ip, rule, addr, it, false, error))
                goto error;
            if (NEG(addr))
                arg(a, "!");
            arg(a, pass ? dst : src);
            if (HAS(mask)) {
                if (!printAttr(&number, rule, mask, it, false, error))
                    goto error;
                argf(a, "%s/%s", ip, number);
            } else {
                arg(a, ip);
            }
        } else if (HAS(from)) {
            if (!printAttr(&ip, rule, from, it, false, error))
                goto error;
            arg(a, "-m");
            arg(a, "iprange");
            if (NEG(from))
                arg(a, "!");
            arg(a, pass ? dstrange : srcrange);
            if (HAS(to)) {
                if (!printAttr(&alt, rule, to, it, false, error))
                    goto error;
                argf(a, "%s-%s", ip, alt);
            } else {
                arg(a, ip);
            }
        }
    }
    if (HAS(A_DSCP)) {
        if (!printAttr(&number, rule, A_DSCP, it, false, error))
            goto error;
        arg(a, "-m");
        arg(a, "dscp");
        if (NEG(A_DSCP))
            arg(a, "!");
        arg(a, "--dscp");
        arg(a, number);
    }
    if (HAS(A_CONNLIMIT)) {
        if (dirIn)
            *skipRule = true;
        else
            *skipMatch = true;
    }
    return TRUE;
 error:
    return FALSE;
}

static gboolean
iptHandlePorts(Args *a, const nwfRule *rule, nwfVarIter *it, bool dirIn,
               GError **error)
{
    g_autofree char *p = NULL;
    g_autofree char *q = NULL;

    for (int pass = 0; pass < 2; pass++) {
        nwfAttr start = pass ? A_DSTPORT : A_SRCPORT;
        nwfAttr end = pass ? A_DSTPORTEND : A_SRCPORTEND;
        const char *opt = (pass != dirIn) ? "--dport" : "--sport";

        if (!HAS(start))
            continue;
        if (!printAttr(&p, rule, start, it, false, error))
            goto error;
        if (NEG(start))
            arg(a, "!");
        arg(a, opt);
        if (HAS(end)) {
            if (!printAttr(&q, rule, end, it, false, error))
                goto error;
            argf(a, "%s:%s", p, q);
        } else {
            arg(a, p);
        }
    }
    return TRUE;
 error:
    return FALSE;
}

static const char *const tcpFlagNames[] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG" };

static char *
printTcpFlags(unsigned int flags)
{
    GString *s;

    if (flags == 0)
        return g_strdup("NONE");
    if (flags == 0x3f)
        return g_strdup("ALL");
    s = g_string_new(NULL);
    for (int i = 0; i < 6; i++) {
        if (flags & (1 << i)) {
            if (s->len)
                g_string_append_c(s, ',');
            g_string_append(s, tcpFlagNames[i]);
        }
    }
    return g_string_free(s, FALSE);
}

static char *
printStateFlags(unsigned int flags)
{
    static const char *const names[] = { "NEW", "ESTABLISHED", "RELATED", "INVALID" };
    GString *s;

    if (flags & NWF_STATE_NONE)
        return NULL;
    s = g_string_new(NULL);
    for (int i = 0; i < 4; i++) {
        if (flags & (1 << i)) {
            if (s->len)
                g_string_append_c(s, ',');
            g_string_append(s, names[i]);
        }
    }
    if (s->len == 0) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

static const char *
iptProto(nwfProtocol p)
{
    switch (p) {
    case NWF_PROTO_TCP: case NWF_PROTO_TCP6: return "tcp";
    case NWF_PROTO_UDP: case NWF_PROTO_UDP6: return "udp";
    case NWF_PROTO_UDPLITE: case NWF_PROTO_UDPLITE6: return "udplite";
    case NWF_PROTO_ESP: case NWF_PROTO_ESP6: return "esp";
    case NWF_PROTO_AH: case NWF_PROTO_AH6: return "ah";
    case NWF_PROTO_SCTP: case NWF_PROTO_SCTP6: return "sctp";
    case NWF_PROTO_ICMP: return "icmp";
    case NWF_PROTO_ICMPV6: return "icmpv6";
    case NWF_PROTO_IGMP: return "igmp";
    case NWF_PROTO_ALL: case NWF_PROTO_ALL6: return "all";
    default: return NULL;
    }
}

static gboolean
iptCreateRuleInstance(virFirewall *fw, virFirewallLayer layer, bool dirIn,
                      char p0, char p1, const nwfRule *rule,
                      const char *ifname, nwfVarIter *it, const char *match,
                      bool defMatch, const char *acceptTarget,
                      bool maySkipICMP, GError **error)
{
    g_autofree char *chain = nwfChainIpt(p0, p1, ifname);
    g_autofree char *number = NULL;
    g_autofree char *alt = NULL;
    const char *proto = iptProto(rule->protocol);
    bool srcMacSkipped = false, skipRule = false, skipMatch = false;
    bool hasICMPType = false;
    guint baseArgs;
    const char *target;
    Args a;

    if (!proto) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "unexpected protocol %s", nwfProtocolToString(rule->protocol));
        return FALSE;
    }
    argsInit(&a);
    arg(&a, "-A");
    arg(&a, chain);
    arg(&a, "-p");
    arg(&a, proto);
    baseArgs = a.args->len;

    /* iptablesHandleSrcMacAddr */
    if (HAS(A_SRCMAC)) {
        if (dirIn) {
            srcMacSkipped = true;
        } else {
            if (!printAttr(&number, rule, A_SRCMAC, it, false, error))
                goto error;
            arg(&a, "-m");
            arg(&a, "mac");
            if (NEG(A_SRCMAC))
                arg(&a, "!");
            arg(&a, "--mac-source");
            arg(&a, number);
        }
    }
    if (!iptHandleIpHdr(&a, rule, it, dirIn, &skipRule, &skipMatch, error))
        goto error;

    switch (rule->protocol) {
    case NWF_PROTO_TCP:
    case NWF_PROTO_TCP6:
        if (HAS(A_TCPFLAGS)) {
            if (NEG(A_TCPFLAGS))
                arg(&a, "!");
            arg(&a, "--tcp-flags");
            g_ptr_array_add(a.args, printTcpFlags(rule->items[A_TCPFLAGS].u.tcp.mask));
            g_ptr_array_add(a.args, printTcpFlags(rule->items[A_TCPFLAGS].u.tcp.flags));
        }
        if (!iptHandlePorts(&a, rule, it, dirIn, error))
            goto error;
        if (HAS(A_TCPOPTION)) {
            if (!printAttr(&number, rule, A_TCPOPTION, it, false, error))
                goto error;
            if (NEG(A_TCPOPTION))
                arg(&a, "!");
            arg(&a, "--tcp-option");
            arg(&a, number);
        }
        break;
    case NWF_PROTO_UDP:
    case NWF_PROTO_UDP6:
    case NWF_PROTO_SCTP:
    case NWF_PROTO_SCTP6:
        if (!iptHandlePorts(&a, rule, it, dirIn, error))
            goto error;
        break;
    case NWF_PROTO_ICMP:
    case NWF_PROTO_ICMPV6:
        if (HAS(A_ICMPTYPE)) {
            hasICMPType = true;
            if (maySkipICMP) {
                argsClear(&a);
                return TRUE;
            }
            if (!printAttr(&number, rule, A_ICMPTYPE, it, false, error))
                goto error;
            if (NEG(A_ICMPTYPE))
                arg(&a, "!");
            arg(&a, rule->protocol == NWF_PROTO_ICMP ? "--icmp-type" : "--icmpv6-type");
            if (HAS(A_ICMPCODE)) {
                if (!printAttr(&alt, rule, A_ICMPCODE, it, false, error))
                    goto error;
                argf(&a, "%s/%s", number, alt);
            } else {
                arg(&a, number);
            }
        }
        break;
    default:
        break;
    }

    if ((srcMacSkipped && baseArgs == a.args->len) || skipRule) {
        argsClear(&a);
        return TRUE;
    }

    if (rule->action == NWF_ACTION_ACCEPT) {
        target = acceptTarget;
    } else {
        target = nwfActionTarget(rule->action);
        skipMatch = defMatch;
    }

    if (match && !skipMatch) {
        arg(&a, "-m");
        arg(&a, "conntrack");
        arg(&a, "--ctstate");
        arg(&a, match);
    }
    if (defMatch && match && !skipMatch && !hasICMPType &&
        rule->direction != NWF_DIR_INOUT) {
        arg(&a, "-m");
        arg(&a, "conntrack");
        arg(&a, "--ctdir");
        arg(&a, dirIn ? "Reply" : "Original");
    }

    /* iptablesHandleIpHdrAfterStateMatch */
    if (HAS(A_IPSET) && HAS(A_IPSETFLAGS)) {
        g_autofree char *name = NULL;
        g_autofree char *flags = NULL;
        if (!printAttr(&name, rule, A_IPSET, it, false, error))
            goto error;
        if (!(flags = printItem(&rule->items[A_IPSETFLAGS], it, false, dirIn, error)))
            goto error;
        arg(&a, "-m");
        arg(&a, "set");
        arg(&a, "--match-set");
        arg(&a, name);
        arg(&a, flags);
    }
    if (HAS(A_CONNLIMIT) && !dirIn) {
        if (!printAttr(&number, rule, A_CONNLIMIT, it, false, error))
            goto error;
        arg(&a, "-m");
        arg(&a, "connlimit");
        if (NEG(A_CONNLIMIT))
            arg(&a, "!");
        arg(&a, "--connlimit-above");
        arg(&a, number);
    }
    if (HAS(A_COMMENT)) {
        arg(&a, "-m");
        arg(&a, "comment");
        arg(&a, "--comment");
        arg(&a, rule->items[A_COMMENT].str);
    }
    arg(&a, "-j");
    arg(&a, target);
    argsCommit(fw, layer, &a);
    argsClear(&a);
    return TRUE;

 error:
    argsClear(&a);
    return FALSE;
}

static gboolean
iptCreateRuleInstanceStateCtrl(virFirewall *fw, virFirewallLayer layer,
                               const nwfRule *rule, const char *ifname,
                               nwfVarIter *it, GError **error)
{
    bool dirIn = false, inout = false, create, maySkipICMP;
    unsigned int state = rule->flags & NWF_STATE_MASK;

    if (rule->direction == NWF_DIR_IN || rule->direction == NWF_DIR_INOUT) {
        dirIn = true;
        inout = rule->direction == NWF_DIR_INOUT;
    }

    maySkipICMP = dirIn || inout;
    create = !(dirIn && !inout && state);
    if (create) {
        g_autofree char *m = state ? printStateFlags(state) : NULL;
        if (!iptCreateRuleInstance(fw, layer, dirIn, 'F', NWF_PFX_IN_TEMP, rule,
                                   ifname, it, m, false, "RETURN",
                                   maySkipICMP, error))
            return FALSE;
    }

    maySkipICMP = !dirIn || inout;
    create = !(!dirIn && state);
    if (create) {
        g_autofree char *m = state ? printStateFlags(state) : NULL;
        if (!iptCreateRuleInstance(fw, layer, !dirIn, 'F', NWF_PFX_OUT_TEMP, rule,
                                   ifname, it, m, false, "ACCEPT",
                                   maySkipICMP, error))
            return FALSE;
    }

    maySkipICMP = dirIn;
    create = !(dirIn && !inout && state);
    if (create) {
        g_autofree char *m = state ? printStateFlags(state) : NULL;
        if (!iptCreateRuleInstance(fw, layer, dirIn, 'H', NWF_PFX_IN_TEMP, rule,
                                   ifname, it, m, false, "RETURN",
                                   maySkipICMP, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
iptablesCreateRuleInstance(virFirewall *fw, virFirewallLayer layer,
                           const nwfRule *rule, const char *ifname,
                           nwfVarIter *it, GError **error)
{
    bool dirIn = false, inout = false, needState = true, maySkipICMP;
    const char *m;

    if (!(rule->flags & NWF_RULE_NO_STATEMATCH) && (rule->flags & NWF_STATE_MASK))
        return iptCreateRuleInstanceStateCtrl(fw, layer, rule, ifname, it, error);

    if (rule->direction == NWF_DIR_IN || rule->direction == NWF_DIR_INOUT) {
        dirIn = true;
        inout = rule->direction == NWF_DIR_INOUT;
        if (inout)
            needState = false;
    }
    if (rule->flags & NWF_RULE_NO_STATEMATCH)
        needState = false;

    maySkipICMP = dirIn || inout;
    m = needState ? (dirIn ? "ESTABLISHED" : "NEW,ESTABLISHED") : NULL;
    if (!iptCreateRuleInstance(fw, layer, dirIn, 'F', NWF_PFX_IN_TEMP, rule, ifname,
                               it, m, true, "RETURN", maySkipICMP, error))
        return FALSE;

    maySkipICMP = !dirIn || inout;
    m = needState ? (dirIn ? "NEW,ESTABLISHED" : "ESTABLISHED") : NULL;
    if (!iptCreateRuleInstance(fw, layer, !dirIn, 'F', NWF_PFX_OUT_TEMP, rule, ifname,
                               it, m, true, "ACCEPT", maySkipICMP, error))
        return FALSE;

    maySkipICMP = dirIn;
    m = needState ? (dirIn ? "ESTABLISHED" : "NEW,ESTABLISHED") : NULL;
    return iptCreateRuleInstance(fw, layer, dirIn, 'H', NWF_PFX_IN_TEMP, rule, ifname,
                                 it, m, true, "RETURN", maySkipICMP, error);
}

/* one rule instance, once per variable combination */
static gboolean
ruleInstCommand(virFirewall *fw, const char *ifname, nwfRuleInst *inst,
                GError **error)
{
    const nwfRule *rule = inst->rule;
    g_autoptr(nwfVarIter) it = nwfVarIterNew(inst->vars, rule->vars, error);

    if (!it)
        return FALSE;
    /* provenance for readers (virt-firewall show); the backends ignore it */
    virFirewallSetOrigin(fw, &(virFirewallRuleOrigin){ inst->filter->name, inst->filter->path,
                                                       rule->line, inst->priority });
    do {
        if (nwfRuleIsEthernet(rule)) {
            if ((rule->direction == NWF_DIR_OUT || rule->direction == NWF_DIR_INOUT) &&
                !ebtablesCreateRuleInstance(fw, NWF_PFX_IN_TEMP, inst->chainSuffix,
                                            rule, ifname, it,
                                            rule->direction == NWF_DIR_INOUT, error))
                return FALSE;
            if ((rule->direction == NWF_DIR_IN || rule->direction == NWF_DIR_INOUT) &&
                !ebtablesCreateRuleInstance(fw, NWF_PFX_OUT_TEMP, inst->chainSuffix,
                                            rule, ifname, it, false, error))
                return FALSE;
        } else {
            virFirewallLayer layer = nwfRuleIsIPv6(rule) ? VIR_FIREWALL_LAYER_IPV6
                                                         : VIR_FIREWALL_LAYER_IPV4;
            if (!iptablesCreateRuleInstance(fw, layer, rule, ifname, it, error))
                return FALSE;
        }
    } while (nwfVarIterNext(it));
    virFirewallSetOrigin(fw, NULL);
    return TRUE;
}

#undef HAS
#undef NEG

/* ---------------- chain plumbing ---------------- */

#define R(fw, layer, ...) virFirewallAddRuleFull(fw, layer, true, NULL, NULL, __VA_ARGS__, NULL)
#define F(fw, layer, ...) virFirewallAddRuleFull(fw, layer, false, NULL, NULL, __VA_ARGS__, NULL)

static void
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

static void
iptCreateTmpRootChains(virFirewall *fw, virFirewallLayer l, const char *ifname)
{
    g_autofree char *fp = nwfChainIpt('F', NWF_PFX_OUT_TEMP, ifname);
    g_autofree char *fj = nwfChainIpt('F', NWF_PFX_IN_TEMP, ifname);
    g_autofree char *hj = nwfChainIpt('H', NWF_PFX_IN_TEMP, ifname);

    F(fw, l, "-N", fp);
    F(fw, l, "-N", fj);
    F(fw, l, "-N", hj);
}

static void
iptRemoveRootChains(virFirewall *fw, virFirewallLayer l, const char *ifname,
                    bool temp)
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

static void
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

static void
iptSetupVirtInPost(virFirewall *fw, virFirewallLayer l, const char *ifname)
{
    R(fw, l, "-D", VIRT_IN_POST_CHAIN, "-m", "physdev", "--physdev-in",
      ifname, "-j", "ACCEPT");
    F(fw, l, "-A", VIRT_IN_POST_CHAIN, "-m", "physdev", "--physdev-in",
      ifname, "-j", "ACCEPT");
}

static void
iptClearVirtInPost(virFirewall *fw, virFirewallLayer l, const char *ifname)
{
    R(fw, l, "-D", VIRT_IN_POST_CHAIN, "-m", "physdev", "--physdev-in",
      ifname, "-j", "ACCEPT");
}

static void
iptUnlinkRootChains(virFirewall *fw, virFirewallLayer l, const char *ifname,
                    bool temp)
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

static void
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

static void
ebtCreateTmpRootChain(virFirewall *fw, bool incoming, const char *ifname)
{
    g_autofree char *c = nwfChainRoot(incoming ? NWF_PFX_IN_TEMP : NWF_PFX_OUT_TEMP, ifname);
    F(fw, ETH, "-t", "nat", "-N", c);
}

static void
ebtLinkTmpRootChain(virFirewall *fw, bool incoming, const char *ifname)
{
    g_autofree char *c = nwfChainRoot(incoming ? NWF_PFX_IN_TEMP : NWF_PFX_OUT_TEMP, ifname);
    F(fw, ETH, "-t", "nat", "-A", incoming ? "PREROUTING" : "POSTROUTING",
      incoming ? "-i" : "-o", ifname, "-j", c);
}

static void
ebtRemoveRootChain(virFirewall *fw, bool incoming, const char *ifname, bool temp)
{
    char p = temp ? (incoming ? NWF_PFX_IN_TEMP : NWF_PFX_OUT_TEMP)
                  : (incoming ? NWF_PFX_IN : NWF_PFX_OUT);
    g_autofree char *c = nwfChainRoot(p, ifname);
    R(fw, ETH, "-t", "nat", "-F", c);
    R(fw, ETH, "-t", "nat", "-X", c);
}

static void
ebtUnlinkRootChain(virFirewall *fw, bool incoming, const char *ifname, bool temp)
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

static int
protoIdxByFiltername(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(l3Protocols); i++)
        if (g_str_has_prefix(name, l3Protocols[i].val))
            return i;
    return -1;
}

static void
ebtCreateTmpSubChain(virFirewall *fw, bool incoming, const char *ifname,
                     int protoIdx, const char *filtername)
{
    char p = incoming ? NWF_PFX_IN_TEMP : NWF_PFX_OUT_TEMP;
    g_autofree char *root = nwfChainRoot(p, ifname);
    g_autofree char *chain = nwfChainSub(p, ifname, filtername);
    Args a;

    R(fw, ETH, "-t", "nat", "-F", chain);
    R(fw, ETH, "-t", "nat", "-X", chain);
    F(fw, ETH, "-t", "nat", "-N", chain);

    argsInit(&a);
    arg(&a, "-t");
    arg(&a, "nat");
    arg(&a, "-A");
    arg(&a, root);
    switch (l3Protocols[protoIdx].idx) {
    case L2_MAC:
        break;
    case L2_STP:
        arg(&a, "-d");
        arg(&a, MAC_BGA);
        break;
    default:
        arg(&a, "-p");
        argf(&a, "0x%04x", l3Protocols[protoIdx].attr);
        break;
    }
    arg(&a, "-j");
    arg(&a, chain);
    argsCommit(fw, ETH, &a);
    argsClear(&a);
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
                virFirewallAddRuleFull(fw, layer, false,
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

static void
ebtRemoveSubChains(virFirewall *fw, const char *ifname, const char *prefixes)
{
    for (size_t i = 0; prefixes[i]; i++) {
        g_autofree char *root = nwfChainRoot(prefixes[i], ifname);
        virFirewallAddRuleFull(fw, ETH, false, nwfEbtablesRemoveSubChainsQuery,
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
        virFirewallAddRuleFull(fw, layer, false,
                               nwfEbtablesRenameTmpSubAndRootChainsQuery, NULL,
                               "-t", "nat", "-L", tmp, NULL);
        R(fw, layer, "-t", "nat", "-F", newchain);
        R(fw, layer, "-t", "nat", "-X", newchain);
        F(fw, layer, "-t", "nat", "-E", tmp, newchain);
    }
    return 0;
}

static void
ebtRenameTmpSubAndRootChains(virFirewall *fw, const char *ifname)
{
    g_autofree char *j = nwfChainRoot(NWF_PFX_IN_TEMP, ifname);
    g_autofree char *p = nwfChainRoot(NWF_PFX_OUT_TEMP, ifname);
    g_autofree char *i = nwfChainRoot(NWF_PFX_IN, ifname);
    g_autofree char *o = nwfChainRoot(NWF_PFX_OUT, ifname);

    virFirewallAddRuleFull(fw, ETH, false,
                           nwfEbtablesRenameTmpSubAndRootChainsQuery, NULL,
                           "-t", "nat", "-L", j, NULL);
    virFirewallAddRuleFull(fw, ETH, false,
                           nwfEbtablesRenameTmpSubAndRootChainsQuery, NULL,
                           "-t", "nat", "-L", p, NULL);
    F(fw, ETH, "-t", "nat", "-E", j, i);
    F(fw, ETH, "-t", "nat", "-E", p, o);
}

static void
ebtRenameTmpRootChain(virFirewall *fw, bool incoming, const char *ifname)
{
    g_autofree char *t = nwfChainRoot(incoming ? NWF_PFX_IN_TEMP : NWF_PFX_OUT_TEMP, ifname);
    g_autofree char *f = nwfChainRoot(incoming ? NWF_PFX_IN : NWF_PFX_OUT, ifname);
    F(fw, ETH, "-t", "nat", "-E", t, f);
}

/* ---------------- driver entry points ---------------- */

static gint
ruleInstCmp(gconstpointer a, gconstpointer b)
{
    const nwfRuleInst *ia = *(nwfRuleInst *const *)a;
    const nwfRuleInst *ib = *(nwfRuleInst *const *)b;
    bool ra = strcmp(ia->chainSuffix, "root") == 0;
    bool rb = strcmp(ib->chainSuffix, "root") == 0;

    if (ra && !rb)
        return -1;
    if (rb && !ra)
        return 1;
    return ia->priority - ib->priority;
}

typedef struct {
    int priority;
    bool incoming;
    int protoIdx;
    const char *name;
    guint order;
} SubChain;

static gint
subChainCmp(gconstpointer a, gconstpointer b)
{
    const SubChain *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority - y->priority;
    return (int)x->order - (int)y->order;   /* stable */
}

/*
 * The distinct chain names of one direction set, in first-seen order.
 * libvirt walks a virHashNew() table here (virHashGetItems unsorted),
 * whose string hash is SipHash with a random per-process seed: sub-chains
 * of equal priority come out in a different order on every daemon start
 * (seen with the vf-eqprio oracle case, three runs, three orders). No
 * order can match it; first-seen (definition) order is deterministic.
 */
static void
collectChains(GPtrArray *insts, bool incoming, GArray *out, guint *order)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < insts->len; i++) {
        nwfRuleInst *inst = insts->pdata[i];
        nwfDirection d = inst->rule->direction;
        SubChain sc;

        if (!nwfRuleIsEthernet(inst->rule))
            continue;
        if (incoming ? d == NWF_DIR_IN : d == NWF_DIR_OUT)
            continue;
        sc.protoIdx = protoIdxByFiltername(inst->chainSuffix);
        if (sc.protoIdx < 0)
            continue;
        if (g_hash_table_contains(seen, inst->chainSuffix)) {
            /* libvirt's hash update: the last rule's chain priority wins */
            guint at = GPOINTER_TO_UINT(g_hash_table_lookup(seen, inst->chainSuffix));
            g_array_index(out, SubChain, at).priority = inst->chainPriority;
            continue;
        }
        g_hash_table_insert(seen, (gpointer)inst->chainSuffix,
                            GUINT_TO_POINTER(out->len));
        sc.priority = inst->chainPriority;
        sc.incoming = incoming;
        sc.name = inst->chainSuffix;
        sc.order = (*order)++;
        g_array_append_val(out, sc);
    }
}

static bool
hasChains(GPtrArray *insts, bool incoming)
{
    for (guint i = 0; i < insts->len; i++) {
        nwfRuleInst *inst = insts->pdata[i];
        nwfDirection d = inst->rule->direction;
        if (nwfRuleIsEthernet(inst->rule) &&
            (incoming ? d != NWF_DIR_IN : d != NWF_DIR_OUT))
            return true;
    }
    return false;
}

gboolean
nwfAddApplyNewRules(virFirewall *fw, const char *ifname, GPtrArray *insts,
                    GError **error)
{
    bool haveEbtables = false, haveIptables = false, haveIp6tables = false;
    bool haveIn, haveOut;
    g_autoptr(GArray) subchains = g_array_new(FALSE, FALSE, sizeof(SubChain));
    guint order = 0, i, j;

    /* stable sort: root rules first, then by priority */
    g_ptr_array_sort(insts, ruleInstCmp);

    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    ebtUnlinkRootChain(fw, true, ifname, true);
    ebtUnlinkRootChain(fw, false, ifname, true);
    ebtRemoveSubChains(fw, ifname, chainprefixesHostTemp);
    ebtRemoveRootChain(fw, true, ifname, true);
    ebtRemoveRootChain(fw, false, ifname, true);

    virFirewallStartTransaction(fw, 0);

    for (i = 0; i < insts->len; i++) {
        nwfRuleInst *inst = insts->pdata[i];
        /* libvirt: strstr("root", suffix) */
        if (inst->chainPriority > inst->priority &&
            !strstr("root", inst->chainSuffix))
            inst->priority = inst->chainPriority;
    }
    for (i = 0; i < insts->len; i++) {
        nwfRuleInst *inst = insts->pdata[i];
        if (nwfRuleIsEthernet(inst->rule))
            haveEbtables = true;
        else if (nwfRuleIsIPv4(inst->rule))
            haveIptables = true;
        else if (nwfRuleIsIPv6(inst->rule))
            haveIp6tables = true;
    }
    haveIn = hasChains(insts, true);
    haveOut = hasChains(insts, false);

    if (haveEbtables) {
        if (haveIn) {
            ebtCreateTmpRootChain(fw, true, ifname);
            collectChains(insts, true, subchains, &order);
        }
        if (haveOut) {
            ebtCreateTmpRootChain(fw, false, ifname);
            collectChains(insts, false, subchains, &order);
        }
        g_array_sort(subchains, subChainCmp);

        for (i = 0, j = 0; i < insts->len; i++) {
            nwfRuleInst *inst = insts->pdata[i];
            if (!nwfRuleIsEthernet(inst->rule))
                continue;
            while (j < subchains->len &&
                   g_array_index(subchains, SubChain, j).priority <= inst->priority) {
                SubChain *sc = &g_array_index(subchains, SubChain, j);
                ebtCreateTmpSubChain(fw, sc->incoming, ifname, sc->protoIdx, sc->name);
                j++;
            }
            if (!ruleInstCommand(fw, ifname, inst, error))
                return FALSE;
        }
        for (; j < subchains->len; j++) {
            SubChain *sc = &g_array_index(subchains, SubChain, j);
            ebtCreateTmpSubChain(fw, sc->incoming, ifname, sc->protoIdx, sc->name);
        }
    }

    for (int v6 = 0; v6 < 2; v6++) {
        virFirewallLayer l = v6 ? VIR_FIREWALL_LAYER_IPV6 : VIR_FIREWALL_LAYER_IPV4;
        if (!(v6 ? haveIp6tables : haveIptables))
            continue;
        iptUnlinkRootChains(fw, l, ifname, true);
        iptRemoveRootChains(fw, l, ifname, true);
        iptCreateBaseChains(fw, l);
        iptCreateTmpRootChains(fw, l, ifname);
        iptLinkTmpRootChains(fw, l, ifname);
        iptSetupVirtInPost(fw, l, ifname);
        for (i = 0; i < insts->len; i++) {
            nwfRuleInst *inst = insts->pdata[i];
            if (v6 ? nwfRuleIsIPv6(inst->rule) : nwfRuleIsIPv4(inst->rule))
                if (!ruleInstCommand(fw, ifname, inst, error))
                    return FALSE;
        }
    }

    if (haveEbtables && haveIn)
        ebtLinkTmpRootChain(fw, true, ifname);
    if (haveEbtables && haveOut)
        ebtLinkTmpRootChain(fw, false, ifname);

    virFirewallStartRollback(fw, 0);
    ebtUnlinkRootChain(fw, true, ifname, true);
    ebtUnlinkRootChain(fw, false, ifname, true);
    if (haveIp6tables) {
        iptUnlinkRootChains(fw, VIR_FIREWALL_LAYER_IPV6, ifname, true);
        iptRemoveRootChains(fw, VIR_FIREWALL_LAYER_IPV6, ifname, true);
    }
    if (haveIptables) {
        iptUnlinkRootChains(fw, VIR_FIREWALL_LAYER_IPV4, ifname, true);
        iptRemoveRootChains(fw, VIR_FIREWALL_LAYER_IPV4, ifname, true);
    }
    ebtRemoveSubChains(fw, ifname, chainprefixesHostTemp);
    ebtRemoveRootChain(fw, true, ifname, true);
    ebtRemoveRootChain(fw, false, ifname, true);
    return TRUE;
}

void
nwfAddTearOldRules(virFirewall *fw, const char *ifname)
{
    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    for (int v6 = 0; v6 < 2; v6++) {
        virFirewallLayer l = v6 ? VIR_FIREWALL_LAYER_IPV6 : VIR_FIREWALL_LAYER_IPV4;
        iptUnlinkRootChains(fw, l, ifname, false);
        iptRemoveRootChains(fw, l, ifname, false);
        iptRenameTmpRootChains(fw, l, ifname);
    }
    ebtUnlinkRootChain(fw, true, ifname, false);
    ebtUnlinkRootChain(fw, false, ifname, false);
    ebtRemoveSubChains(fw, ifname, chainprefixesHost);
    ebtRemoveRootChain(fw, true, ifname, false);
    ebtRemoveRootChain(fw, false, ifname, false);
    ebtRenameTmpSubAndRootChains(fw, ifname);
}

/* ebiptablesTearNewRulesFW: the temporary chains of all three layers */
static void
tearNewRules(virFirewall *fw, const char *ifname)
{
    for (int v6 = 0; v6 < 2; v6++) {
        virFirewallLayer l = v6 ? VIR_FIREWALL_LAYER_IPV6 : VIR_FIREWALL_LAYER_IPV4;
        iptUnlinkRootChains(fw, l, ifname, true);
        iptRemoveRootChains(fw, l, ifname, true);
    }
    ebtUnlinkRootChain(fw, true, ifname, true);
    ebtUnlinkRootChain(fw, false, ifname, true);
    ebtRemoveSubChains(fw, ifname, chainprefixesHostTemp);
    ebtRemoveRootChain(fw, true, ifname, true);
    ebtRemoveRootChain(fw, false, ifname, true);
}

void
nwfAddTearNewRules(virFirewall *fw, const char *ifname)
{
    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    tearNewRules(fw, ifname);
}

/* ebiptablesAllTeardown: the temporary chains too (libvirt 9.0 starts
 * with ebiptablesTearNewRulesFW; seen in nwfilter-binding-delete) */
void
nwfAddAllTeardown(virFirewall *fw, const char *ifname)
{
    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    tearNewRules(fw, ifname);
    for (int v6 = 0; v6 < 2; v6++) {
        virFirewallLayer l = v6 ? VIR_FIREWALL_LAYER_IPV6 : VIR_FIREWALL_LAYER_IPV4;
        iptUnlinkRootChains(fw, l, ifname, false);
        iptClearVirtInPost(fw, l, ifname);
        iptRemoveRootChains(fw, l, ifname, false);
    }
    ebtUnlinkRootChain(fw, true, ifname, false);
    ebtUnlinkRootChain(fw, false, ifname, false);
    ebtRemoveSubChains(fw, ifname, chainprefixesHost);
    ebtRemoveRootChain(fw, true, ifname, false);
    ebtRemoveRootChain(fw, false, ifname, false);
}

static void
cleanAllRules(virFirewall *fw, const char *ifname)
{
    ebtUnlinkRootChain(fw, true, ifname, false);
    ebtUnlinkRootChain(fw, false, ifname, false);
    ebtRemoveSubChains(fw, ifname, chainprefixesHost);
    ebtRemoveRootChain(fw, true, ifname, false);
    ebtRemoveRootChain(fw, false, ifname, false);
    ebtUnlinkRootChain(fw, true, ifname, true);
    ebtUnlinkRootChain(fw, false, ifname, true);
    ebtRemoveSubChains(fw, ifname, chainprefixesHostTemp);
    ebtRemoveRootChain(fw, true, ifname, true);
    ebtRemoveRootChain(fw, false, ifname, true);
}

void
nwfAddCleanAll(virFirewall *fw, const char *ifname)
{
    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    cleanAllRules(fw, ifname);
}

static void
basicRollback(virFirewall *fw, const char *ifname)
{
    /* libvirt runs ebtablesCleanAll when the group fails */
    virFirewallStartRollback(fw, 0);
    cleanAllRules(fw, ifname);
}

void
nwfAddApplyBasicRules(virFirewall *fw, const char *ifname, const char *mac)
{
    g_autofree char *chain = nwfChainRoot(NWF_PFX_IN_TEMP, ifname);

    nwfAddAllTeardown(fw, ifname);
    virFirewallStartTransaction(fw, 0);
    ebtCreateTmpRootChain(fw, true, ifname);
    F(fw, ETH, "-t", "nat", "-A", chain, "-s", "!", mac, "-j", "DROP");
    F(fw, ETH, "-t", "nat", "-A", chain, "-p", "IPv4", "-j", "ACCEPT");
    F(fw, ETH, "-t", "nat", "-A", chain, "-p", "ARP", "-j", "ACCEPT");
    F(fw, ETH, "-t", "nat", "-A", chain, "-j", "DROP");
    ebtLinkTmpRootChain(fw, true, ifname);
    ebtRenameTmpRootChain(fw, true, ifname);
    basicRollback(fw, ifname);
}

void
nwfAddApplyDHCPOnlyRules(virFirewall *fw, const char *ifname, const char *mac,
                         GPtrArray *dhcpservers, gboolean leaveTemporary)
{
    g_autofree char *in = nwfChainRoot(NWF_PFX_IN_TEMP, ifname);
    g_autofree char *out = nwfChainRoot(NWF_PFX_OUT_TEMP, ifname);
    guint n = dhcpservers ? dhcpservers->len : 0;
    guint idx = 0;

    nwfAddAllTeardown(fw, ifname);
    virFirewallStartTransaction(fw, 0);
    ebtCreateTmpRootChain(fw, true, ifname);
    ebtCreateTmpRootChain(fw, false, ifname);
    F(fw, ETH, "-t", "nat", "-A", in, "-s", mac, "-p", "ipv4",
      "--ip-protocol", "udp", "--ip-sport", "68", "--ip-dport", "67",
      "-j", "ACCEPT");
    F(fw, ETH, "-t", "nat", "-A", in, "-j", "DROP");
    while (true) {
        const char *srv = idx < n ? dhcpservers->pdata[idx] : NULL;
        for (int ctr = 0; ctr < 2; ctr++) {
            const char *dst = ctr == 0 ? mac : "ff:ff:ff:ff:ff:ff";
            if (srv)
                F(fw, ETH, "-t", "nat", "-A", out, "-d", dst, "-p", "ipv4",
                  "--ip-protocol", "udp", "--ip-src", srv, "--ip-sport", "67",
                  "--ip-dport", "68", "-j", "ACCEPT");
            else
                F(fw, ETH, "-t", "nat", "-A", out, "-d", dst, "-p", "ipv4",
                  "--ip-protocol", "udp", "--ip-sport", "67",
                  "--ip-dport", "68", "-j", "ACCEPT");
        }
        idx++;
        if (idx >= n)
            break;
    }
    F(fw, ETH, "-t", "nat", "-A", out, "-j", "DROP");
    ebtLinkTmpRootChain(fw, true, ifname);
    ebtLinkTmpRootChain(fw, false, ifname);
    if (!leaveTemporary) {
        ebtRenameTmpRootChain(fw, true, ifname);
        ebtRenameTmpRootChain(fw, false, ifname);
    }
    basicRollback(fw, ifname);
}

void
nwfAddApplyDropAllRules(virFirewall *fw, const char *ifname)
{
    g_autofree char *in = nwfChainRoot(NWF_PFX_IN_TEMP, ifname);
    g_autofree char *out = nwfChainRoot(NWF_PFX_OUT_TEMP, ifname);

    nwfAddAllTeardown(fw, ifname);
    virFirewallStartTransaction(fw, 0);
    ebtCreateTmpRootChain(fw, true, ifname);
    ebtCreateTmpRootChain(fw, false, ifname);
    F(fw, ETH, "-t", "nat", "-A", in, "-j", "DROP");
    F(fw, ETH, "-t", "nat", "-A", out, "-j", "DROP");
    ebtLinkTmpRootChain(fw, true, ifname);
    ebtLinkTmpRootChain(fw, false, ifname);
    ebtRenameTmpRootChain(fw, true, ifname);
    ebtRenameTmpRootChain(fw, false, ifname);
    basicRollback(fw, ifname);
}
