/*
 * network_iptables.c: libvirt 9.0's network firewall programs (iptables)
 *
 * Written from libvirt's src/network/bridge_driver_linux.c and
 * src/util/viriptables.c (9.x); the argument order of every rule matters,
 * since libvirt's test data (tests/networkxml2firewalldata) and the
 * --delete of a rule must match it exactly.
 */
#include "network_iptables.h"

#include <string.h>

#include "firewall/error.h"

typedef enum {
    ADD,
    REMOVE,
} vfRuleAction;

static const char *
actionArg(vfRuleAction action)
{
    return action == ADD ? "--insert" : "--delete";
}

/* ---- private chains ---- */

typedef struct {
    const char *parent;
    const char *child;
} vfChainLink;

static const vfChainLink filterChains[] = {
    { "INPUT", VF_CHAIN_INPUT },
    { "OUTPUT", VF_CHAIN_OUTPUT },
    { "FORWARD", VF_CHAIN_FWD_OUT },
    { "FORWARD", VF_CHAIN_FWD_IN },
    { "FORWARD", VF_CHAIN_FWD_X },
};

static const vfChainLink postroutingChains[] = {
    { "POSTROUTING", VF_CHAIN_POSTROUTING },
};

/*
 * Reads `--list-rules` output: "-N CHAIN" declares a chain,
 * "-A PARENT -j CHILD" links CHILD from PARENT (the last link seen wins).
 * Then adds what is missing.
 */
static int
privateChainCreate(virFirewall *fw, virFirewallLayer layer,
                   const char *const *lines, const char *table,
                   const vfChainLink *links, gsize nlinks, gboolean *changed)
{
    g_autoptr(GHashTable) chains = g_hash_table_new_full(g_str_hash,
                                                         g_str_equal,
                                                         g_free, NULL);
    g_autoptr(GHashTable) parents = g_hash_table_new_full(g_str_hash,
                                                          g_str_equal,
                                                          g_free, g_free);

    for (gsize i = 0; lines && lines[i]; i++) {
        const char *line = lines[i];

        if (g_str_has_prefix(line, "-N ")) {
            g_hash_table_add(chains, g_strdup(line + 3));
        } else if (g_str_has_prefix(line, "-A ")) {
            const char *sep = strchr(line + 3, ' ');

            if (sep && g_str_has_prefix(sep + 1, "-j "))
                g_hash_table_insert(parents, g_strdup(sep + 4),
                                    g_strndup(line + 3, sep - (line + 3)));
        }
    }

    for (gsize i = 0; i < nlinks; i++) {
        const char *parent;

        if (!g_hash_table_contains(chains, links[i].child)) {
            virFirewallAddRule(fw, layer, "--table", table,
                               "--new-chain", links[i].child, NULL);
            *changed = TRUE;
        }
        parent = g_hash_table_lookup(parents, links[i].child);
        if (!parent || !g_str_equal(parent, links[i].parent))
            virFirewallAddRule(fw, layer, "--table", table,
                               "--insert", links[i].parent,
                               "--jump", links[i].child, NULL);
    }
    return 0;
}

static int
privateChainCreateFilter(virFirewall *fw, virFirewallLayer layer,
                         const char *const *lines, void *opaque)
{
    return privateChainCreate(fw, layer, lines, "filter", filterChains,
                              G_N_ELEMENTS(filterChains), opaque);
}

static int
privateChainCreateNat(virFirewall *fw, virFirewallLayer layer,
                      const char *const *lines, void *opaque)
{
    return privateChainCreate(fw, layer, lines, "nat", postroutingChains,
                              G_N_ELEMENTS(postroutingChains), opaque);
}

static int
privateChainCreateMangle(virFirewall *fw, virFirewallLayer layer,
                         const char *const *lines, void *opaque)
{
    return privateChainCreate(fw, layer, lines, "mangle", postroutingChains,
                              G_N_ELEMENTS(postroutingChains), opaque);
}

virFirewall *
vfNetworkSetupPrivateChains(virFirewallLayer layer, gboolean *changed)
{
    virFirewall *fw = virFirewallNew(layer == VIR_FIREWALL_LAYER_IPV6 ?
                                     "libvirt-chains-ipv6" :
                                     "libvirt-chains-ipv4");

    *changed = FALSE;
    virFirewallStartTransaction(fw, 0);
    virFirewallAddRuleFull(fw, layer, false, privateChainCreateFilter, changed,
                           "--table", "filter", "--list-rules", NULL);
    virFirewallAddRuleFull(fw, layer, false, privateChainCreateNat, changed,
                           "--table", "nat", "--list-rules", NULL);
    virFirewallAddRuleFull(fw, layer, false, privateChainCreateMangle, changed,
                           "--table", "mangle", "--list-rules", NULL);
    return fw;
}

/* ---- single rules (viriptables.c) ---- */

static void
ruleHostPort(virFirewall *fw, virFirewallLayer layer, vfRuleAction action,
             gboolean input, const char *iface, const char *proto, int port)
{
    g_autofree char *portstr = g_strdup_printf("%d", port);

    virFirewallAddRule(fw, layer, "--table", "filter", actionArg(action),
                       input ? VF_CHAIN_INPUT : VF_CHAIN_OUTPUT,
                       input ? "--in-interface" : "--out-interface", iface,
                       "--protocol", proto,
                       "--destination-port", portstr,
                       "--jump", "ACCEPT", NULL);
}

static void
ruleInput(virFirewall *fw, virFirewallLayer layer, vfRuleAction action,
          const char *iface, const char *proto, int port)
{
    ruleHostPort(fw, layer, action, TRUE, iface, proto, port);
}

static void
ruleOutput(virFirewall *fw, virFirewallLayer layer, vfRuleAction action,
           const char *iface, const char *proto, int port)
{
    ruleHostPort(fw, layer, action, FALSE, iface, proto, port);
}

static virFirewallLayer
ipLayer(const vfNetworkIPDef *ip)
{
    return ip->address.family == AF_INET ? VIR_FIREWALL_LAYER_IPV4
                                         : VIR_FIREWALL_LAYER_IPV6;
}

/* traffic from the bridge's network out (to @physdev if set) */
static void
ruleForwardAllowOut(virFirewall *fw, virFirewallLayer layer,
                    vfRuleAction action, const char *net, const char *iface,
                    const char *physdev)
{
    virFirewallRule *rule;

    rule = virFirewallAddRule(fw, layer, "--table", "filter",
                              actionArg(action), VF_CHAIN_FWD_OUT,
                              "--source", net,
                              "--in-interface", iface, NULL);
    if (physdev)
        virFirewallRuleAddArgList(fw, rule, "--out-interface", physdev, NULL);
    virFirewallRuleAddArgList(fw, rule, "--jump", "ACCEPT", NULL);
}

/* traffic to the bridge's network (from @physdev if set); @related limits
 * it to established connections (NAT) */
static void
ruleForwardAllowIn(virFirewall *fw, virFirewallLayer layer,
                   vfRuleAction action, const char *net, const char *iface,
                   const char *physdev, gboolean related)
{
    virFirewallRule *rule;

    rule = virFirewallAddRule(fw, layer, "--table", "filter",
                              actionArg(action), VF_CHAIN_FWD_IN,
                              "--destination", net, NULL);
    if (physdev)
        virFirewallRuleAddArgList(fw, rule, "--in-interface", physdev, NULL);
    virFirewallRuleAddArgList(fw, rule, "--out-interface", iface, NULL);
    if (related)
        virFirewallRuleAddArgList(fw, rule, "--match", "conntrack",
                                  "--ctstate", "ESTABLISHED,RELATED", NULL);
    virFirewallRuleAddArgList(fw, rule, "--jump", "ACCEPT", NULL);
}

static void
ruleForwardAllowCross(virFirewall *fw, virFirewallLayer layer,
                      vfRuleAction action, const char *iface)
{
    virFirewallAddRule(fw, layer, "--table", "filter", actionArg(action),
                       VF_CHAIN_FWD_X,
                       "--in-interface", iface,
                       "--out-interface", iface,
                       "--jump", "ACCEPT", NULL);
}

static void
ruleForwardRejectOut(virFirewall *fw, virFirewallLayer layer,
                     vfRuleAction action, const char *iface)
{
    virFirewallAddRule(fw, layer, "--table", "filter", actionArg(action),
                       VF_CHAIN_FWD_OUT,
                       "--in-interface", iface,
                       "--jump", "REJECT", NULL);
}

static void
ruleForwardRejectIn(virFirewall *fw, virFirewallLayer layer,
                    vfRuleAction action, const char *iface)
{
    virFirewallAddRule(fw, layer, "--table", "filter", actionArg(action),
                       VF_CHAIN_FWD_IN,
                       "--out-interface", iface,
                       "--jump", "REJECT", NULL);
}

/*
 * MASQUERADE (or SNAT with <nat><address>) of the network's traffic.
 * With @protocol, the source ports are limited to <nat><port> (default
 * 1024-65535); libvirt refuses a range whose start is not below its end.
 */
static gboolean
ruleMasquerade(virFirewall *fw, virFirewallLayer layer, vfRuleAction action,
               const char *net, const vfNetworkDef *def, const char *protocol,
               GError **error)
{
    g_autofree char *ports = NULL;
    virFirewallRule *rule;

    if (protocol) {
        guint start = def->nat_port_start;
        guint end = def->nat_port_end;

        if (start == 0 && end == 0) {
            start = 1024;
            end = 65535;
        }
        if (!(start < end && end < 65536)) {
            g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                        "network '%s': invalid NAT port range '%u-%u'",
                        def->name, start, end);
            return FALSE;
        }
        ports = g_strdup_printf("%u-%u", start, end);
    }

    rule = virFirewallAddRule(fw, layer, "--table", "nat", actionArg(action),
                              VF_CHAIN_POSTROUTING,
                              "--source", net, NULL);
    if (protocol)
        virFirewallRuleAddArgList(fw, rule, "-p", protocol, NULL);
    virFirewallRuleAddArgList(fw, rule, "!", "--destination", net, NULL);
    if (def->forward_dev)
        virFirewallRuleAddArgList(fw, rule, "--out-interface",
                                  def->forward_dev, NULL);

    /* SNAT only where the pool matches the network's family (IPv4) */
    if (def->has_nat_addr && layer == VIR_FIREWALL_LAYER_IPV4) {
        g_autofree char *start = vfSocketAddrFormat(&def->nat_addr_start);
        g_autofree char *end = vfSocketAddrFormat(&def->nat_addr_end);
        g_autofree char *to = g_strdup_printf("%s-%s%s%s", start, end,
                                              ports ? ":" : "",
                                              ports ? ports : "");

        virFirewallRuleAddArgList(fw, rule, "--jump", "SNAT",
                                  "--to-source", to, NULL);
    } else {
        virFirewallRuleAddArgList(fw, rule, "--jump", "MASQUERADE", NULL);
        if (ports)
            virFirewallRuleAddArgList(fw, rule, "--to-ports", ports, NULL);
    }
    return TRUE;
}

/* no masquerading towards @dest (broadcast, local multicast) */
static void
ruleDontMasquerade(virFirewall *fw, virFirewallLayer layer,
                   vfRuleAction action, const char *net, const char *physdev,
                   const char *dest)
{
    virFirewallRule *rule;

    rule = virFirewallAddRule(fw, layer, "--table", "nat", actionArg(action),
                              VF_CHAIN_POSTROUTING, NULL);
    if (physdev)
        virFirewallRuleAddArgList(fw, rule, "--out-interface", physdev, NULL);
    virFirewallRuleAddArgList(fw, rule, "--source", net,
                              "--destination", dest,
                              "--jump", "RETURN", NULL);
}

static void
ruleFixUdpChecksum(virFirewall *fw, vfRuleAction action, const char *iface)
{
    virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "--table", "mangle",
                       actionArg(action), VF_CHAIN_POSTROUTING,
                       "--out-interface", iface,
                       "--protocol", "udp",
                       "--destination-port", "68",
                       "--jump", "CHECKSUM", "--checksum-fill", NULL);
}

/* ---- per-network rule sets (bridge_driver_linux.c) ---- */

#define LOCAL_MULTICAST_IPV4 "224.0.0.0/24"
#define LOCAL_MULTICAST_IPV6 "ff02::/16"
#define LOCAL_BROADCAST "255.255.255.255/32"

static gboolean
masqueradingRules(virFirewall *fw, vfRuleAction action,
                  const vfNetworkDef *def, const vfNetworkIPDef *ip,
                  const char *net, GError **error)
{
    virFirewallLayer layer = ipLayer(ip);
    gboolean isIPv4 = layer == VIR_FIREWALL_LAYER_IPV4;
    const char *multicast = isIPv4 ? LOCAL_MULTICAST_IPV4 : LOCAL_MULTICAST_IPV6;
    /* Kernel order wanted, top down: no NAT to local multicast, no NAT to
     * broadcast, tcp and udp with a source port range, then any protocol.
     * --insert puts each rule first, so they are added bottom up. */
    static const char *const protocols[] = { NULL, "udp", "tcp" };

    if (action == ADD) {
        ruleForwardAllowOut(fw, layer, ADD, net, def->bridge, def->forward_dev);
        ruleForwardAllowIn(fw, layer, ADD, net, def->bridge, def->forward_dev,
                           TRUE);
        for (gsize i = 0; i < G_N_ELEMENTS(protocols); i++) {
            if (!ruleMasquerade(fw, layer, ADD, net, def, protocols[i], error))
                return FALSE;
        }
        if (isIPv4)
            ruleDontMasquerade(fw, layer, ADD, net, def->forward_dev,
                               LOCAL_BROADCAST);
        ruleDontMasquerade(fw, layer, ADD, net, def->forward_dev, multicast);
    } else {
        ruleDontMasquerade(fw, layer, REMOVE, net, def->forward_dev, multicast);
        if (isIPv4)
            ruleDontMasquerade(fw, layer, REMOVE, net, def->forward_dev,
                               LOCAL_BROADCAST);
        for (gsize i = G_N_ELEMENTS(protocols); i-- > 0;) {
            if (!ruleMasquerade(fw, layer, REMOVE, net, def, protocols[i],
                                error))
                return FALSE;
        }
        ruleForwardAllowIn(fw, layer, REMOVE, net, def->bridge,
                           def->forward_dev, TRUE);
        ruleForwardAllowOut(fw, layer, REMOVE, net, def->bridge,
                            def->forward_dev);
    }
    return TRUE;
}

static void
routingRules(virFirewall *fw, vfRuleAction action, const vfNetworkDef *def,
             const vfNetworkIPDef *ip, const char *net)
{
    virFirewallLayer layer = ipLayer(ip);

    if (action == ADD) {
        ruleForwardAllowOut(fw, layer, ADD, net, def->bridge, def->forward_dev);
        ruleForwardAllowIn(fw, layer, ADD, net, def->bridge, def->forward_dev,
                           FALSE);
    } else {
        ruleForwardAllowIn(fw, layer, REMOVE, net, def->bridge,
                           def->forward_dev, FALSE);
        ruleForwardAllowOut(fw, layer, REMOVE, net, def->bridge,
                            def->forward_dev);
    }
}

/* The rules of one <ip>. In NAT mode an IPv6 network is routed, unless
 * <nat ipv6='yes'> asks for IPv6 masquerading. */
static gboolean
ipSpecificRules(virFirewall *fw, vfRuleAction action,
                const vfNetworkDef *def, const vfNetworkIPDef *ip,
                GError **error)
{
    g_autofree char *net = NULL;
    gboolean masquerade = FALSE;

    if (def->forward == VF_NETWORK_FORWARD_NAT)
        masquerade = ip->address.family == AF_INET || def->nat_ipv6;
    else if (def->forward != VF_NETWORK_FORWARD_ROUTE)
        return TRUE;

    if (!ip->has_prefix) {
        if (action == REMOVE)
            return TRUE;
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "network '%s': invalid prefix or netmask for '%s'",
                    def->name, def->bridge);
        return FALSE;
    }
    net = vfNetworkIPDefFormatNetwork(ip);
    if (masquerade)
        return masqueradingRules(fw, action, def, ip, net, error);
    routingRules(fw, action, def, ip, net);
    return TRUE;
}

static gboolean
allIPSpecificRules(virFirewall *fw, vfRuleAction action,
                   const vfNetworkDef *def, GError **error)
{
    for (guint i = 0; i < def->ips->len; i++) {
        if (!ipSpecificRules(fw, action, def, g_ptr_array_index(def->ips, i),
                             error))
            return FALSE;
    }
    return TRUE;
}

/* The first IPv4 <ip> with DHCP (ranges or hosts), or, with @tftp, with
 * DHCP or TFTP: libvirt serves DHCP on one IPv4 address only. */
static const vfNetworkIPDef *
firstDhcpIPv4(const vfNetworkDef *def, gboolean tftp)
{
    const vfNetworkIPDef *ip;

    for (guint i = 0; (ip = vfNetworkDefGetIP(def, AF_INET, i)); i++) {
        if (ip->nranges || ip->nhosts || (tftp && ip->tftproot))
            return ip;
    }
    return NULL;
}

static void
generalIPv4Rules(virFirewall *fw, vfRuleAction action, const vfNetworkDef *def)
{
    const vfNetworkIPDef *dhcp = firstDhcpIPv4(def, TRUE);
    gboolean tftp = dhcp && dhcp->tftproot;
    const char *br = def->bridge;
    const virFirewallLayer v4 = VIR_FIREWALL_LAYER_IPV4;

    if (action == ADD) {
        /* DHCP and DNS to dnsmasq and back, TFTP if served */
        ruleInput(fw, v4, ADD, br, "tcp", 67);
        ruleInput(fw, v4, ADD, br, "udp", 67);
        ruleOutput(fw, v4, ADD, br, "tcp", 68);
        ruleOutput(fw, v4, ADD, br, "udp", 68);
        ruleInput(fw, v4, ADD, br, "tcp", 53);
        ruleInput(fw, v4, ADD, br, "udp", 53);
        ruleOutput(fw, v4, ADD, br, "tcp", 53);
        ruleOutput(fw, v4, ADD, br, "udp", 53);
        if (tftp) {
            ruleInput(fw, v4, ADD, br, "udp", 69);
            ruleOutput(fw, v4, ADD, br, "udp", 69);
        }
        /* no forwarding to/from the bridge, except between its guests */
        ruleForwardRejectOut(fw, v4, ADD, br);
        ruleForwardRejectIn(fw, v4, ADD, br);
        ruleForwardAllowCross(fw, v4, ADD, br);
    } else {
        /* libvirt's own removal order (not an exact mirror of the adds) */
        ruleForwardAllowCross(fw, v4, REMOVE, br);
        ruleForwardRejectIn(fw, v4, REMOVE, br);
        ruleForwardRejectOut(fw, v4, REMOVE, br);
        if (tftp) {
            ruleInput(fw, v4, REMOVE, br, "udp", 69);
            ruleOutput(fw, v4, REMOVE, br, "udp", 69);
        }
        ruleInput(fw, v4, REMOVE, br, "udp", 53);
        ruleInput(fw, v4, REMOVE, br, "tcp", 53);
        ruleOutput(fw, v4, REMOVE, br, "udp", 53);
        ruleOutput(fw, v4, REMOVE, br, "tcp", 53);
        ruleOutput(fw, v4, REMOVE, br, "udp", 68);
        ruleOutput(fw, v4, REMOVE, br, "tcp", 68);
        ruleInput(fw, v4, REMOVE, br, "udp", 67);
        ruleInput(fw, v4, REMOVE, br, "tcp", 67);
    }
}

/* With IPv6 addresses: forwarding policy, DNS and DHCPv6. With only
 * <network ipv6='yes'>: the forwarding policy (guest to guest). */
static void
generalIPv6Rules(virFirewall *fw, vfRuleAction action, const vfNetworkDef *def)
{
    gboolean hasIPv6 = vfNetworkDefGetIP(def, AF_INET6, 0) != NULL;
    const char *br = def->bridge;
    const virFirewallLayer v6 = VIR_FIREWALL_LAYER_IPV6;

    if (!hasIPv6 && !def->ipv6nogw)
        return;

    if (action == ADD) {
        ruleForwardRejectOut(fw, v6, ADD, br);
        ruleForwardRejectIn(fw, v6, ADD, br);
        ruleForwardAllowCross(fw, v6, ADD, br);
        if (hasIPv6) {
            ruleInput(fw, v6, ADD, br, "tcp", 53);
            ruleInput(fw, v6, ADD, br, "udp", 53);
            ruleOutput(fw, v6, ADD, br, "tcp", 53);
            ruleOutput(fw, v6, ADD, br, "udp", 53);
            ruleInput(fw, v6, ADD, br, "udp", 547);
            ruleOutput(fw, v6, ADD, br, "udp", 546);
        }
    } else {
        if (hasIPv6) {
            ruleOutput(fw, v6, REMOVE, br, "udp", 546);
            ruleInput(fw, v6, REMOVE, br, "udp", 547);
            ruleOutput(fw, v6, REMOVE, br, "udp", 53);
            ruleOutput(fw, v6, REMOVE, br, "tcp", 53);
            ruleInput(fw, v6, REMOVE, br, "udp", 53);
            ruleInput(fw, v6, REMOVE, br, "tcp", 53);
        }
        ruleForwardAllowCross(fw, v6, REMOVE, br);
        ruleForwardRejectIn(fw, v6, REMOVE, br);
        ruleForwardRejectOut(fw, v6, REMOVE, br);
    }
}

/* DHCP replies get their UDP checksum filled in; not every iptables has
 * CHECKSUM, so its group ignores errors. */
static void
checksumRules(virFirewall *fw, vfRuleAction action, const vfNetworkDef *def)
{
    if (firstDhcpIPv4(def, FALSE))
        ruleFixUdpChecksum(fw, action, def->bridge);
}

gboolean
vfNetworkDefNeedsFirewall(const vfNetworkDef *def)
{
    return def->forward == VF_NETWORK_FORWARD_NONE ||
           def->forward == VF_NETWORK_FORWARD_NAT ||
           def->forward == VF_NETWORK_FORWARD_ROUTE;
}

/* iptables reads a '+' ending an interface name as a wildcard: "-i virbr+"
 * would accept or reject every interface whose name starts with "virbr"
 * (libvirt 9.0 writes such rules); refused, as for a binding's portdev */
static gboolean
checkInterfaceName(const vfNetworkDef *def, const char *what, const char *ifname,
                   GError **error)
{
    if (!ifname || !strchr(ifname, '+'))
        return TRUE;
    g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                "network '%s': %s '%s' holds a '+', which iptables reads as a "
                "wildcard at the end of a name: refused (libvirt 9.0 applies such rules)",
                def->name, what, ifname);
    return FALSE;
}

static gboolean
checkBridge(const vfNetworkDef *def, GError **error)
{
    if (!def->bridge) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "network '%s' (%s): no <bridge name=...>, needed for its "
                    "firewall rules", def->name, def->source);
        return FALSE;
    }
    return checkInterfaceName(def, "bridge", def->bridge, error) &&
           checkInterfaceName(def, "forward dev", def->forward_dev, error);
}

virFirewall *
vfNetworkAddFirewallRules(const vfNetworkDef *def, GError **error)
{
    g_autoptr(virFirewall) fw = virFirewallNew(def->name);

    if (!vfNetworkDefNeedsFirewall(def))
        return g_steal_pointer(&fw);
    if (!checkBridge(def, error))
        return NULL;

    virFirewallStartTransaction(fw, 0);
    generalIPv4Rules(fw, ADD, def);
    generalIPv6Rules(fw, ADD, def);
    if (!allIPSpecificRules(fw, ADD, def, error))
        return NULL;

    virFirewallStartRollback(fw, 0);
    if (!allIPSpecificRules(fw, REMOVE, def, error))
        return NULL;
    generalIPv4Rules(fw, REMOVE, def);
    generalIPv6Rules(fw, REMOVE, def);

    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    checksumRules(fw, ADD, def);

    return g_steal_pointer(&fw);
}

virFirewall *
vfNetworkRemoveFirewallRules(const vfNetworkDef *def, GError **error)
{
    g_autoptr(virFirewall) fw = virFirewallNew(def->name);

    if (!vfNetworkDefNeedsFirewall(def))
        return g_steal_pointer(&fw);
    if (!checkBridge(def, error))
        return NULL;

    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    checksumRules(fw, REMOVE, def);

    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    if (!allIPSpecificRules(fw, REMOVE, def, error))
        return NULL;
    generalIPv4Rules(fw, REMOVE, def);
    generalIPv6Rules(fw, REMOVE, def);

    return g_steal_pointer(&fw);
}
