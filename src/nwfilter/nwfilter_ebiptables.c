/*
 * nwfilter_ebiptables.c: rule instances -> ebtables/iptables/ip6tables
 * commands, in the order libvirt 9.0's ebiptables driver issues them.
 */
#include "nwfilter_ebiptables_priv.h"
#include "chains.h"
#include "firewall/error.h"

#include <string.h>

/* one rule instance, once per variable combination */
static gboolean
ruleInstCommand(virFirewall *fw, const char *ifname, nwfRuleInst *inst,
                GError **error)
{
    const nwfRule *rule = inst->rule;
    g_autoptr(nwfVarIter) it = nwfVarIterNew(inst->vars, rule->vars, error);

    if (!it)
        return FALSE;
    /* provenance for readers (virt-firewall show); the backends ignore it */
    virFirewallSetOrigin(fw, &(virFirewallRuleOrigin){ inst->filter->name, inst->filter->path,
                                                       rule->line, inst->priority });
    do {
        if (nwfRuleIsEthernet(rule)) {
            if ((rule->direction == NWF_DIR_OUT || rule->direction == NWF_DIR_INOUT) &&
                !ebtablesCreateRuleInstance(fw, NWF_PFX_IN_TEMP, inst->chainSuffix,
                                            rule, ifname, it,
                                            rule->direction == NWF_DIR_INOUT, error))
                return FALSE;
            if ((rule->direction == NWF_DIR_IN || rule->direction == NWF_DIR_INOUT) &&
                !ebtablesCreateRuleInstance(fw, NWF_PFX_OUT_TEMP, inst->chainSuffix,
                                            rule, ifname, it, FALSE, error))
                return FALSE;
        } else {
            virFirewallLayer layer = nwfRuleIsIPv6(rule) ? VIR_FIREWALL_LAYER_IPV6
                                                         : VIR_FIREWALL_LAYER_IPV4;
            if (!iptablesCreateRuleInstance(fw, layer, rule, ifname, it, error))
                return FALSE;
        }
    } while (nwfVarIterNext(it));
    virFirewallSetOrigin(fw, NULL);
    return TRUE;
}

static gint
ruleInstCmp(gconstpointer a, gconstpointer b)
{
    const nwfRuleInst *ia = *(nwfRuleInst *const *)a;
    const nwfRuleInst *ib = *(nwfRuleInst *const *)b;
    gboolean ra = strcmp(ia->chainSuffix, "root") == 0;
    gboolean rb = strcmp(ib->chainSuffix, "root") == 0;

    if (ra && !rb)
        return -1;
    if (rb && !ra)
        return 1;
    return ia->priority - ib->priority;
}

typedef struct {
    int priority;
    gboolean incoming;
    int protoIdx;
    const char *name;
    guint order;
} SubChain;

static gint
subChainCmp(gconstpointer a, gconstpointer b)
{
    const SubChain *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority - y->priority;
    return (int)x->order - (int)y->order;   /* stable */
}

/*
 * The distinct chain names of one direction set, in first-seen order.
 * libvirt walks a virHashNew() table here (virHashGetItems unsorted),
 * whose string hash is SipHash with a random per-process seed: sub-chains
 * of equal priority come out in a different order on every daemon start
 * (seen with the vf-eqprio oracle case, three runs, three orders). No
 * order can match it; first-seen (definition) order is deterministic.
 */
static void
collectChains(GPtrArray *insts, gboolean incoming, GArray *out, guint *order)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < insts->len; i++) {
        nwfRuleInst *inst = insts->pdata[i];
        nwfDirection d = inst->rule->direction;
        SubChain sc;

        if (!nwfRuleIsEthernet(inst->rule))
            continue;
        if (incoming ? d == NWF_DIR_IN : d == NWF_DIR_OUT)
            continue;
        sc.protoIdx = protoIdxByFiltername(inst->chainSuffix);
        if (sc.protoIdx < 0)
            continue;
        if (g_hash_table_contains(seen, inst->chainSuffix)) {
            /* libvirt's hash update: the last rule's chain priority wins */
            guint at = GPOINTER_TO_UINT(g_hash_table_lookup(seen, inst->chainSuffix));
            g_array_index(out, SubChain, at).priority = inst->chainPriority;
            continue;
        }
        g_hash_table_insert(seen, (gpointer)inst->chainSuffix,
                            GUINT_TO_POINTER(out->len));
        sc.priority = inst->chainPriority;
        sc.incoming = incoming;
        sc.name = inst->chainSuffix;
        sc.order = (*order)++;
        g_array_append_val(out, sc);
    }
}

static gboolean
hasChains(GPtrArray *insts, gboolean incoming)
{
    for (guint i = 0; i < insts->len; i++) {
        nwfRuleInst *inst = insts->pdata[i];
        nwfDirection d = inst->rule->direction;
        if (nwfRuleIsEthernet(inst->rule) &&
            (incoming ? d != NWF_DIR_IN : d != NWF_DIR_OUT))
            return TRUE;
    }
    return FALSE;
}

gboolean
nwfAddApplyNewRules(virFirewall *fw, const char *ifname, GPtrArray *insts,
                    GError **error)
{
    gboolean haveEbtables = FALSE, haveIptables = FALSE, haveIp6tables = FALSE;
    gboolean haveIn, haveOut;
    g_autoptr(GArray) subchains = g_array_new(FALSE, FALSE, sizeof(SubChain));
    guint order = 0, i, j;

    /* stable sort: root rules first, then by priority */
    g_ptr_array_sort(insts, ruleInstCmp);

    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    ebtUnlinkRootChain(fw, TRUE, ifname, TRUE);
    ebtUnlinkRootChain(fw, FALSE, ifname, TRUE);
    ebtRemoveSubChains(fw, ifname, nwfChainPrefixesHostTemp);
    ebtRemoveRootChain(fw, TRUE, ifname, TRUE);
    ebtRemoveRootChain(fw, FALSE, ifname, TRUE);

    virFirewallStartTransaction(fw, 0);

    for (i = 0; i < insts->len; i++) {
        nwfRuleInst *inst = insts->pdata[i];
        /* libvirt: strstr("root", suffix) */
        if (inst->chainPriority > inst->priority &&
            !strstr("root", inst->chainSuffix))
            inst->priority = inst->chainPriority;
    }
    for (i = 0; i < insts->len; i++) {
        nwfRuleInst *inst = insts->pdata[i];
        if (nwfRuleIsEthernet(inst->rule))
            haveEbtables = TRUE;
        else if (nwfRuleIsIPv4(inst->rule))
            haveIptables = TRUE;
        else if (nwfRuleIsIPv6(inst->rule))
            haveIp6tables = TRUE;
    }
    haveIn = hasChains(insts, TRUE);
    haveOut = hasChains(insts, FALSE);

    if (haveEbtables) {
        if (haveIn) {
            ebtCreateTmpRootChain(fw, TRUE, ifname);
            collectChains(insts, TRUE, subchains, &order);
        }
        if (haveOut) {
            ebtCreateTmpRootChain(fw, FALSE, ifname);
            collectChains(insts, FALSE, subchains, &order);
        }
        g_array_sort(subchains, subChainCmp);

        for (i = 0, j = 0; i < insts->len; i++) {
            nwfRuleInst *inst = insts->pdata[i];
            if (!nwfRuleIsEthernet(inst->rule))
                continue;
            while (j < subchains->len &&
                   g_array_index(subchains, SubChain, j).priority <= inst->priority) {
                SubChain *sc = &g_array_index(subchains, SubChain, j);
                ebtCreateTmpSubChain(fw, sc->incoming, ifname, sc->protoIdx, sc->name);
                j++;
            }
            if (!ruleInstCommand(fw, ifname, inst, error))
                return FALSE;
        }
        for (; j < subchains->len; j++) {
            SubChain *sc = &g_array_index(subchains, SubChain, j);
            ebtCreateTmpSubChain(fw, sc->incoming, ifname, sc->protoIdx, sc->name);
        }
    }

    for (int v6 = 0; v6 < 2; v6++) {
        virFirewallLayer l = v6 ? VIR_FIREWALL_LAYER_IPV6 : VIR_FIREWALL_LAYER_IPV4;
        if (!(v6 ? haveIp6tables : haveIptables))
            continue;
        iptUnlinkRootChains(fw, l, ifname, TRUE);
        iptRemoveRootChains(fw, l, ifname, TRUE);
        iptCreateBaseChains(fw, l);
        iptCreateTmpRootChains(fw, l, ifname);
        iptLinkTmpRootChains(fw, l, ifname);
        iptSetupVirtInPost(fw, l, ifname);
        for (i = 0; i < insts->len; i++) {
            nwfRuleInst *inst = insts->pdata[i];
            if (v6 ? nwfRuleIsIPv6(inst->rule) : nwfRuleIsIPv4(inst->rule))
                if (!ruleInstCommand(fw, ifname, inst, error))
                    return FALSE;
        }
    }

    if (haveEbtables && haveIn)
        ebtLinkTmpRootChain(fw, TRUE, ifname);
    if (haveEbtables && haveOut)
        ebtLinkTmpRootChain(fw, FALSE, ifname);

    virFirewallStartRollback(fw, 0);
    ebtUnlinkRootChain(fw, TRUE, ifname, TRUE);
    ebtUnlinkRootChain(fw, FALSE, ifname, TRUE);
    if (haveIp6tables) {
        iptUnlinkRootChains(fw, VIR_FIREWALL_LAYER_IPV6, ifname, TRUE);
        iptRemoveRootChains(fw, VIR_FIREWALL_LAYER_IPV6, ifname, TRUE);
    }
    if (haveIptables) {
        iptUnlinkRootChains(fw, VIR_FIREWALL_LAYER_IPV4, ifname, TRUE);
        iptRemoveRootChains(fw, VIR_FIREWALL_LAYER_IPV4, ifname, TRUE);
    }
    ebtRemoveSubChains(fw, ifname, nwfChainPrefixesHostTemp);
    ebtRemoveRootChain(fw, TRUE, ifname, TRUE);
    ebtRemoveRootChain(fw, FALSE, ifname, TRUE);
    return TRUE;
}

void
nwfAddTearOldRules(virFirewall *fw, const char *ifname)
{
    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    for (int v6 = 0; v6 < 2; v6++) {
        virFirewallLayer l = v6 ? VIR_FIREWALL_LAYER_IPV6 : VIR_FIREWALL_LAYER_IPV4;
        iptUnlinkRootChains(fw, l, ifname, FALSE);
        iptRemoveRootChains(fw, l, ifname, FALSE);
        iptRenameTmpRootChains(fw, l, ifname);
    }
    ebtUnlinkRootChain(fw, TRUE, ifname, FALSE);
    ebtUnlinkRootChain(fw, FALSE, ifname, FALSE);
    ebtRemoveSubChains(fw, ifname, nwfChainPrefixesHost);
    ebtRemoveRootChain(fw, TRUE, ifname, FALSE);
    ebtRemoveRootChain(fw, FALSE, ifname, FALSE);
    ebtRenameTmpSubAndRootChains(fw, ifname);
}

/* ebiptablesTearNewRulesFW: the temporary chains of all three layers */
static void
tearNewRules(virFirewall *fw, const char *ifname)
{
    for (int v6 = 0; v6 < 2; v6++) {
        virFirewallLayer l = v6 ? VIR_FIREWALL_LAYER_IPV6 : VIR_FIREWALL_LAYER_IPV4;
        iptUnlinkRootChains(fw, l, ifname, TRUE);
        iptRemoveRootChains(fw, l, ifname, TRUE);
    }
    ebtUnlinkRootChain(fw, TRUE, ifname, TRUE);
    ebtUnlinkRootChain(fw, FALSE, ifname, TRUE);
    ebtRemoveSubChains(fw, ifname, nwfChainPrefixesHostTemp);
    ebtRemoveRootChain(fw, TRUE, ifname, TRUE);
    ebtRemoveRootChain(fw, FALSE, ifname, TRUE);
}

void
nwfAddTearNewRules(virFirewall *fw, const char *ifname)
{
    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    tearNewRules(fw, ifname);
}

/* ebiptablesAllTeardown: the temporary chains too (libvirt 9.0 starts
 * with ebiptablesTearNewRulesFW; seen in nwfilter-binding-delete) */
void
nwfAddAllTeardown(virFirewall *fw, const char *ifname)
{
    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    tearNewRules(fw, ifname);
    for (int v6 = 0; v6 < 2; v6++) {
        virFirewallLayer l = v6 ? VIR_FIREWALL_LAYER_IPV6 : VIR_FIREWALL_LAYER_IPV4;
        iptUnlinkRootChains(fw, l, ifname, FALSE);
        iptClearVirtInPost(fw, l, ifname);
        iptRemoveRootChains(fw, l, ifname, FALSE);
    }
    ebtUnlinkRootChain(fw, TRUE, ifname, FALSE);
    ebtUnlinkRootChain(fw, FALSE, ifname, FALSE);
    ebtRemoveSubChains(fw, ifname, nwfChainPrefixesHost);
    ebtRemoveRootChain(fw, TRUE, ifname, FALSE);
    ebtRemoveRootChain(fw, FALSE, ifname, FALSE);
}

static void
cleanAllRules(virFirewall *fw, const char *ifname)
{
    ebtUnlinkRootChain(fw, TRUE, ifname, FALSE);
    ebtUnlinkRootChain(fw, FALSE, ifname, FALSE);
    ebtRemoveSubChains(fw, ifname, nwfChainPrefixesHost);
    ebtRemoveRootChain(fw, TRUE, ifname, FALSE);
    ebtRemoveRootChain(fw, FALSE, ifname, FALSE);
    ebtUnlinkRootChain(fw, TRUE, ifname, TRUE);
    ebtUnlinkRootChain(fw, FALSE, ifname, TRUE);
    ebtRemoveSubChains(fw, ifname, nwfChainPrefixesHostTemp);
    ebtRemoveRootChain(fw, TRUE, ifname, TRUE);
    ebtRemoveRootChain(fw, FALSE, ifname, TRUE);
}

void
nwfAddCleanAll(virFirewall *fw, const char *ifname)
{
    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    cleanAllRules(fw, ifname);
}

static void
basicRollback(virFirewall *fw, const char *ifname)
{
    /* libvirt runs ebtablesCleanAll when the group fails */
    virFirewallStartRollback(fw, 0);
    cleanAllRules(fw, ifname);
}

void
nwfAddApplyBasicRules(virFirewall *fw, const char *ifname, const char *mac)
{
    g_autofree char *chain = nwfChainRoot(NWF_PFX_IN_TEMP, ifname);

    nwfAddAllTeardown(fw, ifname);
    virFirewallStartTransaction(fw, 0);
    ebtCreateTmpRootChain(fw, TRUE, ifname);
    F(fw, ETH, "-t", "nat", "-A", chain, "-s", "!", mac, "-j", "DROP");
    F(fw, ETH, "-t", "nat", "-A", chain, "-p", "IPv4", "-j", "ACCEPT");
    F(fw, ETH, "-t", "nat", "-A", chain, "-p", "ARP", "-j", "ACCEPT");
    F(fw, ETH, "-t", "nat", "-A", chain, "-j", "DROP");
    ebtLinkTmpRootChain(fw, TRUE, ifname);
    ebtRenameTmpRootChain(fw, TRUE, ifname);
    basicRollback(fw, ifname);
}

void
nwfAddApplyDHCPOnlyRules(virFirewall *fw, const char *ifname, const char *mac,
                         GPtrArray *dhcpservers, gboolean leaveTemporary)
{
    g_autofree char *in = nwfChainRoot(NWF_PFX_IN_TEMP, ifname);
    g_autofree char *out = nwfChainRoot(NWF_PFX_OUT_TEMP, ifname);
    guint n = dhcpservers ? dhcpservers->len : 0;
    guint idx = 0;

    nwfAddAllTeardown(fw, ifname);
    virFirewallStartTransaction(fw, 0);
    ebtCreateTmpRootChain(fw, TRUE, ifname);
    ebtCreateTmpRootChain(fw, FALSE, ifname);
    F(fw, ETH, "-t", "nat", "-A", in, "-s", mac, "-p", "ipv4",
      "--ip-protocol", "udp", "--ip-sport", "68", "--ip-dport", "67",
      "-j", "ACCEPT");
    F(fw, ETH, "-t", "nat", "-A", in, "-j", "DROP");
    while (TRUE) {
        const char *srv = idx < n ? dhcpservers->pdata[idx] : NULL;
        for (int ctr = 0; ctr < 2; ctr++) {
            const char *dst = ctr == 0 ? mac : "ff:ff:ff:ff:ff:ff";
            if (srv)
                F(fw, ETH, "-t", "nat", "-A", out, "-d", dst, "-p", "ipv4",
                  "--ip-protocol", "udp", "--ip-src", srv, "--ip-sport", "67",
                  "--ip-dport", "68", "-j", "ACCEPT");
            else
                F(fw, ETH, "-t", "nat", "-A", out, "-d", dst, "-p", "ipv4",
                  "--ip-protocol", "udp", "--ip-sport", "67",
                  "--ip-dport", "68", "-j", "ACCEPT");
        }
        idx++;
        if (idx >= n)
            break;
    }
    F(fw, ETH, "-t", "nat", "-A", out, "-j", "DROP");
    ebtLinkTmpRootChain(fw, TRUE, ifname);
    ebtLinkTmpRootChain(fw, FALSE, ifname);
    if (!leaveTemporary) {
        ebtRenameTmpRootChain(fw, TRUE, ifname);
        ebtRenameTmpRootChain(fw, FALSE, ifname);
    }
    basicRollback(fw, ifname);
}

void
nwfAddApplyDropAllRules(virFirewall *fw, const char *ifname)
{
    g_autofree char *in = nwfChainRoot(NWF_PFX_IN_TEMP, ifname);
    g_autofree char *out = nwfChainRoot(NWF_PFX_OUT_TEMP, ifname);

    nwfAddAllTeardown(fw, ifname);
    virFirewallStartTransaction(fw, 0);
    ebtCreateTmpRootChain(fw, TRUE, ifname);
    ebtCreateTmpRootChain(fw, FALSE, ifname);
    F(fw, ETH, "-t", "nat", "-A", in, "-j", "DROP");
    F(fw, ETH, "-t", "nat", "-A", out, "-j", "DROP");
    ebtLinkTmpRootChain(fw, TRUE, ifname);
    ebtLinkTmpRootChain(fw, FALSE, ifname);
    ebtRenameTmpRootChain(fw, TRUE, ifname);
    ebtRenameTmpRootChain(fw, FALSE, ifname);
    basicRollback(fw, ifname);
}
