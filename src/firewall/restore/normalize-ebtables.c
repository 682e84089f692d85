/*
 * normalize-ebtables.c: ebtables matches and watchers
 *
 * For each ebtables extension the restore backend knows, its options in
 * the order ebtables-save prints them, and the fix that rewrites a value
 * the way the kernel round trip does.
 */
#include "restore/normalize-priv.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* ebtables fixers                                                     */

static void
normFixEbAddr4(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (normVal(o, 0))
        normSetVal(o, 0, normFormatAddr(FALSE, normVal(o, 0), NORM_ADDR_EBTABLES, &ctx->inexact));
}

static void
normFixEbAddr6(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (normVal(o, 0))
        normSetVal(o, 0, normFormatAddr(TRUE, normVal(o, 0), NORM_ADDR_EBTABLES, &ctx->inexact));
}

static void
normFixEbProto(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (normVal(o, 0))
        normSetVal(o, 0, normProtoName(normVal(o, 0), NULL));
}

static void
normFixEbPort(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    gboolean full;
    if (normVal(o, 0))
        normSetVal(o, 0, normFormatPortRange(normVal(o, 0), FALSE, &full));
}

static void
normFixEbTos(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    unsigned long n;
    if (normVal(o, 0) && normParseUInt(normVal(o, 0), 0, 255, &n))
        normSetVal(o, 0, g_strdup_printf("0x%02lX", n));
}

/* "lo[:hi]" -> (lo, hi) */
static gboolean
normParseRange8(const char *s, unsigned long *lo, unsigned long *hi)
{
    g_auto(GStrv) p = g_strsplit(s, ":", 2);
    if (!normParseUInt(p[0], 10, 255, lo))
        return FALSE;
    if (!p[1]) {
        *hi = *lo;
        return TRUE;
    }
    return normParseUInt(p[1], 10, 255, hi);
}

static void
normFixEbIcmp(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    const NormIcmpName *tab = strcmp(o->name, "--ip-icmp-type") == 0 ?
        normIcmpNames : normIcmp6Names;
    const char *v = normVal(o, 0);
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
    if (!normParseRange8(p[0], &t0, &t1))
        return;
    if (p[1] && !normParseRange8(p[1], &c0, &c1))
        return;
 print:
    if (t0 == t1) {
        for (size_t i = 0; tab[i].name; i++) {
            if ((unsigned long)tab[i].type == t0 &&
                (unsigned long)tab[i].cmin == c0 &&
                (unsigned long)tab[i].cmax == c1) {
                normSetVal(o, 0, g_strdup(tab[i].name));
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
    normSetVal(o, 0, g_string_free(out, FALSE));
}

static void
normFixEbArpOp(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    const char *v = normVal(o, 0);
    unsigned long n;
    const char *name;
    int num;

    if (!v)
        return;
    if (normParseUInt(v, 10, 65535, &n)) {
        name = normLookupNum(normArpOps, (int)n);
        normSetVal(o, 0, name ? g_strdup(name) : g_strdup_printf("%lu", n));
    } else if ((num = normLookupName(normArpOps, v, TRUE)) > 0) {
        normSetVal(o, 0, g_strdup(normLookupNum(normArpOps, num)));
    }
}

static void
normFixEbArpHtype(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (normVal(o, 0) && g_ascii_strcasecmp(normVal(o, 0), "Ethernet") == 0)
        normSetVal(o, 0, g_strdup("1"));
}

/* ethertype name or hex number -> value; -1 if unknown */
long
normEthertypeNum(const char *s)
{
    unsigned long n;
    int num;
    if (normParseUInt(s, 16, 0xFFFF, &n))
        return (long)n;
    num = normLookupName(normEthertypes, s, TRUE);
    return num;
}

static void
normFixEbArpPtype(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    long n;
    if (normVal(o, 0) && (n = normEthertypeNum(normVal(o, 0))) >= 0)
        normSetVal(o, 0, g_strdup_printf("0x%lx", n));
}

static void
normFixEbMacPlain(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (normVal(o, 0))
        normSetVal(o, 0, normFormatEbMac(normVal(o, 0), FALSE));
}

static void
normFixEbVlanEncap(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    /* parsed with strtol(base 16), printed "%4.4X" (no names) */
    const char *v = normVal(o, 0);
    unsigned long n;
    if (!v)
        return;
    if (!normParseUInt(v, 16, 0xFFFFFFFFul, &n)) {
        long e = normLookupName(normEthertypes, v, TRUE);
        if (e < 0)
            return;
        n = (unsigned long)e;
    }
    normSetVal(o, 0, g_strdup_printf("%04lX", n & 0xFFFF));
}

static void
normFinishEbVlan(NormRule *ctx, NormExtension *ext)
{
    /* nft: with --vlan-id present, --vlan-prio is lost on the way back */
    NormOption *prio = normExtFind(ext, "--vlan-prio");
    if (prio && normExtFind(ext, "--vlan-id"))
        prio->drop = TRUE;
}

static void
normFixEbStpType(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    unsigned long n;
    const char *v = normVal(o, 0);
    if (!v || !normParseUInt(v, 0, 255, &n))
        return;
    if (n == 0)
        normSetVal(o, 0, g_strdup("config"));
    else if (n == 0x80)
        normSetVal(o, 0, g_strdup("tcn"));
    else
        normSetVal(o, 0, g_strdup_printf("%lu", n));
}

static void
normFixEbStpFlags(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    unsigned long n;
    const char *v = normVal(o, 0);
    if (!v || !normParseUInt(v, 0, 255, &n))
        return;
    if (n == 1)
        normSetVal(o, 0, g_strdup("topology-change"));
    else if (n == 0x80)
        normSetVal(o, 0, g_strdup("topology-change-ack"));
    else
        normSetVal(o, 0, g_strdup_printf("%lu", n));
}

static void
normFixEbStpRange(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    const char *v = normVal(o, 0);
    g_auto(GStrv) p = NULL;
    unsigned long lo, hi;
    if (!v)
        return;
    p = g_strsplit(v, ":", 2);
    if (!normParseUInt(p[0], 10, 0xFFFFFFFFul, &lo))
        return;
    if (!p[1]) {
        normSetVal(o, 0, g_strdup_printf("%lu", lo));
        return;
    }
    if (!normParseUInt(p[1], 10, 0xFFFFFFFFul, &hi))
        return;
    if (lo == hi)
        normSetVal(o, 0, g_strdup_printf("%lu", lo));
    else
        normSetVal(o, 0, g_strdup_printf("%lu:%lu", lo, hi));
}

static void
normFixEbMark(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    normFixMark(ctx, ext, o);
}

/* ebtables match tables: option order = print order */
static const NormOptionDef normEbIpOpts[] = {
    {{"--ip-src", "--ip-source"}, 1, normFixEbAddr4},
    {{"--ip-dst", "--ip-destination"}, 1, normFixEbAddr4},
    {{"--ip-tos"}, 1, normFixEbTos},
    {{"--ip-proto", "--ip-protocol"}, 1, normFixEbProto},
    {{"--ip-sport", "--ip-source-port"}, 1, normFixEbPort},
    {{"--ip-dport", "--ip-destination-port"}, 1, normFixEbPort},
    {{"--ip-icmp-type"}, 1, normFixEbIcmp},
    {{"--ip-igmp-type"}, 1, NULL},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normEbIp6Opts[] = {
    {{"--ip6-src", "--ip6-source"}, 1, normFixEbAddr6},
    {{"--ip6-dst", "--ip6-destination"}, 1, normFixEbAddr6},
    {{"--ip6-tclass"}, 1, normFixEbTos},
    {{"--ip6-proto", "--ip6-protocol"}, 1, normFixEbProto},
    {{"--ip6-sport", "--ip6-source-port"}, 1, normFixEbPort},
    {{"--ip6-dport", "--ip6-destination-port"}, 1, normFixEbPort},
    {{"--ip6-icmp-type"}, 1, normFixEbIcmp},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normEbArpOpts[] = {
    {{"--arp-op", "--arp-opcode"}, 1, normFixEbArpOp},
    {{"--arp-htype"}, 1, normFixEbArpHtype},
    {{"--arp-ptype"}, 1, normFixEbArpPtype},
    {{"--arp-ip-src"}, 1, normFixEbAddr4},
    {{"--arp-ip-dst"}, 1, normFixEbAddr4},
    {{"--arp-mac-src"}, 1, normFixEbMacPlain},
    {{"--arp-mac-dst"}, 1, normFixEbMacPlain},
    {{"--arp-gratuitous"}, 0, NULL},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normEbVlanOpts[] = {
    {{"--vlan-id"}, 1, NULL},
    {{"--vlan-prio"}, 1, NULL},
    {{"--vlan-encap"}, 1, normFixEbVlanEncap},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normEbStpOpts[] = {
    {{"--stp-type"}, 1, normFixEbStpType},
    {{"--stp-flags"}, 1, normFixEbStpFlags},
    {{"--stp-root-prio", "--stp-root-pri"}, 1, normFixEbStpRange},
    {{"--stp-root-addr"}, 1, normFixEbMacPlain},
    {{"--stp-root-cost"}, 1, normFixEbStpRange},
    {{"--stp-sender-prio"}, 1, normFixEbStpRange},
    {{"--stp-sender-addr"}, 1, normFixEbMacPlain},
    {{"--stp-port"}, 1, normFixEbStpRange},
    {{"--stp-msg-age"}, 1, normFixEbStpRange},
    {{"--stp-max-age"}, 1, normFixEbStpRange},
    {{"--stp-hello-time"}, 1, normFixEbStpRange},
    {{"--stp-forward-delay"}, 1, normFixEbStpRange},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normEbMarkOpts[] = {
    {{"--mark"}, 1, normFixEbMark},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normEbPkttypeOpts[] = {
    {{"--pkttype-type"}, 1, NULL},
    {{NULL}, 0, NULL}
};
static const NormOptionDef normEbLimitOpts[] = {
    {{"--limit"}, 1, normFixLimit},
    {{"--limit-burst"}, 1, NULL},
    {{NULL}, 0, NULL}
};

static void
normFinishEbLimit(NormRule *ctx, NormExtension *ext)
{
    if (!normExtFind(ext, "--limit-burst")) {
        NormOption *o = normOptNew("--limit-burst", FALSE, 1);
        g_ptr_array_add(o->vals, g_strdup("5"));
        g_ptr_array_add(ext->opts, o);
    }
}

static void
normFixEbLogLevel(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    unsigned long n;
    const char *v = normVal(o, 0);
    int lvl;
    if (!v)
        return;
    if (normParseUInt(v, 10, 7, &n))
        lvl = (int)n;
    else if ((lvl = normLookupName(normLogLevels, v, TRUE)) < 0)
        return;
    normSetVal(o, 0, g_strdup(normLookupNum(normLogLevels, lvl)));
}

static void
normFixDrop(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    o->drop = TRUE;
}

/* ebtables-save prints no empty prefix (iptables refuses one) */
static void
normFixDropEmpty(NormRule *ctx, NormExtension *ext, NormOption *o)
{
    if (normVal(o, 0) && !*normVal(o, 0))
        o->drop = TRUE;
}

/* log watcher: "--log" alone is saved as "--log-level notice" */
static const NormOptionDef normEbLogOpts[] = {
    {{"--log-level"}, 1, normFixEbLogLevel},
    {{"--log-prefix"}, 1, normFixDropEmpty},
    {{"--log-ip"}, 0, NULL},
    {{"--log-arp"}, 0, NULL},
    {{"--log-ip6"}, 0, NULL},
    {{"--log"}, 0, normFixDrop},
    {{NULL}, 0, NULL}
};

static void
normFinishEbLog(NormRule *ctx, NormExtension *ext)
{
    if (!normExtFind(ext, "--log-level")) {
        NormOption *o = normOptNew("--log-level", FALSE, 0);
        g_ptr_array_add(o->vals, g_strdup("notice"));
        g_ptr_array_add(ext->opts, o);
    }
}

const NormExtensionDef normEbExts[] = {
    {"ip", normEbIpOpts, NULL},
    {"ip6", normEbIp6Opts, NULL},
    {"arp", normEbArpOpts, NULL},
    {"vlan", normEbVlanOpts, normFinishEbVlan},
    {"stp", normEbStpOpts, NULL},
    {"mark_m", normEbMarkOpts, NULL},
    {"pkttype", normEbPkttypeOpts, NULL},
    {"limit", normEbLimitOpts, normFinishEbLimit},
    {"log", normEbLogOpts, normFinishEbLog},
    {NULL, NULL, NULL}
};
