/*
 * test-savefmt: rules as *-save prints them (savefmt.h), and *-save texts
 * with hostile names and comments read by the snapshot (no root).
 *
 * Every line below was printed by iptables-save / ebtables-save 1.8.9
 * (nf_tables, Debian 12) in a private namespace for the rule shown
 * (tests/kernel/test-render-roundtrip and test-normalize-kernel check the
 * same against the tools on every run).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "restore/savefmt.h"
#include "restore/snapshot.h"
#include "restore/command.h"

#define EB VIR_FIREWALL_LAYER_ETHERNET
#define IP4 VIR_FIREWALL_LAYER_IPV4
#define V4 VIR_FIREWALL_LAYER_IPV4

typedef struct {
    virFirewallLayer layer;
    const char *tokens[10];
    const char *saved;   /* after "-A CHAIN " */
} SaveCase;

static const SaveCase cases[] = {
    /* xtables_save_string(): quoted unless [A-Za-z0-9_-]+ */
    {V4, {"-m", "comment", "--comment", "plain_word-09", "-j", "ACCEPT"},
     "-m comment --comment plain_word-09 -j ACCEPT"},
    {V4, {"-m", "comment", "--comment", "dot.colon:slash/", "-j", "ACCEPT"},
     "-m comment --comment \"dot.colon:slash/\" -j ACCEPT"},
    {V4, {"-m", "comment", "--comment", "sin'gle", "-j", "ACCEPT"},
     "-m comment --comment \"sin\\'gle\" -j ACCEPT"},
    {V4, {"-m", "comment", "--comment", "q\"uote", "-j", "ACCEPT"},
     "-m comment --comment \"q\\\"uote\" -j ACCEPT"},
    {V4, {"-m", "comment", "--comment", "back\\slash", "-j", "ACCEPT"},
     "-m comment --comment \"back\\\\slash\" -j ACCEPT"},
    {V4, {"-m", "comment", "--comment", "n\xc3\xa9" "e", "-j", "ACCEPT"},
     "-m comment --comment \"n\xc3\xa9" "e\" -j ACCEPT"},
    {V4, {"-m", "comment", "--comment", "-j", "-j", "ACCEPT"},
     "-m comment --comment -j -j ACCEPT"},   /* a value, not an option */
    {V4, {"-m", "comment", "--comment", "", "-j", "ACCEPT"},
     "-m comment --comment \"\" -j ACCEPT"},
    {V4, {"-m", "comment", "--comment", "new\n:FAKE - [0:0]\n-A INPUT -j DROP", "-j", "ACCEPT"},
     "-m comment --comment \"new\n:FAKE - [0:0]\n-A INPUT -j DROP\" -j ACCEPT"},
    {V4, {"-j", "LOG", "--log-prefix", "a \"b\\c'd."},
     "-j LOG --log-prefix \"a \\\"b\\\\c\\'d.\""},
    {V4, {"-j", "NFLOG", "--nflog-prefix", "x y\""},
     "-j NFLOG --nflog-prefix \"x y\\\"\""},
    /* names as they are */
    {V4, {"-i", "a\"b", "-j", "x\"y"}, "-i a\"b -j x\"y"},
    {V4, {"-i", "a\tb", "-j", "ACCEPT"}, "-i a\tb -j ACCEPT"},
    {V4, {"-m", "physdev", "--physdev-in", "p\"q", "--physdev-out", "r\\s", "-j", "ACCEPT"},
     "-m physdev --physdev-in p\"q --physdev-out r\\s -j ACCEPT"},
    {V4, {"-j", "\"q"}, "-j \"q"},
    {EB, {"-i", "v\"x", "-j", "libvirt-J-v\"x"}, "-i v\"x -j libvirt-J-v\"x"},
    {EB, {"-i", "v'x", "-j", "e'f"}, "-i v'x -j e'f"},
    {EB, {"-s", "!", "52:54:00:00:00:01", "-j", "DROP"}, "-s ! 52:54:00:00:00:01 -j DROP"},
    /* ebtables' prefixes: always quoted, nothing escaped */
    {EB, {"--log-level", "notice", "--log-prefix", "ab\\", "-j", "ACCEPT"},
     "--log-level notice --log-prefix \"ab\\\" -j ACCEPT"},
    {EB, {"--log-level", "info", "--log-prefix", "it's", "-j", "ACCEPT"},
     "--log-level info --log-prefix \"it's\" -j ACCEPT"},
    {EB, {"--nflog-prefix", "n\\x", "--nflog-group", "2", "-j", "ACCEPT"},
     "--nflog-prefix \"n\\x\" --nflog-group 2 -j ACCEPT"},
    {EB, {"--log-level", "notice", "--log-prefix", "l\nn", "-j", "ACCEPT"},
     "--log-level notice --log-prefix \"l\nn\" -j ACCEPT"},
};

static gboolean
strvEqual(const char *const *a, const char *const *b)
{
    gsize i = 0;

    for (; a[i] && b[i]; i++) {
        if (strcmp(a[i], b[i]) != 0)
            return FALSE;
    }
    return !a[i] && !b[i];
}

static void
test_cases(void **state G_GNUC_UNUSED)
{
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const SaveCase *c = &cases[i];
        const char *end = c->saved + strlen(c->saved);
        g_autoptr(GString) out = g_string_new(NULL);
        g_auto(GStrv) back = vfSaveSplitRule(c->layer, c->saved, end);

        vfSaveFormatRule(out, c->layer, c->tokens);
        if (strcmp(out->str, c->saved) != 0)
            fail_msg("case %zu printed '%s', *-save '%s'", i, out->str, c->saved);
        if (vfSaveRuleIsOpaque((const char *const *)back) ||
            !strvEqual((const char *const *)back, c->tokens))
            fail_msg("case %zu: '%s' not read back", i, c->saved);
        /* a comment "-j" is no jump */
        if (vfSpecTarget(c->tokens) && g_str_equal(vfSpecTarget(c->tokens), "-j"))
            fail_msg("case %zu: the target is a comment", i);
        /* a plain line is one cut at its blanks */
        assert_int_equal(vfSaveRuleIsPlain(c->layer, c->saved, end),
                         !strchr(c->saved, '"') && !strchr(c->saved, '\n'));
    }
}

/* What no reading can give back exactly: held as opaque rules. */
static void
test_opaque(void **state G_GNUC_UNUSED)
{
    static const struct {
        virFirewallLayer layer;
        const char *saved;
    } texts[] = {
        {V4, "-i a b -j ACCEPT"},          /* a blank in an interface name */
        {EB, "-i a b -j ACCEPT"},
        {V4, "-i a  -j ACCEPT"},           /* blanks in a row */
        {V4, " -j ACCEPT"},
        {V4, "-j ACCEPT "},
        {V4, "-m string --string \"x \\\"y\\\\z\" --algo bm"},  /* quoted, we print raw */
        {V4, "-m comment --comment a.b -j ACCEPT"},   /* not how *-save prints it */
        {V4, "-m comment --comment \"x\"y -j ACCEPT"},
        {EB, "--log-prefix abc -j ACCEPT"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
        const char *t = texts[i].saved, *end = t + strlen(t);
        g_auto(GStrv) rule = vfSaveSplitRule(texts[i].layer, t, end);
        g_autoptr(GString) out = g_string_new(NULL);

        if (!vfSaveRuleIsOpaque((const char *const *)rule))
            fail_msg("'%s' read as if exact", t);
        assert_false(vfSaveRuleIsPlain(texts[i].layer, t, end));
        assert_string_equal(vfSaveOpaqueText((const char *const *)rule), t);
        vfSaveFormatRule(out, texts[i].layer, (const char *const *)rule);
        assert_string_equal(out->str, t);   /* printed back verbatim */
    }
}

/* Where a line of *-save ends. */
static void
test_line_end(void **state G_GNUC_UNUSED)
{
    static const char ip[] =
        "-A INPUT -m comment --comment \"x\n:FAKE - [0:0]\n-A FAKE -j DROP\n*nat\nCOMMIT\" -j ACCEPT\n"
        "-A INPUT -i a\"b -j ACCEPT\n"
        "-A INPUT -j ACCEPT\n";
    static const char eb[] =
        ":n\nl ACCEPT\n"
        "-A n\nl -j ACCEPT\n"
        "-A INPUT --log-prefix \"p\n-A INPUT -j DROP\" -j ACCEPT\n";
    const char *end = ip + strlen(ip), *le;

    le = vfSaveLineEnd(V4, ip, ip + strlen("-A INPUT "), end);
    assert_ptr_equal(le, strstr(ip, " -j ACCEPT\n") + strlen(" -j ACCEPT"));
    le = vfSaveLineEnd(V4, le + 1, le + 1 + strlen("-A INPUT "), end);
    assert_ptr_equal(le, strstr(ip, "a\"b -j ACCEPT\n") + strlen("a\"b -j ACCEPT"));

    end = eb + strlen(eb);
    le = vfSaveLineEnd(EB, eb, NULL, end);
    assert_ptr_equal(le, eb + strlen(":n\nl ACCEPT"));
    le = vfSaveLineEnd(EB, le + 1, le + 1 + strlen("-A n\nl "), end);
    assert_ptr_equal(le, strstr(eb, "l -j ACCEPT\n") + strlen("l -j ACCEPT"));
    le = vfSaveLineEnd(EB, le + 1, le + 1 + strlen("-A INPUT "), end);
    assert_ptr_equal(le, end - 1);

    /* a name ending in a line break, the rule empty: the line ends after
     * the name, never before the rule (found by fuzz-snapshot) */
    {
        static const char nl[] = "-A n\n";
        const char *nlEnd = nl + strlen(nl);
        assert_ptr_equal(vfSaveLineEnd(EB, nl, nlEnd, nlEnd), nlEnd);
        assert_ptr_equal(vfSaveLineEnd(V4, nl, nlEnd, nlEnd), nlEnd);
    }
}

static char *
rulesOf(vfTable *t, const char *chain)
{
    vfChain *c = vfTableGetChain(t, chain);
    GPtrArray *rules;
    g_autoptr(GString) out = g_string_new(NULL);

    if (!c)
        return g_strdup("(no chain)");
    rules = vfChainRules(t, c);
    for (guint i = 0; i < rules->len; i++) {
        vfSaveFormatRule(out, t->layer, g_ptr_array_index(rules, i));
        g_string_append_c(out, '|');
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Foreign objects the real tools made (printed as shown): read, never a
 * reason to stop; what cannot be read is left alone. */
static void
test_snapshot(void **state G_GNUC_UNUSED)
{
    static const char ip[] =
        "# Generated by iptables-save v1.8.9 (nf_tables)\n"
        "*filter\n"
        ":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        ":a\"b - [0:0]\n:c\\d - [0:0]\n:e'f - [0:0]\n"
        "-A INPUT -m comment --comment \"new\n:FAKE - [0:0]\n-A INPUT -j DROP\" -j ACCEPT\n"
        "-A INPUT -m comment --comment \"*nat\nCOMMIT\" -j ACCEPT\n"
        "-A INPUT -i v\"x -j a\"b\n"
        "-A INPUT -i a b -j ACCEPT\n"
        "-A INPUT -m comment --comment -j -j c\\d\n"
        "-A a\"b -j ACCEPT\n"
        "COMMIT\n"
        "# Completed\n";
    static const char eb[] =
        "*filter\n"
        ":INPUT ACCEPT\n:FORWARD ACCEPT\n:OUTPUT ACCEPT\n"
        ":\" ACCEPT\n:g h ACCEPT\n:g ACCEPT\n:n\nl ACCEPT\n"
        "-A INPUT --log-level notice --log-prefix \"l\nn\" -j ACCEPT\n"
        "-A INPUT -i v\"x -j g h\n"
        "-A g h -j ACCEPT\n"
        "-A g -j DROP\n"
        "-A n\nl -j ACCEPT\n"
        "*broute\n"
        ":BROUTING ACCEPT\n"
        "-A BROUTING -j DROP\n"
        "*nat\n"
        ":PREROUTING ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\n"
        "-A nosuchchain -j ACCEPT\n";
    g_autoptr(vfTableSet) set4 = vfTableSetNew(V4);
    g_autoptr(vfTableSet) setEb = vfTableSetNew(EB);
    g_autofree char *r = NULL, *text = NULL;
    vfTable *t;

    assert_true(vfSnapshotParse(set4, ip, NULL));
    t = vfTableSetGet(set4, "filter");
    assert_null(vfTableGetChain(t, "FAKE"));
    assert_null(vfTableSetGet(set4, "nat"));
    assert_non_null(vfTableGetChain(t, "c\\d"));
    assert_non_null(vfTableGetChain(t, "e'f"));
    assert_int_equal(vfTableCountReferences(t, "a\"b"), 1);
    /* a comment "-j" is no jump: counted unparsed as parsed */
    assert_int_equal(vfTableCountReferences(t, "c\\d"), 1);
    r = rulesOf(t, "INPUT");
    assert_string_equal(r,
        "-m comment --comment \"new\n:FAKE - [0:0]\n-A INPUT -j DROP\" -j ACCEPT|"
        "-m comment --comment \"*nat\nCOMMIT\" -j ACCEPT|"
        "-i v\"x -j a\"b|-i a b -j ACCEPT|-m comment --comment -j -j c\\d|");
    assert_int_equal(vfTableCountReferences(t, "c\\d"), 1);
    g_free(r);
    r = rulesOf(t, "a\"b");
    assert_string_equal(r, "-j ACCEPT|");
    /* everything was read: the tables print as *-save did */
    assert_false(set4->inexact);
    text = vfTableSetFormat(set4);
    assert_non_null(strstr(ip, text));

    assert_true(vfSnapshotParse(setEb, eb, NULL));
    t = vfTableSetGet(setEb, "filter");
    g_free(r);
    r = rulesOf(t, "g h");
    assert_string_equal(r, "-j ACCEPT|");
    g_free(r);
    r = rulesOf(t, "g");
    assert_string_equal(r, "-j DROP|");
    g_free(r);
    r = rulesOf(t, "n\nl");
    assert_string_equal(r, "-j ACCEPT|");
    g_free(r);
    r = rulesOf(t, "\"");
    assert_string_equal(r, "");
    g_free(r);
    r = rulesOf(t, "INPUT");
    assert_string_equal(r, "--log-level notice --log-prefix \"l\nn\" -j ACCEPT|"
                           "-i v\"x -j g h|");
    /* "-j g h" may be a jump to "g" with a word "h": opaque, kept as it is
     * (its jump is not counted: the tool refuses an -X of "g h", learned) */
    assert_int_equal(vfTableCountReferences(t, "g h"), 0);
    /* a table this tool does not know, a rule of no chain: left alone */
    assert_null(vfTableSetGet(setEb, "broute"));
    assert_non_null(vfTableSetGet(setEb, "nat"));
    assert_true(setEb->inexact);
}

/* A quoted word that does not close reads to the end of the text; other
 * text after it (the tables printed in another order) could close it, so
 * the set is not recorded as what *-save prints (found by fuzz-snapshot). */
static void
test_open_quote(void **state G_GNUC_UNUSED)
{
    static const char open[] =
        "*nat\n:\" r\n:T -\n*filter\n-A INPUT --log-prefix \"\n";
    static const char closed[] =
        "*nat\n:\" r\n:T -\n*filter\n-A INPUT --log-prefix \"p\" -j ACCEPT\n";
    g_autoptr(vfTableSet) a = vfTableSetNew(EB);
    g_autoptr(vfTableSet) b = vfTableSetNew(EB);
    g_autofree char *r = NULL;

    assert_true(vfSnapshotParse(a, open, NULL));
    assert_true(a->inexact);
    /* the line is kept as read */
    r = rulesOf(vfTableSetGet(a, "filter"), "INPUT");
    assert_string_equal(r, "--log-prefix \"|");
    assert_true(vfSnapshotParse(b, closed, NULL));
    assert_false(b->inexact);
}

/* A chain whose name holds a blank, declared after "-A" lines that its
 * name would have claimed: they were read as a shorter name's, as the
 * tables printed in *-save's order (declarations first) would not read
 * them; not recorded as what *-save prints (found by fuzz-snapshot). */
static void
test_late_odd_name(void **state G_GNUC_UNUSED)
{
    static const char late[] = "*filter\n-A INPUT -m\n:INPUT -m ]\n-A FORWARD\n";
    static const char first[] = "*filter\n:INPUT -m ]\n-A INPUT -m\n-A FORWARD\n";
    g_autoptr(vfTableSet) a = vfTableSetNew(EB);
    g_autoptr(vfTableSet) b = vfTableSetNew(EB);
    g_autofree char *r = NULL;

    assert_true(vfSnapshotParse(a, late, NULL));
    assert_true(a->inexact);
    r = rulesOf(vfTableSetGet(a, "filter"), "INPUT");
    assert_string_equal(r, "-m|");
    /* declared first, the name owns its line: read exactly */
    assert_true(vfSnapshotParse(b, first, NULL));
    assert_false(b->inexact);
    g_free(r);
    r = rulesOf(vfTableSetGet(b, "filter"), "INPUT -m");
    assert_string_equal(r, "|");
}

/* *-save -c: counters taken off the rule lines, the rest as it is; a
 * quoted line break does not end a rule line, a counted line does end a
 * name's line break run. */
static void
test_counters(void **state G_GNUC_UNUSED)
{
    static const char text[] =
        "# Generated by iptables-save\n*filter\n:INPUT ACCEPT [5:300]\n:FI-vnet0 - [0:0]\n"
        "[12:3456] -A INPUT -j FI-vnet0\n"
        "[1:2] -A FI-vnet0 -m comment --comment \"a\n[9:9] -A x\" -j ACCEPT\n"
        "-A FI-vnet0 -j DROP\n"
        "[18446744073709551609:0] -A FI-vnet0 -j RETURN\nCOMMIT\n";
    static const char plain[] =
        "# Generated by iptables-save\n*filter\n:INPUT ACCEPT [5:300]\n:FI-vnet0 - [0:0]\n"
        "-A INPUT -j FI-vnet0\n"
        "-A FI-vnet0 -m comment --comment \"a\n[9:9] -A x\" -j ACCEPT\n"
        "-A FI-vnet0 -j DROP\n"
        "-A FI-vnet0 -j RETURN\nCOMMIT\n";
    /* no counters: an overflow, no blank, no "-A", an empty number */
    static const char odd[] =
        "*filter\n-A X\n[99999999999999999999:0] -A X -j RETURN\n[3:4]-A X\n"
        "[3:4] -B X\n[:4] -A X\n[3:4] -A";
    g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func((GDestroyNotify)vfSaveCountedFree);
    g_autofree char *out = vfSaveReadCounters(IP4, text, strlen(text), rules);
    vfSaveCounted *c;

    assert_string_equal(out, plain);
    assert_int_equal(rules->len, 4);
    c = g_ptr_array_index(rules, 0);
    assert_string_equal(c->table, "filter");
    assert_string_equal(c->line, "-A INPUT -j FI-vnet0");
    assert_true(c->packets == 12 && c->bytes == 3456);
    c = g_ptr_array_index(rules, 1);
    assert_string_equal(c->line, "-A FI-vnet0 -m comment --comment \"a\n[9:9] -A x\" -j ACCEPT");
    assert_true(c->packets == 1 && c->bytes == 2);
    c = g_ptr_array_index(rules, 2);
    assert_true(c->packets == -1 && c->bytes == -1);
    c = g_ptr_array_index(rules, 3);
    assert_true(c->packets == G_MAXINT64 && c->bytes == 0);
    /* plain *-save text comes out as it went in */
    g_clear_pointer(&out, g_free);
    out = vfSaveReadCounters(EB, plain, strlen(plain), NULL);
    assert_string_equal(out, plain);
    g_clear_pointer(&out, g_free);
    g_ptr_array_set_size(rules, 0);
    out = vfSaveReadCounters(IP4, odd, strlen(odd), rules);
    assert_string_equal(out, odd);
    for (guint i = 0; i < rules->len; i++)
        assert_true(((vfSaveCounted *)g_ptr_array_index(rules, i))->packets == -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_opaque),
        cmocka_unit_test(test_line_end),
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_open_quote),
        cmocka_unit_test(test_late_odd_name),
        cmocka_unit_test(test_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
