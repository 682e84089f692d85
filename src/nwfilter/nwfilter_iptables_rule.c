/*
 * nwfilter_iptables_rule.c: an nwfilter rule as iptables/ip6tables commands
 * (libvirt 9.0's iptablesCreateRuleInstance and its helpers)
 */
#include "nwfilter_ebiptables_priv.h"
#include "chains.h"
#include "firewall/error.h"

#include <string.h>

static gboolean
iptHandleIpHdr(nwfArgs *a, const nwfRule *rule, nwfVarIter *it, gboolean dirIn,
               gboolean *skipRule, gboolean *skipMatch, GError **error)
{
    const char *src = dirIn ? "--destination" : "--source";
    const char *dst = dirIn ? "--source" : "--destination";
    const char *srcrange = dirIn ? "--dst-range" : "--src-range";
    const char *dstrange = dirIn ? "--src-range" : "--dst-range";
    g_autofree char *ip = NULL;
    g_autofree char *alt = NULL;
    g_autofree char *number = NULL;

    for (int pass = 0; pass < 2; pass++) {
        nwfAttr addr = pass ? NWF_ATTR_DSTIP : NWF_ATTR_SRCIP;
        nwfAttr mask = pass ? NWF_ATTR_DSTIPMASK : NWF_ATTR_SRCIPMASK;
        nwfAttr from = pass ? NWF_ATTR_DSTIPFROM : NWF_ATTR_SRCIPFROM;
        nwfAttr to = pass ? NWF_ATTR_DSTIPTO : NWF_ATTR_SRCIPTO;

        if (NWF_ITEM_HAS(rule, addr)) {
            if (!nwfPrintAttr(&ip, rule, addr, it, FALSE, error))
                goto error;
            if (NWF_ITEM_NEGATED(rule, addr))
                nwfArg(a, "!");
            nwfArg(a, pass ? dst : src);
            if (NWF_ITEM_HAS(rule, mask)) {
                if (!nwfPrintAttr(&number, rule, mask, it, FALSE, error))
                    goto error;
                nwfArgf(a, "%s/%s", ip, number);
            } else {
                nwfArg(a, ip);
            }
        } else if (NWF_ITEM_HAS(rule, from)) {
            if (!nwfPrintAttr(&ip, rule, from, it, FALSE, error))
                goto error;
            nwfArg(a, "-m");
            nwfArg(a, "iprange");
            if (NWF_ITEM_NEGATED(rule, from))
                nwfArg(a, "!");
            nwfArg(a, pass ? dstrange : srcrange);
            if (NWF_ITEM_HAS(rule, to)) {
                if (!nwfPrintAttr(&alt, rule, to, it, FALSE, error))
                    goto error;
                nwfArgf(a, "%s-%s", ip, alt);
            } else {
                nwfArg(a, ip);
            }
        }
    }
    if (NWF_ITEM_HAS(rule, NWF_ATTR_DSCP)) {
        if (!nwfPrintAttr(&number, rule, NWF_ATTR_DSCP, it, FALSE, error))
            goto error;
        nwfArg(a, "-m");
        nwfArg(a, "dscp");
        if (NWF_ITEM_NEGATED(rule, NWF_ATTR_DSCP))
            nwfArg(a, "!");
        nwfArg(a, "--dscp");
        nwfArg(a, number);
    }
    if (NWF_ITEM_HAS(rule, NWF_ATTR_CONNLIMIT)) {
        if (dirIn)
            *skipRule = TRUE;
        else
            *skipMatch = TRUE;
    }
    return TRUE;
 error:
    return FALSE;
}

static gboolean
iptHandlePorts(nwfArgs *a, const nwfRule *rule, nwfVarIter *it, gboolean dirIn,
               GError **error)
{
    g_autofree char *p = NULL;
    g_autofree char *q = NULL;

    for (int pass = 0; pass < 2; pass++) {
        nwfAttr start = pass ? NWF_ATTR_DSTPORT : NWF_ATTR_SRCPORT;
        nwfAttr end = pass ? NWF_ATTR_DSTPORTEND : NWF_ATTR_SRCPORTEND;
        const char *opt = (pass != dirIn) ? "--dport" : "--sport";

        if (!NWF_ITEM_HAS(rule, start))
            continue;
        if (!nwfPrintAttr(&p, rule, start, it, FALSE, error))
            goto error;
        if (NWF_ITEM_NEGATED(rule, start))
            nwfArg(a, "!");
        nwfArg(a, opt);
        if (NWF_ITEM_HAS(rule, end)) {
            if (!nwfPrintAttr(&q, rule, end, it, FALSE, error))
                goto error;
            nwfArgf(a, "%s:%s", p, q);
        } else {
            nwfArg(a, p);
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
iptCreateRuleInstance(virFirewall *fw, virFirewallLayer layer, gboolean dirIn,
                      char p0, char p1, const nwfRule *rule,
                      const char *ifname, nwfVarIter *it, const char *match,
                      gboolean defMatch, const char *acceptTarget,
                      gboolean maySkipICMP, GError **error)
{
    g_autofree char *chain = nwfChainIpt(p0, p1, ifname);
    g_autofree char *number = NULL;
    g_autofree char *alt = NULL;
    const char *proto = iptProto(rule->protocol);
    gboolean srcMacSkipped = FALSE, skipRule = FALSE, skipMatch = FALSE;
    gboolean hasICMPType = FALSE;
    guint baseArgs;
    const char *target;
    nwfArgs a;

    if (!proto) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "unexpected protocol %s", nwfProtocolToString(rule->protocol));
        return FALSE;
    }
    nwfArgsInit(&a);
    nwfArg(&a, "-A");
    nwfArg(&a, chain);
    nwfArg(&a, "-p");
    nwfArg(&a, proto);
    baseArgs = a.args->len;

    /* iptablesHandleSrcMacAddr */
    if (NWF_ITEM_HAS(rule, NWF_ATTR_SRCMAC)) {
        if (dirIn) {
            srcMacSkipped = TRUE;
        } else {
            if (!nwfPrintAttr(&number, rule, NWF_ATTR_SRCMAC, it, FALSE, error))
                goto error;
            nwfArg(&a, "-m");
            nwfArg(&a, "mac");
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_SRCMAC))
                nwfArg(&a, "!");
            nwfArg(&a, "--mac-source");
            nwfArg(&a, number);
        }
    }
    if (!iptHandleIpHdr(&a, rule, it, dirIn, &skipRule, &skipMatch, error))
        goto error;

    switch (rule->protocol) {
    case NWF_PROTO_TCP:
    case NWF_PROTO_TCP6:
        if (NWF_ITEM_HAS(rule, NWF_ATTR_TCPFLAGS)) {
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_TCPFLAGS))
                nwfArg(&a, "!");
            nwfArg(&a, "--tcp-flags");
            g_ptr_array_add(a.args, printTcpFlags(rule->items[NWF_ATTR_TCPFLAGS].u.tcp.mask));
            g_ptr_array_add(a.args, printTcpFlags(rule->items[NWF_ATTR_TCPFLAGS].u.tcp.flags));
        }
        if (!iptHandlePorts(&a, rule, it, dirIn, error))
            goto error;
        if (NWF_ITEM_HAS(rule, NWF_ATTR_TCPOPTION)) {
            if (!nwfPrintAttr(&number, rule, NWF_ATTR_TCPOPTION, it, FALSE, error))
                goto error;
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_TCPOPTION))
                nwfArg(&a, "!");
            nwfArg(&a, "--tcp-option");
            nwfArg(&a, number);
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
        if (NWF_ITEM_HAS(rule, NWF_ATTR_ICMPTYPE)) {
            hasICMPType = TRUE;
            if (maySkipICMP) {
                nwfArgsClear(&a);
                return TRUE;
            }
            if (!nwfPrintAttr(&number, rule, NWF_ATTR_ICMPTYPE, it, FALSE, error))
                goto error;
            if (NWF_ITEM_NEGATED(rule, NWF_ATTR_ICMPTYPE))
                nwfArg(&a, "!");
            nwfArg(&a, rule->protocol == NWF_PROTO_ICMP ? "--icmp-type" : "--icmpv6-type");
            if (NWF_ITEM_HAS(rule, NWF_ATTR_ICMPCODE)) {
                if (!nwfPrintAttr(&alt, rule, NWF_ATTR_ICMPCODE, it, FALSE, error))
                    goto error;
                nwfArgf(&a, "%s/%s", number, alt);
            } else {
                nwfArg(&a, number);
            }
        }
        break;
    default:
        break;
    }

    if ((srcMacSkipped && baseArgs == a.args->len) || skipRule) {
        nwfArgsClear(&a);
        return TRUE;
    }

    if (rule->action == NWF_ACTION_ACCEPT) {
        target = acceptTarget;
    } else {
        target = nwfActionTarget(rule->action);
        skipMatch = defMatch;
    }

    if (match && !skipMatch) {
        nwfArg(&a, "-m");
        nwfArg(&a, "conntrack");
        nwfArg(&a, "--ctstate");
        nwfArg(&a, match);
    }
    if (defMatch && match && !skipMatch && !hasICMPType &&
        rule->direction != NWF_DIR_INOUT) {
        nwfArg(&a, "-m");
        nwfArg(&a, "conntrack");
        nwfArg(&a, "--ctdir");
        nwfArg(&a, dirIn ? "Reply" : "Original");
    }

    /* iptablesHandleIpHdrAfterStateMatch */
    if (NWF_ITEM_HAS(rule, NWF_ATTR_IPSET) && NWF_ITEM_HAS(rule, NWF_ATTR_IPSETFLAGS)) {
        g_autofree char *name = NULL;
        g_autofree char *flags = NULL;
        if (!nwfPrintAttr(&name, rule, NWF_ATTR_IPSET, it, FALSE, error))
            goto error;
        if (!(flags = nwfPrintItem(&rule->items[NWF_ATTR_IPSETFLAGS], it, FALSE, dirIn, error)))
            goto error;
        nwfArg(&a, "-m");
        nwfArg(&a, "set");
        nwfArg(&a, "--match-set");
        nwfArg(&a, name);
        nwfArg(&a, flags);
    }
    if (NWF_ITEM_HAS(rule, NWF_ATTR_CONNLIMIT) && !dirIn) {
        if (!nwfPrintAttr(&number, rule, NWF_ATTR_CONNLIMIT, it, FALSE, error))
            goto error;
        nwfArg(&a, "-m");
        nwfArg(&a, "connlimit");
        if (NWF_ITEM_NEGATED(rule, NWF_ATTR_CONNLIMIT))
            nwfArg(&a, "!");
        nwfArg(&a, "--connlimit-above");
        nwfArg(&a, number);
    }
    if (NWF_ITEM_HAS(rule, NWF_ATTR_COMMENT)) {
        nwfArg(&a, "-m");
        nwfArg(&a, "comment");
        nwfArg(&a, "--comment");
        nwfArg(&a, rule->items[NWF_ATTR_COMMENT].str);
    }
    nwfArg(&a, "-j");
    nwfArg(&a, target);
    nwfArgsCommit(fw, layer, &a);
    nwfArgsClear(&a);
    return TRUE;

 error:
    nwfArgsClear(&a);
    return FALSE;
}

static gboolean
iptCreateRuleInstanceStateCtrl(virFirewall *fw, virFirewallLayer layer,
                               const nwfRule *rule, const char *ifname,
                               nwfVarIter *it, GError **error)
{
    gboolean dirIn = FALSE, inout = FALSE, create, maySkipICMP;
    unsigned int state = rule->flags & NWF_STATE_MASK;

    if (rule->direction == NWF_DIR_IN || rule->direction == NWF_DIR_INOUT) {
        dirIn = TRUE;
        inout = rule->direction == NWF_DIR_INOUT;
    }

    maySkipICMP = dirIn || inout;
    create = !(dirIn && !inout && state);
    if (create) {
        g_autofree char *m = state ? printStateFlags(state) : NULL;
        if (!iptCreateRuleInstance(fw, layer, dirIn, 'F', NWF_PFX_IN_TEMP, rule,
                                   ifname, it, m, FALSE, "RETURN",
                                   maySkipICMP, error))
            return FALSE;
    }

    maySkipICMP = !dirIn || inout;
    create = !(!dirIn && state);
    if (create) {
        g_autofree char *m = state ? printStateFlags(state) : NULL;
        if (!iptCreateRuleInstance(fw, layer, !dirIn, 'F', NWF_PFX_OUT_TEMP, rule,
                                   ifname, it, m, FALSE, "ACCEPT",
                                   maySkipICMP, error))
            return FALSE;
    }

    maySkipICMP = dirIn;
    create = !(dirIn && !inout && state);
    if (create) {
        g_autofree char *m = state ? printStateFlags(state) : NULL;
        if (!iptCreateRuleInstance(fw, layer, dirIn, 'H', NWF_PFX_IN_TEMP, rule,
                                   ifname, it, m, FALSE, "RETURN",
                                   maySkipICMP, error))
            return FALSE;
    }
    return TRUE;
}

gboolean
iptablesCreateRuleInstance(virFirewall *fw, virFirewallLayer layer,
                           const nwfRule *rule, const char *ifname,
                           nwfVarIter *it, GError **error)
{
    gboolean dirIn = FALSE, inout = FALSE, needState = TRUE, maySkipICMP;
    const char *m;

    if (!(rule->flags & NWF_RULE_NO_STATEMATCH) && (rule->flags & NWF_STATE_MASK))
        return iptCreateRuleInstanceStateCtrl(fw, layer, rule, ifname, it, error);

    if (rule->direction == NWF_DIR_IN || rule->direction == NWF_DIR_INOUT) {
        dirIn = TRUE;
        inout = rule->direction == NWF_DIR_INOUT;
        if (inout)
            needState = FALSE;
    }
    if (rule->flags & NWF_RULE_NO_STATEMATCH)
        needState = FALSE;

    maySkipICMP = dirIn || inout;
    m = needState ? (dirIn ? "ESTABLISHED" : "NEW,ESTABLISHED") : NULL;
    if (!iptCreateRuleInstance(fw, layer, dirIn, 'F', NWF_PFX_IN_TEMP, rule, ifname,
                               it, m, TRUE, "RETURN", maySkipICMP, error))
        return FALSE;

    maySkipICMP = !dirIn || inout;
    m = needState ? (dirIn ? "NEW,ESTABLISHED" : "ESTABLISHED") : NULL;
    if (!iptCreateRuleInstance(fw, layer, !dirIn, 'F', NWF_PFX_OUT_TEMP, rule, ifname,
                               it, m, TRUE, "ACCEPT", maySkipICMP, error))
        return FALSE;

    maySkipICMP = dirIn;
    m = needState ? (dirIn ? "ESTABLISHED" : "NEW,ESTABLISHED") : NULL;
    return iptCreateRuleInstance(fw, layer, dirIn, 'H', NWF_PFX_IN_TEMP, rule, ifname,
                                 it, m, TRUE, "RETURN", maySkipICMP, error);
}
