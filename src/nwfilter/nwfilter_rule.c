/*
 * nwfilter_rule.c: a <rule> and its protocol element, as libvirt 9.0's
 * virNWFilterRuleParse and virNWFilterRuleDetailsParse read them, with a
 * warning for everything they ignore (docs/libvirt-parity.md)
 */
#include "nwfilter_parse.h"
#include "nwfilter_attrs.h"
#include "nwfilter_value.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Why an attribute of a protocol element is unknown: defined for other
 * elements, or close to one of this element's. */
static char *
protocolAttrHint(const char *attr, gconstpointer data)
{
    const nwfProtocolDef *pd = data;
    const char *best = NULL;
    guint bestDist = 3;

    for (const nwfAttrDef *att = pd->attrs; att->name; att++) {
        guint d = g_str_has_prefix(att->name, attr) ? 1 : nwfNameDistance(attr, att->name);
        if (d < bestDist) {
            bestDist = d;
            best = att->name;
        }
    }
    if (best)
        return g_strdup_printf("did you mean '%s'?", best);
    {
        g_autoptr(GString) others = g_string_new(NULL);
        guint n = 0;

        for (const nwfProtocolDef *p = nwfProtocolDefs; p->element; p++) {
            for (const nwfAttrDef *att = p->attrs; att->name; att++) {
                if (strcmp(att->name, attr) == 0) {
                    g_string_append_printf(others, "%s<%s>", n++ ? ", " : "",
                                           p->element);
                    break;
                }
            }
        }
        if (n)
            return g_strdup_printf("<%s> has none; %s %s it", pd->element,
                                   others->str, n > 1 ? "have" : "has");
    }
    return NULL;
}

static int
ruleAddVar(nwfRule *rule, nwfItem *item, const char *str, GError **error)
{
    nwfVarAccess *va = nwfVarAccessParse(str, error);

    if (!va)
        return -1;
    for (guint i = 0; i < rule->vars->len; i++) {
        if (nwfVarAccessEqual(rule->vars->pdata[i], va)) {
            nwfVarAccessFree(va);
            item->var = rule->vars->pdata[i];
            return 0;
        }
    }
    g_ptr_array_add(rule->vars, va);
    item->var = va;
    return 0;
}

/* ---- protocol elements ---- */

static int
parseProtocolElement(const nwfParseCtx *ctx, xmlNodePtr node, nwfRule *rule,
                     const nwfProtocolDef *pd, GError **error)
{
    g_autofree char *match = nwfProp(node, "match");
    g_autoptr(GPtrArray) known = g_ptr_array_new();
    unsigned int negflag = 0;

    if (match && strcmp(match, "no") == 0)
        negflag = NWF_ITEM_NEG;
    else if (match && strcmp(match, "yes") != 0)
        nwfParseWarn(ctx, node, "match='%s' is read as match='yes' (only 'no' negates)",
                     match);

    g_ptr_array_add(known, (gpointer)"match");
    for (const nwfAttrDef *att = pd->attrs; att->name; att++)
        g_ptr_array_add(known, (gpointer)att->name);
    g_ptr_array_add(known, NULL);
    nwfWarnUnknownAttrs(ctx, node, (const char *const *)known->pdata,
                        protocolAttrHint, pd);

    for (const nwfAttrDef *att = pd->attrs; att->name; att++) {
        g_autofree char *val = nwfProp(node, att->name);
        g_autofree char *note = NULL;
        nwfItem *item = &rule->items[att->attr];
        unsigned int dt;

        if (!val)
            continue;
        g_clear_pointer(&item->str, g_free);
        memset(&item->u, 0, sizeof(item->u));
        item->var = NULL;
        if (val[0] == '$') {
            g_autoptr(GError) err = NULL;
            if (ruleAddVar(rule, item, val + 1, &err) < 0) {
                nwfParseError(error, ctx, node, "attribute '%s': %s",
                              att->name, err->message);
                return -1;
            }
            item->flags = NWF_ITEM_EXISTS | NWF_ITEM_HASVAR | negflag;
            item->datatype = 0;
            continue;
        }
        dt = nwfValueParse(att, val, item, &note);
        if (dt) {
            item->datatype = dt;
            item->flags = NWF_ITEM_EXISTS | negflag;
            if (!nwfValueValidate(att, dt, val, item, rule))
                dt = 0;
        }
        if (!dt) {
            item->flags = 0;
            nwfParseError(error, ctx, node, "%s has illegal value %s",
                          att->name, val);
            return -1;
        }
        if (note)
            nwfParseWarn(ctx, node, "%s='%s': %s", att->name, val, note);
    }

    /* virNWFilterRuleValidate */
    if (rule->protocol == NWF_PROTO_IP || rule->protocol == NWF_PROTO_IPV6) {
        if (NWF_ITEM_HAS(rule, NWF_ATTR_SRCPORT) || NWF_ITEM_HAS(rule, NWF_ATTR_DSTPORT) ||
            NWF_ITEM_HAS(rule, NWF_ATTR_SRCPORTEND) || NWF_ITEM_HAS(rule, NWF_ATTR_DSTPORTEND)) {
            unsigned int p = rule->items[NWF_ATTR_IPPROTOCOL].u.num;
            if (!NWF_ITEM_HAS(rule, NWF_ATTR_IPPROTOCOL) ||
                !(p == 6 || p == 17 || p == 33 || p == 132)) {
                nwfParseError(error, ctx, node,
                              "%s rule with port specification requires protocol "
                              "specification with protocol to be either one of "
                              "tcp(6), udp(17), dccp(33), or sctp(132)",
                              rule->protocol == NWF_PROTO_IP ? "IP" : "IPv6");
                return -1;
            }
        }
    }
    return 0;
}

static void
copyNeg(nwfRule *r, nwfAttr to, nwfAttr from)
{
    r->items[to].flags = (r->items[to].flags & ~NWF_ITEM_NEG) |
                         (r->items[from].flags & NWF_ITEM_NEG);
}

/* virNWFilterRuleDefFixupIPSet: an ipset without ipsetflags gets "src";
 * any other combination loses both (libvirt 9.0: ipset and ipsetflags
 * together match without the set) */
static void
fixupIPSet(const nwfParseCtx *ctx, xmlNodePtr node, nwfRule *r)
{
    gboolean set = NWF_ITEM_HAS(r, NWF_ATTR_IPSET), flags = NWF_ITEM_HAS(r, NWF_ATTR_IPSETFLAGS);

    if (set && !flags) {
        r->items[NWF_ATTR_IPSETFLAGS].flags = NWF_ITEM_EXISTS;
        r->items[NWF_ATTR_IPSETFLAGS].datatype = NWF_DATATYPE_IPSETFLAGS;
        r->items[NWF_ATTR_IPSETFLAGS].u.ipset.nflags = 1;
        r->items[NWF_ATTR_IPSETFLAGS].u.ipset.flags = 1;
        return;
    }
    if (set)
        nwfParseWarn(ctx, node, "ipset and ipsetflags ignored: with both given, "
                     "libvirt 9.0 drops both and the rule matches without the set");
    else if (flags)
        nwfParseWarn(ctx, node, "ipsetflags ignored (no ipset)");
    r->items[NWF_ATTR_IPSET].flags = 0;
    r->items[NWF_ATTR_IPSETFLAGS].flags = 0;
}

/* virNWFilterRuleDefFixup: masks/ends inherit the negation of their
 * start attribute */
static void
ruleFixup(const nwfParseCtx *ctx, xmlNodePtr node, nwfRule *r)
{
    switch (r->protocol) {
    case NWF_PROTO_MAC:
    case NWF_PROTO_VLAN:
        copyNeg(r, NWF_ATTR_SRCMACMASK, NWF_ATTR_SRCMAC);
        copyNeg(r, NWF_ATTR_DSTMACMASK, NWF_ATTR_DSTMAC);
        break;
    case NWF_PROTO_STP:
        copyNeg(r, NWF_ATTR_SRCMACMASK, NWF_ATTR_SRCMAC);
        copyNeg(r, NWF_ATTR_STP_ROOTPRIHI, NWF_ATTR_STP_ROOTPRI);
        copyNeg(r, NWF_ATTR_STP_ROOTADDRMASK, NWF_ATTR_STP_ROOTADDR);
        copyNeg(r, NWF_ATTR_STP_ROOTCOSTHI, NWF_ATTR_STP_ROOTCOST);
        copyNeg(r, NWF_ATTR_STP_SNDRPRIOHI, NWF_ATTR_STP_SNDRPRIO);
        copyNeg(r, NWF_ATTR_STP_SNDRADDRMASK, NWF_ATTR_STP_SNDRADDR);
        copyNeg(r, NWF_ATTR_STP_PORTHI, NWF_ATTR_STP_PORT);
        copyNeg(r, NWF_ATTR_STP_AGEHI, NWF_ATTR_STP_AGE);
        copyNeg(r, NWF_ATTR_STP_MAXAGEHI, NWF_ATTR_STP_MAXAGE);
        copyNeg(r, NWF_ATTR_STP_HELLOHI, NWF_ATTR_STP_HELLO);
        copyNeg(r, NWF_ATTR_STP_FWDHI, NWF_ATTR_STP_FWD);
        break;
    case NWF_PROTO_IP:
        copyNeg(r, NWF_ATTR_SRCIPMASK, NWF_ATTR_SRCIP);
        copyNeg(r, NWF_ATTR_DSTIPMASK, NWF_ATTR_DSTIP);
        fixupIPSet(ctx, node, r);
        break;
    case NWF_PROTO_IPV6:
        copyNeg(r, NWF_ATTR_SRCIPMASK, NWF_ATTR_SRCIP);
        copyNeg(r, NWF_ATTR_DSTIPMASK, NWF_ATTR_DSTIP);
        copyNeg(r, NWF_ATTR_ICMPTYPEEND, NWF_ATTR_ICMPTYPE);
        copyNeg(r, NWF_ATTR_ICMPCODE, NWF_ATTR_ICMPTYPE);
        copyNeg(r, NWF_ATTR_ICMPCODEEND, NWF_ATTR_ICMPTYPE);
        fixupIPSet(ctx, node, r);
        break;
    case NWF_PROTO_ARP:
    case NWF_PROTO_RARP:
    case NWF_PROTO_NONE:
    case NWF_PROTO_LAST:
        break;
    default:
        copyNeg(r, NWF_ATTR_SRCIPMASK, NWF_ATTR_SRCIP);
        copyNeg(r, NWF_ATTR_DSTIPMASK, NWF_ATTR_DSTIP);
        copyNeg(r, NWF_ATTR_SRCIPTO, NWF_ATTR_SRCIPFROM);
        copyNeg(r, NWF_ATTR_DSTIPTO, NWF_ATTR_DSTIPFROM);
        if (r->protocol == NWF_PROTO_TCP || r->protocol == NWF_PROTO_TCP6 ||
            r->protocol == NWF_PROTO_UDP || r->protocol == NWF_PROTO_UDP6 ||
            r->protocol == NWF_PROTO_SCTP || r->protocol == NWF_PROTO_SCTP6) {
            copyNeg(r, NWF_ATTR_SRCPORTEND, NWF_ATTR_SRCPORT);
            copyNeg(r, NWF_ATTR_DSTPORT, NWF_ATTR_SRCPORT);
            copyNeg(r, NWF_ATTR_DSTPORTEND, NWF_ATTR_SRCPORT);
        }
        if (r->protocol == NWF_PROTO_ICMP || r->protocol == NWF_PROTO_ICMPV6)
            copyNeg(r, NWF_ATTR_ICMPCODE, NWF_ATTR_ICMPTYPE);
        if (r->protocol != NWF_PROTO_ALL && r->protocol != NWF_PROTO_ALL6)
            fixupIPSet(ctx, node, r);
        else if (NWF_ITEM_HAS(r, NWF_ATTR_IPSET) != NWF_ITEM_HAS(r, NWF_ATTR_IPSETFLAGS))
            /* no fixup for all/all-ipv6: the rules need both */
            nwfParseWarn(ctx, node, "%s ignored: <%s> matches a set only with both "
                         "ipset and ipsetflags", NWF_ITEM_HAS(r, NWF_ATTR_IPSET) ? "ipset"
                         : "ipsetflags", nwfProtocolToString(r->protocol));
        break;
    }
}

/* ---- <rule> ---- */

/* A misspelt or miscased protocol element leaves the rule without one: it
 * then matches every packet. */
static const nwfProtocolDef *
protocolLike(const char *element)
{
    for (const nwfProtocolDef *p = nwfProtocolDefs; p->element; p++) {
        if (g_ascii_strcasecmp(p->element, element) == 0 ||
            nwfNameDistance(p->element, element) <= 1)
            return p;
    }
    return NULL;
}

/* libvirt's loop over a rule's children: the first protocol element
 * decides the protocol; later elements of the same name are parsed into
 * the same rule (their attributes win); other elements are ignored. */
static gboolean
parseRuleChildren(const nwfParseCtx *ctx, xmlNodePtr node, nwfRule *rule,
                  GError **error)
{
    const nwfProtocolDef *found = NULL;
    xmlNodePtr ignored = NULL;

    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        const char *name = (const char *)cur->name;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (!found) {
            const nwfProtocolDef *pd = nwfProtocolDefLookup(name);
            if (!pd) {
                const nwfProtocolDef *like = protocolLike(name);
                nwfParseWarn(ctx, cur, "element ignored (not a protocol element%s%s%s)",
                             like ? "; did you mean <" : "", like ? like->element : "",
                             like ? ">?" : "");
                ignored = cur;
                continue;
            }
            found = pd;
            rule->protocol = pd->protocol;
        } else if (strcmp(name, found->element) == 0) {
            nwfParseWarn(ctx, cur, "a second <%s> in one rule: libvirt merges its "
                         "attributes into the first", name);
        } else {
            nwfParseWarn(ctx, cur, "element ignored (the rule's protocol element is "
                         "<%s>, and a rule has one)", found->element);
            continue;
        }
        if (parseProtocolElement(ctx, cur, rule, found, error) < 0)
            return FALSE;
    }
    if (!found && ignored)
        nwfParseWarn(ctx, node, "the rule has no protocol element: it matches every "
                     "packet");
    ruleFixup(ctx, node, rule);
    return TRUE;
}

nwfRule *
nwfParseRule(const nwfParseCtx *ctx, xmlNodePtr node, GError **error)
{
    static const char *const known[] = { "action", "direction", "priority",
                                         "statematch", NULL };
    static const char *const actions[] = { "drop", "accept", "reject",
                                           "return", "continue", NULL };
    static const char *const dirs[] = { "in", "out", "inout", NULL };
    g_autofree char *action = nwfProp(node, "action");
    g_autofree char *direction = nwfProp(node, "direction");
    g_autofree char *prio = nwfProp(node, "priority");
    g_autofree char *statematch = nwfProp(node, "statematch");
    nwfRule *rule;
    int i;

    if (!action) {
        nwfParseError(error, ctx, node, "rule node requires action attribute");
        return NULL;
    }
    for (i = 0; actions[i] && strcmp(actions[i], action) != 0; i++)
        ;
    if (!actions[i]) {
        nwfParseError(error, ctx, node, "unknown rule action attribute value '%s'",
                      action);
        return NULL;
    }
    rule = g_new0(nwfRule, 1);
    rule->vars = g_ptr_array_new_with_free_func((GDestroyNotify)nwfVarAccessFree);
    rule->action = i;
    rule->line = xmlGetLineNo(node);
    if (!direction) {
        nwfParseError(error, ctx, node, "rule node requires direction attribute");
        goto error;
    }
    for (i = 0; dirs[i] && strcmp(dirs[i], direction) != 0; i++)
        ;
    if (!dirs[i]) {
        nwfParseError(error, ctx, node,
                      "unknown rule direction attribute value '%s'", direction);
        goto error;
    }
    rule->direction = i;
    nwfWarnUnknownAttrs(ctx, node, known, NULL, NULL);

    rule->priority = 500;
    if (prio) {
        char *end;
        long v;
        errno = 0;
        v = strtol(prio, &end, 10);
        /* virStrToLong_i, then the range; libvirt keeps 500 silently */
        if (!errno && end != prio && !*end && v >= -1000 && v <= 1000)
            rule->priority = v;
        else
            nwfParseWarn(ctx, node, "priority='%s' ignored (not a number in "
                         "[-1000, 1000]): the rule has priority 500", prio);
    }
    if (statematch && (strcmp(statematch, "0") == 0 ||
                       g_ascii_strcasecmp(statematch, "false") == 0))
        rule->flags |= NWF_RULE_NO_STATEMATCH;
    else if (statematch && strcmp(statematch, "1") != 0 &&
             g_ascii_strcasecmp(statematch, "true") != 0)
        nwfParseWarn(ctx, node, "statematch='%s' keeps state matching on (only '0' "
                     "or 'false' turn it off)", statematch);

    if (!parseRuleChildren(ctx, node, rule, error))
        goto error;
    return rule;

 error:
    nwfRuleFree(rule);
    return NULL;
}

