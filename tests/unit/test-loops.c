/*
 * test-loops: vfTableJumpLoops answers a jump from a builtin chain at once
 * while the table is known to hold no loop of jumps (libvirt links its
 * base chains from FORWARD, INPUT and OUTPUT again at every VM). What may
 * bring a loop must make it look again: lines read, a jump between user
 * chains that closes one, by append or insert; a copy knows what its
 * source knew. tests/unit/test-diff-unparsed.c checks the walks themselves.
 */
#include "restore/snapshot.h"
#include "restore/table.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

static const char *const base =
    "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
    ":libvirt-in - [0:0]\n:FI-vnet0 - [0:0]\n:d - [0:0]\n:e - [0:0]\n"
    "-A libvirt-in -j FI-vnet0\n-A d -j e\nCOMMIT\n";

static vfTable *
readTable(vfTableSet *set, const char *text)
{
    assert_true(vfSnapshotParse(set, text, NULL));
    return vfTableSetGet(set, "filter");
}

static gboolean
loops(vfTable *t, const char *from, const char *to)
{
    return vfTableJumpLoops(t, vfTableGetChain(t, from), vfTableGetChain(t, to));
}

static GStrv
jump(const char *to)
{
    return vfRulePack((const char *const[]){ "-j", to, NULL });
}

/* a jump between user chains closing a loop, appended or inserted, and
 * checked first as the simulation does (its walk then serves both) */
static void
test_closing_jump(void **state)
{
    for (int k = 0; k < 4; k++) {
        gboolean insert = k & 1, checked = k & 2;
        g_autoptr(vfTableSet) set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
        vfTable *t = readTable(set, base);
        vfChain *e = vfTableGetChain(t, "e");

        assert_false(loops(t, "FORWARD", "libvirt-in"));
        assert_true(t->noLoops);   /* found out once */
        /* a jump that closes none keeps it known */
        if (checked)
            assert_false(loops(t, "FI-vnet0", "d"));
        vfTableAppendRule(t, vfTableGetChain(t, "FI-vnet0"), jump("d"));
        assert_true(t->noLoops);
        assert_false(loops(t, "INPUT", "d"));
        /* e -> d closes d -> e -> d, which nothing reaches: the kernel
         * takes it, and a builtin chain reaching it is the loop */
        if (checked)
            assert_false(loops(t, "e", "d"));
        if (insert)
            vfTableInsertRule(t, e, 0, jump("d"));
        else
            vfTableAppendRule(t, e, jump("d"));
        assert_false(t->noLoops);
        assert_true(loops(t, "INPUT", "d"));
        assert_true(loops(t, "FORWARD", "libvirt-in"));   /* -> FI-vnet0 -> d */
    }
}

/* a check's walk serves only the insert right after it */
static void
test_stale_walk(void **state)
{
    g_autoptr(vfTableSet) set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    vfTable *t = readTable(set, base);

    assert_false(loops(t, "INPUT", "d"));
    assert_false(loops(t, "FI-vnet0", "d"));   /* d -> e, nothing back */
    vfTableAppendRule(t, vfTableGetChain(t, "e"), jump("FI-vnet0"));
    assert_true(t->noLoops);
    /* now d -> e -> FI-vnet0 -> d */
    vfTableAppendRule(t, vfTableGetChain(t, "FI-vnet0"), jump("d"));
    assert_false(t->noLoops);
    assert_true(loops(t, "FORWARD", "libvirt-in"));
}

/* lines read into a table known without loops */
static void
test_lines(void **state)
{
    g_autoptr(vfTableSet) set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    vfTable *t = readTable(set, base);
    static const char more[] = "-A e -j d\n";

    assert_false(loops(t, "INPUT", "d"));
    vfTableAddLines(t, vfTableGetChain(t, "e"), more, strlen(more));
    assert_false(t->noLoops);
    assert_true(loops(t, "INPUT", "d"));
}

/* the loop in the lines as read: found by the first walk */
static void
test_read_loop(void **state)
{
    g_autoptr(vfTableSet) set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    vfTable *t = readTable(set, "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
                                ":OUTPUT ACCEPT [0:0]\n:d - [0:0]\n:e - [0:0]\n"
                                "-A d -j e\n-A e -j d\nCOMMIT\n");

    assert_true(loops(t, "OUTPUT", "e"));
    assert_false(t->noLoops);
}

/* a copy holds the same jumps, and knows what its source knew */
static void
test_copy(void **state)
{
    g_autoptr(vfTableSet) set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    g_autoptr(vfTableSet) copy = NULL;
    g_autoptr(vfTableSet) copy2 = NULL;
    vfTable *t = readTable(set, base);

    assert_false(loops(t, "INPUT", "d"));
    copy = vfTableSetCopy(set);
    assert_true(vfTableSetGet(copy, "filter")->noLoops);
    vfTableAppendRule(t, vfTableGetChain(t, "e"), jump("d"));
    copy2 = vfTableSetCopy(set);
    assert_false(vfTableSetGet(copy2, "filter")->noLoops);
    assert_true(loops(vfTableSetGet(copy2, "filter"), "INPUT", "d"));
    assert_false(loops(vfTableSetGet(copy, "filter"), "INPUT", "d"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closing_jump),
        cmocka_unit_test(test_stale_walk),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_read_loop),
        cmocka_unit_test(test_copy),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
