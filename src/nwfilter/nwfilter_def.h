/*
 * nwfilter_def.h: a parsed <filter> (libvirt's nwfilter XML).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include "nwfilter_vars.h"

typedef enum {
    NWF_ACTION_DROP, NWF_ACTION_ACCEPT, NWF_ACTION_REJECT,
    NWF_ACTION_RETURN, NWF_ACTION_CONTINUE,
} nwfAction;

typedef enum { NWF_DIR_IN, NWF_DIR_OUT, NWF_DIR_INOUT } nwfDirection;

typedef enum {
    NWF_PROTO_NONE, NWF_PROTO_MAC, NWF_PROTO_VLAN, NWF_PROTO_STP,
    NWF_PROTO_ARP, NWF_PROTO_RARP, NWF_PROTO_IP, NWF_PROTO_IPV6,
    NWF_PROTO_TCP, NWF_PROTO_ICMP, NWF_PROTO_IGMP, NWF_PROTO_UDP,
    NWF_PROTO_UDPLITE, NWF_PROTO_ESP, NWF_PROTO_AH, NWF_PROTO_SCTP,
    NWF_PROTO_ALL, NWF_PROTO_TCP6, NWF_PROTO_ICMPV6, NWF_PROTO_UDP6,
    NWF_PROTO_UDPLITE6, NWF_PROTO_ESP6, NWF_PROTO_AH6, NWF_PROTO_SCTP6,
    NWF_PROTO_ALL6,
    NWF_PROTO_LAST
} nwfProtocol;

/* Every attribute any protocol element knows. */
typedef enum {
    A_SRCMAC, A_SRCMACMASK, A_DSTMAC, A_DSTMACMASK,
    A_PROTOCOLID,                         /* mac */
    A_VLANID, A_VLANENCAP,                /* vlan */
    A_STP_TYPE, A_STP_FLAGS, A_STP_ROOTPRI, A_STP_ROOTPRIHI,
    A_STP_ROOTADDR, A_STP_ROOTADDRMASK, A_STP_ROOTCOST, A_STP_ROOTCOSTHI,
    A_STP_SNDRPRIO, A_STP_SNDRPRIOHI, A_STP_SNDRADDR, A_STP_SNDRADDRMASK,
    A_STP_PORT, A_STP_PORTHI, A_STP_AGE, A_STP_AGEHI, A_STP_MAXAGE,
    A_STP_MAXAGEHI, A_STP_HELLO, A_STP_HELLOHI, A_STP_FWD, A_STP_FWDHI,
    A_ARP_HWTYPE, A_ARP_PTYPE, A_ARP_OPCODE, A_ARP_SRCMAC, A_ARP_DSTMAC,
    A_ARP_SRCIP, A_ARP_SRCIPMASK, A_ARP_DSTIP, A_ARP_DSTIPMASK,
    A_ARP_GRATUITOUS,
    A_SRCIP, A_SRCIPMASK, A_DSTIP, A_DSTIPMASK,
    A_SRCIPFROM, A_SRCIPTO, A_DSTIPFROM, A_DSTIPTO,
    A_IPPROTOCOL,                         /* ip/ipv6 */
    A_SRCPORT, A_SRCPORTEND, A_DSTPORT, A_DSTPORTEND,
    A_DSCP, A_CONNLIMIT, A_STATE, A_IPSET, A_IPSETFLAGS,
    A_TCPOPTION, A_TCPFLAGS,
    A_ICMPTYPE, A_ICMPCODE, A_ICMPTYPEEND, A_ICMPCODEEND,
    A_COMMENT,
    A_LAST
} nwfAttr;

typedef enum {
    DT_UINT16 = 1 << 0, DT_UINT8 = 1 << 1, DT_UINT16_HEX = 1 << 2,
    DT_UINT8_HEX = 1 << 3, DT_MACADDR = 1 << 4, DT_MACMASK = 1 << 5,
    DT_IPADDR = 1 << 6, DT_IPMASK = 1 << 7, DT_STRING = 1 << 8,
    DT_IPV6ADDR = 1 << 9, DT_IPV6MASK = 1 << 10, DT_STRINGCOPY = 1 << 11,
    DT_BOOLEAN = 1 << 12, DT_UINT32 = 1 << 13, DT_UINT32_HEX = 1 << 14,
    DT_IPSETNAME = 1 << 15, DT_IPSETFLAGS = 1 << 16,
    DT_LAST = 1 << 17,
} nwfDatatype;

enum {
    NWF_ITEM_EXISTS = 1 << 0,
    NWF_ITEM_NEG = 1 << 1,
    NWF_ITEM_HASVAR = 1 << 2,
};

/* state flags (bit order = print order) */
enum {
    NWF_STATE_NEW = 1 << 0,
    NWF_STATE_ESTABLISHED = 1 << 1,
    NWF_STATE_RELATED = 1 << 2,
    NWF_STATE_INVALID = 1 << 3,
    NWF_STATE_NONE = 1 << 4,
    NWF_STATE_MASK = 0x1f,
    NWF_RULE_NO_STATEMATCH = 1 << 8,
};

typedef struct {
    unsigned int flags;          /* NWF_ITEM_* */
    nwfDatatype datatype;
    const nwfVarAccess *var;     /* when NWF_ITEM_HASVAR (owned by the rule) */
    union {
        uint32_t num;            /* u8/u16/u32, ip mask bits, booleans */
        uint8_t mac[6];
        struct { uint8_t mask, flags; } tcp;
        struct { uint8_t flags, nflags; } ipset;
    } u;
    char *str;                   /* formatted IP, ipset name, comment */
} nwfItem;

typedef struct {
    nwfAction action;
    nwfDirection direction;
    int priority;
    unsigned int flags;          /* NWF_STATE_* | NWF_RULE_NO_STATEMATCH */
    nwfProtocol protocol;
    nwfItem items[A_LAST];
    GPtrArray *vars;             /* of nwfVarAccess*, distinct, attr order */
    int line;
} nwfRule;

typedef struct {
    char *filter;
    GHashTable *params;          /* nwfVars */
    int line;
} nwfInclude;

typedef struct {
    nwfRule *rule;               /* exactly one of the two */
    nwfInclude *include;
} nwfEntry;

typedef struct {
    char *name;
    char *uuid;                  /* canonical form; NULL: none given */
    bool uuidSeen;               /* a <uuid> was read (maybe empty) */
    char *chain;                 /* chain suffix, "root" by default */
    int chainPriority;
    GPtrArray *entries;          /* of nwfEntry* */
    char *path;                  /* file it came from, for messages */
} nwfFilter;

#define NWF_ITEM_HAS(r, a) (((r)->items[(a)].flags & NWF_ITEM_EXISTS) != 0)
#define NWF_ITEM_NEGATED(r, a) (((r)->items[(a)].flags & NWF_ITEM_NEG) != 0)

const char *nwfProtocolToString(nwfProtocol p);
const char *nwfActionTarget(nwfAction a);     /* DROP, ACCEPT, ... */

bool nwfRuleIsEthernet(const nwfRule *rule);
bool nwfRuleIsIPv4(const nwfRule *rule);
bool nwfRuleIsIPv6(const nwfRule *rule);

/* Parses a filter document of @len bytes (as libxml2 reads a file for
 * libvirt: a NUL byte ends the data). @path names the source in messages.
 * What libvirt ignores is ignored, with a message "PATH:LINE: <element>:
 * ..." added to @warnings (of char*; may be NULL). */
nwfFilter *nwfFilterParse(const char *xml, gsize len, const char *path,
                          GPtrArray *warnings, GError **error);
/* The file @path (regular files only, at most VF_INPUT_FILE_MAX bytes). */
nwfFilter *nwfFilterParseFile(const char *path, GPtrArray *warnings,
                              GError **error);
nwfFilter *nwfFilterParseString(const char *xml, const char *path,
                                GError **error);
void nwfFilterFree(nwfFilter *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(nwfFilter, nwfFilterFree)
