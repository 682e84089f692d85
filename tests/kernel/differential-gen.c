/*
 * differential-gen: the seeded generator of random batches (chains,
 * rules, ignore-errors deletes, queries, rollbacks, several VMs, VMs that
 * fail in ways the simulation can and cannot foresee) in the text format.
 */
#include "differential.h"

typedef struct {
    GRand *rand;
    GString *out;
    guint prog;
} Gen;

static guint
pick(Gen *g, guint n)
{
    return g_rand_int_range(g->rand, 0, n);
}

static gboolean
chance(Gen *g, guint percent)
{
    return pick(g, 100) < percent;
}

static const char *const ipSpecs[] = {
    "-s 10.0.0.1/32 -j ACCEPT",
    "-d 192.168.1.0/24 -j DROP",
    "-p tcp -m tcp --dport 22 -j ACCEPT",
    "-p udp -m udp --sport 53 -j RETURN",
    "-i eth0 -j DROP",
    "-m comment --comment \"hello world\" -j ACCEPT",
    "-m comment --comment \"quote \\\" back\\\\slash # COMMIT *filter\" -j ACCEPT",
    "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "! -s 10.9.9.9/32 -j REJECT --reject-with icmp-port-unreachable",
    "-j ACCEPT",
    /* the same rules as libvirt writes them: -D must match either form */
    "--source 10.0.0.1 --jump ACCEPT",
    "--protocol tcp --destination-port 22 --jump ACCEPT",
    "-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
    "! -s 10.9.9.9 -j REJECT",
};

static const char *const ip6Specs[] = {
    "-s 2001:db8::1/128 -j ACCEPT",
    "-d fd00::/64 -j DROP",
    "-p tcp -m tcp --dport 443 -j ACCEPT",
    "-m comment --comment \"v6 rule\" -j RETURN",
    "-j ACCEPT",
};

static const char *const ebSpecs[] = {
    "-s 52:54:00:00:00:01 -j RETURN",
    "-p IPv4 --ip-src 10.0.0.1 -j ACCEPT",
    "-p ARP --arp-ip-src 10.0.0.2 -j RETURN",
    "-d Broadcast -j DROP",
    "-p IPv6 -j ACCEPT",
    "-j DROP",
    "-j ACCEPT",
    /* libvirt's spellings of the rules above */
    "-s 52:54:0:0:0:1 -j RETURN",
    "-p 0x800 --ip-source 10.0.0.1 -j ACCEPT",
    "-p 0x0806 --arp-ip-src 10.0.0.2/32 -j RETURN",
    "-d ff:ff:ff:ff:ff:ff -j DROP",
};

/* Lines no simulation can foresee failing: the kernel or the tool
 * refuses them. */
static const char *const ipBad[] = {
    "-m set --match-set vf-no-such-set src -j ACCEPT",
    "-p tcp -m tcp --dport 99999 -j ACCEPT",
};
static const char *const ebBad[] = {
    "-p IPv4 --ip-src 10.0.0.300 -j ACCEPT",
};

typedef struct {
    const char *layer;
    const char *table;
    const char *const *specs;
    guint nspecs;
    const char *const *bad;
    guint nbad;
    const char *builtin;
    const char *list;        /* -L or -S */
} LayerInfo;

static const LayerInfo layers[] = {
    { "ethernet", "nat", ebSpecs, G_N_ELEMENTS(ebSpecs), ebBad, G_N_ELEMENTS(ebBad),
      "PREROUTING", "-L" },
    { "ipv4", "filter", ipSpecs, G_N_ELEMENTS(ipSpecs), ipBad, G_N_ELEMENTS(ipBad),
      "FORWARD", "-S" },
    { "ipv6", "filter", ip6Specs, G_N_ELEMENTS(ip6Specs), ipBad, 1,
      "INPUT", "-S" },
};

static void
chainName(Gen *g, char *buf, gsize len, gboolean shared)
{
    /* a few names per VM, a few shared between VMs */
    if (shared)
        g_snprintf(buf, len, "shared-%u", pick(g, 2));
    else
        g_snprintf(buf, len, "%s-vm%u-%u", pick(g, 2) ? "tmp" : "fin",
                   g->prog, pick(g, 3));
}

static void
genRule(Gen *g, gboolean allowBad, gboolean inRollback)
{
    const LayerInfo *L = &layers[pick(g, G_N_ELEMENTS(layers))];
    char chain[32], other[32];
    const char *ign = (!inRollback && chance(g, 30)) ? "ignore " : "";
    guint op = pick(g, 100);

    chainName(g, chain, sizeof(chain), chance(g, 15));
    if (chance(g, 25))
        g_strlcpy(chain, L->builtin, sizeof(chain));

    g_string_append_printf(g->out, "%s %s", L->layer, ign);
    if (op < 25) {
        g_string_append_printf(g->out, "-t %s -A %s %s\n", L->table, chain,
                               L->specs[pick(g, L->nspecs)]);
    } else if (op < 32) {
        chainName(g, other, sizeof(other), FALSE);
        g_string_append_printf(g->out, "-t %s -A %s -j %s\n", L->table, chain, other);
    } else if (op < 40) {
        g_string_append_printf(g->out, "-t %s -I %s %s\n", L->table, chain,
                               L->specs[pick(g, L->nspecs)]);
    } else if (op < 52) {
        g_string_append_printf(g->out, "-t %s -D %s %s\n", L->table, chain,
                               L->specs[pick(g, L->nspecs)]);
    } else if (op < 55) {
        chainName(g, other, sizeof(other), FALSE);
        g_string_append_printf(g->out, "-t %s -D %s -j %s\n", L->table, chain, other);
    } else if (op < 68) {
        g_string_append_printf(g->out, "-t %s -N %s\n", L->table, chain);
    } else if (op < 76) {
        g_string_append_printf(g->out, "-t %s -F %s\n", L->table, chain);
    } else if (op < 84) {
        /* -X and -E of builtins are refused by the restore backend (what
         * nf_tables does depends on state *-save does not show) */
        if (g_str_equal(chain, L->builtin))
            chainName(g, chain, sizeof(chain), FALSE);
        g_string_append_printf(g->out, "-t %s -X %s\n", L->table, chain);
    } else if (op < 90) {
        if (g_str_equal(chain, L->builtin))
            chainName(g, chain, sizeof(chain), FALSE);
        chainName(g, other, sizeof(other), FALSE);
        g_string_append_printf(g->out, "-t %s -E %s %s\n", L->table, chain, other);
    } else if (op < 96) {
        /* a query whose callback removes what the chain jumps to (in a
         * rollback too, as libvirt's nwfilter has one) */
        g_string_truncate(g->out, g->out->len - strlen(ign));
        g_string_append_printf(g->out, "ignore query=cleanup -t %s %s %s\n",
                               L->table, L->list, chain);
    } else if (allowBad) {
        g_string_append_printf(g->out, "-t %s -A %s %s\n", L->table, L->builtin,
                               L->bad[pick(g, L->nbad)]);
    } else {
        g_string_append_printf(g->out, "-t %s -N %s\n", L->table, chain);
    }
}

char *
genBatch(guint32 seed, gboolean setup)
{
    Gen g = { g_rand_new_with_seed(seed), g_string_new(NULL), 0 };
    guint nprog = setup ? 1 : 1 + pick(&g, 4);
    gint badProg = (!setup && chance(&g, 50)) ? (gint)pick(&g, nprog) : -1;

    for (g.prog = 0; g.prog < nprog; g.prog++) {
        guint ngroups = 1 + pick(&g, 3);
        g_string_append_printf(g.out, "program vm%u\n", g.prog);
        for (guint grp = 0; grp < ngroups; grp++) {
            guint nrules = 1 + pick(&g, setup ? 12 : 7);
            g_string_append_printf(g.out, "transaction%s\n",
                                   chance(&g, 30) ? " ignore-errors" : "");
            for (guint r = 0; r < nrules; r++)
                genRule(&g, (gint)g.prog == badProg && chance(&g, 40), FALSE);
            if (chance(&g, 50)) {
                g_string_append_printf(g.out, "rollback%s\n",
                                       chance(&g, 40) ? " inherit-previous" : "");
                for (guint r = 0, nr = 1 + pick(&g, 3); r < nr; r++)
                    genRule(&g, FALSE, TRUE);
            }
        }
    }
    g_rand_free(g.rand);
    return g_string_free(g.out, FALSE);
}
