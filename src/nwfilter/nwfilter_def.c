/*
 * nwfilter_def.c: parse libvirt's <filter> XML.
 *
 * Value parsing follows libvirt's virNWFilterRuleDetailsParse: each
 * attribute tries its datatypes in bit order, a '$' value is a variable,
 * validators may rewrite the value. Unlike libvirt, unknown elements and
 * attributes are errors (libvirt ignores them silently).
 */
#include "nwfilter_def.h"
#include "nwfilter_attrs.h"
#include "firewall/error.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const protoNames[NWF_PROTO_LAST] = {
    "none", "mac", "vlan", "stp", "arp", "rarp", "ip", "ipv6", "tcp",
    "icmp", "igmp", "udp", "udplite", "esp", "ah", "sctp", "all",
    "tcp-ipv6", "icmpv6", "udp-ipv6", "udplite-ipv6", "esp-ipv6",
    "ah-ipv6", "sctp-ipv6", "all-ipv6",
};

const char *
nwfProtocolToString(nwfProtocol p)
{
    return p < NWF_PROTO_LAST ? protoNames[p] : "?";
}

const char *
nwfActionTarget(nwfAction a)
{
    static const char *const t[] = { "DROP", "ACCEPT", "REJECT", "RETURN",
                                     "CONTINUE" };
    return t[a];
}

bool
nwfRuleIsEthernet(const nwfRule *rule)
{
    return rule->protocol <= NWF_PROTO_IPV6;
}

bool
nwfRuleIsIPv4(const nwfRule *rule)
{
    return rule->protocol >= NWF_PROTO_TCP && rule->protocol <= NWF_PROTO_ALL;
}

bool
nwfRuleIsIPv6(const nwfRule *rule)
{
    return rule->protocol >= NWF_PROTO_TCP6 && rule->protocol <= NWF_PROTO_ALL6;
}

static void
ruleFree(nwfRule *rule)
{
    if (!rule)
        return;
    for (int i = 0; i < A_LAST; i++)
        g_free(rule->items[i].str);
    if (rule->vars)
        g_ptr_array_unref(rule->vars);
    g_free(rule);
}

static void
entryFree(gpointer p)
{
    nwfEntry *e = p;
    ruleFree(e->rule);
    if (e->include) {
        g_free(e->include->filter);
        if (e->include->params)
            g_hash_table_unref(e->include->params);
        g_free(e->include);
    }
    g_free(e);
}

void
nwfFilterFree(nwfFilter *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->uuid);
    g_free(def->chain);
    g_free(def->path);
    if (def->entries)
        g_ptr_array_unref(def->entries);
    g_free(def);
}

/* ---- error helper ---- */

typedef struct {
    const char *path;
} ParseCtx;

static void G_GNUC_PRINTF(4, 5)
parseError(GError **error, const ParseCtx *ctx, xmlNodePtr node,
           const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VF_ERROR, VF_ERROR_PARSE, "%s:%ld: <%s>: %s",
                ctx->path, node ? xmlGetLineNo(node) : 0L,
                node ? (const char *)node->name : "?", msg);
}

static char *
prop(xmlNodePtr node, const char *name)
{
    xmlChar *v = xmlGetProp(node, BAD_CAST name);
    char *r = v ? g_strdup((const char *)v) : NULL;
    xmlFree(v);
    return r;
}

/* ---- value parsers ---- */

static bool
strToUInt(const char *s, int base, unsigned int *out)
{
    char *end = NULL;
    unsigned long v;

    if (!s[0] || s[0] == '-')
        return false;
    errno = 0;
    v = strtoul(s, &end, base);
    if (errno || end == s || *end || v > G_MAXUINT)
        return false;
    *out = v;
    return true;
}

bool nwfParseMac(const char *s, uint8_t mac[6]);

bool
nwfParseMac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        char *end;
        unsigned long v;

        if (!g_ascii_isxdigit(*s))
            return false;
        errno = 0;
        v = strtoul(s, &end, 16);
        if (errno || v > 0xff || end - s > 2)
            return false;
        mac[i] = v;
        s = end;
        if (i < 5) {
            if (*s != ':')
                return false;
            s++;
        }
    }
    return *s == '\0';
}

static int
maskBits(const uint8_t *data, int len)
{
    int bits = 0;
    bool ones = true;

    for (int i = 0; i < len * 8; i++) {
        bool set = data[i / 8] & (0x80 >> (i % 8));
        if (ones) {
            if (set)
                bits++;
            else
                ones = false;
        } else if (set) {
            return -1;
        }
    }
    return bits;
}

static bool
parseAddr(int family, const char *s, char **out, uint8_t *bin)
{
    uint8_t buf[16];
    char txt[INET6_ADDRSTRLEN];

    if (inet_pton(family, s, buf) != 1)
        return false;
    if (bin)
        memcpy(bin, buf, family == AF_INET ? 4 : 16);
    if (out) {
        inet_ntop(family, buf, txt, sizeof(txt));
        *out = g_strdup(txt);
    }
    return true;
}

typedef struct { unsigned int v; const char *s; } IntMap;

static const IntMap macProtoMap[] = {
    { 0x0806, "arp" }, { 0x8035, "rarp" }, { 0x0800, "ipv4" },
    { 0x86dd, "ipv6" }, { 0x8100, "vlan" }, { 0, NULL }
};
static const IntMap arpOpcodeMap[] = {
    { 1, "Request" }, { 2, "Reply" }, { 3, "Request_Reverse" },
    { 4, "Reply_Reverse" }, { 5, "DRARP_Request" }, { 6, "DRARP_Reply" },
    { 7, "DRARP_Error" }, { 8, "InARP_Request" }, { 9, "ARP_NAK" },
    { 0, NULL }
};
static const IntMap ipProtoMap[] = {
    { 6, "tcp" }, { 17, "udp" }, { 136, "udplite" }, { 50, "esp" },
    { 51, "ah" }, { 1, "icmp" }, { 2, "igmp" }, { 132, "sctp" },
    { 58, "icmpv6" }, { 0, NULL }
};
static const IntMap stateMap[] = {
    { NWF_STATE_NEW, "NEW" }, { NWF_STATE_ESTABLISHED, "ESTABLISHED" },
    { NWF_STATE_RELATED, "RELATED" }, { NWF_STATE_INVALID, "INVALID" },
    { NWF_STATE_NONE, "NONE" }, { 0, NULL }
};
static const IntMap tcpFlagMap[] = {
    { 0x1, "FIN" }, { 0x2, "SYN" }, { 0x4, "RST" }, { 0x8, "PSH" },
    { 0x10, "ACK" }, { 0x20, "URG" }, { 0x3f, "ALL" }, { 0x0, "NONE" },
    { 0, NULL }
};

static bool
mapByString(const IntMap *map, const char *s, unsigned int *out)
{
    for (; map->s; map++) {
        if (g_ascii_strcasecmp(map->s, s) == 0) {
            *out = map->v;
            return true;
        }
    }
    return false;
}

/* libvirt's parseStringItems: comma/space separated case-insensitive
 * prefixes of the map's names */
static bool
parseItems(const IntMap *map, const char *input, unsigned int *flags)
{
    size_t i = 0;

    while (input[i]) {
        bool found = false;
        while (g_ascii_isspace(input[i]) || input[i] == ',')
            i++;
        if (!input[i])
            break;
        for (const IntMap *m = map; m->s; m++) {
            size_t l = strlen(m->s);
            if (g_ascii_strncasecmp(&input[i], m->s, l) == 0) {
                *flags |= m->v;
                i += l;
                found = true;
                break;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

#define VALID_IPSETNAME \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-+ "

/* Runs the validator; may rewrite the item. */
static bool
validate(nwfValidator v, nwfDatatype dt, const char *s, nwfItem *item,
         nwfRule *rule)
{
    unsigned int res;

    switch (v) {
    case V_NONE:
        return true;
    case V_MACPROTO:
        if (dt == DT_STRING) {
            if (!mapByString(macProtoMap, s, &res))
                return false;
            item->datatype = DT_UINT16;
        } else {
            res = item->u.num;
            if (res < 0x600)
                return false;
        }
        item->u.num = res;
        return true;
    case V_VLANID:
        return item->u.num <= 4095;
    case V_VLANPROTO:
        if (dt == DT_STRING) {
            if (!mapByString(macProtoMap, s, &res))
                return false;
            item->datatype = DT_UINT16;
        } else {
            res = item->u.num;
            if (res < 0x3c)
                return false;
        }
        item->u.num = res;
        return true;
    case V_ARPOPCODE:
        if (dt == DT_STRING) {
            if (!mapByString(arpOpcodeMap, s, &res))
                return false;
            item->datatype = DT_UINT16;
            item->u.num = res;
        }
        return true;
    case V_IPPROTO:
        if (dt == DT_STRING) {
            if (!mapByString(ipProtoMap, s, &res))
                return false;
            item->datatype = DT_UINT8_HEX;
            item->u.num = res;
        }
        return true;
    case V_DSCP:
        return (item->u.num & 0xff) <= 63;
    case V_STATE: {
        unsigned int flags = 0;
        if (!parseItems(stateMap, s, &flags))
            return false;
        if (flags & NWF_STATE_NONE)
            flags = NWF_STATE_NONE;
        item->u.num = flags;
        item->datatype = DT_UINT16;
        rule->flags |= flags;
        return true;
    }
    case V_TCPFLAGS: {
        g_autofree char *copy = g_strdup(s);
        char *sep = strchr(copy, '/');
        unsigned int mask = 0, flags = 0;
        if (!sep)
            return false;
        *sep = '\0';
        if (!parseItems(tcpFlagMap, copy, &mask) ||
            !parseItems(tcpFlagMap, sep + 1, &flags))
            return false;
        item->u.tcp.mask = mask & 0x3f;
        item->u.tcp.flags = flags & 0x3f;
        return true;
    }
    case V_IPSET:
        if (strlen(s) >= 32 || s[strspn(s, VALID_IPSETNAME)] != '\0')
            return false;
        g_free(item->str);
        item->str = g_strdup(s);
        return true;
    case V_IPSETFLAGS: {
        size_t idx = 0;
        item->u.ipset.flags = 0;
        item->u.ipset.nflags = 0;
        while (item->u.ipset.nflags < 6) {
            if (g_ascii_strncasecmp(&s[idx], "src", 3) == 0)
                item->u.ipset.flags |= 1 << item->u.ipset.nflags;
            else if (g_ascii_strncasecmp(&s[idx], "dst", 3) != 0)
                return false;
            item->u.ipset.nflags++;
            idx += 3;
            if (s[idx] != ',')
                break;
            idx++;
        }
        return s[idx] == '\0';
    }
    }
    return false;
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

/* Tries the attribute's datatypes in bit order; returns the one that
 * matched, or 0. */
static unsigned int
parseValue(const nwfAttrDef *att, const char *s, nwfItem *item)
{
    for (unsigned int dt = 1; dt < DT_LAST; dt <<= 1) {
        unsigned int v;
        uint8_t bin[16];

        if (!(att->datatypes & dt))
            continue;
        switch ((nwfDatatype)dt) {
        case DT_UINT8:
        case DT_UINT8_HEX:
            if (strToUInt(s, dt == DT_UINT8 ? 10 : 16, &v) && v <= 0xff) {
                item->u.num = v;
                return dt;
            }
            break;
        case DT_UINT16:
        case DT_UINT16_HEX:
            if (strToUInt(s, dt == DT_UINT16 ? 10 : 16, &v) && v <= 0xffff) {
                item->u.num = v;
                return dt;
            }
            break;
        case DT_UINT32:
        case DT_UINT32_HEX:
            if (strToUInt(s, dt == DT_UINT32 ? 10 : 16, &v)) {
                item->u.num = v;
                return dt;
            }
            break;
        case DT_IPADDR:
            if (parseAddr(AF_INET, s, &item->str, NULL))
                return dt;
            break;
        case DT_IPV6ADDR:
            if (parseAddr(AF_INET6, s, &item->str, NULL))
                return dt;
            break;
        case DT_IPMASK:
        case DT_IPV6MASK: {
            unsigned int max = dt == DT_IPMASK ? 32 : 128;
            int bits;
            if (strToUInt(s, 10, &v)) {
                if (v <= max) {
                    item->u.num = v;
                    return dt;
                }
            } else if (parseAddr(dt == DT_IPMASK ? AF_INET : AF_INET6, s,
                                 NULL, bin) &&
                       (bits = maskBits(bin, dt == DT_IPMASK ? 4 : 16)) >= 0) {
                item->u.num = bits;
                return dt;
            }
            break;
        }
        case DT_MACADDR:
            if (nwfParseMac(s, item->u.mac))
                return dt;
            break;
        case DT_MACMASK:
            if (nwfParseMac(s, item->u.mac) && maskBits(item->u.mac, 6) >= 0)
                return dt;
            break;
        case DT_STRING:
        case DT_IPSETNAME:
        case DT_IPSETFLAGS:
            if (att->validator != V_NONE)
                return dt;
            break;
        case DT_STRINGCOPY:
            item->str = g_strndup(s, 256);
            return dt;
        case DT_BOOLEAN:
            item->u.num = (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
                           strcmp(s, "yes") == 0);
            return dt;
        case DT_LAST:
            break;
        }
    }
    return 0;
}

static int
parseProtocolElement(const ParseCtx *ctx, xmlNodePtr node, nwfRule *rule,
                     const nwfProtocolDef *pd, GError **error)
{
    g_autofree char *match = prop(node, "match");
    unsigned int negflag = 0;

    if (match && strcmp(match, "no") == 0)
        negflag = NWF_ITEM_NEG;

    /* strictness: every attribute must be known */
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        const char *an = (const char *)a->name;
        bool known = strcmp(an, "match") == 0;
        for (const nwfAttrDef *att = pd->attrs; !known && att->name; att++)
            known = strcmp(att->name, an) == 0;
        if (!known) {
            parseError(error, ctx, node, "unknown attribute '%s'", an);
            return -1;
        }
    }

    for (const nwfAttrDef *att = pd->attrs; att->name; att++) {
        g_autofree char *val = prop(node, att->name);
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
                parseError(error, ctx, node, "attribute '%s': %s",
                           att->name, err->message);
                return -1;
            }
            item->flags = NWF_ITEM_EXISTS | NWF_ITEM_HASVAR | negflag;
            item->datatype = 0;
            continue;
        }
        dt = parseValue(att, val, item);
        if (dt) {
            item->datatype = dt;
            item->flags = NWF_ITEM_EXISTS | negflag;
            if (!validate(att->validator, dt, val, item, rule))
                dt = 0;
        }
        if (!dt) {
            item->flags = 0;
            parseError(error, ctx, node, "%s has illegal value %s",
                       att->name, val);
            return -1;
        }
    }

    /* virNWFilterRuleValidate */
    if (rule->protocol == NWF_PROTO_IP || rule->protocol == NWF_PROTO_IPV6) {
        if (NWF_ITEM_HAS(rule, A_SRCPORT) || NWF_ITEM_HAS(rule, A_DSTPORT) ||
            NWF_ITEM_HAS(rule, A_SRCPORTEND) || NWF_ITEM_HAS(rule, A_DSTPORTEND)) {
            unsigned int p = rule->items[A_IPPROTOCOL].u.num;
            if (!NWF_ITEM_HAS(rule, A_IPPROTOCOL) ||
                !(p == 6 || p == 17 || p == 33 || p == 132)) {
                parseError(error, ctx, node,
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

static void
fixupIPSet(nwfRule *r)
{
    if (NWF_ITEM_HAS(r, A_IPSET) && !NWF_ITEM_HAS(r, A_IPSETFLAGS)) {
        r->items[A_IPSETFLAGS].flags = NWF_ITEM_EXISTS;
        r->items[A_IPSETFLAGS].datatype = DT_IPSETFLAGS;
        r->items[A_IPSETFLAGS].u.ipset.nflags = 1;
        r->items[A_IPSETFLAGS].u.ipset.flags = 1;
    } else {
        r->items[A_IPSET].flags = 0;
        r->items[A_IPSETFLAGS].flags = 0;
    }
}

/* virNWFilterRuleDefFixup: masks/ends inherit the negation of their
 * start attribute */
static void
ruleFixup(nwfRule *r)
{
    switch (r->protocol) {
    case NWF_PROTO_MAC:
    case NWF_PROTO_VLAN:
        copyNeg(r, A_SRCMACMASK, A_SRCMAC);
        copyNeg(r, A_DSTMACMASK, A_DSTMAC);
        break;
    case NWF_PROTO_STP:
        copyNeg(r, A_SRCMACMASK, A_SRCMAC);
        copyNeg(r, A_STP_ROOTPRIHI, A_STP_ROOTPRI);
        copyNeg(r, A_STP_ROOTADDRMASK, A_STP_ROOTADDR);
        copyNeg(r, A_STP_ROOTCOSTHI, A_STP_ROOTCOST);
        copyNeg(r, A_STP_SNDRPRIOHI, A_STP_SNDRPRIO);
        copyNeg(r, A_STP_SNDRADDRMASK, A_STP_SNDRADDR);
        copyNeg(r, A_STP_PORTHI, A_STP_PORT);
        copyNeg(r, A_STP_AGEHI, A_STP_AGE);
        copyNeg(r, A_STP_MAXAGEHI, A_STP_MAXAGE);
        copyNeg(r, A_STP_HELLOHI, A_STP_HELLO);
        copyNeg(r, A_STP_FWDHI, A_STP_FWD);
        break;
    case NWF_PROTO_IP:
        copyNeg(r, A_SRCIPMASK, A_SRCIP);
        copyNeg(r, A_DSTIPMASK, A_DSTIP);
        fixupIPSet(r);
        break;
    case NWF_PROTO_IPV6:
        copyNeg(r, A_SRCIPMASK, A_SRCIP);
        copyNeg(r, A_DSTIPMASK, A_DSTIP);
        copyNeg(r, A_ICMPTYPEEND, A_ICMPTYPE);
        copyNeg(r, A_ICMPCODE, A_ICMPTYPE);
        copyNeg(r, A_ICMPCODEEND, A_ICMPTYPE);
        fixupIPSet(r);
        break;
    case NWF_PROTO_ARP:
    case NWF_PROTO_RARP:
    case NWF_PROTO_NONE:
    case NWF_PROTO_LAST:
        break;
    default:
        copyNeg(r, A_SRCIPMASK, A_SRCIP);
        copyNeg(r, A_DSTIPMASK, A_DSTIP);
        copyNeg(r, A_SRCIPTO, A_SRCIPFROM);
        copyNeg(r, A_DSTIPTO, A_DSTIPFROM);
        if (r->protocol == NWF_PROTO_TCP || r->protocol == NWF_PROTO_TCP6 ||
            r->protocol == NWF_PROTO_UDP || r->protocol == NWF_PROTO_UDP6 ||
            r->protocol == NWF_PROTO_SCTP || r->protocol == NWF_PROTO_SCTP6) {
            copyNeg(r, A_SRCPORTEND, A_SRCPORT);
            copyNeg(r, A_DSTPORT, A_SRCPORT);
            copyNeg(r, A_DSTPORTEND, A_SRCPORT);
        }
        if (r->protocol == NWF_PROTO_ICMP || r->protocol == NWF_PROTO_ICMPV6)
            copyNeg(r, A_ICMPCODE, A_ICMPTYPE);
        if (r->protocol != NWF_PROTO_ALL && r->protocol != NWF_PROTO_ALL6)
            fixupIPSet(r);
        break;
    }
}

static bool
checkAttrs(const ParseCtx *ctx, xmlNodePtr node, const char *const *allowed,
           GError **error)
{
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        if (!g_strv_contains(allowed, (const char *)a->name)) {
            parseError(error, ctx, node, "unknown attribute '%s'",
                       (const char *)a->name);
            return false;
        }
    }
    return true;
}

static nwfRule *
parseRule(const ParseCtx *ctx, xmlNodePtr node, GError **error)
{
    static const char *const allowed[] = { "action", "direction", "priority",
                                           "statematch", NULL };
    static const char *const actions[] = { "drop", "accept", "reject",
                                           "return", "continue", NULL };
    static const char *const dirs[] = { "in", "out", "inout", NULL };
    g_autofree char *action = prop(node, "action");
    g_autofree char *direction = prop(node, "direction");
    g_autofree char *prio = prop(node, "priority");
    g_autofree char *statematch = prop(node, "statematch");
    nwfRule *rule;
    const nwfProtocolDef *found = NULL;
    int i;

    if (!checkAttrs(ctx, node, allowed, error))
        return NULL;
    if (!action) {
        parseError(error, ctx, node, "rule node requires action attribute");
        return NULL;
    }
    for (i = 0; actions[i] && strcmp(actions[i], action) != 0; i++)
        ;
    if (!actions[i]) {
        parseError(error, ctx, node, "unknown rule action attribute value '%s'",
                   action);
        return NULL;
    }
    rule = g_new0(nwfRule, 1);
    rule->vars = g_ptr_array_new_with_free_func((GDestroyNotify)nwfVarAccessFree);
    rule->action = i;
    rule->line = xmlGetLineNo(node);
    if (!direction) {
        parseError(error, ctx, node, "rule node requires direction attribute");
        goto error;
    }
    for (i = 0; dirs[i] && strcmp(dirs[i], direction) != 0; i++)
        ;
    if (!dirs[i]) {
        parseError(error, ctx, node,
                   "unknown rule direction attribute value '%s'", direction);
        goto error;
    }
    rule->direction = i;

    rule->priority = 500;
    if (prio) {
        char *end;
        long v;
        errno = 0;
        v = strtol(prio, &end, 10);
        /* libvirt silently keeps 500 for bad or out-of-range values */
        if (!errno && end != prio && !*end && v >= -1000 && v <= 1000)
            rule->priority = v;
    }
    if (statematch && (strcmp(statematch, "0") == 0 ||
                       g_ascii_strcasecmp(statematch, "false") == 0))
        rule->flags |= NWF_RULE_NO_STATEMATCH;

    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        const nwfProtocolDef *pd;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        pd = nwfProtocolDefLookup((const char *)cur->name);
        if (!pd) {
            parseError(error, ctx, cur, "unknown protocol element");
            goto error;
        }
        if (found && found != pd) {
            parseError(error, ctx, cur,
                       "a rule can hold only one protocol element (has <%s>)",
                       found->element);
            goto error;
        }
        found = pd;
        rule->protocol = pd->protocol;
        if (parseProtocolElement(ctx, cur, rule, pd, error) < 0)
            goto error;
    }
    ruleFixup(rule);
    return rule;

 error:
    ruleFree(rule);
    return NULL;
}

static nwfInclude *
parseInclude(const ParseCtx *ctx, xmlNodePtr node, GError **error)
{
    static const char *const allowed[] = { "filter", NULL };
    g_autofree nwfInclude *inc = NULL;
    g_autofree char *filter = prop(node, "filter");

    if (!checkAttrs(ctx, node, allowed, error))
        return NULL;
    if (!filter) {
        parseError(error, ctx, node, "filterref requires a filter attribute");
        return NULL;
    }
    inc = g_new0(nwfInclude, 1);
    inc->params = nwfVarsNew();
    inc->line = xmlGetLineNo(node);
    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        static const char *const pallowed[] = { "name", "value", NULL };
        g_autofree char *name = NULL;
        g_autofree char *value = NULL;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)cur->name, "parameter") != 0) {
            parseError(error, ctx, cur, "unknown element in <filterref>");
            goto error;
        }
        if (!checkAttrs(ctx, cur, pallowed, error))
            goto error;
        name = prop(cur, "name");
        value = prop(cur, "value");
        if (!name || !value || !nwfVarNameIsValid(name) ||
            !nwfVarValueIsValid(value)) {
            parseError(error, ctx, cur, "invalid parameter name='%s' value='%s'",
                       name ? name : "", value ? value : "");
            goto error;
        }
        nwfVarsAdd(inc->params, name, value);
    }
    inc->filter = g_steal_pointer(&filter);
    return g_steal_pointer(&inc);

 error:
    g_hash_table_unref(inc->params);
    return NULL;
}

static const struct { const char *prefix; int prio; } chainPriorities[] = {
    { "root", 0 }, { "mac", -800 }, { "vlan", -750 }, { "ipv4", -700 },
    { "ipv6", -600 }, { "arp", -500 }, { "rarp", -400 },
};

static const char *const chainPrefixes[] = {
    "root", "mac", "vlan", "stp", "arp", "rarp", "ipv4", "ipv6", NULL
};

#define VALID_CHAINNAME \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.:-"
#define MAX_CHAIN_SUFFIX 12

static nwfFilter *
parseFilter(const ParseCtx *ctx, xmlNodePtr root, GError **error)
{
    static const char *const allowed[] = { "name", "chain", "priority", NULL };
    g_autoptr(nwfFilter) def = g_new0(nwfFilter, 1);
    g_autofree char *chain = NULL;
    g_autofree char *prio = NULL;
    bool havePrio = false;
    long chainPrio = 0;

    if (strcmp((const char *)root->name, "filter") != 0) {
        parseError(error, ctx, root, "root element must be <filter>");
        return NULL;
    }
    if (!checkAttrs(ctx, root, allowed, error))
        return NULL;
    def->path = g_strdup(ctx->path);
    def->entries = g_ptr_array_new_with_free_func(entryFree);
    def->name = prop(root, "name");
    if (!def->name || !def->name[0]) {
        parseError(error, ctx, root, "filter has no name");
        return NULL;
    }
    prio = prop(root, "priority");
    if (prio) {
        char *end;
        errno = 0;
        chainPrio = strtol(prio, &end, 10);
        if (errno || end == prio || *end || chainPrio < -1000 || chainPrio > 1000) {
            parseError(error, ctx, root,
                       "priority '%s' must be in the range [-1000, 1000]", prio);
            return NULL;
        }
        havePrio = true;
    }
    chain = prop(root, "chain");
    if (chain) {
        const char *prefix = NULL;
        if (strlen(chain) > MAX_CHAIN_SUFFIX) {
            parseError(error, ctx, root,
                       "name of chain is longer than %d characters",
                       MAX_CHAIN_SUFFIX);
            return NULL;
        }
        if (chain[strspn(chain, VALID_CHAINNAME "0123456789")] != '\0') {
            parseError(error, ctx, root,
                       "chain name '%s' contains invalid characters", chain);
            return NULL;
        }
        if (strcmp(chain, "root") == 0) {
            prefix = "root";
        } else if (!g_str_has_prefix(chain, "root")) {
            for (int i = 1; chainPrefixes[i]; i++) {
                if (g_str_has_prefix(chain, chainPrefixes[i])) {
                    prefix = chainPrefixes[i];
                    break;
                }
            }
        }
        if (!prefix) {
            parseError(error, ctx, root,
                       "invalid chain name '%s': use 'root' or a name starting "
                       "with mac, vlan, stp, arp, rarp, ipv4 or ipv6", chain);
            return NULL;
        }
        def->chain = g_steal_pointer(&chain);
        if (havePrio) {
            def->chainPriority = chainPrio;
        } else {
            def->chainPriority = 0;   /* (1000 + -1000) / 2, e.g. stp */
            for (guint i = 0; i < G_N_ELEMENTS(chainPriorities); i++)
                if (strcmp(chainPriorities[i].prefix, prefix) == 0)
                    def->chainPriority = chainPriorities[i].prio;
        }
    } else {
        def->chain = g_strdup("root");
        def->chainPriority = havePrio ? chainPrio : 0;
    }

    for (xmlNodePtr cur = root->children; cur; cur = cur->next) {
        nwfEntry *entry;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)cur->name, "uuid") == 0) {
            xmlChar *c = xmlNodeGetContent(cur);
            g_free(def->uuid);
            def->uuid = g_strstrip(g_strdup((const char *)c));
            xmlFree(c);
            continue;
        }
        entry = g_new0(nwfEntry, 1);
        if (strcmp((const char *)cur->name, "rule") == 0) {
            entry->rule = parseRule(ctx, cur, error);
        } else if (strcmp((const char *)cur->name, "filterref") == 0) {
            entry->include = parseInclude(ctx, cur, error);
        } else {
            parseError(error, ctx, cur, "unknown element in <filter>");
        }
        if (!entry->rule && !entry->include) {
            g_free(entry);
            return NULL;
        }
        g_ptr_array_add(def->entries, entry);
    }
    return g_steal_pointer(&def);
}

static nwfFilter *
parseDoc(xmlDocPtr doc, const char *path, GError **error)
{
    ParseCtx ctx = { path };
    xmlNodePtr root = xmlDocGetRootElement(doc);

    if (!root) {
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE, "%s: empty document", path);
        return NULL;
    }
    return parseFilter(&ctx, root, error);
}

static void
setXmlError(const char *path, GError **error)
{
    const xmlError *e = xmlGetLastError();
    g_autofree char *msg = g_strdup(e && e->message ? e->message : "parse error");

    g_strchomp(msg);
    g_set_error(error, VF_ERROR, VF_ERROR_PARSE, "%s:%d: bad XML: %s",
                path, e ? e->line : 0, msg);
}

static void
quietErrors(void *ctx, const char *msg, ...)
{
}

nwfFilter *
nwfFilterParseString(const char *xml, const char *path, GError **error)
{
    xmlDocPtr doc;
    nwfFilter *def;

    xmlSetGenericErrorFunc(NULL, quietErrors);
    xmlResetLastError();
    doc = xmlReadMemory(xml, strlen(xml), path, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        setXmlError(path, error);
        return NULL;
    }
    def = parseDoc(doc, path, error);
    xmlFreeDoc(doc);
    return def;
}

nwfFilter *
nwfFilterParseFile(const char *path, GError **error)
{
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    return nwfFilterParseString(text, path, error);
}
