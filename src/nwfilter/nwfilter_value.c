/*
 * nwfilter_value.c: attribute values, as libvirt 9.0 reads them
 */
#include "nwfilter_value.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* virStrToLong_ui: strtoul with the whole string consumed; leading blanks
 * and '+' taken, and a '-' as libvirt takes it on LP64: "-1" is UINT_MAX. */
static gboolean
strToUInt(const char *s, int base, unsigned int *out)
{
    unsigned long v;
    char *end = NULL;

    errno = 0;
    v = strtoul(s, &end, base);
    if (memchr(s, '-', end - s)) {
        if (-v > UINT_MAX)
            return FALSE;
        v &= UINT_MAX;
    }
    if (errno || end == s || *end || (unsigned int)v != v)
        return FALSE;
    *out = v;
    return TRUE;
}

gboolean
nwfParseMac(const char *s, uint8_t mac[6], const char **rest)
{
    for (int i = 0; i < 6; i++) {
        char *end;
        unsigned long v;

        /* strtoul would take a leading blank or sign */
        if (!g_ascii_isxdigit(*s))
            return FALSE;
        errno = 0;
        v = strtoul(s, &end, 16);
        if (errno || v > 0xff || end - s > 2)
            return FALSE;
        mac[i] = v;
        s = end;
        if (i == 5)
            break;
        if (*s != ':')
            return FALSE;
        s++;
    }
    /* virMacAddrParse compares a (signed) char: any byte >= 0x80 ends the
     * address too */
    if (*s && (signed char)*s > ' ')
        return FALSE;
    if (rest)
        *rest = s;
    return TRUE;
}

static int
maskBits(const uint8_t *data, int len)
{
    int bits = 0;
    gboolean ones = TRUE;

    for (int i = 0; i < len * 8; i++) {
        gboolean set = (data[i / 8] & (0x80 >> (i % 8))) != 0;
        if (ones) {
            if (set)
                bits++;
            else
                ones = FALSE;
        } else if (set) {
            return -1;
        }
    }
    return bits;
}

/* virSocketAddrParse + virSocketAddrFormat: getaddrinfo(AI_NUMERICHOST)
 * and getnameinfo(NI_NUMERICHOST), the text the rules carry. */
static gboolean
parseAddr(int family, const char *s, char **out, uint8_t *bin)
{
    struct addrinfo hints = { 0 };
    struct addrinfo *res = NULL;
    char host[NI_MAXHOST];

    hints.ai_family = family;
    hints.ai_flags = AI_NUMERICHOST;
    if (getaddrinfo(s, NULL, &hints, &res) != 0 || !res)
        return FALSE;
    if (bin) {
        if (family == AF_INET)
            memcpy(bin, &((struct sockaddr_in *)res->ai_addr)->sin_addr, 4);
        else
            memcpy(bin, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, 16);
    }
    if (out) {
        if (getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof(host),
                        NULL, 0, NI_NUMERICHOST) != 0) {
            freeaddrinfo(res);
            return FALSE;
        }
        *out = g_strdup(host);
    }
    freeaddrinfo(res);
    return TRUE;
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

static gboolean
mapByString(const IntMap *map, const char *s, unsigned int *out)
{
    for (; map->s; map++) {
        if (g_ascii_strcasecmp(map->s, s) == 0) {
            *out = map->v;
            return TRUE;
        }
    }
    return FALSE;
}

/* libvirt's parseStringItems: comma/space separated case-insensitive
 * prefixes of the map's names */
static gboolean
parseItems(const IntMap *map, const char *input, unsigned int *flags)
{
    size_t i = 0;

    while (input[i]) {
        gboolean found = FALSE;
        while (g_ascii_isspace(input[i]) || input[i] == ',')
            i++;
        if (!input[i])
            break;
        for (const IntMap *m = map; m->s; m++) {
            size_t l = strlen(m->s);
            if (g_ascii_strncasecmp(&input[i], m->s, l) == 0) {
                *flags |= m->v;
                i += l;
                found = TRUE;
                break;
            }
        }
        if (!found)
            return FALSE;
    }
    return TRUE;
}

#define VALID_IPSETNAME \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-+ "

gboolean
nwfValueValidate(const nwfAttrDef *att, unsigned int dt, const char *s,
                 nwfItem *item, nwfRule *rule)
{
    unsigned int res;

    switch (att->validator) {
    case NWF_VALIDATE_NONE:
        return TRUE;
    case NWF_VALIDATE_MACPROTO:
        if (dt == NWF_DATATYPE_STRING) {
            if (!mapByString(macProtoMap, s, &res))
                return FALSE;
            item->datatype = NWF_DATATYPE_UINT16;
        } else {
            res = item->u.num;
            if (res < 0x600)
                return FALSE;
        }
        item->u.num = res;
        return TRUE;
    case NWF_VALIDATE_VLANID:
        return item->u.num <= 4095;
    case NWF_VALIDATE_VLANPROTO:
        if (dt == NWF_DATATYPE_STRING) {
            if (!mapByString(macProtoMap, s, &res))
                return FALSE;
            item->datatype = NWF_DATATYPE_UINT16;
        } else {
            res = item->u.num;
            if (res < 0x3c)
                return FALSE;
        }
        item->u.num = res;
        return TRUE;
    case NWF_VALIDATE_ARPOPCODE:
        if (dt == NWF_DATATYPE_STRING) {
            if (!mapByString(arpOpcodeMap, s, &res))
                return FALSE;
            item->datatype = NWF_DATATYPE_UINT16;
            item->u.num = res;
        }
        return TRUE;
    case NWF_VALIDATE_IPPROTO:
        if (dt == NWF_DATATYPE_STRING) {
            if (!mapByString(ipProtoMap, s, &res))
                return FALSE;
            item->datatype = NWF_DATATYPE_UINT8_HEX;
            item->u.num = res;
        }
        return TRUE;
    case NWF_VALIDATE_DSCP:
        return (item->u.num & 0xff) <= 63;
    case NWF_VALIDATE_STATE: {
        unsigned int flags = 0;
        if (!parseItems(stateMap, s, &flags))
            return FALSE;
        if (flags & NWF_STATE_NONE)
            flags = NWF_STATE_NONE;
        item->u.num = flags;
        item->datatype = NWF_DATATYPE_UINT16;
        rule->flags |= flags;
        return TRUE;
    }
    case NWF_VALIDATE_TCPFLAGS: {
        g_autofree char *copy = g_strdup(s);
        char *sep = strchr(copy, '/');
        unsigned int mask = 0, flags = 0;
        if (!sep)
            return FALSE;
        *sep = '\0';
        if (!parseItems(tcpFlagMap, copy, &mask) ||
            !parseItems(tcpFlagMap, sep + 1, &flags))
            return FALSE;
        item->u.tcp.mask = mask & 0x3f;
        item->u.tcp.flags = flags & 0x3f;
        return TRUE;
    }
    case NWF_VALIDATE_IPSET:
        if (strlen(s) >= 32 || s[strspn(s, VALID_IPSETNAME)] != '\0')
            return FALSE;
        g_free(item->str);
        item->str = g_strdup(s);
        return TRUE;
    case NWF_VALIDATE_IPSETFLAGS: {
        size_t idx = 0;
        item->u.ipset.flags = 0;
        item->u.ipset.nflags = 0;
        while (item->u.ipset.nflags < 6) {
            if (g_ascii_strncasecmp(&s[idx], "src", 3) == 0)
                item->u.ipset.flags |= 1 << item->u.ipset.nflags;
            else if (g_ascii_strncasecmp(&s[idx], "dst", 3) != 0)
                return FALSE;
            item->u.ipset.nflags++;
            idx += 3;
            if (s[idx] != ',')
                break;
            idx++;
        }
        return s[idx] == '\0';
    }
    }
    return FALSE;
}

/* A number written with a blank or a sign is read, but not as written. */
static void
noteNumber(const char *s, unsigned int v, char **note)
{
    if (note && (g_ascii_isspace(s[0]) || strpbrk(s, "+-")))
        *note = g_strdup_printf("read as %u", v);
}

unsigned int
nwfValueParse(const nwfAttrDef *att, const char *s, nwfItem *item, char **note)
{
    for (unsigned int dt = 1; dt < NWF_DATATYPE_LAST; dt <<= 1) {
        unsigned int v;
        uint8_t bin[16];
        const char *rest;

        if (!(att->datatypes & dt))
            continue;
        switch ((nwfDatatype)dt) {
        case NWF_DATATYPE_UINT8:
        case NWF_DATATYPE_UINT8_HEX:
            if (strToUInt(s, dt == NWF_DATATYPE_UINT8 ? 10 : 16, &v) && v <= 0xff) {
                item->u.num = v;
                noteNumber(s, v, note);
                return dt;
            }
            break;
        case NWF_DATATYPE_UINT16:
        case NWF_DATATYPE_UINT16_HEX:
            if (strToUInt(s, dt == NWF_DATATYPE_UINT16 ? 10 : 16, &v) && v <= 0xffff) {
                item->u.num = v;
                noteNumber(s, v, note);
                return dt;
            }
            break;
        case NWF_DATATYPE_UINT32:
        case NWF_DATATYPE_UINT32_HEX:
            if (strToUInt(s, dt == NWF_DATATYPE_UINT32 ? 10 : 16, &v)) {
                item->u.num = v;
                noteNumber(s, v, note);
                return dt;
            }
            break;
        case NWF_DATATYPE_IPADDR:
        case NWF_DATATYPE_IPV6ADDR:
            if (parseAddr(dt == NWF_DATATYPE_IPADDR ? AF_INET : AF_INET6, s, &item->str, NULL)) {
                /* IPv6 has many spellings of one address; IPv4 short,
                 * octal and hex forms are worth a word */
                if (note && dt == NWF_DATATYPE_IPADDR && strcmp(item->str, s) != 0)
                    *note = g_strdup_printf("read as %s", item->str);
                return dt;
            }
            break;
        case NWF_DATATYPE_IPMASK:
        case NWF_DATATYPE_IPV6MASK: {
            unsigned int max = dt == NWF_DATATYPE_IPMASK ? 32 : 128;
            g_autofree char *canon = NULL;
            int bits;
            if (strToUInt(s, 10, &v)) {
                if (v <= max) {
                    item->u.num = v;
                    noteNumber(s, v, note);
                    return dt;
                }
            } else if (parseAddr(dt == NWF_DATATYPE_IPMASK ? AF_INET : AF_INET6, s,
                                 &canon, bin) &&
                       (bits = maskBits(bin, dt == NWF_DATATYPE_IPMASK ? 4 : 16)) >= 0) {
                item->u.num = bits;
                if (note && dt == NWF_DATATYPE_IPMASK && strcmp(canon, s) != 0)
                    *note = g_strdup_printf("read as %s (/%d)", canon, bits);
                return dt;
            }
            break;
        }
        case NWF_DATATYPE_MACADDR:
            if (nwfParseMac(s, item->u.mac, &rest)) {
                if (note && *rest)
                    *note = g_strdup_printf("'%s' after the address is ignored", rest);
                return dt;
            }
            break;
        case NWF_DATATYPE_MACMASK:
            if (nwfParseMac(s, item->u.mac, &rest) && maskBits(item->u.mac, 6) >= 0) {
                if (note && *rest)
                    *note = g_strdup_printf("'%s' after the mask is ignored", rest);
                return dt;
            }
            break;
        case NWF_DATATYPE_STRING:
        case NWF_DATATYPE_IPSETNAME:
        case NWF_DATATYPE_IPSETFLAGS:
            if (att->validator != NWF_VALIDATE_NONE)
                return dt;
            break;
        case NWF_DATATYPE_STRINGCOPY:
            item->str = g_strndup(s, NWF_MAX_COMMENT);
            if (note && strlen(s) > NWF_MAX_COMMENT)
                *note = g_strdup_printf("%zu bytes long: cut to %d", strlen(s),
                                        NWF_MAX_COMMENT);
            return dt;
        case NWF_DATATYPE_BOOLEAN:
            item->u.num = (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
                           strcmp(s, "yes") == 0);
            if (note && !item->u.num && strcmp(s, "false") != 0 &&
                strcmp(s, "0") != 0 && strcmp(s, "no") != 0)
                *note = g_strdup("read as false (only 'true', '1' and 'yes' "
                                 "are true)");
            return dt;
        case NWF_DATATYPE_LAST:
            break;
        }
    }
    return 0;
}

/* virUUIDParse: 32 hex digits, '-' and ' ' anywhere between pairs,
 * blanks around; the canonical form, or NULL. */
char *
nwfParseUUID(const char *s)
{
    uint8_t u[16];
    int i = 0;

    while (g_ascii_isspace(*s))
        s++;
    while (i < 16) {
        int hi, lo;
        if (*s == '-' || *s == ' ') {
            s++;
            continue;
        }
        if ((hi = g_ascii_xdigit_value(s[0])) < 0 ||
            (lo = g_ascii_xdigit_value(s[1])) < 0)
            return NULL;
        u[i++] = hi * 16 + lo;
        s += 2;
    }
    for (; *s; s++)
        if (!g_ascii_isspace(*s))
            return NULL;
    return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3],
                           u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
                           u[12], u[13], u[14], u[15]);
}
