/*
 * normalize-values.c: values as the tools save them
 *
 * The names the tools know (protocols, ethertypes, ICMP types, log levels)
 * and how an address, a MAC address, a protocol or a port range is printed
 * by *-save, for both families. Every table is what iptables 1.8.9 and
 * netbase 6.4 on Debian 12 hold (see normalize.c).
 */
#include "restore/normalize-priv.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* lookup tables                                                       */

/* netbase 6.4 /etc/protocols (first name = what getprotobynumber gives) */
const NormNamedNumber normProtocols[] = {
    {"ip", 0}, {"icmp", 1}, {"igmp", 2}, {"ggp", 3}, {"ipencap", 4},
    {"st", 5}, {"tcp", 6}, {"egp", 8}, {"igp", 9}, {"pup", 12},
    {"udp", 17}, {"hmp", 20}, {"xns-idp", 22}, {"rdp", 27},
    {"iso-tp4", 29}, {"dccp", 33}, {"xtp", 36}, {"ddp", 37},
    {"idpr-cmtp", 38}, {"ipv6", 41}, {"ipv6-route", 43},
    {"ipv6-frag", 44}, {"idrp", 45}, {"rsvp", 46}, {"gre", 47},
    {"esp", 50}, {"ah", 51}, {"skip", 57}, {"ipv6-icmp", 58},
    {"ipv6-nonxt", 59}, {"ipv6-opts", 60}, {"rspf", 73}, {"vmtp", 81},
    {"eigrp", 88}, {"ospf", 89}, {"ax.25", 93}, {"ipip", 94},
    {"etherip", 97}, {"encap", 98}, {"pim", 103}, {"ipcomp", 108},
    {"vrrp", 112}, {"l2tp", 115}, {"isis", 124}, {"sctp", 132},
    {"fc", 133}, {"mobility-header", 135}, {"udplite", 136},
    {"mpls-in-ip", 137}, {"manet", 138}, {"hip", 139}, {"shim6", 140},
    {"wesp", 141}, {"rohc", 142}, {"ethernet", 143},
    /* aliases (input only; after the canonical entries) */
    {"hopopt", 0}, {"ip-encap", 4}, {"icmpv6", 58}, {"mh", 135},
    {"ipv6-mh", 135}, {"ospfigp", 89},
    {NULL, 0}
};

/* netbase 6.4 /etc/ethertypes: first name per number, then aliases */
const NormNamedNumber normEthertypes[] = {
    {"IPv4", 0x0800}, {"X25", 0x0805}, {"ARP", 0x0806}, {"FR_ARP", 0x0808},
    {"BPQ", 0x08FF}, {"TRILL", 0x22F3}, {"L2-IS-IS", 0x22F4},
    {"TEB", 0x6558}, {"RAW_FR", 0x6559}, {"RARP", 0x8035},
    {"ATALK", 0x809B}, {"AARP", 0x80F3}, {"802_1Q", 0x8100},
    {"IPX", 0x8137}, {"NetBEUI", 0x8191}, {"IPv6", 0x86DD}, {"PPP", 0x880B},
    {"MPLS", 0x8847}, {"MPLS_MULTI", 0x8848}, {"ATMMPOA", 0x884C},
    {"PPP_DISC", 0x8863}, {"PPP_SES", 0x8864}, {"ATMFATE", 0x8884},
    {"EAPOL", 0x888E}, {"S-TAG", 0x88A8}, {"EAP_PREAUTH", 0x88C7},
    {"LLDP", 0x88CC}, {"MACSEC", 0x88E5}, {"PBB", 0x88E7},
    {"MVRP", 0x88F5}, {"PTP", 0x88F7}, {"FCOE", 0x8906}, {"FIP", 0x8914},
    {"ROCE", 0x8915}, {"LoWPAN", 0xA0ED},
    {"ip", 0x0800}, {"ip4", 0x0800}, {"ether-arp", 0x0806},
    {"8021q", 0x8100}, {"1q", 0x8100}, {"802.1q", 0x8100},
    {"dot1q", 0x8100}, {"ip6", 0x86DD}, {"macinmac", 0x88E7},
    {NULL, 0}
};

/* the few service names libvirt-adjacent rules use (/etc/services) */
static const NormNamedNumber normServices[] = {
    {"ftp", 21}, {"ssh", 22}, {"telnet", 23}, {"smtp", 25}, {"domain", 53},
    {"bootps", 67}, {"bootpc", 68}, {"tftp", 69}, {"http", 80},
    {"ntp", 123}, {"https", 443}, {"dhcpv6-client", 546},
    {"dhcpv6-server", 547},
    {NULL, 0}
};

const NormNamedNumber normArpOps[] = {
    {"Request", 1}, {"Reply", 2}, {"Request_Reverse", 3},
    {"Reply_Reverse", 4}, {"DRARP_Request", 5}, {"DRARP_Reply", 6},
    {"DRARP_Error", 7}, {"InARP_Request", 8}, {"ARP_NAK", 9},
    {NULL, 0}
};

const NormNamedNumber normLogLevels[] = {
    {"emerg", 0}, {"alert", 1}, {"crit", 2}, {"error", 3}, {"err", 3},
    {"warning", 4}, {"warn", 4}, {"notice", 5}, {"info", 6}, {"debug", 7},
    {"panic", 0},
    {NULL, 0}
};

/* iptables 1.8.9 extensions/libxt_icmp.h */
const NormIcmpName normIcmpNames[] = {
    {"any", 0xFF, 0, 0xFF},
    {"echo-reply", 0, 0, 0xFF}, {"pong", 0, 0, 0xFF},
    {"destination-unreachable", 3, 0, 0xFF},
    {"network-unreachable", 3, 0, 0}, {"host-unreachable", 3, 1, 1},
    {"protocol-unreachable", 3, 2, 2}, {"port-unreachable", 3, 3, 3},
    {"fragmentation-needed", 3, 4, 4}, {"source-route-failed", 3, 5, 5},
    {"network-unknown", 3, 6, 6}, {"host-unknown", 3, 7, 7},
    {"network-prohibited", 3, 9, 9}, {"host-prohibited", 3, 10, 10},
    {"TOS-network-unreachable", 3, 11, 11},
    {"TOS-host-unreachable", 3, 12, 12},
    {"communication-prohibited", 3, 13, 13},
    {"host-precedence-violation", 3, 14, 14},
    {"precedence-cutoff", 3, 15, 15},
    {"source-quench", 4, 0, 0xFF},
    {"redirect", 5, 0, 0xFF}, {"network-redirect", 5, 0, 0},
    {"host-redirect", 5, 1, 1}, {"TOS-network-redirect", 5, 2, 2},
    {"TOS-host-redirect", 5, 3, 3},
    {"echo-request", 8, 0, 0xFF}, {"ping", 8, 0, 0xFF},
    {"router-advertisement", 9, 0, 0xFF},
    {"router-solicitation", 10, 0, 0xFF},
    {"time-exceeded", 11, 0, 0xFF}, {"ttl-exceeded", 11, 0, 0xFF},
    {"ttl-zero-during-transit", 11, 0, 0},
    {"ttl-zero-during-reassembly", 11, 1, 1},
    {"parameter-problem", 12, 0, 0xFF}, {"ip-header-bad", 12, 0, 0},
    {"required-option-missing", 12, 1, 1},
    {"timestamp-request", 13, 0, 0xFF}, {"timestamp-reply", 14, 0, 0xFF},
    {"address-mask-request", 17, 0, 0xFF},
    {"address-mask-reply", 18, 0, 0xFF},
    {NULL, 0, 0, 0}
};

const NormIcmpName normIcmp6Names[] = {
    {"destination-unreachable", 1, 0, 0xFF}, {"no-route", 1, 0, 0},
    {"communication-prohibited", 1, 1, 1}, {"beyond-scope", 1, 2, 2},
    {"address-unreachable", 1, 3, 3}, {"port-unreachable", 1, 4, 4},
    {"failed-policy", 1, 5, 5}, {"reject-route", 1, 6, 6},
    {"packet-too-big", 2, 0, 0xFF},
    {"time-exceeded", 3, 0, 0xFF}, {"ttl-exceeded", 3, 0, 0xFF},
    {"ttl-zero-during-transit", 3, 0, 0},
    {"ttl-zero-during-reassembly", 3, 1, 1},
    {"parameter-problem", 4, 0, 0xFF}, {"bad-header", 4, 0, 0},
    {"unknown-header-type", 4, 1, 1}, {"unknown-option", 4, 2, 2},
    {"echo-request", 128, 0, 0xFF}, {"ping", 128, 0, 0xFF},
    {"echo-reply", 129, 0, 0xFF}, {"pong", 129, 0, 0xFF},
    {"router-solicitation", 133, 0, 0xFF},
    {"router-advertisement", 134, 0, 0xFF},
    {"neighbour-solicitation", 135, 0, 0xFF},
    {"neighbor-solicitation", 135, 0, 0xFF},
    {"neighbour-advertisement", 136, 0, 0xFF},
    {"neighbor-advertisement", 136, 0, 0xFF},
    {"redirect", 137, 0, 0xFF},
    {NULL, 0, 0, 0}
};

int
normLookupName(const NormNamedNumber *tab, const char *name, gboolean icase)
{
    for (size_t i = 0; tab[i].name; i++) {
        if (icase ? g_ascii_strcasecmp(tab[i].name, name) == 0
                  : strcmp(tab[i].name, name) == 0)
            return tab[i].num;
    }
    return -1;
}

const char *
normLookupNum(const NormNamedNumber *tab, int num)
{
    for (size_t i = 0; tab[i].name; i++) {
        if (tab[i].num == num)
            return tab[i].name;
    }
    return NULL;
}

/* strict unsigned parse; base 0 = C rules (0x.., 0..) */
gboolean
normParseUInt(const char *s, int base, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;

    if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
        return FALSE;
    errno = 0;
    v = strtoul(s, &end, base);
    if (errno || *end || v > max)
        return FALSE;
    *out = v;
    return TRUE;
}


/* ------------------------------------------------------------------ */
/* value normalizers shared by both families                           */

/* "a.b.c.d[/N|/mask]" -> (addr, prefix) ; prefix -1 = non-contiguous */
static gboolean
normParseV4(const char *s, struct in_addr *addr, struct in_addr *mask)
{
    g_autofree char *host = g_strdup(s);
    char *slash = strchr(host, '/');
    unsigned long n;

    if (slash)
        *slash++ = '\0';
    if (inet_pton(AF_INET, host, addr) != 1)
        return FALSE;
    if (!slash) {
        mask->s_addr = 0xFFFFFFFFu;
    } else if (strchr(slash, '.')) {
        if (inet_pton(AF_INET, slash, mask) != 1)
            return FALSE;
    } else {
        if (!normParseUInt(slash, 10, 32, &n))
            return FALSE;
        mask->s_addr = n == 0 ? 0 : htonl(0xFFFFFFFFu << (32 - n));
    }
    addr->s_addr &= mask->s_addr;
    return TRUE;
}

static int
normMaskLen(const unsigned char *m, size_t len)
{
    int bits = 0;
    size_t i = 0;

    for (; i < len && m[i] == 0xFF; i++)
        bits += 8;
    if (i < len) {
        unsigned char b = m[i];
        while (b & 0x80) {
            bits++;
            b <<= 1;
        }
        if (b)
            return -1;
        for (i++; i < len; i++)
            if (m[i])
                return -1;
    }
    return bits;
}

static gboolean
normParseV6(const char *s, struct in6_addr *addr, struct in6_addr *mask)
{
    g_autofree char *host = g_strdup(s);
    char *slash = strchr(host, '/');
    unsigned long n;

    if (slash)
        *slash++ = '\0';
    if (inet_pton(AF_INET6, host, addr) != 1)
        return FALSE;
    memset(mask, 0, sizeof(*mask));
    if (!slash) {
        n = 128;
    } else if (strchr(slash, ':')) {
        if (inet_pton(AF_INET6, slash, mask) != 1)
            return FALSE;
        goto apply;
    } else if (!normParseUInt(slash, 10, 128, &n)) {
        return FALSE;
    }
    for (unsigned long i = 0; i < n; i++)
        mask->s6_addr[i / 8] |= 0x80 >> (i % 8);
 apply:
    for (int i = 0; i < 16; i++)
        addr->s6_addr[i] &= mask->s6_addr[i];
    return TRUE;
}

/* returns NULL for "omit"; returns a copy of @s if it cannot be parsed,
 * and then *inexact: the tools resolve a host name (iptables -s localhost,
 * ebtables --ip-src localhost: 127.0.0.1), as their namespace's resolver
 * answers, and print the address */
char *
normFormatAddr(gboolean v6, const char *s, NormAddrStyle style, gboolean *inexact)
{
    char buf[INET6_ADDRSTRLEN], mbuf[INET6_ADDRSTRLEN];
    int bits, full = v6 ? 128 : 32;

    if (v6) {
        struct in6_addr a, m;
        if (!normParseV6(s, &a, &m)) {
            *inexact = TRUE;
            return g_strdup(s);
        }
        bits = normMaskLen(m.s6_addr, 16);
        inet_ntop(AF_INET6, &a, buf, sizeof(buf));
        inet_ntop(AF_INET6, &m, mbuf, sizeof(mbuf));
    } else {
        struct in_addr a, m;
        if (!normParseV4(s, &a, &m)) {
            *inexact = TRUE;
            return g_strdup(s);
        }
        bits = normMaskLen((const unsigned char *)&m.s_addr, 4);
        inet_ntop(AF_INET, &a, buf, sizeof(buf));
        inet_ntop(AF_INET, &m, mbuf, sizeof(mbuf));
    }
    if (style == NORM_ADDR_IPTABLES) {
        if (bits == 0)
            return NULL;
        if (bits < 0)
            return g_strdup_printf("%s/%s", buf, mbuf);
        return g_strdup_printf("%s/%d", buf, bits);
    }
    if (bits == full)
        return g_strdup(buf);
    if (bits < 0)
        return g_strdup_printf("%s/%s", buf, mbuf);
    return g_strdup_printf("%s/%d", buf, bits);
}

/* "0:1:2:3:4:5" -> bytes; FALSE if not a MAC */
gboolean
normParseMacBytes(const char *s, unsigned char out[6])
{
    const char *p = s;

    for (int i = 0; i < 6; i++) {
        unsigned int v = 0;
        int digits = 0;
        while (isxdigit((unsigned char)*p) && digits < 3) {
            v = v * 16 + (unsigned int)g_ascii_xdigit_value(*p);
            p++;
            digits++;
        }
        if (digits == 0 || digits > 2)
            return FALSE;
        out[i] = (unsigned char)v;
        if (i < 5) {
            if (*p != ':')
                return FALSE;
            p++;
        }
    }
    return *p == '\0';
}

char *
normMacStr(const unsigned char m[6], gboolean pad)
{
    if (pad)
        return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x",
                               m[0], m[1], m[2], m[3], m[4], m[5]);
    return g_strdup_printf("%x:%x:%x:%x:%x:%x",
                           m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const struct {
    const char *name;
    unsigned char addr[6], mask[6];
} normMacNames[] = {
    {"Unicast", {0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0}},
    {"Multicast", {1, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0}},
    {"Broadcast", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
                  {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
    {"BGA", {0x01, 0x80, 0xc2, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
};

/* ebtables MAC[/mask]; @names: -s/-d style special names */
char *
normFormatEbMac(const char *s, gboolean names)
{
    g_autofree char *a = g_strdup(s);
    char *slash = strchr(a, '/');
    unsigned char addr[6], mask[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char ones[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

    if (slash)
        *slash++ = '\0';
    if (names && !slash) {
        for (size_t i = 0; i < G_N_ELEMENTS(normMacNames); i++)
            if (g_ascii_strcasecmp(a, normMacNames[i].name) == 0)
                return g_strdup(normMacNames[i].name);
    }
    if (!normParseMacBytes(a, addr) || (slash && !normParseMacBytes(slash, mask)))
        return g_strdup(s);
    for (int i = 0; i < 6; i++)
        addr[i] &= mask[i];
    if (names) {
        for (size_t i = 0; i < G_N_ELEMENTS(normMacNames); i++)
            if (memcmp(addr, normMacNames[i].addr, 6) == 0 &&
                memcmp(mask, normMacNames[i].mask, 6) == 0)
                return g_strdup(normMacNames[i].name);
    }
    if (memcmp(mask, ones, 6) == 0)
        return normMacStr(addr, TRUE);
    {
        g_autofree char *as = normMacStr(addr, TRUE);
        g_autofree char *ms = normMacStr(mask, TRUE);
        return g_strdup_printf("%s/%s", as, ms);
    }
}

/* protocol number or name -> canonical name, or number string */
char *
normProtoName(const char *s, gboolean *isAll)
{
    unsigned long n;
    int num;
    const char *name;

    if (isAll)
        *isAll = FALSE;
    if (normParseUInt(s, 10, 255, &n)) {
        num = (int)n;
    } else if (g_ascii_strcasecmp(s, "all") == 0) {
        num = 0;
    } else {
        num = normLookupName(normProtocols, s, TRUE);
        if (num < 0)
            return g_ascii_strdown(s, -1);
    }
    if (num == 0 && isAll) {
        *isAll = TRUE;
        return NULL;
    }
    name = normLookupNum(normProtocols, num);
    if (name)
        return g_strdup(name);
    return g_strdup_printf("%d", num);
}

/* port or service name -> number; NULL if unknown */
static gboolean
normPortNum(const char *s, unsigned long *out)
{
    int n;
    if (normParseUInt(s, 0, 65535, out))
        return TRUE;
    n = normLookupName(normServices, s, FALSE);
    if (n < 0)
        return FALSE;
    *out = (unsigned long)n;
    return TRUE;
}

/* "a[:b]" with open ends; ipt: 0:65535 -> NULL (omitted) */
char *
normFormatPortRange(const char *s, gboolean ipt, gboolean *full)
{
    g_autofree char *a = g_strdup(s);
    char *colon = strchr(a, ':');
    unsigned long lo = 0, hi = 65535;

    *full = FALSE;
    if (colon) {
        *colon++ = '\0';
        if (*a && !normPortNum(a, &lo))
            return g_strdup(s);
        if (*colon && !normPortNum(colon, &hi))
            return g_strdup(s);
    } else {
        if (!normPortNum(a, &lo))
            return g_strdup(s);
        hi = lo;
    }
    if (lo == 0 && hi == 65535 && ipt)
        *full = TRUE;
    if (lo == hi)
        return g_strdup_printf("%lu", lo);
    return g_strdup_printf("%lu:%lu", lo, hi);
}
