/*
 * test-kernelview: the generation rule (vfTarget, src/firewall/target.c)
 * and the kernel view built on it (vfKernelState, src/state/view.c), on a
 * kernel of the test's own: its generation id moves when the test says,
 * or when a *-save runs (a commit by somebody else while the tables are
 * read). The real kernel's side (netlink, nft tools) is tests/kernel's.
 */
#include "state/state.h"
#include "firewall/backend.h"
#include "firewall/error.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib/gstdio.h>

typedef struct {
    guint32 gen;
    gboolean unreadable;
    guint moveOnSave;       /* the id moves by this much at every *-save */
    guint saves[VIR_FIREWALL_LAYER_LAST];
    guint reads;            /* generation reads */
    guint drops;
    char *text[VIR_FIREWALL_LAYER_LAST];   /* what *-save prints */
} FakeKernel;

static gboolean
fakeGeneration(gpointer data, guint32 *gen, GError **error)
{
    FakeKernel *k = data;

    k->reads++;
    if (k->unreadable) {
        g_set_error_literal(error, VF_ERROR, VF_ERROR_FAILED, "no netlink here");
        return FALSE;
    }
    *gen = k->gen;
    return TRUE;
}

static gboolean
fakeDrop(gpointer data, virFirewallLayer layer, const char *table, GError **error)
{
    ((FakeKernel *)data)->drops++;
    return TRUE;
}

static int
layerOf(const char *tool)
{
    if (g_str_has_prefix(tool, "ebtables"))
        return VIR_FIREWALL_LAYER_ETHERNET;
    if (g_str_has_prefix(tool, "ip6tables"))
        return VIR_FIREWALL_LAYER_IPV6;
    return VIR_FIREWALL_LAYER_IPV4;
}

static void
fakeAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    FakeKernel *k = opaque;
    g_autofree char *tool = g_path_get_basename(argv[0]);
    int l = layerOf(tool);

    if (!g_str_has_suffix(tool, "-save"))
        return;
    k->saves[l]++;
    k->gen += k->moveOnSave;
    g_free(res->out);
    res->out = g_strdup(k->text[l] ? k->text[l] : "");
}

typedef struct {
    FakeKernel k;
    vfRunner *runner;
    vfTarget *target;
    char *dir;
    char *cache;
} Fixture;

static Fixture *
fixtureNew(gboolean nft, vfTargetFlags flags)
{
    Fixture *f = g_new0(Fixture, 1);
    vfTargetKernel kernel = { .nft = nft, .read_generation = fakeGeneration,
                              .drop_empty_table = fakeDrop, .data = &f->k };

    f->k.gen = 100;
    f->k.text[VIR_FIREWALL_LAYER_IPV4] = g_strdup("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n");
    f->runner = vfRunnerNewScripted(fakeAnswer, &f->k);
    f->target = vfTargetNewWithKernel(f->runner, &kernel, flags);
    f->dir = g_dir_make_tmp("vf-kernelview-XXXXXX", NULL);
    f->cache = g_build_filename(f->dir, "state.json.kernel", NULL);
    return f;
}

static void
fixtureFree(Fixture *f)
{
    g_remove(f->cache);
    g_rmdir(f->dir);
    g_free(f->cache);
    g_free(f->dir);
    vfTargetFree(f->target);
    vfRunnerFree(f->runner);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        g_free(f->k.text[l]);
    g_free(f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Fixture, fixtureFree)

static vfGeneration
gen(guint32 id)
{
    return (vfGeneration){ TRUE, id };
}

/* The rule itself: exactly our transactions, nothing else, nothing less. */
static void
test_only_ours(void **state)
{
    g_autoptr(Fixture) f = fixtureNew(TRUE, 0);
    vfGeneration now;

    assert_true(vfTargetHasGeneration(f->target));
    assert_true(vfTargetOnlyOurs(f->target, gen(100), 0, &now));
    assert_true(now.known && now.id == 100);
    f->k.gen = 103;
    assert_true(vfTargetOnlyOurs(f->target, gen(100), 3, &now));
    assert_false(vfTargetOnlyOurs(f->target, gen(100), 2, &now));   /* one of somebody else's */
    assert_false(vfTargetOnlyOurs(f->target, gen(100), 4, &now));   /* one of ours missing */
    assert_true(now.known && now.id == 103);
    assert_false(vfTargetOnlyOurs(f->target, VF_GENERATION_UNKNOWN, 0, &now));
    assert_false(now.known);
    /* the id is a u32: it wraps as the kernel's does */
    f->k.gen = 1;
    assert_true(vfTargetOnlyOurs(f->target, gen(G_MAXUINT32), 2, NULL));
    f->k.unreadable = TRUE;
    assert_false(vfTargetOnlyOurs(f->target, gen(1), 0, &now));
    assert_false(now.known);
}

/* Which targets read an id at all, and which may drop a table. */
static void
test_flavours(void **state)
{
    g_autoptr(Fixture) legacy = fixtureNew(FALSE, 0);
    g_autoptr(Fixture) exec = fixtureNew(TRUE, VF_TARGET_NO_GENERATION);
    g_autoptr(Fixture) dry = fixtureNew(TRUE, VF_TARGET_READ_ONLY);
    g_autoptr(GError) err = NULL;

    /* legacy tools: the id would not see them */
    assert_false(vfTargetHasGeneration(legacy->target));
    assert_false(vfTargetGeneration(legacy->target).known);
    assert_false(vfTargetOnlyOurs(legacy->target, gen(100), 0, NULL));
    assert_int_equal(legacy->k.reads, 0);
    assert_true(vfTargetDropEmptyTable(legacy->target, VIR_FIREWALL_LAYER_IPV4, "nat", &err));
    assert_int_equal(legacy->k.drops, 0);
    /* exec, an offline dry run: never read */
    assert_false(vfTargetHasGeneration(exec->target));
    assert_false(vfTargetGeneration(exec->target).known);
    assert_int_equal(exec->k.reads, 0);
    assert_true(vfTargetIsNft(exec->target));
    assert_true(vfTargetDropEmptyTable(exec->target, VIR_FIREWALL_LAYER_IPV4, "nat", &err));
    assert_int_equal(exec->k.drops, 1);
    /* a dry run reads the id but deletes nothing */
    assert_true(vfTargetGeneration(dry->target).known);
    assert_true(vfTargetDropEmptyTable(dry->target, VIR_FIREWALL_LAYER_IPV4, "nat", &err));
    assert_int_equal(dry->k.drops, 0);
    /* the options a backend gets from its target */
    assert_int_equal(vfBackendOptionsFor(VF_BACKEND_RESTORE, dry->target).listing,
                     VF_LISTING_AUTO);
    assert_int_equal(vfBackendOptionsFor(VF_BACKEND_RESTORE, legacy->target).listing,
                     VF_LISTING_OFF);
    assert_int_equal(vfBackendOptionsFor(VF_BACKEND_EXEC, dry->target).listing,
                     VF_LISTING_OFF);
    assert_ptr_equal(vfBackendOptionsFor(VF_BACKEND_EXEC, dry->target).runner, dry->runner);
    assert_non_null(strstr(vfTargetGetNetnsId(dry->target), "net:"));
}

/* Tables read while somebody commits are of no known id. */
static void
test_read(void **state)
{
    g_autoptr(Fixture) f = fixtureNew(TRUE, 0);
    g_autoptr(vfKernelState) calm = NULL;
    g_autoptr(vfKernelState) busy = NULL;
    g_autoptr(GError) err = NULL;

    assert_non_null(calm = vfKernelStateRead(f->target, &err));
    assert_true(calm->at.known && calm->at.id == 100);
    assert_false(calm->cached);
    assert_string_equal(calm->save[VIR_FIREWALL_LAYER_IPV4], f->k.text[VIR_FIREWALL_LAYER_IPV4]);
    f->k.moveOnSave = 1;
    assert_non_null(busy = vfKernelStateRead(f->target, &err));
    assert_false(busy->at.known);
}

/* After an apply: the written layers read again, all of them when the id
 * can be known (the whole is then of one id). */
static void
test_reread(void **state)
{
    g_autoptr(Fixture) f = fixtureNew(TRUE, 0);
    g_autoptr(Fixture) legacy = fixtureNew(FALSE, 0);
    g_autoptr(vfKernelState) before = NULL;
    g_autoptr(vfKernelState) after = NULL;
    g_autoptr(vfKernelState) old = NULL;
    g_autoptr(vfKernelState) again = NULL;
    g_autoptr(GError) err = NULL;
    guint ipv4 = 1u << VIR_FIREWALL_LAYER_IPV4;

    before = vfKernelStateRead(f->target, &err);
    f->k.saves[0] = f->k.saves[1] = f->k.saves[2] = 0;
    after = vfKernelStateReread(f->target, before, ipv4, &err);
    assert_int_equal(f->k.saves[VIR_FIREWALL_LAYER_ETHERNET], 1);
    assert_int_equal(f->k.saves[VIR_FIREWALL_LAYER_IPV6], 1);
    assert_true(after->at.known);

    old = vfKernelStateRead(legacy->target, &err);
    g_free(old->save[VIR_FIREWALL_LAYER_ETHERNET]);
    old->save[VIR_FIREWALL_LAYER_ETHERNET] = g_strdup("*filter\n");
    legacy->k.saves[0] = legacy->k.saves[1] = legacy->k.saves[2] = 0;
    again = vfKernelStateReread(legacy->target, old, ipv4, &err);
    assert_int_equal(legacy->k.saves[VIR_FIREWALL_LAYER_ETHERNET], 0);
    assert_int_equal(legacy->k.saves[VIR_FIREWALL_LAYER_IPV4], 1);
    assert_string_equal(again->save[VIR_FIREWALL_LAYER_ETHERNET], "*filter\n");
    assert_false(again->at.known);
}

/* The cache: written only for a view of a known id, used only at that id,
 * not written again when it is what was loaded. */
static void
test_cache(void **state)
{
    g_autoptr(Fixture) f = fixtureNew(TRUE, 0);
    g_autoptr(vfKernelState) ks = NULL;
    g_autoptr(vfKernelState) back = NULL;
    g_autoptr(vfKernelState) opened = NULL;
    g_autoptr(vfKernelState) stale = NULL;
    g_autoptr(GError) err = NULL;
    GStatBuf st;

    ks = vfKernelStateRead(f->target, &err);
    vfKernelStateRecord(ks, f->target, f->cache);
    assert_int_equal(g_stat(f->cache, &st), 0);
    assert_non_null(back = vfKernelStateLoadCached(f->target, f->cache));
    assert_true(back->cached && back->at.known && back->at.id == 100);
    assert_string_equal(back->save[VIR_FIREWALL_LAYER_IPV4], ks->save[VIR_FIREWALL_LAYER_IPV4]);

    /* loaded as it is: not written again (its mtime would move) */
    g_remove(f->cache);
    vfKernelStateRecord(back, f->target, f->cache);
    assert_int_not_equal(g_stat(f->cache, &st), 0);
    vfKernelStateRecord(ks, f->target, f->cache);

    /* somebody committed: the cache is not the kernel's; Open reads */
    f->k.gen = 101;
    assert_null(vfKernelStateLoadCached(f->target, f->cache));
    f->k.saves[VIR_FIREWALL_LAYER_IPV4] = 0;
    assert_non_null(opened = vfKernelStateOpen(f->target, f->cache, &err));
    assert_false(opened->cached);
    assert_int_equal(f->k.saves[VIR_FIREWALL_LAYER_IPV4], 1);
    assert_true(opened->at.known && opened->at.id == 101);

    /* a view of no known id removes it */
    stale = vfKernelStateNewAfter(opened, (char *[VIR_FIREWALL_LAYER_LAST]){ NULL },
                                  VF_GENERATION_UNKNOWN);
    vfKernelStateRecord(stale, f->target, f->cache);
    assert_int_not_equal(g_stat(f->cache, &st), 0);
    vfKernelStateRecord(NULL, f->target, f->cache);   /* nothing to remove: fine */
}

/* What an apply left: the written layers taken, the others copied. */
static void
test_after(void **state)
{
    g_autoptr(Fixture) f = fixtureNew(TRUE, 0);
    g_autoptr(vfKernelState) before = NULL;
    g_autoptr(vfKernelState) after = NULL;
    g_autoptr(GError) err = NULL;
    char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL, g_strdup("*filter\nCOMMIT\n"), NULL };
    vfGeneration now;

    before = vfKernelStateRead(f->target, &err);
    f->k.gen += 2;
    assert_true(vfKernelStateOnlyOurs(before, f->target, 2, &now));
    after = vfKernelStateNewAfter(before, texts, now);
    assert_null(texts[VIR_FIREWALL_LAYER_IPV4]);   /* taken */
    assert_string_equal(after->save[VIR_FIREWALL_LAYER_IPV4], "*filter\nCOMMIT\n");
    assert_string_equal(after->save[VIR_FIREWALL_LAYER_ETHERNET],
                        before->save[VIR_FIREWALL_LAYER_ETHERNET]);
    assert_ptr_not_equal(after->save[VIR_FIREWALL_LAYER_ETHERNET],
                         before->save[VIR_FIREWALL_LAYER_ETHERNET]);
    assert_true(after->at.known && after->at.id == 102);
    assert_false(vfKernelStateOnlyOurs(before, f->target, 1, NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_ours),
        cmocka_unit_test(test_flavours),
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_reread),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_after),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
