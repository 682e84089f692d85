/*
 * normalize-priv.h: what the files of the normalizer share
 *
 * normalize.c parses a spec into a NormRule (header options, extensions in
 * print order, the target) and prints it; normalize-iptables.c and
 * normalize-ebtables.c hold each family's extensions (option order and
 * value fixes); normalize-values.c how single values are printed.
 */
#pragma once

#include "restore/normalize.h"

typedef struct {
    const char *name;
    int num;
} NormNamedNumber;

typedef struct {
    const char *name;
    int type, cmin, cmax;
} NormIcmpName;

typedef enum {
    NORM_ADDR_IPTABLES,   /* iptables: always "/N", /0 -> omitted (NULL) */
    NORM_ADDR_EBTABLES,   /* ebtables: full mask -> bare address, /0 printed */
} NormAddrStyle;

/* the parsed rule */

typedef struct {
    char *name;       /* option as printed */
    gboolean inv;
    gboolean drop;        /* not printed at all */
    int rank;         /* print order inside its extension */
    GPtrArray *vals;  /* char *, owned */
} NormOption;

typedef struct _NormExtensionDef NormExtensionDef;

typedef struct {
    char *name;           /* match / target name; NULL for raw option holder */
    const NormExtensionDef *def;  /* NULL if unknown */
    GPtrArray *opts;      /* NormOption * */
} NormExtension;

typedef struct {
    virFirewallLayer layer;
    /* header options, indexed by NormHeader */
    NormOption *hdr[8];
    GPtrArray *exts;   /* NormExtension *: matches / watchers in print order */
    NormExtension *target;     /* may be NULL */
    gboolean gotoTarget;
    NormExtension *cur;        /* where the next unknown option goes */
    NormExtension *hdrRaw;     /* unknown options before any extension */
    gboolean inexact;      /* a value kept as given that the tools rewrite */
} NormRule;

typedef void (*NormFixFunc)(NormRule *ctx, NormExtension *ext, NormOption *opt);

typedef struct {
    const char *names[4];  /* names[0] is printed */
    int nargs;
    NormFixFunc fix;
} NormOptionDef;

struct _NormExtensionDef {
    const char *name;
    const NormOptionDef *opts;
    void (*finish)(NormRule *ctx, NormExtension *ext);
};

/* the header options' slots in NormRule.hdr */
typedef enum {
    NORM_HEADER_SOURCE, NORM_HEADER_DESTINATION, NORM_HEADER_IN,
    NORM_HEADER_OUT, NORM_HEADER_PROTOCOL, NORM_HEADER_FRAGMENT,
    NORM_HEADER_LOGICAL_IN, NORM_HEADER_LOGICAL_OUT,
} NormHeader;

/* normalize.c: the parsed model */
NormOption *normOptNew(const char *name, gboolean inv, int rank);
const char *normVal(NormOption *o, guint i);
void normSetVal(NormOption *o, guint i, char *newval /* owned */);
NormOption *normExtFind(NormExtension *e, const char *name);

/* normalize-values.c */
extern const NormNamedNumber normProtocols[];
extern const NormNamedNumber normEthertypes[];
extern const NormNamedNumber normArpOps[];
extern const NormNamedNumber normLogLevels[];
extern const NormIcmpName normIcmpNames[];
extern const NormIcmpName normIcmp6Names[];
int normLookupName(const NormNamedNumber *tab, const char *name, gboolean icase);
const char *normLookupNum(const NormNamedNumber *tab, int num);
gboolean normParseUInt(const char *s, int base, unsigned long max, unsigned long *out);
char *normFormatAddr(gboolean v6, const char *s, NormAddrStyle style, gboolean *inexact);
gboolean normParseMacBytes(const char *s, unsigned char out[6]);
char *normMacStr(const unsigned char m[6], gboolean pad);
char *normFormatEbMac(const char *s, gboolean names);
char *normProtoName(const char *s, gboolean *isAll);
char *normFormatPortRange(const char *s, gboolean ipt, gboolean *full);

/* normalize-iptables.c */
void normFixSyn(NormRule *ctx, NormExtension *ext, NormOption *o);
void normFixMark(NormRule *ctx, NormExtension *ext, NormOption *o);
void normFixLimit(NormRule *ctx, NormExtension *ext, NormOption *o);
extern const NormExtensionDef normIptExts[];
extern const NormExtensionDef normIptTargets[];

/* normalize-ebtables.c */
long normEthertypeNum(const char *s);
extern const NormExtensionDef normEbExts[];
