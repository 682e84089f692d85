/*
 * test-firewall-model: the model's apply semantics, as libvirt's
 * tests/virfirewalltest.c checks them, through the exec backend with an
 * injected fake runner; and the text format's errors.
 */
#include "firewall-fixtures.h"

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
        cmocka_unit_test(test_text_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
