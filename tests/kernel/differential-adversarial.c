/*
 * differential-adversarial: arguments that try to break out of a restore
 * line.
 */
#include "differential.h"

/* Arguments that try to break out of a restore line: each is refused
 * with a clear error, or reaches the kernel exactly as exec puts it; and
 * what the restore backend then says the kernel holds (what virt-firewall
 * records, and verify compares) is what *-save prints: comments with '.',
 * ':', '/', '\'', non-ASCII are quoted by *-save, a host name for an
 * address is printed resolved (then nothing is said: it is read). */
void
testAdversarial(void)
{
    g_autofree char *longArg = g_strnfill(300, 'x');
    g_autofree char *tooLong = g_strnfill(1100, 'y');
    const char *values[] = {
        "say \"hi\"", "back\\slash\\", "# not a comment", "COMMIT",
        "*filter", "a\nCOMMIT\n*nat", "x\ry", "-t", "--table", "-A INPUT -j DROP",
        "", " ", "tab\there", "it's", "$(reboot)", "\"", "\\", longArg, tooLong,
        "\"\nCOMMIT\n", "ünïcödé", "dot.colon:slash/", "-j", "plain_word-09",
    };
    const char *addresses[] = { "localhost", "127.0.0.1", "10.0.0.010" };
    const char *chains[] = { "abcdefghijklmnopqrstuvwxyz12", "abcdefghijklmnopqrstuvwxyz123" };
    guint refused = 0, equal = 0;

    for (gsize i = 0; i < G_N_ELEMENTS(values) + G_N_ELEMENTS(chains) +
                      G_N_ELEMENTS(addresses); i++) {
        char *states[2] = { NULL, NULL };
        g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
        gboolean failed[2] = { FALSE, FALSE };
        g_autofree char *message = NULL;

        for (int k = 0; k < 2; k++) {
            g_autoptr(GError) err = NULL;
            int fd = vfNetnsCreatePrivate(&err);
            g_autoptr(vfRunner) runner = vfRunnerNewSubprocess(fd);
            g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(k ? VF_BACKEND_RESTORE : VF_BACKEND_EXEC,
                                                  runner));
            g_autoptr(virFirewall) fw = virFirewallNew("adversarial");
            g_auto(vfApplyOutcome) outcome = { 0 };
            vfBatch one = { .programs = &fw, .n = 1 };

            virFirewallStartTransaction(fw, 0);
            if (i < G_N_ELEMENTS(values)) {
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "INPUT",
                                   "-m", "comment", "--comment", values[i],
                                   "-j", "ACCEPT", NULL);
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat",
                                   "-N", "adv", NULL);
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat",
                                   "-A", "adv", "--log-prefix", values[i], "--log",
                                   "-j", "ACCEPT", NULL);
            } else if (i < G_N_ELEMENTS(values) + G_N_ELEMENTS(chains)) {
                const char *c = chains[i - G_N_ELEMENTS(values)];
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-N", c, NULL);
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat", "-N", c, NULL);
            } else {
                const char *a = addresses[i - G_N_ELEMENTS(values) - G_N_ELEMENTS(chains)];
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "INPUT", "-s", a,
                                   "-j", "ACCEPT", NULL);
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat", "-A",
                                   "PREROUTING", "-p", "IPv4", "--ip-src", a, "-j",
                                   "ACCEPT", NULL);
            }
            failed[k] = !vfBackendApplyBatch(b, &one, &outcome, &err);
            if (!err && outcome.errors[0])
                err = g_error_copy(outcome.errors[0]);
            if (k == 1)
                checkResult(&outcome, runner);
            if (k == 1 && err)
                message = g_strdup(err->message);
            states[k] = saveAll(runner);
            g_ptr_array_add(owned, states[k]);
            close(fd);
        }
        if (failed[1] && message && strstr(message, "Refusing") &&
            g_str_equal(states[1], "")) {
            refused++;
            continue;
        }
        if (!g_str_equal(states[0], states[1]) || failed[0] != failed[1])
            g_printerr("case %zu: exec %s restore %s (%s)\n--- exec\n%s--- restore\n%s",
                       i, failed[0] ? "failed" : "ok", failed[1] ? "failed" : "ok",
                       message ? message : "", states[0], states[1]);
        g_assert_cmpint(failed[0], ==, failed[1]);
        g_assert_cmpstr(states[0], ==, states[1]);
        equal++;
    }
    g_print("# adversarial: %u refused before anything ran, %u identical to exec\n",
            refused, equal);
}
