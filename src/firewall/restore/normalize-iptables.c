/*
 * normalize-iptables.c: iptables and ip6tables matches and targets
 *
 * For each extension the restore backend knows, its options in the order
 * iptables-save prints them (the order of its NormOptionDef table), and
 * the fix that rewrites an option's value the way the kernel round trip
 * does.
 */
#include "restore/normalize-priv.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* iptables fixers                                                     */

static void
normFixPort(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    gboolean full;
    const char *v = normVal(o, 0);
    if (!v)
        return;
    normSetVal(o, 0, normFormatPortRange(v, TRUE, &full));
    if (full)
        o->drop = TRUE;
}

static const char *normTcpFlagNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};

static char *
normFormatTcpFlags(const char *s)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    unsigned int bits = 0;
    GString *out;

    for (size_t i = 0; parts[i]; i++) {
        gboolean found = FALSE;
        if (g_ascii_strcasecmp(parts[i], "ALL") == 0) {
            bits |= 0x3F;
            continue;
        }
        if (g_ascii_strcasecmp(parts[i], "NONE") == 0)
            continue;
        for (size_t j = 0; j < G_N_ELEMENTS(normTcpFlagNames); j++) {
            if (g_ascii_strcasecmp(parts[i], normTcpFlagNames[j]) == 0) {
                bits |= 1u << j;
                found = TRUE;
            }
        }
        if (!found)
            return g_strdup(s);
    }
    if (!bits)
        return g_strdup("NONE");
    out = g_string_new(NULL);
    for (size_t j = 0; j < G_N_ELEMENTS(normTcpFlagNames); j++) {
        if (bits & (1u << j)) {
            if (out->len)
                g_string_append_c(out, ',');
            g_string_append(out, normTcpFlagNames[j]);
        }
    }
    return g_string_free(out, FALSE);
}

static void
normFixTcpFlags(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    for (guint i = 0; i < 2 && i < o->vals->len; i++)
        normSetVal(o, i, normFormatTcpFlags(normVal(o, i)));
}

void
normFixSyn(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    g_free(o->name);
    o->name = g_strdup("--tcp-flags");
    normSetVal(o, 0, g_strdup("FIN,SYN,RST,ACK"));
    normSetVal(o, 1, g_strdup("SYN"));
}

/* iptables icmp/icmp6: names -> numbers; 255 -> any (v4) */
static void
normFixIptIcmp(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    const NormIcmpName *tab = strcmp(o->name, "--icmp-type") == 0 ?
        normIcmpNames : normIcmp6Names;
    const char *v = normVal(o, 0);
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
            normSetVal(o, 0, g_strdup_printf("%d", tab[i].type));
        else
            normSetVal(o, 0, g_strdup_printf("%d/%d", tab[i].type, tab[i].cmin));
        return;
    }
    tc = g_strsplit(v, "/", 2);
    if (!normParseUInt(tc[0], 10, 255, &t))
        return;
    if (tc[1]) {
        if (!normParseUInt(tc[1], 10, 255, &c))
            return;
        normSetVal(o, 0, g_strdup_printf("%lu/%lu", t, c));
    } else if (t == 255 && tab == normIcmpNames) {
        normSetVal(o, 0, g_strdup("any"));
    } else {
        normSetVal(o, 0, g_strdup_printf("%lu", t));
    }
}

static void
normFixMacLower(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    unsigned char m[6];
    const char *v = normVal(o, 0);
    if (v && normParseMacBytes(v, m))
        normSetVal(o, 0, normMacStr(m, TRUE));
}

static const char *normCtStates[] = {
    "INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT",
};
static const char *normCtStatus[] = {
    "NONE", "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED",
};

static char *
normFormatFlagList(const char *s, const char **names, size_t n)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    unsigned int bits = 0;
    GString *out;

    for (size_t i = 0; parts[i]; i++) {
        gboolean found = FALSE;
        for (size_t j = 0; j < n; j++) {
            if (g_ascii_strcasecmp(parts[i], names[j]) == 0) {
                bits |= 1u << j;
                found = TRUE;
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
normFixCtState(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (normVal(o, 0))
        normSetVal(o, 0, normFormatFlagList(normVal(o, 0), normCtStates,
                                        G_N_ELEMENTS(normCtStates)));
}

static void
normFixCtStatus(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (normVal(o, 0))
        normSetVal(o, 0, normFormatFlagList(normVal(o, 0), normCtStatus,
                                        G_N_ELEMENTS(normCtStatus)));
}

static void
normFixCtProto(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    unsigned long n;
    int num;
    const char *v = normVal(o, 0);
    if (!v || normParseUInt(v, 10, 255, &n))
        return;
    num = normLookupName(normProtocols, v, TRUE);
    if (num >= 0)
        normSetVal(o, 0, g_strdup_printf("%d", num));
}

static void
normFixUpper(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (normVal(o, 0))
        normSetVal(o, 0, g_ascii_strup(normVal(o, 0), -1));
}

static void
normFixDscp(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    unsigned long n;
    if (normVal(o, 0) && normParseUInt(normVal(o, 0), 0, 63, &n))
        normSetVal(o, 0, g_strdup_printf("0x%02lx", n));
}

static void
normFixComment(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    const char *v = normVal(o, 0);
    if (v && strlen(v) > 255)
        normSetVal(o, 0, g_strndup(v, 255));
}

void
normFixMark(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    const char *v = normVal(o, 0);
    g_auto(GStrv) p = NULL;
    unsigned long a, b;

    if (!v)
        return;
    p = g_strsplit(v, "/", 2);
    if (!normParseUInt(p[0], 0, 0xFFFFFFFFul, &a))
        return;
    if (p[1]) {
        if (!normParseUInt(p[1], 0, 0xFFFFFFFFul, &b))
            return;
        normSetVal(o, 0, g_strdup_printf("0x%lx/0x%lx", a, b));
    } else {
        normSetVal(o, 0, g_strdup_printf("0x%lx", a));
    }
}

void
normFixLimit(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    const char *v = normVal(o, 0);
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
            normSetVal(o, 0, g_strdup_printf("%.*s/%s", (int)(slash - v), v,
                                           units[i].out));
            return;
        }
    }
}

static void
normFixLimitBurst(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (normVal(o, 0) && strcmp(normVal(o, 0), "5") == 0)
        o->drop = TRUE;
}

/* connlimit: "! --connlimit-above N" is saved as "--connlimit-upto N" */
static void
normFixConnlimitInv(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (!o->inv)
        return;
    o->inv = FALSE;
    g_free(o->name);
    o->name = g_strdup("--connlimit-upto");
}

static void
normFixConnlimitUptoInv(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (!o->inv)
        return;
    o->inv = FALSE;
    g_free(o->name);
    o->name = g_strdup("--connlimit-above");
}

static void
normFinishConnlimit(NormRule *ctx, NormExtension *ext)
{
    NormOption *o;
    if (!normExtFind(ext, "--connlimit-mask")) {
        o = normOptNew("--connlimit-mask", FALSE, 2);
        g_ptr_array_add(o->vals, g_strdup(ctx->layer == VIR_FIREWALL_LAYER_IPV6 ?
                                          "128" : "32"));
        g_ptr_array_add(ext->opts, o);
    }
    if (!normExtFind(ext, "--connlimit-saddr") &&
        !normExtFind(ext, "--connlimit-daddr"))
        g_ptr_array_add(ext->opts, normOptNew("--connlimit-saddr", FALSE, 3));
}

static void
normFixIptRange(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    /* iprange prints what inet_ntop gives for both ends */
    const char *v = normVal(o, 0);
    g_auto(GStrv) p = NULL;
    gboolean v6 = ctx->layer == VIR_FIREWALL_LAYER_IPV6;
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
    normSetVal(o, 0, g_strdup_printf("%s-%s", a, b));
}

static void
normFixRejectWith(NormRule *ctx, NormExtension *ext, NormOption *o)
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
    const char *v = normVal(o, 0);
    gboolean is6 = ctx->layer == VIR_FIREWALL_LAYER_IPV6;
    size_t n = is6 ? G_N_ELEMENTS(v6) : G_N_ELEMENTS(v4);

    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v, is6 ? v6[i].in : v4[i].in) == 0) {
            normSetVal(o, 0, g_strdup(is6 ? v6[i].out : v4[i].out));
            return;
        }
    }
}

static void
normFinishReject(NormRule *ctx, NormExtension *ext)
{
    if (!normExtFind(ext, "--reject-with")) {
        NormOption *o = normOptNew("--reject-with", FALSE, 0);
        g_ptr_array_add(o->vals, g_strdup(ctx->layer == VIR_FIREWALL_LAYER_IPV6 ?
                                          "icmp6-port-unreachable" :
                                          "icmp-port-unreachable"));
        g_ptr_array_add(ext->opts, o);
    }
}

static void
normFixToPorts(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    const char *v = normVal(o, 0);
    g_auto(GStrv) p = NULL;
    if (!v)
        return;
    p = g_strsplit(v, "-", 2);
    if (p[0] && p[1] && strcmp(p[0], p[1]) == 0)
        normSetVal(o, 0, g_strdup(p[0]));
}

static void
normFixLogLevel(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    const char *v = normVal(o, 0);
    unsigned long n;
    int lvl;
    if (!v)
        return;
    if (normParseUInt(v, 10, 7, &n))
        lvl = (int)n;
    else if ((lvl = normLookupName(normLogLevels, v, TRUE)) < 0)
        return;
    if (lvl == 4)
        o->drop = TRUE;
    else
        normSetVal(o, 0, g_strdup_printf("%d", lvl));
}

static void
normFixSetMark(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    const char *v = normVal(o, 0);
    g_auto(GStrv) p = NULL;
    unsigned long a, b = 0xFFFFFFFFul;
    if (!v)
        return;
    p = g_strsplit(v, "/", 2);
    if (!normParseUInt(p[0], 0, 0xFFFFFFFFul, &a) ||
        (p[1] && !normParseUInt(p[1], 0, 0xFFFFFFFFul, &b)))
        return;
    if (strcmp(o->name, "--set-mark") == 0) {
        g_free(o->name);
        o->name = g_strdup("--set-xmark");
        normSetVal(o, 0, g_strdup_printf("0x%lx/0x%lx", a, b));
    } else {
        normSetVal(o, 0, g_strdup_printf("0x%lx/0x%lx", a, b));
    }
}

/* ------------------------------------------------------------------ */
/* iptables extension tables                                           */

static const NormOptionDef normIptTcpOpts[] = {
    {{"--sport", "--source-port"}, 1, normFixPort},
    {{"--dport", "--destination-port"}, 1, normFixPort},
    {{"--tcp-option"}, 1, NULL},
    {{"--tcp-flags", "--syn"}, 2, normFixTcpFlags},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptUdpOpts[] = {
    {{"--sport", "--source-port"}, 1, normFixPort},
    {{"--dport", "--destination-port"}, 1, normFixPort},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptIcmpOpts[] = {
    {{"--icmp-type"}, 1, normFixIptIcmp},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptIcmp6Opts[] = {
    {{"--icmpv6-type"}, 1, normFixIptIcmp},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptMacOpts[] = {
    {{"--mac-source"}, 1, normFixMacLower},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptConntrackOpts[] = {
    {{"--ctstate"}, 1, normFixCtState},
    {{"--ctproto"}, 1, normFixCtProto},
    {{"--ctorigsrc"}, 1, NULL},
    {{"--ctorigdst"}, 1, NULL},
    {{"--ctreplsrc"}, 1, NULL},
    {{"--ctrepldst"}, 1, NULL},
    {{"--ctorigsrcport"}, 1, NULL},
    {{"--ctorigdstport"}, 1, NULL},
    {{"--ctreplsrcport"}, 1, NULL},
    {{"--ctrepldstport"}, 1, NULL},
    {{"--ctstatus"}, 1, normFixCtStatus},
    {{"--ctexpire"}, 1, NULL},
    {{"--ctdir"}, 1, normFixUpper},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptStateOpts[] = {
    {{"--state"}, 1, normFixCtState},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptIprangeOpts[] = {
    {{"--src-range"}, 1, normFixIptRange},
    {{"--dst-range"}, 1, normFixIptRange},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptDscpOpts[] = {
    {{"--dscp"}, 1, normFixDscp},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptConnlimitOpts[] = {
    {{"--connlimit-above"}, 1, normFixConnlimitInv},
    {{"--connlimit-upto"}, 1, normFixConnlimitUptoInv},
    {{"--connlimit-mask"}, 1, NULL},
    {{"--connlimit-saddr"}, 0, NULL},
    {{"--connlimit-daddr"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptCommentOpts[] = {
    {{"--comment"}, 1, normFixComment},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptSetOpts[] = {
    {{"--match-set", "--set"}, 2, NULL},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptPhysdevOpts[] = {
    {{"--physdev-is-in"}, 0, NULL},
    {{"--physdev-in"}, 1, NULL},
    {{"--physdev-is-out"}, 0, NULL},
    {{"--physdev-out"}, 1, NULL},
    {{"--physdev-is-bridged"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptMarkOpts[] = {
    {{"--mark"}, 1, normFixMark},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptLimitOpts[] = {
    {{"--limit"}, 1, normFixLimit},
    {{"--limit-burst"}, 1, normFixLimitBurst},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptMultiportOpts[] = {
    {{"--sports", "--source-ports"}, 1, NULL},
    {{"--dports", "--destination-ports"}, 1, NULL},
    {{"--ports"}, 1, NULL},
    {{NULL}, 0, NULL}
};
/* targets */
static const NormOptionDef normIptRejectOpts[] = {
    {{"--reject-with"}, 1, normFixRejectWith},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptMasqOpts[] = {
    {{"--to-ports"}, 1, normFixToPorts},
    {{"--random"}, 0, NULL},
    {{"--random-fully"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptSnatOpts[] = {
    {{"--to-source"}, 1, NULL},
    {{"--random"}, 0, NULL},
    {{"--random-fully"}, 0, NULL},
    {{"--persistent"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptDnatOpts[] = {
    {{"--to-destination"}, 1, NULL},
    {{"--random"}, 0, NULL},
    {{"--persistent"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptChecksumOpts[] = {
    {{"--checksum-fill"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptLogOpts[] = {
    {{"--log-prefix"}, 1, NULL},
    {{"--log-level"}, 1, normFixLogLevel},
    {{"--log-tcp-sequence"}, 0, NULL},
    {{"--log-tcp-options"}, 0, NULL},
    {{"--log-ip-options"}, 0, NULL},
    {{"--log-uid"}, 0, NULL},
    {{"--log-macdecode"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normIptMarkTgtOpts[] = {
    {{"--set-xmark", "--set-mark"}, 1, normFixSetMark},
    {{NULL}, 0, NULL}
};

const NormExtensionDef normIptExts[] = {
    {"tcp", normIptTcpOpts, NULL},
    {"udp", normIptUdpOpts, NULL},
    {"sctp", normIptUdpOpts, NULL},
    {"dccp", normIptUdpOpts, NULL},
    {"icmp", normIptIcmpOpts, NULL},
    {"icmp6", normIptIcmp6Opts, NULL},
    {"mac", normIptMacOpts, NULL},
    {"conntrack", normIptConntrackOpts, NULL},
    {"state", normIptStateOpts, NULL},
    {"iprange", normIptIprangeOpts, NULL},
    {"dscp", normIptDscpOpts, NULL},
    {"connlimit", normIptConnlimitOpts, normFinishConnlimit},
    {"comment", normIptCommentOpts, NULL},
    {"set", normIptSetOpts, NULL},
    {"physdev", normIptPhysdevOpts, NULL},
    {"mark", normIptMarkOpts, NULL},
    {"limit", normIptLimitOpts, NULL},
    {"multiport", normIptMultiportOpts, NULL},
    {NULL, NULL, NULL}
};

const NormExtensionDef normIptTargets[] = {
    {"REJECT", normIptRejectOpts, normFinishReject},
    {"MASQUERADE", normIptMasqOpts, NULL},
    {"SNAT", normIptSnatOpts, NULL},
    {"DNAT", normIptDnatOpts, NULL},
    {"CHECKSUM", normIptChecksumOpts, NULL},
    {"LOG", normIptLogOpts, NULL},
    {"MARK", normIptMarkTgtOpts, NULL},
    {NULL, NULL, NULL}
};
