/*
 * test_nwfilter_limits.c: what one binding may cost (issue 18, items 3
 * and 8): names the tools read as wildcards are refused; a list of
 * 100 000 values is built, linearly (libvirt's duplicate check compares
 * each value with every earlier one: 40 000 values took 21-24 s of CPU,
 * 100 000 take minutes, over this test's timeout); parameters no rule
 * uses are not carried into the rule instances, and the instances share
 * their variables; reference fan-out, reference depth and the number of
 * rules are limited, each with a message naming the limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "nwfilter/nwfilter.h"

/* an ebtables rule appended to vnet0's temporary root chain */
#define RULE_J "ethernet '-t' 'nat' '-A' 'libvirt-J-vnet0' '-p' 'ipv4'"

static nwfFilterSet *
setFromStrings(const char *const *xmls)
{
    nwfFilterSet *set = nwfFilterSetNew();

    for (gsize i = 0; xmls[i]; i++) {
        g_autoptr(GError) err = NULL;
        nwfFilter *def = nwfFilterParseString(xmls[i], "test.xml", &err);
        if (!def)
            fail_msg("parse: %s", err->message);
        assert_true(nwfFilterSetAdd(set, def));
    }
    return set;
}

static nwfBinding *
newBinding(const char *portdev, const char *filter)
{
    nwfBinding *b = g_new0(nwfBinding, 1);

    b->ownerName = g_strdup("vm");
    b->ownerUUID = g_strdup("u");
    b->portdev = g_strdup(portdev);
    b->mac = g_strdup("52:54:00:00:00:01");
    b->filter = g_strdup(filter);
    b->params = nwfVarsNew();
    return b;
}

/* lines of the program's text (words quoted) starting with @prefix; by
 * hand: ASan's strstr, strchr and g_strsplit read the whole rest of the
 * text at each call (quadratic for 100 000 lines) */
static guint
countLines(const virFirewall *fw, const char *prefix)
{
    g_autofree char *text = virFirewallToText(fw);
    gsize plen = strlen(prefix);
    guint n = 0;

    for (const char *line = text; *line;) {
        const char *end = line;
        while (*end && *end != '\n')
            end++;
        n += (gsize)(end - line) >= plen && memcmp(line, prefix, plen) == 0;
        line = *end ? end + 1 : end;
    }
    return n;
}

static void
test_wildcard_names(void **state G_GNUC_UNUSED)
{
    const char *xmls[] = {
        "<filter name='f'><rule action='drop' direction='out'>"
        "<mac srcmacaddr='$MAC'/></rule></filter>", NULL
    };
    const char *exact[] = { "vnet0", "vnet*", "!x", "a.b", NULL };
    const char *refused[] = { "vnet+", "+", "vn+x", "+x", NULL };
    g_autoptr(nwfFilterSet) set = setFromStrings(xmls);

    for (gsize i = 0; exact[i]; i++) {
        g_autoptr(nwfBinding) b = newBinding(exact[i], "f");
        g_autoptr(GError) err = NULL;
        g_autoptr(virFirewall) fw = nwfBuildInstantiate(set, b, &err);
        assert_non_null(fw);
    }
    for (gsize i = 0; refused[i]; i++) {
        g_autoptr(nwfBinding) b = newBinding(refused[i], "f");
        g_autoptr(GError) err = NULL;
        g_autoptr(virFirewall) fw = nwfBuildInstantiate(set, b, &err);
        assert_null(fw);
        assert_true(g_str_has_prefix(err->message, refused[i]));
    }
    {
        g_autoptr(nwfBinding) b = newBinding("vnet+", "f");
        g_autoptr(GError) err = NULL;
        g_autoptr(virFirewall) fw = nwfBuildInstantiate(set, b, &err);
        assert_string_equal(err->message,
                            "vnet+ (binding): interface name 'vnet+' ends in '+', which "
                            "iptables and ebtables read as a wildcard (every interface "
                            "whose name starts with 'vnet'): refused (libvirt 9.0 applies "
                            "such rules)");
    }
}

/* 100 000 values, each twice: 50 000 rules, in the order of first sight */
static void
test_many_values(void **state G_GNUC_UNUSED)
{
    const char *xmls[] = {
        "<filter name='f'><rule action='drop' direction='out'>"
        "<ip srcipaddr='$A'/></rule></filter>", NULL
    };
    g_autoptr(nwfFilterSet) set = setFromStrings(xmls);
    g_autoptr(nwfBinding) b = newBinding("vnet0", "f");
    g_autoptr(GError) err = NULL;
    g_autoptr(virFirewall) fw = NULL;
    g_autofree char *text = NULL;
    const guint n = NWF_MAX_RULES;

    for (guint i = 0; i < n; i++) {
        guint j = i % (n / 2);
        g_autofree char *v = g_strdup_printf("10.%u.%u.%u", j >> 16, (j >> 8) & 255, j & 255);
        nwfVarsAdd(b->params, "A", v);
    }
    fw = nwfBuildInstantiate(set, b, &err);
    assert_non_null(fw);
    assert_int_equal(countLines(fw, RULE_J), n / 2);
    text = virFirewallToText(fw);
    assert_non_null(strstr(text, "'10.0.0.0'"));
    assert_true(strstr(text, "'10.0.0.0'") < strstr(text, "'10.0.0.1'"));
    assert_non_null(strstr(text, "'10.0.195.79'"));   /* 49 999 */
    assert_null(strstr(text, "'10.0.195.80'"));       /* 50 000 */
}

/* 200 000 parameters no rule names stay out of the instances; a list is
 * shared, not copied, and so is each filter's table of variables */
static void
test_shared_vars(void **state G_GNUC_UNUSED)
{
    const char *xmls[] = {
        "<filter name='top'><rule action='drop' direction='out'>"
        "<ip srcipaddr='$IP'/></rule><filterref filter='leaf'/>"
        "<rule action='drop' direction='in'><ip dstipaddr='$IP'/></rule></filter>",
        "<filter name='leaf'><rule action='drop' direction='out'>"
        "<mac srcmacaddr='$MAC'/></rule><rule action='drop' direction='in'>"
        "<ip dstipaddr='$IP' srcipaddr='$GW'/></rule></filter>", NULL
    };
    g_autoptr(nwfFilterSet) set = setFromStrings(xmls);
    g_autoptr(nwfBinding) b = newBinding("vnet0", "top");
    g_autoptr(GHashTable) vars = NULL;
    g_autoptr(GPtrArray) insts = NULL;
    g_autoptr(GError) err = NULL;
    nwfRuleInst *i0, *i1, *i2, *i3;

    for (guint i = 0; i < 200000; i++) {
        g_autofree char *name = g_strdup_printf("UNUSED%u", i);
        nwfVarsAdd(b->params, name, "x");
    }
    nwfVarsAdd(b->params, "IP", "10.0.0.1");
    nwfVarsAdd(b->params, "IP", "10.0.0.2");
    nwfVarsAdd(b->params, "GW", "10.0.0.254");
    vars = nwfBindingVars(b);
    insts = nwfFilterInstantiate(set, "top", vars, &err);
    assert_non_null(insts);
    assert_int_equal(insts->len, 4);
    i0 = insts->pdata[0];   /* top, leaf, leaf, top */
    i1 = insts->pdata[1];
    i2 = insts->pdata[2];
    i3 = insts->pdata[3];
    assert_int_equal(g_hash_table_size(i0->vars), 3);   /* IP, MAC, GW */
    assert_ptr_equal(i0->vars, i3->vars);
    assert_ptr_equal(i1->vars, i2->vars);
    assert_ptr_equal(g_hash_table_lookup(i1->vars, "IP"),
                     g_hash_table_lookup(b->params, "IP"));
    assert_int_equal(((GPtrArray *)g_hash_table_lookup(i1->vars, "IP"))->len, 2);
}

static void
expectLimit(nwfFilterSet *set, nwfBinding *b, const char *message)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(virFirewall) fw = nwfBuildInstantiate(set, b, &err);

    assert_null(fw);
    if (!strstr(err->message, message))
        fail_msg("expected '%s' in:\n  %s", message, err->message);
}

/* a chain of references @depth long from filter "d0" to a rule */
static nwfFilterSet *
chainSet(guint depth)
{
    nwfFilterSet *set = nwfFilterSetNew();

    for (guint i = 0; i <= depth; i++) {
        g_autofree char *xml = i < depth ?
            g_strdup_printf("<filter name='d%u'><filterref filter='d%u'/></filter>", i, i + 1) :
            g_strdup_printf("<filter name='d%u'><rule action='drop' direction='out'>"
                            "<mac srcmacaddr='$MAC'/></rule></filter>", i);
        g_autoptr(GError) err = NULL;
        nwfFilter *def = nwfFilterParseString(xml, "chain.xml", &err);
        assert_non_null(def);
        assert_true(nwfFilterSetAdd(set, def));
    }
    return set;
}

static void
test_limits(void **state G_GNUC_UNUSED)
{
    g_autoptr(GPtrArray) xmls = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(nwfFilterSet) set = NULL;
    g_autoptr(nwfFilterSet) chain = chainSet(NWF_MAX_FILTER_DEPTH + 1);
    g_autoptr(nwfBinding) b = NULL;
    g_autoptr(virFirewall) fw = NULL;
    g_autoptr(GError) err = NULL;

    /* fan-out: 40 levels of two references each, 2^41 in all */
    for (guint i = 0; i < 40; i++)
        g_ptr_array_add(xmls, g_strdup_printf("<filter name='fan%u'><filterref filter='fan%u'/>"
                                              "<filterref filter='fan%u'/></filter>",
                                              i, i + 1, i + 1));
    g_ptr_array_add(xmls, g_strdup("<filter name='fan40'/>"));
    /* rules: a list of 50 000 in a rule reached twice is at the limit,
     * three times over it; two lists iterated apart multiply */
    g_ptr_array_add(xmls, g_strdup("<filter name='list'><rule action='drop' direction='out'>"
                                   "<ip srcipaddr='$A'/></rule></filter>"));
    g_ptr_array_add(xmls, g_strdup("<filter name='twice'><filterref filter='list'/>"
                                   "<filterref filter='list'/></filter>"));
    g_ptr_array_add(xmls, g_strdup("<filter name='thrice'><filterref filter='list'/>"
                                   "<filterref filter='list'/><filterref filter='list'/></filter>"));
    g_ptr_array_add(xmls, g_strdup("<filter name='cart'><rule action='drop' direction='out'>"
                                   "<ip srcipaddr='$B[@1]' dstipaddr='$C[@2]'/></rule></filter>"));
    g_ptr_array_add(xmls, NULL);
    set = setFromStrings((const char *const *)xmls->pdata);

    b = newBinding("vnet0", "fan0");
    expectLimit(set, b, "filter 'fan0' expands to more than 100000 filter references "
                "(test.xml:1): virt-firewall's limit");
    g_clear_pointer(&b, nwfBindingFree);

    b = newBinding("vnet0", "twice");
    for (guint i = 0; i < NWF_MAX_RULES / 2; i++) {
        g_autofree char *v = g_strdup_printf("10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
        nwfVarsAdd(b->params, "A", v);
    }
    fw = nwfBuildInstantiate(set, b, &err);
    assert_non_null(fw);
    assert_int_equal(countLines(fw, RULE_J), NWF_MAX_RULES);
    g_clear_pointer(&fw, virFirewallFree);
    g_free(b->filter);
    b->filter = g_strdup("thrice");
    expectLimit(set, b, "filter 'thrice' expands to more than 100000 rules (counting each "
                "combination of variable values; test.xml:1 adds 50000): virt-firewall's limit");
    g_clear_pointer(&b, nwfBindingFree);

    b = newBinding("vnet0", "cart");
    for (guint i = 0; i < 400; i++) {
        g_autofree char *v = g_strdup_printf("10.1.%u.%u", i >> 8, i & 255);
        nwfVarsAdd(b->params, "B", v);
        nwfVarsAdd(b->params, "C", v);
    }
    expectLimit(set, b, "test.xml:1 adds 160000");
    g_clear_pointer(&b, nwfBindingFree);

    /* 1000 references deep are taken, 1001 are not */
    b = newBinding("vnet0", "d1");
    fw = nwfBuildInstantiate(chain, b, &err);
    assert_non_null(fw);
    g_free(b->filter);
    b->filter = g_strdup("d0");
    expectLimit(chain, b, "filter 'd0': filter references nested deeper than 1000 levels "
                "(chain.xml:1): virt-firewall's limit");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wildcard_names),
        cmocka_unit_test(test_many_values),
        cmocka_unit_test(test_shared_vars),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
