/*
 * test-nftgen.c: the nf_tables generation id against the real tools
 *
 * First, without root: vfNftToolsAreNft() on a PATH of hand-made links
 * (alternatives-style chains ending at xtables-nft-multi, one tool at
 * xtables-legacy-multi, one missing).
 *
 * Then, in two private network namespaces A and B: the *-save tools must
 * leave A's id alone, an iptables-restore that adds a chain must change
 * it, and B's id must not move through any of it. A read must leave the
 * thread in its own namespace, also when entering the target fails.
 *
 * Needs root for the second part (exit 77 otherwise). The machine's own
 * namespace is never written to.
 */
#include "error.h"
#include "netns.h"
#include "nftgen.h"
#include "runner.h"
#include "nlcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const tools[] = {
    "iptables", "iptables-save", "iptables-restore",
    "ip6tables", "ip6tables-save", "ip6tables-restore",
    "ebtables", "ebtables-save", "ebtables-restore",
};

/* @dir/bin/TOOL -> @dir/alt/TOOL -> @dir/TARGET, like Debian's
 * /usr/sbin -> /etc/alternatives -> xtables-*-multi */
static void
linkTool(const char *dir, const char *tool, const char *target)
{
    g_autofree char *bin = g_build_filename(dir, "bin", tool, NULL);
    g_autofree char *alt = g_build_filename(dir, "alt", tool, NULL);
    g_autofree char *dest = g_build_filename(dir, target, NULL);

    g_unlink(bin);
    g_unlink(alt);
    if (symlink(alt, bin) < 0 || symlink(dest, alt) < 0)
        g_error("symlink %s: %s", bin, g_strerror(errno));
}

/* rm -r for the small tree built here (no link is followed) */
static void
removeTree(const char *path)
{
    g_autoptr(GDir) dir = NULL;
    const char *name;

    if (!g_file_test(path, G_FILE_TEST_IS_SYMLINK) &&
        (dir = g_dir_open(path, 0, NULL))) {
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            removeTree(child);
        }
    }
    if (g_remove(path) < 0)
        fprintf(stderr, "warning: cannot remove %s: %s\n", path,
                g_strerror(errno));
}

static void
testToolsAreNft(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *dir = g_dir_make_tmp("vf-nftgen-XXXXXX", &err);
    g_autofree char *oldPath = g_strdup(g_getenv("PATH"));
    g_autofree char *bin = NULL;
    g_autofree char *alt = NULL;

    if (!dir)
        g_error("%s", err->message);
    bin = g_build_filename(dir, "bin", NULL);
    alt = g_build_filename(dir, "alt", NULL);
    if (g_mkdir(bin, 0755) < 0 || g_mkdir(alt, 0755) < 0)
        g_error("mkdir: %s", g_strerror(errno));
    for (gsize i = 0; i < 2; i++) {
        const char *name = i ? "xtables-legacy-multi" : "xtables-nft-multi";
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (!g_file_set_contents(path, "", 0, &err) || g_chmod(path, 0755) < 0)
            g_error("%s: %s", path, err ? err->message : g_strerror(errno));
    }
    g_setenv("PATH", bin, TRUE);

    for (gsize i = 0; i < G_N_ELEMENTS(tools); i++)
        linkTool(dir, tools[i], "xtables-nft-multi");
    CHECK(vfNftToolsAreNft(), "all tools link to xtables-nft-multi");

    linkTool(dir, "ebtables", "xtables-legacy-multi");
    CHECK(!vfNftToolsAreNft(), "ebtables links to xtables-legacy-multi");
    linkTool(dir, "ebtables", "xtables-nft-multi");

    linkTool(dir, "ip6tables-restore", "xtables-legacy-multi");
    CHECK(!vfNftToolsAreNft(), "ip6tables-restore links to legacy");
    linkTool(dir, "ip6tables-restore", "xtables-nft-multi");
    CHECK(vfNftToolsAreNft(), "links restored");

    linkTool(dir, "iptables", "nowhere");
    CHECK(!vfNftToolsAreNft(), "iptables is a dangling link");
    {
        g_autofree char *link = g_build_filename(bin, "iptables", NULL);
        g_unlink(link);
    }
    CHECK(!vfNftToolsAreNft(), "iptables is missing");

    g_setenv("PATH", oldPath ? oldPath : "", TRUE);
    removeTree(dir);
}

static guint32
readGen(int fd, const char *what)
{
    g_autoptr(GError) err = NULL;
    ino_t home = threadNetns();
    guint32 id = 0;

    if (!vfNftGenerationRead(fd, &id, &err)) {
        fprintf(stderr, "cannot read the generation of %s: %s\n", what,
                err->message);
        exit(1);
    }
    CHECK(threadNetns() == home, "thread back in its namespace after reading %s",
          what);
    return id;
}

static void
run(vfRunner *runner, const char *const *argv, const char *input)
{
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) err = NULL;

    if (!vfRunnerRun(runner, argv, input, &res, &err)) {
        CHECK(FALSE, "%s: %s", argv[0], err->message);
        return;
    }
    CHECK(res.status == 0, "%s exited %d: %s", argv[0], res.status, res.err);
}

int
main(void)
{
    static const char *const saves[][2] = {
        { "ebtables-save", NULL },
        { "iptables-save", NULL },
        { "ip6tables-save", NULL },
    };
    const char *const restore[] = { "iptables-restore", "-w", "--noflush", NULL };
    g_autoptr(vfRunner) runner = NULL;
    g_autoptr(GError) err = NULL;
    guint32 a0, a, b0, b;
    int fdA, fdB, devnull;

    testToolsAreNft();

    if (geteuid() != 0) {
        printf("SKIP: needs root (private network namespaces)%s\n",
               failures ? "; vfNftToolsAreNft checks FAILED" : "");
        return failures ? 1 : SKIP;
    }
    if (!vfNftToolsAreNft()) {
        printf("SKIP: iptables/ip6tables/ebtables here are not all the "
               "nf_tables variants (xtables-nft-multi)\n");
        return failures ? 1 : SKIP;
    }
    if ((fdA = vfNetnsCreatePrivate(&err)) < 0 ||
        (fdB = vfNetnsCreatePrivate(&err)) < 0) {
        printf("SKIP: %s\n", err->message);
        return failures ? 1 : SKIP;
    }
    if (!vfNetnsIsPrivate(fdA) || !vfNetnsIsPrivate(fdB)) {
        fprintf(stderr, "not a private namespace: refusing to run\n");
        return 99;
    }

    /* entering something that is not a namespace must fail cleanly */
    if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
        g_autoptr(GError) bad = NULL;
        ino_t home = threadNetns();
        guint32 id = 0;

        CHECK(!vfNftGenerationRead(devnull, &id, &bad), "reading via /dev/null");
        CHECK(bad && g_error_matches(bad, VF_ERROR, VF_ERROR_FAILED),
              "error set: %s", bad ? bad->message : "(none)");
        CHECK(threadNetns() == home, "thread back home after a failed read");
        close(devnull);
    }
    (void)readGen(-1, "our own namespace");

    a0 = readGen(fdA, "namespace A");
    b0 = readGen(fdB, "namespace B");
    CHECK(readGen(fdA, "namespace A") == a0, "two reads in a row agree");

    runner = vfRunnerNewSubprocess(fdA);
    for (gsize i = 0; i < G_N_ELEMENTS(saves); i++) {
        run(runner, saves[i], NULL);
        a = readGen(fdA, "namespace A");
        CHECK(a == a0, "%s changed the generation %u -> %u", saves[i][0], a0, a);
    }

    run(runner, restore, "*filter\n:vfgen - [0:0]\nCOMMIT\n");
    a = readGen(fdA, "namespace A");
    CHECK(a != a0, "iptables-restore adding a chain left the generation at %u", a);
    printf("namespace A: %u -> %u after iptables-restore\n", a0, a);

    /* a re-save of the now non-empty tables is still read-only */
    a0 = a;
    for (gsize i = 0; i < G_N_ELEMENTS(saves); i++)
        run(runner, saves[i], NULL);
    a = readGen(fdA, "namespace A");
    CHECK(a == a0, "the *-save tools changed a non-empty ruleset's generation "
          "%u -> %u", a0, a);

    b = readGen(fdB, "namespace B");
    CHECK(b == b0, "namespace B moved %u -> %u with only A written", b0, b);

    close(fdA);
    close(fdB);
    if (failures) {
        fprintf(stderr, "%u check(s) failed\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
