/*
 * test-host-libvirt-unit.c: src/host/libvirt.c against libvirt's built-in
 * test driver (test:///..., no daemon, no root)
 *
 * The test driver has networks but no nwfilter driver, so the network
 * part is tested on its own: libvirt.c is included here to reach its
 * static loadNetworks(). The filters and bindings are covered by
 * test-host-libvirt.sh against a real libvirtd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "host/libvirt.c"

static const char nodeXml[] =
    "<node>\n"
    "  <network>\n"
    "    <name>zeta</name>\n"
    "    <forward mode='route'/>\n"
    "    <bridge name='vfbr-z'/>\n"
    "    <ip address='10.9.0.1' prefix='24'/>\n"
    "  </network>\n"
    "  <network>\n"
    "    <name>mid</name>\n"
    "    <bridge name='vfbr-m'/>\n"
    "    <ip address='10.8.0.1' prefix='24'/>\n"
    "  </network>\n"
    "  <network>\n"
    "    <name>alpha</name>\n"
    "    <forward mode='nat'/>\n"
    "    <bridge name='vfbr-a'/>\n"
    "    <ip address='192.168.50.1' netmask='255.255.255.0'>\n"
    "      <dhcp><range start='192.168.50.2' end='192.168.50.254'/></dhcp>\n"
    "    </ip>\n"
    "    <ip family='ipv6' address='fd00:50::1' prefix='64'/>\n"
    "  </network>\n"
    "</node>\n";

static virConnectPtr
openTest(const char *uri)
{
    virConnectPtr conn;

    /* the static loaders below call libvirt through the dlopen()ed table */
    if (!loadLibvirt(NULL))
        fail_msg("cannot load libvirt.so.0");
    virSetErrorFunc(NULL, quietErrorFunc);
    conn = virConnectOpen(uri);
    if (!conn)
        fail_msg("virConnectOpen(%s): %s", uri, virGetLastErrorMessage());
    return conn;
}

/* test:///default: one active network, "default" (NAT, virbr0) */
static void
testDefaultNetwork(void **state G_GNUC_UNUSED)
{
    virConnectPtr conn = openTest("test:///default");
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) failures = vfFailuresNew();
    g_autoptr(GPtrArray) nets = loadNetworks(conn, "test:///default", failures, &err);
    const vfNetworkDef *def;

    assert_null(err);
    assert_non_null(nets);
    assert_int_equal(failures->len, 0);
    assert_int_equal(nets->len, 1);
    def = nets->pdata[0];
    assert_string_equal(def->name, "default");
    assert_string_equal(def->bridge, "virbr0");
    assert_int_equal(def->forward, VF_NETWORK_FORWARD_NAT);
    assert_int_equal(def->ips->len, 1);
    assert_string_equal(def->source, "libvirt:network/default");
    virConnectClose(conn);
}

/* Only active networks, sorted by name; their live definitions. */
static void
testActiveSorted(void **state G_GNUC_UNUSED)
{
    g_autofree char *path = NULL;
    g_autofree char *uri = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) nets = NULL;
    g_autoptr(GPtrArray) failures = vfFailuresNew();
    virConnectPtr conn;
    virNetworkPtr mid;
    int fd = g_file_open_tmp("vf-host-nodeXXXXXX.xml", &path, NULL);
    const vfNetworkDef *a, *z;

    assert_true(fd >= 0);
    close(fd);
    assert_true(g_file_set_contents(path, nodeXml, -1, NULL));
    uri = g_strdup_printf("test://%s", path);
    conn = openTest(uri);

    /* the test driver starts every network of the file: stop one */
    assert_non_null(mid = virNetworkLookupByName(conn, "mid"));
    assert_int_equal(virNetworkDestroy(mid), 0);
    virNetworkFree(mid);

    nets = loadNetworks(conn, uri, failures, &err);
    assert_int_equal(failures->len, 0);
    assert_null(err);
    assert_non_null(nets);
    assert_int_equal(nets->len, 2);
    {
        /* vfHostLoadLibvirt sorts what it read, as the file loader does */
        vfHost host = { .networks = nets };
        vfHostSort(&host);
    }
    a = nets->pdata[0];
    z = nets->pdata[1];
    assert_string_equal(a->name, "alpha");
    assert_string_equal(z->name, "zeta");
    assert_int_equal(a->forward, VF_NETWORK_FORWARD_NAT);
    assert_int_equal(z->forward, VF_NETWORK_FORWARD_ROUTE);
    assert_string_equal(a->bridge, "vfbr-a");
    assert_int_equal(a->ips->len, 2);
    assert_non_null(vfNetworkDefGetIP(a, AF_INET6, 0));
    assert_string_equal(z->source, "libvirt:network/zeta");

    virConnectClose(conn);
    g_unlink(path);
}

/* A driver without nwfilter support: libvirt's own message, with the URI */
static void
testNoNWFilterDriver(void **state G_GNUC_UNUSED)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(vfHost) host = vfHostLoadLibvirt("test:///default", &err);

    assert_null(host);
    assert_non_null(err);
    assert_true(g_error_matches(err, VF_ERROR, VF_ERROR_FAILED));
    assert_non_null(strstr(err->message, "test:///default"));
    assert_non_null(strstr(err->message, "virConnectListAllNWFilters"));
}

/* Which driver each URI is asked for: only what its driver has (asking
 * nwfilter:/// for networks is an error line in libvirtd's log) */
static void
testUriRoles(void **state G_GNUC_UNUSED)
{
    assert_int_equal(vfHostUriRoles("nwfilter:///system"), VF_URI_NWFILTER);
    assert_int_equal(vfHostUriRoles("NWFilter+unix:///system"), VF_URI_NWFILTER);
    assert_int_equal(vfHostUriRoles("network:///system"), VF_URI_NETWORK);
    assert_int_equal(vfHostUriRoles("network+ssh://h/system"), VF_URI_NETWORK);
    assert_int_equal(vfHostUriRoles("qemu:///system"), VF_URI_NWFILTER | VF_URI_NETWORK);
    assert_int_equal(vfHostUriRoles("qemu+ssh://root@h/system"), VF_URI_NWFILTER | VF_URI_NETWORK);
    assert_int_equal(vfHostUriRoles("test:///default"), VF_URI_NWFILTER | VF_URI_NETWORK);
    assert_int_equal(vfHostUriRoles(NULL), 0);
    assert_int_equal(vfHostUriRoles(""), 0);
}

/* Two URIs that read the same driver, or three URIs: refused, naming them */
static void
testTwoForOneDriver(void **state G_GNUC_UNUSED)
{
    const char *both[] = { "test:///default", "test:///default", NULL };
    const char *three[] = { "a:///", "b:///", "c:///", NULL };
    g_autoptr(GError) err = NULL;
    g_autoptr(vfHost) host = vfHostLoadLibvirtUris(both, &err);

    assert_null(host);
    assert_true(g_error_matches(err, VF_ERROR, VF_ERROR_INVALID));
    assert_non_null(strstr(err->message, "--connect test:///default and --connect "
                           "test:///default both read the filters and bindings"));
    g_clear_error(&err);
    assert_null(vfHostLoadLibvirtUris(three, &err));
    assert_non_null(strstr(err->message, "--connect given 3 times"));
}

/* "" is libvirt's default URI: LIBVIRT_DEFAULT_URI, named in the message */
static void
testDefaultUri(void **state G_GNUC_UNUSED)
{
    const char *dflt[] = { "", NULL };
    g_autoptr(GError) err = NULL;
    g_autoptr(vfHost) host = NULL;

    g_setenv("LIBVIRT_DEFAULT_URI", "test:///default", TRUE);
    host = vfHostLoadLibvirtUris(dflt, &err);
    g_unsetenv("LIBVIRT_DEFAULT_URI");
    assert_null(host);
    assert_non_null(err);
    /* the test driver has no nwfilter: the default URI was the one asked */
    assert_non_null(strstr(err->message, "test:///default: cannot list network filters"));
}

static void
testCannotConnect(void **state G_GNUC_UNUSED)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(vfHost) host =
        vfHostLoadLibvirt("test:///nonexistent/vf-host-no-such-file.xml", &err);

    assert_null(host);
    assert_non_null(err);
    assert_true(g_str_has_prefix(err->message, "cannot connect to libvirt at "
                                 "test:///nonexistent/vf-host-no-such-file.xml: "));
    /* libvirt's own message follows */
    assert_true(strlen(err->message) > strlen("cannot connect to libvirt at "
                "test:///nonexistent/vf-host-no-such-file.xml: "));
    print_message("%s\n", err->message);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(testDefaultNetwork),
        cmocka_unit_test(testActiveSorted),
        cmocka_unit_test(testNoNWFilterDriver),
        cmocka_unit_test(testCannotConnect),
        cmocka_unit_test(testUriRoles),
        cmocka_unit_test(testTwoForOneDriver),
        cmocka_unit_test(testDefaultUri),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
