/*
 * test-conf.c: the virConf parser and network.conf's firewall_backend
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "conf/vfconf.h"
#include "firewall/error.h"

static char *
dataPath(const char *name)
{
    const char *dir = g_getenv("VF_TESTDATA");

    assert_non_null(dir);
    return g_build_filename(dir, "conf", name, NULL);
}

static gboolean
restoreToolsInPath(void)
{
    static const char *const tools[] = {
        "iptables-restore", "ip6tables-restore", "ebtables-restore",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(tools); i++) {
        g_autofree char *path = g_find_program_in_path(tools[i]);

        if (!path)
            return FALSE;
    }
    return TRUE;
}

static vfConf *
parseOk(const char *text)
{
    g_autoptr(GError) err = NULL;
    vfConf *conf = NULL;

    if (!vfConfParse("test.conf", text, &conf, &err))
        fail_msg("unexpected error: %s", err->message);
    return conf;
}

static void
test_values(void **state)
{
    g_autoptr(vfConf) conf = parseOk(
        "# comment\n"
        "\n"
        "   str = \"hello world\"  # trailing comment\n"
        "sq='single'; num = 42 ;neg=-7\n"
        "plus = +3\n"
        "empty = \"\"\n"
        "triple = \"\"\"line1\n"
        "line2\"\"\"\n"
        "list = [ \"a\", 'b',\n"
        "         1,\n"
        "         [ ], ]\n"
        "list2=[]\n"
        "Name_2 = 0\n");
    const vfConfValue *v;

    v = vfConfGetValue(conf, "str");
    assert_int_equal(v->type, VF_CONF_STRING);
    assert_string_equal(v->str, "hello world");
    assert_string_equal(vfConfGetValue(conf, "sq")->str, "single");
    assert_int_equal(vfConfGetValue(conf, "num")->number, 42);
    assert_int_equal(vfConfGetValue(conf, "neg")->number, -7);
    assert_int_equal(vfConfGetValue(conf, "plus")->number, 3);
    assert_string_equal(vfConfGetValue(conf, "empty")->str, "");
    assert_string_equal(vfConfGetValue(conf, "triple")->str, "line1\nline2");

    v = vfConfGetValue(conf, "list");
    assert_int_equal(v->type, VF_CONF_LIST);
    assert_int_equal(v->list->len, 4);
    assert_string_equal(((vfConfValue *)g_ptr_array_index(v->list, 0))->str, "a");
    assert_string_equal(((vfConfValue *)g_ptr_array_index(v->list, 1))->str, "b");
    assert_int_equal(((vfConfValue *)g_ptr_array_index(v->list, 2))->number, 1);
    assert_int_equal(((vfConfValue *)g_ptr_array_index(v->list, 3))->list->len, 0);
    assert_int_equal(vfConfGetValue(conf, "list2")->list->len, 0);
    assert_int_equal(vfConfGetValue(conf, "Name_2")->number, 0);
    assert_null(vfConfGetValue(conf, "missing"));
    /* line numbers follow the multi-line string and list */
    assert_int_equal(vfConfGetLine(conf, "list"), 9);
    assert_int_equal(vfConfGetLine(conf, "Name_2"), 13);
}

static void
test_first_wins(void **state)
{
    g_autoptr(vfConf) conf = parseOk("a = \"one\"\na = \"two\"\n");
    g_autofree char *val = NULL;

    assert_int_equal(vfConfGetString(conf, "a", &val, NULL), 1);
    assert_string_equal(val, "one");
}

static void
test_empty(void **state)
{
    g_autoptr(vfConf) a = parseOk("");
    g_autoptr(vfConf) b = parseOk("\n  \n# only a comment");
    g_autoptr(vfConf) c = parseOk("x = 1");  /* no final newline */

    assert_null(vfConfGetValue(a, "x"));
    assert_null(vfConfGetValue(b, "x"));
    assert_int_equal(vfConfGetValue(c, "x")->number, 1);
}

static void
test_malformed(void **state)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        { "a = \"open\n", "test.conf:1: unterminated string" },
        { "a = 'open\n", "test.conf:1: unterminated string" },
        { "\n\na = \"\"\"never\nclosed\n", "test.conf:3: unterminated string" },
        { "a = \n", "test.conf:1: expecting a value" },
        { "a = b\n", "test.conf:1: expecting a value" },
        { "a\n", "test.conf:1: expecting an assignment" },
        { "a : 1\n", "test.conf:1: expecting an assignment" },
        { "1a = 2\n", "test.conf:1: expecting a name" },
        { "_a = 2\n", "test.conf:1: expecting a name" },
        { "a = 1 2\n", "test.conf:1: expecting a separator" },
        { "a = \"x\" \"y\"\n", "test.conf:1: expecting a separator" },
        { "a = [ \"x\" \"y\" ]\n", "test.conf:1: expecting a separator in list" },
        { "a = [ \"x\",\n  \"y\"\n", "test.conf:3: list is not closed with ]" },
        { "a = [ \"x\",\n # no comment in a list\n \"y\" ]\n",
          "test.conf:2: expecting a value" },
        { "a = -\n", "test.conf:1: unterminated number" },
        { "a = 99999999999999999999\n", "test.conf:1: number out of range" },
        { "ok = 1\nbad\n", "test.conf:2: expecting an assignment" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        vfConf *conf = NULL;

        if (vfConfParse("test.conf", cases[i].text, &conf, &err))
            fail_msg("case %zu parsed: %s", i, cases[i].text);
        assert_null(conf);
        assert_true(g_error_matches(err, VF_ERROR, VF_ERROR_PARSE));
        if (!g_str_equal(err->message, cases[i].message))
            fail_msg("case %zu: got '%s', expected '%s'", i, err->message,
                     cases[i].message);
    }
}

static void
test_number_limits(void **state)
{
    g_autoptr(vfConf) conf = parseOk("max = 9223372036854775807\n"
                                     "min = -9223372036854775808\n");

    assert_true(vfConfGetValue(conf, "max")->number == G_MAXINT64);
    assert_true(vfConfGetValue(conf, "min")->number == G_MININT64);
}

static void
test_load_files(void **state)
{
    g_autofree char *libvirt = dataPath("libvirt-network.conf.in");
    g_autofree char *restore = dataPath("restore.conf");
    g_autofree char *bad = dataPath("bad-syntax.conf");
    g_autofree char *missing = dataPath("does-not-exist.conf");
    g_autofree char *expected = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(vfConf) conf = NULL;
    vfConf *none = NULL;

    /* libvirt's shipped network.conf: comments only */
    assert_true(vfConfLoad(libvirt, FALSE, &conf, &err));
    assert_null(vfConfGetValue(conf, "firewall_backend"));
    g_clear_pointer(&conf, vfConfFree);

    assert_true(vfConfLoad(restore, FALSE, &conf, &err));
    assert_int_equal(vfConfGetValue(conf, "some_list")->list->len, 2);
    g_clear_pointer(&conf, vfConfFree);

    assert_false(vfConfLoad(bad, FALSE, &none, &err));
    expected = g_strdup_printf("%s:4: expecting a separator in list", bad);
    assert_string_equal(err->message, expected);
    g_clear_error(&err);

    assert_false(vfConfLoad(missing, FALSE, &none, &err));
    assert_true(g_error_matches(err, VF_ERROR, VF_ERROR_PARSE));
    assert_non_null(strstr(err->message, "does-not-exist.conf"));
    g_clear_error(&err);

    assert_true(vfConfLoad(missing, TRUE, &conf, &err));
    assert_null(vfConfGetValue(conf, "firewall_backend"));
}

/* ---- firewall_backend ---- */

/* A runner that answers every probe with a scripted status. */
typedef struct {
    vfRunner parent;
    const char *fail_tool;  /* this tool exits with fail_status */
    int fail_status;
    GPtrArray *seen;        /* basenames of the tools run */
} FakeRunner;

static gboolean
fakeRun(vfRunner *runner, const char *const *argv, const char *input,
        vfRunResult *res, GError **error)
{
    FakeRunner *self = (FakeRunner *)runner;
    g_autofree char *base = g_path_get_basename(argv[0]);

    g_ptr_array_add(self->seen, g_strdup(base));
    assert_string_equal(argv[1], "--version");
    assert_null(argv[2]);
    res->status = g_strcmp0(base, self->fail_tool) == 0 ? self->fail_status : 0;
    res->out = g_strdup("");
    res->err = g_strdup("");
    return TRUE;
}

static void
fakeInit(FakeRunner *fake, const char *fail_tool, int fail_status)
{
    memset(fake, 0, sizeof(*fake));
    fake->parent.run = fakeRun;
    fake->fail_tool = fail_tool;
    fake->fail_status = fail_status;
    fake->seen = g_ptr_array_new_with_free_func(g_free);
}

static void
backendFromText(const char *text, vfRunner *runner, vfBackendKind *kind,
                char **reason)
{
    g_autoptr(vfConf) conf = parseOk(text);
    g_autoptr(GError) err = NULL;

    if (!vfConfGetFirewallBackend(conf, runner, kind, reason, &err))
        fail_msg("unexpected error: %s", err->message);
}

static void
test_backend_explicit(void **state)
{
    FakeRunner fake;
    vfBackendKind kind;
    g_autofree char *reason = NULL;

    fakeInit(&fake, NULL, 0);
    backendFromText("firewall_backend = \"iptables\"\n", &fake.parent,
                    &kind, &reason);
    assert_int_equal(kind, VF_BACKEND_EXEC);
    assert_string_equal(reason, "firewall_backend = \"iptables\" in test.conf: "
                        "exec backend: one iptables process per rule, as libvirt");
    g_clear_pointer(&reason, g_free);

    backendFromText("x = [1]\nfirewall_backend = 'iptables-restore'\n",
                    &fake.parent, &kind, &reason);
    assert_int_equal(kind, VF_BACKEND_RESTORE);
    assert_non_null(strstr(reason, "restore backend"));

    /* an explicit choice probes nothing */
    assert_int_equal(fake.seen->len, 0);
    g_ptr_array_unref(fake.seen);
}

static void
test_backend_invalid(void **state)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        { "\nfirewall_backend = \"nft\"\n",
          "test.conf:2: unsupported firewall_backend value 'nft' "
          "(expected \"iptables\", \"iptables-restore\" or \"nftables\")" },
        { "firewall_backend = \"NFTABLES\"\n",
          "test.conf:1: unsupported firewall_backend value 'NFTABLES' "
          "(expected \"iptables\", \"iptables-restore\" or \"nftables\")" },
        { "firewall_backend = \"IPTABLES\"\n",
          "test.conf:1: unsupported firewall_backend value 'IPTABLES' "
          "(expected \"iptables\", \"iptables-restore\" or \"nftables\")" },
        { "firewall_backend = \"\"\n",
          "test.conf:1: unsupported firewall_backend value '' "
          "(expected \"iptables\", \"iptables-restore\" or \"nftables\")" },
        { "a=1\n\n\nfirewall_backend = 1\n",
          "test.conf:4: expected a string for 'firewall_backend' parameter" },
        { "firewall_backend = [ \"iptables\" ]\n",
          "test.conf:1: expected a string for 'firewall_backend' parameter" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(vfConf) conf = parseOk(cases[i].text);
        g_autoptr(GError) err = NULL;
        g_autofree char *reason = NULL;
        vfBackendKind kind;

        assert_false(vfConfGetFirewallBackend(conf, NULL, &kind, &reason, &err));
        assert_true(g_error_matches(err, VF_ERROR, VF_ERROR_INVALID));
        if (!g_str_equal(err->message, cases[i].message))
            fail_msg("case %zu: got '%s', expected '%s'", i, err->message,
                     cases[i].message);
    }
}

/* libvirt >= 10.4's "nftables": the networks are libvirt's, the bindings
 * ours, with the backend the tools allow (as when nothing is set) */
static void
test_backend_nftables(void **state)
{
    static const struct {
        const char *text;
        gboolean nft;
    } values[] = {
        { "firewall_backend = \"nftables\"\n", TRUE },
        { "firewall_backend = 'nftables'\n", TRUE },
        { "firewall_backend = \"iptables\"\n", FALSE },
        { "firewall_backend = \"iptables-restore\"\n", FALSE },
        { "# not set\n", FALSE },
        { "firewall_backend = 1\n", FALSE },
    };
    FakeRunner fake;
    vfBackendKind kind;
    g_autofree char *reason = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autoptr(vfConf) conf = parseOk(values[i].text);
        if (vfConfNetworksUseNftables(conf) != values[i].nft)
            fail_msg("'%s': networks use nftables: %d", values[i].text, !values[i].nft);
    }
    assert_false(vfConfNetworksUseNftables(NULL));

    fakeInit(&fake, NULL, 0);
    backendFromText("firewall_backend = \"nftables\"\n", &fake.parent, &kind, &reason);
    assert_int_equal(kind, VF_BACKEND_RESTORE);
    assert_string_equal(reason, "firewall_backend = \"nftables\" in test.conf: the networks' "
                        "rules are libvirt's own nftables tables; for the filter bindings "
                        "iptables-restore, ip6tables-restore and ebtables-restore found "
                        "and working: restore backend: one *-restore process per table");
    /* the tools were probed, as when nothing is set */
    assert_int_equal(fake.seen->len, 3);
    g_ptr_array_unref(fake.seen);
    g_clear_pointer(&reason, g_free);

    fakeInit(&fake, "ebtables-restore", 127);
    backendFromText("firewall_backend = \"nftables\"\n", &fake.parent, &kind, &reason);
    assert_int_equal(kind, VF_BACKEND_EXEC);
    assert_non_null(strstr(reason, "libvirt's own nftables tables"));
    assert_non_null(strstr(reason, "exec backend"));
    g_ptr_array_unref(fake.seen);
}

static void
test_backend_file(void **state)
{
    g_autofree char *path = dataPath("bad-value.conf");
    g_autofree char *expected = NULL;
    g_autoptr(vfConf) conf = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *reason = NULL;
    vfBackendKind kind;

    assert_true(vfConfLoad(path, FALSE, &conf, &err));
    assert_false(vfConfGetFirewallBackend(conf, NULL, &kind, &reason, &err));
    expected = g_strdup_printf("%s:2: unsupported firewall_backend value "
                               "'nft' (expected \"iptables\", "
                               "\"iptables-restore\" or \"nftables\")", path);
    assert_string_equal(err->message, expected);
}

static void
test_backend_detect(void **state)
{
    FakeRunner fake;
    vfBackendKind kind;
    g_autofree char *reason = NULL;

    if (!restoreToolsInPath())
        skip();

    /* all three start: restore */
    fakeInit(&fake, NULL, 0);
    backendFromText("other = 1\n", &fake.parent, &kind, &reason);
    assert_int_equal(kind, VF_BACKEND_RESTORE);
    assert_string_equal(reason,
                        "firewall_backend not set in test.conf; "
                        "iptables-restore, ip6tables-restore and "
                        "ebtables-restore found and working: restore backend: "
                        "one *-restore process per table");
    assert_int_equal(fake.seen->len, 3);
    assert_string_equal(g_ptr_array_index(fake.seen, 0), "iptables-restore");
    assert_string_equal(g_ptr_array_index(fake.seen, 1), "ip6tables-restore");
    g_ptr_array_unref(fake.seen);
    g_clear_pointer(&reason, g_free);

    /* ip6tables-restore broken: exec, and the reason says why */
    fakeInit(&fake, "ip6tables-restore", 1);
    backendFromText("", &fake.parent, &kind, &reason);
    assert_int_equal(kind, VF_BACKEND_EXEC);
    assert_non_null(strstr(reason, "ip6tables-restore --version' exited with status 1"));
    assert_non_null(strstr(reason, "exec backend"));
    assert_int_equal(fake.seen->len, 2);
    g_ptr_array_unref(fake.seen);
    g_clear_pointer(&reason, g_free);

    /* ebtables-restore has no --version: exit 1 is fine, 127 is not */
    fakeInit(&fake, "ebtables-restore", 1);
    backendFromText("", &fake.parent, &kind, &reason);
    assert_int_equal(kind, VF_BACKEND_RESTORE);
    g_ptr_array_unref(fake.seen);
    g_clear_pointer(&reason, g_free);

    fakeInit(&fake, "ebtables-restore", 127);
    backendFromText("", &fake.parent, &kind, &reason);
    assert_int_equal(kind, VF_BACKEND_EXEC);
    g_ptr_array_unref(fake.seen);
    g_clear_pointer(&reason, g_free);

    /* no configuration file at all */
    fakeInit(&fake, NULL, 0);
    assert_true(vfConfGetFirewallBackend(NULL, &fake.parent, &kind, &reason,
                                         NULL));
    assert_int_equal(kind, VF_BACKEND_RESTORE);
    assert_non_null(strstr(reason, "not set in (no file)"));
    g_ptr_array_unref(fake.seen);
}

static void
test_backend_not_in_path(void **state)
{
    g_autofree char *oldPath = g_strdup(g_getenv("PATH"));
    g_autofree char *dir = g_dir_make_tmp("vfconf-XXXXXX", NULL);
    FakeRunner fake;
    vfBackendKind kind;
    g_autofree char *reason = NULL;

    assert_non_null(dir);
    g_setenv("PATH", dir, TRUE);
    fakeInit(&fake, NULL, 0);
    backendFromText("", &fake.parent, &kind, &reason);
    g_setenv("PATH", oldPath, TRUE);
    g_rmdir(dir);

    assert_int_equal(kind, VF_BACKEND_EXEC);
    assert_string_equal(reason, "firewall_backend not set in test.conf; "
                        "iptables-restore not found in PATH: exec backend: "
                        "one iptables process per rule, as libvirt");
    assert_int_equal(fake.seen->len, 0);
    g_ptr_array_unref(fake.seen);
}

/* The real probe, with real processes (only --version: no firewall is
 * touched). It must agree with the tools installed. */
static void
test_backend_real_probe(void **state)
{
    vfBackendKind kind;
    g_autofree char *reason = NULL;
    g_autofree char *reason2 = NULL;

    assert_true(vfConfGetFirewallBackend(NULL, NULL, &kind, &reason, NULL));
    if (restoreToolsInPath())
        assert_int_equal(kind, VF_BACKEND_RESTORE);
    /* the cached second answer is the same */
    assert_true(vfConfGetFirewallBackend(NULL, NULL, &kind, &reason2, NULL));
    assert_string_equal(reason, reason2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_first_wins),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_number_limits),
        cmocka_unit_test(test_load_files),
        cmocka_unit_test(test_backend_explicit),
        cmocka_unit_test(test_backend_invalid),
        cmocka_unit_test(test_backend_nftables),
        cmocka_unit_test(test_backend_file),
        cmocka_unit_test(test_backend_detect),
        cmocka_unit_test(test_backend_not_in_path),
        cmocka_unit_test(test_backend_real_probe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
