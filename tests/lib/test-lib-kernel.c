/*
 * test-lib-kernel: libvirt-firewall-engine.so against the kernel, through
 * its ABI only, each case in a child process of its own that first enters
 * a fresh network namespace (unshare), as libvirtd would run in one. Root
 * only (exit 77 otherwise).
 *
 * - programs: libvirt-shaped programs (nwfilter's apply-new + tear-old
 *   with its ebtables -L queries whose callbacks add rules, in actions and
 *   in a rollback; INHERIT_PREVIOUS; the network driver's ensure queries;
 *   ignore-errors transactions), one refused by the kernel and one failing
 *   in the simulation beside good ones: both backends leave the same
 *   *-save, and only the two failing programs report an error;
 * - runner: every process the engine starts goes through the caller's
 *   runner (the tools wrapped in PATH log each start; the counts agree);
 * - batch: a restore tool the runner cannot run fails the batch, and the
 *   kernel is as before; the engine then applies as exec does;
 * - kept: an engine with VFL_ENGINE_KEEP_TABLES reads no *-save for a VM
 *   start after its own applies, writes nothing when nothing changed,
 *   reads again after somebody else committed, and stays equal to exec.
 */
#include "callbacks.h"

#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const vflLayer E = VFL_LAYER_ETHERNET, V4 = VFL_LAYER_IPV4, V6 = VFL_LAYER_IPV6;

/* ---- the kernel's state ---- */

static void
saveLayer(TestRunner *r, const char *tool, Buf *out)
{
    const char *argv[] = { tool, NULL };
    char *text = testRunOk(r, argv), *save = NULL;

    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (*line != '#')
            bufPrintf(out, "%s\n", line);
    }
    free(text);
}

/* *-save of the three layers, comments removed; read with a runner of
 * its own, so the engine's runner counts only the engine's processes */
static char *
kernelState(void)
{
    TestRunner r = { 0 };
    Buf out = { 0 };

    bufAdd(&out, "");
    saveLayer(&r, "ebtables-save", &out);
    saveLayer(&r, "iptables-save", &out);
    saveLayer(&r, "ip6tables-save", &out);
    bufFree(&r.log);
    return out.s;
}

static void
run(const char *line)
{
    TestRunner r = { 0 };
    char **argv = testWords(line);

    free(testRunOk(&r, (const char *const *)argv));
    testWordsFree(argv);
    bufFree(&r.log);
}

/* Whether the tools are the nf_tables variants: only then are tables
 * kept and created tables deleted (the engine looks the same way). */
static bool
toolsAreNft(void)
{
    char path[PATH_MAX], real[PATH_MAX];
    const char *dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", NULL };

    for (size_t i = 0; dirs[i]; i++) {
        snprintf(path, sizeof(path), "%s/iptables", dirs[i]);
        if (realpath(path, real))
            return strcmp(testBase(real), "xtables-nft-multi") == 0;
    }
    return false;
}

/* ---- programs, as libvirt's drivers build them ---- */

static char cmd[512];

/* @pattern with every %s replaced by @ifname (in a static buffer) */
static const char *
fmt(const char *pattern, const char *ifname)
{
    Buf b = { 0 };
    const char *p, *q;

    bufAdd(&b, "");
    for (p = pattern; (q = strstr(p, "%s")); p = q + 2)
        bufPrintf(&b, "%.*s%s", (int)(q - p), p, ifname);
    bufAdd(&b, p);
    CHECK(b.len < sizeof(cmd));
    memcpy(cmd, b.s, b.len + 1);
    bufFree(&b);
    return cmd;
}

/*
 * nwfilter's ebiptablesApplyNewRules followed by ebiptablesTearOldRules,
 * one program as the batch makes them: temporary J- chains, the hook, a
 * rollback that removes them (its -L query's callback removes the
 * sub-chains), then the old I- chains removed and the J- ones renamed (a
 * query whose callback renames the sub-chains). @refused: a rule the
 * kernel refuses, which the simulation cannot foresee.
 */
static vflProgram *
nwfilterStart(const char *ifname, bool refused)
{
    vflProgram *p = vflProgramNew(ifname);

    vflProgramStartTransaction(p, VFL_TRANSACTION_IGNORE_ERRORS);
    testAdd(p, E, false, fmt("-t nat -D PREROUTING -i %s -j libvirt-J-%s", ifname));
    testQuery(p, E, cleanupCallback, "nat", fmt("-t nat -L libvirt-J-%s", ifname));
    testAdd(p, E, false, fmt("-t nat -F libvirt-J-%s", ifname));
    testAdd(p, E, false, fmt("-t nat -X libvirt-J-%s", ifname));

    vflProgramStartTransaction(p, 0);
    testAdd(p, E, false, fmt("-t nat -N libvirt-J-%s", ifname));
    testAdd(p, E, false, fmt("-t nat -N J-%s-ipv4", ifname));
    testAdd(p, E, false, fmt("-t nat -A libvirt-J-%s -p IPv4 -j J-%s-ipv4", ifname));
    testAdd(p, E, false, fmt("-t nat -A J-%s-ipv4 -p IPv4 --ip-src 10.0.0.1 -j RETURN", ifname));
    if (refused)
        testAdd(p, E, false, fmt("-t nat -A J-%s-ipv4 -p IPv4 --ip-src 10.0.0.300 -j ACCEPT",
                                 ifname));
    testAdd(p, E, false, fmt("-t nat -A J-%s-ipv4 -j DROP", ifname));
    testAdd(p, E, false, fmt("-t nat -A PREROUTING -i %s -j libvirt-J-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -N FJ-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -A FJ-%s -p tcp --dport 22 -j ACCEPT", ifname));
    vflProgramStartRollback(p, 0);
    testAdd(p, E, false, fmt("-t nat -D PREROUTING -i %s -j libvirt-J-%s", ifname));
    testQuery(p, E, cleanupCallback, "nat", fmt("-t nat -L libvirt-J-%s", ifname));
    testAdd(p, E, false, fmt("-t nat -F libvirt-J-%s", ifname));
    testAdd(p, E, false, fmt("-t nat -X libvirt-J-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -F FJ-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -X FJ-%s", ifname));

    vflProgramStartTransaction(p, VFL_TRANSACTION_IGNORE_ERRORS);
    testAdd(p, E, false, fmt("-t nat -D PREROUTING -i %s -j libvirt-I-%s", ifname));
    testQuery(p, E, cleanupCallback, "nat", fmt("-t nat -L libvirt-I-%s", ifname));
    testAdd(p, E, false, fmt("-t nat -F libvirt-I-%s", ifname));
    testAdd(p, E, false, fmt("-t nat -X libvirt-I-%s", ifname));
    testQuery(p, E, renameCallback, NULL, fmt("-t nat -L libvirt-J-%s", ifname));
    testAdd(p, E, false, fmt("-t nat -E libvirt-J-%s libvirt-I-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -F FI-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -X FI-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -E FJ-%s FI-%s", ifname));
    return p;
}

/* nwfilter's ebiptablesAllTeardown (a VM stop) */
static vflProgram *
nwfilterStop(const char *ifname)
{
    vflProgram *p = vflProgramNew(ifname);

    vflProgramStartTransaction(p, VFL_TRANSACTION_IGNORE_ERRORS);
    testAdd(p, E, false, fmt("-t nat -D PREROUTING -i %s -j libvirt-I-%s", ifname));
    testQuery(p, E, cleanupCallback, "nat", fmt("-t nat -L libvirt-I-%s", ifname));
    testAdd(p, E, false, fmt("-t nat -F libvirt-I-%s", ifname));
    testAdd(p, E, false, fmt("-t nat -X libvirt-I-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -F FI-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -X FI-%s", ifname));
    return p;
}

/* Two transactions whose second fails where the simulation sees it (a
 * delete of a rule nobody added); its rollback inherits the first's. */
static vflProgram *
inheritingFailure(const char *ifname)
{
    vflProgram *p = vflProgramNew(ifname);

    vflProgramStartTransaction(p, 0);
    testAdd(p, V4, false, fmt("-t filter -N HJ-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -A HJ-%s -j ACCEPT", ifname));
    vflProgramStartRollback(p, 0);
    testAdd(p, V4, false, fmt("-t filter -F HJ-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -X HJ-%s", ifname));
    vflProgramStartTransaction(p, 0);
    testAdd(p, V4, false, fmt("-t filter -N HK-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -A INPUT -j HK-%s", ifname));
    testAdd(p, V4, false, "-t filter -D INPUT -s 10.66.0.1/32 -j DROP");
    vflProgramStartRollback(p, VFL_ROLLBACK_INHERIT_PREVIOUS);
    testAdd(p, V4, false, fmt("-t filter -D INPUT -j HK-%s", ifname));
    testAdd(p, V4, false, fmt("-t filter -X HK-%s", ifname));
    return p;
}

static EnsureQuery ensures[3] = {
    { "filter", "LIBVIRT_INP", "INPUT", 0, NULL },
    { "nat", "LIBVIRT_PRT", "POSTROUTING", 0, NULL },
    { "filter", "LIBVIRT_INP", "INPUT", 0, NULL },
};

/* the network driver: its private chains (iptablesSetupPrivateChains),
 * then a NAT network's rules, a cleanup that ignores errors first */
static vflProgram *
network(void)
{
    vflProgram *p = vflProgramNew("default");

    for (int i = 0; i < 3; i++)
        ensures[i].prog = p;
    vflProgramStartTransaction(p, 0);
    testQuery(p, V4, ensureCallback, &ensures[0], "-t filter --list-rules");
    testQuery(p, V4, ensureCallback, &ensures[1], "-t nat --list-rules");
    testQuery(p, V6, ensureCallback, &ensures[2], "-t filter --list-rules");
    vflProgramStartTransaction(p, VFL_TRANSACTION_IGNORE_ERRORS);
    testAdd(p, V4, false, "-t filter -D LIBVIRT_INP -i virbr0 -p udp --dport 53 -j ACCEPT");
    testAdd(p, V4, false, "-t nat -D LIBVIRT_PRT -s 192.168.122.0/24 ! -d 192.168.122.0/24 -j MASQUERADE");
    vflProgramStartTransaction(p, 0);
    testAdd(p, V4, false, "-t filter -A LIBVIRT_INP -i virbr0 -p udp --dport 53 -j ACCEPT");
    testAdd(p, V6, false, "-t filter -A LIBVIRT_INP -i virbr0 -p tcp --dport 53 -j ACCEPT");
    testAdd(p, V4, false, "-t nat -A LIBVIRT_PRT -s 192.168.122.0/24 ! -d 192.168.122.0/24 -j MASQUERADE");
    return p;
}

/* Applies @progs (freed after) and says in @out which failed. */
static int
apply(vflEngine *engine, TestRunner *r, vflProgram **progs, size_t n, Buf *out,
      vflStats *st)
{
    char *errors[8] = { NULL }, *batchError = NULL;
    unsigned int calls = r->calls;
    int rc;

    CHECK(n <= 8);
    rc = vflEngineApply(engine, progs, n, errors, &batchError, st);
    /* the caller's runner started every process the engine counts */
    CHECK(st->processes == r->calls - calls);
    for (size_t i = 0; i < n; i++) {
        bufPrintf(out, "%s ", errors[i] ? "failed" : "ok");
        if (errors[i])
            fprintf(stderr, "  (program %zu: %s)\n", i, errors[i]);
        free(errors[i]);
        vflProgramFree(progs[i]);
    }
    bufAdd(out, "\n");
    CHECK(!batchError);
    return rc;
}

/* ---- the cases; @backend the engine's, @out what the parent compares ---- */

static void
setupOldVnet0(void)
{
    run("ebtables --concurrent -t nat -N libvirt-I-vnet0");
    run("ebtables --concurrent -t nat -N I-vnet0-ipv4");
    run("ebtables --concurrent -t nat -A libvirt-I-vnet0 -p IPv4 -j I-vnet0-ipv4");
    run("ebtables --concurrent -t nat -A I-vnet0-ipv4 -j ACCEPT");
    run("ebtables --concurrent -t nat -A PREROUTING -i vnet0 -j libvirt-I-vnet0");
    run("iptables -w -A INPUT -s 10.9.9.9/32 -j ACCEPT");
}

static void
casePrograms(vflBackend backend, Buf *out)
{
    TestRunner r = { 0 };
    vflEngine *engine = vflEngineNew(backend, 0, testRun, &r, NULL);
    vflProgram *progs[4];
    vflStats st;
    char *state;

    setupOldVnet0();
    progs[0] = nwfilterStart("vnet0", false);
    progs[1] = nwfilterStart("vnet1", true);
    progs[2] = inheritingFailure("vnet2");
    progs[3] = network();
    CHECK(apply(engine, &r, progs, 4, out, &st) == -1);
    CHECK(ensures[0].calls >= 1 && ensures[1].calls >= 1 && ensures[2].calls >= 1);
    state = kernelState();
    bufAdd(out, state);
    free(state);
    vflEngineFree(engine);
    bufFree(&r.log);
}

/* PATH: wrappers of the tools that log each start, then run the real one */
static void
wrapTools(const char *dir, const char *log)
{
    const char *tools[] = { "ebtables", "ebtables-save", "ebtables-restore",
                            "iptables", "iptables-save", "iptables-restore",
                            "ip6tables", "ip6tables-save", "ip6tables-restore", NULL };
    const char *path = getenv("PATH");
    char newPath[8192];

    for (size_t i = 0; tools[i]; i++) {
        char wrapper[PATH_MAX], real[PATH_MAX] = "";
        char *dirs = strdup(path), *save = NULL;
        FILE *f;

        for (char *d = strtok_r(dirs, ":", &save); d && !*real; d = strtok_r(NULL, ":", &save)) {
            snprintf(real, sizeof(real), "%s/%s", d, tools[i]);
            if (access(real, X_OK) != 0)
                *real = '\0';
        }
        free(dirs);
        CHECK(*real);
        snprintf(wrapper, sizeof(wrapper), "%s/%s", dir, tools[i]);
        CHECK((f = fopen(wrapper, "w")));
        fprintf(f, "#!/bin/sh\necho \"$0 $*\" >> '%s'\nexec '%s' \"$@\"\n", log, real);
        fclose(f);
        CHECK(chmod(wrapper, 0755) == 0);
    }
    snprintf(newPath, sizeof(newPath), "%s:%s", dir, path);
    setenv("PATH", newPath, 1);
}

static unsigned int
lines(const char *path)
{
    char *text = testReadFile(path);
    unsigned int n = 0;

    for (const char *p = text; p && *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

static void
caseRunner(vflBackend backend, Buf *out)
{
    char dir[] = "/tmp/vfl-test-XXXXXX", log[PATH_MAX];
    TestRunner r = { 0 };
    vflEngine *engine;
    vflProgram *progs[2];
    vflStats st;
    char *why = NULL;

    CHECK(mkdtemp(dir));
    snprintf(log, sizeof(log), "%s/started", dir);
    wrapTools(dir, log);
    engine = vflEngineNew(backend, VFL_ENGINE_KEEP_TABLES, testRun, &r, NULL);
    setupOldVnet0();
    CHECK(lines(log) == 6);
    progs[0] = nwfilterStart("vnet0", false);
    progs[1] = network();
    apply(engine, &r, progs, 2, out, &st);
    CHECK(vflProbeRestoreTools(testRun, &r, &why) == 1);
    free(why);
    /* the setup's 6, then only the runner's */
    if (lines(log) != 6 + r.calls)
        fprintf(stderr, "%u processes started, %u through the runner\n", lines(log) - 6, r.calls);
    CHECK(lines(log) == 6 + r.calls);
    CHECK(st.processes + 3 == r.calls);
    bufPrintf(out, "runner: all %s\n", r.calls > 3 ? "counted" : "none?");
    vflEngineFree(engine);
    bufFree(&r.log);
    {
        char cmdline[PATH_MAX + 16];
        snprintf(cmdline, sizeof(cmdline), "rm -rf '%s'", dir);
        CHECK(system(cmdline) == 0);
    }
}

static unsigned int
count(const char *text, const char *what)
{
    unsigned int n = 0;

    for (const char *p = text; p && (p = strstr(p, what)); p++)
        n++;
    return n;
}

/* ip6tables-restore cannot be run (the exec backend runs no restore: it
 * applies the programs once, for the comparison) */
static void
caseBatch(vflBackend backend, Buf *out)
{
    TestRunner r = { .refuse = "ip6tables-restore" };
    vflEngine *engine = vflEngineNew(backend, 0, testRun, &r, NULL);
    vflProgram *progs[2];
    char *errors[2] = { NULL }, *batchError = NULL;
    char *before, *after;
    vflStats st;

    setupOldVnet0();
    if (backend == VFL_BACKEND_EXEC)
        goto again;
    before = kernelState();
    progs[0] = nwfilterStart("vnet0", false);
    progs[1] = network();
    CHECK(vflEngineApply(engine, progs, 2, errors, &batchError, &st) == -1);
    CHECK(batchError && strstr(batchError, "ip6tables-restore"));
    fprintf(stderr, "  (batch error: %s)\n", batchError);
    /* the others were written, then put back */
    CHECK(count(r.log.s, "# ebtables-restore") >= 2);
    CHECK(count(r.log.s, "# iptables-restore") >= 2);
    after = kernelState();
    if (toolsAreNft()) {
        CHECK_STR(after, before);   /* the nat table created is gone too */
    } else {
        CHECK(!strstr(after, "libvirt-J-vnet0") && !strstr(after, "LIBVIRT_"));
    }
    free(after);
    free(before);
    free(errors[0]);
    free(errors[1]);
    free(batchError);

    /* the engine is not left broken: as exec, once the tool runs */
 again:
    r.refuse = NULL;
    progs[0] = nwfilterStart("vnet0", false);
    progs[1] = network();
    CHECK(apply(engine, &r, progs, 2, out, &st) == 0);
    after = kernelState();
    bufAdd(out, after);
    free(after);
    vflEngineFree(engine);
    bufFree(&r.log);
}

static void
caseKept(vflBackend backend, Buf *out)
{
    TestRunner r = { 0 };
    vflEngine *engine = vflEngineNew(backend, VFL_ENGINE_KEEP_TABLES, testRun, &r, NULL);
    bool kept = backend == VFL_BACKEND_RESTORE && toolsAreNft();
    vflProgram *progs[2];
    unsigned int saves;
    vflStats st;
    char *state;

    /* libvirtd's start: the networks and the bindings */
    progs[0] = network();
    progs[1] = nwfilterStart("vnet0", false);
    CHECK(apply(engine, &r, progs, 2, out, &st) == 0);
    if (backend == VFL_BACKEND_RESTORE)
        CHECK(r.saves == 3);

    /* a VM start: no *-save */
    saves = r.saves;
    progs[0] = nwfilterStart("vnet1", false);
    CHECK(apply(engine, &r, progs, 1, out, &st) == 0);
    if (kept)   /* ebtables nat and iptables filter */
        CHECK(r.saves == saves && st.processes == 2);

    /* the same again: nothing changes, nothing runs */
    progs[0] = nwfilterStart("vnet1", false);
    CHECK(apply(engine, &r, progs, 1, out, &st) == 0);
    if (kept)
        CHECK(r.saves == saves && st.processes == 0);

    /* somebody else commits: read again */
    run("iptables -w -A INPUT -s 10.77.0.1/32 -j ACCEPT");
    run("ebtables --concurrent -t nat -A PREROUTING -i vnet9 -j ACCEPT");
    progs[0] = nwfilterStart("vnet2", false);
    CHECK(apply(engine, &r, progs, 1, out, &st) == 0);
    if (kept)
        CHECK(r.saves > saves);

    /* and keep them again: a VM stop */
    saves = r.saves;
    progs[0] = nwfilterStop("vnet0");
    CHECK(apply(engine, &r, progs, 1, out, &st) == 0);
    if (kept)
        CHECK(r.saves == saves);
    state = kernelState();
    CHECK(strstr(state, "10.77.0.1") && strstr(state, "vnet9"));
    CHECK(strstr(state, "libvirt-I-vnet1") && strstr(state, "libvirt-I-vnet2"));
    CHECK(!strstr(state, "vnet0") && !strstr(state, "J-vnet"));
    bufAdd(out, state);
    free(state);
    vflEngineFree(engine);
    bufFree(&r.log);
}

/* ---- each case in a fresh network namespace ---- */

static char *
inPrivateNetns(void (*fn)(vflBackend, Buf *), vflBackend backend)
{
    int fds[2];
    pid_t pid;
    int status;
    Buf got = { 0 };
    char chunk[4096];
    ssize_t n;

    CHECK(pipe(fds) == 0);
    fflush(NULL);
    if ((pid = fork()) == 0) {
        struct stat before, after;
        Buf out = { 0 };

        close(fds[0]);
        CHECK(stat("/proc/self/ns/net", &before) == 0);
        CHECK(unshare(CLONE_NEWNET) == 0);
        CHECK(stat("/proc/self/ns/net", &after) == 0);
        /* never the firewall of the namespace the test was started in */
        CHECK(after.st_ino != before.st_ino);
        bufAdd(&out, "");
        fn(backend, &out);
        CHECK(write(fds[1], out.s, out.len) == (ssize_t)out.len);
        bufFree(&out);
        _exit(0);
    }
    CHECK(pid > 0);
    close(fds[1]);
    bufAdd(&got, "");
    while ((n = read(fds[0], chunk, sizeof(chunk) - 1)) > 0) {
        chunk[n] = '\0';
        bufAdd(&got, chunk);
    }
    close(fds[0]);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return got.s;
}

static void
execEqualsRestore(const char *name, void (*fn)(vflBackend, Buf *))
{
    char *exec = inPrivateNetns(fn, VFL_BACKEND_EXEC);
    char *restore = inPrivateNetns(fn, VFL_BACKEND_RESTORE);

    CHECK_STR(restore, exec);
    printf("ok - %s: restore = exec\n", name);
    free(exec);
    free(restore);
}

int
main(void)
{
    char *state;

    if (geteuid() != 0 || unshare(0) != 0) {
        printf("SKIP: needs root (network namespaces)\n");
        return 77;
    }
    execEqualsRestore("programs", casePrograms);
    state = inPrivateNetns(casePrograms, VFL_BACKEND_RESTORE);
    /* what libvirt would leave: vnet0 renamed, vnet1 and vnet2 rolled
     * back (vnet1's sub-chain by its rollback's query), the network */
    CHECK(strncmp(state, "ok failed failed ok \n", 21) == 0);
    CHECK(strstr(state, ":libvirt-I-vnet0 ACCEPT") && strstr(state, ":I-vnet0-ipv4 ACCEPT"));
    CHECK(strstr(state, "-A PREROUTING -i vnet0 -j libvirt-I-vnet0"));
    CHECK(strstr(state, "-A I-vnet0-ipv4 -p IPv4 --ip-src 10.0.0.1 -j RETURN"));
    CHECK(!strstr(state, "J-vnet") && !strstr(state, "vnet1") && !strstr(state, "vnet2"));
    CHECK(strstr(state, "-A INPUT -j LIBVIRT_INP") && strstr(state, "MASQUERADE"));
    CHECK(strstr(state, "-A INPUT -s 10.9.9.9/32 -j ACCEPT"));
    free(state);

    execEqualsRestore("runner", caseRunner);
    execEqualsRestore("batch", caseBatch);
    execEqualsRestore("kept", caseKept);
    return 0;
}
