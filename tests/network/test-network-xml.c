/*
 * test-network-xml.c: parsing libvirt's network XML (config and status)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "netutil.h"
#include "firewall/error.h"

static vfNetworkDef *
parse(const char *xml)
{
    g_autoptr(GError) err = NULL;
    vfNetworkDef *def = vfNetworkDefParseString(xml, "net.xml", &err);

    if (!def)
        fail_msg("unexpected error: %s", err->message);
    return def;
}

static char *
ipNet(const vfNetworkDef *def, guint i)
{
    return vfNetworkIPDefFormatNetwork(g_ptr_array_index(def->ips, i));
}

static void
test_libvirt_data(void **state)
{
    g_autoptr(vfNetworkDef) def = netTestLoadDef("nat-port-range-ipv6");
    g_autofree char *n0 = ipNet(def, 0);
    g_autofree char *n2 = ipNet(def, 2);
    const vfNetworkIPDef *ip;

    assert_string_equal(def->name, "default");
    assert_string_equal(def->bridge, "virbr0");
    assert_int_equal(def->forward, VF_NETWORK_FORWARD_NAT);
    assert_true(def->nat_ipv6);
    assert_int_equal(def->nat_port_start, 500);
    assert_int_equal(def->nat_port_end, 1000);
    assert_null(def->forward_dev);
    assert_int_equal(def->ips->len, 3);
    assert_string_equal(n0, "192.168.122.0/24");
    assert_string_equal(n2, "2001:db8:ca2:2::/64");
    ip = vfNetworkDefGetIP(def, AF_INET, 0);
    assert_int_equal(ip->nranges, 1);
    ip = vfNetworkDefGetIP(def, AF_INET, 1);
    assert_int_equal(ip->nranges, 0);
    ip = vfNetworkDefGetIP(def, AF_INET6, 0);
    assert_int_equal(ip->prefix, 64);
    assert_null(vfNetworkDefGetIP(def, AF_INET6, 1));
    assert_true(vfNetworkDefGetIP(def, AF_UNSPEC, 2) == ip);
}

static void
test_status_xml(void **state)
{
    /* what libvirt writes to /run/libvirt/network/NAME.xml */
    g_autoptr(vfNetworkDef) def = parse(
        "<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE.\n-->\n"
        "<networkstatus>\n"
        "  <class_id bitmap='1-2'/>\n"
        "  <floor sum='0'/>\n"
        "  <network connections='2'>\n"
        "    <name>default</name>\n"
        "    <uuid>5d7e1b3a-9c0e-4f57-8d3e-2b1f6a4c9e01</uuid>\n"
        "    <forward mode='route'>\n"
        "      <interface dev='eth1'/>\n"
        "    </forward>\n"
        "    <bridge name='virbr1' stp='on' delay='0'/>\n"
        "    <mac address='52:54:00:aa:bb:cc'/>\n"
        "    <dns enable='yes'/>\n"
        "    <ip address='172.16.5.254' prefix='20'>\n"
        "      <dhcp><host mac='52:54:00:00:00:01' ip='172.16.5.2'/></dhcp>\n"
        "    </ip>\n"
        "  </network>\n"
        "</networkstatus>\n");
    g_autofree char *n0 = ipNet(def, 0);

    assert_int_equal(def->forward, VF_NETWORK_FORWARD_ROUTE);
    assert_string_equal(def->forward_dev, "eth1");
    assert_string_equal(def->bridge, "virbr1");
    assert_string_equal(n0, "172.16.0.0/20");
    assert_int_equal(((vfNetworkIPDef *)g_ptr_array_index(def->ips, 0))->nhosts, 1);
}

static void
test_prefixes(void **state)
{
    g_autoptr(vfNetworkDef) def = parse(
        "<network><name>p</name>"
        "<ip address='10.1.2.3'/>"                         /* class A */
        "<ip address='172.16.1.1'/>"                       /* class B */
        "<ip family='ipv4' address='192.0.2.77'/>"         /* class C */
        "<ip address='10.1.2.3' netmask='255.255.255.252'/>"
        "<ip address='10.1.2.3' prefix='0'/>"              /* 0 = unset */
        "<ip family='ipv6' address='2001:DB8::1:2'/>"      /* default /64 */
        "<ip family='ipv6' address='fd00:1:2:3:4::1' prefix='67'/>"
        "<ip address='10.200.0.1' netmask='0.0.0.0'/>"
        "</network>");
    static const char *const expected[] = {
        "10.0.0.0/8", "172.16.0.0/16", "192.0.2.0/24", "10.1.2.0/30",
        "10.0.0.0/8", "2001:db8::/64", "fd00:1:2:3::/67", "0.0.0.0/0",
    };

    assert_int_equal(def->ips->len, G_N_ELEMENTS(expected));
    for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
        g_autofree char *net = ipNet(def, i);

        assert_string_equal(net, expected[i]);
    }
    assert_int_equal(def->forward, VF_NETWORK_FORWARD_NONE);
}

static void
test_forward_variants(void **state)
{
    g_autoptr(vfNetworkDef) a = parse(
        "<network><name>a</name><forward dev='eth0'>"
        "<interface dev='eth0'/><interface dev='eth1'/></forward></network>");
    g_autoptr(vfNetworkDef) b = parse(
        "<network ipv6='yes'><name>b</name><forward mode='open'/></network>");
    g_autoptr(vfNetworkDef) c = parse(
        "<network><name> spaced </name><forward mode='nat'><nat ipv6='no'>"
        "<address start='198.51.100.1' end='198.51.100.1'/></nat></forward>"
        "</network>");

    assert_int_equal(a->forward, VF_NETWORK_FORWARD_NAT);
    assert_string_equal(a->forward_dev, "eth0");
    assert_int_equal(b->forward, VF_NETWORK_FORWARD_OPEN);
    assert_true(b->ipv6nogw);
    assert_null(b->bridge);
    assert_string_equal(c->name, "spaced");
    assert_true(c->has_nat_addr);
    assert_false(c->nat_ipv6);
}

static void
test_errors(void **state)
{
    static const struct {
        const char *xml;
        const char *message;
    } cases[] = {
        { "<network>\n<name>x</name>\n<ip address='1.2.3.4'>\n</network>\n",
          "net.xml:4: bad XML: Opening and ending tag mismatch: ip line 3 "
          "and network" },
        { "", "net.xml:1: bad XML: empty document" },
        { "<domain/>", "net.xml:1: <domain>: unexpected root element "
          "(expected <network> or <networkstatus>)" },
        { "<networkstatus>\n<floor sum='0'/>\n</networkstatus>",
          "net.xml:1: <networkstatus>: no <network> inside" },
        { "<network>\n<bridge name='b'/>\n</network>",
          "net.xml:1: <network>: missing <name>" },
        { "<network ipv6='maybe'><name>x</name></network>",
          "net.xml:1: <network>: invalid ipv6='maybe' (expected 'yes' or 'no')" },
        { "<network><name>x</name>\n<forward mode='natt'/></network>",
          "net.xml:2: <forward>: unknown forwarding type 'natt'" },
        { "<network><name>x</name>\n<forward mode='route'>\n<nat/>\n</forward>"
          "</network>",
          "net.xml:3: <nat>: can only be used when <forward> mode is 'nat'" },
        { "<network><name>x</name><forward><nat/><nat/></forward></network>",
          "net.xml:1: <forward>: only one <nat> element is allowed" },
        { "<network><name>x</name><forward><nat ipv6='1'/></forward></network>",
          "net.xml:1: <nat>: invalid ipv6='1' (expected 'yes' or 'no')" },
        { "<network><name>x</name><forward><nat>\n"
          "<address start='10.0.0.1'/></nat></forward></network>",
          "net.xml:2: <address>: missing 'end' attribute" },
        { "<network><name>x</name><forward><nat>\n"
          "<address start='10.0.0.9' end='10.0.0.1'/></nat></forward></network>",
          "net.xml:2: <address>: start address '10.0.0.9' is after end '10.0.0.1'" },
        { "<network><name>x</name><forward><nat>\n"
          "<address start='::1' end='::2'/></nat></forward></network>",
          "net.xml:2: <address>: bad IPv4 start address '::1'" },
        { "<network><name>x</name><forward><nat>\n"
          "<port start='1000' end='999'/></nat></forward></network>",
          "net.xml:2: <port>: end 999 is below start 1000" },
        { "<network><name>x</name><forward><nat>\n"
          "<port start='1000' end='70000'/></nat></forward></network>",
          "net.xml:2: <port>: invalid end='70000' (expected 0 to 65535)" },
        { "<network><name>x</name><forward><nat><port end='9'/></nat>"
          "</forward></network>",
          "net.xml:1: <port>: missing 'start' attribute" },
        { "<network><name>x</name><forward dev='eth0'>\n"
          "<interface dev='eth1'/></forward></network>",
          "net.xml:2: <interface>: <forward dev='eth0'> must match the first "
          "<interface dev='eth1'/>" },
        { "<network><name>x</name><forward>\n<interface/></forward></network>",
          "net.xml:2: <interface>: missing 'dev' attribute" },
        { "<network><name>x</name>\n<ip netmask='255.0.0.0'/></network>",
          "net.xml:2: <ip>: missing 'address' attribute" },
        { "<network><name>x</name>\n<ip address='10.0.0.256'/></network>",
          "net.xml:2: <ip>: invalid address '10.0.0.256'" },
        { "<network><name>x</name>\n<ip address='fd00::1' prefix='64'/></network>",
          "net.xml:2: <ip>: no family specified for non-IPv4 address 'fd00::1'" },
        { "<network><name>x</name>\n<ip family='ipv6' address='10.0.0.1'/></network>",
          "net.xml:2: <ip>: family 'ipv6' specified for non-IPv6 address '10.0.0.1'" },
        { "<network><name>x</name>\n<ip family='inet' address='10.0.0.1'/></network>",
          "net.xml:2: <ip>: unrecognized family 'inet'" },
        { "<network><name>x</name>\n<ip address='10.0.0.1' prefix='33'/></network>",
          "net.xml:2: <ip>: invalid prefix='33' (expected 0 to 32)" },
        { "<network><name>x</name>\n<ip family='ipv6' address='fd00::1' "
          "prefix='129'/></network>",
          "net.xml:2: <ip>: invalid prefix='129' (expected 0 to 128)" },
        { "<network><name>x</name>\n<ip address='10.0.0.1' prefix='8' "
          "netmask='255.0.0.0'/></network>",
          "net.xml:2: <ip>: cannot have both prefix='8' and a netmask" },
        { "<network><name>x</name>\n<ip address='10.0.0.1' "
          "netmask='255.0.255.0'/></network>",
          "net.xml:2: <ip>: invalid netmask '255.0.255.0'" },
        { "<network><name>x</name>\n<ip family='ipv6' address='fd00::1' "
          "netmask='255.0.0.0'/></network>",
          "net.xml:2: <ip>: netmask not allowed for IPv6 address 'fd00::1'" },
        { "<network><name>x</name><ip family='ipv6' address='fd00::1'>\n"
          "<tftp root='/srv'/></ip></network>",
          "net.xml:2: <tftp>: not supported in an IPv6 <ip>" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(vfNetworkDef) def = vfNetworkDefParseString(cases[i].xml,
                                                              "net.xml", &err);

        if (def)
            fail_msg("case %zu parsed: %s", i, cases[i].xml);
        assert_true(g_error_matches(err, VF_ERROR, VF_ERROR_PARSE));
        if (!g_str_equal(err->message, cases[i].message))
            fail_msg("case %zu: got '%s', expected '%s'", i, err->message,
                     cases[i].message);
    }
}

static void
test_file_errors(void **state)
{
    g_autofree char *path = netTestDataPath("no-such-network.xml");
    g_autoptr(GError) err = NULL;

    assert_null(vfNetworkDefParseFile(path, &err));
    assert_true(g_error_matches(err, VF_ERROR, VF_ERROR_PARSE));
    assert_non_null(strstr(err->message, "no-such-network.xml"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libvirt_data),
        cmocka_unit_test(test_status_xml),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_forward_variants),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_file_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
