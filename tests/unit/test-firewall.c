/*
 * test-firewall: the model's apply semantics, as libvirt's
 * tests/virfirewalltest.c checks them, through the exec backend with an
 * injected fake runner; and the restore backend's process count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backend.h"
#include "firewall-priv.h"
#include "error.h"
#include "text.h"

#include <pthread.h>
#include <signal.h>

/* A runner that records each argv and fails those containing "-A" followed
 * by 192.168.122.255 (exit 127), like libvirt's test hook; listing
 * commands get canned output. */
typedef struct {
    vfRunner parent;
    GString *log;
} FakeRunner;

static const char *const canned =
    "Chain INPUT (policy ACCEPT)\n"
    "target     prot opt source               destination\n"
    "\n"
    "Chain FORWARD (policy ACCEPT)\n"
    "target     prot opt source               destination\n";

static gboolean
fakeRun(vfRunner *runner, const char *const *argv, const char *input,
        vfRunResult *res, GError **error)
{
    FakeRunner *self = (FakeRunner *)runner;
    g_autofree char *line = g_strjoinv(" ", (char **)argv);
    gboolean fail = FALSE, list = FALSE;

    g_string_append_printf(self->log, "%s\n", line);
    for (gsize i = 0; argv[i]; i++) {
        if (g_str_equal(argv[i], "-A") && argv[i + 1] &&
            argv[i + 2] && g_str_equal(argv[i + 3] ? argv[i + 3] : "", "192.168.122.255"))
            fail = TRUE;
        if (g_str_equal(argv[i], "-L"))
            list = TRUE;
    }
    res->status = fail ? 127 : 0;
    res->out = g_strdup(list ? canned : "");
    res->err = g_strdup(fail ? "failed" : "");
    return TRUE;
}

static FakeRunner *
fakeNew(void)
{
    FakeRunner *r = g_new0(FakeRunner, 1);
    r->parent.run = fakeRun;
    r->log = g_string_new(NULL);
    return r;
}

static void
fakeFree(FakeRunner *r)
{
    g_string_free(r->log, TRUE);
    g_free(r);
}

static gboolean
applyExec(virFirewall *fw, FakeRunner *r, GError **error)
{
    g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_EXEC, &r->parent));
    return vfBackendApplyOne(b, fw, NULL, error);
}

#define ADD(fw, src) \
    virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "INPUT", \
                       "--source", src, "--jump", "ACCEPT", NULL)
#define DEL(fw, src) \
    virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-D", "INPUT", \
                       "--source", src, "--jump", "ACCEPT", NULL)
#define LINE(op, src) "iptables -w " op " INPUT --source " src " --jump ACCEPT\n"

static void
test_single_group(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;

    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.1");
    virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "INPUT",
                       "--source", "!192.168.122.1", "--jump", "REJECT", NULL);
    assert_true(applyExec(fw, r, &err));
    assert_string_equal(r->log->str,
                        LINE("-A", "192.168.122.1")
                        "iptables -w -A INPUT --source !192.168.122.1 --jump REJECT\n");
    fakeFree(r);
}

static void
test_remove_rule(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;
    virFirewallRule *rule;

    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.1");
    rule = virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "INPUT", NULL);
    virFirewallRuleAddArg(fw, rule, "--source");
    virFirewallRemoveRule(fw, rule);
    rule = virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "INPUT", NULL);
    virFirewallRuleAddArg(fw, rule, "--source");
    virFirewallRuleAddArgFormat(fw, rule, "%s", "!192.168.122.1");
    virFirewallRuleAddArgList(fw, rule, "--jump", "REJECT", NULL);
    assert_int_equal(virFirewallRuleGetArgCount(rule), 6);
    assert_true(applyExec(fw, r, &err));
    assert_string_equal(r->log->str,
                        LINE("-A", "192.168.122.1")
                        "iptables -w -A INPUT --source !192.168.122.1 --jump REJECT\n");
    fakeFree(r);
}

/* Origins: kept only when asked, per rule added while one is set, gone
 * with a removed rule; the text (and so the desired hash) and the exec
 * backend's commands are those of the same program without them. */
static void
buildTagged(virFirewall *fw)
{
    virFirewallRuleOrigin o = { "f", "/x/f.xml", 7, 500 };
    virFirewallRule *gone;

    virFirewallStartTransaction(fw, 0);
    virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-N", "C", NULL);
    virFirewallSetOrigin(fw, &o);
    o.line = 99;      /* copied: the caller's struct is not kept */
    virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "C", "-j", "DROP", NULL);
    gone = virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "C", "-j", "RETURN", NULL);
    virFirewallRemoveRule(fw, gone);
    virFirewallSetOrigin(fw, NULL);
    virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "C", "-j", "ACCEPT", NULL);
}

static void
test_origins(void **state)
{
    g_autoptr(virFirewall) tagged = virFirewallNew("t");
    g_autoptr(virFirewall) plain = virFirewallNew("t");
    g_autofree char *t1 = NULL, *t2 = NULL;
    FakeRunner *r1 = fakeNew(), *r2 = fakeNew();
    g_autoptr(GError) err = NULL;
    GPtrArray *action;
    const virFirewallRuleOrigin *o;

    (void)state;
    virFirewallKeepOrigins(tagged);
    buildTagged(tagged);
    buildTagged(plain);
    action = virFirewallGetGroup(tagged, 0)->action;
    assert_int_equal(action->len, 3);
    assert_null(virFirewallRuleGetOrigin(tagged, g_ptr_array_index(action, 0)));
    o = virFirewallRuleGetOrigin(tagged, g_ptr_array_index(action, 1));
    assert_non_null(o);
    assert_string_equal(o->filter, "f");
    assert_string_equal(o->file, "/x/f.xml");
    assert_int_equal(o->line, 7);
    assert_int_equal(o->priority, 500);
    assert_null(virFirewallRuleGetOrigin(tagged, g_ptr_array_index(action, 2)));
    action = virFirewallGetGroup(plain, 0)->action;
    assert_null(virFirewallRuleGetOrigin(plain, g_ptr_array_index(action, 1)));
    t1 = virFirewallToText(tagged);
    t2 = virFirewallToText(plain);
    assert_string_equal(t1, t2);
    assert_true(applyExec(tagged, r1, &err));
    assert_true(applyExec(plain, r2, &err));
    assert_string_equal(r1->log->str, r2->log->str);
    fakeFree(r1);
    fakeFree(r2);
}

static void
test_many_groups(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;

    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.1");
    ADD(fw, "192.168.122.2");
    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.3");
    ADD(fw, "192.168.122.4");
    assert_true(applyExec(fw, r, &err));
    assert_string_equal(r->log->str,
                        LINE("-A", "192.168.122.1") LINE("-A", "192.168.122.2")
                        LINE("-A", "192.168.122.3") LINE("-A", "192.168.122.4"));
    fakeFree(r);
}

static void
test_ignore_fail_group(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;

    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    ADD(fw, "192.168.122.1");
    ADD(fw, "192.168.122.255");
    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.3");
    assert_true(applyExec(fw, r, &err));
    assert_string_equal(r->log->str,
                        LINE("-A", "192.168.122.1") LINE("-A", "192.168.122.255")
                        LINE("-A", "192.168.122.3"));
    fakeFree(r);
}

static void
test_ignore_fail_rule(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;

    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.1");
    virFirewallAddRuleFull(fw, VIR_FIREWALL_LAYER_IPV4, true, NULL, NULL,
                           "-A", "INPUT", "--source", "192.168.122.255",
                           "--jump", "ACCEPT", NULL);
    ADD(fw, "192.168.122.3");
    assert_true(applyExec(fw, r, &err));
    assert_string_equal(r->log->str,
                        LINE("-A", "192.168.122.1") LINE("-A", "192.168.122.255")
                        LINE("-A", "192.168.122.3"));
    fakeFree(r);
}

static void
test_no_rollback(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;

    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.1");
    ADD(fw, "192.168.122.255");
    ADD(fw, "192.168.122.3");
    assert_false(applyExec(fw, r, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->message, "192.168.122.255"));
    assert_string_equal(r->log->str,
                        LINE("-A", "192.168.122.1") LINE("-A", "192.168.122.255"));
    fakeFree(r);
}

static void
test_single_rollback(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;

    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.1");
    ADD(fw, "192.168.122.255");
    ADD(fw, "192.168.122.3");
    virFirewallStartRollback(fw, 0);
    DEL(fw, "192.168.122.1");
    DEL(fw, "192.168.122.255");
    DEL(fw, "192.168.122.3");
    assert_false(applyExec(fw, r, &err));
    /* the whole rollback block runs, undo of the never-run 3rd too */
    assert_string_equal(r->log->str,
                        LINE("-A", "192.168.122.1") LINE("-A", "192.168.122.255")
                        LINE("-D", "192.168.122.1") LINE("-D", "192.168.122.255")
                        LINE("-D", "192.168.122.3"));
    fakeFree(r);
}

static void
test_many_rollback(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;

    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.1");
    virFirewallStartRollback(fw, 0);
    DEL(fw, "192.168.122.1");
    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.255");
    ADD(fw, "192.168.122.3");
    virFirewallStartRollback(fw, 0);
    DEL(fw, "192.168.122.255");
    DEL(fw, "192.168.122.3");
    assert_false(applyExec(fw, r, &err));
    assert_string_equal(r->log->str,
                        LINE("-A", "192.168.122.1") LINE("-A", "192.168.122.255")
                        LINE("-D", "192.168.122.255") LINE("-D", "192.168.122.3"));
    fakeFree(r);
}

static void
test_chained_rollback(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;

    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.1");
    virFirewallStartRollback(fw, 0);
    DEL(fw, "192.168.122.1");
    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.2");
    virFirewallStartRollback(fw, 0);
    DEL(fw, "192.168.122.2");
    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.255");
    virFirewallStartRollback(fw, VIR_FIREWALL_ROLLBACK_INHERIT_PREVIOUS);
    DEL(fw, "192.168.122.255");
    assert_false(applyExec(fw, r, &err));
    assert_string_equal(r->log->str,
                        LINE("-A", "192.168.122.1") LINE("-A", "192.168.122.2")
                        LINE("-A", "192.168.122.255")
                        LINE("-D", "192.168.122.2") LINE("-D", "192.168.122.255"));
    fakeFree(r);
}

static int
queryCallback(virFirewall *fw, virFirewallLayer layer,
              const char *const *lines, void *opaque)
{
    /* the callback sees the listing split per line, blank lines too */
    assert_string_equal(lines[0], "Chain INPUT (policy ACCEPT)");
    assert_string_equal(lines[2], "");
    virFirewallAddRule(fw, layer, "-A", "INPUT", "--source",
                       "!192.168.122.129", "--jump", "REJECT", NULL);
    return 0;
}

static void
test_query_transaction(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;

    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.1");
    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.127");
    virFirewallAddRuleFull(fw, VIR_FIREWALL_LAYER_IPV4, false, queryCallback,
                           NULL, "-L", NULL);
    virFirewallAddRuleFull(fw, VIR_FIREWALL_LAYER_IPV4, false, queryCallback,
                           NULL, "-t", "nat", "-L", NULL);
    ADD(fw, "192.168.122.130");
    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.128");
    assert_true(applyExec(fw, r, &err));
    assert_string_equal(r->log->str,
                        LINE("-A", "192.168.122.1") LINE("-A", "192.168.122.127")
                        "iptables -w -L\n"
                        "iptables -w -t nat -L\n"
                        LINE("-A", "192.168.122.130")
                        "iptables -w -A INPUT --source !192.168.122.129 --jump REJECT\n"
                        "iptables -w -A INPUT --source !192.168.122.129 --jump REJECT\n"
                        LINE("-A", "192.168.122.128"));
    fakeFree(r);
}

static int
rollbackQueryCallback(virFirewall *fw, virFirewallLayer layer,
                      const char *const *lines, void *opaque)
{
    guint *calls = opaque;

    (*calls)++;
    assert_string_equal(lines[0], "Chain INPUT (policy ACCEPT)");
    virFirewallAddRule(fw, layer, "-A", "INPUT", "--source",
                       "!192.168.122.129", "--jump", "REJECT", NULL);
    return 0;
}

/* libvirt 9.0's virFirewallRollbackGroup runs a rollback's queries, and
 * what their callbacks add goes to the end of that rollback (nwfilter
 * removes its temporary sub-chains so). */
static void
test_query_rollback(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;
    guint calls = 0;
    const char *expected =
        LINE("-A", "192.168.122.1") LINE("-A", "192.168.122.255")
        LINE("-D", "192.168.122.1")
        "iptables -w -L\n"
        LINE("-D", "192.168.122.255")
        "iptables -w -A INPUT --source !192.168.122.129 --jump REJECT\n";

    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.1");
    ADD(fw, "192.168.122.255");
    virFirewallStartRollback(fw, 0);
    DEL(fw, "192.168.122.1");
    virFirewallAddRuleFull(fw, VIR_FIREWALL_LAYER_IPV4, false,
                           rollbackQueryCallback, &calls, "-L", NULL);
    DEL(fw, "192.168.122.255");
    assert_false(applyExec(fw, r, &err));
    assert_string_equal(r->log->str, expected);
    assert_int_equal(calls, 1);
    /* the walk leaves the program as built: once more, the same */
    g_string_truncate(r->log, 0);
    g_clear_error(&err);
    assert_false(applyExec(fw, r, &err));
    assert_string_equal(r->log->str, expected);
    /* and the builder still adds to the rollback it was adding to */
    DEL(fw, "192.168.122.3");
    g_string_truncate(r->log, 0);
    g_clear_error(&err);
    assert_false(applyExec(fw, r, &err));
    assert_non_null(strstr(r->log->str, LINE("-D", "192.168.122.255")
                                        LINE("-D", "192.168.122.3")));
    fakeFree(r);
}

static void
test_auto_rollback(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;

    /* only applied rules get their --delete twin, in applied order */
    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_AUTO_ROLLBACK);
    ADD(fw, "192.168.122.1");
    ADD(fw, "192.168.122.2");
    ADD(fw, "192.168.122.255");
    ADD(fw, "192.168.122.3");
    assert_false(applyExec(fw, r, &err));
    assert_string_equal(r->log->str,
                        LINE("-A", "192.168.122.1") LINE("-A", "192.168.122.2")
                        LINE("-A", "192.168.122.255")
                        LINE("--delete", "192.168.122.1")
                        LINE("--delete", "192.168.122.2"));
    /* a second apply starts from the program as built */
    g_string_truncate(r->log, 0);
    g_clear_error(&err);
    assert_false(applyExec(fw, r, &err));
    {
        guint deletes = 0;
        for (const char *p = r->log->str; (p = strstr(p, "--delete")); p++)
            deletes++;
        assert_int_equal(deletes, 2);
    }
    fakeFree(r);
}

static void
test_rule_outside_transaction(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    FakeRunner *r = fakeNew();
    g_autoptr(GError) err = NULL;

    /* builders never fail; the misuse surfaces once, at apply */
    ADD(fw, "192.168.122.1");
    virFirewallStartTransaction(fw, 0);
    ADD(fw, "192.168.122.2");
    assert_false(applyExec(fw, r, &err));
    assert_non_null(strstr(err->message, "outside a transaction"));
    assert_string_equal(r->log->str, "");
    fakeFree(r);
}

/* A restore batch of N independent programs costs the same number of
 * processes whatever N is. */
static void
checkProcessesFlat(gboolean replay, guint expected)
{
    guint counts[3];
    const guint ns[3] = { 1, 10, 100 };

    for (int k = 0; k < 3; k++) {
        g_autoptr(GString) text = g_string_new(NULL);
        g_autoptr(GError) err = NULL;
        g_autoptr(vfProgramSet) set = NULL;
        g_autoptr(vfRunner) rec = vfRunnerNewRecorder();
        vfBackendOptions o = VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec);
        g_autoptr(vfBackend) b = (o.replay = replay, vfBackendNew(&o));
        g_autofree GError **errors = g_new0(GError *, ns[k]);
        vfApplyStats stats;

        for (guint i = 0; i < ns[k]; i++) {
            g_string_append_printf(text,
                "program vnet%u\ntransaction ignore-errors\n"
                "ethernet -t nat -D PREROUTING -i vnet%u -j libvirt-J-vnet%u\n"
                "ethernet query=cleanup -t nat -L libvirt-J-vnet%u\n"
                "ethernet -t nat -F libvirt-J-vnet%u\nethernet -t nat -X libvirt-J-vnet%u\n"
                "transaction\n"
                "ethernet -t nat -N libvirt-J-vnet%u\n"
                "ethernet -t nat -A libvirt-J-vnet%u -j DROP\n"
                "ethernet -t nat -A PREROUTING -i vnet%u -j libvirt-J-vnet%u\n"
                "ipv4 ignore -t filter -N libvirt-in\n"
                "ipv4 -t filter -N FJ-vnet%u\n"
                "ipv4 -t filter -A libvirt-in -m physdev --physdev-in vnet%u -g FJ-vnet%u\n"
                "ipv6 -t filter -N FJ-vnet%u\n"
                "transaction ignore-errors\n"
                "ethernet -t nat -E libvirt-J-vnet%u libvirt-I-vnet%u\n"
                "ipv4 -t filter -E FJ-vnet%u FI-vnet%u\n",
                i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i);
        }
        set = vfProgramSetParse(text->str, "batch", &err);
        assert_null(err);
        assert_true(vfBackendApply(b, vfProgramSetPrograms(set), ns[k], errors,
                                   &stats, &err));
        counts[k] = stats.processes;
        print_message("restore%s, %u programs: %u processes, %u passes\n",
                      replay ? " (replay)" : "", ns[k], stats.processes,
                      stats.passes);
    }
    assert_int_equal(counts[0], counts[1]);
    assert_int_equal(counts[1], counts[2]);
    assert_int_equal(counts[0], expected);
}

static void
test_restore_processes_flat(void **state)
{
    /* 3 *-save, then one restore per table written: the difference has
     * no renames, so one pass */
    checkProcessesFlat(FALSE, 6);
    /* replayed, ebtables and iptables take 2 passes (the renames) */
    checkProcessesFlat(TRUE, 8);
}


/* A restore that meets the xtables lock (legacy, exit 4) is retried with
 * a bounded backoff and reported as a lock problem, not a rule error. */
typedef struct {
    vfRunner parent;
    guint lockedRuns;
} LockedRunner;

static gboolean
lockedRun(vfRunner *runner, const char *const *argv, const char *input,
          vfRunResult *res, GError **error)
{
    LockedRunner *self = (LockedRunner *)runner;

    res->out = g_strdup("");
    res->err = g_strdup("");
    res->status = 0;
    if (g_str_has_suffix(argv[0], "-restore") && self->lockedRuns > 0) {
        self->lockedRuns--;
        res->status = 4;
        g_free(res->err);
        res->err = g_strdup("Another app is currently holding the xtables lock. "
                            "Stopped waiting after 10s.");
    }
    return TRUE;
}

static void
test_restore_lock(void **state)
{
    for (int k = 0; k < 2; k++) {
        LockedRunner r = { { lockedRun, NULL, 0 }, k == 0 ? 2 : 100 };
        g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, &r.parent));
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        vfApplyStats stats;

        virFirewallStartTransaction(fw, 0);
        ADD(fw, "192.168.122.1");
        if (k == 0) {
            assert_true(vfBackendApplyOne(b, fw, &stats, &err));
            assert_int_equal(stats.lock_retries, 2);
        } else {
            assert_false(vfBackendApplyOne(b, fw, &stats, &err));
            assert_true(g_error_matches(err, VF_ERROR, VF_ERROR_LOCKED));
            assert_non_null(strstr(err->message, "xtables lock"));
        }
    }
}

/* While the tools write: the result is told before it is known, and
 * handed over as told only if the tools take the difference. */
typedef struct {
    guint refuse;      /* restores to refuse first */
    const char *refuseTool;   /* only this tool's, if set */
    guint restores;
    guint calls;       /* of the while-writing callback */
    char *peeked;      /* the ipv4 text it was told */
    guint transactions;
} WhileWriting;

static void
whileAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    WhileWriting *w = opaque;

    if (!g_str_has_suffix(argv[0], "-restore"))
        return;   /* *-save: empty tables */
    w->restores++;
    if (w->refuse > 0 && (!w->refuseTool || g_str_equal(argv[0], w->refuseTool))) {
        w->refuse--;
        res->status = 1;
        res->err = g_strdup("iptables-restore: line 2 failed");
    }
}

static void
whileCallback(const vfApplyOutcome *sofar, gpointer data)
{
    WhileWriting *w = data;

    w->calls++;
    assert_true(sofar->known);
    w->transactions = sofar->transactions;
    g_free(w->peeked);
    w->peeked = g_strdup(sofar->save[VIR_FIREWALL_LAYER_IPV4]);
}

/* @fw alone as a batch with @fn for while_writing. */
static gboolean
applyWhileWriting(vfBackend *b, virFirewall *fw, vfWhileWriting fn, gpointer data,
                  vfApplyOutcome *outcome, GError **err)
{
    vfBatch batch = { .programs = &fw, .n = 1, .while_writing = fn, .while_data = data };

    return vfBackendApplyBatch(b, &batch, outcome, err);
}

static void
test_restore_while_writing(void **state)
{
    for (guint refuse = 0; refuse < 2; refuse++) {
        WhileWriting w = { refuse };
        g_autoptr(vfRunner) rec = vfRunnerNewScripted(whileAnswer, &w);
        g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec));
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL };
        g_auto(vfApplyOutcome) outcome = { 0 };
        guint transactions = 0;
        gboolean known;

        virFirewallStartTransaction(fw, 0);
        ADD(fw, "192.168.122.1");
        assert_true(applyWhileWriting(b, fw, whileCallback, &w, &outcome, &err));
        assert_int_equal(w.calls, 1);
        assert_non_null(w.peeked);
        assert_non_null(strstr(w.peeked, "-A INPUT -s 192.168.122.1/32 -j ACCEPT"));
        assert_int_equal(w.transactions, 1);
        known = vfApplyOutcomeTake(&outcome, texts, &transactions);
        if (refuse) {
            /* refused, then replayed: nothing told holds */
            assert_false(known);
            assert_true(w.restores > 1);
        } else {
            assert_true(known);
            assert_int_equal(transactions, w.transactions);
            assert_string_equal(texts[VIR_FIREWALL_LAYER_IPV4], w.peeked);
            assert_null(texts[VIR_FIREWALL_LAYER_ETHERNET]);
        }
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
            g_free(texts[l]);
        g_free(w.peeked);
    }
}

/* Three layers written side by side; ip6tables refuses once: the tables
 * the other two wrote are put back before the replay. */
static void
test_restore_layers_side_by_side(void **state)
{
    for (int refuse = 0; refuse < 2; refuse++) {
        WhileWriting w = { refuse, "ip6tables-restore" };
        g_autoptr(vfRunner) rec = vfRunnerNewScripted(whileAnswer, &w);
        g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec));
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL };
        guint transactions = 0, putBack = 0;
        g_auto(vfApplyOutcome) outcome = { 0 };
        GPtrArray *calls;

        virFirewallStartTransaction(fw, 0);
        ADD(fw, "192.168.122.1");
        virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV6, "-A", "INPUT",
                           "--source", "fd00::1", "--jump", "ACCEPT", NULL);
        virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat", "-A", "PREROUTING",
                           "-i", "vnet0", "-j", "ACCEPT", NULL);
        assert_true(applyWhileWriting(b, fw, whileCallback, &w, &outcome, &err));
        assert_int_equal(w.calls, 1);
        assert_int_equal(w.transactions, 3);
        calls = vfRunnerRecorderCalls(rec);
        for (guint i = 0; i < calls->len; i++) {
            vfRecordedCall *c = g_ptr_array_index(calls, i);
            if (c->input && (strstr(c->input, "-D INPUT -s 192.168.122.1/32 -j ACCEPT") ||
                             strstr(c->input, "-D PREROUTING -i vnet0 -j ACCEPT")))
                putBack++;
        }
        if (refuse) {
            assert_false(vfApplyOutcomeTake(&outcome, texts, &transactions));
            assert_int_equal(putBack, 2);   /* iptables and ebtables put back */
        } else {
            assert_true(vfApplyOutcomeTake(&outcome, texts, &transactions));
            assert_int_equal(transactions, 3);
            assert_int_equal(putBack, 0);
            for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
                assert_non_null(texts[l]);
        }
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
            g_free(texts[l]);
        g_free(w.peeked);
    }
}

/* A kernel whose generation id moves with every restore that writes,
 * and with foreign commits; *-save always prints empty tables, so only
 * kept tables know what was written before. */
typedef struct {
    guint32 gen;
    gboolean genFails;
    guint saves;
    guint restores;
    guint refuse;
    guint extraCommits;   /* a foreign commit during the next restore */
    char *lastInput;
} KeepKernel;

static void
keepAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    KeepKernel *k = opaque;

    if (g_str_has_suffix(argv[0], "-save")) {
        k->saves++;
        return;
    }
    if (!input || !*input)
        return;   /* a prestarted tool that was not needed */
    k->restores++;
    g_free(k->lastInput);
    k->lastInput = g_strdup(input);
    if (k->refuse > 0) {
        k->refuse--;
        res->status = 1;
        res->err = g_strdup("iptables-restore: line 2 failed");
        return;
    }
    k->gen += 1 + k->extraCommits;
    k->extraCommits = 0;
}

static gboolean
keepGeneration(gpointer data, guint32 *gen, GError **error)
{
    KeepKernel *k = data;

    *gen = k->gen;
    return !k->genFails;
}

/* A target whose kernel is @k: nft tools, generation ids from k->gen. */
static vfTarget *
keepTarget(vfRunner *runner, KeepKernel *k)
{
    vfTargetKernel kernel = { .nft = TRUE, .read_generation = keepGeneration, .data = k };

    return vfTargetNewWithKernel(runner, &kernel, 0);
}

/* One program: delete rule @del (not ignored: it fails unless the rule is
 * there), add rule @add; @batch (may be NULL) brings the rest of the
 * batch, @outcome (may be NULL) takes the outcome. */
static gboolean
keepApplyFull(vfBackend *b, const char *del, const char *add,
              const vfBatch *batch, vfApplyOutcome *outcome)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    g_autoptr(GError) err = NULL;
    g_auto(vfApplyOutcome) own = { 0 };
    vfBatch one = { 0 };

    virFirewallStartTransaction(fw, 0);
    if (del)
        DEL(fw, del);
    if (add)
        ADD(fw, add);
    if (batch)
        one = *batch;
    one.programs = &fw;
    one.n = 1;
    return vfBackendApplyBatch(b, &one, outcome ? outcome : &own, &err);
}

static gboolean
keepApply(vfBackend *b, const char *del, const char *add)
{
    return keepApplyFull(b, del, add, NULL, NULL);
}

static void
test_restore_keep_tables(void **state)
{
    KeepKernel k = { 100 };
    g_autoptr(vfRunner) rec = vfRunnerNewScripted(keepAnswer, &k);
    vfBackendOptions o = VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec);
    g_autoptr(vfTarget) target = keepTarget(rec, &k);   /* outlives b */
    g_autoptr(vfBackend) b = NULL;
    char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL };
    guint transactions;

    o.target = target;
    o.keep_tables = TRUE;
    b = vfBackendNew(&o);
    {
        g_auto(vfApplyOutcome) outcome = { 0 };
        assert_true(keepApplyFull(b, NULL, "192.168.122.1", NULL, &outcome));
        assert_int_equal(k.saves, 1);
        assert_int_equal(vfBackendKeptLayers(b), 1);
        /* the tables stay with the backend */
        assert_false(vfApplyOutcomeTake(&outcome, texts, &transactions));
    }

    /* nobody committed since: no *-save, and the rule written before is
     * known (the delete succeeds and is the only line besides the add) */
    vfBackendPrepareNext(b);
    assert_true(keepApply(b, "192.168.122.1", "192.168.122.2"));
    assert_int_equal(k.saves, 1);
    assert_non_null(strstr(k.lastInput, "-D INPUT -s 192.168.122.1/32 -j ACCEPT"));
    assert_non_null(strstr(k.lastInput, "-A INPUT -s 192.168.122.2/32 -j ACCEPT"));
    /* without vfBackendPrepareNext too */
    assert_true(keepApply(b, "192.168.122.2", "192.168.122.3"));
    assert_int_equal(k.saves, 1);

    /* a foreign commit: the kept tables are dropped, *-save read (and its
     * empty tables make the delete fail); the tables that apply left are
     * known all the same */
    k.gen++;
    assert_false(keepApply(b, "192.168.122.3", NULL));
    assert_int_equal(k.saves, 2);

    /* somebody committed while our restore ran: not kept */
    assert_true(keepApply(b, NULL, "192.168.122.4"));
    assert_int_equal(vfBackendKeptLayers(b), 1);
    k.extraCommits = 1;
    assert_true(keepApply(b, "192.168.122.4", NULL));
    assert_int_equal(vfBackendKeptLayers(b), 0);
    assert_int_equal(k.saves, 2);
    assert_true(keepApply(b, NULL, "192.168.122.9"));
    assert_int_equal(k.saves, 3);

    /* a refused difference is replayed: what is in the kernel is not
     * known, nothing kept */
    assert_true(keepApply(b, NULL, "192.168.122.5"));
    assert_int_equal(vfBackendKeptLayers(b), 1);
    k.refuse = 1;
    assert_true(keepApply(b, NULL, "192.168.122.6"));
    assert_int_equal(vfBackendKeptLayers(b), 0);

    /* no generation id: never kept */
    k.genFails = TRUE;
    assert_true(keepApply(b, NULL, "192.168.122.7"));
    assert_int_equal(vfBackendKeptLayers(b), 0);
    k.genFails = FALSE;

    /* tables from the caller's text are kept only if it names the
     * generation they are of, and that is the kernel's at the apply */
    for (int given = 0; given < 3; given++) {   /* none, wrong, right */
        const char *text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
                           ":OUTPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.1/32 -j ACCEPT\nCOMMIT\n";
        vfBatch batch = { 0 };

        /* a new backend: nothing kept */
        g_clear_pointer(&b, vfBackendFree);
        b = vfBackendNew(&o);
        batch.save[VIR_FIREWALL_LAYER_IPV4] = text;
        batch.save_at.known = given != 0;
        /* with none, the right id all the same: only the flag says it */
        batch.save_at.id = given == 1 ? k.gen - 1 : k.gen;
        assert_true(keepApplyFull(b, "10.0.0.1", NULL, &batch, NULL));
        assert_int_equal(vfBackendKeptLayers(b), given == 2 ? 1 : 0);
    }
    {
        guint32 gen = 0;
        g_autofree char *kept = vfBackendFormatKept(b, VIR_FIREWALL_LAYER_IPV4, &gen);
        assert_null(vfBackendFormatKept(b, VIR_FIREWALL_LAYER_IPV6, &gen));
        assert_non_null(kept);
        assert_int_equal(gen, k.gen);
        assert_null(strstr(kept, "10.0.0.1"));
        assert_non_null(strstr(kept, ":INPUT ACCEPT"));
    }

    assert_true(keepApply(b, NULL, "192.168.122.8"));
    assert_int_equal(vfBackendKeptLayers(b), 1);
    g_free(k.lastInput);
}


/* vfBackendPrepareNextAsync (libvirtd's engine): the work runs on another
 * thread, with every signal blocked, after the call returned; the next
 * apply and vfBackendFree wait for it. The thread is held at a gate until
 * the test has looked, then takes a while, so that an apply or a free that
 * did not wait would meet it still running (its tools would run while
 * the thread is between the hook's two calls). */
typedef struct {
    KeepKernel k;
    GThread *caller;
    GMutex lock;
    GCond cond;
    gboolean open;          /* the gate */
    guint started, done;    /* preparations */
    guint elsewhere;        /* of them on a thread not the caller's */
    guint unmasked;         /* of them with SIGTERM or SIGCHLD deliverable */
    guint gateTimeouts;     /* the gate never opened: it ran in the call */
    guint early;            /* tools run while a preparation was running */
} PrepareWatch;

static void
prepareHook(gboolean done, gpointer data)
{
    PrepareWatch *w = data;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&w->lock);
    gint64 until = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
    sigset_t mask;

    if (done) {
        w->done++;
        return;
    }
    w->started++;
    g_cond_broadcast(&w->cond);
    if (g_thread_self() != w->caller)
        w->elsewhere++;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    if (!sigismember(&mask, SIGTERM) || !sigismember(&mask, SIGCHLD))
        w->unmasked++;
    while (!w->open) {
        if (!g_cond_wait_until(&w->cond, &w->lock, until)) {
            w->gateTimeouts++;
            break;
        }
    }
    w->open = FALSE;
    g_clear_pointer(&locker, g_mutex_locker_free);
    g_usleep(100 * 1000);
}

static void
prepareAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    PrepareWatch *w = opaque;

    g_mutex_lock(&w->lock);
    if (w->done != w->started)
        w->early++;
    g_mutex_unlock(&w->lock);
    keepAnswer(argv, input, res, &w->k);
}

/* Once the preparation number @n is at the gate. */
static void
openGate(PrepareWatch *w, guint n)
{
    gint64 until = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;

    g_mutex_lock(&w->lock);
    while (w->started < n && g_cond_wait_until(&w->cond, &w->lock, until))
        ;
    w->open = TRUE;
    g_cond_broadcast(&w->cond);
    g_mutex_unlock(&w->lock);
}

static void
test_restore_prepare_async(void **state)
{
    PrepareWatch w = { .k = { 100 }, .caller = g_thread_self() };
    g_autoptr(vfRunner) rec = vfRunnerNewScripted(prepareAnswer, &w);
    vfBackendOptions o = VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec);
    vfBackend *b;
    sigset_t before, after;
    char prev[32] = "", next[32];
    g_autoptr(vfTarget) target = keepTarget(rec, &w.k);

    g_mutex_init(&w.lock);
    g_cond_init(&w.cond);

    o.target = target;
    o.keep_tables = TRUE;
    o.prepare_hook = prepareHook;
    o.prepare_hook_data = &w;
    b = vfBackendNew(&o);
    pthread_sigmask(SIG_SETMASK, NULL, &before);
    for (guint i = 0; i < 4; i++) {
        g_snprintf(next, sizeof(next), "192.168.122.%u", i + 1);
        assert_true(keepApply(b, i ? prev : NULL, next));
        if (i) {
            /* from the kept tables: the rule written before is known */
            g_autofree char *del = g_strdup_printf("-D INPUT -s %s/32 -j ACCEPT", prev);
            assert_non_null(strstr(w.k.lastInput, del));
        }
        vfBackendPrepareNextAsync(b);
        g_mutex_lock(&w.lock);
        assert_int_equal(w.done, i);   /* returned before the work */
        g_mutex_unlock(&w.lock);
        openGate(&w, i + 1);
        g_strlcpy(prev, next, sizeof(prev));
    }
    pthread_sigmask(SIG_SETMASK, NULL, &after);
    for (int sig = 1; sig < NSIG; sig++)
        assert_int_equal(sigismember(&before, sig), sigismember(&after, sig));
    assert_int_equal(w.k.saves, 1);
    vfBackendFree(b);
    assert_int_equal(w.started, 4);
    assert_int_equal(w.done, 4);   /* the free waited for the last one */
    assert_int_equal(w.elsewhere, 4);
    assert_int_equal(w.unmasked, 0);
    assert_int_equal(w.gateTimeouts, 0);
    assert_int_equal(w.early, 0);   /* each apply waited */
    g_cond_clear(&w.cond);
    g_mutex_clear(&w.lock);
    g_free(w.k.lastInput);
}


/* A tool that cannot take the listing (vfBackendOptions.listing): the restore
 * is refused, and the rest of that apply goes without one; the program
 * does not fail for it, and the next apply lists again. */
typedef struct {
    guint listed, unlisted;
} ListingTool;

static void
listingAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    ListingTool *t = opaque;

    if (!g_str_has_suffix(argv[0], "-restore"))
        return;
    if (strstr(input, "\n-S\n") || strstr(input, "\n-L\n")) {
        t->listed++;
        res->status = 1;
        res->err = g_strdup("iptables-restore: line 3 failed");
    } else {
        t->unlisted++;
    }
}

static void
test_restore_listing_refused(void **state)
{
    ListingTool t = { 0 };
    g_autoptr(vfRunner) rec = vfRunnerNewScripted(listingAnswer, &t);
    g_autoptr(vfBackend) b = vfBackendNew(&(vfBackendOptions){
        .kind = VF_BACKEND_RESTORE, .runner = rec, .wait_seconds = 10,
        .listing = VF_LISTING_ALWAYS });

    for (guint round = 1; round <= 2; round++) {
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        vfApplyStats stats = { 0 };

        virFirewallStartTransaction(fw, 0);
        ADD(fw, "192.168.122.1");
        assert_true(vfBackendApplyOne(b, fw, &stats, &err));
        assert_null(err);
        /* the listed difference refused, the replay written without */
        assert_int_equal(t.listed, round);
        assert_int_equal(t.unlisted, round);
        assert_int_equal(stats.retries, 1);
    }
}

/* A table the apply found absent, wrote, and put back (vfTargetDropEmptyTable):
 * iptables-restore refuses what names 10.9.9.9 with a line number, like a
 * set that does not exist; ebtables-restore takes everything. */
typedef struct {
    gboolean natExists;   /* ebtables-save prints the nat table */
    guint refused;
    GHashTable *drops;    /* "layer:table" -> count */
} DropTool;

static void
dropToolAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    DropTool *t = opaque;

    if (g_str_equal(argv[0], "ebtables-save") && t->natExists)
        res->out = g_strdup("*nat\n:PREROUTING ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\n");
    if (g_str_equal(argv[0], "iptables-restore") && strstr(input, "10.9.9.9")) {
        t->refused++;
        res->status = 1;
        res->err = g_strdup("iptables-restore: line 2 failed");
    }
}

static gboolean
dropRecord(gpointer data, virFirewallLayer layer, const char *table, GError **error)
{
    DropTool *t = data;
    char *key = g_strdup_printf("%d:%s", layer, table);

    g_hash_table_insert(t->drops, key,
                        GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(t->drops, key)) + 1));
    return TRUE;
}

static void
test_restore_drop_created(void **state)
{
    /* the difference put back, then the log (replay): rounds reverted */
    for (int k = 0; k < 3; k++) {
        DropTool t = { k == 2, 0, g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
        g_autoptr(vfRunner) rec = vfRunnerNewScripted(dropToolAnswer, &t);
        g_autoptr(vfTarget) target = vfTargetNewWithKernel(
            rec, &(vfTargetKernel){ .nft = TRUE, .drop_empty_table = dropRecord, .data = &t }, 0);
        g_autoptr(vfBackend) b = vfBackendNew(&(vfBackendOptions){
            .kind = VF_BACKEND_RESTORE, .runner = rec, .target = target, .wait_seconds = 10,
            .replay = k == 1 });
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        guint natDrops;

        virFirewallStartTransaction(fw, 0);
        virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat", "-A",
                           "PREROUTING", "-j", "ACCEPT", NULL);
        ADD(fw, "10.9.9.9");
        assert_false(vfBackendApplyOne(b, fw, NULL, &err));
        assert_non_null(err);
        assert_true(t.refused >= 1);
        natDrops = GPOINTER_TO_UINT(g_hash_table_lookup(t.drops, "0:nat"));
        if (k == 2) {
            /* a table that was there is never asked for */
            assert_int_equal(g_hash_table_size(t.drops), 0);
        } else {
            /* every refusal after the nat restore committed put it back;
             * iptables' filter was never written */
            assert_int_equal(natDrops, t.refused);
            assert_int_equal(g_hash_table_size(t.drops), 1);
        }
        g_hash_table_unref(t.drops);
    }
}

/* Reverting a round (the log written, a later restore refused): the undo
 * of a rule added where the same rule stands higher up goes by position,
 * as a delete by spec would take the higher one (found by the kernel
 * differential's kept-tables run, step 106). */
typedef struct {
    GPtrArray *ipInputs;
} DupTool;

static void
dupToolAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    DupTool *t = opaque;

    if (g_str_equal(argv[0], "iptables-save"))
        res->out = g_strdup("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
                            ":OUTPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.1/32 -j ACCEPT\n"
                            "-A INPUT -s 10.0.0.2/32 -j ACCEPT\nCOMMIT\n");
    if (g_str_equal(argv[0], "ebtables-restore")) {
        res->status = 1;
        res->err = g_strdup("ebtables-restore: line 2 failed");
    }
    if (g_str_equal(argv[0], "iptables-restore"))
        g_ptr_array_add(t->ipInputs, g_strdup(input));
}

static void
test_restore_revert_duplicate(void **state)
{
    static const struct {
        const char *add;
        int insertAt;          /* 0: append */
        const char *undo;
    } cases[] = {
        { "10.0.0.1", 0, "\n-D INPUT 3\n" },                          /* above it */
        { "10.0.0.9", 0, "\n-D INPUT --source 10.0.0.9 --jump ACCEPT\n" }, /* unique */
        { "10.0.0.2", 2, "\n-D INPUT --source 10.0.0.2 --jump ACCEPT\n" }, /* only below */
        { "10.0.0.1", 2, "\n-D INPUT 2\n" },                          /* above it */
    };

    for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
        DupTool t = { g_ptr_array_new_with_free_func(g_free) };
        g_autoptr(vfRunner) rec = vfRunnerNewScripted(dupToolAnswer, &t);
        g_autoptr(vfBackend) b = vfBackendNew(&(vfBackendOptions){
            .kind = VF_BACKEND_RESTORE, .runner = rec, .wait_seconds = 10,
            .replay = TRUE });
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        gboolean found = FALSE;

        virFirewallStartTransaction(fw, 0);
        if (cases[k].insertAt)
            virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-I", "INPUT", "2",
                               "--source", cases[k].add, "--jump", "ACCEPT", NULL);
        else
            ADD(fw, cases[k].add);
        virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat", "-A",
                           "PREROUTING", "-j", "ACCEPT", NULL);
        assert_false(vfBackendApplyOne(b, fw, NULL, &err));
        for (guint i = 0; i < t.ipInputs->len; i++) {
            const char *in = g_ptr_array_index(t.ipInputs, i);
            if (strstr(in, "\n-D "))
                assert_non_null(strstr(in, cases[k].undo));
            found |= strstr(in, cases[k].undo) != NULL;
        }
        assert_true(found);
        g_ptr_array_unref(t.ipInputs);
    }
}

/* The text format's errors name the file and the line. */
static void
test_text_errors(void **state G_GNUC_UNUSED)
{
    static const struct { const char *text, *message; } cases[] = {
        { "ipv4 -A X -j ACCEPT", "t.txt:1: 'ipv4' before the first 'program'" },
        { "program a b", "t.txt:1: 'program' takes one name" },
        { "program a\n\n# c\ntransaction nope", "t.txt:4: unknown flag 'nope'" },
        { "program a\nrollback ignore-errors", "t.txt:2: unknown flag 'ignore-errors'" },
        { "program a\nipv5 -A X", "t.txt:2: unknown keyword or layer 'ipv5'" },
        { "program a\nipv4 query=nope -A X", "t.txt:2: unknown query callback 'nope'" },
        { "program a\nipv4 ignore", "t.txt:2: rule without arguments" },
        { "program a\nipv4 -A 'X", "t.txt:2: " },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(vfProgramSet) set = vfProgramSetParse(cases[i].text, "t.txt", &err);
        assert_null(set);
        assert_non_null(err);
        assert_true(g_error_matches(err, VF_ERROR, VF_ERROR_PARSE));
        if (!g_str_has_prefix(err->message, cases[i].message))
            fail_msg("'%s': got '%s', want '%s'", cases[i].text, err->message, cases[i].message);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_group),
        cmocka_unit_test(test_remove_rule),
        cmocka_unit_test(test_origins),
        cmocka_unit_test(test_many_groups),
        cmocka_unit_test(test_ignore_fail_group),
        cmocka_unit_test(test_ignore_fail_rule),
        cmocka_unit_test(test_no_rollback),
        cmocka_unit_test(test_single_rollback),
        cmocka_unit_test(test_many_rollback),
        cmocka_unit_test(test_chained_rollback),
        cmocka_unit_test(test_query_transaction),
        cmocka_unit_test(test_query_rollback),
        cmocka_unit_test(test_auto_rollback),
        cmocka_unit_test(test_rule_outside_transaction),
        cmocka_unit_test(test_restore_processes_flat),
        cmocka_unit_test(test_restore_lock),
        cmocka_unit_test(test_restore_while_writing),
        cmocka_unit_test(test_restore_listing_refused),
        cmocka_unit_test(test_restore_drop_created),
        cmocka_unit_test(test_restore_revert_duplicate),
        cmocka_unit_test(test_restore_layers_side_by_side),
        cmocka_unit_test(test_restore_keep_tables),
        cmocka_unit_test(test_restore_prepare_async),
        cmocka_unit_test(test_text_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
