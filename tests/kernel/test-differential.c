/*
 * test-differential: the restore backend must leave the kernel exactly as
 * the exec backend does.
 *
 * A seeded generator writes random batches of programs (chains, rules,
 * ignore-errors deletes, queries, rollbacks, several VMs, VMs that fail in
 * ways the simulation can and cannot foresee) in the text format. Each
 * batch runs on top of a random pre-existing state, once with each backend
 * in its own private network namespace; the *-save outputs and the set of
 * failing programs must be identical.
 *
 *   VF_DIFF_COUNT=N   how many batches (default 200)
 *   VF_DIFF_FIRST=S   the first seed (default 1), to explore further seeds
 *                     (the kept-tables sequence starts at 10000 + S)
 *   VF_DIFF_SEED=S    run only seed S (prints the program)
 */
#include "backend.h"
#include "netns.h"
#include "nftgen.h"
#include "nfttable.h"
#include "text.h"
#include "restore/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    GRand *rand;
    GString *out;
    guint prog;
} Gen;

static guint
pick(Gen *g, guint n)
{
    return g_rand_int_range(g->rand, 0, n);
}

static gboolean
chance(Gen *g, guint percent)
{
    return pick(g, 100) < percent;
}

static const char *const ipSpecs[] = {
    "-s 10.0.0.1/32 -j ACCEPT",
    "-d 192.168.1.0/24 -j DROP",
    "-p tcp -m tcp --dport 22 -j ACCEPT",
    "-p udp -m udp --sport 53 -j RETURN",
    "-i eth0 -j DROP",
    "-m comment --comment \"hello world\" -j ACCEPT",
    "-m comment --comment \"quote \\\" back\\\\slash # COMMIT *filter\" -j ACCEPT",
    "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "! -s 10.9.9.9/32 -j REJECT --reject-with icmp-port-unreachable",
    "-j ACCEPT",
    /* the same rules as libvirt writes them: -D must match either form */
    "--source 10.0.0.1 --jump ACCEPT",
    "--protocol tcp --destination-port 22 --jump ACCEPT",
    "-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
    "! -s 10.9.9.9 -j REJECT",
};

static const char *const ip6Specs[] = {
    "-s 2001:db8::1/128 -j ACCEPT",
    "-d fd00::/64 -j DROP",
    "-p tcp -m tcp --dport 443 -j ACCEPT",
    "-m comment --comment \"v6 rule\" -j RETURN",
    "-j ACCEPT",
};

static const char *const ebSpecs[] = {
    "-s 52:54:00:00:00:01 -j RETURN",
    "-p IPv4 --ip-src 10.0.0.1 -j ACCEPT",
    "-p ARP --arp-ip-src 10.0.0.2 -j RETURN",
    "-d Broadcast -j DROP",
    "-p IPv6 -j ACCEPT",
    "-j DROP",
    "-j ACCEPT",
    /* libvirt's spellings of the rules above */
    "-s 52:54:0:0:0:1 -j RETURN",
    "-p 0x800 --ip-source 10.0.0.1 -j ACCEPT",
    "-p 0x0806 --arp-ip-src 10.0.0.2/32 -j RETURN",
    "-d ff:ff:ff:ff:ff:ff -j DROP",
};

/* Lines no simulation can foresee failing: the kernel or the tool
 * refuses them. */
static const char *const ipBad[] = {
    "-m set --match-set vf-no-such-set src -j ACCEPT",
    "-p tcp -m tcp --dport 99999 -j ACCEPT",
};
static const char *const ebBad[] = {
    "-p IPv4 --ip-src 10.0.0.300 -j ACCEPT",
};

typedef struct {
    const char *layer;
    const char *table;
    const char *const *specs;
    guint nspecs;
    const char *const *bad;
    guint nbad;
    const char *builtin;
    const char *list;        /* -L or -S */
} LayerInfo;

static const LayerInfo layers[] = {
    { "ethernet", "nat", ebSpecs, G_N_ELEMENTS(ebSpecs), ebBad, G_N_ELEMENTS(ebBad),
      "PREROUTING", "-L" },
    { "ipv4", "filter", ipSpecs, G_N_ELEMENTS(ipSpecs), ipBad, G_N_ELEMENTS(ipBad),
      "FORWARD", "-S" },
    { "ipv6", "filter", ip6Specs, G_N_ELEMENTS(ip6Specs), ipBad, 1,
      "INPUT", "-S" },
};

static void
chainName(Gen *g, char *buf, gsize len, gboolean shared)
{
    /* a few names per VM, a few shared between VMs */
    if (shared)
        g_snprintf(buf, len, "shared-%u", pick(g, 2));
    else
        g_snprintf(buf, len, "%s-vm%u-%u", pick(g, 2) ? "tmp" : "fin",
                   g->prog, pick(g, 3));
}

static void
genRule(Gen *g, gboolean allowBad, gboolean inRollback)
{
    const LayerInfo *L = &layers[pick(g, G_N_ELEMENTS(layers))];
    char chain[32], other[32];
    const char *ign = (!inRollback && chance(g, 30)) ? "ignore " : "";
    guint op = pick(g, 100);

    chainName(g, chain, sizeof(chain), chance(g, 15));
    if (chance(g, 25))
        g_strlcpy(chain, L->builtin, sizeof(chain));

    g_string_append_printf(g->out, "%s %s", L->layer, ign);
    if (op < 25) {
        g_string_append_printf(g->out, "-t %s -A %s %s\n", L->table, chain,
                               L->specs[pick(g, L->nspecs)]);
    } else if (op < 32) {
        chainName(g, other, sizeof(other), FALSE);
        g_string_append_printf(g->out, "-t %s -A %s -j %s\n", L->table, chain, other);
    } else if (op < 40) {
        g_string_append_printf(g->out, "-t %s -I %s %s\n", L->table, chain,
                               L->specs[pick(g, L->nspecs)]);
    } else if (op < 52) {
        g_string_append_printf(g->out, "-t %s -D %s %s\n", L->table, chain,
                               L->specs[pick(g, L->nspecs)]);
    } else if (op < 55) {
        chainName(g, other, sizeof(other), FALSE);
        g_string_append_printf(g->out, "-t %s -D %s -j %s\n", L->table, chain, other);
    } else if (op < 68) {
        g_string_append_printf(g->out, "-t %s -N %s\n", L->table, chain);
    } else if (op < 76) {
        g_string_append_printf(g->out, "-t %s -F %s\n", L->table, chain);
    } else if (op < 84) {
        /* -X and -E of builtins are refused by the restore backend (what
         * nf_tables does depends on state *-save does not show) */
        if (g_str_equal(chain, L->builtin))
            chainName(g, chain, sizeof(chain), FALSE);
        g_string_append_printf(g->out, "-t %s -X %s\n", L->table, chain);
    } else if (op < 90) {
        if (g_str_equal(chain, L->builtin))
            chainName(g, chain, sizeof(chain), FALSE);
        chainName(g, other, sizeof(other), FALSE);
        g_string_append_printf(g->out, "-t %s -E %s %s\n", L->table, chain, other);
    } else if (op < 96) {
        /* a query whose callback removes what the chain jumps to (in a
         * rollback too, as libvirt's nwfilter has one) */
        g_string_truncate(g->out, g->out->len - strlen(ign));
        g_string_append_printf(g->out, "ignore query=cleanup -t %s %s %s\n",
                               L->table, L->list, chain);
    } else if (allowBad) {
        g_string_append_printf(g->out, "-t %s -A %s %s\n", L->table, L->builtin,
                               L->bad[pick(g, L->nbad)]);
    } else {
        g_string_append_printf(g->out, "-t %s -N %s\n", L->table, chain);
    }
}

static char *
genBatch(guint32 seed, gboolean setup)
{
    Gen g = { g_rand_new_with_seed(seed), g_string_new(NULL), 0 };
    guint nprog = setup ? 1 : 1 + pick(&g, 4);
    gint badProg = (!setup && chance(&g, 50)) ? (gint)pick(&g, nprog) : -1;

    for (g.prog = 0; g.prog < nprog; g.prog++) {
        guint ngroups = 1 + pick(&g, 3);
        g_string_append_printf(g.out, "program vm%u\n", g.prog);
        for (guint grp = 0; grp < ngroups; grp++) {
            guint nrules = 1 + pick(&g, setup ? 12 : 7);
            g_string_append_printf(g.out, "transaction%s\n",
                                   chance(&g, 30) ? " ignore-errors" : "");
            for (guint r = 0; r < nrules; r++)
                genRule(&g, (gint)g.prog == badProg && chance(&g, 40), FALSE);
            if (chance(&g, 50)) {
                g_string_append_printf(g.out, "rollback%s\n",
                                       chance(&g, 40) ? " inherit-previous" : "");
                for (guint r = 0, nr = 1 + pick(&g, 3); r < nr; r++)
                    genRule(&g, FALSE, TRUE);
            }
        }
    }
    g_rand_free(g.rand);
    return g_string_free(g.out, FALSE);
}

/* One layer's *-save output without its comment lines, as virt-firewall
 * renders tables. */
static char *
saveLayer(vfRunner *runner, virFirewallLayer layer)
{
    const char *argv[] = { vfSnapshotSaveBinary(layer), NULL };
    g_auto(vfRunResult) res = { 0 };
    GString *kernel = g_string_new(NULL);
    g_auto(GStrv) lines = NULL;

    g_assert_true(vfRunnerRun(runner, argv, NULL, &res, NULL));
    lines = g_strsplit(res.out, "\n", -1);
    for (gsize i = 0; lines[i]; i++) {
        if (*lines[i] && *lines[i] != '#')
            g_string_append_printf(kernel, "%s\n", lines[i]);
    }
    return g_string_free(kernel, FALSE);
}

static char *
saveAll(vfRunner *runner)
{
    GString *all = g_string_new(NULL);

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        g_autofree char *text = saveLayer(runner, l);
        g_string_append(all, text);
    }
    return g_string_free(all, FALSE);
}

static guint resultsChecked;

/* What the restore backend says it left (the simulated tables, which
 * virt-firewall records instead of reading the kernel again) must be
 * exactly what *-save shows. */
static void
checkResult(vfApplyOutcome *outcome, vfRunner *runner)
{
    char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL };
    guint transactions;

    if (!vfApplyOutcomeTake(outcome, texts, &transactions))
        return;
    resultsChecked++;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        g_autofree char *kernel = NULL;

        if (!texts[l])
            continue;
        kernel = saveLayer(runner, l);
        g_assert_cmpstr(texts[l], ==, kernel);
        g_free(texts[l]);
    }
}

/* Counts the *-save a backend runs (the tables it read), and the restores
 * that list their table (vfBackendOptions.listing). */
typedef struct {
    vfRunner parent;
    vfRunner *inner;
    guint saves;
    guint listings;
} CountingRunner;

static gboolean
countingRun(vfRunner *runner, const char *const *argv, const char *input,
            vfRunResult *res, GError **error)
{
    CountingRunner *self = (CountingRunner *)runner;

    if (g_str_has_suffix(argv[0], "-save"))
        self->saves++;
    /* programs' queries are answered from the simulation: a listing in a
     * restore input is the backend's */
    if (input && (strstr(input, "\n-L\n") || strstr(input, "\n-S\n")))
        self->listings++;
    return vfRunnerRun(self->inner, argv, input, res, error);
}

/* vfBackendOptions.listing for the restore backends of the tests below, and
 * how many restores listed their table. */
static vfListing listing = VF_LISTING_OFF;
static guint listingsSeen;
/* vfBackendOptions.replay for them */
static gboolean replayMode;

/* Applies @setup then @batch with @kind in a fresh namespace. */
static char *
runOne(vfBackendKind kind, const char *setup, const char *batch,
       GString *failures, guint *processes)
{
    g_autoptr(GError) err = NULL;
    int fd = vfNetnsCreatePrivate(&err);
    g_autoptr(vfRunner) runner = NULL;
    CountingRunner counting = { { countingRun } };
    g_autoptr(vfTarget) target = NULL;   /* outlives the backends */
    g_autoptr(vfBackend) setupBackend = NULL;
    g_autoptr(vfBackend) backend = NULL;
    g_autoptr(vfProgramSet) s = vfProgramSetParse(setup, "setup", &err);
    g_autoptr(vfProgramSet) b = NULL;
    g_autofree GError **errors = NULL;
    g_auto(vfApplyOutcome) outcome = { 0 };
    vfBackendOptions o;
    vfBatch batchIn = { 0 };
    char *state;

    g_assert_no_error(err);
    g_assert_cmpint(fd, >=, 0);
    runner = vfRunnerNewSubprocess(fd);

    /* the pre-existing state always comes from exec, so both start alike */
    setupBackend = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_EXEC, runner));
    errors = g_new0(GError *, vfProgramSetCount(s) + 1);
    vfBackendApply(setupBackend, vfProgramSetPrograms(s), vfProgramSetCount(s),
                   errors, NULL, &err);
    g_assert_no_error(err);
    g_clear_error(&errors[0]);
    g_clear_pointer(&errors, g_free);

    b = vfProgramSetParse(batch, "batch", &err);
    g_assert_no_error(err);
    counting.inner = runner;
    o = VF_BACKEND_OPTIONS(kind, &counting.parent);
    o.listing = listing;
    o.replay = replayMode;
    /* as virt-firewall does: a table created and put back goes again */
    target = vfTargetNew(&counting.parent, fd, 0);
    o.target = target;
    backend = vfBackendNew(&o);
    batchIn.programs = vfProgramSetPrograms(b);
    batchIn.n = vfProgramSetCount(b);
    vfBackendApplyBatch(backend, &batchIn, &outcome, &err);
    listingsSeen += counting.listings;
    g_assert_no_error(err);
    for (gsize i = 0; i < vfProgramSetCount(b); i++)
        g_string_append_printf(failures, "vm%zu:%s ", i, outcome.errors[i] ? "failed" : "ok");
    *processes = outcome.stats.processes;
    state = saveAll(runner);
    checkResult(&outcome, runner);
    close(fd);
    return state;
}

static guint totalExec, totalRestore, failingPrograms;

static void
checkSeed(guint32 seed, gboolean verbose)
{
    g_autofree char *setup = genBatch(seed * 2 + 1, TRUE);
    g_autofree char *batch = genBatch(seed * 2, FALSE);
    g_autoptr(GString) fe = g_string_new(NULL);
    g_autoptr(GString) fr = g_string_new(NULL);
    guint pe, pr;
    g_autofree char *se = runOne(VF_BACKEND_EXEC, setup, batch, fe, &pe);
    g_autofree char *sr = runOne(VF_BACKEND_RESTORE, setup, batch, fr, &pr);

    totalExec += pe;
    totalRestore += pr;
    if (strstr(fe->str, "failed"))
        failingPrograms++;
    if (verbose || !g_str_equal(se, sr) || !g_str_equal(fe->str, fr->str)) {
        g_printerr("seed %u\n--- setup\n%s--- batch\n%s--- exec (%s)\n%s--- restore (%s)\n%s",
                   seed, setup, batch, fe->str, se, fr->str, sr);
    }
    g_assert_cmpstr(fe->str, ==, fr->str);
    g_assert_cmpstr(se, ==, sr);
}

static void
testRandom(void)
{
    const char *only = g_getenv("VF_DIFF_SEED");
    guint count = g_getenv("VF_DIFF_COUNT") ? atoi(g_getenv("VF_DIFF_COUNT")) : 200;
    guint first = g_getenv("VF_DIFF_FIRST") ? atoi(g_getenv("VF_DIFF_FIRST")) : 1;

    if (only) {
        checkSeed(atoi(only), TRUE);
        return;
    }
    for (guint seed = first; seed < first + count; seed++)
        checkSeed(seed, FALSE);
    g_test_message("%u batches: %u exec processes, %u restore processes, "
                   "%u batches with a failing program",
                   count, totalExec, totalRestore, failingPrograms);
    g_print("# %u batches identical; processes exec %u, restore %u; "
            "%u batches had a failing program; %u recorded results equal *-save\n",
            count, totalExec, totalRestore, failingPrograms, resultsChecked);
    /* most batches are written as a difference: their result is checked */
    g_assert_cmpuint(resultsChecked, >, count / 2);
}


/*
 * A resident caller (virt-firewall serve) applies batch after batch with
 * one backend that keeps its tables: after each, the kernel must be as
 * exec leaves it, and the kept tables exactly what *-save prints. Every
 * fifth batch a foreign rule lands between two batches (the tables must
 * be read again).
 */
static void
testKept(void)
{
    guint count = g_getenv("VF_DIFF_COUNT") ? atoi(g_getenv("VF_DIFF_COUNT")) / 5 + 1 : 40;
    /* VF_DIFF_FIRST moves this sequence's seeds too */
    guint first = g_getenv("VF_DIFF_FIRST") ? atoi(g_getenv("VF_DIFF_FIRST")) : 1;
    g_autoptr(GError) err = NULL;
    int fd[2];
    g_autoptr(vfRunner) rx = NULL;
    g_autoptr(vfRunner) rr = NULL;
    g_autoptr(vfBackend) bx = NULL;
    g_autoptr(vfTarget) target = NULL;
    g_autoptr(vfBackend) br = NULL;
    CountingRunner counting = { { countingRun } };
    guint keptChecked = 0, reused = 0;
    gboolean nft = vfNftToolsAreNft();

    for (int k = 0; k < 2; k++) {
        fd[k] = vfNetnsCreatePrivate(&err);
        g_assert_no_error(err);
    }
    rx = vfRunnerNewSubprocess(fd[0]);
    rr = vfRunnerNewSubprocess(fd[1]);
    counting.inner = rr;
    bx = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_EXEC, rx));
    /* legacy tools: no generation id counts them, nothing is kept */
    target = vfTargetNew(&counting.parent, fd[1], 0);
    br = vfBackendNew(&(vfBackendOptions){
        .kind = VF_BACKEND_RESTORE, .runner = &counting.parent, .target = target,
        .wait_seconds = 10, .listing = listing, .keep_tables = TRUE });

    for (guint step = 1; step <= count; step++) {
        g_autofree char *batch = genBatch(10000 + first - 1 + step, step == 1);
        g_autoptr(vfProgramSet) b = vfProgramSetParse(batch, "batch", &err);
        gsize n = vfProgramSetCount(b);
        g_autofree GError **ex = g_new0(GError *, n + 1);
        g_autofree GError **er = g_new0(GError *, n + 1);
        g_autofree char *sx = NULL;
        g_autofree char *sr = NULL;
        guint keptBefore = vfBackendKeptLayers(br);
        guint saves = counting.saves;

        g_assert_no_error(err);
        if (step % 5 == 0) {
            const char *argv[] = { "iptables", "-w", "-A", "INPUT", "-s", "10.77.0.1/32",
                                   "-j", "ACCEPT", NULL };
            g_auto(vfRunResult) r1 = { 0 };
            g_auto(vfRunResult) r2 = { 0 };
            g_assert_true(vfRunnerRun(rx, argv, NULL, &r1, NULL));
            g_assert_true(vfRunnerRun(rr, argv, NULL, &r2, NULL));
            keptBefore = 0;
        }
        vfBackendApply(bx, vfProgramSetPrograms(b), n, ex, NULL, &err);
        g_assert_no_error(err);
        vfBackendApply(br, vfProgramSetPrograms(b), n, er, NULL, &err);
        g_assert_no_error(err);
        if (keptBefore == VIR_FIREWALL_LAYER_LAST && counting.saves == saves)
            reused++;   /* nothing read: kept tables used */
        for (gsize i = 0; i < n; i++) {
            if (!ex[i] != !er[i])
                g_printerr("step %u program %zu: exec %s, restore %s\n%s", step, i,
                           ex[i] ? ex[i]->message : "ok", er[i] ? er[i]->message : "ok", batch);
            g_assert_true(!ex[i] == !er[i]);
            g_clear_error(&ex[i]);
            g_clear_error(&er[i]);
        }
        sx = saveAll(rx);
        sr = saveAll(rr);
        if (!g_str_equal(sx, sr))
            g_printerr("step %u\n--- batch\n%s--- exec\n%s--- restore\n%s", step, batch, sx, sr);
        g_assert_cmpstr(sx, ==, sr);
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
            guint32 gen;
            g_autofree char *kept = vfBackendFormatKept(br, l, &gen);
            g_autofree char *kernel = NULL;

            if (!kept)
                continue;
            kernel = saveLayer(rr, l);
            g_assert_cmpstr(kept, ==, kernel);
            keptChecked++;
        }
    }
    g_print("# kept tables: %u batches in a row identical to exec; %u kept layers "
            "equal *-save; %u batches started from kept tables\n", count, keptChecked, reused);
    listingsSeen += counting.listings;
    if (nft) {
        g_assert_cmpuint(keptChecked, >, count);
        g_assert_cmpuint(reused, >, count / 2);
    } else {
        g_assert_cmpuint(keptChecked, ==, 0);   /* legacy: no generation id */
    }
    close(fd[0]);
    close(fd[1]);
}

/*
 * The same with a listing in every restore where it is safe: the listing
 * changes what the nft tools read (render.h), so it must change nothing
 * they write, in results, generation ids (kept tables) or refusals.
 */
static void
testListing(void)
{
    if (!vfNftToolsAreNft()) {
        g_test_skip("the listing is only written for the nft variants of the tools");
        return;
    }
    listing = VF_LISTING_ALWAYS;
    listingsSeen = 0;
    testRandom();
    g_print("# listing: %u restores listed their table\n", listingsSeen);
    g_assert_cmpuint(listingsSeen, >, 50);
    listingsSeen = 0;
    testKept();
    g_print("# listing, kept tables: %u restores listed their table\n", listingsSeen);
    g_assert_cmpuint(listingsSeen, >, 10);
    listing = VF_LISTING_OFF;
}

/* @setup then @batch with exec and with restore, written as a difference
 * and as the log (replay): the same failing programs (@failures, if
 * given, says which) and the same tables each time. Returns exec's
 * tables. */
static char *
sameAsExec(const char *setup, const char *batch, const char *failures)
{
    char *state = NULL;

    for (int r = 0; r < 2; r++) {
        g_autoptr(GString) fe = g_string_new(NULL);
        g_autoptr(GString) fr = g_string_new(NULL);
        g_autofree char *se = NULL;
        g_autofree char *sr = NULL;
        guint pe, pr;

        replayMode = r;
        se = runOne(VF_BACKEND_EXEC, setup, batch, fe, &pe);
        sr = runOne(VF_BACKEND_RESTORE, setup, batch, fr, &pr);
        if (g_test_verbose() || !g_str_equal(se, sr) || !g_str_equal(fe->str, fr->str))
            g_printerr("--- %s\n--- exec (%s)\n%s--- restore (%s)\n%s",
                       replayMode ? "log" : "difference", fe->str, se, fr->str, sr);
        if (failures)
            g_assert_cmpstr(fe->str, ==, failures);
        g_assert_cmpstr(fr->str, ==, fe->str);
        g_assert_cmpstr(sr, ==, se);
        g_free(state);
        state = g_steal_pointer(&se);
    }
    replayMode = FALSE;
    return state;
}

/*
 * A program whose first command fails where the simulation cannot know it
 * (an ipset that does not exist): exec runs nothing after it, so it
 * creates no table, while the restores of the other tables, which did not
 * exist, may have committed before the refusal. Put back, they are empty
 * tables still, and must go (vfBackendOptions.drop_table). Written as a
 * difference (put back) and as the log (replay: a round reverted).
 */
static void
testCreatedTable(void)
{
    /* exec creates no table */
    static const char first[] =
        "program vm0\n"
        "transaction\n"
        "ipv4 -t filter -A FORWARD -m set --match-set vf-no-such-set src -j ACCEPT\n"
        "ethernet -t nat -N vf-new\n"
        "ipv6 -t mangle -N vf-new\n"
        "ipv4 -t nat -N vf-new\n";
    /* exec creates ebtables nat, and its rollback leaves it empty */
    static const char rolledBack[] =
        "program vm0\n"
        "transaction\n"
        "ethernet -t nat -N vf-new\n"
        "ipv6 -t mangle -N vf-new\n"
        "ipv4 -t filter -A FORWARD -m set --match-set vf-no-such-set src -j ACCEPT\n"
        "rollback\n"
        "ethernet -t nat -X vf-new\n"
        "ipv6 -t mangle -X vf-new\n";
    const char *const batches[] = { first, rolledBack };

    if (!vfNftToolsAreNft()) {
        g_test_skip("tables are deleted only with the nft variants of the tools");
        return;
    }
    for (gsize b = 0; b < G_N_ELEMENTS(batches); b++) {
        g_autofree char *state = sameAsExec("", batches[b], "vm0:failed ");

        if (batches[b] == first)
            g_assert_cmpstr(state, ==, "");
    }
}

/*
 * Jumps that close a loop: the kernel refuses a loop a builtin chain
 * reaches ("Too many links") and takes one nothing reaches. The programs
 * go on to list and clean up what the loop would have reached, so a
 * simulation that took the jump would end elsewhere even though the loop
 * itself never reaches a restore (the kept-tables run found it, step 327).
 */
static void
testLoops(void)
{
    static const char setup[] =
        "program setup\n"
        "transaction\n"
        "ipv4 -t filter -N a\n"
        "ipv4 -t filter -N b\n"
        "ipv4 -t filter -N d\n"
        "ipv4 -t filter -A FORWARD -j a\n"
        "ipv4 -t filter -A a -j b\n"
        "ipv4 -t filter -A b -j d\n"
        "ipv4 -t filter -A d -p udp -j ACCEPT\n";
    static const char batch[] =
        "program vm0\n"
        "transaction\n"
        "ipv4 ignore -t filter -A d -j a\n"
        "ipv4 ignore query=cleanup -t filter -S d\n"
        "program vm1\n"
        "transaction\n"
        "ipv4 -t filter -N c\n"
        "ipv4 -t filter -A c -j c\n"
        "ipv4 ignore -t filter -I FORWARD -j c\n"
        "ipv4 ignore query=cleanup -t filter -S FORWARD\n"
        "program vm2\n"
        "transaction\n"
        "ethernet -t nat -N x\n"
        "ethernet -t nat -N y\n"
        "ethernet -t nat -A x -j y\n"
        "ethernet -t nat -A y -j x\n"
        "ethernet ignore -t nat -A PREROUTING -j x\n"
        "ethernet -t nat -A PREROUTING -j ACCEPT\n";

    g_autofree char *state = sameAsExec(setup, batch, NULL);

    /* the loop nothing reached was taken, the reached ones were not */
    g_assert_nonnull(strstr(state, "-A c -j c\n"));
    g_assert_null(strstr(state, "-A d -j a\n"));
    g_assert_null(strstr(state, "-A PREROUTING -j x\n"));
}

/*
 * Two refusals the simulation cannot foresee, learned one after the other:
 * the second makes the first transaction fail, so its rollback runs where
 * the later transaction's refused rule ran before. A fact keyed by that
 * place alone failed the rollback's jump (the kept-tables run, sequence
 * VF_DIFF_FIRST=20001, step 789).
 */
static void
testFacts(void)
{
    static const char setup[] =
        "program setup\n"
        "transaction\n"
        "ethernet -t nat -N tmp-x\n"
        "ipv6 -t filter -N fin-x\n";
    static const char batch[] =
        "program vm0\n"
        "transaction\n"
        "ipv6 -t filter -A fin-x -j ACCEPT\n"
        "ipv4 -t filter -A FORWARD -m set --match-set vf-no-such-set src -j ACCEPT\n"
        "rollback\n"
        "ethernet -t nat -A PREROUTING -j tmp-x\n"
        "ipv6 -t filter -F fin-x\n"
        "transaction ignore-errors\n"
        "ipv6 -t filter -A INPUT -m set --match-set vf-no-such-set src -j ACCEPT\n";

    g_autofree char *state = sameAsExec(setup, batch, "vm0:failed ");

    g_assert_nonnull(strstr(state, "-A PREROUTING -j tmp-x\n"));   /* the rollback ran */
}

/*
 * A rule only the kernel can judge (an ipset that does not exist) that a
 * later program removes again: written as a difference it would meet no
 * tool, and the program exec fails would go on (random seed 10531).
 */
static void
testJudged(void)
{
    static const char batch[] =
        "program vm0\n"
        "transaction\n"
        "ipv4 -t filter -A FORWARD -m set --match-set vf-no-such-set src -j ACCEPT\n"
        "ethernet -t nat -N vf-after-set\n"
        "program vm1\n"
        "transaction\n"
        "ipv4 -t filter -F FORWARD\n"
        "ipv4 -t filter -A FORWARD -j ACCEPT\n";

    g_autofree char *state = sameAsExec("", batch, "vm0:failed vm1:ok ");

    g_assert_null(strstr(state, "vf-after-set"));
}

/* Arguments that try to break out of a restore line: each is refused
 * with a clear error, or reaches the kernel exactly as exec puts it; and
 * what the restore backend then says the kernel holds (what virt-firewall
 * records, and verify compares) is what *-save prints: comments with '.',
 * ':', '/', '\'', non-ASCII are quoted by *-save, a host name for an
 * address is printed resolved (then nothing is said: it is read). */
static void
testAdversarial(void)
{
    g_autofree char *longArg = g_strnfill(300, 'x');
    g_autofree char *tooLong = g_strnfill(1100, 'y');
    const char *values[] = {
        "say \"hi\"", "back\\slash\\", "# not a comment", "COMMIT",
        "*filter", "a\nCOMMIT\n*nat", "x\ry", "-t", "--table", "-A INPUT -j DROP",
        "", " ", "tab\there", "it's", "$(reboot)", "\"", "\\", longArg, tooLong,
        "\"\nCOMMIT\n", "ünïcödé", "dot.colon:slash/", "-j", "plain_word-09",
    };
    const char *addresses[] = { "localhost", "127.0.0.1", "10.0.0.010" };
    const char *chains[] = { "abcdefghijklmnopqrstuvwxyz12", "abcdefghijklmnopqrstuvwxyz123" };
    guint refused = 0, equal = 0;

    for (gsize i = 0; i < G_N_ELEMENTS(values) + G_N_ELEMENTS(chains) +
                      G_N_ELEMENTS(addresses); i++) {
        char *states[2] = { NULL, NULL };
        g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
        gboolean failed[2] = { FALSE, FALSE };
        g_autofree char *message = NULL;

        for (int k = 0; k < 2; k++) {
            g_autoptr(GError) err = NULL;
            int fd = vfNetnsCreatePrivate(&err);
            g_autoptr(vfRunner) runner = vfRunnerNewSubprocess(fd);
            g_autoptr(vfBackend) b = vfBackendNew(&VF_BACKEND_OPTIONS(k ? VF_BACKEND_RESTORE : VF_BACKEND_EXEC,
                                                  runner));
            g_autoptr(virFirewall) fw = virFirewallNew("adversarial");
            g_auto(vfApplyOutcome) outcome = { 0 };
            vfBatch one = { .programs = &fw, .n = 1 };

            virFirewallStartTransaction(fw, 0);
            if (i < G_N_ELEMENTS(values)) {
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "INPUT",
                                   "-m", "comment", "--comment", values[i],
                                   "-j", "ACCEPT", NULL);
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat",
                                   "-N", "adv", NULL);
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat",
                                   "-A", "adv", "--log-prefix", values[i], "--log",
                                   "-j", "ACCEPT", NULL);
            } else if (i < G_N_ELEMENTS(values) + G_N_ELEMENTS(chains)) {
                const char *c = chains[i - G_N_ELEMENTS(values)];
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-N", c, NULL);
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat", "-N", c, NULL);
            } else {
                const char *a = addresses[i - G_N_ELEMENTS(values) - G_N_ELEMENTS(chains)];
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_IPV4, "-A", "INPUT", "-s", a,
                                   "-j", "ACCEPT", NULL);
                virFirewallAddRule(fw, VIR_FIREWALL_LAYER_ETHERNET, "-t", "nat", "-A",
                                   "PREROUTING", "-p", "IPv4", "--ip-src", a, "-j",
                                   "ACCEPT", NULL);
            }
            failed[k] = !vfBackendApplyBatch(b, &one, &outcome, &err);
            if (!err && outcome.errors[0])
                err = g_error_copy(outcome.errors[0]);
            if (k == 1)
                checkResult(&outcome, runner);
            if (k == 1 && err)
                message = g_strdup(err->message);
            states[k] = saveAll(runner);
            g_ptr_array_add(owned, states[k]);
            close(fd);
        }
        if (failed[1] && message && strstr(message, "Refusing") &&
            g_str_equal(states[1], "")) {
            refused++;
            continue;
        }
        if (!g_str_equal(states[0], states[1]) || failed[0] != failed[1])
            g_printerr("case %zu: exec %s restore %s (%s)\n--- exec\n%s--- restore\n%s",
                       i, failed[0] ? "failed" : "ok", failed[1] ? "failed" : "ok",
                       message ? message : "", states[0], states[1]);
        g_assert_cmpint(failed[0], ==, failed[1]);
        g_assert_cmpstr(states[0], ==, states[1]);
        equal++;
    }
    g_print("# adversarial: %u refused before anything ran, %u identical to exec\n",
            refused, equal);
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    int fd;

    g_test_init(&argc, &argv, NULL);
    if (geteuid() != 0 || (fd = vfNetnsCreatePrivate(&err)) < 0) {
        g_print("1..0 # SKIP needs root and network namespaces: %s\n",
                err ? err->message : "not root");
        return 0;
    }
    close(fd);
    g_test_add_func("/differential/adversarial", testAdversarial);
    g_test_add_func("/differential/random", testRandom);
    g_test_add_func("/differential/kept", testKept);
    g_test_add_func("/differential/listing", testListing);
    g_test_add_func("/differential/created-table", testCreatedTable);
    g_test_add_func("/differential/loops", testLoops);
    g_test_add_func("/differential/facts", testFacts);
    g_test_add_func("/differential/judged", testJudged);
    return g_test_run();
}
