/*
 * test_nwfilter_many.c: N interfaces as ONE batch.
 *
 * N bindings vnet0..vnet(N-1) with clean-traffic (IP 10.0.HI.LO, MAC
 * 52:54:00:00:HI:LO, the oracle's template) are built with
 * nwfBuildInstantiateAll and applied
 *   - with the exec backend (one batch, libvirt's processes) in one fresh
 *     private network namespace,
 *   - with the restore backend as one batch in another,
 * and the *-save dumps must be identical (the per-interface jumps in root
 * chains would be compared after the oracle's canon() only if they differ;
 * the test says so when it falls back). The restore batch is then applied
 * again over its own result (a daemon restart): the state must not move.
 * Processes spawned by the restore backend must not grow with N: N=5 and
 * N=50 (or the two Ns given as arguments) must spawn the same number, for
 * the first apply and for the re-apply.
 *
 * A third namespace takes the batch with a listing in every restore where
 * it is safe (vfBackendOptions.listing), first on empty tables, then after every
 * chain was flushed (-F, as a foreign reload does): both times the state
 * must be exec's.
 */
#include "nwftest.h"
#include "firewall/nftgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const tools[] = { "ebtables-save", "iptables-save", "ip6tables-save" };

static GPtrArray *
makeBindings(guint n)
{
    GPtrArray *res = g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);

    for (guint i = 0; i < n; i++) {
        nwfBinding *b = g_new0(nwfBinding, 1);
        b->ownerName = g_strdup_printf("vm%u", i);
        b->ownerUUID = g_strdup_printf("6f726163-6c65-4000-8000-%012x", i);
        b->portdev = g_strdup_printf("vnet%u", i);
        b->mac = g_strdup_printf("52:54:00:00:%02x:%02x", i / 256, i % 256);
        b->filter = g_strdup("clean-traffic");
        b->params = nwfVarsNew();
        {
            g_autofree char *ip = g_strdup_printf("10.0.%u.%u", i / 256, i % 256);
            nwfVarsAdd(b->params, "IP", ip);
        }
        g_ptr_array_add(res, b);
    }
    return res;
}

static char *
dumpAll(void)
{
    GString *out = g_string_new(NULL);

    for (guint t = 0; t < G_N_ELEMENTS(tools); t++) {
        g_autofree char *s = nwftSaveOutput(tools[t]);
        g_string_append_printf(out, "## %s\n%s", tools[t], s);
    }
    return g_string_free(out, FALSE);
}

typedef struct {
    char *state;
    guint processes;    /* first apply (empty tables) */
    guint processes2;   /* re-apply over its own state */
    guint passes;
    guint listings;     /* restores that listed their table */
    double seconds;
} Run;

/* Every chain of every table emptied, as `ebtables -F` and the like do. */
static void
flushAll(vfRunner *runner)
{
    static const char *const cmds[][6] = {
        { "ebtables", "-t", "nat", "-F", NULL },
        { "iptables", "-w", "-t", "filter", "-F", NULL },
        { "ip6tables", "-w", "-t", "filter", "-F", NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cmds); i++) {
        g_auto(vfRunResult) res = { 0 };
        g_assert_true(vfRunnerRun(runner, cmds[i], NULL, &res, NULL));
        g_assert_cmpint(res.status, ==, 0);
    }
}

static guint
countListings(const char *inputs)
{
    guint n = 0;

    for (const char *p = inputs; (p = strstr(p, "\n-L\n")); p++)
        n++;
    for (const char *p = inputs; (p = strstr(p, "\n-S\n")); p++)
        n++;
    return n;
}

/* With @flush, round 2 starts from flushed chains and must come back to
 * round 1's state; without, from round 1's state, which must not move. */
static bool
applyIn(vfBackendKind kind, nwfFilterSet *set, GPtrArray *bindings, int times,
        Run *run, const char *label, vfListing listing, bool flush)
{
    g_autoptr(vfRunner) inner = vfRunnerNewSubprocess(-1);
    g_autoptr(vfBackend) backend = NULL;
    NwftLogRunner lr;
    bool ok = true;

    if (!nwftEnterFreshNetns()) {
        fprintf(stderr, "FAIL %s: no private network namespace\n", label);
        abort();
    }
    nwftLogRunnerInit(&lr, inner);
    backend = vfBackendNew(&(vfBackendOptions){
        .kind = kind, .runner = &lr.parent, .wait_seconds = 10, .listing = listing });
    for (int round = 0; round < times && ok; round++) {
        g_autoptr(GPtrArray) errors = NULL;
        g_autoptr(GPtrArray) fws = nwfBuildInstantiateAll(set, bindings, &errors);
        g_autoptr(GError) err = NULL;
        vfApplyStats stats = { 0 };
        gint64 t0;
        g_autofree char *before = round ? dumpAll() : NULL;

        if (round && flush)
            flushAll(inner);
        t0 = g_get_monotonic_time();
        for (guint i = 0; i < fws->len; i++)
            g_assert_nonnull(fws->pdata[i]);
        nwftLogRunnerReset(&lr);
        if (!nwftApplyBatch(backend, fws, &stats, &err)) {
            fprintf(stderr, "FAIL %s: %s\n", label, err->message);
            ok = false;
            break;
        }
        run->seconds = (g_get_monotonic_time() - t0) / 1e6;
        if (round)
            run->processes2 = lr.log->len;
        else
            run->processes = lr.log->len;
        run->passes = stats.passes;
        run->listings += countListings(lr.golden->str);
        g_free(run->state);
        run->state = dumpAll();
        if (round && strcmp(before, run->state) != 0) {
            fprintf(stderr, "FAIL %s: %s\n", label, flush ?
                    "re-apply after a flush did not come back to the state" :
                    "re-apply over its own state changed it");
            nwftShowDiff("state", before, run->state);
            ok = false;
        }
        fprintf(stderr, "  %s round %d: %u processes, %u passes, %u listings, %.2f s\n",
                label, round + 1, lr.log->len, run->passes, countListings(lr.golden->str),
                run->seconds);
    }
    nwftLogRunnerClear(&lr);
    return ok;
}

static bool
runN(nwfFilterSet *set, guint n, guint *restoreProcs, guint *restoreProcs2)
{
    g_autoptr(GPtrArray) bindings = makeBindings(n);
    g_autofree char *le = g_strdup_printf("N=%u exec", n);
    g_autofree char *lr = g_strdup_printf("N=%u restore", n);
    g_autofree char *ll = g_strdup_printf("N=%u restore, listing, flushed", n);
    Run ex = { 0 }, re = { 0 }, li = { 0 };
    bool nft = vfNftToolsAreNft();
    bool ok = applyIn(VF_BACKEND_EXEC, set, bindings, 1, &ex, le, VF_LISTING_OFF, false) &&
              applyIn(VF_BACKEND_RESTORE, set, bindings, 2, &re, lr, VF_LISTING_OFF, false) &&
              (!nft || applyIn(VF_BACKEND_RESTORE, set, bindings, 2, &li, ll,
                               VF_LISTING_ALWAYS, true));

    if (ok && strcmp(ex.state, re.state) != 0) {
        g_autofree char *ce = nwftCanon(ex.state);
        g_autofree char *cr = nwftCanon(re.state);
        if (strcmp(ce, cr) == 0) {
            fprintf(stderr, "  N=%u: states differ only in root-chain jump order (canon)\n", n);
        } else {
            fprintf(stderr, "FAIL N=%u: restore state differs from exec state\n", n);
            nwftShowDiff("state", ex.state, re.state);
            ok = false;
        }
    } else if (ok) {
        fprintf(stderr, "  N=%u: restore and exec states identical (%zu bytes)\n",
                n, strlen(ex.state));
    }
    if (ok && nft) {
        /* both rounds write the ebtables nat table: both list it */
        if (li.listings < 2 || strcmp(li.state, ex.state) != 0) {
            fprintf(stderr, "FAIL N=%u: with listings (%u) the state is not exec's\n",
                    n, li.listings);
            if (strcmp(li.state, ex.state) != 0)
                nwftShowDiff("state", ex.state, li.state);
            ok = false;
        } else {
            fprintf(stderr, "  N=%u: with %u listings, cold and after a flush: exec's state\n",
                    n, li.listings);
        }
    } else if (ok) {
        fprintf(stderr, "  N=%u: no listing run (legacy tools)\n", n);
    }
    *restoreProcs = re.processes;
    *restoreProcs2 = re.processes2;
    g_free(ex.state);
    g_free(re.state);
    g_free(li.state);
    return ok;
}

int
main(int argc, char **argv)
{
    const char *dirs[] = { NWFT_STOCK_DIR, NULL };
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfFilterSet) set = NULL;
    guint ns[2] = { 5, 50 };
    guint procs[2] = { 0 }, procs2[2] = { 0 };
    bool ok = true;

    if (getuid() != 0) {
        fprintf(stderr, "SKIP: needs root for a private network namespace\n");
        return 77;
    }
    if (!nwftInit() || !nwftEnterFreshNetns()) {
        fprintf(stderr, "SKIP: cannot create a network namespace\n");
        return 77;
    }
    if (!g_file_test(NWFT_STOCK_DIR, G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "SKIP: %s missing\n", NWFT_STOCK_DIR);
        return 77;
    }
    if (argc == 3) {
        ns[0] = (guint)atoi(argv[1]);
        ns[1] = (guint)atoi(argv[2]);
    }
    if (!(set = nwfLoadFilters(dirs, &err))) {
        fprintf(stderr, "FAIL: %s\n", err->message);
        return 1;
    }
    for (guint i = 0; i < 2 && ok; i++)
        ok = runN(set, ns[i], &procs[i], &procs2[i]);
    if (ok && (procs[0] != procs[1] || procs2[0] != procs2[1])) {
        fprintf(stderr, "FAIL: restore processes grow with N: %u/%u (N=%u) vs %u/%u (N=%u)\n",
                procs[0], procs2[0], ns[0], procs[1], procs2[1], ns[1]);
        ok = false;
    }
    fprintf(stderr, "%s: N=%u and N=%u as one batch; restore spawns %u and %u processes "
            "(empty tables), %u and %u (re-apply)\n", ok ? "PASS" : "FAIL",
            ns[0], ns[1], procs[0], procs[1], procs2[0], procs2[1]);
    return ok ? 0 : 1;
}
