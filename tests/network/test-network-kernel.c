/*
 * test-network-kernel.c: the network programs against the real kernel
 *
 * Runs only as root. Before anything else the process moves itself into a
 * new, empty network namespace (unshare(CLONE_NEWNET)) and checks that it
 * left the host's; every test then takes a fresh namespace of its own. The
 * firewall of the machine's own namespace is never touched: every tool is
 * a child of this process and inherits its namespace.
 *
 * For each of libvirt's scenarios: the private chains set-up, then the
 * network's rules, checked with iptables-save / ip6tables-save against
 * tests/restoredata/network/kernel/; then the removal, which must bring the
 * tables back to the state right after the set-up. The set-up is also run
 * against tables that already hold the chains: it must create nothing.
 * Every test runs twice: with the exec backend (libvirt's way) and with the
 * restore backend, which must leave the very same state.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netutil.h"
#include "network/network_iptables.h"

static ino_t hostNetns;

static ino_t
currentNetns(void)
{
    struct stat st;

    if (stat("/proc/self/ns/net", &st) < 0)
        return 0;
    return st.st_ino;
}

/* A new empty namespace for the calling test; aborts if it cannot be
 * sure it left the host's. */
static void
freshNetns(void)
{
    ino_t ns;

    if (unshare(CLONE_NEWNET) < 0)
        fail_msg("unshare(CLONE_NEWNET): %s", g_strerror(errno));
    ns = currentNetns();
    if (ns == 0 || ns == hostNetns) {
        fprintf(stderr, "still in the host network namespace: abort\n");
        abort();
    }
}

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

#define CHECKSUM_RULE \
    "-A LIBVIRT_PRT -o virbr0 -p udp -m udp --dport 68 -j CHECKSUM --checksum-fill"

/*
 * The *-save text without its comment lines. The mangle CHECKSUM rule is
 * dropped too (the kernel may lack the CHECKSUM target; libvirt ignores
 * that error), after checking it is the expected rule if present.
 */
static char *
saveTables(const char *tool)
{
    g_autoptr(vfRunner) runner = vfRunnerNewSubprocess(-1);
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) err = NULL;
    const char *argv[] = { tool, NULL };
    g_auto(GStrv) lines = NULL;
    GString *out = g_string_new(NULL);

    if (!vfRunnerRun(runner, argv, NULL, &res, &err))
        fail_msg("%s: %s", tool, err->message);
    if (res.status != 0)
        fail_msg("%s exited with %d: %s", tool, res.status, res.err);
    lines = g_strsplit(res.out, "\n", -1);
    for (gsize i = 0; lines[i]; i++) {
        if (lines[i][0] == '#' || !lines[i][0])
            continue;
        if (strstr(lines[i], "CHECKSUM")) {
            assert_string_equal(lines[i], CHECKSUM_RULE);
            continue;
        }
        g_string_append_printf(out, "%s\n", lines[i]);
    }
    return g_string_free(out, FALSE);
}

static void
applyOk(vfBackend *backend, virFirewall *fw, vfApplyStats *stats)
{
    g_autoptr(GError) err = NULL;

    if (!vfBackendApplyOne(backend, fw, stats, &err))
        fail_msg("apply of '%s' failed: %s", virFirewallGetName(fw),
                 err->message);
}

/* Runs the set-up for both layers; returns whether anything was created. */
static gboolean
setupChains(vfBackend *backend, guint *processes)
{
    gboolean changed4 = FALSE;
    gboolean changed6 = FALSE;
    g_autoptr(virFirewall) fw4 =
        vfNetworkSetupPrivateChains(VIR_FIREWALL_LAYER_IPV4, &changed4);
    g_autoptr(virFirewall) fw6 =
        vfNetworkSetupPrivateChains(VIR_FIREWALL_LAYER_IPV6, &changed6);
    vfApplyStats stats4 = { 0 };
    vfApplyStats stats6 = { 0 };

    applyOk(backend, fw4, &stats4);
    applyOk(backend, fw6, &stats6);
    assert_int_equal(changed4, changed6);
    if (processes)
        *processes = stats4.processes + stats6.processes;
    return changed4;
}

static void
compareSave(const char *actual, const char *name, const char *suffix)
{
    g_autofree char *file = g_strdup_printf("kernel/%s.%s.save", name, suffix);

    netTestCompareFile(actual, file);
}

static void
runSetup(vfBackendKind kind)
{
    g_autoptr(vfRunner) runner = vfRunnerNewSubprocess(-1);
    g_autoptr(vfBackend) backend = vfBackendNew(&VF_BACKEND_OPTIONS(kind, runner));
    g_autofree char *v4 = NULL;
    g_autofree char *v6 = NULL;
    g_autofree char *v4again = NULL;
    g_autofree char *v6again = NULL;
    guint processes = 0;

    freshNetns();
    assert_true(setupChains(backend, NULL));
    v4 = saveTables("iptables-save");
    v6 = saveTables("ip6tables-save");
    compareSave(v4, "setup", "ipv4");
    compareSave(v6, "setup", "ipv6");

    /* again, on tables that hold the chains: nothing is created (with the
     * exec backend: three queries per layer and nothing else) */
    assert_false(setupChains(backend, &processes));
    if (kind == VF_BACKEND_EXEC)
        assert_int_equal(processes, 6);
    v4again = saveTables("iptables-save");
    v6again = saveTables("ip6tables-save");
    assert_string_equal(v4, v4again);
    assert_string_equal(v6, v6again);
}

static void
runNetwork(const char *name, vfBackendKind kind)
{
    g_autoptr(vfRunner) runner = vfRunnerNewSubprocess(-1);
    g_autoptr(vfBackend) backend = vfBackendNew(&VF_BACKEND_OPTIONS(kind, runner));
    g_autoptr(vfNetworkDef) def = netTestLoadDef(name);
    g_autoptr(virFirewall) add = vfNetworkAddFirewallRules(def, NULL);
    g_autoptr(virFirewall) del = vfNetworkRemoveFirewallRules(def, NULL);
    g_autoptr(virFirewall) add2 = vfNetworkAddFirewallRules(def, NULL);
    g_autofree char *base4 = NULL;
    g_autofree char *base6 = NULL;
    g_autofree char *v4 = NULL;
    g_autofree char *v6 = NULL;
    g_autofree char *after4 = NULL;
    g_autofree char *after6 = NULL;

    freshNetns();
    setupChains(backend, NULL);
    base4 = saveTables("iptables-save");
    base6 = saveTables("ip6tables-save");

    applyOk(backend, add, NULL);
    v4 = saveTables("iptables-save");
    v6 = saveTables("ip6tables-save");
    compareSave(v4, name, "ipv4");
    compareSave(v6, name, "ipv6");

    /* the removal takes every rule away again */
    applyOk(backend, del, NULL);
    after4 = saveTables("iptables-save");
    after6 = saveTables("ip6tables-save");
    assert_string_equal(after4, base4);
    assert_string_equal(after6, base6);

    /* and the network can be started again */
    applyOk(backend, add2, NULL);
    g_free(after4);
    after4 = saveTables("iptables-save");
    assert_string_equal(after4, v4);
}

static void
test_setup(void **state)
{
    runSetup(VF_BACKEND_EXEC);
}

static void
test_setup_restore(void **state)
{
    runSetup(VF_BACKEND_RESTORE);
}

static void
test_network(void **state)
{
    runNetwork(*state, VF_BACKEND_EXEC);
}

/* The restore backend must leave the very same kernel state. */
static void
test_network_restore(void **state)
{
    runNetwork(*state, VF_BACKEND_RESTORE);
}

int
main(void)
{
    g_autoptr(GArray) tests = g_array_new(FALSE, TRUE, sizeof(struct CMUnitTest));
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    struct CMUnitTest t = cmocka_unit_test(test_setup);
    static const char *const tools[] = {
        "iptables", "ip6tables", "iptables-save", "ip6tables-save",
    };

    if (geteuid() != 0) {
        printf("SKIP: the real-kernel tests need root (they create private "
               "network namespaces)\n");
        return 77;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(tools); i++) {
        g_autofree char *path = g_find_program_in_path(tools[i]);

        if (!path) {
            printf("SKIP: %s not found in PATH\n", tools[i]);
            return 77;
        }
    }
    hostNetns = currentNetns();
    if (hostNetns == 0 || unshare(CLONE_NEWNET) < 0) {
        printf("SKIP: cannot create a network namespace: %s\n",
               g_strerror(errno));
        return 77;
    }
    if (currentNetns() == hostNetns) {
        fprintf(stderr, "unshare did not change the network namespace\n");
        return 99;
    }

    g_array_append_val(tests, t);
    t = (struct CMUnitTest)cmocka_unit_test(test_setup_restore);
    g_array_append_val(tests, t);
    for (gsize i = 0; i < G_N_ELEMENTS(scenarios); i++) {
        t = (struct CMUnitTest)cmocka_unit_test_prestate(test_network,
                                                         (void *)scenarios[i]);
        t.name = g_strdup_printf("kernel %s", scenarios[i]);
        g_ptr_array_add(names, (char *)t.name);
        g_array_append_val(tests, t);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(scenarios); i++) {
        t = (struct CMUnitTest)cmocka_unit_test_prestate(test_network_restore,
                                                         (void *)scenarios[i]);
        t.name = g_strdup_printf("kernel restore %s", scenarios[i]);
        g_ptr_array_add(names, (char *)t.name);
        g_array_append_val(tests, t);
    }
    return netTestExitCode(_cmocka_run_group_tests("network-kernel",
                                   (const struct CMUnitTest *)tests->data,
                                   tests->len, NULL, NULL));
}
