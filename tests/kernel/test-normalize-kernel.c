/*
 * test-normalize-kernel.c: check vfNormalizeRule() against the real kernel
 *
 * For every line "<layer> <table> <spec...>" of the vocabulary file
 * (layer: ethernet|eb, ipv4, ipv6; the spec is split like a shell line, so
 * "a b" is one token) the rule is appended with the real
 * iptables -w / ip6tables -w / ebtables --concurrent to a scratch chain "c",
 * read back with *-save, and the saved tokens after "-A c " (read as
 * savefmt.h says) must equal vfNormalizeRule(layer, spec), and those
 * tokens printed by vfSaveFormatRule must be the saved text byte for
 * byte (what verify's kernel hashes rest on). A spec the normalizer calls
 * inexact (a host name: only the tool resolves it) must be one the kernel
 * prints otherwise. Then the rule is deleted again with -D and the
 * *original* spec, which checks that -D by spec finds it.
 *
 * Needs root; runs everything inside a private network namespace: it
 * always re-execs itself under "unshare -n" and the child refuses to run
 * unless its netns differs from both PID 1's and the one it started in.
 * Exit: 0 all pass, 1 failures, 77 skipped (not root / no unshare).
 *
 * usage: test-normalize-kernel [-v] [VOCABULARY]
 */
#include "restore/normalize.h"
#include "restore/savefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef VOCABULARY_PATH
# define VOCABULARY_PATH "tests/restoredata/normalize/vocabulary.txt"
#endif

#define SKIP 77
#define REEXEC_ENV "VF_NORMALIZE_KERNEL_NETNS"

static bool verbose;

static char *
netnsId(const char *pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%s/ns/net", pid);
    return g_file_read_link(path, NULL);
}

/* true if we are (or may be) in the netns of PID 1 or of our parent run */
static bool
inSharedNetns(void)
{
    g_autofree char *self = netnsId("self");
    g_autofree char *init = netnsId("1");
    const char *parent = g_getenv(REEXEC_ENV);

    if (!self)
        return true;  /* cannot tell: assume the worst */
    if (init && strcmp(self, init) == 0)
        return true;
    /* after the re-exec: must differ from the netns we were started in */
    if (!parent || strcmp(self, parent) == 0)
        return true;
    return false;
}

/* run argv; returns exit status (-1 if it could not run) */
static int
run(char **argv, char **out, char **err)
{
    int status = 0;
    g_autoptr(GError) error = NULL;

    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                      out, err, &status, &error)) {
        if (err)
            *err = g_strdup(error->message);
        return -1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int
runv(const char *first, ...)
{
    va_list ap;
    g_autoptr(GPtrArray) a = g_ptr_array_new();
    const char *s;
    g_autofree char *o = NULL;
    g_autofree char *e = NULL;

    g_ptr_array_add(a, (gpointer)first);
    va_start(ap, first);
    while ((s = va_arg(ap, const char *)))
        g_ptr_array_add(a, (gpointer)s);
    va_end(ap);
    g_ptr_array_add(a, NULL);
    return run((char **)a->pdata, &o, &e);
}

typedef struct {
    virFirewallLayer layer;
    const char *tool[3];   /* binary + lock flag */
    const char *save;
} Tool;

static const Tool tools[] = {
    {VIR_FIREWALL_LAYER_ETHERNET, {"ebtables", "--concurrent", NULL}, "ebtables-save"},
    {VIR_FIREWALL_LAYER_IPV4, {"iptables", "-w", NULL}, "iptables-save"},
    {VIR_FIREWALL_LAYER_IPV6, {"ip6tables", "-w", NULL}, "ip6tables-save"},
};

static const Tool *
toolFor(const char *layer)
{
    if (!strcmp(layer, "eb") || !strcmp(layer, "ethernet"))
        return &tools[0];
    if (!strcmp(layer, "ipv4"))
        return &tools[1];
    if (!strcmp(layer, "ipv6"))
        return &tools[2];
    return NULL;
}

static char **
toolArgv(const Tool *t, const char *table, const char *cmd, const char *chain,
         char **spec)
{
    GPtrArray *a = g_ptr_array_new();
    g_ptr_array_add(a, g_strdup(t->tool[0]));
    g_ptr_array_add(a, g_strdup(t->tool[1]));
    g_ptr_array_add(a, g_strdup("-t"));
    g_ptr_array_add(a, g_strdup(table));
    g_ptr_array_add(a, g_strdup(cmd));
    g_ptr_array_add(a, g_strdup(chain));
    for (size_t i = 0; spec && spec[i]; i++)
        g_ptr_array_add(a, g_strdup(spec[i]));
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

/* the rules of chain c in the *-save output, each as tokens after "-A c "
 * (and its text in @texts) */
static GPtrArray *
savedRules(const Tool *t, const char *table, GPtrArray *texts)
{
    char *argv[] = {(char *)t->save, (char *)"-t", (char *)table, NULL};
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    GPtrArray *rules = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);

    if (run(argv, &out, &err) != 0 || !out)
        return rules;
    for (const char *p = out, *end = out + strlen(out); p < end;) {
        const char *rule = g_str_has_prefix(p, "-A c ") ? p + strlen("-A c ") : NULL;
        const char *le = vfSaveLineEnd(t->layer, p, rule, end);
        if (rule) {
            g_ptr_array_add(rules, vfSaveSplitRule(t->layer, rule, le));
            g_ptr_array_add(texts, g_strndup(rule, le - rule));
        }
        p = le < end ? le + 1 : end;
    }
    return rules;
}

static char *
joinTokens(char **v)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; v && v[i]; i++) {
        if (i)
            g_string_append_c(s, ' ');
        if (!*v[i] || strpbrk(v[i], " \t\"'\\"))
            g_string_append_printf(s, "'%s'", v[i]);
        else
            g_string_append(s, v[i]);
    }
    return g_string_free(s, FALSE);
}

static bool haveIpset;

static void
setupChains(void)
{
    /* sets used by "-m set" lines (ipset sets are per netns) */
    haveIpset = runv("ipset", "create", "tck_test", "hash:ip", NULL) == 0;
    runv("ipset", "create", "tck_test6", "hash:ip", "family", "inet6", NULL);

    static const char *ipt[] = {"filter", "nat", "mangle", "raw"};
    for (size_t i = 0; i < G_N_ELEMENTS(ipt); i++) {
        runv("iptables", "-w", "-t", ipt[i], "-N", "c", NULL);
        runv("ip6tables", "-w", "-t", ipt[i], "-N", "c", NULL);
        runv("iptables", "-w", "-t", ipt[i], "-N", "c2", NULL);
        runv("ip6tables", "-w", "-t", ipt[i], "-N", "c2", NULL);
    }
    runv("ebtables", "--concurrent", "-t", "filter", "-N", "c", NULL);
    runv("ebtables", "--concurrent", "-t", "nat", "-N", "c", NULL);
    runv("ebtables", "--concurrent", "-t", "filter", "-N", "c2", NULL);
    runv("ebtables", "--concurrent", "-t", "nat", "-N", "c2", NULL);
}

int
main(int argc, char **argv)
{
    const char *path = VOCABULARY_PATH;
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) lines = NULL;
    int total = 0, pass = 0, rejected = 0, delfail = 0, skipped = 0;
    int argi = 1;

    if (argi < argc && !strcmp(argv[argi], "-v")) {
        verbose = true;
        argi++;
    }
    if (argi < argc)
        path = argv[argi];

    if (geteuid() != 0) {
        printf("SKIP: test-normalize-kernel needs root (it adds rules in a "
               "private network namespace)\n");
        return SKIP;
    }
    if (inSharedNetns()) {
        g_autofree char *self = netnsId("self");
        if (g_getenv(REEXEC_ENV)) {
            fprintf(stderr, "ERROR: not in a private network namespace after "
                    "unshare -n; refusing to touch the host firewall\n");
            return 1;
        }
        g_setenv(REEXEC_ENV, self ? self : "?", TRUE);
        {
            g_autoptr(GPtrArray) a = g_ptr_array_new();
            g_ptr_array_add(a, (gpointer)"unshare");
            g_ptr_array_add(a, (gpointer)"-n");
            g_ptr_array_add(a, (gpointer)"--");
            for (int i = 0; i < argc; i++)
                g_ptr_array_add(a, argv[i]);
            g_ptr_array_add(a, NULL);
            execvp("unshare", (char **)a->pdata);
        }
        printf("SKIP: cannot exec unshare -n\n");
        return SKIP;
    }

    if (!g_file_get_contents(path, &text, NULL, &error)) {
        fprintf(stderr, "ERROR: %s\n", error->message);
        return 1;
    }
    setupChains();
    lines = g_strsplit(text, "\n", -1);

    for (size_t ln = 0; lines[ln]; ln++) {
        g_auto(GStrv) words = NULL;
        g_auto(GStrv) argvAdd = NULL;
        g_auto(GStrv) argvDel = NULL;
        g_auto(GStrv) want = NULL;
        g_autoptr(GPtrArray) saved = NULL;
        g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GString) printed = g_string_new(NULL);
        gboolean exact = TRUE;
        g_autofree char *out = NULL;
        g_autofree char *err = NULL;
        g_autofree char *out2 = NULL;
        g_autofree char *err2 = NULL;
        g_autoptr(GError) perr = NULL;
        const Tool *t;
        const char *table;
        char **spec;
        int rc;
        bool ok;

        g_strstrip(lines[ln]);
        if (!*lines[ln] || lines[ln][0] == '#')
            continue;
        if (!g_shell_parse_argv(lines[ln], NULL, &words, &perr) ||
            g_strv_length(words) < 2 || !(t = toolFor(words[0]))) {
            printf("FAIL line %zu: cannot parse: %s\n", ln + 1, lines[ln]);
            total++;
            continue;
        }
        if (!haveIpset && strstr(lines[ln], "--match-set")) {
            printf("SKIP line %zu: no ipset tool to create the set: %s\n",
                   ln + 1, lines[ln]);
            skipped++;
            continue;
        }
        total++;
        table = words[1];
        spec = words + 2;

        argvAdd = toolArgv(t, table, "-A", "c", spec);
        rc = run(argvAdd, &out, &err);
        if (rc != 0) {
            printf("FAIL line %zu: kernel rejected (rc %d): %s\n    %s",
                   ln + 1, rc, lines[ln], err ? err : "\n");
            rejected++;
            continue;
        }
        saved = savedRules(t, table, texts);
        want = vfNormalizeRuleExact(t->layer, (const char *const *)spec, &exact);
        vfSaveFormatRule(printed, t->layer, (const char *const *)want);
        ok = saved->len == 1 &&
             g_strv_equal((const char *const *)want,
                          (const char *const *)g_ptr_array_index(saved, 0)) &&
             g_str_equal(printed->str, g_ptr_array_index(texts, 0));
        if (!exact && saved->len == 1 && !ok) {
            /* the tool's to say: it resolves the name */
            pass++;
            if (verbose)
                printf("ok   line %zu: %s\n    -> inexact, saved as %s\n", ln + 1,
                       lines[ln], (char *)g_ptr_array_index(texts, 0));
        } else if (!exact) {
            printf("FAIL line %zu: called inexact, saved as normalized: %s\n",
                   ln + 1, lines[ln]);
        } else if (ok) {
            pass++;
            if (verbose) {
                g_autofree char *w = joinTokens(want);
                printf("ok   line %zu: %s\n    -> %s\n", ln + 1, lines[ln], w);
            }
        } else {
            g_autofree char *w = joinTokens(want);
            g_autofree char *g = saved->len ?
                joinTokens(g_ptr_array_index(saved, 0)) : g_strdup("(no rule)");
            printf("FAIL line %zu: %s\n    saved: %s\n    ours : %s\n"
                   "    saved text: %s\n    printed   : %s\n",
                   ln + 1, lines[ln], g, w,
                   texts->len ? (char *)g_ptr_array_index(texts, 0) : "",
                   printed->str);
        }

        argvDel = toolArgv(t, table, "-D", "c", spec);
        if (run(argvDel, &out2, &err2) != 0) {
            printf("NOTE line %zu: -D with the same spec failed: %s\n    %s",
                   ln + 1, lines[ln], err2 ? err2 : "\n");
            delfail++;
        }
        runv(t->tool[0], t->tool[1], "-t", table, "-F", "c", NULL);
    }

    printf("normalize-kernel: %d/%d vocabulary lines pass "
           "(%d rejected by the kernel, %d not deletable by spec, %d skipped)\n",
           pass, total, rejected, delfail, skipped);
    return pass == total ? 0 : 1;
}
