/*
 * test-network-golden.c: the network driver's programs against libvirt's
 * own recorded test data (tests/networkxml2firewalldata, see
 * tests/restoredata/network/README.md), run through the exec backend and
 * the recording runner, as libvirt's networkxml2firewalltest does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "netutil.h"
#include "network/network_iptables.h"
#include "firewall/error.h"

static const char *const scenarios[] = {
    "nat-default",
    "nat-tftp",
    "nat-many-ips",
    "nat-no-dhcp",
    "nat-ipv6",
    "nat-ipv6-masquerade",
    "route-default",
    "forward-dev",
    "isolated",
    "nat-port-range",
    "nat-port-range-ipv6",
};

/* libvirt's base.iptables: the chain set-up for IPv4 then IPv6, with
 * empty --list-rules answers, so every chain and jump gets created */
static void
test_base(void **state)
{
    gboolean changed4 = FALSE;
    gboolean changed6 = FALSE;
    g_autoptr(virFirewall) fw4 =
        vfNetworkSetupPrivateChains(VIR_FIREWALL_LAYER_IPV4, &changed4);
    g_autoptr(virFirewall) fw6 =
        vfNetworkSetupPrivateChains(VIR_FIREWALL_LAYER_IPV6, &changed6);
    virFirewall *fws[] = { fw4, fw6 };
    g_autofree char *text = netTestRecordExec(fws, 2);

    netTestCompareFile(text, "base.iptables");
    assert_true(changed4);
    assert_true(changed6);
}

static void
test_add(void **state)
{
    const char *name = *state;
    g_autoptr(vfNetworkDef) def = netTestLoadDef(name);
    g_autoptr(GError) err = NULL;
    g_autoptr(virFirewall) fw = vfNetworkAddFirewallRules(def, &err);
    g_autofree char *text = NULL;
    g_autofree char *expected = g_strdup_printf("%s-linux.iptables", name);

    if (!fw)
        fail_msg("%s: %s", name, err->message);
    text = netTestRecordExec(&fw, 1);
    netTestCompareFile(text, expected);
}

/* The removal program: our own golden files (libvirt has no test data for
 * it), plus a check that it deletes exactly what the add program inserts. */
static void
test_remove(void **state)
{
    const char *name = *state;
    g_autoptr(vfNetworkDef) def = netTestLoadDef(name);
    g_autoptr(virFirewall) add = vfNetworkAddFirewallRules(def, NULL);
    g_autoptr(virFirewall) del = vfNetworkRemoveFirewallRules(def, NULL);
    g_autofree char *addText = NULL;
    g_autofree char *delText = NULL;
    g_autofree char *expected = g_strdup_printf("%s-remove.iptables", name);
    g_auto(GStrv) addCmds = NULL;
    g_auto(GStrv) delCmds = NULL;
    g_autoptr(GHashTable) count = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                        g_free, NULL);

    assert_non_null(add);
    assert_non_null(del);
    addText = netTestRecordExec(&add, 1);
    delText = netTestRecordExec(&del, 1);
    netTestCompareFile(delText, expected);

    /* one command per logical line: split on a newline not after '\' */
    addCmds = g_regex_split_simple("(?<!\\\\)\n", addText, 0, 0);
    delCmds = g_regex_split_simple("(?<!\\\\)\n", delText, 0, 0);
    assert_int_equal(g_strv_length(addCmds), g_strv_length(delCmds));
    /* the multiset of --delete commands equals that of the --insert ones */
    for (gsize i = 0; addCmds[i]; i++) {
        char *pos = strstr(addCmds[i], "--insert ");
        GString *s;
        gint n;

        if (!*addCmds[i])
            continue;
        assert_non_null(pos);
        s = g_string_new(addCmds[i]);
        g_string_erase(s, pos - addCmds[i], strlen("--insert"));
        g_string_insert(s, pos - addCmds[i], "--delete");
        n = GPOINTER_TO_INT(g_hash_table_lookup(count, s->str));
        g_hash_table_replace(count, g_string_free(s, FALSE),
                             GINT_TO_POINTER(n + 1));
    }
    for (gsize i = 0; delCmds[i]; i++) {
        gint n;

        if (!*delCmds[i])
            continue;
        n = GPOINTER_TO_INT(g_hash_table_lookup(count, delCmds[i]));
        if (n == 0)
            fail_msg("%s: the removal deletes a rule never added:\n%s",
                     name, delCmds[i]);
        g_hash_table_replace(count, g_strdup(delCmds[i]),
                             GINT_TO_POINTER(n - 1));
    }
}

/* ---- rollback: a runner failing the first --insert of a MASQUERADE ---- */

static int
failFirstMasquerade(const char *const *argv, const char **out, void *opaque)
{
    gboolean *failed = opaque;

    if (!*failed && g_strv_contains(argv, "--insert") &&
        g_strv_contains(argv, "MASQUERADE")) {
        *failed = TRUE;
        return 1;
    }
    return 0;
}

static void
test_rollback(void **state)
{
    g_autoptr(vfNetworkDef) def = netTestLoadDef("nat-ipv6");
    g_autoptr(virFirewall) add = vfNetworkAddFirewallRules(def, NULL);
    g_autoptr(virFirewall) del = vfNetworkRemoveFirewallRules(def, NULL);
    g_autoptr(vfBackend) backend = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    g_autofree char *addText = NULL;
    g_autofree char *delText = NULL;
    g_autofree char *expected = NULL;
    g_autofree char *addPrefix = NULL;
    char *cut;
    gboolean failed = FALSE;
    g_autoptr(vfRunner) runner = netTestScriptedRunnerNew(failFirstMasquerade,
                                                          &failed);

    backend = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_EXEC, runner));

    assert_false(vfBackendApplyOne(backend, add, NULL, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->message, "MASQUERADE"));
    text = netTestFormatCalls(netTestScriptedRunnerCalls(runner));

    /* expected: the adds up to the failing one, then group 1's rollback
     * list, which is libvirt's removal list without the checksum rule
     * (the removal program's second group); the checksum group never runs */
    addText = netTestRecordExec(&add, 1);
    delText = netTestRecordExec(&del, 1);
    cut = strstr(addText, "--jump MASQUERADE\n");
    assert_non_null(cut);
    addPrefix = g_strndup(addText, cut - addText + strlen("--jump MASQUERADE\n"));
    /* the removal program starts with the checksum --delete; drop it */
    cut = strstr(delText, "iptables \\\n-w \\\n--table mangle");
    assert_true(cut == delText);
    cut = strstr(delText, "--checksum-fill\n");
    assert_non_null(cut);
    expected = g_strconcat(addPrefix, cut + strlen("--checksum-fill\n"), NULL);
    assert_string_equal(text, expected);
}

/* ---- the set-up against tables that already hold the chains ---- */

typedef struct {
    const char *filter;   /* --list-rules answers */
    const char *nat;
    const char *mangle;
} ListAnswers;

static int
answerLists(const char *const *argv, const char **out, void *opaque)
{
    ListAnswers *lists = opaque;

    if (g_strv_contains(argv, "--list-rules")) {
        if (g_strv_contains(argv, "filter"))
            *out = lists->filter;
        else if (g_strv_contains(argv, "nat"))
            *out = lists->nat;
        else
            *out = lists->mangle;
    }
    return 0;
}

static const char existingFilter[] =
    "-P INPUT ACCEPT\n"
    "-P FORWARD ACCEPT\n"
    "-P OUTPUT ACCEPT\n"
    "-N LIBVIRT_FWI\n"
    "-N LIBVIRT_FWO\n"
    "-N LIBVIRT_FWX\n"
    "-N LIBVIRT_INP\n"
    "-N LIBVIRT_OUT\n"
    "-A INPUT -j LIBVIRT_INP\n"
    "-A FORWARD -j LIBVIRT_FWX\n"
    "-A FORWARD -j LIBVIRT_FWI\n"
    "-A FORWARD -j LIBVIRT_FWO\n"
    "-A OUTPUT -j LIBVIRT_OUT\n"
    "-A LIBVIRT_FWI -d 192.168.122.0/24 -o virbr0 -j ACCEPT\n";
static const char existingNatMangle[] =
    "-P PREROUTING ACCEPT\n"
    "-P INPUT ACCEPT\n"
    "-P OUTPUT ACCEPT\n"
    "-P POSTROUTING ACCEPT\n"
    "-N LIBVIRT_PRT\n"
    "-A POSTROUTING -j LIBVIRT_PRT\n";

static char *
runSetup(virFirewallLayer layer, const char *filter, const char *nat,
         const char *mangle, gboolean *changed)
{
    ListAnswers lists = { filter, nat, mangle };
    g_autoptr(vfRunner) runner = netTestScriptedRunnerNew(answerLists, &lists);
    g_autoptr(vfBackend) backend = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_EXEC, runner));
    g_autoptr(virFirewall) fw = vfNetworkSetupPrivateChains(layer, changed);
    g_autoptr(GError) err = NULL;

    if (!vfBackendApplyOne(backend, fw, NULL, &err))
        fail_msg("%s", err->message);
    return netTestFormatCalls(netTestScriptedRunnerCalls(runner));
}

static void
test_setup_existing(void **state)
{
    gboolean changed = TRUE;
    g_autofree char *text = runSetup(VIR_FIREWALL_LAYER_IPV6, existingFilter,
                                     existingNatMangle, existingNatMangle,
                                     &changed);

    /* the three queries, nothing else */
    assert_string_equal(text,
                        "ip6tables \\\n-w \\\n--table filter \\\n--list-rules\n"
                        "ip6tables \\\n-w \\\n--table nat \\\n--list-rules\n"
                        "ip6tables \\\n-w \\\n--table mangle \\\n--list-rules\n");
    assert_false(changed);
}

static void
test_setup_partial(void **state)
{
    gboolean changed = FALSE;
    /* LIBVIRT_OUT exists but is not linked; LIBVIRT_FWX is linked from the
     * wrong chain; mangle has nothing */
    static const char filter[] =
        "-N LIBVIRT_FWI\n-N LIBVIRT_FWO\n-N LIBVIRT_FWX\n-N LIBVIRT_INP\n"
        "-N LIBVIRT_OUT\n"
        "-A INPUT -j LIBVIRT_INP\n"
        "-A INPUT -j LIBVIRT_FWX\n"
        "-A FORWARD -j LIBVIRT_FWI\n"
        "-A FORWARD -j LIBVIRT_FWO\n"
        "-A FORWARD -s 10.0.0.0/8 -j LIBVIRT_FWX\n";
    g_autofree char *text = runSetup(VIR_FIREWALL_LAYER_IPV4, filter,
                                     existingNatMangle, "", &changed);

    assert_string_equal(text,
                        "iptables \\\n-w \\\n--table filter \\\n--list-rules\n"
                        "iptables \\\n-w \\\n--table nat \\\n--list-rules\n"
                        "iptables \\\n-w \\\n--table mangle \\\n--list-rules\n"
                        "iptables \\\n-w \\\n--table filter \\\n--insert OUTPUT \\\n"
                        "--jump LIBVIRT_OUT\n"
                        "iptables \\\n-w \\\n--table filter \\\n--insert FORWARD \\\n"
                        "--jump LIBVIRT_FWX\n"
                        "iptables \\\n-w \\\n--table mangle \\\n--new-chain LIBVIRT_PRT\n"
                        "iptables \\\n-w \\\n--table mangle \\\n--insert POSTROUTING \\\n"
                        "--jump LIBVIRT_PRT\n");
    assert_true(changed);
}

/* ---- modes without rules ---- */

static void
test_no_rules(void **state)
{
    static const char *const modes[] = {
        "open", "bridge", "private", "vepa", "passthrough", "hostdev",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
        g_autofree char *xml = g_strdup_printf(
            "<network><name>n</name><bridge name='br0'/>"
            "<forward mode='%s'/>"
            "<ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' "
            "end='10.0.0.9'/></dhcp></ip></network>", modes[i]);
        g_autoptr(vfNetworkDef) def = vfNetworkDefParseString(xml, "inline", NULL);
        g_autoptr(virFirewall) add = NULL;
        g_autoptr(virFirewall) del = NULL;

        assert_non_null(def);
        assert_false(vfNetworkDefNeedsFirewall(def));
        add = vfNetworkAddFirewallRules(def, NULL);
        del = vfNetworkRemoveFirewallRules(def, NULL);
        assert_int_equal(virFirewallGetGroupCount(add), 0);
        assert_int_equal(virFirewallGetGroupCount(del), 0);
    }
}

/* ---- cases beyond libvirt's data: SNAT, ipv6='yes', bad input ---- */

static char *
addText(const char *xml, GError **error)
{
    g_autoptr(vfNetworkDef) def = vfNetworkDefParseString(xml, "inline", NULL);
    g_autoptr(virFirewall) fw = NULL;

    assert_non_null(def);
    if (!(fw = vfNetworkAddFirewallRules(def, error)))
        return NULL;
    return netTestRecordExec(&fw, 1);
}

static void
test_snat(void **state)
{
    g_autofree char *text = addText(
        "<network><name>snat</name><bridge name='virbr9'/>"
        "<forward mode='nat' dev='eth0'><nat>"
        "<address start='203.0.113.10' end='203.0.113.20'/>"
        "</nat></forward>"
        "<ip address='10.1.2.3' netmask='255.255.0.0'/></network>", NULL);

    /* libvirt: the generic rule gets no port range, udp/tcp get the
     * default 1024-65535 appended to the address range */
    assert_non_null(strstr(text,
        "--source 10.1.0.0/16 '!' \\\n--destination 10.1.0.0/16 \\\n"
        "--out-interface eth0 \\\n--jump SNAT \\\n"
        "--to-source 203.0.113.10-203.0.113.20\n"));
    assert_non_null(strstr(text,
        "--source 10.1.0.0/16 \\\n-p udp '!' \\\n--destination 10.1.0.0/16 \\\n"
        "--out-interface eth0 \\\n--jump SNAT \\\n"
        "--to-source 203.0.113.10-203.0.113.20:1024-65535\n"));
    /* no DHCP: no checksum rule */
    assert_null(strstr(text, "CHECKSUM"));
}

static void
test_ipv6nogw(void **state)
{
    g_autofree char *text = addText(
        "<network ipv6='yes'><name>l2</name><bridge name='virbr3'/>"
        "<ip address='10.9.0.1' prefix='24'/></network>", NULL);

    /* IPv6 forwarding policy only: no DNS/DHCPv6 rules */
    assert_non_null(strstr(text, "ip6tables \\\n-w \\\n--table filter \\\n"
                           "--insert LIBVIRT_FWX"));
    assert_null(strstr(text, "ip6tables \\\n-w \\\n--table filter \\\n"
                       "--insert LIBVIRT_INP"));
}

static void
test_build_errors(void **state)
{
    static const struct {
        const char *xml;
        const char *message;
    } cases[] = {
        { "<network><name>nobr</name><forward/>"
          "<ip address='10.0.0.1' prefix='24'/></network>",
          "network 'nobr' (inline): no <bridge name=...>, needed for its "
          "firewall rules" },
        { "<network><name>classE</name><bridge name='br1'/><forward/>"
          "<ip address='240.0.0.1'/></network>",
          "network 'classE': invalid prefix or netmask for 'br1'" },
        { "<network><name>ports</name><bridge name='br1'/><forward><nat>"
          "<port start='500' end='500'/></nat></forward>"
          "<ip address='10.0.0.1' prefix='24'/></network>",
          "network 'ports': invalid NAT port range '500-500'" },
        { "<network><name>wild</name><bridge name='virbr+'/><forward/>"
          "<ip address='10.0.0.1' prefix='24'/></network>",
          "network 'wild': bridge 'virbr+' holds a '+', which iptables reads as a "
          "wildcard at the end of a name: refused (libvirt 9.0 applies such rules)" },
        { "<network><name>wilddev</name><bridge name='br1'/><forward dev='eth+'/>"
          "<ip address='10.0.0.1' prefix='24'/></network>",
          "network 'wilddev': forward dev 'eth+' holds a '+', which iptables reads as a "
          "wildcard at the end of a name: refused (libvirt 9.0 applies such rules)" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *text = addText(cases[i].xml, &err);

        assert_null(text);
        assert_true(g_error_matches(err, VF_ERROR, VF_ERROR_INVALID));
        assert_string_equal(err->message, cases[i].message);
    }
}

int
main(void)
{
    g_autoptr(GArray) tests = g_array_new(FALSE, TRUE, sizeof(struct CMUnitTest));
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    struct CMUnitTest t;

#define ADD(fn) do { \
        struct CMUnitTest u = cmocka_unit_test(fn); \
        g_array_append_val(tests, u); \
    } while (0)

    ADD(test_base);
    for (gsize i = 0; i < G_N_ELEMENTS(scenarios); i++) {
        t = (struct CMUnitTest)cmocka_unit_test_prestate(test_add,
                                                         (void *)scenarios[i]);
        t.name = g_strdup_printf("add %s", scenarios[i]);
        g_ptr_array_add(names, (char *)t.name);
        g_array_append_val(tests, t);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(scenarios); i++) {
        t = (struct CMUnitTest)cmocka_unit_test_prestate(test_remove,
                                                         (void *)scenarios[i]);
        t.name = g_strdup_printf("remove %s", scenarios[i]);
        g_ptr_array_add(names, (char *)t.name);
        g_array_append_val(tests, t);
    }
    ADD(test_rollback);
    ADD(test_setup_existing);
    ADD(test_setup_partial);
    ADD(test_no_rules);
    ADD(test_snat);
    ADD(test_ipv6nogw);
    ADD(test_build_errors);

    return netTestExitCode(_cmocka_run_group_tests("network-golden",
                                   (const struct CMUnitTest *)tests->data,
                                   tests->len, NULL, NULL));
}
