/*
 * nwfilter_def.h: a parsed <filter> (libvirt's nwfilter XML).
 */
#pragma once

#include <glib.h>
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
    /* mac */
    NWF_ATTR_SRCMAC, NWF_ATTR_SRCMACMASK, NWF_ATTR_DSTMAC, NWF_ATTR_DSTMACMASK,
    NWF_ATTR_PROTOCOLID,
    /* vlan */
    NWF_ATTR_VLANID, NWF_ATTR_VLANENCAP,
    /* stp */
    NWF_ATTR_STP_TYPE, NWF_ATTR_STP_FLAGS,
    NWF_ATTR_STP_ROOTPRI, NWF_ATTR_STP_ROOTPRIHI,
    NWF_ATTR_STP_ROOTADDR, NWF_ATTR_STP_ROOTADDRMASK,
    NWF_ATTR_STP_ROOTCOST, NWF_ATTR_STP_ROOTCOSTHI,
    NWF_ATTR_STP_SNDRPRIO, NWF_ATTR_STP_SNDRPRIOHI,
    NWF_ATTR_STP_SNDRADDR, NWF_ATTR_STP_SNDRADDRMASK,
    NWF_ATTR_STP_PORT, NWF_ATTR_STP_PORTHI,
    NWF_ATTR_STP_AGE, NWF_ATTR_STP_AGEHI,
    NWF_ATTR_STP_MAXAGE, NWF_ATTR_STP_MAXAGEHI,
    NWF_ATTR_STP_HELLO, NWF_ATTR_STP_HELLOHI,
    NWF_ATTR_STP_FWD, NWF_ATTR_STP_FWDHI,
    /* arp */
    NWF_ATTR_ARP_HWTYPE, NWF_ATTR_ARP_PTYPE, NWF_ATTR_ARP_OPCODE,
    NWF_ATTR_ARP_SRCMAC, NWF_ATTR_ARP_DSTMAC,
    NWF_ATTR_ARP_SRCIP, NWF_ATTR_ARP_SRCIPMASK,
    NWF_ATTR_ARP_DSTIP, NWF_ATTR_ARP_DSTIPMASK,
    NWF_ATTR_ARP_GRATUITOUS,
    /* ip/ipv6 and the layer 4 protocols */
    NWF_ATTR_SRCIP, NWF_ATTR_SRCIPMASK, NWF_ATTR_DSTIP, NWF_ATTR_DSTIPMASK,
    NWF_ATTR_SRCIPFROM, NWF_ATTR_SRCIPTO, NWF_ATTR_DSTIPFROM, NWF_ATTR_DSTIPTO,
    NWF_ATTR_IPPROTOCOL,
    NWF_ATTR_SRCPORT, NWF_ATTR_SRCPORTEND, NWF_ATTR_DSTPORT, NWF_ATTR_DSTPORTEND,
    NWF_ATTR_DSCP, NWF_ATTR_CONNLIMIT, NWF_ATTR_STATE,
    NWF_ATTR_IPSET, NWF_ATTR_IPSETFLAGS,
    NWF_ATTR_TCPOPTION, NWF_ATTR_TCPFLAGS,
    NWF_ATTR_ICMPTYPE, NWF_ATTR_ICMPCODE, NWF_ATTR_ICMPTYPEEND, NWF_ATTR_ICMPCODEEND,
    NWF_ATTR_COMMENT,
    NWF_ATTR_LAST
} nwfAttr;

typedef enum {
    NWF_DATATYPE_UINT16 = 1 << 0,
    NWF_DATATYPE_UINT8 = 1 << 1,
    NWF_DATATYPE_UINT16_HEX = 1 << 2,
    NWF_DATATYPE_UINT8_HEX = 1 << 3,
    NWF_DATATYPE_MACADDR = 1 << 4,
    NWF_DATATYPE_MACMASK = 1 << 5,
    NWF_DATATYPE_IPADDR = 1 << 6,
    NWF_DATATYPE_IPMASK = 1 << 7,
    NWF_DATATYPE_STRING = 1 << 8,
    NWF_DATATYPE_IPV6ADDR = 1 << 9,
    NWF_DATATYPE_IPV6MASK = 1 << 10,
    NWF_DATATYPE_STRINGCOPY = 1 << 11,
    NWF_DATATYPE_BOOLEAN = 1 << 12,
    NWF_DATATYPE_UINT32 = 1 << 13,
    NWF_DATATYPE_UINT32_HEX = 1 << 14,
    NWF_DATATYPE_IPSETNAME = 1 << 15,
    NWF_DATATYPE_IPSETFLAGS = 1 << 16,
    NWF_DATATYPE_LAST = 1 << 17,
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
    nwfItem items[NWF_ATTR_LAST];
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
    gboolean uuidSeen;               /* a <uuid> was read (maybe empty) */
    char *chain;                 /* chain suffix, "root" by default */
    int chainPriority;
    GPtrArray *entries;          /* of nwfEntry* */
    char *path;                  /* file it came from, for messages */
} nwfFilter;

#define NWF_ITEM_HAS(r, a) (((r)->items[(a)].flags & NWF_ITEM_EXISTS) != 0)
#define NWF_ITEM_NEGATED(r, a) (((r)->items[(a)].flags & NWF_ITEM_NEG) != 0)

const char *nwfProtocolToString(nwfProtocol p);
const char *nwfActionTarget(nwfAction a);     /* DROP, ACCEPT, ... */

gboolean nwfRuleIsEthernet(const nwfRule *rule);
gboolean nwfRuleIsIPv4(const nwfRule *rule);
gboolean nwfRuleIsIPv6(const nwfRule *rule);

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
