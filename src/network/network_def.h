/*
 * network_def.h: libvirt's network XML, as far as the firewall needs it
 *
 * Reads what libvirt stores: a persistent config
 * (/etc/libvirt/qemu/networks/NAME.xml, root <network>) or a status file
 * (/run/libvirt/network/NAME.xml, root <networkstatus> wrapping <network>).
 * Elements the firewall does not depend on (dns, mac, domain, portgroup,
 * bandwidth, ...) are accepted and ignored. Errors (VF_ERROR_PARSE) name
 * the file, the line and the element.
 */
#pragma once

#include <glib.h>
#include <netinet/in.h>
#include <sys/socket.h>

typedef enum {
    VF_NETWORK_FORWARD_NONE,        /* no <forward>: isolated */
    VF_NETWORK_FORWARD_NAT,
    VF_NETWORK_FORWARD_ROUTE,
    VF_NETWORK_FORWARD_OPEN,
    VF_NETWORK_FORWARD_BRIDGE,
    VF_NETWORK_FORWARD_PRIVATE,
    VF_NETWORK_FORWARD_VEPA,
    VF_NETWORK_FORWARD_PASSTHROUGH,
    VF_NETWORK_FORWARD_HOSTDEV,
    VF_NETWORK_FORWARD_LAST
} vfNetworkForwardType;

const char *vfNetworkForwardTypeToString(vfNetworkForwardType type);

/* An IPv4 or IPv6 address. */
typedef struct {
    int family;                     /* AF_INET or AF_INET6 */
    union {
        struct in_addr v4;
        struct in6_addr v6;
    } u;
} vfSocketAddr;

typedef struct {
    vfSocketAddr address;
    guint prefix;       /* from prefix=, netmask= or the address class */
    gboolean has_prefix;/* FALSE: no prefix could be worked out */
    guint nranges;      /* <dhcp><range> */
    guint nhosts;       /* <dhcp><host> */
    char *tftproot;     /* <tftp root=> (IPv4 only) */
} vfNetworkIPDef;

typedef struct {
    char *name;
    char *bridge;                   /* <bridge name=> */
    gboolean ipv6nogw;              /* <network ipv6='yes'> */
    vfNetworkForwardType forward;
    char *forward_dev;              /* <forward dev=> or first <interface dev=> */
    gboolean nat_ipv6;              /* <nat ipv6='yes'> */
    gboolean has_nat_addr;          /* <nat><address start= end=> */
    vfSocketAddr nat_addr_start;
    vfSocketAddr nat_addr_end;
    guint nat_port_start;           /* <nat><port start= end=>; 0/0 if absent */
    guint nat_port_end;
    GPtrArray *ips;                 /* of vfNetworkIPDef*, in XML order */
    char *source;                   /* the file (or name) it was read from */
} vfNetworkDef;

/* Parses a config or status document. @source names it in messages. */
vfNetworkDef *vfNetworkDefParseString(const char *xml, const char *source,
                                      GError **error);
/* @len bytes, as libxml2 reads a file for libvirt. */
vfNetworkDef *vfNetworkDefParse(const char *xml, gsize len, const char *source,
                                GError **error);
/* Regular files only, at most VF_INPUT_FILE_MAX bytes. */
vfNetworkDef *vfNetworkDefParseFile(const char *path, GError **error);

void vfNetworkDefFree(vfNetworkDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfNetworkDef, vfNetworkDefFree)

/* The n-th <ip> of @family (AF_INET, AF_INET6, or AF_UNSPEC for any). */
const vfNetworkIPDef *vfNetworkDefGetIP(const vfNetworkDef *def, int family,
                                        guint n);

/* "192.168.122.0/24": the address masked by its prefix. */
char *vfNetworkIPDefFormatNetwork(const vfNetworkIPDef *ip);

char *vfSocketAddrFormat(const vfSocketAddr *addr);
