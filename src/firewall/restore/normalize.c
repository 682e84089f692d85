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
 * its NormOptionDef table), with values rewritten the way the kernel round trip
 * rewrites them. Unknown options stay where they were, relative to the
 * option before them. Every rule here was observed with iptables 1.8.9
 * (nf_tables) on Debian 12; see tests/restoredata/normalize/vocabulary.txt.
 */
#include "restore/normalize-priv.h"
#include "restore/syntax.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
normOptFree(gpointer p)
{
    NormOption *o = p;
    if (!o)
        return;
    g_free(o->name);
    g_ptr_array_unref(o->vals);
    g_free(o);
}

NormOption *
normOptNew(const char *name, gboolean inv, int rank)
{
    NormOption *o = g_new0(NormOption, 1);
    o->name = g_strdup(name);
    o->inv = inv;
    o->rank = rank;
    o->vals = g_ptr_array_new_with_free_func(g_free);
    return o;
}

static void
normExtFree(gpointer p)
{
    NormExtension *e = p;
    if (!e)
        return;
    g_free(e->name);
    g_ptr_array_unref(e->opts);
    g_free(e);
}

static NormExtension *
normExtNew(const char *name, const NormExtensionDef *def)
{
    NormExtension *e = g_new0(NormExtension, 1);
    e->name = g_strdup(name);
    e->def = def;
    e->opts = g_ptr_array_new_with_free_func(normOptFree);
    return e;
}

const char *
normVal(NormOption *o, guint i)
{
    return i < o->vals->len ? g_ptr_array_index(o->vals, i) : NULL;
}

void
normSetVal(NormOption *o, guint i, char *newval /* owned */)
{
    if (i < o->vals->len) {
        g_free(o->vals->pdata[i]);
        o->vals->pdata[i] = newval;
    } else {
        g_ptr_array_add(o->vals, newval);
    }
}

NormOption *
normExtFind(NormExtension *e, const char *name)
{
    for (guint i = 0; i < e->opts->len; i++) {
        NormOption *o = g_ptr_array_index(e->opts, i);
        if (strcmp(o->name, name) == 0)
            return o;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* parsing                                                             */

static const NormOptionDef *
normFindOpt(const NormExtensionDef *def, const char *name, int *rank)
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

static const NormExtensionDef *
normFindExtDef(const NormExtensionDef *tab, const char *name)
{
    for (size_t i = 0; tab[i].name; i++)
        if (strcmp(tab[i].name, name) == 0)
            return &tab[i];
    return NULL;
}

static gboolean
normIsOptionTok(const char *t)
{
    return t[0] == '-' && t[1] && !g_ascii_isdigit(t[1]);
}

/* take @n values (n < 0: all up to the next option or "!") */
static guint
normTakeVals(NormOption *o, const char *const *spec, guint i, int n)
{
    if (n < 0) {
        while (spec[i] && !normIsOptionTok(spec[i]) && strcmp(spec[i], "!") != 0)
            g_ptr_array_add(o->vals, g_strdup(spec[i++]));
        return i;
    }
    for (int k = 0; k < n && spec[i]; k++)
        g_ptr_array_add(o->vals, g_strdup(spec[i++]));
    return i;
}

/* rank for an unknown option: keep it right after its predecessor */
static int
normLastRank(NormExtension *e)
{
    if (!e->opts->len)
        return -1;
    return ((NormOption *)g_ptr_array_index(e->opts, e->opts->len - 1))->rank;
}

static NormExtension *
normCtxAddExt(NormRule *ctx, const char *name, const NormExtensionDef *def)
{
    NormExtension *e = normExtNew(name, def);
    g_ptr_array_add(ctx->exts, e);
    return e;
}

static NormExtension *
normFindExt(NormRule *ctx, const char *name)
{
    for (guint i = 0; i < ctx->exts->len; i++) {
        NormExtension *e = g_ptr_array_index(ctx->exts, i);
        if (e->name && strcmp(e->name, name) == 0)
            return e;
    }
    return NULL;
}

static void
normAddKnown(NormRule *ctx, NormExtension *ext, const NormOptionDef *od, int rank,
           const char *given, gboolean inv, const char *const *spec, guint *i)
{
    NormOption *o = normOptNew(od->names[0], inv, rank);
    if (strcmp(given, "--syn") == 0) {
        g_ptr_array_add(ext->opts, o);
        normFixSyn(ctx, ext, o);
        return;
    }
    *i = normTakeVals(o, spec, *i, od->nargs);
    g_ptr_array_add(ext->opts, o);
    if (od->fix)
        od->fix(ctx, ext, o);
}

static void
normAddUnknown(NormRule *ctx, NormExtension *ext, const char *name, gboolean inv,
             const char *const *spec, guint *i)
{
    NormOption *o = normOptNew(name, inv, normLastRank(ext));
    *i = normTakeVals(o, spec, *i, -1);
    g_ptr_array_add(ext->opts, o);
}

static NormOption *
normHdrSet(NormRule *ctx, int idx, const char *name, gboolean inv,
         const char *const *spec, guint *i, int nargs)
{
    NormOption *o = normOptNew(name, inv, idx);
    *i = normTakeVals(o, spec, *i, nargs);
    normOptFree(ctx->hdr[idx]);
    ctx->hdr[idx] = o;
    return o;
}

static const char *
normIptProtoMatch(NormRule *ctx)
{
    const char *p;
    NormOption *po = ctx->hdr[NORM_HEADER_PROTOCOL];
    if (!po || po->drop || !normVal(po, 0))
        return NULL;
    p = normVal(po, 0);
    if (strcmp(p, "ipv6-icmp") == 0)
        return ctx->layer == VIR_FIREWALL_LAYER_IPV6 ? "icmp6" : NULL;
    if (strcmp(p, "tcp") == 0 || strcmp(p, "udp") == 0 ||
        strcmp(p, "sctp") == 0 || strcmp(p, "dccp") == 0 ||
        strcmp(p, "icmp") == 0)
        return p;
    return NULL;
}

static void
normParseIpt(NormRule *ctx, const char *const *spec)
{
    gboolean v6 = ctx->layer == VIR_FIREWALL_LAYER_IPV6;
    guint i = 0;

    while (spec[i]) {
        const char *t = spec[i++];
        gboolean inv = FALSE;
        const NormOptionDef *od;
        int rank;
        NormExtension *e;

        if (strcmp(t, "!") == 0) {
            inv = TRUE;
            if (!spec[i])
                break;
            t = spec[i++];
        }

        if (!strcmp(t, "-s") || !strcmp(t, "--source") || !strcmp(t, "--src") ||
            !strcmp(t, "-d") || !strcmp(t, "--destination") || !strcmp(t, "--dst")) {
            int idx = (t[1] == 's' || !strncmp(t, "--s", 3)) ? NORM_HEADER_SOURCE : NORM_HEADER_DESTINATION;
            NormOption *o = normHdrSet(ctx, idx, idx == NORM_HEADER_SOURCE ? "-s" : "-d", inv,
                                spec, &i, 1);
            char *a = normVal(o, 0) ? normFormatAddr(v6, normVal(o, 0), NORM_ADDR_IPTABLES, &ctx->inexact) : NULL;
            if (!a && normVal(o, 0))
                o->drop = TRUE;
            else if (a)
                normSetVal(o, 0, a);
            continue;
        }
        if (!strcmp(t, "-i") || !strcmp(t, "--in-interface") ||
            !strcmp(t, "-o") || !strcmp(t, "--out-interface")) {
            int idx = (t[1] == 'i' || t[2] == 'i') ? NORM_HEADER_IN : NORM_HEADER_OUT;
            NormOption *o = normHdrSet(ctx, idx, idx == NORM_HEADER_IN ? "-i" : "-o", inv,
                                spec, &i, 1);
            if (normVal(o, 0) && strcmp(normVal(o, 0), "+") == 0)
                o->drop = TRUE;
            continue;
        }
        if (!strcmp(t, "-p") || !strcmp(t, "--protocol")) {
            NormOption *o = normHdrSet(ctx, NORM_HEADER_PROTOCOL, "-p", inv, spec, &i, 1);
            gboolean all;
            char *p;
            if (!normVal(o, 0))
                continue;
            p = normProtoName(normVal(o, 0), &all);
            if (all)
                o->drop = TRUE;
            else
                normSetVal(o, 0, p);
            continue;
        }
        if (!strcmp(t, "-f") || !strcmp(t, "--fragment")) {
            normHdrSet(ctx, NORM_HEADER_FRAGMENT, "-f", inv, spec, &i, 0);
            continue;
        }
        if (!strcmp(t, "-m") || !strcmp(t, "--match")) {
            const char *name = spec[i] ? spec[i++] : "";
            const NormExtensionDef *def = normFindExtDef(normIptExts, name);
            /* nft folds every tcp/udp match into the first one */
            if ((!strcmp(name, "tcp") || !strcmp(name, "udp")) &&
                (e = normFindExt(ctx, name))) {
                ctx->cur = e;
                continue;
            }
            ctx->cur = normCtxAddExt(ctx, name, def);
            continue;
        }
        if (!strcmp(t, "-j") || !strcmp(t, "--jump") ||
            !strcmp(t, "-g") || !strcmp(t, "--goto")) {
            const char *name = spec[i] ? spec[i++] : "";
            ctx->gotoTarget = t[1] == 'g' || !strcmp(t, "--goto");
            normExtFree(ctx->target);
            ctx->target = normExtNew(name, normFindExtDef(normIptTargets, name));
            ctx->cur = ctx->target;
            continue;
        }

        /* an extension option: target first, then matches, newest first */
        if (ctx->target && (od = normFindOpt(ctx->target->def, t, &rank))) {
            normAddKnown(ctx, ctx->target, od, rank, t, inv, spec, &i);
            continue;
        }
        e = NULL;
        od = NULL;
        for (guint k = ctx->exts->len; k > 0 && !od; k--) {
            e = g_ptr_array_index(ctx->exts, k - 1);
            od = normFindOpt(e->def, t, &rank);
        }
        if (!od) {
            const char *pm = normIptProtoMatch(ctx);
            const NormExtensionDef *def = pm ? normFindExtDef(normIptExts, pm) : NULL;
            if (def && (od = normFindOpt(def, t, &rank))) {
                e = normFindExt(ctx, pm);
                if (!e || (strcmp(pm, "tcp") && strcmp(pm, "udp")))
                    e = normCtxAddExt(ctx, pm, def);
            }
        }
        if (od) {
            normAddKnown(ctx, e, od, rank, t, inv, spec, &i);
            continue;
        }
        if (!ctx->cur) {
            if (!ctx->hdrRaw)
                ctx->hdrRaw = normExtNew(NULL, NULL);
            ctx->cur = ctx->hdrRaw;
        }
        normAddUnknown(ctx, ctx->cur, t, inv, spec, &i);
    }
}

static void
normParseEb(NormRule *ctx, const char *const *spec)
{
    guint i = 0;

    while (spec[i]) {
        const char *t = spec[i++];
        gboolean inv = FALSE;
        const NormOptionDef *od = NULL;
        int rank = 0;
        NormExtension *e = NULL;
        int idx = -1;
        const char *hname = NULL;

        if (strcmp(t, "!") == 0) {
            inv = TRUE;
            if (!spec[i])
                break;
            t = spec[i++];
        }
        /* "OPT ! VALUE" */
        if (normIsOptionTok(t) && spec[i] && strcmp(spec[i], "!") == 0 &&
            strcmp(t, "--arp-gratuitous") != 0) {
            inv = TRUE;
            i++;
        }

        if (!strcmp(t, "-p") || !strcmp(t, "--protocol") || !strcmp(t, "--proto")) {
            idx = NORM_HEADER_PROTOCOL; hname = "-p";
        } else if (!strcmp(t, "-s") || !strcmp(t, "--source") || !strcmp(t, "--src")) {
            idx = NORM_HEADER_SOURCE; hname = "-s";
        } else if (!strcmp(t, "-d") || !strcmp(t, "--destination") || !strcmp(t, "--dst")) {
            idx = NORM_HEADER_DESTINATION; hname = "-d";
        } else if (!strcmp(t, "-i") || !strcmp(t, "--in-interface") || !strcmp(t, "--in-if")) {
            idx = NORM_HEADER_IN; hname = "-i";
        } else if (!strcmp(t, "-o") || !strcmp(t, "--out-interface") || !strcmp(t, "--out-if")) {
            idx = NORM_HEADER_OUT; hname = "-o";
        } else if (!strcmp(t, "--logical-in")) {
            idx = NORM_HEADER_LOGICAL_IN; hname = "--logical-in";
        } else if (!strcmp(t, "--logical-out")) {
            idx = NORM_HEADER_LOGICAL_OUT; hname = "--logical-out";
        }
        if (idx >= 0) {
            NormOption *o = normHdrSet(ctx, idx, hname, inv, spec, &i, 1);
            const char *v = normVal(o, 0);
            if (!v)
                continue;
            if (idx == NORM_HEADER_PROTOCOL) {
                long n;
                if (g_ascii_strcasecmp(v, "LENGTH") == 0) {
                    normSetVal(o, 0, g_strdup("Length"));
                } else if ((n = normEthertypeNum(v)) >= 0) {
                    const char *name = normLookupNum(normEthertypes, (int)n);
                    if (n == 0x600)
                        normSetVal(o, 0, g_strdup("Length"));
                    else if (n > 0x600)
                        normSetVal(o, 0, name ? g_strdup(name) :
                                 g_strdup_printf("0x%lx", n));
                }
            } else if (idx == NORM_HEADER_SOURCE || idx == NORM_HEADER_DESTINATION) {
                normSetVal(o, 0, normFormatEbMac(v, TRUE));
            }
            continue;
        }
        if (!strcmp(t, "-j") || !strcmp(t, "--jump")) {
            const char *name = spec[i] ? spec[i++] : "";
            normExtFree(ctx->target);
            ctx->target = normExtNew(name, NULL);
            ctx->cur = ctx->target;
            continue;
        }

        for (guint k = 0; k < ctx->exts->len && !od; k++) {
            e = g_ptr_array_index(ctx->exts, k);
            od = normFindOpt(e->def, t, &rank);
        }
        if (!od) {
            for (size_t k = 0; normEbExts[k].name && !od; k++) {
                if ((od = normFindOpt(&normEbExts[k], t, &rank)))
                    e = normCtxAddExt(ctx, normEbExts[k].name, &normEbExts[k]);
            }
        }
        if (od) {
            normAddKnown(ctx, e, od, rank, t, inv, spec, &i);
            ctx->cur = e;
            continue;
        }
        if (!ctx->cur) {
            if (!ctx->hdrRaw)
                ctx->hdrRaw = normExtNew(NULL, NULL);
            ctx->cur = ctx->hdrRaw;
        }
        normAddUnknown(ctx, ctx->cur, t, inv, spec, &i);
    }
}

/* ------------------------------------------------------------------ */
/* printing                                                            */

static gint
normOptCmp(gconstpointer a, gconstpointer b)
{
    const NormOption *x = *(NormOption *const *)a;
    const NormOption *y = *(NormOption *const *)b;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* stable sort by rank (g_ptr_array_sort is not guaranteed stable) */
static void
normSortOpts(NormExtension *e)
{
    for (guint i = 1; i < e->opts->len; i++) {
        gpointer cur = e->opts->pdata[i];
        guint j = i;
        while (j > 0 && normOptCmp(&e->opts->pdata[j - 1], &cur) > 0) {
            e->opts->pdata[j] = e->opts->pdata[j - 1];
            j--;
        }
        e->opts->pdata[j] = cur;
    }
}

static void
normEmitOpt(GPtrArray *out, NormOption *o, gboolean eb)
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
normEmitExtOpts(NormRule *ctx, GPtrArray *out, NormExtension *e, gboolean eb)
{
    if (e->def && e->def->finish)
        e->def->finish(ctx, e);
    normSortOpts(e);
    for (guint i = 0; i < e->opts->len; i++)
        normEmitOpt(out, g_ptr_array_index(e->opts, i), eb);
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
    NormRule ctx = { .layer = layer };
    GPtrArray *out = g_ptr_array_new();
    gboolean eb = layer == VIR_FIREWALL_LAYER_ETHERNET;
    static const int iptOrder[] = {NORM_HEADER_SOURCE, NORM_HEADER_DESTINATION, NORM_HEADER_IN, NORM_HEADER_OUT,
                                   NORM_HEADER_PROTOCOL, NORM_HEADER_FRAGMENT};
    static const int ebOrder[] = {NORM_HEADER_PROTOCOL, NORM_HEADER_SOURCE, NORM_HEADER_DESTINATION, NORM_HEADER_IN,
                                  NORM_HEADER_LOGICAL_IN, NORM_HEADER_OUT, NORM_HEADER_LOGICAL_OUT};
    const int *order = eb ? ebOrder : iptOrder;
    size_t norder = eb ? G_N_ELEMENTS(ebOrder) : G_N_ELEMENTS(iptOrder);
    static const char *const empty[] = { NULL };

    ctx.exts = g_ptr_array_new_with_free_func(normExtFree);
    if (!spec)
        spec = empty;
    if (eb)
        normParseEb(&ctx, spec);
    else
        normParseIpt(&ctx, spec);

    for (size_t k = 0; k < norder; k++)
        if (ctx.hdr[order[k]])
            normEmitOpt(out, ctx.hdr[order[k]], eb);
    if (ctx.hdrRaw)
        normEmitExtOpts(&ctx, out, ctx.hdrRaw, eb);

    for (guint k = 0; k < ctx.exts->len; k++) {
        NormExtension *e = g_ptr_array_index(ctx.exts, k);
        if (!eb) {
            g_ptr_array_add(out, g_strdup("-m"));
            g_ptr_array_add(out, g_strdup(e->name));
        }
        normEmitExtOpts(&ctx, out, e, eb);
    }
    if (ctx.target) {
        g_ptr_array_add(out, g_strdup(ctx.gotoTarget ? "-g" : "-j"));
        g_ptr_array_add(out, g_strdup(ctx.target->name));
        normEmitExtOpts(&ctx, out, ctx.target, eb);
    }

    for (size_t k = 0; k < G_N_ELEMENTS(ctx.hdr); k++)
        normOptFree(ctx.hdr[k]);
    normExtFree(ctx.hdrRaw);
    normExtFree(ctx.target);
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
