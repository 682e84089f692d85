/*
 * test_nwfilter_parse.c: filter/binding parsing, references, variables,
 * iteration, priorities and the generated argv (no kernel involved).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "nwfilter/nwfilter.h"

#include <glib/gstdio.h>

#define STOCK_DIR "/usr/share/libvirt/nwfilter"
#define UUID "6f726163-6c65-4000-8000-000000000001"

/* ---- helpers ---- */

static nwfFilter *
parse(const char *xml, GError **err)
{
    return nwfFilterParseString(xml, "test.xml", err);
}

static void
expectError(const char *xml, const char *message)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfFilter) def = parse(xml, &err);

    assert_null(def);
    assert_non_null(err);
    if (strcmp(err->message, message) != 0)
        fail_msg("expected:\n  %s\ngot:\n  %s", message, err->message);
}

static nwfFilterSet *
setFromStrings(const char *const *xmls)
{
    nwfFilterSet *set = nwfFilterSetNew();
    for (gsize i = 0; xmls[i]; i++) {
        g_autoptr(GError) err = NULL;
        nwfFilter *def = parse(xmls[i], &err);
        if (!def)
            fail_msg("parse: %s", err->message);
        assert_true(nwfFilterSetAdd(set, def));
    }
    return set;
}

/* virFirewallToText() (firewall.h) in a compact form for assertions:
 *   "G group ACTIONFLAGS ROLLBACKFLAGS" then per rule
 *   "G do|undo I|- Q|- LAYER argv..." (words unquoted, joined by spaces). */
static char *
programText(const virFirewall *fw)
{
    g_autofree char *text = virFirewallToText(fw);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GString *out = g_string_new(NULL);
    GString *grp = NULL;
    int g = -1;
    const char *kind = "do";
    unsigned int aflags = 0, rflags = 0;

#define FLUSH_GROUP() \
    if (grp) { \
        g_string_append_printf(out, "%d group %u %u\n%s", g, aflags, rflags, grp->str); \
        g_string_free(grp, TRUE); \
        grp = NULL; \
    }
    for (gsize i = 0; lines[i]; i++) {
        g_auto(GStrv) w = NULL;
        gsize j = 1;
        gboolean ign = FALSE, query = FALSE;
        g_autofree char *args = NULL;

        if (!*lines[i] || g_str_has_prefix(lines[i], "program "))
            continue;
        if (!g_shell_parse_argv(lines[i], NULL, &w, NULL))
            fail_msg("unparsable line: %s", lines[i]);
        if (g_str_equal(w[0], "transaction")) {
            FLUSH_GROUP();
            grp = g_string_new(NULL);
            g++;
            kind = "do";
            aflags = g_strv_contains((const char *const *)w, "ignore-errors") ? 1 : 0;
            aflags |= g_strv_contains((const char *const *)w, "auto-rollback") ? 2 : 0;
            rflags = 0;
            continue;
        }
        if (g_str_equal(w[0], "rollback")) {
            kind = "undo";
            rflags = g_strv_contains((const char *const *)w, "inherit-previous") ? 1 : 0;
            continue;
        }
        if (!grp)
            fail_msg("rule before any transaction: %s", lines[i]);
        if (w[j] && g_str_equal(w[j], "ignore")) {
            ign = TRUE;
            j++;
        }
        if (w[j] && g_str_equal(w[j], "query")) {
            query = TRUE;
            j++;
        }
        args = g_strjoinv(" ", w + j);
        g_string_append_printf(grp, "%d %s %s%s %s %s\n", g, kind,
                               ign ? "I" : "-", query ? "Q" : "-", w[0], args);
    }
    FLUSH_GROUP();
#undef FLUSH_GROUP
    return g_string_free(out, FALSE);
}

/* Program for filter @name on vnet0 with @params ("NAME=VALUE" list). */
static char *
buildText(nwfFilterSet *set, const char *name, const char *const *params,
          GError **error)
{
    g_autoptr(nwfBinding) b = g_new0(nwfBinding, 1);
    g_autoptr(virFirewall) fw = NULL;

    b->ownerName = g_strdup("vm");
    b->ownerUUID = g_strdup("u");
    b->portdev = g_strdup("vnet0");
    b->mac = g_strdup("52:54:00:00:00:01");
    b->filter = g_strdup(name);
    b->params = nwfVarsNew();
    for (gsize i = 0; params && params[i]; i++) {
        g_auto(GStrv) kv = g_strsplit(params[i], "=", 2);
        nwfVarsAdd(b->params, kv[0], kv[1]);
    }
    if (!(fw = nwfBuildInstantiate(set, b, error)))
        return NULL;
    return programText(fw);
}

/* The "-A" rules of group 1 for @layer, one per line, argv only. */
static char *
appendRules(const char *text, const char *layer)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GString *out = g_string_new(NULL);
    g_autofree char *pfx = g_strdup_printf(" %s ", layer);

    for (gsize i = 0; lines[i]; i++) {
        const char *p = strstr(lines[i], pfx);
        if (!g_str_has_prefix(lines[i], "1 do ") || !p)
            continue;
        p += strlen(pfx);
        if (strstr(p, "-A ") && !strstr(p, "PREROUTING") &&
            !strstr(p, "POSTROUTING") && !strstr(p, "libvirt-in") &&
            !strstr(p, "libvirt-out") && !strstr(p, "libvirt-host-in") &&
            !strstr(p, "-j J-") && !strstr(p, "-j P-"))
            g_string_append_printf(out, "%s\n", p);
    }
    return g_string_free(out, FALSE);
}

static void
assertText(const char *actual, const char *expected)
{
    if (strcmp(actual, expected) != 0)
        fail_msg("expected:\n%s\ngot:\n%s", expected, actual);
}

/* ---- tests ---- */

static void
test_stock_filters(void **state)
{
    const char *dirs[] = { STOCK_DIR, NULL };
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfFilterSet) set = nwfLoadFilters(dirs, &err);
    const nwfFilter *f;

    if (!g_file_test(STOCK_DIR, G_FILE_TEST_IS_DIR))
        skip();
    assert_non_null(set);
    assert_int_equal(nwfFilterSetSize(set), 24);
    f = nwfFilterSetLookup(set, "no-arp-ip-spoofing");
    assert_string_equal(f->chain, "arp-ip");
    assert_int_equal(f->chainPriority, -510);
    f = nwfFilterSetLookup(set, "allow-arp");
    assert_int_equal(f->chainPriority, -500);
    f = nwfFilterSetLookup(set, "qemu-announce-self-rarp");
    assert_int_equal(f->chainPriority, -400);
    f = nwfFilterSetLookup(set, "no-other-l2-traffic");
    assert_string_equal(f->chain, "root");
    assert_int_equal(f->chainPriority, 0);
    f = nwfFilterSetLookup(set, "clean-traffic");
    assert_int_equal(f->entries->len, 8);
}

static void
test_malformed(void **state)
{
    /* the first of libxml2's errors, as libvirt's catchXMLError reports
     * only the first (the last would be "Premature end of data") */
    expectError("<filter name='x'><rule action='accept'",
                "test.xml:1: bad XML: attributes construct error");
    expectError("<filtre name='x'/>",
                "test.xml:1: <filtre>: root element must be <filter>");
    expectError("<filter/>", "test.xml:1: <filter>: filter has no name");
    expectError("<filter name='x' chain='bogus'/>",
                "test.xml:1: <filter>: invalid chain name 'bogus': use 'root' or "
                "a name starting with mac, vlan, stp, arp, rarp, ipv4 or ipv6");
    expectError("<filter name='x' chain='rootx'/>",
                "test.xml:1: <filter>: invalid chain name 'rootx': use 'root' or "
                "a name starting with mac, vlan, stp, arp, rarp, ipv4 or ipv6");
    expectError("<filter name='x' chain='ipv4-waytoolong'/>",
                "test.xml:1: <filter>: name of chain is longer than 12 characters");
    expectError("<filter name='x' chain='mac' priority='1001'/>",
                "test.xml:1: <filter>: priority '1001' must be in the range [-1000, 1000]");
    expectError("<filter name='x'>\n<rule direction='in'/></filter>",
                "test.xml:2: <rule>: rule node requires action attribute");
    expectError("<filter name='x'>\n<rule action='allow' direction='in'/></filter>",
                "test.xml:2: <rule>: unknown rule action attribute value 'allow'");
    expectError("<filter name='x'>\n<rule action='drop'/></filter>",
                "test.xml:2: <rule>: rule node requires direction attribute");
    expectError("<filter name='x'>\n<rule action='drop' direction='up'/></filter>",
                "test.xml:2: <rule>: unknown rule direction attribute value 'up'");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<ip srcipaddr='10.0.0.300'/></rule></filter>",
                "test.xml:2: <ip>: srcipaddr has illegal value 10.0.0.300");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<ip srcportstart='80'/></rule></filter>",
                "test.xml:2: <ip>: IP rule with port specification requires "
                "protocol specification with protocol to be either one of "
                "tcp(6), udp(17), dccp(33), or sctp(132)");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<mac protocolid='0x500'/></rule></filter>",
                "test.xml:2: <mac>: protocolid has illegal value 0x500");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<mac srcmacmask='ff:00:ff:00:00:00'/></rule></filter>",
                "test.xml:2: <mac>: srcmacmask has illegal value ff:00:ff:00:00:00");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<tcp dstportstart='70000'/></rule></filter>",
                "test.xml:2: <tcp>: dstportstart has illegal value 70000");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<tcp flags='SYN'/></rule></filter>",
                "test.xml:2: <tcp>: flags has illegal value SYN");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<tcp state='NEW,OLD'/></rule></filter>",
                "test.xml:2: <tcp>: state has illegal value NEW,OLD");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<tcp srcipaddr='$A[x]'/></rule></filter>",
                "test.xml:2: <tcp>: attribute 'srcipaddr': malformed index in variable '$A[x]'");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<tcp srcipaddr='$A[@1001]'/></rule></filter>",
                "test.xml:2: <tcp>: attribute 'srcipaddr': malformed iterator id in "
                "variable '$A[@1001]' (0..1000)");
    expectError("<filter name='x'>\n<filterref/></filter>",
                "test.xml:2: <filterref>: filterref requires a filter attribute");
    /* what libvirt rejects beyond the element structure (libvirt-parity.md) */
    expectError("<filter name='x' name='y'/>",
                "test.xml:1: bad XML: Attribute name redefined");
    expectError("<filter name='x'>\n<uuid>5c1b0e8e-7d4c</uuid></filter>",
                "test.xml:2: <uuid>: malformed uuid element '5c1b0e8e-7d4c'");
    expectError("<filter name='x' priority=' 5x'/>",
                "test.xml:1: <filter>: priority ' 5x' must be in the range [-1000, 1000]");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<tcp dstportstart='-1'/></rule></filter>",
                "test.xml:2: <tcp>: dstportstart has illegal value -1");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<tcp srcipaddr='10.0.0.1 '/></rule></filter>",
                "test.xml:2: <tcp>: srcipaddr has illegal value 10.0.0.1 ");
    expectError("<filter name='x'><rule action='drop' direction='in'>\n"
                "<mac srcmacaddr='52:54:00:00:00:01x'/></rule></filter>",
                "test.xml:2: <mac>: srcmacaddr has illegal value 52:54:00:00:00:01x");
    expectError("<filter name='x'><rule action='ACCEPT' direction='in'/></filter>",
                "test.xml:1: <rule>: unknown rule action attribute value 'ACCEPT'");
    {
        /* a NUL byte ends the data for libxml2, as when libvirt reads the
         * file: an error inside the root element, ignored after it */
        static const char inside[] = "<filter name='x'>\0</filter>";
        static const char after[] = "<filter name='x'/>\0<junk";
        g_autoptr(GError) err = NULL;
        g_autoptr(nwfFilter) def = NULL;
        assert_null(nwfFilterParse(inside, sizeof(inside) - 1, "test.xml", NULL, &err));
        assert_string_equal(err->message, "test.xml:1: bad XML: Premature end of "
                            "data in tag filter line 1");
        assert_non_null(def = nwfFilterParse(after, sizeof(after) - 1, "test.xml",
                                             NULL, NULL));
    }
}

static void
test_values(void **state)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfFilter) def = parse(
        "<filter name='x' chain='ipv4'>"
        "<uuid>7f8f1b2c-0000-4000-8000-000000000001</uuid>"
        "<!-- a comment -->"
        "<rule action='accept' direction='out' priority='-2000'>"
        "<tcp srcportstart='0x123' dstportstart='ff' srcipaddr='10.1.2.3'"
        " srcipmask='255.255.0.0' flags='syn,ack/ALL' state='established,new'/>"
        "</rule>"
        "<rule action='drop' direction='in' priority='42' statematch='false'>"
        "<mac srcmacaddr='1:2:3:a:B:c' protocolid='arp'/></rule>"
        "</filter>", &err);
    const nwfRule *r;

    assert_non_null(def);
    assert_string_equal(def->uuid, "7f8f1b2c-0000-4000-8000-000000000001");
    assert_int_equal(def->chainPriority, -700);
    r = ((nwfEntry *)def->entries->pdata[0])->rule;
    assert_int_equal(r->priority, 500);             /* out of range -> 500 */
    assert_int_equal(r->items[NWF_ATTR_SRCPORT].u.num, 0x123);
    assert_int_equal(r->items[NWF_ATTR_DSTPORT].u.num, 0xff);
    assert_int_equal(r->items[NWF_ATTR_SRCIPMASK].u.num, 16);
    assert_int_equal(r->items[NWF_ATTR_TCPFLAGS].u.tcp.mask, 0x12);
    assert_int_equal(r->items[NWF_ATTR_TCPFLAGS].u.tcp.flags, 0x3f);
    assert_int_equal(r->flags & NWF_STATE_MASK, NWF_STATE_NEW | NWF_STATE_ESTABLISHED);
    r = ((nwfEntry *)def->entries->pdata[1])->rule;
    assert_int_equal(r->priority, 42);
    assert_true(r->flags & NWF_RULE_NO_STATEMATCH);
    assert_int_equal(r->items[NWF_ATTR_PROTOCOLID].u.num, 0x806);
    assert_memory_equal(r->items[NWF_ATTR_SRCMAC].u.mac, "\x01\x02\x03\x0a\x0b\x0c", 6);
}

static void
test_loop_and_missing(void **state)
{
    const char *xmls[] = {
        "<filter name='a'><filterref filter='b'/></filter>",
        "<filter name='b'>\n<filterref filter='c'/></filter>",
        "<filter name='c'>\n\n<filterref filter='a'/></filter>",
        "<filter name='d'>\n<filterref filter='nope'/></filter>",
        "<filter name='e'><rule action='drop' direction='in'>"
        "<ip srcipaddr='$X' dstipaddr='$Y[2]'/></rule></filter>",
        "<filter name='f'><rule action='drop' direction='in'>"
        "<ip srcipaddr='$IP'/></rule></filter>",
        NULL
    };
    g_autoptr(nwfFilterSet) set = setFromStrings(xmls);
    g_autoptr(GError) err = NULL;
    g_autofree char *t = NULL;
    const char *y[] = { "Y=1.1.1.1", "Y=2.2.2.2", NULL };

    t = buildText(set, "a", NULL, &err);
    assert_null(t);
    assert_string_equal(err->message,
                        "vnet0 (binding): test.xml:3: filter reference loop: a -> b -> c -> a");
    g_clear_error(&err);
    t = buildText(set, "d", NULL, &err);
    assert_string_equal(err->message,
                        "vnet0 (binding): test.xml:2: filter 'd' references filter "
                        "'nope', which is missing");
    g_clear_error(&err);
    t = buildText(set, "zzz", NULL, &err);
    assert_string_equal(err->message, "vnet0 (binding): filter 'zzz' is missing");
    g_clear_error(&err);
    t = buildText(set, "e", y, &err);
    assert_string_equal(err->message,
                        "vnet0 (binding): filter 'e': cannot instantiate filter due to "
                        "unresolvable variables or unavailable list elements: X, Y[2]");
    g_clear_error(&err);
    t = buildText(set, "f", NULL, &err);
    assert_string_equal(err->message,
                        "vnet0 (binding): filter 'f': variable IP is not set (libvirt "
                        "would start IP address learning; not supported)");
}

/* libvirt's iteration: $A and $B in lock-step, duplicates skipped */
static void
test_iteration(void **state)
{
    const char *xmls[] = {
        "<filter name='it'>"
        "<rule action='accept' direction='out' statematch='false'>"
        "<tcp srcipaddr='$A' dstportstart='$B'/></rule>"
        "<rule action='drop' direction='out'>"
        "<udp srcipaddr='$A[@1]' dstportstart='$B[@2]'/></rule>"
        "<rule action='drop' direction='out'>"
        "<ip srcipaddr='$A[2]' dstipaddr='$IP'/></rule>"
        "</filter>",
        "<filter name='bad'><rule action='accept' direction='out'>"
        "<tcp srcipaddr='$A' dstportstart='$C'/></rule></filter>",
        NULL
    };
    const char *params[] = {
        "A=1.1.1.1", "A=2.2.2.2", "A=3.3.3.3", "A=3.3.3.3",
        "B=80", "B=90", "B=80", "B=80", "C=1", "C=2", "IP=10.0.0.1", NULL
    };
    g_autoptr(nwfFilterSet) set = setFromStrings(xmls);
    g_autoptr(GError) err = NULL;
    g_autofree char *t = buildText(set, "it", params, &err);
    g_autofree char *ip4 = NULL;
    g_autofree char *eb = NULL;

    assert_non_null(t);
    ip4 = appendRules(t, "ipv4");
    eb = appendRules(t, "ethernet");
    assertText(ip4,
        "-A FJ-vnet0 -p tcp --source 1.1.1.1 --dport 80 -j RETURN\n"
        "-A FP-vnet0 -p tcp --destination 1.1.1.1 --sport 80 -j ACCEPT\n"
        "-A HJ-vnet0 -p tcp --source 1.1.1.1 --dport 80 -j RETURN\n"
        "-A FJ-vnet0 -p tcp --source 2.2.2.2 --dport 90 -j RETURN\n"
        "-A FP-vnet0 -p tcp --destination 2.2.2.2 --sport 90 -j ACCEPT\n"
        "-A HJ-vnet0 -p tcp --source 2.2.2.2 --dport 90 -j RETURN\n"
        "-A FJ-vnet0 -p tcp --source 3.3.3.3 --dport 80 -j RETURN\n"
        "-A FP-vnet0 -p tcp --destination 3.3.3.3 --sport 80 -j ACCEPT\n"
        "-A HJ-vnet0 -p tcp --source 3.3.3.3 --dport 80 -j RETURN\n"
        "-A FJ-vnet0 -p udp --source 1.1.1.1 --dport 80 -j DROP\n"
        "-A FP-vnet0 -p udp --destination 1.1.1.1 --sport 80 -j DROP\n"
        "-A HJ-vnet0 -p udp --source 1.1.1.1 --dport 80 -j DROP\n"
        "-A FJ-vnet0 -p udp --source 2.2.2.2 --dport 80 -j DROP\n"
        "-A FP-vnet0 -p udp --destination 2.2.2.2 --sport 80 -j DROP\n"
        "-A HJ-vnet0 -p udp --source 2.2.2.2 --dport 80 -j DROP\n"
        "-A FJ-vnet0 -p udp --source 3.3.3.3 --dport 80 -j DROP\n"
        "-A FP-vnet0 -p udp --destination 3.3.3.3 --sport 80 -j DROP\n"
        "-A HJ-vnet0 -p udp --source 3.3.3.3 --dport 80 -j DROP\n"
        "-A FJ-vnet0 -p udp --source 1.1.1.1 --dport 90 -j DROP\n"
        "-A FP-vnet0 -p udp --destination 1.1.1.1 --sport 90 -j DROP\n"
        "-A HJ-vnet0 -p udp --source 1.1.1.1 --dport 90 -j DROP\n"
        "-A FJ-vnet0 -p udp --source 2.2.2.2 --dport 90 -j DROP\n"
        "-A FP-vnet0 -p udp --destination 2.2.2.2 --sport 90 -j DROP\n"
        "-A HJ-vnet0 -p udp --source 2.2.2.2 --dport 90 -j DROP\n"
        "-A FJ-vnet0 -p udp --source 3.3.3.3 --dport 90 -j DROP\n"
        "-A FP-vnet0 -p udp --destination 3.3.3.3 --sport 90 -j DROP\n"
        "-A HJ-vnet0 -p udp --source 3.3.3.3 --dport 90 -j DROP\n");
    assertText(eb,
        "-t nat -A libvirt-J-vnet0 -p ipv4 --ip-source 3.3.3.3 --ip-destination 10.0.0.1 -j DROP\n");

    g_clear_error(&err);
    g_free(buildText(set, "bad", params, &err));
    assert_non_null(err);
    assert_string_equal(err->message,
                        "vnet0 (binding): cardinality of list items must be the same "
                        "for processing them in parallel (variable 'C')");
}

/* outer variables override a reference's own parameters */
static void
test_param_override(void **state)
{
    const char *xmls[] = {
        "<filter name='top'><filterref filter='leaf'>"
        "<parameter name='X' value='1.2.3.4'/>"
        "<parameter name='Y' value='5.6.7.8'/></filterref></filter>",
        "<filter name='leaf' chain='ipv4'><rule action='drop' direction='in'>"
        "<ip srcipaddr='$X' dstipaddr='$Y'/></rule></filter>",
        NULL
    };
    const char *params[] = { "X=9.9.9.9", NULL };
    g_autoptr(nwfFilterSet) set = setFromStrings(xmls);
    g_autoptr(GError) err = NULL;
    g_autofree char *t = buildText(set, "top", params, &err);
    g_autofree char *eb = appendRules(t, "ethernet");

    assertText(eb,
        "-t nat -A P-vnet0-ipv4 -p ipv4 --ip-source 9.9.9.9 --ip-destination 5.6.7.8 -j DROP\n");
}

/* sort: root first, stable by priority; sub-chains interleaved */
static void
test_priorities(void **state)
{
    const char *xmls[] = {
        "<filter name='p'>"
        "<rule action='drop' direction='out' priority='10'/>"
        "<filterref filter='m'/>"
        "<rule action='accept' direction='out' priority='-650'><mac protocolid='ipv4'/></rule>"
        "<rule action='return' direction='out' priority='10'><mac protocolid='0x835'/></rule>"
        "</filter>",
        "<filter name='m' chain='mac' priority='-800'>"
        "<rule action='drop' direction='out' priority='-900'><mac srcmacaddr='$MAC' match='no'/></rule>"
        "</filter>",
        NULL
    };
    g_autoptr(nwfFilterSet) set = setFromStrings(xmls);
    g_autoptr(GError) err = NULL;
    g_autofree char *t = buildText(set, "p", NULL, &err);
    g_autofree char *eb = NULL;

    assert_non_null(t);
    assert_non_null(strstr(t,
        "1 do -- ethernet -t nat -N J-vnet0-mac\n"
        "1 do -- ethernet -t nat -A libvirt-J-vnet0 -j J-vnet0-mac\n"
        "1 do -- ethernet -t nat -A libvirt-J-vnet0 -p 0x800 -j ACCEPT\n"
        "1 do -- ethernet -t nat -A libvirt-J-vnet0 -j DROP\n"
        "1 do -- ethernet -t nat -A libvirt-J-vnet0 -p 0x835 -j RETURN\n"
        "1 do -- ethernet -t nat -A J-vnet0-mac -s ! 52:54:00:00:00:01 -j DROP\n"));
    (void)eb;
}

/* ipsetflags: each flag printed as given, swapped for the incoming
 * direction (a flag's bit compared as a boolean with the direction) */
static void
test_ipset_flags(void **state)
{
    const char *xmls[] = {
        "<filter name='s' chain='ipv4'>"
        "<rule action='drop' direction='out'>"
        "<all ipset='blocked' ipsetflags='dst,src,dst'/></rule>"
        "<rule action='drop' direction='in'>"
        "<all ipset='blocked' ipsetflags='dst,src,dst'/></rule>"
        "</filter>",
        NULL
    };
    g_autoptr(nwfFilterSet) set = setFromStrings(xmls);
    g_autoptr(GError) err = NULL;
    g_autofree char *t = buildText(set, "s", NULL, &err);
    g_autofree char *ip = NULL;

    assert_non_null(t);
    ip = appendRules(t, "ipv4");
    assertText(ip,
        "-A FJ-vnet0 -p all -m set --match-set blocked dst,src,dst -j DROP\n"
        "-A FP-vnet0 -p all -m set --match-set blocked src,dst,src -j DROP\n"
        "-A HJ-vnet0 -p all -m set --match-set blocked dst,src,dst -j DROP\n"
        "-A FJ-vnet0 -p all -m set --match-set blocked src,dst,src -j DROP\n"
        "-A FP-vnet0 -p all -m set --match-set blocked dst,src,dst -j DROP\n"
        "-A HJ-vnet0 -p all -m set --match-set blocked src,dst,src -j DROP\n");
}

static void
test_binding(void **state)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfBinding) b = nwfBindingParseString(
        "<!-- WARNING: THIS IS AN AUTO-GENERATED FILE. -->\n"
        "<filterbindingstatus>\n"
        "  <filterbinding>\n"
        "    <owner><name>vm1</name><uuid>6f726163-6c65-4000-8000-000000000001</uuid></owner>\n"
        "    <portdev name='vnet1'/>\n"
        "    <linkdev name='eth0'/>\n"
        "    <mac address='52:54:00:AA:0b:0C'/>\n"
        "    <filterref filter='clean-traffic'>\n"
        "      <parameter name='IP' value='10.0.0.1'/>\n"
        "      <parameter name='IP' value='10.0.0.2'/>\n"
        "      <parameter name='MAC' value='52:54:00:aa:0b:0c'/>\n"
        "    </filterref>\n"
        "  </filterbinding>\n"
        "</filterbindingstatus>\n", "vnet1.xml", &err);
    GPtrArray *ips;

    assert_non_null(b);
    assert_string_equal(b->ownerName, "vm1");
    assert_string_equal(b->portdev, "vnet1");
    assert_string_equal(b->linkdev, "eth0");
    assert_string_equal(b->mac, "52:54:00:aa:0b:0c");
    assert_string_equal(b->filter, "clean-traffic");
    ips = g_hash_table_lookup(b->params, "IP");
    assert_int_equal(ips->len, 2);
    assert_string_equal(ips->pdata[1], "10.0.0.2");

    g_clear_error(&err);
    assert_null(nwfBindingParseString(
        "<filterbinding><owner><name>v</name><uuid>" UUID "</uuid></owner>\n"
        "<portdev name='vnet0'/><mac address='zz'/>"
        "<filterref filter='x'/></filterbinding>", "b.xml", &err));
    assert_string_equal(err->message,
                        "b.xml:2: <mac>: missing or invalid mac address 'zz'");
    /* what libvirt's parser rejects */
    g_clear_error(&err);
    assert_null(nwfBindingParseString(
        "<filterbinding><owner><name>v</name><uuid>u</uuid></owner>\n"
        "<portdev name='vnet0'/><mac address='52:54:00:00:00:01'/>"
        "<filterref filter='x'/></filterbinding>", "b.xml", &err));
    assert_string_equal(err->message, "b.xml:1: <uuid>: unable to parse UUID 'u'");
    g_clear_error(&err);
    assert_null(nwfBindingParseString(
        "<filterbinding><owner><name></name><uuid>" UUID "</uuid></owner>\n"
        "<portdev name='vnet0'/><mac address='52:54:00:00:00:01'/>"
        "<filterref filter='x'/></filterbinding>", "b.xml", &err));
    assert_string_equal(err->message, "b.xml:1: <name>: missing owner name");
    g_clear_error(&err);
    assert_null(nwfBindingParseString(
        "<filterbinding><owner><name>v</name><uuid>" UUID "</uuid></owner>\n"
        "<portdev name='vnet0'/><linkdev name=''/><mac address='52:54:00:00:00:01'/>"
        "<filterref filter='x'/></filterbinding>", "b.xml", &err));
    assert_string_equal(err->message, "b.xml:2: <linkdev>: filter binding has no link dev name");
    /* libvirt finds no such device and skips it silently: here an error */
    g_clear_error(&err);
    assert_null(nwfBindingParseString(
        "<filterbinding><owner><name>v</name><uuid>" UUID "</uuid></owner>\n"
        "<portdev name='vnet0123456789ab'/><mac address='52:54:00:00:00:01'/>"
        "<filterref filter='x'/></filterbinding>", "b.xml", &err));
    assert_string_equal(err->message, "b.xml:2: <portdev>: interface name "
                        "'vnet0123456789ab' is impossible: longer than 15 characters "
                        "(libvirt skips it: no such device)");
    g_clear_error(&err);
    assert_null(nwfBindingParseString(
        "<filterbinding><owner><name>v</name><uuid>" UUID "</uuid></owner>\n"
        "<portdev name='a:b'/><mac address='52:54:00:00:00:01'/>"
        "<filterref filter='x'/></filterbinding>", "b.xml", &err));
    assert_string_equal(err->message, "b.xml:2: <portdev>: interface name 'a:b' is "
                        "impossible: '/', ':' and blanks cannot be in an interface "
                        "name (libvirt skips it: no such device)");
    /* the binding directory holds libvirt's status files only */
    g_clear_error(&err);
    {
        static const char bare[] =
            "<filterbinding><owner><name>v</name><uuid>" UUID "</uuid></owner>\n"
            "<portdev name='vnet0'/><mac address='52:54:00:00:00:01'/>"
            "<filterref filter='x'/></filterbinding>";
        assert_null(nwfBindingParse(bare, strlen(bare), "b.xml", true, NULL, &err));
        assert_string_equal(err->message, "b.xml:1: <filterbinding>: expected "
                            "<filterbindingstatus> (libvirt's status file)");
    }
}

/* Loading a directory as libvirt's start-up: a file of another name, or
 * with a UUID another filter has (the later in directory order), is
 * skipped and remembered; the rest is loaded. */
static void
test_load_dir(void **state)
{
    g_autofree char *dir = g_dir_make_tmp("vf-parse-XXXXXX", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfFilterSet) set = nwfFilterSetNew();
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = NULL;
    const char *dirs[] = { dir, NULL };
    const char *first = NULL, *n;
    g_autofree char *second = NULL;
    g_autofree char *why = NULL;
    static const char *const files[][2] = {
        { "a.xml", "<filter name='a'><uuid>" UUID "</uuid></filter>" },
        { "b.xml", "<filter name='b'><uuid>" UUID "</uuid></filter>" },
        { "c.xml", "<filter name='other'/>" },
        { "d.xml", "<filter name='d' colour='red'/>" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *p = g_build_filename(dir, files[i][0], NULL);
        assert_true(g_file_set_contents(p, files[i][1], -1, NULL));
    }
    /* which of a and b comes first is the directory's order */
    d = g_dir_open(dir, 0, NULL);
    while ((n = g_dir_read_name(d)) && !first)
        if (g_str_equal(n, "a.xml") || g_str_equal(n, "b.xml"))
            first = g_str_equal(n, "a.xml") ? "a" : "b";
    second = g_strdup(g_str_equal(first, "a") ? "b" : "a");
    assert_true(nwfFilterSetLoadDirs(set, dirs, warnings, &err));
    assert_non_null(nwfFilterSetLookup(set, first));
    assert_null(nwfFilterSetLookup(set, second));
    why = g_strdup_printf("%s/%s.xml: filter with same UUID " UUID " but different "
                          "name ('%s') already exists", dir, second, first);
    assert_string_equal(nwfFilterSetBroken(set, second), why);
    g_free(why);
    assert_null(nwfFilterSetLookup(set, "other"));
    why = g_strdup_printf("%s/c.xml: network filter config filename 'c.xml' does not "
                          "match name 'other'", dir);
    assert_string_equal(nwfFilterSetBroken(set, "c"), why);
    assert_non_null(nwfFilterSetLookup(set, "d"));
    assert_int_equal(warnings->len, 1);
    assert_non_null(strstr(warnings->pdata[0], "d.xml:1: <filter>: attribute 'colour'"));
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *p = g_build_filename(dir, files[i][0], NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
}

/* the query callbacks parse `ebtables -t nat -L` output */
static void
test_query_callbacks(void **state)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    const char *lines[] = {
        "Bridge table: nat", "", "Bridge chain: libvirt-J-vnet0, entries: 4, policy: ACCEPT",
        "-j J-vnet0-mac", "-p IPv4 -j J-vnet0-ipv4-ip", "-p ARP -j ACCEPT",
        "-p IPv4 -j I-vnet0-ipv4", "-j DROP", NULL
    };
    static const char prefixes[] = { 'J', 'P', 0 };
    g_autofree char *t = NULL;

    virFirewallStartTransaction(fw, VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
    assert_int_equal(nwfEbtablesRemoveSubChainsQuery(fw, VIR_FIREWALL_LAYER_ETHERNET,
                                                     lines, (void *)prefixes), 0);
    assert_int_equal(nwfEbtablesRenameTmpSubAndRootChainsQuery(fw, VIR_FIREWALL_LAYER_ETHERNET,
                                                               lines, NULL), 0);
    t = programText(fw);
    assertText(t,
        "0 group 1 0\n"
        "0 do IQ ethernet -t nat -L J-vnet0-mac\n"
        "0 do I- ethernet -t nat -F J-vnet0-mac\n"
        "0 do I- ethernet -t nat -X J-vnet0-mac\n"
        "0 do IQ ethernet -t nat -L J-vnet0-ipv4-ip\n"
        "0 do I- ethernet -t nat -F J-vnet0-ipv4-ip\n"
        "0 do I- ethernet -t nat -X J-vnet0-ipv4-ip\n"
        "0 do IQ ethernet -t nat -L J-vnet0-mac\n"
        "0 do I- ethernet -t nat -F I-vnet0-mac\n"
        "0 do I- ethernet -t nat -X I-vnet0-mac\n"
        "0 do I- ethernet -t nat -E J-vnet0-mac I-vnet0-mac\n"
        "0 do IQ ethernet -t nat -L J-vnet0-ipv4-ip\n"
        "0 do I- ethernet -t nat -F I-vnet0-ipv4-ip\n"
        "0 do I- ethernet -t nat -X I-vnet0-ipv4-ip\n"
        "0 do I- ethernet -t nat -E J-vnet0-ipv4-ip I-vnet0-ipv4-ip\n");
}

/* the other entry points: same order as libvirt's driver */
static void
test_teardown_programs(void **state)
{
    g_autoptr(virFirewall) fw = nwfBuildTeardown("vnet0");
    g_autoptr(virFirewall) dhcp = virFirewallNew("vnet0");
    g_autoptr(GPtrArray) srv = g_ptr_array_new();
    g_autofree char *t = programText(fw);
    g_autofree char *d = NULL;

    /* libvirt 9.0's allTeardown starts with tearNewRules (FP/FJ/HJ and
     * libvirt-J/P), seen in nwfilter-binding-delete (nwfilter-switch) */
    assert_true(g_str_has_prefix(t,
        "0 group 1 0\n"
        "0 do I- ipv4 -D libvirt-out -m physdev --physdev-is-bridged --physdev-out vnet0 -g FP-vnet0\n"));
    assert_non_null(strstr(t,
        "0 do I- ethernet -t nat -F libvirt-P-vnet0\n"
        "0 do I- ethernet -t nat -X libvirt-P-vnet0\n"
        "0 do I- ipv4 -D libvirt-out -m physdev --physdev-is-bridged --physdev-out vnet0 -g FO-vnet0\n"));
    assert_non_null(strstr(t,
        "0 do I- ipv4 -D libvirt-out -m physdev --physdev-is-bridged --physdev-out vnet0 -g FO-vnet0\n"
        "0 do I- ipv4 -D libvirt-out -m physdev --physdev-out vnet0 -g FO-vnet0\n"
        "0 do I- ipv4 -D libvirt-in -m physdev --physdev-in vnet0 -g FI-vnet0\n"
        "0 do I- ipv4 -D libvirt-host-in -m physdev --physdev-in vnet0 -g HI-vnet0\n"
        "0 do I- ipv4 -D libvirt-in-post -m physdev --physdev-in vnet0 -j ACCEPT\n"
        "0 do I- ipv4 -F FO-vnet0\n"));
    assert_non_null(strstr(t,
        "0 do I- ethernet -t nat -D PREROUTING -i vnet0 -j libvirt-I-vnet0\n"
        "0 do I- ethernet -t nat -D POSTROUTING -o vnet0 -j libvirt-O-vnet0\n"
        "0 do IQ ethernet -t nat -L libvirt-I-vnet0\n"
        "0 do IQ ethernet -t nat -L libvirt-O-vnet0\n"
        "0 do I- ethernet -t nat -F libvirt-I-vnet0\n"));

    g_ptr_array_add(srv, "192.168.122.1");
    g_ptr_array_add(srv, "10.0.0.1");
    nwfAddApplyDHCPOnlyRules(dhcp, "vnet0", "10:20:30:40:50:60", srv, FALSE);
    d = programText(dhcp);
    assert_non_null(strstr(d,
        "1 do -- ethernet -t nat -N libvirt-J-vnet0\n"
        "1 do -- ethernet -t nat -N libvirt-P-vnet0\n"
        "1 do -- ethernet -t nat -A libvirt-J-vnet0 -s 10:20:30:40:50:60 -p ipv4 --ip-protocol udp --ip-sport 68 --ip-dport 67 -j ACCEPT\n"
        "1 do -- ethernet -t nat -A libvirt-J-vnet0 -j DROP\n"
        "1 do -- ethernet -t nat -A libvirt-P-vnet0 -d 10:20:30:40:50:60 -p ipv4 --ip-protocol udp --ip-src 192.168.122.1 --ip-sport 67 --ip-dport 68 -j ACCEPT\n"
        "1 do -- ethernet -t nat -A libvirt-P-vnet0 -d ff:ff:ff:ff:ff:ff -p ipv4 --ip-protocol udp --ip-src 192.168.122.1 --ip-sport 67 --ip-dport 68 -j ACCEPT\n"
        "1 do -- ethernet -t nat -A libvirt-P-vnet0 -d 10:20:30:40:50:60 -p ipv4 --ip-protocol udp --ip-src 10.0.0.1 --ip-sport 67 --ip-dport 68 -j ACCEPT\n"
        "1 do -- ethernet -t nat -A libvirt-P-vnet0 -d ff:ff:ff:ff:ff:ff -p ipv4 --ip-protocol udp --ip-src 10.0.0.1 --ip-sport 67 --ip-dport 68 -j ACCEPT\n"
        "1 do -- ethernet -t nat -A libvirt-P-vnet0 -j DROP\n"
        "1 do -- ethernet -t nat -A PREROUTING -i vnet0 -j libvirt-J-vnet0\n"
        "1 do -- ethernet -t nat -A POSTROUTING -o vnet0 -j libvirt-P-vnet0\n"
        "1 do -- ethernet -t nat -E libvirt-J-vnet0 libvirt-I-vnet0\n"
        "1 do -- ethernet -t nat -E libvirt-P-vnet0 libvirt-O-vnet0\n"));
}

static void
test_serialize_stable(void **state)
{
    const char *dirs[] = { STOCK_DIR, NULL };
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfFilterSet) set = nwfLoadFilters(dirs, &err);
    const char *p[] = { "IP=10.0.0.1", NULL };
    const char *p2[] = { "IP=10.0.0.2", NULL };
    g_autofree char *a = NULL, *b = NULL, *c = NULL;

    if (!g_file_test(STOCK_DIR, G_FILE_TEST_IS_DIR))
        skip();
    a = buildText(set, "clean-traffic", p, &err);
    b = buildText(set, "clean-traffic", p, &err);
    c = buildText(set, "clean-traffic", p2, &err);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stock_filters),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_loop_and_missing),
        cmocka_unit_test(test_iteration),
        cmocka_unit_test(test_param_override),
        cmocka_unit_test(test_priorities),
        cmocka_unit_test(test_ipset_flags),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_query_callbacks),
        cmocka_unit_test(test_teardown_programs),
        cmocka_unit_test(test_serialize_stable),
        cmocka_unit_test(test_load_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
