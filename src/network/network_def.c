/*
 * network_def.c: parsing libvirt's network XML (config and status)
 *
 * The checks follow libvirt's virNetworkDefParseXML where they matter for
 * the firewall rules: forward mode, forward device, <nat>, and each <ip>'s
 * family, address and prefix.
 */
#include "network_def.h"

#include <arpa/inet.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "firewall/error.h"
#include "util/inputfile.h"
#include "util/xmlread.h"

static const char *const forwardNames[VF_NETWORK_FORWARD_LAST] = {
    [VF_NETWORK_FORWARD_NONE] = "none",
    [VF_NETWORK_FORWARD_NAT] = "nat",
    [VF_NETWORK_FORWARD_ROUTE] = "route",
    [VF_NETWORK_FORWARD_OPEN] = "open",
    [VF_NETWORK_FORWARD_BRIDGE] = "bridge",
    [VF_NETWORK_FORWARD_PRIVATE] = "private",
    [VF_NETWORK_FORWARD_VEPA] = "vepa",
    [VF_NETWORK_FORWARD_PASSTHROUGH] = "passthrough",
    [VF_NETWORK_FORWARD_HOSTDEV] = "hostdev",
};

const char *
vfNetworkForwardTypeToString(vfNetworkForwardType type)
{
    return type < VF_NETWORK_FORWARD_LAST ? forwardNames[type] : "unknown";
}

static void
vfNetworkIPDefFree(vfNetworkIPDef *ip)
{
    g_free(ip->tftproot);
    g_free(ip);
}

void
vfNetworkDefFree(vfNetworkDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->bridge);
    g_free(def->forward_dev);
    g_ptr_array_unref(def->ips);
    g_free(def->source);
    g_free(def);
}

/* ---- addresses ---- */

static gboolean
socketAddrParse(const char *str, int family, vfSocketAddr *addr)
{
    memset(addr, 0, sizeof(*addr));
    if ((family == AF_UNSPEC || family == AF_INET) &&
        inet_pton(AF_INET, str, &addr->u.v4) == 1) {
        addr->family = AF_INET;
        return TRUE;
    }
    if ((family == AF_UNSPEC || family == AF_INET6) &&
        inet_pton(AF_INET6, str, &addr->u.v6) == 1) {
        addr->family = AF_INET6;
        return TRUE;
    }
    return FALSE;
}

char *
vfSocketAddrFormat(const vfSocketAddr *addr)
{
    char buf[INET6_ADDRSTRLEN];

    if (!inet_ntop(addr->family, &addr->u, buf, sizeof(buf)))
        return g_strdup("?");
    return g_strdup(buf);
}

/* The number of leading 1 bits of an IPv4 netmask, -1 if not contiguous. */
static int
netmaskPrefix(const struct in_addr *mask)
{
    guint32 m = ntohl(mask->s_addr);
    int bits = 0;

    while (bits < 32 && (m & (1u << (31 - bits))))
        bits++;
    if (bits < 32 && (m << bits) != 0)
        return -1;
    return bits;
}

static gboolean
ipv4After(const vfSocketAddr *a, const vfSocketAddr *b)
{
    return ntohl(a->u.v4.s_addr) > ntohl(b->u.v4.s_addr);
}

char *
vfNetworkIPDefFormatNetwork(const vfNetworkIPDef *ip)
{
    vfSocketAddr net = ip->address;
    g_autofree char *str = NULL;

    if (net.family == AF_INET) {
        guint32 mask = ip->prefix ? 0xffffffffu << (32 - ip->prefix) : 0;

        net.u.v4.s_addr = htonl(ntohl(net.u.v4.s_addr) & mask);
    } else {
        for (guint i = 0; i < 16; i++) {
            guint bits = ip->prefix > i * 8 ? MIN(ip->prefix - i * 8, 8) : 0;

            net.u.v6.s6_addr[i] &= (guint8)(0xff00 >> bits);
        }
    }
    str = vfSocketAddrFormat(&net);
    return g_strdup_printf("%s/%u", str, ip->prefix);
}

const vfNetworkIPDef *
vfNetworkDefGetIP(const vfNetworkDef *def, int family, guint n)
{
    for (guint i = 0; i < def->ips->len; i++) {
        const vfNetworkIPDef *ip = g_ptr_array_index(def->ips, i);

        if (family != AF_UNSPEC && ip->address.family != family)
            continue;
        if (n-- == 0)
            return ip;
    }
    return NULL;
}

/* ---- XML helpers ---- */

typedef struct {
    const char *source;
    GError **error;
} vfParseCtxt;

static gboolean G_GNUC_PRINTF(3, 4)
nodeError(vfParseCtxt *ctxt, xmlNodePtr node, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(ctxt->error, VF_ERROR, VF_ERROR_PARSE, "%s:%ld: <%s>: %s",
                ctxt->source, xmlGetLineNo(node), (const char *)node->name, msg);
    return FALSE;
}

static char *
getProp(xmlNodePtr node, const char *name)
{
    xmlChar *val = xmlGetProp(node, (const xmlChar *)name);
    char *ret;

    if (!val)
        return NULL;
    ret = g_strdup((const char *)val);
    xmlFree(val);
    return ret;
}

static gboolean
isElement(xmlNodePtr node, const char *name)
{
    return node->type == XML_ELEMENT_NODE &&
           g_str_equal((const char *)node->name, name);
}

static xmlNodePtr
firstChild(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        if (isElement(cur, name))
            return cur;
    }
    return NULL;
}

static guint
countChildren(xmlNodePtr node, const char *name)
{
    guint n = 0;

    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        if (isElement(cur, name))
            n++;
    }
    return n;
}

/* yes/no attribute: -1 on a bad value (error set), else 0/1; @def if absent */
static int
getYesNo(vfParseCtxt *ctxt, xmlNodePtr node, const char *name, int def)
{
    g_autofree char *val = getProp(node, name);

    if (!val)
        return def;
    if (g_str_equal(val, "yes"))
        return 1;
    if (g_str_equal(val, "no"))
        return 0;
    nodeError(ctxt, node, "invalid %s='%s' (expected 'yes' or 'no')", name, val);
    return -1;
}

static gboolean
getUInt(vfParseCtxt *ctxt, xmlNodePtr node, const char *name, guint max,
        gboolean required, guint *value)
{
    g_autofree char *val = getProp(node, name);
    guint64 n;

    if (!val) {
        if (required)
            return nodeError(ctxt, node, "missing '%s' attribute", name);
        return TRUE;
    }
    if (!g_ascii_string_to_unsigned(val, 10, 0, max, &n, NULL))
        return nodeError(ctxt, node, "invalid %s='%s' (expected 0 to %u)",
                         name, val, max);
    *value = n;
    return TRUE;
}

/* ---- <ip> ---- */

static gboolean
parseIP(vfParseCtxt *ctxt, xmlNodePtr node, vfNetworkIPDef *ip)
{
    g_autofree char *family = getProp(node, "family");
    g_autofree char *address = getProp(node, "address");
    g_autofree char *netmask = getProp(node, "netmask");
    g_autofree char *prefixStr = getProp(node, "prefix");
    guint prefix = 0;
    int want = AF_UNSPEC;
    xmlNodePtr dhcp;
    xmlNodePtr tftp;

    if (family) {
        if (g_str_equal(family, "ipv4"))
            want = AF_INET;
        else if (g_str_equal(family, "ipv6"))
            want = AF_INET6;
        else
            return nodeError(ctxt, node, "unrecognized family '%s'", family);
    }
    if (!address)
        return nodeError(ctxt, node, "missing 'address' attribute");
    if (!socketAddrParse(address, AF_UNSPEC, &ip->address))
        return nodeError(ctxt, node, "invalid address '%s'", address);
    if (want == AF_UNSPEC && ip->address.family != AF_INET)
        return nodeError(ctxt, node,
                         "no family specified for non-IPv4 address '%s'",
                         address);
    if (want != AF_UNSPEC && ip->address.family != want)
        return nodeError(ctxt, node,
                         "family '%s' specified for non-%s address '%s'",
                         family, want == AF_INET ? "IPv4" : "IPv6", address);

    if (prefixStr &&
        !getUInt(ctxt, node, "prefix",
                 ip->address.family == AF_INET ? 32 : 128, FALSE, &prefix))
        return FALSE;
    /* as libvirt, prefix='0' counts as not set */
    if (prefix && netmask)
        return nodeError(ctxt, node,
                         "cannot have both prefix='%u' and a netmask", prefix);
    if (netmask) {
        vfSocketAddr mask;
        int bits;

        if (ip->address.family != AF_INET)
            return nodeError(ctxt, node,
                             "netmask not allowed for IPv6 address '%s'",
                             address);
        if (!socketAddrParse(netmask, AF_INET, &mask) ||
            (bits = netmaskPrefix(&mask.u.v4)) < 0)
            return nodeError(ctxt, node, "invalid netmask '%s'", netmask);
        prefix = bits;
    }

    if (prefix || netmask) {
        ip->prefix = prefix;
        ip->has_prefix = TRUE;
    } else if (ip->address.family == AF_INET) {
        /* the natural prefix of the address class, as libvirt */
        guint8 first = ntohl(ip->address.u.v4.s_addr) >> 24;

        ip->has_prefix = first < 224;
        ip->prefix = first < 128 ? 8 : first < 192 ? 16 : 24;
    } else {
        ip->prefix = 64;
        ip->has_prefix = TRUE;
    }

    if ((dhcp = firstChild(node, "dhcp"))) {
        ip->nranges = countChildren(dhcp, "range");
        ip->nhosts = countChildren(dhcp, "host");
    }
    if ((tftp = firstChild(node, "tftp"))) {
        if (ip->address.family != AF_INET)
            return nodeError(ctxt, tftp, "not supported in an IPv6 <ip>");
        if (!(ip->tftproot = getProp(tftp, "root")))
            return nodeError(ctxt, tftp, "missing 'root' attribute");
    }
    return TRUE;
}

/* ---- <forward> ---- */

static gboolean
parseNat(vfParseCtxt *ctxt, xmlNodePtr nat, vfNetworkDef *def)
{
    xmlNodePtr addr;
    xmlNodePtr port;
    int ipv6;

    if (def->forward != VF_NETWORK_FORWARD_NAT)
        return nodeError(ctxt, nat,
                         "can only be used when <forward> mode is 'nat'");
    if ((ipv6 = getYesNo(ctxt, nat, "ipv6", 0)) < 0)
        return FALSE;
    def->nat_ipv6 = ipv6;

    if (countChildren(nat, "address") > 1)
        return nodeError(ctxt, nat, "only one <address> element is allowed");
    if ((addr = firstChild(nat, "address"))) {
        g_autofree char *start = getProp(addr, "start");
        g_autofree char *end = getProp(addr, "end");

        if (!start)
            return nodeError(ctxt, addr, "missing 'start' attribute");
        if (!end)
            return nodeError(ctxt, addr, "missing 'end' attribute");
        if (!socketAddrParse(start, AF_INET, &def->nat_addr_start))
            return nodeError(ctxt, addr, "bad IPv4 start address '%s'", start);
        if (!socketAddrParse(end, AF_INET, &def->nat_addr_end))
            return nodeError(ctxt, addr, "bad IPv4 end address '%s'", end);
        if (ipv4After(&def->nat_addr_start, &def->nat_addr_end))
            return nodeError(ctxt, addr, "start address '%s' is after end '%s'",
                             start, end);
        def->has_nat_addr = TRUE;
    }

    if (countChildren(nat, "port") > 1)
        return nodeError(ctxt, nat, "only one <port> element is allowed");
    if ((port = firstChild(nat, "port"))) {
        if (!getUInt(ctxt, port, "start", 65535, TRUE, &def->nat_port_start) ||
            !getUInt(ctxt, port, "end", 65535, TRUE, &def->nat_port_end))
            return FALSE;
        if (def->nat_port_end < def->nat_port_start)
            return nodeError(ctxt, port, "end %u is below start %u",
                             def->nat_port_end, def->nat_port_start);
    }
    return TRUE;
}

static gboolean
parseForward(vfParseCtxt *ctxt, xmlNodePtr fwd, vfNetworkDef *def)
{
    g_autofree char *mode = getProp(fwd, "mode");
    g_autofree char *dev = getProp(fwd, "dev");
    xmlNodePtr nat;

    def->forward = VF_NETWORK_FORWARD_NAT;
    if (mode) {
        int i;

        for (i = VF_NETWORK_FORWARD_NAT; i < VF_NETWORK_FORWARD_LAST; i++) {
            if (g_str_equal(mode, forwardNames[i]))
                break;
        }
        if (i == VF_NETWORK_FORWARD_LAST)
            return nodeError(ctxt, fwd, "unknown forwarding type '%s'", mode);
        def->forward = i;
    }

    if (countChildren(fwd, "nat") > 1)
        return nodeError(ctxt, fwd, "only one <nat> element is allowed");
    if ((nat = firstChild(fwd, "nat")) && !parseNat(ctxt, nat, def))
        return FALSE;

    /* the forward device: dev=, which must match the first <interface> */
    for (xmlNodePtr cur = fwd->children; cur; cur = cur->next) {
        g_autofree char *ifdev = NULL;

        if (!isElement(cur, "interface"))
            continue;
        if (!(ifdev = getProp(cur, "dev")))
            return nodeError(ctxt, cur, "missing 'dev' attribute");
        if (dev && !g_str_equal(dev, ifdev))
            return nodeError(ctxt, cur,
                             "<forward dev='%s'> must match the first "
                             "<interface dev='%s'/>", dev, ifdev);
        if (!dev)
            dev = g_steal_pointer(&ifdev);
        break;
    }
    if (dev && *dev)
        def->forward_dev = g_steal_pointer(&dev);
    return TRUE;
}

/* ---- <network> ---- */

static vfNetworkDef *
parseNetwork(vfParseCtxt *ctxt, xmlNodePtr node)
{
    g_autoptr(vfNetworkDef) def = g_new0(vfNetworkDef, 1);
    xmlNodePtr cur;
    int ipv6;

    def->ips = g_ptr_array_new_with_free_func((GDestroyNotify)vfNetworkIPDefFree);
    def->source = g_strdup(ctxt->source);

    if (!(cur = firstChild(node, "name"))) {
        nodeError(ctxt, node, "missing <name>");
        return NULL;
    }
    {
        xmlChar *text = xmlNodeGetContent(cur);

        def->name = g_strstrip(g_strdup((const char *)text));
        xmlFree(text);
    }
    if (!*def->name) {
        nodeError(ctxt, cur, "empty network name");
        return NULL;
    }

    if ((ipv6 = getYesNo(ctxt, node, "ipv6", 0)) < 0)
        return NULL;
    def->ipv6nogw = ipv6;

    if ((cur = firstChild(node, "bridge"))) {
        def->bridge = getProp(cur, "name");
        if (def->bridge && !*def->bridge)
            g_clear_pointer(&def->bridge, g_free);
    }

    def->forward = VF_NETWORK_FORWARD_NONE;
    if ((cur = firstChild(node, "forward")) && !parseForward(ctxt, cur, def))
        return NULL;

    for (cur = node->children; cur; cur = cur->next) {
        vfNetworkIPDef *ip;

        if (!isElement(cur, "ip"))
            continue;
        ip = g_new0(vfNetworkIPDef, 1);
        g_ptr_array_add(def->ips, ip);
        if (!parseIP(ctxt, cur, ip))
            return NULL;
    }
    return g_steal_pointer(&def);
}

vfNetworkDef *
vfNetworkDefParseString(const char *xml, const char *source, GError **error)
{
    return vfNetworkDefParse(xml, strlen(xml), source, error);
}

vfNetworkDef *
vfNetworkDefParse(const char *xml, gsize len, const char *source, GError **error)
{
    vfParseCtxt ctxt = { .source = source, .error = error };
    xmlDocPtr doc;
    xmlNodePtr root;
    vfNetworkDef *def = NULL;

    if (!(doc = vfXmlRead(xml, len, source, VF_ERROR, VF_ERROR_PARSE, error)))
        return NULL;

    root = xmlDocGetRootElement(doc);
    if (!root) {
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE, "%s: empty document",
                    source);
    } else if (isElement(root, "networkstatus")) {
        xmlNodePtr net = firstChild(root, "network");

        if (!net)
            nodeError(&ctxt, root, "no <network> inside");
        else
            def = parseNetwork(&ctxt, net);
    } else if (isElement(root, "network")) {
        def = parseNetwork(&ctxt, root);
    } else {
        nodeError(&ctxt, root, "unexpected root element "
                  "(expected <network> or <networkstatus>)");
    }
    xmlFreeDoc(doc);
    return def;
}

vfNetworkDef *
vfNetworkDefParseFile(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;
    gsize len = 0;

    if (!vfInputFileRead(path, VF_INPUT_FILE_MAX, &text, &len, &local)) {
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                    "cannot read network XML: %s", local->message);
        return NULL;
    }
    return vfNetworkDefParse(text, len, path, error);
}
