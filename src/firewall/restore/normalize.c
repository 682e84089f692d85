/*
 * normalize.c: rule spec -> the tokens *-save prints for that rule
 *
 * Model: a spec is parsed into
 *   - the fixed header options (iptables: -s -d -i -o -p -f;
 *     ebtables: -p -s -d -i --logical-in -o --logical-out),
 *   - a list of extensions (iptables "-m NAME" matches, implicit protocol
 *     matches; ebtables matches/watchers in order of first use),
 *   - the target (-j/-g NAME) with its options.
 * Each known extension prints its options in a fixed order (the order of
 * its NzOptDef table), with values rewritten the way the kernel round trip
 * rewrites them. Unknown options stay where they were, relative to the
 * option before them. Every rule here was observed with iptables 1.8.9
 * (nf_tables) on Debian 12; see tests/restoredata/normalize/vocabulary.txt.
 */
#include "restore/normalize.h"
#include "restore/syntax.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* lookup tables                                                       */

typedef struct {
    const char *name;
    int num;
} NzNameNum;

/* netbase 6.4 /etc/protocols (first name = what getprotobynumber gives) */
static const NzNameNum nzProtocols[] = {
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
static const NzNameNum nzEthertypes[] = {
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
static const NzNameNum nzServices[] = {
    {"ftp", 21}, {"ssh", 22}, {"telnet", 23}, {"smtp", 25}, {"domain", 53},
    {"bootps", 67}, {"bootpc", 68}, {"tftp", 69}, {"http", 80},
    {"ntp", 123}, {"https", 443}, {"dhcpv6-client", 546},
    {"dhcpv6-server", 547},
    {NULL, 0}
};

static const NzNameNum nzArpOps[] = {
    {"Request", 1}, {"Reply", 2}, {"Request_Reverse", 3},
    {"Reply_Reverse", 4}, {"DRARP_Request", 5}, {"DRARP_Reply", 6},
    {"DRARP_Error", 7}, {"InARP_Request", 8}, {"ARP_NAK", 9},
    {NULL, 0}
};

static const NzNameNum nzLogLevels[] = {
    {"emerg", 0}, {"alert", 1}, {"crit", 2}, {"error", 3}, {"err", 3},
    {"warning", 4}, {"warn", 4}, {"notice", 5}, {"info", 6}, {"debug", 7},
    {"panic", 0},
    {NULL, 0}
};

typedef struct {
    const char *name;
    int type, cmin, cmax;
} NzIcmpName;

/* iptables 1.8.9 extensions/libxt_icmp.h */
static const NzIcmpName nzIcmpNames[] = {
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

static const NzIcmpName nzIcmp6Names[] = {
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

static int
nzLookupName(const NzNameNum *tab, const char *name, bool icase)
{
    for (size_t i = 0; tab[i].name; i++) {
        if (icase ? g_ascii_strcasecmp(tab[i].name, name) == 0
                  : strcmp(tab[i].name, name) == 0)
            return tab[i].num;
    }
    return -1;
}

static const char *
nzLookupNum(const NzNameNum *tab, int num)
{
    for (size_t i = 0; tab[i].name; i++) {
        if (tab[i].num == num)
            return tab[i].name;
    }
    return NULL;
}

/* strict unsigned parse; base 0 = C rules (0x.., 0..) */
static bool
nzParseUInt(const char *s, int base, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;

    if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
        return false;
    errno = 0;
    v = strtoul(s, &end, base);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

/* ------------------------------------------------------------------ */
/* parsed model                                                        */

typedef struct {
    char *name;       /* option as printed */
    bool inv;
    bool drop;        /* not printed at all */
    int rank;         /* print order inside its extension */
    GPtrArray *vals;  /* char *, owned */
} NzOpt;

typedef struct _NzExtDef NzExtDef;

typedef struct {
    char *name;           /* match / target name; NULL for raw option holder */
    const NzExtDef *def;  /* NULL if unknown */
    GPtrArray *opts;      /* NzOpt * */
} NzExt;

typedef struct {
    virFirewallLayer layer;
    /* header options, indexed by NzHdr */
    NzOpt *hdr[8];
    GPtrArray *exts;   /* NzExt *: matches / watchers in print order */
    NzExt *target;     /* may be NULL */
    bool gotoTarget;
    NzExt *cur;        /* where the next unknown option goes */
    NzExt *hdrRaw;     /* unknown options before any extension */
    bool inexact;      /* a value kept as given that the tools rewrite */
} NzCtx;

typedef void (*NzFixFunc)(NzCtx *ctx, NzExt *ext, NzOpt *opt);

typedef struct {
    const char *names[4];  /* names[0] is printed */
    int nargs;
    NzFixFunc fix;
} NzOptDef;

struct _NzExtDef {
    const char *name;
    const NzOptDef *opts;
    void (*finish)(NzCtx *ctx, NzExt *ext);
};

static void
nzOptFree(gpointer p)
{
    NzOpt *o = p;
    if (!o)
        return;
    g_free(o->name);
    g_ptr_array_unref(o->vals);
    g_free(o);
}

static NzOpt *
nzOptNew(const char *name, bool inv, int rank)
{
    NzOpt *o = g_new0(NzOpt, 1);
    o->name = g_strdup(name);
    o->inv = inv;
    o->rank = rank;
    o->vals = g_ptr_array_new_with_free_func(g_free);
    return o;
}

static void
nzExtFree(gpointer p)
{
    NzExt *e = p;
    if (!e)
        return;
    g_free(e->name);
    g_ptr_array_unref(e->opts);
    g_free(e);
}

static NzExt *
nzExtNew(const char *name, const NzExtDef *def)
{
    NzExt *e = g_new0(NzExt, 1);
    e->name = g_strdup(name);
    e->def = def;
    e->opts = g_ptr_array_new_with_free_func(nzOptFree);
    return e;
}

static const char *
nzVal(NzOpt *o, guint i)
{
    return i < o->vals->len ? g_ptr_array_index(o->vals, i) : NULL;
}

static void
nzSetVal(NzOpt *o, guint i, char *newval /* owned */)
{
    if (i < o->vals->len) {
        g_free(o->vals->pdata[i]);
        o->vals->pdata[i] = newval;
    } else {
        g_ptr_array_add(o->vals, newval);
    }
}

static NzOpt *
nzExtFind(NzExt *e, const char *name)
{
    for (guint i = 0; i < e->opts->len; i++) {
        NzOpt *o = g_ptr_array_index(e->opts, i);
        if (strcmp(o->name, name) == 0)
            return o;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* value normalizers shared by both families                           */

/* "a.b.c.d[/N|/mask]" -> (addr, prefix) ; prefix -1 = non-contiguous */
static bool
nzParseV4(const char *s, struct in_addr *addr, struct in_addr *mask)
{
    g_autofree char *host = g_strdup(s);
    char *slash = strchr(host, '/');
    unsigned long n;

    if (slash)
        *slash++ = '\0';
    if (inet_pton(AF_INET, host, addr) != 1)
        return false;
    if (!slash) {
        mask->s_addr = 0xFFFFFFFFu;
    } else if (strchr(slash, '.')) {
        if (inet_pton(AF_INET, slash, mask) != 1)
            return false;
    } else {
        if (!nzParseUInt(slash, 10, 32, &n))
            return false;
        mask->s_addr = n == 0 ? 0 : htonl(0xFFFFFFFFu << (32 - n));
    }
    addr->s_addr &= mask->s_addr;
    return true;
}

static int
nzMaskLen(const unsigned char *m, size_t len)
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

static bool
nzParseV6(const char *s, struct in6_addr *addr, struct in6_addr *mask)
{
    g_autofree char *host = g_strdup(s);
    char *slash = strchr(host, '/');
    unsigned long n;

    if (slash)
        *slash++ = '\0';
    if (inet_pton(AF_INET6, host, addr) != 1)
        return false;
    memset(mask, 0, sizeof(*mask));
    if (!slash) {
        n = 128;
    } else if (strchr(slash, ':')) {
        if (inet_pton(AF_INET6, slash, mask) != 1)
            return false;
        goto apply;
    } else if (!nzParseUInt(slash, 10, 128, &n)) {
        return false;
    }
    for (unsigned long i = 0; i < n; i++)
        mask->s6_addr[i / 8] |= 0x80 >> (i % 8);
 apply:
    for (int i = 0; i < 16; i++)
        addr->s6_addr[i] &= mask->s6_addr[i];
    return true;
}

typedef enum {
    NZ_ADDR_IPT,   /* iptables: always "/N", /0 -> omitted (NULL) */
    NZ_ADDR_EBT,   /* ebtables: full mask -> bare address, /0 printed */
} NzAddrStyle;

/* returns NULL for "omit"; returns a copy of @s if it cannot be parsed,
 * and then *inexact: the tools resolve a host name (iptables -s localhost,
 * ebtables --ip-src localhost: 127.0.0.1), as their namespace's resolver
 * answers, and print the address */
static char *
nzFormatAddr(bool v6, const char *s, NzAddrStyle style, bool *inexact)
{
    char buf[INET6_ADDRSTRLEN], mbuf[INET6_ADDRSTRLEN];
    int bits, full = v6 ? 128 : 32;

    if (v6) {
        struct in6_addr a, m;
        if (!nzParseV6(s, &a, &m)) {
            *inexact = true;
            return g_strdup(s);
        }
        bits = nzMaskLen(m.s6_addr, 16);
        inet_ntop(AF_INET6, &a, buf, sizeof(buf));
        inet_ntop(AF_INET6, &m, mbuf, sizeof(mbuf));
    } else {
        struct in_addr a, m;
        if (!nzParseV4(s, &a, &m)) {
            *inexact = true;
            return g_strdup(s);
        }
        bits = nzMaskLen((const unsigned char *)&m.s_addr, 4);
        inet_ntop(AF_INET, &a, buf, sizeof(buf));
        inet_ntop(AF_INET, &m, mbuf, sizeof(mbuf));
    }
    if (style == NZ_ADDR_IPT) {
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

/* "0:1:2:3:4:5" -> bytes; false if not a MAC */
static bool
nzParseMacBytes(const char *s, unsigned char out[6])
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
            return false;
        out[i] = (unsigned char)v;
        if (i < 5) {
            if (*p != ':')
                return false;
            p++;
        }
    }
    return *p == '\0';
}

static char *
nzMacStr(const unsigned char m[6], bool pad)
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
} nzMacNames[] = {
    {"Unicast", {0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0}},
    {"Multicast", {1, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0}},
    {"Broadcast", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
                  {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
    {"BGA", {0x01, 0x80, 0xc2, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
};

/* ebtables MAC[/mask]; @names: -s/-d style special names */
static char *
nzFormatEbMac(const char *s, bool names)
{
    g_autofree char *a = g_strdup(s);
    char *slash = strchr(a, '/');
    unsigned char addr[6], mask[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char ones[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

    if (slash)
        *slash++ = '\0';
    if (names && !slash) {
        for (size_t i = 0; i < G_N_ELEMENTS(nzMacNames); i++)
            if (g_ascii_strcasecmp(a, nzMacNames[i].name) == 0)
                return g_strdup(nzMacNames[i].name);
    }
    if (!nzParseMacBytes(a, addr) || (slash && !nzParseMacBytes(slash, mask)))
        return g_strdup(s);
    for (int i = 0; i < 6; i++)
        addr[i] &= mask[i];
    if (names) {
        for (size_t i = 0; i < G_N_ELEMENTS(nzMacNames); i++)
            if (memcmp(addr, nzMacNames[i].addr, 6) == 0 &&
                memcmp(mask, nzMacNames[i].mask, 6) == 0)
                return g_strdup(nzMacNames[i].name);
    }
    if (memcmp(mask, ones, 6) == 0)
        return nzMacStr(addr, true);
    {
        g_autofree char *as = nzMacStr(addr, true);
        g_autofree char *ms = nzMacStr(mask, true);
        return g_strdup_printf("%s/%s", as, ms);
    }
}

/* protocol number or name -> canonical name, or number string */
static char *
nzProtoName(const char *s, bool *isAll)
{
    unsigned long n;
    int num;
    const char *name;

    if (isAll)
        *isAll = false;
    if (nzParseUInt(s, 10, 255, &n)) {
        num = (int)n;
    } else if (g_ascii_strcasecmp(s, "all") == 0) {
        num = 0;
    } else {
        num = nzLookupName(nzProtocols, s, true);
        if (num < 0)
            return g_ascii_strdown(s, -1);
    }
    if (num == 0 && isAll) {
        *isAll = true;
        return NULL;
    }
    name = nzLookupNum(nzProtocols, num);
    if (name)
        return g_strdup(name);
    return g_strdup_printf("%d", num);
}

/* port or service name -> number; NULL if unknown */
static bool
nzPortNum(const char *s, unsigned long *out)
{
    int n;
    if (nzParseUInt(s, 0, 65535, out))
        return true;
    n = nzLookupName(nzServices, s, false);
    if (n < 0)
        return false;
    *out = (unsigned long)n;
    return true;
}

/* "a[:b]" with open ends; ipt: 0:65535 -> NULL (omitted) */
static char *
nzFormatPortRange(const char *s, bool ipt, bool *full)
{
    g_autofree char *a = g_strdup(s);
    char *colon = strchr(a, ':');
    unsigned long lo = 0, hi = 65535;

    *full = false;
    if (colon) {
        *colon++ = '\0';
        if (*a && !nzPortNum(a, &lo))
            return g_strdup(s);
        if (*colon && !nzPortNum(colon, &hi))
            return g_strdup(s);
    } else {
        if (!nzPortNum(a, &lo))
            return g_strdup(s);
        hi = lo;
    }
    if (lo == 0 && hi == 65535 && ipt)
        *full = true;
    if (lo == hi)
        return g_strdup_printf("%lu", lo);
    return g_strdup_printf("%lu:%lu", lo, hi);
}

/* ------------------------------------------------------------------ */
/* iptables fixers                                                     */

static void
nzFixPort(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    bool full;
    const char *v = nzVal(o, 0);
    if (!v)
        return;
    nzSetVal(o, 0, nzFormatPortRange(v, true, &full));
    if (full)
        o->drop = true;
}

static const char *nzTcpFlagNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};

static char *
nzFormatTcpFlags(const char *s)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    unsigned int bits = 0;
    GString *out;

    for (size_t i = 0; parts[i]; i++) {
        bool found = false;
        if (g_ascii_strcasecmp(parts[i], "ALL") == 0) {
            bits |= 0x3F;
            continue;
        }
        if (g_ascii_strcasecmp(parts[i], "NONE") == 0)
            continue;
        for (size_t j = 0; j < G_N_ELEMENTS(nzTcpFlagNames); j++) {
            if (g_ascii_strcasecmp(parts[i], nzTcpFlagNames[j]) == 0) {
                bits |= 1u << j;
                found = true;
            }
        }
        if (!found)
            return g_strdup(s);
    }
    if (!bits)
        return g_strdup("NONE");
    out = g_string_new(NULL);
    for (size_t j = 0; j < G_N_ELEMENTS(nzTcpFlagNames); j++) {
        if (bits & (1u << j)) {
            if (out->len)
                g_string_append_c(out, ',');
            g_string_append(out, nzTcpFlagNames[j]);
        }
    }
    return g_string_free(out, FALSE);
}

static void
nzFixTcpFlags(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    for (guint i = 0; i < 2 && i < o->vals->len; i++)
        nzSetVal(o, i, nzFormatTcpFlags(nzVal(o, i)));
}

static void
nzFixSyn(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    g_free(o->name);
    o->name = g_strdup("--tcp-flags");
    nzSetVal(o, 0, g_strdup("FIN,SYN,RST,ACK"));
    nzSetVal(o, 1, g_strdup("SYN"));
}

/* iptables icmp/icmp6: names -> numbers; 255 -> any (v4) */
static void
nzFixIptIcmp(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    const NzIcmpName *tab = strcmp(o->name, "--icmp-type") == 0 ?
        nzIcmpNames : nzIcmp6Names;
    const char *v = nzVal(o, 0);
    unsigned long t, c;
    g_auto(GStrv) tc = NULL;

    if (!v)
        return;
    for (size_t i = 0; tab[i].name; i++) {
        if (strcmp(tab[i].name, v) != 0)
            continue;
        if (tab[i].type == 0xFF)
            return;  /* "any" */
        if (tab[i].cmin == 0 && tab[i].cmax == 0xFF)
            nzSetVal(o, 0, g_strdup_printf("%d", tab[i].type));
        else
            nzSetVal(o, 0, g_strdup_printf("%d/%d", tab[i].type, tab[i].cmin));
        return;
    }
    tc = g_strsplit(v, "/", 2);
    if (!nzParseUInt(tc[0], 10, 255, &t))
        return;
    if (tc[1]) {
        if (!nzParseUInt(tc[1], 10, 255, &c))
            return;
        nzSetVal(o, 0, g_strdup_printf("%lu/%lu", t, c));
    } else if (t == 255 && tab == nzIcmpNames) {
        nzSetVal(o, 0, g_strdup("any"));
    } else {
        nzSetVal(o, 0, g_strdup_printf("%lu", t));
    }
}

static void
nzFixMacLower(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    unsigned char m[6];
    const char *v = nzVal(o, 0);
    if (v && nzParseMacBytes(v, m))
        nzSetVal(o, 0, nzMacStr(m, true));
}

static const char *nzCtStates[] = {
    "INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT",
};
static const char *nzCtStatus[] = {
    "NONE", "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED",
};

static char *
nzFormatFlagList(const char *s, const char **names, size_t n)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    unsigned int bits = 0;
    GString *out;

    for (size_t i = 0; parts[i]; i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++) {
            if (g_ascii_strcasecmp(parts[i], names[j]) == 0) {
                bits |= 1u << j;
                found = true;
            }
        }
        if (!found)
            return g_strdup(s);
    }
    out = g_string_new(NULL);
    for (size_t j = 0; j < n; j++) {
        if (bits & (1u << j)) {
            if (out->len)
                g_string_append_c(out, ',');
            g_string_append(out, names[j]);
        }
    }
    return g_string_free(out, FALSE);
}

static void
nzFixCtState(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (nzVal(o, 0))
        nzSetVal(o, 0, nzFormatFlagList(nzVal(o, 0), nzCtStates,
                                        G_N_ELEMENTS(nzCtStates)));
}

static void
nzFixCtStatus(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (nzVal(o, 0))
        nzSetVal(o, 0, nzFormatFlagList(nzVal(o, 0), nzCtStatus,
                                        G_N_ELEMENTS(nzCtStatus)));
}

static void
nzFixCtProto(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    unsigned long n;
    int num;
    const char *v = nzVal(o, 0);
    if (!v || nzParseUInt(v, 10, 255, &n))
        return;
    num = nzLookupName(nzProtocols, v, true);
    if (num >= 0)
        nzSetVal(o, 0, g_strdup_printf("%d", num));
}

static void
nzFixUpper(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (nzVal(o, 0))
        nzSetVal(o, 0, g_ascii_strup(nzVal(o, 0), -1));
}

static void
nzFixDscp(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    unsigned long n;
    if (nzVal(o, 0) && nzParseUInt(nzVal(o, 0), 0, 63, &n))
        nzSetVal(o, 0, g_strdup_printf("0x%02lx", n));
}

static void
nzFixComment(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    const char *v = nzVal(o, 0);
    if (v && strlen(v) > 255)
        nzSetVal(o, 0, g_strndup(v, 255));
}

static void
nzFixMark(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    const char *v = nzVal(o, 0);
    g_auto(GStrv) p = NULL;
    unsigned long a, b;

    if (!v)
        return;
    p = g_strsplit(v, "/", 2);
    if (!nzParseUInt(p[0], 0, 0xFFFFFFFFul, &a))
        return;
    if (p[1]) {
        if (!nzParseUInt(p[1], 0, 0xFFFFFFFFul, &b))
            return;
        nzSetVal(o, 0, g_strdup_printf("0x%lx/0x%lx", a, b));
    } else {
        nzSetVal(o, 0, g_strdup_printf("0x%lx", a));
    }
}

static void
nzFixLimit(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    const char *v = nzVal(o, 0);
    const char *slash;
    static const struct { const char *in; const char *out; } units[] = {
        {"s", "sec"}, {"sec", "sec"}, {"second", "sec"},
        {"m", "min"}, {"min", "min"}, {"minute", "min"},
        {"h", "hour"}, {"hour", "hour"}, {"d", "day"}, {"day", "day"},
    };
    if (!v)
        return;
    slash = strchr(v, '/');
    if (!slash)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
        if (strcmp(slash + 1, units[i].in) == 0) {
            nzSetVal(o, 0, g_strdup_printf("%.*s/%s", (int)(slash - v), v,
                                           units[i].out));
            return;
        }
    }
}

static void
nzFixLimitBurst(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (nzVal(o, 0) && strcmp(nzVal(o, 0), "5") == 0)
        o->drop = true;
}

/* connlimit: "! --connlimit-above N" is saved as "--connlimit-upto N" */
static void
nzFixConnlimitInv(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (!o->inv)
        return;
    o->inv = false;
    g_free(o->name);
    o->name = g_strdup("--connlimit-upto");
}

static void
nzFixConnlimitUptoInv(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (!o->inv)
        return;
    o->inv = false;
    g_free(o->name);
    o->name = g_strdup("--connlimit-above");
}

static void
nzFinishConnlimit(NzCtx *ctx, NzExt *ext)
{
    NzOpt *o;
    if (!nzExtFind(ext, "--connlimit-mask")) {
        o = nzOptNew("--connlimit-mask", false, 2);
        g_ptr_array_add(o->vals, g_strdup(ctx->layer == VIR_FIREWALL_LAYER_IPV6 ?
                                          "128" : "32"));
        g_ptr_array_add(ext->opts, o);
    }
    if (!nzExtFind(ext, "--connlimit-saddr") &&
        !nzExtFind(ext, "--connlimit-daddr"))
        g_ptr_array_add(ext->opts, nzOptNew("--connlimit-saddr", false, 3));
}

static void
nzFixIptRange(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    /* iprange prints what inet_ntop gives for both ends */
    const char *v = nzVal(o, 0);
    g_auto(GStrv) p = NULL;
    bool v6 = ctx->layer == VIR_FIREWALL_LAYER_IPV6;
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    unsigned char buf[16];

    if (!v)
        return;
    p = g_strsplit(v, "-", 2);
    if (!p[0] || !p[1])
        return;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, p[0], buf) != 1 ||
        !inet_ntop(v6 ? AF_INET6 : AF_INET, buf, a, sizeof(a)) ||
        inet_pton(v6 ? AF_INET6 : AF_INET, p[1], buf) != 1 ||
        !inet_ntop(v6 ? AF_INET6 : AF_INET, buf, b, sizeof(b)))
        return;
    nzSetVal(o, 0, g_strdup_printf("%s-%s", a, b));
}

static void
nzFixRejectWith(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    static const struct { const char *in, *out; } v4[] = {
        {"net-unreach", "icmp-net-unreachable"},
        {"host-unreach", "icmp-host-unreachable"},
        {"proto-unreach", "icmp-proto-unreachable"},
        {"port-unreach", "icmp-port-unreachable"},
        {"net-prohib", "icmp-net-prohibited"},
        {"host-prohib", "icmp-host-prohibited"},
        {"admin-prohib", "icmp-admin-prohibited"},
        {"tcp-rst", "tcp-reset"},
    }, v6[] = {
        {"no-route", "icmp6-no-route"},
        {"adm-prohibited", "icmp6-adm-prohibited"},
        {"addr-unreach", "icmp6-addr-unreachable"},
        {"port-unreach", "icmp6-port-unreachable"},
        {"policy-fail", "icmp6-policy-fail"},
        {"reject-route", "icmp6-reject-route"},
        {"tcp-rst", "tcp-reset"},
    };
    const char *v = nzVal(o, 0);
    bool is6 = ctx->layer == VIR_FIREWALL_LAYER_IPV6;
    size_t n = is6 ? G_N_ELEMENTS(v6) : G_N_ELEMENTS(v4);

    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v, is6 ? v6[i].in : v4[i].in) == 0) {
            nzSetVal(o, 0, g_strdup(is6 ? v6[i].out : v4[i].out));
            return;
        }
    }
}

static void
nzFinishReject(NzCtx *ctx, NzExt *ext)
{
    if (!nzExtFind(ext, "--reject-with")) {
        NzOpt *o = nzOptNew("--reject-with", false, 0);
        g_ptr_array_add(o->vals, g_strdup(ctx->layer == VIR_FIREWALL_LAYER_IPV6 ?
                                          "icmp6-port-unreachable" :
                                          "icmp-port-unreachable"));
        g_ptr_array_add(ext->opts, o);
    }
}

static void
nzFixToPorts(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    const char *v = nzVal(o, 0);
    g_auto(GStrv) p = NULL;
    if (!v)
        return;
    p = g_strsplit(v, "-", 2);
    if (p[0] && p[1] && strcmp(p[0], p[1]) == 0)
        nzSetVal(o, 0, g_strdup(p[0]));
}

static void
nzFixLogLevel(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    const char *v = nzVal(o, 0);
    unsigned long n;
    int lvl;
    if (!v)
        return;
    if (nzParseUInt(v, 10, 7, &n))
        lvl = (int)n;
    else if ((lvl = nzLookupName(nzLogLevels, v, true)) < 0)
        return;
    if (lvl == 4)
        o->drop = true;
    else
        nzSetVal(o, 0, g_strdup_printf("%d", lvl));
}

static void
nzFixSetMark(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    const char *v = nzVal(o, 0);
    g_auto(GStrv) p = NULL;
    unsigned long a, b = 0xFFFFFFFFul;
    if (!v)
        return;
    p = g_strsplit(v, "/", 2);
    if (!nzParseUInt(p[0], 0, 0xFFFFFFFFul, &a) ||
        (p[1] && !nzParseUInt(p[1], 0, 0xFFFFFFFFul, &b)))
        return;
    if (strcmp(o->name, "--set-mark") == 0) {
        g_free(o->name);
        o->name = g_strdup("--set-xmark");
        nzSetVal(o, 0, g_strdup_printf("0x%lx/0x%lx", a, b));
    } else {
        nzSetVal(o, 0, g_strdup_printf("0x%lx/0x%lx", a, b));
    }
}

/* ------------------------------------------------------------------ */
/* iptables extension tables                                           */

static const NzOptDef nzIptTcpOpts[] = {
    {{"--sport", "--source-port"}, 1, nzFixPort},
    {{"--dport", "--destination-port"}, 1, nzFixPort},
    {{"--tcp-option"}, 1, NULL},
    {{"--tcp-flags", "--syn"}, 2, nzFixTcpFlags},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptUdpOpts[] = {
    {{"--sport", "--source-port"}, 1, nzFixPort},
    {{"--dport", "--destination-port"}, 1, nzFixPort},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptIcmpOpts[] = {
    {{"--icmp-type"}, 1, nzFixIptIcmp},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptIcmp6Opts[] = {
    {{"--icmpv6-type"}, 1, nzFixIptIcmp},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptMacOpts[] = {
    {{"--mac-source"}, 1, nzFixMacLower},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptConntrackOpts[] = {
    {{"--ctstate"}, 1, nzFixCtState},
    {{"--ctproto"}, 1, nzFixCtProto},
    {{"--ctorigsrc"}, 1, NULL},
    {{"--ctorigdst"}, 1, NULL},
    {{"--ctreplsrc"}, 1, NULL},
    {{"--ctrepldst"}, 1, NULL},
    {{"--ctorigsrcport"}, 1, NULL},
    {{"--ctorigdstport"}, 1, NULL},
    {{"--ctreplsrcport"}, 1, NULL},
    {{"--ctrepldstport"}, 1, NULL},
    {{"--ctstatus"}, 1, nzFixCtStatus},
    {{"--ctexpire"}, 1, NULL},
    {{"--ctdir"}, 1, nzFixUpper},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptStateOpts[] = {
    {{"--state"}, 1, nzFixCtState},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptIprangeOpts[] = {
    {{"--src-range"}, 1, nzFixIptRange},
    {{"--dst-range"}, 1, nzFixIptRange},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptDscpOpts[] = {
    {{"--dscp"}, 1, nzFixDscp},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptConnlimitOpts[] = {
    {{"--connlimit-above"}, 1, nzFixConnlimitInv},
    {{"--connlimit-upto"}, 1, nzFixConnlimitUptoInv},
    {{"--connlimit-mask"}, 1, NULL},
    {{"--connlimit-saddr"}, 0, NULL},
    {{"--connlimit-daddr"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptCommentOpts[] = {
    {{"--comment"}, 1, nzFixComment},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptSetOpts[] = {
    {{"--match-set", "--set"}, 2, NULL},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptPhysdevOpts[] = {
    {{"--physdev-is-in"}, 0, NULL},
    {{"--physdev-in"}, 1, NULL},
    {{"--physdev-is-out"}, 0, NULL},
    {{"--physdev-out"}, 1, NULL},
    {{"--physdev-is-bridged"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptMarkOpts[] = {
    {{"--mark"}, 1, nzFixMark},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptLimitOpts[] = {
    {{"--limit"}, 1, nzFixLimit},
    {{"--limit-burst"}, 1, nzFixLimitBurst},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptMultiportOpts[] = {
    {{"--sports", "--source-ports"}, 1, NULL},
    {{"--dports", "--destination-ports"}, 1, NULL},
    {{"--ports"}, 1, NULL},
    {{NULL}, 0, NULL}
};
/* targets */
static const NzOptDef nzIptRejectOpts[] = {
    {{"--reject-with"}, 1, nzFixRejectWith},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptMasqOpts[] = {
    {{"--to-ports"}, 1, nzFixToPorts},
    {{"--random"}, 0, NULL},
    {{"--random-fully"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptSnatOpts[] = {
    {{"--to-source"}, 1, NULL},
    {{"--random"}, 0, NULL},
    {{"--random-fully"}, 0, NULL},
    {{"--persistent"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptDnatOpts[] = {
    {{"--to-destination"}, 1, NULL},
    {{"--random"}, 0, NULL},
    {{"--persistent"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptChecksumOpts[] = {
    {{"--checksum-fill"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptLogOpts[] = {
    {{"--log-prefix"}, 1, NULL},
    {{"--log-level"}, 1, nzFixLogLevel},
    {{"--log-tcp-sequence"}, 0, NULL},
    {{"--log-tcp-options"}, 0, NULL},
    {{"--log-ip-options"}, 0, NULL},
    {{"--log-uid"}, 0, NULL},
    {{"--log-macdecode"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzIptMarkTgtOpts[] = {
    {{"--set-xmark", "--set-mark"}, 1, nzFixSetMark},
    {{NULL}, 0, NULL}
};

static const NzExtDef nzIptExts[] = {
    {"tcp", nzIptTcpOpts, NULL},
    {"udp", nzIptUdpOpts, NULL},
    {"sctp", nzIptUdpOpts, NULL},
    {"dccp", nzIptUdpOpts, NULL},
    {"icmp", nzIptIcmpOpts, NULL},
    {"icmp6", nzIptIcmp6Opts, NULL},
    {"mac", nzIptMacOpts, NULL},
    {"conntrack", nzIptConntrackOpts, NULL},
    {"state", nzIptStateOpts, NULL},
    {"iprange", nzIptIprangeOpts, NULL},
    {"dscp", nzIptDscpOpts, NULL},
    {"connlimit", nzIptConnlimitOpts, nzFinishConnlimit},
    {"comment", nzIptCommentOpts, NULL},
    {"set", nzIptSetOpts, NULL},
    {"physdev", nzIptPhysdevOpts, NULL},
    {"mark", nzIptMarkOpts, NULL},
    {"limit", nzIptLimitOpts, NULL},
    {"multiport", nzIptMultiportOpts, NULL},
    {NULL, NULL, NULL}
};

static const NzExtDef nzIptTargets[] = {
    {"REJECT", nzIptRejectOpts, nzFinishReject},
    {"MASQUERADE", nzIptMasqOpts, NULL},
    {"SNAT", nzIptSnatOpts, NULL},
    {"DNAT", nzIptDnatOpts, NULL},
    {"CHECKSUM", nzIptChecksumOpts, NULL},
    {"LOG", nzIptLogOpts, NULL},
    {"MARK", nzIptMarkTgtOpts, NULL},
    {NULL, NULL, NULL}
};

/* ------------------------------------------------------------------ */
/* ebtables fixers                                                     */

static void
nzFixEbAddr4(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (nzVal(o, 0))
        nzSetVal(o, 0, nzFormatAddr(false, nzVal(o, 0), NZ_ADDR_EBT, &ctx->inexact));
}

static void
nzFixEbAddr6(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (nzVal(o, 0))
        nzSetVal(o, 0, nzFormatAddr(true, nzVal(o, 0), NZ_ADDR_EBT, &ctx->inexact));
}

static void
nzFixEbProto(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (nzVal(o, 0))
        nzSetVal(o, 0, nzProtoName(nzVal(o, 0), NULL));
}

static void
nzFixEbPort(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    bool full;
    if (nzVal(o, 0))
        nzSetVal(o, 0, nzFormatPortRange(nzVal(o, 0), false, &full));
}

static void
nzFixEbTos(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    unsigned long n;
    if (nzVal(o, 0) && nzParseUInt(nzVal(o, 0), 0, 255, &n))
        nzSetVal(o, 0, g_strdup_printf("0x%02lX", n));
}

/* "lo[:hi]" -> (lo, hi) */
static bool
nzParseRange8(const char *s, unsigned long *lo, unsigned long *hi)
{
    g_auto(GStrv) p = g_strsplit(s, ":", 2);
    if (!nzParseUInt(p[0], 10, 255, lo))
        return false;
    if (!p[1]) {
        *hi = *lo;
        return true;
    }
    return nzParseUInt(p[1], 10, 255, hi);
}

static void
nzFixEbIcmp(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    const NzIcmpName *tab = strcmp(o->name, "--ip-icmp-type") == 0 ?
        nzIcmpNames : nzIcmp6Names;
    const char *v = nzVal(o, 0);
    unsigned long t0, t1, c0 = 0, c1 = 255;
    g_auto(GStrv) p = NULL;
    GString *out;

    if (!v)
        return;
    for (size_t i = 0; tab[i].name; i++) {
        if (strcmp(tab[i].name, v) == 0) {
            t0 = t1 = (unsigned long)tab[i].type;
            c0 = (unsigned long)tab[i].cmin;
            c1 = (unsigned long)tab[i].cmax;
            goto print;
        }
    }
    p = g_strsplit(v, "/", 2);
    if (!nzParseRange8(p[0], &t0, &t1))
        return;
    if (p[1] && !nzParseRange8(p[1], &c0, &c1))
        return;
 print:
    if (t0 == t1) {
        for (size_t i = 0; tab[i].name; i++) {
            if ((unsigned long)tab[i].type == t0 &&
                (unsigned long)tab[i].cmin == c0 &&
                (unsigned long)tab[i].cmax == c1) {
                nzSetVal(o, 0, g_strdup(tab[i].name));
                return;
            }
        }
    }
    out = g_string_new(NULL);
    if (t0 == t1)
        g_string_append_printf(out, "%lu", t0);
    else
        g_string_append_printf(out, "%lu:%lu", t0, t1);
    if (c0 == c1)
        g_string_append_printf(out, "/%lu", c0);
    else
        g_string_append_printf(out, "/%lu:%lu", c0, c1);
    nzSetVal(o, 0, g_string_free(out, FALSE));
}

static void
nzFixEbArpOp(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    const char *v = nzVal(o, 0);
    unsigned long n;
    const char *name;
    int num;

    if (!v)
        return;
    if (nzParseUInt(v, 10, 65535, &n)) {
        name = nzLookupNum(nzArpOps, (int)n);
        nzSetVal(o, 0, name ? g_strdup(name) : g_strdup_printf("%lu", n));
    } else if ((num = nzLookupName(nzArpOps, v, true)) > 0) {
        nzSetVal(o, 0, g_strdup(nzLookupNum(nzArpOps, num)));
    }
}

static void
nzFixEbArpHtype(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (nzVal(o, 0) && g_ascii_strcasecmp(nzVal(o, 0), "Ethernet") == 0)
        nzSetVal(o, 0, g_strdup("1"));
}

/* ethertype name or hex number -> value; -1 if unknown */
static long
nzEthertypeNum(const char *s)
{
    unsigned long n;
    int num;
    if (nzParseUInt(s, 16, 0xFFFF, &n))
        return (long)n;
    num = nzLookupName(nzEthertypes, s, true);
    return num;
}

static void
nzFixEbArpPtype(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    long n;
    if (nzVal(o, 0) && (n = nzEthertypeNum(nzVal(o, 0))) >= 0)
        nzSetVal(o, 0, g_strdup_printf("0x%lx", n));
}

static void
nzFixEbMacPlain(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (nzVal(o, 0))
        nzSetVal(o, 0, nzFormatEbMac(nzVal(o, 0), false));
}

static void
nzFixEbVlanEncap(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    /* parsed with strtol(base 16), printed "%4.4X" (no names) */
    const char *v = nzVal(o, 0);
    unsigned long n;
    if (!v)
        return;
    if (!nzParseUInt(v, 16, 0xFFFFFFFFul, &n)) {
        long e = nzLookupName(nzEthertypes, v, true);
        if (e < 0)
            return;
        n = (unsigned long)e;
    }
    nzSetVal(o, 0, g_strdup_printf("%04lX", n & 0xFFFF));
}

static void
nzFinishEbVlan(NzCtx *ctx, NzExt *ext)
{
    /* nft: with --vlan-id present, --vlan-prio is lost on the way back */
    NzOpt *prio = nzExtFind(ext, "--vlan-prio");
    if (prio && nzExtFind(ext, "--vlan-id"))
        prio->drop = true;
}

static void
nzFixEbStpType(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    unsigned long n;
    const char *v = nzVal(o, 0);
    if (!v || !nzParseUInt(v, 0, 255, &n))
        return;
    if (n == 0)
        nzSetVal(o, 0, g_strdup("config"));
    else if (n == 0x80)
        nzSetVal(o, 0, g_strdup("tcn"));
    else
        nzSetVal(o, 0, g_strdup_printf("%lu", n));
}

static void
nzFixEbStpFlags(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    unsigned long n;
    const char *v = nzVal(o, 0);
    if (!v || !nzParseUInt(v, 0, 255, &n))
        return;
    if (n == 1)
        nzSetVal(o, 0, g_strdup("topology-change"));
    else if (n == 0x80)
        nzSetVal(o, 0, g_strdup("topology-change-ack"));
    else
        nzSetVal(o, 0, g_strdup_printf("%lu", n));
}

static void
nzFixEbStpRange(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    const char *v = nzVal(o, 0);
    g_auto(GStrv) p = NULL;
    unsigned long lo, hi;
    if (!v)
        return;
    p = g_strsplit(v, ":", 2);
    if (!nzParseUInt(p[0], 10, 0xFFFFFFFFul, &lo))
        return;
    if (!p[1]) {
        nzSetVal(o, 0, g_strdup_printf("%lu", lo));
        return;
    }
    if (!nzParseUInt(p[1], 10, 0xFFFFFFFFul, &hi))
        return;
    if (lo == hi)
        nzSetVal(o, 0, g_strdup_printf("%lu", lo));
    else
        nzSetVal(o, 0, g_strdup_printf("%lu:%lu", lo, hi));
}

static void
nzFixEbMark(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    nzFixMark(ctx, ext, o);
}

/* ebtables match tables: option order = print order */
static const NzOptDef nzEbIpOpts[] = {
    {{"--ip-src", "--ip-source"}, 1, nzFixEbAddr4},
    {{"--ip-dst", "--ip-destination"}, 1, nzFixEbAddr4},
    {{"--ip-tos"}, 1, nzFixEbTos},
    {{"--ip-proto", "--ip-protocol"}, 1, nzFixEbProto},
    {{"--ip-sport", "--ip-source-port"}, 1, nzFixEbPort},
    {{"--ip-dport", "--ip-destination-port"}, 1, nzFixEbPort},
    {{"--ip-icmp-type"}, 1, nzFixEbIcmp},
    {{"--ip-igmp-type"}, 1, NULL},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzEbIp6Opts[] = {
    {{"--ip6-src", "--ip6-source"}, 1, nzFixEbAddr6},
    {{"--ip6-dst", "--ip6-destination"}, 1, nzFixEbAddr6},
    {{"--ip6-tclass"}, 1, nzFixEbTos},
    {{"--ip6-proto", "--ip6-protocol"}, 1, nzFixEbProto},
    {{"--ip6-sport", "--ip6-source-port"}, 1, nzFixEbPort},
    {{"--ip6-dport", "--ip6-destination-port"}, 1, nzFixEbPort},
    {{"--ip6-icmp-type"}, 1, nzFixEbIcmp},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzEbArpOpts[] = {
    {{"--arp-op", "--arp-opcode"}, 1, nzFixEbArpOp},
    {{"--arp-htype"}, 1, nzFixEbArpHtype},
    {{"--arp-ptype"}, 1, nzFixEbArpPtype},
    {{"--arp-ip-src"}, 1, nzFixEbAddr4},
    {{"--arp-ip-dst"}, 1, nzFixEbAddr4},
    {{"--arp-mac-src"}, 1, nzFixEbMacPlain},
    {{"--arp-mac-dst"}, 1, nzFixEbMacPlain},
    {{"--arp-gratuitous"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzEbVlanOpts[] = {
    {{"--vlan-id"}, 1, NULL},
    {{"--vlan-prio"}, 1, NULL},
    {{"--vlan-encap"}, 1, nzFixEbVlanEncap},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzEbStpOpts[] = {
    {{"--stp-type"}, 1, nzFixEbStpType},
    {{"--stp-flags"}, 1, nzFixEbStpFlags},
    {{"--stp-root-prio", "--stp-root-pri"}, 1, nzFixEbStpRange},
    {{"--stp-root-addr"}, 1, nzFixEbMacPlain},
    {{"--stp-root-cost"}, 1, nzFixEbStpRange},
    {{"--stp-sender-prio"}, 1, nzFixEbStpRange},
    {{"--stp-sender-addr"}, 1, nzFixEbMacPlain},
    {{"--stp-port"}, 1, nzFixEbStpRange},
    {{"--stp-msg-age"}, 1, nzFixEbStpRange},
    {{"--stp-max-age"}, 1, nzFixEbStpRange},
    {{"--stp-hello-time"}, 1, nzFixEbStpRange},
    {{"--stp-forward-delay"}, 1, nzFixEbStpRange},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzEbMarkOpts[] = {
    {{"--mark"}, 1, nzFixEbMark},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzEbPkttypeOpts[] = {
    {{"--pkttype-type"}, 1, NULL},
    {{NULL}, 0, NULL}
};
static const NzOptDef nzEbLimitOpts[] = {
    {{"--limit"}, 1, nzFixLimit},
    {{"--limit-burst"}, 1, NULL},
    {{NULL}, 0, NULL}
};

static void
nzFinishEbLimit(NzCtx *ctx, NzExt *ext)
{
    if (!nzExtFind(ext, "--limit-burst")) {
        NzOpt *o = nzOptNew("--limit-burst", false, 1);
        g_ptr_array_add(o->vals, g_strdup("5"));
        g_ptr_array_add(ext->opts, o);
    }
}

static void
nzFixEbLogLevel(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    unsigned long n;
    const char *v = nzVal(o, 0);
    int lvl;
    if (!v)
        return;
    if (nzParseUInt(v, 10, 7, &n))
        lvl = (int)n;
    else if ((lvl = nzLookupName(nzLogLevels, v, true)) < 0)
        return;
    nzSetVal(o, 0, g_strdup(nzLookupNum(nzLogLevels, lvl)));
}

static void
nzFixDrop(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    o->drop = true;
}

/* ebtables-save prints no empty prefix (iptables refuses one) */
static void
nzFixDropEmpty(NzCtx *ctx, NzExt *ext, NzOpt *o)
{
    if (nzVal(o, 0) && !*nzVal(o, 0))
        o->drop = true;
}

/* log watcher: "--log" alone is saved as "--log-level notice" */
static const NzOptDef nzEbLogOpts[] = {
    {{"--log-level"}, 1, nzFixEbLogLevel},
    {{"--log-prefix"}, 1, nzFixDropEmpty},
    {{"--log-ip"}, 0, NULL},
    {{"--log-arp"}, 0, NULL},
    {{"--log-ip6"}, 0, NULL},
    {{"--log"}, 0, nzFixDrop},
    {{NULL}, 0, NULL}
};

static void
nzFinishEbLog(NzCtx *ctx, NzExt *ext)
{
    if (!nzExtFind(ext, "--log-level")) {
        NzOpt *o = nzOptNew("--log-level", false, 0);
        g_ptr_array_add(o->vals, g_strdup("notice"));
        g_ptr_array_add(ext->opts, o);
    }
}

static const NzExtDef nzEbExts[] = {
    {"ip", nzEbIpOpts, NULL},
    {"ip6", nzEbIp6Opts, NULL},
    {"arp", nzEbArpOpts, NULL},
    {"vlan", nzEbVlanOpts, nzFinishEbVlan},
    {"stp", nzEbStpOpts, NULL},
    {"mark_m", nzEbMarkOpts, NULL},
    {"pkttype", nzEbPkttypeOpts, NULL},
    {"limit", nzEbLimitOpts, nzFinishEbLimit},
    {"log", nzEbLogOpts, nzFinishEbLog},
    {NULL, NULL, NULL}
};

/* ------------------------------------------------------------------ */
/* parsing                                                             */

enum {
    NZ_HDR_S, NZ_HDR_D, NZ_HDR_I, NZ_HDR_O, NZ_HDR_P, NZ_HDR_F,
    NZ_HDR_LIN, NZ_HDR_LOUT,
};

static const NzOptDef *
nzFindOpt(const NzExtDef *def, const char *name, int *rank)
{
    if (!def)
        return NULL;
    for (int i = 0; def->opts[i].names[0]; i++) {
        for (int j = 0; j < 4 && def->opts[i].names[j]; j++) {
            if (strcmp(def->opts[i].names[j], name) == 0) {
                *rank = i;
                return &def->opts[i];
            }
        }
    }
    return NULL;
}

static const NzExtDef *
nzFindExtDef(const NzExtDef *tab, const char *name)
{
    for (size_t i = 0; tab[i].name; i++)
        if (strcmp(tab[i].name, name) == 0)
            return &tab[i];
    return NULL;
}

static bool
nzIsOptionTok(const char *t)
{
    return t[0] == '-' && t[1] && !g_ascii_isdigit(t[1]);
}

/* take @n values (n < 0: all up to the next option or "!") */
static guint
nzTakeVals(NzOpt *o, const char *const *spec, guint i, int n)
{
    if (n < 0) {
        while (spec[i] && !nzIsOptionTok(spec[i]) && strcmp(spec[i], "!") != 0)
            g_ptr_array_add(o->vals, g_strdup(spec[i++]));
        return i;
    }
    for (int k = 0; k < n && spec[i]; k++)
        g_ptr_array_add(o->vals, g_strdup(spec[i++]));
    return i;
}

/* rank for an unknown option: keep it right after its predecessor */
static int
nzLastRank(NzExt *e)
{
    if (!e->opts->len)
        return -1;
    return ((NzOpt *)g_ptr_array_index(e->opts, e->opts->len - 1))->rank;
}

static NzExt *
nzCtxAddExt(NzCtx *ctx, const char *name, const NzExtDef *def)
{
    NzExt *e = nzExtNew(name, def);
    g_ptr_array_add(ctx->exts, e);
    return e;
}

static NzExt *
nzFindExt(NzCtx *ctx, const char *name)
{
    for (guint i = 0; i < ctx->exts->len; i++) {
        NzExt *e = g_ptr_array_index(ctx->exts, i);
        if (e->name && strcmp(e->name, name) == 0)
            return e;
    }
    return NULL;
}

static void
nzAddKnown(NzCtx *ctx, NzExt *ext, const NzOptDef *od, int rank,
           const char *given, bool inv, const char *const *spec, guint *i)
{
    NzOpt *o = nzOptNew(od->names[0], inv, rank);
    if (strcmp(given, "--syn") == 0) {
        g_ptr_array_add(ext->opts, o);
        nzFixSyn(ctx, ext, o);
        return;
    }
    *i = nzTakeVals(o, spec, *i, od->nargs);
    g_ptr_array_add(ext->opts, o);
    if (od->fix)
        od->fix(ctx, ext, o);
}

static void
nzAddUnknown(NzCtx *ctx, NzExt *ext, const char *name, bool inv,
             const char *const *spec, guint *i)
{
    NzOpt *o = nzOptNew(name, inv, nzLastRank(ext));
    *i = nzTakeVals(o, spec, *i, -1);
    g_ptr_array_add(ext->opts, o);
}

static NzOpt *
nzHdrSet(NzCtx *ctx, int idx, const char *name, bool inv,
         const char *const *spec, guint *i, int nargs)
{
    NzOpt *o = nzOptNew(name, inv, idx);
    *i = nzTakeVals(o, spec, *i, nargs);
    nzOptFree(ctx->hdr[idx]);
    ctx->hdr[idx] = o;
    return o;
}

static const char *
nzIptProtoMatch(NzCtx *ctx)
{
    const char *p;
    NzOpt *po = ctx->hdr[NZ_HDR_P];
    if (!po || po->drop || !nzVal(po, 0))
        return NULL;
    p = nzVal(po, 0);
    if (strcmp(p, "ipv6-icmp") == 0)
        return ctx->layer == VIR_FIREWALL_LAYER_IPV6 ? "icmp6" : NULL;
    if (strcmp(p, "tcp") == 0 || strcmp(p, "udp") == 0 ||
        strcmp(p, "sctp") == 0 || strcmp(p, "dccp") == 0 ||
        strcmp(p, "icmp") == 0)
        return p;
    return NULL;
}

static void
nzParseIpt(NzCtx *ctx, const char *const *spec)
{
    bool v6 = ctx->layer == VIR_FIREWALL_LAYER_IPV6;
    guint i = 0;

    while (spec[i]) {
        const char *t = spec[i++];
        bool inv = false;
        const NzOptDef *od;
        int rank;
        NzExt *e;

        if (strcmp(t, "!") == 0) {
            inv = true;
            if (!spec[i])
                break;
            t = spec[i++];
        }

        if (!strcmp(t, "-s") || !strcmp(t, "--source") || !strcmp(t, "--src") ||
            !strcmp(t, "-d") || !strcmp(t, "--destination") || !strcmp(t, "--dst")) {
            int idx = (t[1] == 's' || !strncmp(t, "--s", 3)) ? NZ_HDR_S : NZ_HDR_D;
            NzOpt *o = nzHdrSet(ctx, idx, idx == NZ_HDR_S ? "-s" : "-d", inv,
                                spec, &i, 1);
            char *a = nzVal(o, 0) ? nzFormatAddr(v6, nzVal(o, 0), NZ_ADDR_IPT, &ctx->inexact) : NULL;
            if (!a && nzVal(o, 0))
                o->drop = true;
            else if (a)
                nzSetVal(o, 0, a);
            continue;
        }
        if (!strcmp(t, "-i") || !strcmp(t, "--in-interface") ||
            !strcmp(t, "-o") || !strcmp(t, "--out-interface")) {
            int idx = (t[1] == 'i' || t[2] == 'i') ? NZ_HDR_I : NZ_HDR_O;
            NzOpt *o = nzHdrSet(ctx, idx, idx == NZ_HDR_I ? "-i" : "-o", inv,
                                spec, &i, 1);
            if (nzVal(o, 0) && strcmp(nzVal(o, 0), "+") == 0)
                o->drop = true;
            continue;
        }
        if (!strcmp(t, "-p") || !strcmp(t, "--protocol")) {
            NzOpt *o = nzHdrSet(ctx, NZ_HDR_P, "-p", inv, spec, &i, 1);
            bool all;
            char *p;
            if (!nzVal(o, 0))
                continue;
            p = nzProtoName(nzVal(o, 0), &all);
            if (all)
                o->drop = true;
            else
                nzSetVal(o, 0, p);
            continue;
        }
        if (!strcmp(t, "-f") || !strcmp(t, "--fragment")) {
            nzHdrSet(ctx, NZ_HDR_F, "-f", inv, spec, &i, 0);
            continue;
        }
        if (!strcmp(t, "-m") || !strcmp(t, "--match")) {
            const char *name = spec[i] ? spec[i++] : "";
            const NzExtDef *def = nzFindExtDef(nzIptExts, name);
            /* nft folds every tcp/udp match into the first one */
            if ((!strcmp(name, "tcp") || !strcmp(name, "udp")) &&
                (e = nzFindExt(ctx, name))) {
                ctx->cur = e;
                continue;
            }
            ctx->cur = nzCtxAddExt(ctx, name, def);
            continue;
        }
        if (!strcmp(t, "-j") || !strcmp(t, "--jump") ||
            !strcmp(t, "-g") || !strcmp(t, "--goto")) {
            const char *name = spec[i] ? spec[i++] : "";
            ctx->gotoTarget = t[1] == 'g' || !strcmp(t, "--goto");
            nzExtFree(ctx->target);
            ctx->target = nzExtNew(name, nzFindExtDef(nzIptTargets, name));
            ctx->cur = ctx->target;
            continue;
        }

        /* an extension option: target first, then matches, newest first */
        if (ctx->target && (od = nzFindOpt(ctx->target->def, t, &rank))) {
            nzAddKnown(ctx, ctx->target, od, rank, t, inv, spec, &i);
            continue;
        }
        e = NULL;
        od = NULL;
        for (guint k = ctx->exts->len; k > 0 && !od; k--) {
            e = g_ptr_array_index(ctx->exts, k - 1);
            od = nzFindOpt(e->def, t, &rank);
        }
        if (!od) {
            const char *pm = nzIptProtoMatch(ctx);
            const NzExtDef *def = pm ? nzFindExtDef(nzIptExts, pm) : NULL;
            if (def && (od = nzFindOpt(def, t, &rank))) {
                e = nzFindExt(ctx, pm);
                if (!e || (strcmp(pm, "tcp") && strcmp(pm, "udp")))
                    e = nzCtxAddExt(ctx, pm, def);
            }
        }
        if (od) {
            nzAddKnown(ctx, e, od, rank, t, inv, spec, &i);
            continue;
        }
        if (!ctx->cur) {
            if (!ctx->hdrRaw)
                ctx->hdrRaw = nzExtNew(NULL, NULL);
            ctx->cur = ctx->hdrRaw;
        }
        nzAddUnknown(ctx, ctx->cur, t, inv, spec, &i);
    }
}

static void
nzParseEb(NzCtx *ctx, const char *const *spec)
{
    guint i = 0;

    while (spec[i]) {
        const char *t = spec[i++];
        bool inv = false;
        const NzOptDef *od = NULL;
        int rank = 0;
        NzExt *e = NULL;
        int idx = -1;
        const char *hname = NULL;

        if (strcmp(t, "!") == 0) {
            inv = true;
            if (!spec[i])
                break;
            t = spec[i++];
        }
        /* "OPT ! VALUE" */
        if (nzIsOptionTok(t) && spec[i] && strcmp(spec[i], "!") == 0 &&
            strcmp(t, "--arp-gratuitous") != 0) {
            inv = true;
            i++;
        }

        if (!strcmp(t, "-p") || !strcmp(t, "--protocol") || !strcmp(t, "--proto")) {
            idx = NZ_HDR_P; hname = "-p";
        } else if (!strcmp(t, "-s") || !strcmp(t, "--source") || !strcmp(t, "--src")) {
            idx = NZ_HDR_S; hname = "-s";
        } else if (!strcmp(t, "-d") || !strcmp(t, "--destination") || !strcmp(t, "--dst")) {
            idx = NZ_HDR_D; hname = "-d";
        } else if (!strcmp(t, "-i") || !strcmp(t, "--in-interface") || !strcmp(t, "--in-if")) {
            idx = NZ_HDR_I; hname = "-i";
        } else if (!strcmp(t, "-o") || !strcmp(t, "--out-interface") || !strcmp(t, "--out-if")) {
            idx = NZ_HDR_O; hname = "-o";
        } else if (!strcmp(t, "--logical-in")) {
            idx = NZ_HDR_LIN; hname = "--logical-in";
        } else if (!strcmp(t, "--logical-out")) {
            idx = NZ_HDR_LOUT; hname = "--logical-out";
        }
        if (idx >= 0) {
            NzOpt *o = nzHdrSet(ctx, idx, hname, inv, spec, &i, 1);
            const char *v = nzVal(o, 0);
            if (!v)
                continue;
            if (idx == NZ_HDR_P) {
                long n;
                if (g_ascii_strcasecmp(v, "LENGTH") == 0) {
                    nzSetVal(o, 0, g_strdup("Length"));
                } else if ((n = nzEthertypeNum(v)) >= 0) {
                    const char *name = nzLookupNum(nzEthertypes, (int)n);
                    if (n == 0x600)
                        nzSetVal(o, 0, g_strdup("Length"));
                    else if (n > 0x600)
                        nzSetVal(o, 0, name ? g_strdup(name) :
                                 g_strdup_printf("0x%lx", n));
                }
            } else if (idx == NZ_HDR_S || idx == NZ_HDR_D) {
                nzSetVal(o, 0, nzFormatEbMac(v, true));
            }
            continue;
        }
        if (!strcmp(t, "-j") || !strcmp(t, "--jump")) {
            const char *name = spec[i] ? spec[i++] : "";
            nzExtFree(ctx->target);
            ctx->target = nzExtNew(name, NULL);
            ctx->cur = ctx->target;
            continue;
        }

        for (guint k = 0; k < ctx->exts->len && !od; k++) {
            e = g_ptr_array_index(ctx->exts, k);
            od = nzFindOpt(e->def, t, &rank);
        }
        if (!od) {
            for (size_t k = 0; nzEbExts[k].name && !od; k++) {
                if ((od = nzFindOpt(&nzEbExts[k], t, &rank)))
                    e = nzCtxAddExt(ctx, nzEbExts[k].name, &nzEbExts[k]);
            }
        }
        if (od) {
            nzAddKnown(ctx, e, od, rank, t, inv, spec, &i);
            ctx->cur = e;
            continue;
        }
        if (!ctx->cur) {
            if (!ctx->hdrRaw)
                ctx->hdrRaw = nzExtNew(NULL, NULL);
            ctx->cur = ctx->hdrRaw;
        }
        nzAddUnknown(ctx, ctx->cur, t, inv, spec, &i);
    }
}

/* ------------------------------------------------------------------ */
/* printing                                                            */

static gint
nzOptCmp(gconstpointer a, gconstpointer b)
{
    const NzOpt *x = *(NzOpt *const *)a;
    const NzOpt *y = *(NzOpt *const *)b;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* stable sort by rank (g_ptr_array_sort is not guaranteed stable) */
static void
nzSortOpts(NzExt *e)
{
    for (guint i = 1; i < e->opts->len; i++) {
        gpointer cur = e->opts->pdata[i];
        guint j = i;
        while (j > 0 && nzOptCmp(&e->opts->pdata[j - 1], &cur) > 0) {
            e->opts->pdata[j] = e->opts->pdata[j - 1];
            j--;
        }
        e->opts->pdata[j] = cur;
    }
}

static void
nzEmitOpt(GPtrArray *out, NzOpt *o, bool eb)
{
    if (o->drop)
        return;
    if (o->inv && (!eb || o->vals->len == 0))
        g_ptr_array_add(out, g_strdup("!"));
    g_ptr_array_add(out, g_strdup(o->name));
    if (o->inv && eb && o->vals->len)
        g_ptr_array_add(out, g_strdup("!"));
    for (guint i = 0; i < o->vals->len; i++)
        g_ptr_array_add(out, g_strdup(g_ptr_array_index(o->vals, i)));
}

static void
nzEmitExtOpts(NzCtx *ctx, GPtrArray *out, NzExt *e, bool eb)
{
    if (e->def && e->def->finish)
        e->def->finish(ctx, e);
    nzSortOpts(e);
    for (guint i = 0; i < e->opts->len; i++)
        nzEmitOpt(out, g_ptr_array_index(e->opts, i), eb);
}

char **
vfNormalizeRule(virFirewallLayer layer, const char *const *spec)
{
    return vfNormalizeRuleExact(layer, spec, NULL);
}

char **
vfNormalizeRuleExact(virFirewallLayer layer, const char *const *spec,
                     gboolean *exact)
{
    NzCtx ctx = { .layer = layer };
    GPtrArray *out = g_ptr_array_new();
    bool eb = layer == VIR_FIREWALL_LAYER_ETHERNET;
    static const int iptOrder[] = {NZ_HDR_S, NZ_HDR_D, NZ_HDR_I, NZ_HDR_O,
                                   NZ_HDR_P, NZ_HDR_F};
    static const int ebOrder[] = {NZ_HDR_P, NZ_HDR_S, NZ_HDR_D, NZ_HDR_I,
                                  NZ_HDR_LIN, NZ_HDR_O, NZ_HDR_LOUT};
    const int *order = eb ? ebOrder : iptOrder;
    size_t norder = eb ? G_N_ELEMENTS(ebOrder) : G_N_ELEMENTS(iptOrder);
    static const char *const empty[] = { NULL };

    ctx.exts = g_ptr_array_new_with_free_func(nzExtFree);
    if (!spec)
        spec = empty;
    if (eb)
        nzParseEb(&ctx, spec);
    else
        nzParseIpt(&ctx, spec);

    for (size_t k = 0; k < norder; k++)
        if (ctx.hdr[order[k]])
            nzEmitOpt(out, ctx.hdr[order[k]], eb);
    if (ctx.hdrRaw)
        nzEmitExtOpts(&ctx, out, ctx.hdrRaw, eb);

    for (guint k = 0; k < ctx.exts->len; k++) {
        NzExt *e = g_ptr_array_index(ctx.exts, k);
        if (!eb) {
            g_ptr_array_add(out, g_strdup("-m"));
            g_ptr_array_add(out, g_strdup(e->name));
        }
        nzEmitExtOpts(&ctx, out, e, eb);
    }
    if (ctx.target) {
        g_ptr_array_add(out, g_strdup(ctx.gotoTarget ? "-g" : "-j"));
        g_ptr_array_add(out, g_strdup(ctx.target->name));
        nzEmitExtOpts(&ctx, out, ctx.target, eb);
    }

    for (size_t k = 0; k < G_N_ELEMENTS(ctx.hdr); k++)
        nzOptFree(ctx.hdr[k]);
    nzExtFree(ctx.hdrRaw);
    nzExtFree(ctx.target);
    g_ptr_array_unref(ctx.exts);
    g_ptr_array_add(out, NULL);
    if (exact)
        *exact = !ctx.inexact;
    return (char **)g_ptr_array_free(out, FALSE);
}

char **
vfNormalizeSplitSaveLine(const char *line)
{
    return vfSyntaxSplit(line ? line : "");
}
