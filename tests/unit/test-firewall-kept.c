/*
 * test-firewall-kept: the restore backend keeping its tables between
 * applies (generation ids say when they still hold), and preparing the
 * next apply on another thread.
 */
#include "firewall-fixtures.h"

#include <pthread.h>
#include <signal.h>

/* A kernel whose generation id moves with every restore that writes,
 * and with foreign commits; *-save always prints empty tables, so only
 * kept tables know what was written before. */
typedef struct {
    guint32 gen;
    gboolean genFails;
    guint saves;
    guint restores;
    guint refuse;
    guint extraCommits;   /* a foreign commit during the next restore */
    char *lastInput;
} KeepKernel;

static void
keepAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    KeepKernel *k = opaque;

    if (g_str_has_suffix(argv[0], "-save")) {
        k->saves++;
        return;
    }
    if (!input || !*input)
        return;   /* a prestarted tool that was not needed */
    k->restores++;
    g_free(k->lastInput);
    k->lastInput = g_strdup(input);
    if (k->refuse > 0) {
        k->refuse--;
        res->status = 1;
        res->err = g_strdup("iptables-restore: line 2 failed");
        return;
    }
    k->gen += 1 + k->extraCommits;
    k->extraCommits = 0;
}

static gboolean
keepGeneration(gpointer data, guint32 *gen, GError **error)
{
    KeepKernel *k = data;

    *gen = k->gen;
    return !k->genFails;
}

/* A target whose kernel is @k: nft tools, generation ids from k->gen. */
static vfTarget *
keepTarget(vfRunner *runner, KeepKernel *k)
{
    vfTargetKernel kernel = { .nft = TRUE, .read_generation = keepGeneration, .data = k };

    return vfTargetNewWithKernel(runner, &kernel, 0);
}

/* One program: delete rule @del (not ignored: it fails unless the rule is
 * there), add rule @add; @batch (may be NULL) brings the rest of the
 * batch, @outcome (may be NULL) takes the outcome. */
static gboolean
keepApplyFull(vfBackend *b, const char *del, const char *add,
              const vfBatch *batch, vfApplyOutcome *outcome)
{
    g_autoptr(virFirewall) fw = virFirewallNew("t");
    g_autoptr(GError) err = NULL;
    g_auto(vfApplyOutcome) own = { 0 };
    vfBatch one = { 0 };

    virFirewallStartTransaction(fw, 0);
    if (del)
        DEL(fw, del);
    if (add)
        ADD(fw, add);
    if (batch)
        one = *batch;
    one.programs = &fw;
    one.n = 1;
    return vfBackendApplyBatch(b, &one, outcome ? outcome : &own, &err);
}

static gboolean
keepApply(vfBackend *b, const char *del, const char *add)
{
    return keepApplyFull(b, del, add, NULL, NULL);
}

static void
test_restore_keep_tables(void **state)
{
    KeepKernel k = { 100 };
    g_autoptr(vfRunner) rec = vfRunnerNewScripted(keepAnswer, &k);
    vfBackendOptions o = VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec);
    g_autoptr(vfTarget) target = keepTarget(rec, &k);   /* outlives b */
    g_autoptr(vfBackend) b = NULL;
    char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL };
    guint transactions;

    o.target = target;
    o.keep_tables = TRUE;
    b = vfBackendNew(&o);
    {
        g_auto(vfApplyOutcome) outcome = { 0 };
        assert_true(keepApplyFull(b, NULL, "192.168.122.1", NULL, &outcome));
        assert_int_equal(k.saves, 1);
        assert_int_equal(vfBackendKeptLayers(b), 1);
        /* the tables stay with the backend */
        assert_false(vfApplyOutcomeTake(&outcome, texts, &transactions));
    }

    /* nobody committed since: no *-save, and the rule written before is
     * known (the delete succeeds and is the only line besides the add) */
    vfBackendPrepareNext(b);
    assert_true(keepApply(b, "192.168.122.1", "192.168.122.2"));
    assert_int_equal(k.saves, 1);
    assert_non_null(strstr(k.lastInput, "-D INPUT -s 192.168.122.1/32 -j ACCEPT"));
    assert_non_null(strstr(k.lastInput, "-A INPUT -s 192.168.122.2/32 -j ACCEPT"));
    /* without vfBackendPrepareNext too */
    assert_true(keepApply(b, "192.168.122.2", "192.168.122.3"));
    assert_int_equal(k.saves, 1);

    /* a foreign commit: the kept tables are dropped, *-save read (and its
     * empty tables make the delete fail); the tables that apply left are
     * known all the same */
    k.gen++;
    assert_false(keepApply(b, "192.168.122.3", NULL));
    assert_int_equal(k.saves, 2);

    /* somebody committed while our restore ran: not kept */
    assert_true(keepApply(b, NULL, "192.168.122.4"));
    assert_int_equal(vfBackendKeptLayers(b), 1);
    k.extraCommits = 1;
    assert_true(keepApply(b, "192.168.122.4", NULL));
    assert_int_equal(vfBackendKeptLayers(b), 0);
    assert_int_equal(k.saves, 2);
    assert_true(keepApply(b, NULL, "192.168.122.9"));
    assert_int_equal(k.saves, 3);

    /* a refused difference is replayed: what is in the kernel is not
     * known, nothing kept */
    assert_true(keepApply(b, NULL, "192.168.122.5"));
    assert_int_equal(vfBackendKeptLayers(b), 1);
    k.refuse = 1;
    assert_true(keepApply(b, NULL, "192.168.122.6"));
    assert_int_equal(vfBackendKeptLayers(b), 0);

    /* no generation id: never kept */
    k.genFails = TRUE;
    assert_true(keepApply(b, NULL, "192.168.122.7"));
    assert_int_equal(vfBackendKeptLayers(b), 0);
    k.genFails = FALSE;

    /* tables from the caller's text are kept only if it names the
     * generation they are of, and that is the kernel's at the apply */
    for (int given = 0; given < 3; given++) {   /* none, wrong, right */
        const char *text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
                           ":OUTPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.1/32 -j ACCEPT\nCOMMIT\n";
        vfBatch batch = { 0 };

        /* a new backend: nothing kept */
        g_clear_pointer(&b, vfBackendFree);
        b = vfBackendNew(&o);
        batch.save[VIR_FIREWALL_LAYER_IPV4] = text;
        batch.save_at.known = given != 0;
        /* with none, the right id all the same: only the flag says it */
        batch.save_at.id = given == 1 ? k.gen - 1 : k.gen;
        assert_true(keepApplyFull(b, "10.0.0.1", NULL, &batch, NULL));
        assert_int_equal(vfBackendKeptLayers(b), given == 2 ? 1 : 0);
    }
    {
        guint32 gen = 0;
        g_autofree char *kept = vfBackendFormatKept(b, VIR_FIREWALL_LAYER_IPV4, &gen);
        assert_null(vfBackendFormatKept(b, VIR_FIREWALL_LAYER_IPV6, &gen));
        assert_non_null(kept);
        assert_int_equal(gen, k.gen);
        assert_null(strstr(kept, "10.0.0.1"));
        assert_non_null(strstr(kept, ":INPUT ACCEPT"));
    }

    assert_true(keepApply(b, NULL, "192.168.122.8"));
    assert_int_equal(vfBackendKeptLayers(b), 1);
    g_free(k.lastInput);
}


/* vfBackendPrepareNextAsync (libvirtd's engine): the work runs on another
 * thread, with every signal blocked, after the call returned; the next
 * apply and vfBackendFree wait for it. The thread is held at a gate until
 * the test has looked, then takes a while, so that an apply or a free that
 * did not wait would meet it still running (its tools would run while
 * the thread is between the hook's two calls). */
typedef struct {
    KeepKernel k;
    GThread *caller;
    GMutex lock;
    GCond cond;
    gboolean open;          /* the gate */
    guint started, done;    /* preparations */
    guint elsewhere;        /* of them on a thread not the caller's */
    guint unmasked;         /* of them with SIGTERM or SIGCHLD deliverable */
    guint gateTimeouts;     /* the gate never opened: it ran in the call */
    guint early;            /* tools run while a preparation was running */
} PrepareWatch;

static void
prepareHook(gboolean done, gpointer data)
{
    PrepareWatch *w = data;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&w->lock);
    gint64 until = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
    sigset_t mask;

    if (done) {
        w->done++;
        return;
    }
    w->started++;
    g_cond_broadcast(&w->cond);
    if (g_thread_self() != w->caller)
        w->elsewhere++;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    if (!sigismember(&mask, SIGTERM) || !sigismember(&mask, SIGCHLD))
        w->unmasked++;
    while (!w->open) {
        if (!g_cond_wait_until(&w->cond, &w->lock, until)) {
            w->gateTimeouts++;
            break;
        }
    }
    w->open = FALSE;
    g_clear_pointer(&locker, g_mutex_locker_free);
    g_usleep(100 * 1000);
}

static void
prepareAnswer(const char *const *argv, const char *input, vfRunResult *res, void *opaque)
{
    PrepareWatch *w = opaque;

    g_mutex_lock(&w->lock);
    if (w->done != w->started)
        w->early++;
    g_mutex_unlock(&w->lock);
    keepAnswer(argv, input, res, &w->k);
}

/* Once the preparation number @n is at the gate. */
static void
openGate(PrepareWatch *w, guint n)
{
    gint64 until = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;

    g_mutex_lock(&w->lock);
    while (w->started < n && g_cond_wait_until(&w->cond, &w->lock, until))
        ;
    w->open = TRUE;
    g_cond_broadcast(&w->cond);
    g_mutex_unlock(&w->lock);
}

static void
test_restore_prepare_async(void **state)
{
    PrepareWatch w = { .k = { 100 }, .caller = g_thread_self() };
    g_autoptr(vfRunner) rec = vfRunnerNewScripted(prepareAnswer, &w);
    vfBackendOptions o = VF_BACKEND_OPTIONS(VF_BACKEND_RESTORE, rec);
    vfBackend *b;
    sigset_t before, after;
    char prev[32] = "", next[32];
    g_autoptr(vfTarget) target = keepTarget(rec, &w.k);

    g_mutex_init(&w.lock);
    g_cond_init(&w.cond);

    o.target = target;
    o.keep_tables = TRUE;
    o.prepare_hook = prepareHook;
    o.prepare_hook_data = &w;
    b = vfBackendNew(&o);
    pthread_sigmask(SIG_SETMASK, NULL, &before);
    for (guint i = 0; i < 4; i++) {
        g_snprintf(next, sizeof(next), "192.168.122.%u", i + 1);
        assert_true(keepApply(b, i ? prev : NULL, next));
        if (i) {
            /* from the kept tables: the rule written before is known */
            g_autofree char *del = g_strdup_printf("-D INPUT -s %s/32 -j ACCEPT", prev);
            assert_non_null(strstr(w.k.lastInput, del));
        }
        vfBackendPrepareNextAsync(b);
        g_mutex_lock(&w.lock);
        assert_int_equal(w.done, i);   /* returned before the work */
        g_mutex_unlock(&w.lock);
        openGate(&w, i + 1);
        g_strlcpy(prev, next, sizeof(prev));
    }
    pthread_sigmask(SIG_SETMASK, NULL, &after);
    for (int sig = 1; sig < NSIG; sig++)
        assert_int_equal(sigismember(&before, sig), sigismember(&after, sig));
    assert_int_equal(w.k.saves, 1);
    vfBackendFree(b);
    assert_int_equal(w.started, 4);
    assert_int_equal(w.done, 4);   /* the free waited for the last one */
    assert_int_equal(w.elsewhere, 4);
    assert_int_equal(w.unmasked, 0);
    assert_int_equal(w.gateTimeouts, 0);
    assert_int_equal(w.early, 0);   /* each apply waited */
    g_cond_clear(&w.cond);
    g_mutex_clear(&w.lock);
    g_free(w.k.lastInput);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_keep_tables),
        cmocka_unit_test(test_restore_prepare_async),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
