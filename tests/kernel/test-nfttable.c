/*
 * test-nfttable.c: vfNftTableDropIfEmpty against the kernel and the tools
 *
 * In private network namespaces: a table that filters nothing (no chain at
 * all, or only builtin chains with policy ACCEPT and no rule) goes, and
 * *-save then prints nothing of it; a table with a rule, a user chain or a
 * builtin whose policy is DROP stays as it was; so does an empty table
 * when the ruleset moved past the generation the caller names. All three
 * families the tools use (bridge, ip, ip6).
 *
 * Needs root and the nft variants of the tools (exit 77 otherwise). The
 * machine's own namespace is never written to.
 */
#include "error.h"
#include "netns.h"
#include "nftgen.h"
#include "nfttable.h"
#include "runner.h"
#include "nlcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const layerTool[] = { "ebtables", "iptables", "ip6tables" };

/* *-save of @layer without its comment lines */
static char *
save(vfRunner *runner, virFirewallLayer layer)
{
    g_autofree char *tool = g_strdup_printf("%s-save", layerTool[layer]);
    const char *argv[] = { tool, NULL };
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) err = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    g_auto(GStrv) lines = NULL;

    if (!vfRunnerRun(runner, argv, NULL, &res, &err) || res.status != 0)
        g_error("%s failed: %s", tool, err ? err->message : res.err);
    lines = g_strsplit(res.out, "\n", -1);
    for (gsize i = 0; lines[i]; i++) {
        if (*lines[i] && lines[i][0] != '#')
            g_string_append_printf(out, "%s\n", lines[i]);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Feeds @input to @layer's restore tool, --noflush. */
static void
restore(vfRunner *runner, virFirewallLayer layer, const char *input)
{
    g_autofree char *tool = g_strdup_printf("%s-restore", layerTool[layer]);
    const char *eb[] = { tool, "--noflush", NULL };
    const char *ip[] = { tool, "-w", "--noflush", NULL };
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) err = NULL;

    if (!vfRunnerRun(runner, layer == VIR_FIREWALL_LAYER_ETHERNET ? eb : ip,
                     input, &res, &err) || res.status != 0)
        g_error("%s failed on\n%s: %s", tool, input, err ? err->message : res.err);
}

static const char *
outcomeName(vfNftTableDrop d)
{
    static const char *const names[] = {
        "dropped", "absent", "in use", "changed", "error",
    };
    return names[d];
}

/* @setup into @table of @layer in a fresh namespace, then the drop:
 * @want, and *-save afterwards empty (dropped) or as before (kept). */
static void
expect(virFirewallLayer layer, const char *table, const char *setup,
       vfNftTableDrop want, const char *what)
{
    g_autoptr(GError) err = NULL;
    int fd = vfNetnsCreatePrivate(&err);
    g_autoptr(vfRunner) runner = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    ino_t home = threadNetns();
    vfNftTableDrop got;

    if (fd < 0 || !vfNetnsIsPrivate(fd))
        g_error("no private namespace: %s", err ? err->message : "not private");
    runner = vfRunnerNewSubprocess(fd);
    if (setup) {   /* "--" lines part inputs given to one restore each */
        g_auto(GStrv) inputs = g_strsplit(setup, "--\n", -1);
        for (gsize i = 0; inputs[i]; i++)
            restore(runner, layer, inputs[i]);
    }
    before = save(runner, layer);

    got = vfNftTableDropIfEmpty(fd, layer, table, NULL, &err);
    CHECK(got == want, "%s: %s, wanted %s (%s)", what, outcomeName(got),
          outcomeName(want), err ? err->message : "no error");
    CHECK(threadNetns() == home, "%s: thread back in its namespace", what);
    after = save(runner, layer);
    if (want == VF_NFT_TABLE_DROPPED) {
        g_autofree char *head = g_strdup_printf("*%s\n", table);
        CHECK(strstr(before, head), "%s: the table was there before:\n%s", what, before);
        CHECK(!strstr(after, head), "%s: the table is still there:\n%s", what, after);
        /* gone means gone: a second look finds nothing */
        got = vfNftTableDropIfEmpty(fd, layer, table, NULL, &err);
        CHECK(got == VF_NFT_TABLE_ABSENT, "%s: again: %s", what, outcomeName(got));
    } else {
        CHECK(g_str_equal(before, after), "%s: changed:\n%s---\n%s", what,
              before, after);
    }
    close(fd);
}

/* An empty table, and a commit elsewhere after the generation the caller
 * looked at: the kernel refuses the deletion. */
static void
testChanged(void)
{
    g_autoptr(GError) err = NULL;
    int fd = vfNetnsCreatePrivate(&err);
    g_autoptr(vfRunner) runner = NULL;
    g_autofree char *after = NULL;
    guint32 gen = 0, now = 0;
    vfNftTableDrop got;

    g_assert_cmpint(fd, >=, 0);
    runner = vfRunnerNewSubprocess(fd);
    restore(runner, VIR_FIREWALL_LAYER_IPV4, "*nat\n:vf-x - [0:0]\nCOMMIT\n");
    restore(runner, VIR_FIREWALL_LAYER_IPV4, "*nat\n-X vf-x\nCOMMIT\n");
    CHECK(vfNftGenerationRead(fd, &gen, &err), "generation: %s", err->message);
    restore(runner, VIR_FIREWALL_LAYER_IPV4, "*filter\n:vf-y - [0:0]\nCOMMIT\n");
    CHECK(vfNftGenerationRead(fd, &now, &err) && now != gen, "a commit moved it");

    got = vfNftTableDropIfEmpty(fd, VIR_FIREWALL_LAYER_IPV4, "nat", &gen, &err);
    CHECK(got == VF_NFT_TABLE_CHANGED, "stale generation: %s (%s)",
          outcomeName(got), err ? err->message : "no error");
    after = save(runner, VIR_FIREWALL_LAYER_IPV4);
    CHECK(strstr(after, "*nat\n"), "the table stayed:\n%s", after);
    got = vfNftTableDropIfEmpty(fd, VIR_FIREWALL_LAYER_IPV4, "nat", &now, &err);
    CHECK(got == VF_NFT_TABLE_DROPPED, "current generation: %s", outcomeName(got));
    close(fd);
}

int
main(void)
{
    const virFirewallLayer eb = VIR_FIREWALL_LAYER_ETHERNET;
    const virFirewallLayer ip4 = VIR_FIREWALL_LAYER_IPV4;
    const virFirewallLayer ip6 = VIR_FIREWALL_LAYER_IPV6;

    if (geteuid() != 0) {
        printf("SKIP: needs root (private network namespaces)\n");
        return SKIP;
    }
    if (!vfNftToolsAreNft()) {
        printf("SKIP: iptables/ip6tables/ebtables here are not all the "
               "nf_tables variants (xtables-nft-multi)\n");
        return SKIP;
    }

    expect(eb, "nat", NULL, VF_NFT_TABLE_ABSENT, "no table");
    /* the table with no chain at all, as a -N and -X leave it */
    expect(eb, "nat", "*nat\n-N vf-x\nCOMMIT\n--\n*nat\n-X vf-x\nCOMMIT\n",
           VF_NFT_TABLE_DROPPED,
           "ebtables nat without chains");
    expect(eb, "nat", "*nat\n-A PREROUTING -j ACCEPT\nCOMMIT\n--\n*nat\n-F PREROUTING\nCOMMIT\n",
           VF_NFT_TABLE_DROPPED, "ebtables nat, an empty builtin chain");
    expect(eb, "nat", "*nat\n-A PREROUTING -j ACCEPT\nCOMMIT\n", VF_NFT_TABLE_IN_USE,
           "ebtables nat with a rule");
    expect(eb, "nat", "*nat\n-N vf-x\nCOMMIT\n", VF_NFT_TABLE_IN_USE,
           "ebtables nat with an empty user chain");
    expect(eb, "nat", "*nat\n-P PREROUTING DROP\nCOMMIT\n", VF_NFT_TABLE_IN_USE,
           "ebtables nat, PREROUTING dropping");
    expect(eb, "filter", "*nat\n-A PREROUTING -j ACCEPT\nCOMMIT\n", VF_NFT_TABLE_ABSENT,
           "another table's rule");
    expect(ip4, "filter", "*filter\n:vf-x - [0:0]\nCOMMIT\n--\n*filter\n-X vf-x\nCOMMIT\n",
           VF_NFT_TABLE_DROPPED, "iptables filter without chains");
    expect(ip4, "nat", "*nat\n-A POSTROUTING -j ACCEPT\nCOMMIT\n--\n*nat\n-F POSTROUTING\nCOMMIT\n",
           VF_NFT_TABLE_DROPPED, "iptables nat, an empty builtin chain");
    expect(ip4, "filter", "*filter\n-A FORWARD -j ACCEPT\nCOMMIT\n",
           VF_NFT_TABLE_IN_USE, "iptables filter with a rule");
    expect(ip4, "filter", "*filter\n:FORWARD DROP [0:0]\nCOMMIT\n",
           VF_NFT_TABLE_IN_USE, "iptables filter, FORWARD dropping");
    expect(ip6, "mangle", "*mangle\n:vf-x - [0:0]\nCOMMIT\n--\n*mangle\n-X vf-x\nCOMMIT\n",
           VF_NFT_TABLE_DROPPED, "ip6tables mangle without chains");
    expect(ip6, "filter", "*filter\n:vf-x - [0:0]\nCOMMIT\n", VF_NFT_TABLE_IN_USE,
           "ip6tables filter with an empty user chain");
    testChanged();

    if (failures) {
        fprintf(stderr, "%u check(s) failed\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
