/*
 * test-firewall-write: how the restore backend writes a batch: a process
 * count flat in the number of programs, the apply in two halves (the
 * result foretold while the tools write, the caller's work meanwhile),
 * three layers side by side, a listing the tool refuses.
 */
#include "firewall-fixtures.h"

/* A restore batch of N independent programs costs the same number of
 * processes whatever N is. */
static void
checkProcessesFlat(gboolean replay, guint expected)
{
    guint counts[3];
    const guint ns[3] = { 1, 10, 100 };

    for (int k = 0; k < 3; k++) {
        g_autoptr(GString) text = g_string_new(NULL);
        g_autoptr(GError) err = NULL;
        g_autoptr(vfProgramSet) set = NULL;
        g_autoptr(vfRunner) rec = vfRunnerNewRecorder();
        vfBackendOptions o = VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec);
        g_autoptr(vfBackend) b = (o.replay = replay, vfBackendNew(&o));
        g_autofree GError **errors = g_new0(GError *, ns[k]);
        vfApplyStats stats;

        for (guint i = 0; i < ns[k]; i++) {
            g_string_append_printf(text,
                "program vnet%u\ntransaction ignore-errors\n"
                "ethernet -t nat -D PREROUTING -i vnet%u -j libvirt-J-vnet%u\n"
                "ethernet query=cleanup -t nat -L libvirt-J-vnet%u\n"
                "ethernet -t nat -F libvirt-J-vnet%u\nethernet -t nat -X libvirt-J-vnet%u\n"
                "transaction\n"
                "ethernet -t nat -N libvirt-J-vnet%u\n"
                "ethernet -t nat -A libvirt-J-vnet%u -j DROP\n"
                "ethernet -t nat -A PREROUTING -i vnet%u -j libvirt-J-vnet%u\n"
                "ipv4 ignore -t filter -N libvirt-in\n"
                "ipv4 -t filter -N FJ-vnet%u\n"
                "ipv4 -t filter -A libvirt-in -m physdev --physdev-in vnet%u -g FJ-vnet%u\n"
                "ipv6 -t filter -N FJ-vnet%u\n"
                "transaction ignore-errors\n"
                "ethernet -t nat -E libvirt-J-vnet%u libvirt-I-vnet%u\n"
                "ipv4 -t filter -E FJ-vnet%u FI-vnet%u\n",
                i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i);
        }
        set = vfProgramSetParse(text->str, "batch", &err);
        assert_null(err);
        assert_true(vfBackendApply(b, vfProgramSetPrograms(set), ns[k], errors,
                                   &stats, &err));
        counts[k] = stats.processes;
        print_message("restore%s, %u programs: %u processes, %u passes\n",
                      replay ? " (replay)" : "", ns[k], stats.processes,
                      stats.passes);
    }
    assert_int_equal(counts[0], counts[1]);
    assert_int_equal(counts[1], counts[2]);
    assert_int_equal(counts[0], expected);
}

static void
test_restore_processes_flat(void **state)
{
    /* 3 *-save, then one restore per table written: the difference has
     * no renames, so one pass */
    checkProcessesFlat(FALSE, 6);
    /* replayed, ebtables and iptables take 2 passes (the renames) */
    checkProcessesFlat(TRUE, 8);
}

/* While the tools write: the result is foretold before it is known, and
 * handed over as foretold only if the tools take the difference. */
typedef struct {
    guint refuse;      /* restores to refuse first */
    const char *refuseTool;   /* only this tool's, if set */
    guint restores;
    GThread *caller;   /* the thread that applies */
    guint elsewhere;   /* restores run on another thread */
    /* block: a restore on another thread waits (10 s at most) for the
     * caller's work */
    gboolean block;
    GMutex lock;
    GCond cond;
    gboolean released;
    gboolean releasedFirst;   /* the caller's work came before the restore ended */
} WritingTools;

static void
whileAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    WritingTools *w = opaque;

    if (!g_str_has_suffix(argv[0], "-restore"))
        return;   /* *-save: empty tables */
    w->restores++;
    if (g_thread_self() != w->caller)
        w->elsewhere++;
    if (w->block && g_thread_self() != w->caller) {
        gint64 end = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;
        g_mutex_lock(&w->lock);
        while (!w->released && g_cond_wait_until(&w->cond, &w->lock, end))
            ;
        w->releasedFirst = w->released;
        g_mutex_unlock(&w->lock);
    }
    if (w->refuse > 0 && (!w->refuseTool || g_str_equal(argv[0], w->refuseTool))) {
        w->refuse--;
        res->status = 1;
        res->err = g_strdup("iptables-restore: line 2 failed");
    }
}

/* The caller's work while the tools write. */
static void
release(WritingTools *w)
{
    g_mutex_lock(&w->lock);
    w->released = TRUE;
    g_cond_signal(&w->cond);
    g_mutex_unlock(&w->lock);
}

static void
test_restore_apply_halves(void **state)
{
    for (guint refuse = 0; refuse < 2; refuse++) {
        WritingTools w = { .refuse = refuse, .caller = g_thread_self(), .block = TRUE };
        g_autoptr(vfRunner) rec = vfRunnerNewScripted(whileAnswer, &w);
        g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec));
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL };
        g_auto(vfApplyOutcome) outcome = { 0 };
        g_autofree char *peeked = NULL;
        guint transactions = 0, foretoldTransactions;
        const vfApplyOutcome *sofar;
        vfBatch batch = { .programs = &fw, .n = 1 };
        vfApply *apply;
        gboolean known;

        g_mutex_init(&w.lock);
        g_cond_init(&w.cond);
        virFirewallStartTransaction(fw, 0);
        ADD(fw, "192.168.122.1");
        apply = vfBackendApplyBegin(b, &batch);
        /* the restore still waits for us: Begin came back while it writes */
        sofar = vfApplyForetold(apply);
        assert_non_null(sofar);
        assert_true(sofar->known);
        assert_null(sofar->errors[0]);
        peeked = g_strdup(sofar->save[VIR_FIREWALL_LAYER_IPV4]);
        assert_non_null(peeked);
        assert_non_null(strstr(peeked, "-A INPUT -s 192.168.122.1/32 -j ACCEPT"));
        foretoldTransactions = sofar->transactions;
        assert_int_equal(foretoldTransactions, 1);
        release(&w);
        assert_true(vfBackendApplyFinish(apply, &outcome, &err));
        assert_null(err);
        assert_true(w.releasedFirst);
        assert_true(w.elsewhere >= 1);
        known = vfApplyOutcomeTake(&outcome, texts, &transactions);
        if (refuse) {
            /* refused, then replayed: nothing foretold holds */
            assert_false(known);
            assert_true(w.restores > 1);
        } else {
            assert_true(known);
            assert_int_equal(transactions, foretoldTransactions);
            assert_string_equal(texts[VIR_FIREWALL_LAYER_IPV4], peeked);
            assert_null(texts[VIR_FIREWALL_LAYER_ETHERNET]);
            assert_int_equal(outcome.stats.processes, 2);   /* iptables-save, -restore */
        }
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
            g_free(texts[l]);
        g_mutex_clear(&w.lock);
        g_cond_clear(&w.cond);
    }
}

/* Nothing is foretold, and the Begin has applied the whole batch, where
 * nothing is left writing: the exec backend, a replay, a difference too
 * large to format meanwhile. vfBackendApplyBatch never leaves the calling
 * thread. */
static void
test_restore_apply_halves_whole(void **state)
{
    for (guint k = 0; k < 4; k++) {
        WritingTools w = { .caller = g_thread_self() };
        g_autoptr(vfRunner) rec = vfRunnerNewScripted(whileAnswer, &w);
        vfBackendOptions o = VF_BACKEND_OPTIONS(k == 0 ? VF_BACKEND_EXEC : VF_BACKEND_RESTORE,
                                                rec);
        g_autoptr(vfBackend) b = (o.replay = k == 1, vfBackendNew(&o));
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        g_auto(vfApplyOutcome) outcome = { 0 };
        vfBatch batch = { .programs = &fw, .n = 1 };
        guint calls;

        virFirewallStartTransaction(fw, 0);
        for (guint i = 0; i < (k == 2 ? 4001 : 1); i++) {
            g_autofree char *addr = g_strdup_printf("10.%u.%u.1", i / 256, i % 256);
            ADD(fw, addr);
        }
        if (k == 3) {
            /* the same small batch, in one call */
            assert_true(vfBackendApplyBatch(b, &batch, &outcome, &err));
            assert_int_equal(w.restores, 1);
        } else {
            vfApply *apply = vfBackendApplyBegin(b, &batch);
            calls = vfRunnerRecorderCalls(rec)->len;
            assert_null(vfApplyForetold(apply));
            assert_true(calls > 0);
            assert_true(vfBackendApplyFinish(apply, &outcome, &err));
            /* done in the Begin */
            assert_int_equal(vfRunnerRecorderCalls(rec)->len, calls);
        }
        assert_null(err);
        assert_null(outcome.errors[0]);
        assert_int_equal(w.elsewhere, 0);
    }
}

/* Three layers written side by side; ip6tables refuses once: the tables
 * the other two wrote are put back before the replay. */
static void
test_restore_layers_side_by_side(void **state)
{
    for (int refuse = 0; refuse < 2; refuse++) {
        WritingTools w = { .refuse = refuse, .refuseTool = "ip6tables-restore",
                           .caller = g_thread_self() };
        g_autoptr(vfRunner) rec = vfRunnerNewScripted(whileAnswer, &w);
        g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec));
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL };
        guint transactions = 0, putBack = 0;
        g_auto(vfApplyOutcome) outcome = { 0 };
        vfBatch batch = { .programs = &fw, .n = 1 };
        const vfApplyOutcome *sofar;
        GPtrArray *calls;
        vfApply *apply;

        virFirewallStartTransaction(fw, 0);
        ADD(fw, "192.168.122.1");
        virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV6, "-A", "INPUT",
                           "--source", "fd00::1", "--jump", "ACCEPT", NULL);
        virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat", "-A", "PREROUTING",
                           "-i", "vnet0", "-j", "ACCEPT", NULL);
        apply = vfBackendApplyBegin(b, &batch);
        assert_non_null(sofar = vfApplyForetold(apply));
        assert_int_equal(sofar->transactions, 3);
        assert_true(vfBackendApplyFinish(apply, &outcome, &err));
        assert_int_equal(w.elsewhere, 3);
        calls = vfRunnerRecorderCalls(rec);
        for (guint i = 0; i < calls->len; i++) {
            vfRecordedCall *c = g_ptr_array_index(calls, i);
            if (c->input && (strstr(c->input, "-D INPUT -s 192.168.122.1/32 -j ACCEPT") ||
                             strstr(c->input, "-D PREROUTING -i vnet0 -j ACCEPT")))
                putBack++;
        }
        if (refuse) {
            assert_false(vfApplyOutcomeTake(&outcome, texts, &transactions));
            assert_int_equal(putBack, 2);   /* iptables and ebtables put back */
        } else {
            assert_true(vfApplyOutcomeTake(&outcome, texts, &transactions));
            assert_int_equal(transactions, 3);
            assert_int_equal(putBack, 0);
            for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
                assert_non_null(texts[l]);
        }
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
            g_free(texts[l]);
    }
}

/* A tool that cannot take the listing (vfBackendOptions.listing): the restore
 * is refused, and the rest of that apply goes without one; the program
 * does not fail for it, and the next apply lists again. */
typedef struct {
    guint listed, unlisted;
} ListingTool;

static void
listingAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    ListingTool *t = opaque;

    if (!g_str_has_suffix(argv[0], "-restore"))
        return;
    if (strstr(input, "\n-S\n") || strstr(input, "\n-L\n")) {
        t->listed++;
        res->status = 1;
        res->err = g_strdup("iptables-restore: line 3 failed");
    } else {
        t->unlisted++;
    }
}

static void
test_restore_listing_refused(void **state)
{
    ListingTool t = { 0 };
    g_autoptr(vfRunner) rec = vfRunnerNewScripted(listingAnswer, &t);
    g_autoptr(vfBackend) b = vfBackendNew(&(vfBackendOptions){
        .kind = VF_BACKEND_RESTORE, .runner = rec, .wait_seconds = 10,
        .listing = VF_LISTING_ALWAYS });

    for (guint round = 1; round <= 2; round++) {
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        vfApplyStats stats = { 0 };

        virFirewallStartTransaction(fw, 0);
        ADD(fw, "192.168.122.1");
        assert_true(vfBackendApplyOne(b, fw, &stats, &err));
        assert_null(err);
        /* the listed difference refused, the replay written without */
        assert_int_equal(t.listed, round);
        assert_int_equal(t.unlisted, round);
        assert_int_equal(stats.retries, 1);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_processes_flat),
        cmocka_unit_test(test_restore_apply_halves),
        cmocka_unit_test(test_restore_apply_halves_whole),
        cmocka_unit_test(test_restore_listing_refused),
        cmocka_unit_test(test_restore_layers_side_by_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
