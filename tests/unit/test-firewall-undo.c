/*
 * test-firewall-undo: the restore backend's failure and undo paths: the
 * xtables lock, a created table put back and dropped, a round reverted
 * where the same rule stands twice.
 */
#include "firewall-fixtures.h"

/* A restore that meets the xtables lock (legacy, exit 4) is retried with
 * a bounded backoff and reported as a lock problem, not a rule error. */
typedef struct {
    vfRunner parent;
    guint lockedRuns;
} LockedRunner;

static gboolean
lockedRun(vfRunner *runner, const char *const *argv, const char *input,
          vfRunResult *res, GError **error)
{
    LockedRunner *self = (LockedRunner *)runner;

    res->out = g_strdup("");
    res->err = g_strdup("");
    res->status = 0;
    if (g_str_has_suffix(argv[0], "-restore") && self->lockedRuns > 0) {
        self->lockedRuns--;
        res->status = 4;
        g_free(res->err);
        res->err = g_strdup("Another app is currently holding the xtables lock. "
                            "Stopped waiting after 10s.");
    }
    return TRUE;
}

static void
test_restore_lock(void **state)
{
    for (int k = 0; k < 2; k++) {
        LockedRunner r = { { lockedRun, NULL, 0 }, k == 0 ? 2 : 100 };
        g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, &r.parent));
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        vfApplyStats stats;

        virFirewallStartTransaction(fw, 0);
        ADD(fw, "192.168.122.1");
        if (k == 0) {
            assert_true(vfBackendApplyOne(b, fw, &stats, &err));
            assert_int_equal(stats.lock_retries, 2);
        } else {
            assert_false(vfBackendApplyOne(b, fw, &stats, &err));
            assert_true(g_error_matches(err, VF_ERROR, VF_ERROR_LOCKED));
            assert_non_null(strstr(err->message, "xtables lock"));
        }
    }
}

/* A table the apply found absent, wrote, and put back (vfTargetDropEmptyTable):
 * iptables-restore refuses what names 10.9.9.9 with a line number, like a
 * set that does not exist; ebtables-restore takes everything. */
typedef struct {
    gboolean natExists;   /* ebtables-save prints the nat table */
    guint refused;
    GHashTable *drops;    /* "layer:table" -> count */
} DropTool;

static void
dropToolAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    DropTool *t = opaque;

    if (g_str_equal(argv[0], "ebtables-save") && t->natExists)
        res->out = g_strdup("*nat\n:PREROUTING ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\n");
    if (g_str_equal(argv[0], "iptables-restore") && strstr(input, "10.9.9.9")) {
        t->refused++;
        res->status = 1;
        res->err = g_strdup("iptables-restore: line 2 failed");
    }
}

static gboolean
dropRecord(gpointer data, virFirewallLayer layer, const char *table, GError **error)
{
    DropTool *t = data;
    char *key = g_strdup_printf("%d:%s", layer, table);

    g_hash_table_insert(t->drops, key,
                        GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(t->drops, key)) + 1));
    return TRUE;
}

static void
test_restore_drop_created(void **state)
{
    /* the difference put back, then the log (replay): rounds reverted */
    for (int k = 0; k < 3; k++) {
        DropTool t = { k == 2, 0, g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
        g_autoptr(vfRunner) rec = vfRunnerNewScripted(dropToolAnswer, &t);
        g_autoptr(vfTarget) target = vfTargetNewWithKernel(
            rec, &(vfTargetKernel){ .nft = TRUE, .drop_empty_table = dropRecord, .data = &t }, 0);
        g_autoptr(vfBackend) b = vfBackendNew(&(vfBackendOptions){
            .kind = VF_BACKEND_RESTORE, .runner = rec, .target = target, .wait_seconds = 10,
            .replay = k == 1 });
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        guint natDrops;

        virFirewallStartTransaction(fw, 0);
        virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat", "-A",
                           "PREROUTING", "-j", "ACCEPT", NULL);
        ADD(fw, "10.9.9.9");
        assert_false(vfBackendApplyOne(b, fw, NULL, &err));
        assert_non_null(err);
        assert_true(t.refused >= 1);
        natDrops = GPOINTER_TO_UINT(g_hash_table_lookup(t.drops, "0:nat"));
        if (k == 2) {
            /* a table that was there is never asked for */
            assert_int_equal(g_hash_table_size(t.drops), 0);
        } else {
            /* every refusal after the nat restore committed put it back;
             * iptables' filter was never written */
            assert_int_equal(natDrops, t.refused);
            assert_int_equal(g_hash_table_size(t.drops), 1);
        }
        g_hash_table_unref(t.drops);
    }
}

/* Reverting a round (the log written, a later restore refused): the undo
 * of a rule added where the same rule stands higher up goes by position,
 * as a delete by spec would take the higher one (found by the kernel
 * differential's kept-tables run, step 106). */
typedef struct {
    GPtrArray *ipInputs;
} DupTool;

static void
dupToolAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    DupTool *t = opaque;

    if (g_str_equal(argv[0], "iptables-save"))
        res->out = g_strdup("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
                            ":OUTPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.1/32 -j ACCEPT\n"
                            "-A INPUT -s 10.0.0.2/32 -j ACCEPT\nCOMMIT\n");
    if (g_str_equal(argv[0], "ebtables-restore")) {
        res->status = 1;
        res->err = g_strdup("ebtables-restore: line 2 failed");
    }
    if (g_str_equal(argv[0], "iptables-restore"))
        g_ptr_array_add(t->ipInputs, g_strdup(input));
}

static void
test_restore_revert_duplicate(void **state)
{
    static const struct {
        const char *add;
        int insertAt;          /* 0: append */
        const char *undo;
    } cases[] = {
        { "10.0.0.1", 0, "\n-D INPUT 3\n" },                          /* above it */
        { "10.0.0.9", 0, "\n-D INPUT --source 10.0.0.9 --jump ACCEPT\n" }, /* unique */
        { "10.0.0.2", 2, "\n-D INPUT --source 10.0.0.2 --jump ACCEPT\n" }, /* only below */
        { "10.0.0.1", 2, "\n-D INPUT 2\n" },                          /* above it */
    };

    for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
        DupTool t = { g_ptr_array_new_with_free_func(g_free) };
        g_autoptr(vfRunner) rec = vfRunnerNewScripted(dupToolAnswer, &t);
        g_autoptr(vfBackend) b = vfBackendNew(&(vfBackendOptions){
            .kind = VF_BACKEND_RESTORE, .runner = rec, .wait_seconds = 10,
            .replay = TRUE });
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        gboolean found = FALSE;

        virFirewallStartTransaction(fw, 0);
        if (cases[k].insertAt)
            virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-I", "INPUT", "2",
                               "--source", cases[k].add, "--jump", "ACCEPT", NULL);
        else
            ADD(fw, cases[k].add);
        virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat", "-A",
                           "PREROUTING", "-j", "ACCEPT", NULL);
        assert_false(vfBackendApplyOne(b, fw, NULL, &err));
        for (guint i = 0; i < t.ipInputs->len; i++) {
            const char *in = g_ptr_array_index(t.ipInputs, i);
            if (strstr(in, "\n-D "))
                assert_non_null(strstr(in, cases[k].undo));
            found |= strstr(in, cases[k].undo) != NULL;
        }
        assert_true(found);
        g_ptr_array_unref(t.ipInputs);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_lock),
        cmocka_unit_test(test_restore_drop_created),
        cmocka_unit_test(test_restore_revert_duplicate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
