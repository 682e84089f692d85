/*
 * test-lib-dryrun: libvirt-firewall-engine.so as a libvirt unit test uses
 * it, with a dry-run runner (no process, no kernel, no root): *-save is
 * answered with canned text, every other call is recorded.
 *
 * - programs built through the ABI, query callbacks included, give the
 *   restore input the project's golden files hold for the same programs
 *   (tests/restoredata/firewall/query-ensure.out, nwfilter-like.out);
 * - misuse and a failing program are reported for that program only;
 * - the exec backend adds libvirt's lock flags, and a tool it cannot run
 *   fails the program that ran it, not the batch;
 * - vflProbeRestoreTools runs the three tools by name through the runner
 *   and says which one failed;
 * - vflEngineNew refuses what it cannot do; vflVersion is the project's.
 */
#include "callbacks.h"

#include <string.h>

/* *-save: the case's file (@data: a path prefix), or nothing */
static int
cannedSave(TestRunner *r, const char *const *argv, const char *input,
           int *status, char **out)
{
    const char *prefix = r->data;

    if (prefix && strstr(testBase(argv[0]), "-save")) {
        char path[4096];
        snprintf(path, sizeof(path), "%s.%s", prefix, testBase(argv[0]));
        *out = testReadFile(path);   /* NULL: that layer is empty */
    }
    return 0;
}

static const char *
dataDir(void)
{
    const char *d = getenv("VF_TESTDATA");
    return d ? d : "tests/restoredata";
}

/* The recording as test-restore-golden writes it. */
static char *
recording(TestRunner *r, vflProgram **progs, size_t n, int rc,
          char **errors, char *batchError, const vflStats *st)
{
    Buf b = { 0 };

    bufAdd(&b, r->log.s ? r->log.s : "");
    if (batchError)
        bufPrintf(&b, "# batch error: %s\n", batchError);
    for (size_t i = 0; i < n; i++) {
        if (errors[i])
            bufPrintf(&b, "# program %zu failed: %s\n", i, errors[i]);
        free(errors[i]);
    }
    free(batchError);
    bufPrintf(&b, "# processes %u passes %u lines %u\n",
              st->processes, st->passes, st->lines);
    CHECK((rc == 0) == !strstr(b.s, "failed: ") && (rc == 0) == !strstr(b.s, "batch error"));
    return b.s;
}

static void
checkGolden(const char *name, char *got)
{
    char path[4096];
    char *expected;

    snprintf(path, sizeof(path), "%s/firewall/%s.out", dataDir(), name);
    CHECK((expected = testReadFile(path)));
    CHECK_STR(got, expected);
    free(expected);
    free(got);
}

/* tests/restoredata/firewall/query-ensure.prog, through the ABI */
static void
testQueryEnsure(void)
{
    char prefix[4096];
    TestRunner r = { .answer = cannedSave, .data = prefix };
    vflProgram *prog = vflProgramNew("setup");
    EnsureQuery q[3] = {
        { "filter", "LIBVIRT_INP", "INPUT", 0, prog },
        { "filter", "LIBVIRT_FWX", "FORWARD", 0, prog },
        { "nat", "LIBVIRT_PRT", "POSTROUTING", 0, prog },
    };
    char *errors[1] = { NULL }, *batchError = NULL;
    vflStats st;
    vflEngine *engine = vflEngineNew(VFL_BACKEND_RESTORE, 0, testRun, &r, NULL);
    int rc;

    snprintf(prefix, sizeof(prefix), "%s/firewall/query-ensure", dataDir());
    vflProgramStartTransaction(prog, 0);
    testQuery(prog, VFL_LAYER_IPV4, ensureCallback, &q[0], "-t filter --list-rules");
    testQuery(prog, VFL_LAYER_IPV4, ensureCallback, &q[1], "-t filter --list-rules");
    testQuery(prog, VFL_LAYER_IPV4, ensureCallback, &q[2], "-t nat --list-rules");
    CHECK(vflProgramGetTransactionCount(prog) == 1);
    rc = vflEngineApply(engine, &prog, 1, errors, &batchError, &st);
    CHECK(rc == 0);
    CHECK(q[0].calls >= 1 && q[1].calls >= 1 && q[2].calls >= 1);
    checkGolden("query-ensure", recording(&r, &prog, 1, rc, errors, batchError, &st));
    /* the queries' answers came from the tables: one *-save, no more */
    CHECK(r.saves == 1);
    vflProgramFree(prog);
    vflEngineFree(engine);
    bufFree(&r.log);
}

/* tests/restoredata/firewall/nwfilter-like.prog, through the ABI */
static void
testNwfilterLike(void)
{
    TestRunner r = { .answer = cannedSave };
    vflProgram *prog = vflProgramNew("vm0");
    char *errors[1] = { NULL }, *batchError = NULL;
    vflStats st;
    vflEngine *engine = vflEngineNew(VFL_BACKEND_RESTORE, 0, testRun, &r, NULL);
    const vflLayer E = VFL_LAYER_ETHERNET;
    const char *ssh[] = { "-t", "filter", "-A", "FJ-vnet0", "-p", "tcp", "--dport", "22",
                          "-m", "comment", "--comment", "ssh \"in\"", "-j", "ACCEPT", NULL };
    int rc;

    vflProgramStartTransaction(prog, VFL_TRANSACTION_IGNORE_ERRORS);
    testAdd(prog, E, false, "-t nat -D PREROUTING -i vnet0 -j libvirt-J-vnet0");
    testQuery(prog, E, cleanupCallback, "nat", "-t nat -L libvirt-J-vnet0");
    testAdd(prog, E, false, "-t nat -F libvirt-J-vnet0");
    testAdd(prog, E, false, "-t nat -X libvirt-J-vnet0");
    vflProgramStartTransaction(prog, 0);
    testAdd(prog, E, false, "-t nat -N libvirt-J-vnet0");
    testAdd(prog, E, false, "-t nat -N J-vnet0-mac");
    testAdd(prog, E, false, "-t nat -A libvirt-J-vnet0 -j J-vnet0-mac");
    testAdd(prog, E, false, "-t nat -A J-vnet0-mac -s 52:54:00:00:00:01 -j RETURN");
    testAdd(prog, E, false, "-t nat -A J-vnet0-mac -j DROP");
    testAdd(prog, E, false, "-t nat -A PREROUTING -i vnet0 -j libvirt-J-vnet0");
    testAdd(prog, VFL_LAYER_IPV4, false, "-t filter -N FJ-vnet0");
    vflProgramAddRule(prog, VFL_LAYER_IPV4, false, NULL, NULL, ssh);
    vflProgramStartTransaction(prog, VFL_TRANSACTION_IGNORE_ERRORS);
    testAdd(prog, E, false, "-t nat -D PREROUTING -i vnet0 -j libvirt-I-vnet0");
    testQuery(prog, E, cleanupCallback, "nat", "-t nat -L libvirt-I-vnet0");
    testAdd(prog, E, false, "-t nat -F libvirt-I-vnet0");
    testAdd(prog, E, false, "-t nat -X libvirt-I-vnet0");
    testAdd(prog, E, false, "-t nat -E libvirt-J-vnet0 libvirt-I-vnet0");
    testAdd(prog, E, false, "-t nat -E J-vnet0-mac I-vnet0-mac");
    testAdd(prog, VFL_LAYER_IPV4, false, "-t filter -E FJ-vnet0 FI-vnet0");
    CHECK(vflProgramGetTransactionCount(prog) == 3);
    rc = vflEngineApply(engine, &prog, 1, errors, &batchError, &st);
    checkGolden("nwfilter-like", recording(&r, &prog, 1, rc, errors, batchError, &st));
    vflProgramFree(prog);
    vflEngineFree(engine);
    bufFree(&r.log);
}

/* Each program fails alone: a rule outside a transaction, an empty argv,
 * an unknown layer, a delete of a rule nobody added; the good ones
 * around them are written. */
static void
testFailingPrograms(void)
{
    TestRunner r = { .answer = cannedSave };
    vflProgram *progs[6];
    char *errors[6] = { NULL }, *batchError = NULL;
    const char *empty[] = { NULL };
    vflStats st;
    vflEngine *engine = vflEngineNew(VFL_BACKEND_RESTORE, 0, testRun, &r, NULL);
    int rc;

    for (int i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof(name), "vnet%d", i);
        progs[i] = vflProgramNew(name);
    }
    vflProgramStartTransaction(progs[0], 0);
    testAdd(progs[0], VFL_LAYER_IPV4, false, "-t filter -N good-0");
    testAdd(progs[1], VFL_LAYER_IPV4, false, "-t filter -N outside");
    vflProgramStartTransaction(progs[1], 0);
    testAdd(progs[1], VFL_LAYER_IPV4, false, "-t filter -N bad-1");
    vflProgramStartTransaction(progs[2], 0);
    vflProgramAddRule(progs[2], VFL_LAYER_IPV4, false, NULL, NULL, empty);
    vflProgramStartTransaction(progs[3], 0);
    testAdd(progs[3], (vflLayer)7, false, "-t filter -N bad-3");
    vflProgramStartTransaction(progs[4], 0);
    testAdd(progs[4], VFL_LAYER_IPV4, false, "-t filter -N bad-4");
    testAdd(progs[4], VFL_LAYER_IPV4, false, "-t filter -D INPUT -j bad-4");
    vflProgramStartRollback(progs[4], 0);
    testAdd(progs[4], VFL_LAYER_IPV4, false, "-t filter -X bad-4");
    vflProgramStartTransaction(progs[5], 0);
    testAdd(progs[5], VFL_LAYER_IPV6, false, "-t filter -N good-5");

    rc = vflEngineApply(engine, progs, 6, errors, &batchError, &st);
    CHECK(rc == -1);
    CHECK(!batchError);
    CHECK(!errors[0] && !errors[5]);
    for (int i = 1; i <= 4; i++)
        CHECK(errors[i]);
    CHECK(strstr(errors[1], "outside a transaction"));
    CHECK(strstr(errors[2], "empty firewall command"));
    CHECK(strstr(errors[3], "vnet3"));
    CHECK(strstr(errors[4], "-D INPUT -j bad-4"));
    CHECK(strstr(r.log.s, "-N good-0\n"));
    CHECK(strstr(r.log.s, "-N good-5\n"));
    CHECK(!strstr(r.log.s, "bad-"));
    for (int i = 0; i < 6; i++) {
        free(errors[i]);
        vflProgramFree(progs[i]);
    }
    vflEngineFree(engine);
    bufFree(&r.log);
}

/* a tool this dry run cannot run: the exec backend fails the program */
static void
testExecBackend(void)
{
    TestRunner r = { .answer = cannedSave, .refuse = "ip6tables" };
    vflProgram *progs[2] = { vflProgramNew("net"), vflProgramNew("vnet0") };
    char *errors[2] = { NULL }, *batchError = NULL;
    vflStats st;
    vflEngine *engine = vflEngineNew(VFL_BACKEND_EXEC, VFL_ENGINE_KEEP_TABLES,
                                     testRun, &r, NULL);

    CHECK(vflEngineGetBackend(engine) == VFL_BACKEND_EXEC);
    vflProgramStartTransaction(progs[0], 0);
    testAdd(progs[0], VFL_LAYER_IPV4, false, "-t nat -A POSTROUTING -j MASQUERADE");
    testAdd(progs[0], VFL_LAYER_ETHERNET, false, "-t nat -N x");
    vflProgramStartTransaction(progs[1], 0);
    testAdd(progs[1], VFL_LAYER_IPV6, false, "-t filter -N y");
    CHECK(vflEngineApply(engine, progs, 2, errors, &batchError, &st) == -1);
    CHECK_STR(r.log.s, "# iptables -w -t nat -A POSTROUTING -j MASQUERADE\n"
                       "# ebtables --concurrent -t nat -N x\n"
                       "# ip6tables -w -t filter -N y\n");
    CHECK(!batchError && !errors[0] && errors[1]);
    CHECK(strstr(errors[1], "the test's runner refuses it"));
    CHECK(st.processes == 3 && st.lines == 3 && st.passes == 0);
    free(errors[1]);
    vflProgramFree(progs[0]);
    vflProgramFree(progs[1]);
    vflEngineFree(engine);
    bufFree(&r.log);
}

/* dry: @data names the tool that exits 1 */
static int
probeAnswer(TestRunner *r, const char *const *argv, const char *input,
            int *status, char **out)
{
    CHECK(!strchr(argv[0], '/'));   /* by name, as every tool */
    CHECK(argv[1] && strcmp(argv[1], "--version") == 0 && !argv[2]);
    *status = r->data && strcmp(argv[0], r->data) == 0 ? 1 : 0;
    return 0;
}

static void
testProbe(void)
{
    TestRunner ok = { .answer = probeAnswer };
    TestRunner exits = { .answer = probeAnswer, .data = "ip6tables-restore" };
    TestRunner missing = { .answer = probeAnswer, .refuse = "ebtables-restore" };
    char *why = NULL;

    CHECK(vflProbeRestoreTools(testRun, &ok, &why) == 1);
    CHECK(ok.calls == 3 && why && strstr(why, "working"));
    free(why);
    CHECK(vflProbeRestoreTools(testRun, &exits, &why) == 0);
    CHECK(why && strstr(why, "ip6tables-restore --version' exited with status 1"));
    free(why);
    CHECK(vflProbeRestoreTools(testRun, &missing, &why) == 0);
    CHECK(why && strstr(why, "ebtables-restore cannot be run"));
    CHECK(strstr(why, "the test's runner refuses it"));
    free(why);
    CHECK(vflProbeRestoreTools(testRun, &ok, NULL) == 1);
    bufFree(&ok.log);
    bufFree(&exits.log);
    bufFree(&missing.log);
}

static void
testEngineNew(void)
{
    TestRunner r = { .answer = cannedSave };
    char *error = NULL;

    CHECK(!vflEngineNew((vflBackend)5, 0, testRun, &r, &error));
    CHECK(error && strstr(error, "backend"));
    free(error);
    CHECK(!vflEngineNew(VFL_BACKEND_RESTORE, 1u << 7, testRun, &r, &error));
    CHECK(error && strstr(error, "flags"));
    free(error);
    CHECK(!vflEngineNew(VFL_BACKEND_RESTORE, 0, NULL, NULL, &error));
    free(error);
    CHECK(!vflEngineNew(VFL_BACKEND_RESTORE, 0, NULL, NULL, NULL));
}

static void
testVersion(void)
{
    char major[32];

    CHECK_STR(vflVersion(), VF_VERSION);
    snprintf(major, sizeof(major), "%d.%d.", VFL_VERSION_MAJOR, VFL_VERSION_MINOR);
    CHECK(strncmp(vflVersion(), major, strlen(major)) == 0);
}

int
main(void)
{
    testQueryEnsure();
    testNwfilterLike();
    testFailingPrograms();
    testExecBackend();
    testProbe();
    testEngineNew();
    testVersion();
    printf("ok: libvirt-firewall-engine.so, dry run\n");
    return 0;
}
