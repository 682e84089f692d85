/*
 * nwfilter_attrs.c: the attribute tables of every protocol element.
 */
#include "nwfilter_attrs.h"

#include <string.h>

#define U16 (DT_UINT16 | DT_UINT16_HEX)
#define U8 (DT_UINT8 | DT_UINT8_HEX)
#define U32 (DT_UINT32 | DT_UINT32_HEX)

#define MAC_PROPS \
    { "srcmacaddr", A_SRCMAC, DT_MACADDR, V_NONE }, \
    { "srcmacmask", A_SRCMACMASK, DT_MACMASK, V_NONE }, \
    { "dstmacaddr", A_DSTMAC, DT_MACADDR, V_NONE }, \
    { "dstmacmask", A_DSTMACMASK, DT_MACMASK, V_NONE }

#define COMMENT_PROP { "comment", A_COMMENT, DT_STRINGCOPY, V_NONE }
#define END { NULL, 0, 0, 0 }

static const nwfAttrDef macAttrs[] = {
    MAC_PROPS,
    { "protocolid", A_PROTOCOLID, U16 | DT_STRING, V_MACPROTO },
    COMMENT_PROP, END
};

static const nwfAttrDef vlanAttrs[] = {
    MAC_PROPS,
    { "vlanid", A_VLANID, U16, V_VLANID },
    { "encap-protocol", A_VLANENCAP, U16 | DT_STRING, V_VLANPROTO },
    COMMENT_PROP, END
};

static const nwfAttrDef stpAttrs[] = {
    { "srcmacaddr", A_SRCMAC, DT_MACADDR, V_NONE },
    { "srcmacmask", A_SRCMACMASK, DT_MACMASK, V_NONE },
    { "type", A_STP_TYPE, U8, V_NONE },
    { "flags", A_STP_FLAGS, U8, V_NONE },
    { "root-priority", A_STP_ROOTPRI, U16, V_NONE },
    { "root-priority-hi", A_STP_ROOTPRIHI, U16, V_NONE },
    { "root-address", A_STP_ROOTADDR, DT_MACADDR, V_NONE },
    { "root-address-mask", A_STP_ROOTADDRMASK, DT_MACMASK, V_NONE },
    { "root-cost", A_STP_ROOTCOST, U32, V_NONE },
    { "root-cost-hi", A_STP_ROOTCOSTHI, U32, V_NONE },
    { "sender-priority", A_STP_SNDRPRIO, U16, V_NONE },
    { "sender-priority-hi", A_STP_SNDRPRIOHI, U16, V_NONE },
    { "sender-address", A_STP_SNDRADDR, DT_MACADDR, V_NONE },
    { "sender-address-mask", A_STP_SNDRADDRMASK, DT_MACMASK, V_NONE },
    { "port", A_STP_PORT, U16, V_NONE },
    { "port-hi", A_STP_PORTHI, U16, V_NONE },
    { "age", A_STP_AGE, U16, V_NONE },
    { "age-hi", A_STP_AGEHI, U16, V_NONE },
    { "max-age", A_STP_MAXAGE, U16, V_NONE },
    { "max-age-hi", A_STP_MAXAGEHI, U16, V_NONE },
    { "hello-time", A_STP_HELLO, U16, V_NONE },
    { "hello-time-hi", A_STP_HELLOHI, U16, V_NONE },
    { "forward-delay", A_STP_FWD, U16, V_NONE },
    { "forward-delay-hi", A_STP_FWDHI, U16, V_NONE },
    COMMENT_PROP, END
};

static const nwfAttrDef arpAttrs[] = {
    MAC_PROPS,
    { "hwtype", A_ARP_HWTYPE, U16, V_NONE },
    { "protocoltype", A_ARP_PTYPE, U16, V_NONE },
    { "opcode", A_ARP_OPCODE, U16 | DT_STRING, V_ARPOPCODE },
    { "arpsrcmacaddr", A_ARP_SRCMAC, DT_MACADDR, V_NONE },
    { "arpdstmacaddr", A_ARP_DSTMAC, DT_MACADDR, V_NONE },
    { "arpsrcipaddr", A_ARP_SRCIP, DT_IPADDR, V_NONE },
    { "arpsrcipmask", A_ARP_SRCIPMASK, DT_IPMASK, V_NONE },
    { "arpdstipaddr", A_ARP_DSTIP, DT_IPADDR, V_NONE },
    { "arpdstipmask", A_ARP_DSTIPMASK, DT_IPMASK, V_NONE },
    { "gratuitous", A_ARP_GRATUITOUS, DT_BOOLEAN, V_NONE },
    COMMENT_PROP, END
};

#define PORT_PROPS \
    { "srcportstart", A_SRCPORT, U16, V_NONE }, \
    { "srcportend", A_SRCPORTEND, U16, V_NONE }, \
    { "dstportstart", A_DSTPORT, U16, V_NONE }, \
    { "dstportend", A_DSTPORTEND, U16, V_NONE }

static const nwfAttrDef ipAttrs[] = {
    MAC_PROPS,
    { "srcipaddr", A_SRCIP, DT_IPADDR, V_NONE },
    { "srcipmask", A_SRCIPMASK, DT_IPMASK, V_NONE },
    { "dstipaddr", A_DSTIP, DT_IPADDR, V_NONE },
    { "dstipmask", A_DSTIPMASK, DT_IPMASK, V_NONE },
    { "protocol", A_IPPROTOCOL, DT_STRING | U8, V_IPPROTO },
    PORT_PROPS,
    { "dscp", A_DSCP, U8, V_DSCP },
    COMMENT_PROP, END
};

static const nwfAttrDef ipv6Attrs[] = {
    MAC_PROPS,
    { "srcipaddr", A_SRCIP, DT_IPV6ADDR, V_NONE },
    { "srcipmask", A_SRCIPMASK, DT_IPV6MASK, V_NONE },
    { "dstipaddr", A_DSTIP, DT_IPV6ADDR, V_NONE },
    { "dstipmask", A_DSTIPMASK, DT_IPV6MASK, V_NONE },
    { "protocol", A_IPPROTOCOL, DT_STRING | U8, V_IPPROTO },
    PORT_PROPS,
    { "type", A_ICMPTYPE, U8, V_NONE },
    { "typeend", A_ICMPTYPEEND, U8, V_NONE },
    { "code", A_ICMPCODE, U8, V_NONE },
    { "codeend", A_ICMPCODEEND, U8, V_NONE },
    COMMENT_PROP, END
};

/* libvirt declares dstipto as an IPv4 address even for the -ipv6 forms */
#define IP_PROPS(ADDR, MASK) \
    { "srcmacaddr", A_SRCMAC, DT_MACADDR, V_NONE }, \
    { "srcipaddr", A_SRCIP, ADDR, V_NONE }, \
    { "srcipmask", A_SRCIPMASK, MASK, V_NONE }, \
    { "dstipaddr", A_DSTIP, ADDR, V_NONE }, \
    { "dstipmask", A_DSTIPMASK, MASK, V_NONE }, \
    { "srcipfrom", A_SRCIPFROM, ADDR, V_NONE }, \
    { "srcipto", A_SRCIPTO, ADDR, V_NONE }, \
    { "dstipfrom", A_DSTIPFROM, ADDR, V_NONE }, \
    { "dstipto", A_DSTIPTO, DT_IPADDR, V_NONE }, \
    { "dscp", A_DSCP, U8, V_DSCP }, \
    { "connlimit-above", A_CONNLIMIT, DT_UINT16, V_NONE }, \
    { "state", A_STATE, DT_STRING, V_STATE }, \
    { "ipset", A_IPSET, DT_IPSETNAME, V_IPSET }, \
    { "ipsetflags", A_IPSETFLAGS, DT_IPSETFLAGS, V_IPSETFLAGS }

#define IP4 IP_PROPS(DT_IPADDR, DT_IPMASK)
#define IP6 IP_PROPS(DT_IPV6ADDR, DT_IPV6MASK)

static const nwfAttrDef tcpAttrs[] = {
    IP4, PORT_PROPS,
    { "option", A_TCPOPTION, U8, V_NONE },
    { "flags", A_TCPFLAGS, DT_STRING, V_TCPFLAGS },
    COMMENT_PROP, END
};
static const nwfAttrDef udpAttrs[] = { IP4, PORT_PROPS, COMMENT_PROP, END };
static const nwfAttrDef ip4OnlyAttrs[] = { IP4, COMMENT_PROP, END };
static const nwfAttrDef sctpAttrs[] = { IP4, PORT_PROPS, COMMENT_PROP, END };
static const nwfAttrDef icmpAttrs[] = {
    IP4,
    { "type", A_ICMPTYPE, U8, V_NONE },
    { "code", A_ICMPCODE, U8, V_NONE },
    COMMENT_PROP, END
};
static const nwfAttrDef tcp6Attrs[] = {
    IP6, PORT_PROPS,
    { "option", A_TCPOPTION, U8, V_NONE },
    COMMENT_PROP, END
};
static const nwfAttrDef udp6Attrs[] = { IP6, PORT_PROPS, COMMENT_PROP, END };
static const nwfAttrDef ip6OnlyAttrs[] = { IP6, COMMENT_PROP, END };
static const nwfAttrDef icmp6Attrs[] = {
    IP6,
    { "type", A_ICMPTYPE, U8, V_NONE },
    { "code", A_ICMPCODE, U8, V_NONE },
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
