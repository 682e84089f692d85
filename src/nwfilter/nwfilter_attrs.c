/*
 * nwfilter_attrs.c: the attribute tables of every protocol element.
 */
#include "nwfilter_attrs.h"

#include <string.h>

#define U16 (NWF_DATATYPE_UINT16 | NWF_DATATYPE_UINT16_HEX)
#define U8 (NWF_DATATYPE_UINT8 | NWF_DATATYPE_UINT8_HEX)
#define U32 (NWF_DATATYPE_UINT32 | NWF_DATATYPE_UINT32_HEX)

#define MAC_PROPS \
    { "srcmacaddr", NWF_ATTR_SRCMAC, NWF_DATATYPE_MACADDR, NWF_VALIDATE_NONE }, \
    { "srcmacmask", NWF_ATTR_SRCMACMASK, NWF_DATATYPE_MACMASK, NWF_VALIDATE_NONE }, \
    { "dstmacaddr", NWF_ATTR_DSTMAC, NWF_DATATYPE_MACADDR, NWF_VALIDATE_NONE }, \
    { "dstmacmask", NWF_ATTR_DSTMACMASK, NWF_DATATYPE_MACMASK, NWF_VALIDATE_NONE }

#define COMMENT_PROP { "comment", NWF_ATTR_COMMENT, NWF_DATATYPE_STRINGCOPY, NWF_VALIDATE_NONE }
#define END { NULL, 0, 0, 0 }

static const nwfAttrDef macAttrs[] = {
    MAC_PROPS,
    { "protocolid", NWF_ATTR_PROTOCOLID, U16 | NWF_DATATYPE_STRING, NWF_VALIDATE_MACPROTO },
    COMMENT_PROP, END
};

static const nwfAttrDef vlanAttrs[] = {
    MAC_PROPS,
    { "vlanid", NWF_ATTR_VLANID, U16, NWF_VALIDATE_VLANID },
    { "encap-protocol", NWF_ATTR_VLANENCAP, U16 | NWF_DATATYPE_STRING, NWF_VALIDATE_VLANPROTO },
    COMMENT_PROP, END
};

static const nwfAttrDef stpAttrs[] = {
    { "srcmacaddr", NWF_ATTR_SRCMAC, NWF_DATATYPE_MACADDR, NWF_VALIDATE_NONE },
    { "srcmacmask", NWF_ATTR_SRCMACMASK, NWF_DATATYPE_MACMASK, NWF_VALIDATE_NONE },
    { "type", NWF_ATTR_STP_TYPE, U8, NWF_VALIDATE_NONE },
    { "flags", NWF_ATTR_STP_FLAGS, U8, NWF_VALIDATE_NONE },
    { "root-priority", NWF_ATTR_STP_ROOTPRI, U16, NWF_VALIDATE_NONE },
    { "root-priority-hi", NWF_ATTR_STP_ROOTPRIHI, U16, NWF_VALIDATE_NONE },
    { "root-address", NWF_ATTR_STP_ROOTADDR, NWF_DATATYPE_MACADDR, NWF_VALIDATE_NONE },
    { "root-address-mask", NWF_ATTR_STP_ROOTADDRMASK, NWF_DATATYPE_MACMASK, NWF_VALIDATE_NONE },
    { "root-cost", NWF_ATTR_STP_ROOTCOST, U32, NWF_VALIDATE_NONE },
    { "root-cost-hi", NWF_ATTR_STP_ROOTCOSTHI, U32, NWF_VALIDATE_NONE },
    { "sender-priority", NWF_ATTR_STP_SNDRPRIO, U16, NWF_VALIDATE_NONE },
    { "sender-priority-hi", NWF_ATTR_STP_SNDRPRIOHI, U16, NWF_VALIDATE_NONE },
    { "sender-address", NWF_ATTR_STP_SNDRADDR, NWF_DATATYPE_MACADDR, NWF_VALIDATE_NONE },
    { "sender-address-mask", NWF_ATTR_STP_SNDRADDRMASK, NWF_DATATYPE_MACMASK, NWF_VALIDATE_NONE },
    { "port", NWF_ATTR_STP_PORT, U16, NWF_VALIDATE_NONE },
    { "port-hi", NWF_ATTR_STP_PORTHI, U16, NWF_VALIDATE_NONE },
    { "age", NWF_ATTR_STP_AGE, U16, NWF_VALIDATE_NONE },
    { "age-hi", NWF_ATTR_STP_AGEHI, U16, NWF_VALIDATE_NONE },
    { "max-age", NWF_ATTR_STP_MAXAGE, U16, NWF_VALIDATE_NONE },
    { "max-age-hi", NWF_ATTR_STP_MAXAGEHI, U16, NWF_VALIDATE_NONE },
    { "hello-time", NWF_ATTR_STP_HELLO, U16, NWF_VALIDATE_NONE },
    { "hello-time-hi", NWF_ATTR_STP_HELLOHI, U16, NWF_VALIDATE_NONE },
    { "forward-delay", NWF_ATTR_STP_FWD, U16, NWF_VALIDATE_NONE },
    { "forward-delay-hi", NWF_ATTR_STP_FWDHI, U16, NWF_VALIDATE_NONE },
    COMMENT_PROP, END
};

static const nwfAttrDef arpAttrs[] = {
    MAC_PROPS,
    { "hwtype", NWF_ATTR_ARP_HWTYPE, U16, NWF_VALIDATE_NONE },
    { "protocoltype", NWF_ATTR_ARP_PTYPE, U16, NWF_VALIDATE_NONE },
    { "opcode", NWF_ATTR_ARP_OPCODE, U16 | NWF_DATATYPE_STRING, NWF_VALIDATE_ARPOPCODE },
    { "arpsrcmacaddr", NWF_ATTR_ARP_SRCMAC, NWF_DATATYPE_MACADDR, NWF_VALIDATE_NONE },
    { "arpdstmacaddr", NWF_ATTR_ARP_DSTMAC, NWF_DATATYPE_MACADDR, NWF_VALIDATE_NONE },
    { "arpsrcipaddr", NWF_ATTR_ARP_SRCIP, NWF_DATATYPE_IPADDR, NWF_VALIDATE_NONE },
    { "arpsrcipmask", NWF_ATTR_ARP_SRCIPMASK, NWF_DATATYPE_IPMASK, NWF_VALIDATE_NONE },
    { "arpdstipaddr", NWF_ATTR_ARP_DSTIP, NWF_DATATYPE_IPADDR, NWF_VALIDATE_NONE },
    { "arpdstipmask", NWF_ATTR_ARP_DSTIPMASK, NWF_DATATYPE_IPMASK, NWF_VALIDATE_NONE },
    { "gratuitous", NWF_ATTR_ARP_GRATUITOUS, NWF_DATATYPE_BOOLEAN, NWF_VALIDATE_NONE },
    COMMENT_PROP, END
};

#define PORT_PROPS \
    { "srcportstart", NWF_ATTR_SRCPORT, U16, NWF_VALIDATE_NONE }, \
    { "srcportend", NWF_ATTR_SRCPORTEND, U16, NWF_VALIDATE_NONE }, \
    { "dstportstart", NWF_ATTR_DSTPORT, U16, NWF_VALIDATE_NONE }, \
    { "dstportend", NWF_ATTR_DSTPORTEND, U16, NWF_VALIDATE_NONE }

static const nwfAttrDef ipAttrs[] = {
    MAC_PROPS,
    { "srcipaddr", NWF_ATTR_SRCIP, NWF_DATATYPE_IPADDR, NWF_VALIDATE_NONE },
    { "srcipmask", NWF_ATTR_SRCIPMASK, NWF_DATATYPE_IPMASK, NWF_VALIDATE_NONE },
    { "dstipaddr", NWF_ATTR_DSTIP, NWF_DATATYPE_IPADDR, NWF_VALIDATE_NONE },
    { "dstipmask", NWF_ATTR_DSTIPMASK, NWF_DATATYPE_IPMASK, NWF_VALIDATE_NONE },
    { "protocol", NWF_ATTR_IPPROTOCOL, NWF_DATATYPE_STRING | U8, NWF_VALIDATE_IPPROTO },
    PORT_PROPS,
    { "dscp", NWF_ATTR_DSCP, U8, NWF_VALIDATE_DSCP },
    COMMENT_PROP, END
};

static const nwfAttrDef ipv6Attrs[] = {
    MAC_PROPS,
    { "srcipaddr", NWF_ATTR_SRCIP, NWF_DATATYPE_IPV6ADDR, NWF_VALIDATE_NONE },
    { "srcipmask", NWF_ATTR_SRCIPMASK, NWF_DATATYPE_IPV6MASK, NWF_VALIDATE_NONE },
    { "dstipaddr", NWF_ATTR_DSTIP, NWF_DATATYPE_IPV6ADDR, NWF_VALIDATE_NONE },
    { "dstipmask", NWF_ATTR_DSTIPMASK, NWF_DATATYPE_IPV6MASK, NWF_VALIDATE_NONE },
    { "protocol", NWF_ATTR_IPPROTOCOL, NWF_DATATYPE_STRING | U8, NWF_VALIDATE_IPPROTO },
    PORT_PROPS,
    { "type", NWF_ATTR_ICMPTYPE, U8, NWF_VALIDATE_NONE },
    { "typeend", NWF_ATTR_ICMPTYPEEND, U8, NWF_VALIDATE_NONE },
    { "code", NWF_ATTR_ICMPCODE, U8, NWF_VALIDATE_NONE },
    { "codeend", NWF_ATTR_ICMPCODEEND, U8, NWF_VALIDATE_NONE },
    COMMENT_PROP, END
};

/* libvirt declares dstipto as an IPv4 address even for the -ipv6 forms */
#define IP_PROPS(ADDR, MASK) \
    { "srcmacaddr", NWF_ATTR_SRCMAC, NWF_DATATYPE_MACADDR, NWF_VALIDATE_NONE }, \
    { "srcipaddr", NWF_ATTR_SRCIP, ADDR, NWF_VALIDATE_NONE }, \
    { "srcipmask", NWF_ATTR_SRCIPMASK, MASK, NWF_VALIDATE_NONE }, \
    { "dstipaddr", NWF_ATTR_DSTIP, ADDR, NWF_VALIDATE_NONE }, \
    { "dstipmask", NWF_ATTR_DSTIPMASK, MASK, NWF_VALIDATE_NONE }, \
    { "srcipfrom", NWF_ATTR_SRCIPFROM, ADDR, NWF_VALIDATE_NONE }, \
    { "srcipto", NWF_ATTR_SRCIPTO, ADDR, NWF_VALIDATE_NONE }, \
    { "dstipfrom", NWF_ATTR_DSTIPFROM, ADDR, NWF_VALIDATE_NONE }, \
    { "dstipto", NWF_ATTR_DSTIPTO, NWF_DATATYPE_IPADDR, NWF_VALIDATE_NONE }, \
    { "dscp", NWF_ATTR_DSCP, U8, NWF_VALIDATE_DSCP }, \
    { "connlimit-above", NWF_ATTR_CONNLIMIT, NWF_DATATYPE_UINT16, NWF_VALIDATE_NONE }, \
    { "state", NWF_ATTR_STATE, NWF_DATATYPE_STRING, NWF_VALIDATE_STATE }, \
    { "ipset", NWF_ATTR_IPSET, NWF_DATATYPE_IPSETNAME, NWF_VALIDATE_IPSET }, \
    { "ipsetflags", NWF_ATTR_IPSETFLAGS, NWF_DATATYPE_IPSETFLAGS, NWF_VALIDATE_IPSETFLAGS }

#define IP4 IP_PROPS(NWF_DATATYPE_IPADDR, NWF_DATATYPE_IPMASK)
#define IP6 IP_PROPS(NWF_DATATYPE_IPV6ADDR, NWF_DATATYPE_IPV6MASK)

static const nwfAttrDef tcpAttrs[] = {
    IP4, PORT_PROPS,
    { "option", NWF_ATTR_TCPOPTION, U8, NWF_VALIDATE_NONE },
    { "flags", NWF_ATTR_TCPFLAGS, NWF_DATATYPE_STRING, NWF_VALIDATE_TCPFLAGS },
    COMMENT_PROP, END
};
static const nwfAttrDef udpAttrs[] = { IP4, PORT_PROPS, COMMENT_PROP, END };
static const nwfAttrDef ip4OnlyAttrs[] = { IP4, COMMENT_PROP, END };
static const nwfAttrDef sctpAttrs[] = { IP4, PORT_PROPS, COMMENT_PROP, END };
static const nwfAttrDef icmpAttrs[] = {
    IP4,
    { "type", NWF_ATTR_ICMPTYPE, U8, NWF_VALIDATE_NONE },
    { "code", NWF_ATTR_ICMPCODE, U8, NWF_VALIDATE_NONE },
    COMMENT_PROP, END
};
static const nwfAttrDef tcp6Attrs[] = {
    IP6, PORT_PROPS,
    { "option", NWF_ATTR_TCPOPTION, U8, NWF_VALIDATE_NONE },
    COMMENT_PROP, END
};
static const nwfAttrDef udp6Attrs[] = { IP6, PORT_PROPS, COMMENT_PROP, END };
static const nwfAttrDef ip6OnlyAttrs[] = { IP6, COMMENT_PROP, END };
static const nwfAttrDef icmp6Attrs[] = {
    IP6,
    { "type", NWF_ATTR_ICMPTYPE, U8, NWF_VALIDATE_NONE },
    { "code", NWF_ATTR_ICMPCODE, U8, NWF_VALIDATE_NONE },
    COMMENT_PROP, END
};

const nwfProtocolDef nwfProtocolDefs[] = {
    { "arp", NWF_PROTO_ARP, arpAttrs },
    { "rarp", NWF_PROTO_RARP, arpAttrs },
    { "mac", NWF_PROTO_MAC, macAttrs },
    { "vlan", NWF_PROTO_VLAN, vlanAttrs },
    { "stp", NWF_PROTO_STP, stpAttrs },
    { "ip", NWF_PROTO_IP, ipAttrs },
    { "ipv6", NWF_PROTO_IPV6, ipv6Attrs },
    { "tcp", NWF_PROTO_TCP, tcpAttrs },
    { "udp", NWF_PROTO_UDP, udpAttrs },
    { "udplite", NWF_PROTO_UDPLITE, ip4OnlyAttrs },
    { "esp", NWF_PROTO_ESP, ip4OnlyAttrs },
    { "ah", NWF_PROTO_AH, ip4OnlyAttrs },
    { "sctp", NWF_PROTO_SCTP, sctpAttrs },
    { "icmp", NWF_PROTO_ICMP, icmpAttrs },
    { "all", NWF_PROTO_ALL, ip4OnlyAttrs },
    { "igmp", NWF_PROTO_IGMP, ip4OnlyAttrs },
    { "tcp-ipv6", NWF_PROTO_TCP6, tcp6Attrs },
    { "udp-ipv6", NWF_PROTO_UDP6, udp6Attrs },
    { "udplite-ipv6", NWF_PROTO_UDPLITE6, ip6OnlyAttrs },
    { "esp-ipv6", NWF_PROTO_ESP6, ip6OnlyAttrs },
    { "ah-ipv6", NWF_PROTO_AH6, ip6OnlyAttrs },
    { "sctp-ipv6", NWF_PROTO_SCTP6, udp6Attrs },
    { "icmpv6", NWF_PROTO_ICMPV6, icmp6Attrs },
    { "all-ipv6", NWF_PROTO_ALL6, ip6OnlyAttrs },
    { NULL, 0, NULL }
};

const nwfProtocolDef *
nwfProtocolDefLookup(const char *element)
{
    for (const nwfProtocolDef *p = nwfProtocolDefs; p->element; p++)
        if (strcmp(p->element, element) == 0)
            return p;
    return NULL;
}
