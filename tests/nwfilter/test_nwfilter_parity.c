/*
 * test_nwfilter_parity.c: one test per row of docs/libvirt-parity.md that
 * libvirt 9.0 ignores or reads differently. For each, a filter with the
 * item and its twin written as libvirt reads it build the same program
 * (so the same kernel rules), and the parse warns with file, line and
 * what was ignored. The rows are also in the oracle case vf-ignored
 * (tests/restoredata/nwfilter), applied against real libvirt's rules with
 * both backends by nwfilter-oracle*.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "nwfilter/nwfilter.h"

typedef struct {
    const char *row;          /* the row's name in docs/libvirt-parity.md */
    const char *with;         /* <filter name='x'> with the item */
    const char *clean;        /* the same as libvirt reads it */
    const char *warnings;     /* expected, one per line, "t.xml:" first */
} ParityRow;

#define C10 "aaaaaaaaaa"
#define C50 C10 C10 C10 C10 C10
#define C250 C50 C50 C50 C50 C50
#define RULE(body) "<filter name='x'>\n<rule action='accept' direction='in'>\n" \
                   body "\n</rule>\n</filter>"

static const ParityRow rows[] = {
    { "filter-attribute",
      "<filter name='x' colour='red'>\n<rule action='drop' direction='in'/>\n</filter>",
      "<filter name='x'>\n<rule action='drop' direction='in'/>\n</filter>",
      "t.xml:1: <filter>: attribute 'colour' ignored (libvirt does not read it)" },
    { "filter-empty-chain",
      "<filter name='x' chain='' priority=''>\n<rule action='drop' direction='in'/>\n</filter>",
      "<filter name='x'>\n<rule action='drop' direction='in'/>\n</filter>",
      "t.xml:1: <filter>: chain='' ignored (empty)\n"
      "t.xml:1: <filter>: priority='' ignored (empty)" },
    { "filter-element",
      "<filter name='x'>\n<description>web</description>\n"
      "<rule action='drop' direction='in'/>\n</filter>",
      "<filter name='x'>\n<rule action='drop' direction='in'/>\n</filter>",
      "t.xml:2: <description>: element ignored (a filter holds <rule>, <filterref> "
      "and <uuid>)" },
    { "filter-second-uuid",
      "<filter name='x'>\n<uuid>5c1b0e8e-7d4c-4c3a-9a39-6a1f7b1d0001</uuid>\n"
      "<uuid>not-a-uuid</uuid>\n<rule action='drop' direction='in'/>\n</filter>",
      "<filter name='x'>\n<uuid>5c1b0e8e-7d4c-4c3a-9a39-6a1f7b1d0001</uuid>\n"
      "<rule action='drop' direction='in'/>\n</filter>",
      "t.xml:3: <uuid>: element ignored (libvirt reads the first <uuid>)" },
    { "rule-attribute",
      "<filter name='x'>\n<rule action='drop' direction='in' comment='x'/>\n</filter>",
      "<filter name='x'>\n<rule action='drop' direction='in'/>\n</filter>",
      "t.xml:2: <rule>: attribute 'comment' ignored (libvirt does not read it)" },
    { "rule-priority",
      "<filter name='x'>\n<rule action='drop' direction='in' priority='5000'/>\n"
      "<rule action='drop' direction='out' priority='high'>\n"
      "<tcp dstportstart='22'/></rule>\n</filter>",
      "<filter name='x'>\n<rule action='drop' direction='in'/>\n"
      "<rule action='drop' direction='out'>\n<tcp dstportstart='22'/></rule>\n</filter>",
      "t.xml:2: <rule>: priority='5000' ignored (not a number in [-1000, 1000]): "
      "the rule has priority 500\n"
      "t.xml:3: <rule>: priority='high' ignored (not a number in [-1000, 1000]): "
      "the rule has priority 500" },
    { "rule-statematch",
      "<filter name='x'>\n<rule action='accept' direction='in' statematch='no'>\n"
      "<tcp dstportstart='22'/></rule>\n</filter>",
      "<filter name='x'>\n<rule action='accept' direction='in'>\n"
      "<tcp dstportstart='22'/></rule>\n</filter>",
      "t.xml:2: <rule>: statematch='no' keeps state matching on (only '0' or "
      "'false' turn it off)" },
    { "rule-element",
      RULE("<note/>\n<tcp dstportstart='22'/>"),
      RULE("<tcp dstportstart='22'/>"),
      "t.xml:3: <note>: element ignored (not a protocol element)" },
    { "rule-miscased-protocol",
      RULE("<TCP dstportstart='22'/>"),
      "<filter name='x'>\n<rule action='accept' direction='in'/>\n</filter>",
      "t.xml:3: <TCP>: element ignored (not a protocol element; did you mean <tcp>?)\n"
      "t.xml:2: <rule>: the rule has no protocol element: it matches every packet" },
    { "rule-second-protocol",
      RULE("<tcp dstportstart='24'/>\n<udp dstportstart='25'/>"),
      RULE("<tcp dstportstart='24'/>"),
      "t.xml:4: <udp>: element ignored (the rule's protocol element is <tcp>, and "
      "a rule has one)" },
    { "rule-same-protocol-twice",
      RULE("<tcp dstportstart='26'/>\n<tcp srcportstart='27' dstportstart='28'/>"),
      RULE("<tcp srcportstart='27' dstportstart='28'/>"),
      "t.xml:4: <tcp>: a second <tcp> in one rule: libvirt merges its attributes "
      "into the first" },
    { "protocol-attribute",
      RULE("<tcp dstport='22' dstportstart='2201'/>"),
      RULE("<tcp dstportstart='2201'/>"),
      "t.xml:3: <tcp>: attribute 'dstport' ignored (libvirt does not read it; did "
      "you mean 'dstportstart'?)" },
    { "protocol-attribute-of-another",
      RULE("<tcp-ipv6 flags='SYN/SYN' dstportstart='22'/>"),
      RULE("<tcp-ipv6 dstportstart='22'/>"),
      "t.xml:3: <tcp-ipv6>: attribute 'flags' ignored (libvirt does not read it; "
      "<tcp-ipv6> has none; <stp>, <tcp> have it)" },
    { "protocol-match",
      RULE("<tcp match='No' dstportstart='22'/>"),
      RULE("<tcp dstportstart='22'/>"),
      "t.xml:3: <tcp>: match='No' is read as match='yes' (only 'no' negates)" },
    { "ipset-with-ipsetflags",
      RULE("<tcp ipset='blocked' ipsetflags='src' dstportstart='28'/>"),
      RULE("<tcp dstportstart='28'/>"),
      "t.xml:2: <rule>: ipset and ipsetflags ignored: with both given, libvirt 9.0 "
      "drops both and the rule matches without the set" },
    { "ipsetflags-alone",
      RULE("<udp ipsetflags='dst' dstportstart='29'/>"),
      RULE("<udp dstportstart='29'/>"),
      "t.xml:2: <rule>: ipsetflags ignored (no ipset)" },
    { "all-ipset-alone",
      RULE("<all ipset='blocked' srcipaddr='10.9.9.9'/>"),
      RULE("<all srcipaddr='10.9.9.9'/>"),
      "t.xml:2: <rule>: ipset ignored: <all> matches a set only with both ipset "
      "and ipsetflags" },
    { "filterref-extras",
      "<filter name='x'>\n<filterref filter='y' extra='1'>\n"
      "<parameter name='A B' value='1'/>\n<param name='P' value='2'/>\n"
      "<parameter name='P' value='3' note='n'/>\n</filterref>\n</filter>",
      "<filter name='x'>\n<filterref filter='y'>\n"
      "<parameter name='P' value='3'/>\n</filterref>\n</filter>",
      "t.xml:2: <filterref>: attribute 'extra' ignored (libvirt does not read it)\n"
      "t.xml:3: <parameter>: parameter ignored: invalid name='A B' value='1'\n"
      "t.xml:4: <param>: element ignored (only <parameter> is read in <filterref>)\n"
      "t.xml:5: <parameter>: attribute 'note' ignored (libvirt does not read it)" },
    { "mac-trailing-text",
      RULE("<mac srcmacaddr='52:54:00:00:00:01 spare' protocolid='0x88b5'/>"),
      RULE("<mac srcmacaddr='52:54:00:00:00:01' protocolid='0x88b5'/>"),
      "t.xml:3: <mac>: srcmacaddr='52:54:00:00:00:01 spare': ' spare' after the "
      "address is ignored" },
    { "ipv4-forms",
      RULE("<tcp srcipaddr='10.1' dstipaddr='010.0.0.1' dstipmask='255.255.0'/>"),
      RULE("<tcp srcipaddr='10.0.0.1' dstipaddr='8.0.0.1' dstipmask='16'/>"),
      "t.xml:3: <tcp>: srcipaddr='10.1': read as 10.0.0.1\n"
      "t.xml:3: <tcp>: dstipaddr='010.0.0.1': read as 8.0.0.1\n"
      "t.xml:3: <tcp>: dstipmask='255.255.0': read as 255.255.0.0 (/16)" },
    { "number-forms",
      RULE("<tcp dstportstart=' 2205' srcportstart='+1024'/>"),
      RULE("<tcp dstportstart='2205' srcportstart='1024'/>"),
      "t.xml:3: <tcp>: srcportstart='+1024': read as 1024\n"
      "t.xml:3: <tcp>: dstportstart=' 2205': read as 2205" },
    { "number-negative",
      RULE("<stp root-cost='-1' type='0x80'/>"),
      RULE("<stp root-cost='4294967295' type='0x80'/>"),
      "t.xml:3: <stp>: root-cost='-1': read as 4294967295" },
    { "boolean",
      RULE("<arp gratuitous='maybe'/>"),
      RULE("<arp gratuitous='false'/>"),
      "t.xml:3: <arp>: gratuitous='maybe': read as false (only 'true', '1' and "
      "'yes' are true)" },
    { "comment",
      RULE("<tcp dstportstart='22' comment='" C250 C50 "'/>"),
      RULE("<tcp dstportstart='22' comment='" C250 "aaaaaa'/>"),
      "t.xml:3: <tcp>: comment='" C250 C50 "': 300 bytes long: cut to 256" },
    { NULL, NULL, NULL, NULL }
};

/* the filter 'y' filterref rows point to */
static const char *const yFilter =
    "<filter name='y'><rule action='accept' direction='out'>"
    "<tcp dstportstart='$P'/></rule></filter>";

static char *
build(const char *xml, GPtrArray *warnings)
{
    g_autoptr(nwfFilterSet) set = nwfFilterSetNew();
    g_autoptr(nwfBinding) b = g_new0(nwfBinding, 1);
    g_autoptr(virFirewall) fw = NULL;
    g_autoptr(GError) err = NULL;
    nwfFilter *def = nwfFilterParse(xml, strlen(xml), "t.xml", warnings, &err);

    if (!def)
        fail_msg("%s", err->message);
    nwfFilterSetAdd(set, def);
    nwfFilterSetAdd(set, nwfFilterParseString(yFilter, "y.xml", NULL));
    b->ownerName = g_strdup("vm");
    b->ownerUUID = g_strdup("u");
    b->portdev = g_strdup("vnet0");
    b->mac = g_strdup("52:54:00:00:00:01");
    b->filter = g_strdup("x");
    b->params = nwfVarsNew();
    nwfVarsAdd(b->params, "P", "80");
    if (!(fw = nwfBuildInstantiate(set, b, &err)))
        fail_msg("%s", err->message);
    return virFirewallToText(fw);
}

static void
test_row(void **state)
{
    const ParityRow *r = *state;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *with = build(r->with, warnings);
    g_autofree char *clean = build(r->clean, none);
    g_autofree char *got = NULL;

    if (strcmp(with, clean) != 0)
        fail_msg("%s: programs differ\nwith the item:\n%s\nas libvirt reads it:\n%s",
                 r->row, with, clean);
    if (none->len)
        fail_msg("%s: the clean twin warns: %s", r->row, (char *)none->pdata[0]);
    g_ptr_array_add(warnings, NULL);
    got = g_strjoinv("\n", (char **)warnings->pdata);
    if (strcmp(got, r->warnings) != 0)
        fail_msg("%s: warnings\nexpected:\n%s\ngot:\n%s", r->row, r->warnings, got);
}

/* A binding: invalid parameters are skipped, text after the MAC ignored. */
static void
test_binding_row(void **state)
{
    static const char *const xml =
        "<filterbindingstatus>\n<filterbinding>\n"
        "<owner><name> vm </name><uuid>6f726163-6c65-4000-8000-000000000001</uuid></owner>\n"
        "<portdev name='vnet1'/>\n"
        "<mac address='52:54:00:aa:0b:0c spare'/>\n"
        "<filterref filter='clean-traffic'>\n"
        "<parameter name='IP' value='10.0.0.1'/>\n"
        "<parameter name='IP' value='10.0.0.x/8'/>\n"
        "</filterref>\n</filterbinding>\n</filterbindingstatus>\n";
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfBinding) b = nwfBindingParse(xml, strlen(xml), "b.xml", true,
                                              warnings, &err);
    GPtrArray *ips;

    assert_non_null(b);
    assert_string_equal(b->mac, "52:54:00:aa:0b:0c");
    ips = g_hash_table_lookup(b->params, "IP");
    assert_int_equal(ips->len, 1);
    assert_int_equal(warnings->len, 2);
    assert_string_equal(warnings->pdata[0], "b.xml:5: <mac>: address='52:54:00:aa:0b:0c "
                        "spare': ' spare' after the address is ignored");
    assert_string_equal(warnings->pdata[1], "b.xml:8: <parameter>: parameter ignored: "
                        "invalid name='IP' value='10.0.0.x/8'");
}

int
main(void)
{
    GArray *tests = g_array_new(FALSE, TRUE, sizeof(struct CMUnitTest));
    int rc;

    for (const ParityRow *r = rows; r->row; r++) {
        struct CMUnitTest t = { r->row, test_row, NULL, NULL, (void *)r };
        g_array_append_val(tests, t);
    }
    {
        struct CMUnitTest t = cmocka_unit_test(test_binding_row);
        g_array_append_val(tests, t);
    }
    rc = _cmocka_run_group_tests("nwfilter-parity", (struct CMUnitTest *)tests->data,
                                 tests->len, NULL, NULL);
    g_array_unref(tests);
    return rc;
}
