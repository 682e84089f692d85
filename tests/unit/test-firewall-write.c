/*
 * test-firewall-write: how the restore backend writes a batch: a process
 * count flat in the number of programs, the result told while the tools
 * write, three layers side by side, a listing the tool refuses.
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

/* While the tools write: the result is told before it is known, and
 * handed over as told only if the tools take the difference. */
typedef struct {
    guint refuse;      /* restores to refuse first */
    const char *refuseTool;   /* only this tool's, if set */
    guint restores;
    guint calls;       /* of the while-writing callback */
    char *peeked;      /* the ipv4 text it was told */
    guint transactions;
} WhileWriting;

static void
whileAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    WhileWriting *w = opaque;

    if (!g_str_has_suffix(argv[0], "-restore"))
        return;   /* *-save: empty tables */
    w->restores++;
    if (w->refuse > 0 && (!w->refuseTool || g_str_equal(argv[0], w->refuseTool))) {
        w->refuse--;
        res->status = 1;
        res->err = g_strdup("iptables-restore: line 2 failed");
    }
}

static void
whileCallback(const vfApplyOutcome *sofar, gpointer data)
{
    WhileWriting *w = data;

    w->calls++;
    assert_true(sofar->known);
    w->transactions = sofar->transactions;
    g_free(w->peeked);
    w->peeked = g_strdup(sofar->save[VIR_FIREWALL_LAYER_IPV4]);
}

/* @fw alone as a batch with @fn for while_writing. */
static gboolean
applyWhileWriting(vfBackend *b, virFirewall *fw, vfWhileWriting fn, gpointer data,
                  vfApplyOutcome *outcome, GError **err)
{
    vfBatch batch = { .programs = &fw, .n = 1, .while_writing = fn, .while_data = data };

    return vfBackendApplyBatch(b, &batch, outcome, err);
}

static void
test_restore_while_writing(void **state)
{
    for (guint refuse = 0; refuse < 2; refuse++) {
        WhileWriting w = { refuse };
        g_autoptr(vfRunner) rec = vfRunnerNewScripted(whileAnswer, &w);
        g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec));
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL };
        g_auto(vfApplyOutcome) outcome = { 0 };
        guint transactions = 0;
        gboolean known;

        virFirewallStartTransaction(fw, 0);
        ADD(fw, "192.168.122.1");
        assert_true(applyWhileWriting(b, fw, whileCallback, &w, &outcome, &err));
        assert_int_equal(w.calls, 1);
        assert_non_null(w.peeked);
        assert_non_null(strstr(w.peeked, "-A INPUT -s 192.168.122.1/32 -j ACCEPT"));
        assert_int_equal(w.transactions, 1);
        known = vfApplyOutcomeTake(&outcome, texts, &transactions);
        if (refuse) {
            /* refused, then replayed: nothing told holds */
            assert_false(known);
            assert_true(w.restores > 1);
        } else {
            assert_true(known);
            assert_int_equal(transactions, w.transactions);
            assert_string_equal(texts[VIR_FIREWALL_LAYER_IPV4], w.peeked);
            assert_null(texts[VIR_FIREWALL_LAYER_ETHERNET]);
        }
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
            g_free(texts[l]);
        g_free(w.peeked);
    }
}

/* Three layers written side by side; ip6tables refuses once: the tables
 * the other two wrote are put back before the replay. */
static void
test_restore_layers_side_by_side(void **state)
{
    for (int refuse = 0; refuse < 2; refuse++) {
        WhileWriting w = { refuse, "ip6tables-restore" };
        g_autoptr(vfRunner) rec = vfRunnerNewScripted(whileAnswer, &w);
        g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec));
        g_autoptr(virFirewall) fw = virFirewallNew("t");
        g_autoptr(GError) err = NULL;
        char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL };
        guint transactions = 0, putBack = 0;
        g_auto(vfApplyOutcome) outcome = { 0 };
        GPtrArray *calls;

        virFirewallStartTransaction(fw, 0);
        ADD(fw, "192.168.122.1");
        virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV6, "-A", "INPUT",
                           "--source", "fd00::1", "--jump", "ACCEPT", NULL);
        virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat", "-A", "PREROUTING",
                           "-i", "vnet0", "-j", "ACCEPT", NULL);
        assert_true(applyWhileWriting(b, fw, whileCallback, &w, &outcome, &err));
        assert_int_equal(w.calls, 1);
        assert_int_equal(w.transactions, 3);
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
        g_free(w.peeked);
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
        cmocka_unit_test(test_restore_while_writing),
        cmocka_unit_test(test_restore_listing_refused),
        cmocka_unit_test(test_restore_layers_side_by_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
