/*
 * network_iptables.h: the firewall programs of libvirt's network driver
 * (iptables backend), as libvirt 9.0 builds them (Debian 12's libvirt).
 * libvirt >= 10.4 builds the same commands but uses AUTO_ROLLBACK and a
 * saved fwRemoval list instead of the explicit rollback and removal lists
 * below; see tests/restoredata/network/README.md.
 *
 * Three kinds of program, all plain virFirewall objects that any backend
 * can apply:
 *
 *  - the private chains set-up, one program per layer (IPv4, IPv6):
 *    iptablesSetupPrivateChains(). One transaction holding three queries
 *    (--table filter|nat|mangle --list-rules); their callbacks add
 *    --new-chain for each missing LIBVIRT_INP/OUT/FWO/FWI/FWX/PRT chain and
 *    --insert PARENT --jump CHILD for each missing jump. libvirt runs it once
 *    per daemon, before the first network's rules.
 *
 *  - a network's rules: networkAddFirewallRules(). Group 1 (flags 0): the
 *    general IPv4 rules, the general IPv6 rules, then the rules of each <ip>
 *    in XML order; its rollback list is the removal of the same rules.
 *    Group 2 (IGNORE_ERRORS): the mangle CHECKSUM rule. All rules use
 *    --insert, with long options.
 *
 *  - a network's removal: networkRemoveFirewallRules(). Group 1
 *    (IGNORE_ERRORS): the checksum rule's --delete; group 2 (IGNORE_ERRORS):
 *    the --delete of every other rule, the <ip> rules first, each list in
 *    reverse order of insertion.
 *
 * Forward modes none (isolated), nat and route get rules; every other mode
 * (open, bridge, private, vepa, passthrough, hostdev) gets none: the
 * programs are then empty (no groups).
 */
#pragma once

#include "firewall/firewall.h"
#include "network_def.h"

/* Chain names, as libvirt. */
#define VF_CHAIN_PREFIX       "LIBVIRT_"
#define VF_CHAIN_INPUT        VF_CHAIN_PREFIX "INP"
#define VF_CHAIN_OUTPUT       VF_CHAIN_PREFIX "OUT"
#define VF_CHAIN_FWD_OUT      VF_CHAIN_PREFIX "FWO"
#define VF_CHAIN_FWD_IN       VF_CHAIN_PREFIX "FWI"
#define VF_CHAIN_FWD_X        VF_CHAIN_PREFIX "FWX"
#define VF_CHAIN_POSTROUTING  VF_CHAIN_PREFIX "PRT"

/*
 * The private chains set-up for @layer (VIR_FIREWALL_LAYER_IPV4 or _IPV6).
 * The query callbacks set *@changed to TRUE when they create a chain, so
 * @changed must stay valid until the program has been applied (or freed).
 */
virFirewall *vfNetworkSetupPrivateChains(virFirewallLayer layer,
                                         gboolean *changed);

/* TRUE if libvirt adds firewall rules for @def's forward mode. */
gboolean vfNetworkDefNeedsFirewall(const vfNetworkDef *def);

/*
 * The program adding @def's rules; NULL with @error (VF_ERROR_INVALID) if
 * they cannot be built (no bridge name, an <ip> without a usable prefix, a
 * bad NAT port range), as libvirt would refuse to start the network.
 */
virFirewall *vfNetworkAddFirewallRules(const vfNetworkDef *def,
                                       GError **error);

/*
 * The program removing @def's rules (libvirt's networkRemoveFirewallRules).
 * <ip>s without a usable prefix are skipped, as libvirt does. NULL with
 * @error for no bridge name or a bad NAT port range (libvirt then removes
 * nothing).
 */
virFirewall *vfNetworkRemoveFirewallRules(const vfNetworkDef *def,
                                          GError **error);
