/*
 * test-listing: what a query callback of the restore backend reads when
 * libvirt lists one chain (ebtables -t nat -L CHAIN, iptables -S CHAIN)
 * of a table holding other chains: that chain alone, as the tools print
 * it. The simulation visits only the chain asked for (a restart beside
 * 1000 bindings lists one chain thousands of times among 9000).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend.h"

static const char *const ebSave =
    "*nat\n"
    ":PREROUTING ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\n"
    ":I-vnet0-mac ACCEPT\n:libvirt-I-vnet0 ACCEPT\n"
    ":I-vnet1-mac ACCEPT\n:libvirt-I-vnet1 ACCEPT\n"
    ":libvirt-I-vnet2 ACCEPT\n"
    "-A PREROUTING -i vnet0 -j libvirt-I-vnet0\n"
    "-A PREROUTING -i vnet1 -j libvirt-I-vnet1\n"
    "-A I-vnet0-mac -s 52:54:00:00:00:00 -j RETURN\n"
    "-A I-vnet0-mac -j DROP\n"
    "-A libvirt-I-vnet0 -j I-vnet0-mac\n"
    "-A I-vnet1-mac -j DROP\n"
    "-A libvirt-I-vnet1 -j I-vnet1-mac\n"
    "-A libvirt-I-vnet2 -j ACCEPT\n";

static const char *const ipSave =
    "*filter\n"
    ":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
    ":FI-vnet0 - [0:0]\n:FI-vnet1 - [0:0]\n:FI-vnet2 - [0:0]\n"
    "-A FORWARD -o vnet1 -j FI-vnet1\n"
    "-A FI-vnet0 -p tcp -m tcp --dport 22 -j ACCEPT\n"
    "-A FI-vnet1 -p tcp -m tcp --dport 80 -j ACCEPT\n"
    "-A FI-vnet1 -j DROP\n"
    "-A FI-vnet2 -j RETURN\n"
    "COMMIT\n";

static void
saveAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    if (g_str_equal(argv[0], "ebtables-save"))
        res->out = g_strdup(ebSave);
    else if (g_str_equal(argv[0], "iptables-save"))
        res->out = g_strdup(ipSave);
}

static int
recordListing(virFirewall *fw, virFirewallLayer layer,
              const char *const *lines, void *opaque)
{
    GString *seen = opaque;

    /* (the line after the last newline is an empty one) */
    for (gsize i = 0; lines && lines[i]; i++)
        g_string_append_printf(seen, "%s\n", lines[i]);
    g_string_append(seen, "--\n");
    return 0;
}

/* Lists each of @chains (the last in its table, the first, a builtin) of
 * @layer's @table and returns what the callbacks read. */
static char *
listChains(virFirewallLayer layer, const char *table, const char *op,
           const char *const *chains)
{
    g_autoptr(vfRunner) runner = vfRunnerNewScripted(saveAnswer, NULL);
    g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, runner));
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    g_autoptr(GError) err = NULL;
    GString *seen = g_string_new(NULL);

    virFirewallStartTransaction(fw, 0);
    for (gsize i = 0; chains[i]; i++)
        virFirewallAddRuleFull(fw, layer, false, recordListing, seen,
                               "-t", table, op, chains[i], NULL);
    assert_true(vfBackendApplyOne(b, fw, NULL, &err));
    assert_null(err);
    return g_string_free(seen, FALSE);
}

static void
test_ebtables_one_chain(void **state)
{
    const char *const chains[] = { "libvirt-I-vnet1", "I-vnet0-mac", "PREROUTING", NULL };
    g_autofree char *seen = listChains(VIR_FIREWALL_LAYER_ETHERNET, "nat", "-L", chains);

    assert_string_equal(seen,
        "Bridge table: nat\n"
        "\n"
        "Bridge chain: libvirt-I-vnet1, entries: 1, policy: RETURN\n"
        "-j I-vnet1-mac\n"
        "\n--\n"
        "Bridge table: nat\n"
        "\n"
        "Bridge chain: I-vnet0-mac, entries: 2, policy: RETURN\n"
        "-s 52:54:00:00:00:00 -j RETURN\n"
        "-j DROP\n"
        "\n--\n"
        "Bridge table: nat\n"
        "\n"
        "Bridge chain: PREROUTING, entries: 2, policy: ACCEPT\n"
        "-i vnet0 -j libvirt-I-vnet0\n"
        "-i vnet1 -j libvirt-I-vnet1\n"
        "\n--\n");
}

static void
test_iptables_one_chain(void **state)
{
    const char *const chains[] = { "FI-vnet1", "FI-vnet0", "FORWARD", NULL };
    g_autofree char *seen = listChains(VIR_FIREWALL_LAYER_IPV4, "filter", "-S", chains);

    assert_string_equal(seen,
        "-N FI-vnet1\n"
        "-A FI-vnet1 -p tcp -m tcp --dport 80 -j ACCEPT\n"
        "-A FI-vnet1 -j DROP\n"
        "\n--\n"
        "-N FI-vnet0\n"
        "-A FI-vnet0 -p tcp -m tcp --dport 22 -j ACCEPT\n"
        "\n--\n"
        "-P FORWARD ACCEPT\n"
        "-A FORWARD -o vnet1 -j FI-vnet1\n"
        "\n--\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ebtables_one_chain),
        cmocka_unit_test(test_iptables_one_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
