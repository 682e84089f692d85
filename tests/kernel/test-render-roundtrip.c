/*
 * test-render-roundtrip.c: the renderer's quoting against the real tool
 *
 * A few hundred words (hand-picked and generated: quotes, backslashes, '#',
 * blanks, control characters, multi-byte UTF-8, tool keywords, long
 * words) each become the comment of one rule
 *
 *     -A c -m comment --comment WORD -j ACCEPT
 *
 * The lines are rendered with vfRenderScript() (vfSyntaxAppendWord per
 * word) and applied with "iptables-restore -w 5 --noflush" inside a private
 * network namespace; the words with a line break (no restore input can
 * carry one) are added with "iptables -w -A", as exec does. The comments
 * the kernel then holds (iptables-save, read with vfSnapshotParse) must be
 * the words, truncated to the 255 bytes xt_comment keeps, and the tables
 * read must print back as iptables-save printed them, byte for byte
 * (savefmt.h: what verify's kernel hashes rest on). Every word that
 * vfRuleCheckRepresentable() accepts must be accepted by the tool.
 *
 * Then names (roundtrip-names.c): chain, interface and prefix words with
 * quotes, backslashes, blanks, line breaks, made by exec in one namespace
 * and by restore input in another: the same *-save, read back exactly.
 *
 * Needs root (exit 77 otherwise). The machine's own namespace is never
 * touched: every process runs in a namespace created here.
 *
 * usage: test-render-roundtrip [-v] [SEED]
 */
#include "firewall-priv.h"
#include "netns.h"
#include "runner.h"
#include "restore/normalize.h"
#include "restore/render.h"
#include "restore/simulate.h"
#include "restore/syntax.h"
#include "restore/savefmt.h"
#include "restore/snapshot.h"
#include "roundtrip-names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SKIP 77
#define COMMENT_MAX 255     /* XT_MAX_COMMENT_LEN - 1 */
#define CHUNK 64            /* rules per restore input */

static gboolean verbose;

static const char *const pieces[] = {
    " ", "  ", "\t", "\"", "\\", "\\\\", "'", "#", "# ", "*", "-", "--",
    ":", ";", "$", "`", "!", "|", "&", "(", ")", "{", "}", "[", "]",
    "\\\"", "\"\\", "\\n", "\v", "\f", "\x01", "\x1b", "\x7f",
    "COMMIT", "*filter", "-A", "-j", "DROP", "--comment", ":c - [0:0]",
    "\xc3\xa9", "\xe2\x98\x83", "\xf0\x9d\x84\x9e", "\xc2\xa0", "\xe2\x80\x8b",
    "a", "b", "z", "A", "Z", "0", "9", "_", ".", ",", "/", "=", "%", "%s",
};

static const char *const samples[] = {
    "", "a", "plain_word-09", "two words", "\"", "\\", "'", "#", "#comment",
    "a\"b", "a\\b", "a\\\"b", "\"quoted\"", "'single'", "it's", "\\\\\\",
    "trailing\\", "\\\"", "\" \"", " leading", "trailing ", "\tTAB\t",
    "COMMIT", "*filter", "-A c -j DROP", "\" -j DROP \"", "# COMMIT",
    "h\xc3\xa9llo w\xc3\xb6rld", "\xe2\x98\x83 snow", "\xf0\x9d\x84\x9e",
    "\xe6\xbc\xa2\xe5\xad\x97", "nbsp\xc2\xa0here", "ctl\x01\x02\x1f",
    "del\x7f", "vt\vff\f", "--comment", "-j", "%s%n", "$HOME", "`id`",
    "line\nbreak", "cr\rhere",  /* refused: restore input cannot carry them */
};

static char *
escaped(const char *s)
{
    return g_strescape(s, NULL);
}

static void
addLongWords(GPtrArray *words)
{
    static const gsize lens[] = { 254, 255, 256, 300, 1023, 1024 };

    for (gsize i = 0; i < G_N_ELEMENTS(lens); i++) {
        GString *w = g_string_new(NULL);
        while (w->len < lens[i])
            g_string_append_c(w, 'a' + (w->len % 26));
        g_ptr_array_add(words, g_string_free(w, FALSE));
    }
    /* quotes and backslashes around the truncation point */
    for (gsize off = 252; off <= 256; off++) {
        GString *w = g_string_new(NULL);
        while (w->len < off)
            g_string_append_c(w, 'q');
        g_string_append(w, "\"\\' x");
        g_ptr_array_add(words, g_string_free(w, FALSE));
    }
    /* a multi-byte character cut by the truncation */
    for (gsize off = 252; off <= 255; off++) {
        GString *w = g_string_new(NULL);
        while (w->len < off)
            g_string_append_c(w, 'u');
        g_string_append(w, "\xf0\x9d\x84\x9e\xe2\x98\x83 end");
        g_ptr_array_add(words, g_string_free(w, FALSE));
    }
}

static void
addRandomWords(GPtrArray *words, guint32 seed, guint n)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed);

    for (guint i = 0; i < n; i++) {
        GString *w = g_string_new(NULL);
        gint32 count = g_rand_int_range(rand, 1, i % 10 == 0 ? 120 : 12);

        for (gint32 k = 0; k < count; k++)
            g_string_append(w, pieces[g_rand_int_range(rand, 0,
                                                       G_N_ELEMENTS(pieces))]);
        g_ptr_array_add(words, g_string_free(w, FALSE));
    }
}

/* The comment as xt_comment stores it. */
static char *
expectedComment(const char *word)
{
    return g_strndup(word, MIN(strlen(word), COMMENT_MAX));
}

static GStrv
ruleArgv(const char *word)
{
    const char *argv[] = { "-A", "c", "-m", "comment", "--comment", word,
                           "-j", "ACCEPT", NULL };
    return g_strdupv((char **)argv);
}

/* Applies @lines (rule argvs) as one restore input; returns the status. */
static int
applyLines(vfRunner *runner, GPtrArray *argvs, guint from, guint to,
           char **err)
{
    const char *const restore[] = { "iptables-restore", "-w", "5",
                                    "--noflush", NULL };
    g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) map = NULL;
    g_autofree char *body = NULL;
    g_autoptr(GString) script = g_string_new(NULL);
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) error = NULL;
    vfPlanScript plan = { 0 };

    for (guint i = from; i < to; i++) {
        vfLogEntry *e = g_new0(vfLogEntry, 1);
        e->layer = VIR_FIREWALL_LAYER_IPV4;
        e->words = g_ptr_array_index(argvs, i);
        g_ptr_array_add(entries, e);
    }
    plan.layer = VIR_FIREWALL_LAYER_IPV4;
    plan.table = (char *)"filter";
    plan.entries = entries;
    body = vfRenderScript(&plan, &map);
    /* chain c exists already: declaring it again (":c - [0:0]") would
     * flush it, even with --noflush */
    g_string_append(script, body);

    if (!vfRunnerRun(runner, restore, script->str, &res, &error)) {
        *err = g_strdup(error->message);
        return -1;
    }
    if (res.status != 0)
        *err = g_strdup(res.err);
    return res.status;
}

/* Adds the rule of @word with "iptables -w -A" (exec's way: a line break
 * too); the exit status. */
static int
execRule(vfRunner *runner, const char *word, char **err)
{
    g_auto(GStrv) rargv = ruleArgv(word);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) error = NULL;

    g_ptr_array_add(argv, (gpointer)"iptables");
    g_ptr_array_add(argv, (gpointer)"-w");
    for (gsize i = 0; rargv[i]; i++)
        g_ptr_array_add(argv, rargv[i]);
    g_ptr_array_add(argv, NULL);
    if (!vfRunnerRun(runner, (const char *const *)argv->pdata, NULL, &res, &error)) {
        *err = g_strdup(error->message);
        return -1;
    }
    if (res.status != 0)
        *err = g_strdup(res.err);
    return res.status;
}

/* iptables-save without its '#' lines, as vfTableSetFormat prints. */
static char *
withoutComments(const char *save)
{
    GString *out = g_string_new(NULL);
    const char *p = save;

    while (*p) {
        const char *nl = strchr(p, '\n');
        gsize n = nl ? (gsize)(nl - p + 1) : strlen(p);
        if (*p != '#')
            g_string_append_len(out, p, n);
        p += n;
    }
    return g_string_free(out, FALSE);
}

/* The comments of chain c, in rule order, as iptables-save shows them and
 * the snapshot reads them; the tables read must print as it did. */
static GPtrArray *
savedComments(vfRunner *runner, GString *failures)
{
    const char *const save[] = { "iptables-save", "-t", "filter", NULL };
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(vfTableSet) set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    g_autofree char *want = NULL, *printed = NULL;
    GPtrArray *comments = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *rules;
    vfTable *t;
    vfChain *c;

    if (!vfRunnerRun(runner, save, NULL, &res, &error) || res.status != 0) {
        g_string_append_printf(failures, "iptables-save failed: %s\n",
                               error ? error->message : res.err);
        return comments;
    }
    if (!vfSnapshotParse(set, res.out, &error) || set->inexact ||
        !(t = vfTableSetGet(set, "filter")) || !(c = vfTableGetChain(t, "c"))) {
        g_string_append_printf(failures, "iptables-save not read exactly\n");
        return comments;
    }
    want = withoutComments(res.out);
    printed = vfTableSetFormat(set);
    if (!g_str_equal(want, printed)) {
        g_autofree char *w = escaped(want);
        g_autofree char *g = escaped(printed);
        g_string_append_printf(failures, "the tables print otherwise than "
                               "iptables-save:\n%s\n---\n%s\n", w, g);
    }
    rules = vfChainRules(t, c);
    for (guint i = 0; i < rules->len; i++) {
        const char *const *tokens = g_ptr_array_index(rules, i);
        g_autoptr(GString) line = g_string_new(NULL);

        vfSaveFormatRule(line, VIR_FIREWALL_LAYER_IPV4, tokens);
        if (g_strv_length((char **)tokens) != 6 || !g_str_equal(tokens[2], "--comment") ||
            !g_str_equal(tokens[4], "-j") || !g_str_equal(tokens[5], "ACCEPT")) {
            g_autofree char *shown = escaped(line->str);
            g_string_append_printf(failures, "unexpected saved line: %s\n",
                                   shown);
            g_ptr_array_add(comments, g_strdup("<unparsable>"));
            continue;
        }
        g_ptr_array_add(comments, g_strdup(tokens[3]));
    }
    return comments;
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) argvs = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    g_autoptr(GPtrArray) applied = g_ptr_array_new();   /* words, borrowed */
    g_autoptr(GPtrArray) broken = g_ptr_array_new();    /* with line breaks */
    g_autoptr(GPtrArray) comments = NULL;
    g_autoptr(GString) failures = g_string_new(NULL);
    g_autoptr(vfRunner) runner = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *iptables = g_find_program_in_path("iptables-restore");
    guint32 seed = 20240611;
    guint refused = 0;
    int fd;

    for (int i = 1; i < argc; i++) {
        if (g_str_equal(argv[i], "-v"))
            verbose = TRUE;
        else
            seed = (guint32)strtoul(argv[i], NULL, 0);
    }
    if (geteuid() != 0) {
        printf("SKIP: needs root (private network namespaces)\n");
        return SKIP;
    }
    if (!iptables) {
        printf("SKIP: iptables-restore not found\n");
        return SKIP;
    }
    if ((fd = vfNetnsCreatePrivate(&err)) < 0) {
        printf("SKIP: %s\n", err->message);
        return SKIP;
    }
    if (!vfNetnsIsPrivate(fd)) {
        fprintf(stderr, "not a private namespace: refusing to run\n");
        return 99;
    }
    runner = vfRunnerNewSubprocess(fd);
    {
        const char *const restore[] = { "iptables-restore", "-w", "5",
                                        "--noflush", NULL };
        g_auto(vfRunResult) res = { 0 };

        if (!vfRunnerRun(runner, restore, "*filter\n:c - [0:0]\nCOMMIT\n",
                         &res, &err) || res.status != 0) {
            fprintf(stderr, "cannot create chain c: %s\n",
                    err ? err->message : res.err);
            return 1;
        }
    }

    for (gsize i = 0; i < G_N_ELEMENTS(samples); i++)
        g_ptr_array_add(words, g_strdup(samples[i]));
    for (gsize i = 0; i < G_N_ELEMENTS(pieces); i++)
        g_ptr_array_add(words, g_strdup(pieces[i]));
    addLongWords(words);
    addRandomWords(words, seed, 300);

    /* keep what the renderer accepts; a line break or an over-long word
     * must be refused, anything else accepted */
    for (guint i = 0; i < words->len; i++) {
        const char *word = g_ptr_array_index(words, i);
        g_autoptr(virFirewall) fw = virFirewallNew("roundtrip");
        g_auto(GStrv) rargv = ruleArgv(word);
        g_autoptr(GError) why = NULL;
        virFirewallRule *rule;

        virFirewallStartTransaction(fw, 0);
        rule = virFirewallAddRuleFullV(fw, VIR_FIREWALL_LAYER_IPV4, false,
                                       NULL, NULL, (const char *const *)rargv);
        if (!vfRuleCheckRepresentable(rule, &why)) {
            refused++;
            if (strlen(word) <= VF_RESTORE_MAX_TOKEN && !strpbrk(word, "\r\n")) {
                g_autofree char *shown = escaped(word);
                g_string_append_printf(failures, "refused '%s': %s\n", shown,
                                       why->message);
            }
            if (strpbrk(word, "\r\n") && strlen(word) <= VF_RESTORE_MAX_TOKEN)
                g_ptr_array_add(broken, (char *)word);
            continue;
        }
        g_ptr_array_add(argvs, g_steal_pointer(&rargv));
        g_ptr_array_add(applied, (char *)word);
    }

    /* apply in chunks; a refused chunk is applied line by line to name
     * the word the tool would not take */
    {
        g_autoptr(GPtrArray) kept = g_ptr_array_new();

        for (guint from = 0; from < argvs->len; from += CHUNK) {
            guint to = MIN(from + CHUNK, argvs->len);
            g_autofree char *msg = NULL;

            if (applyLines(runner, argvs, from, to, &msg) == 0) {
                for (guint i = from; i < to; i++)
                    g_ptr_array_add(kept, g_ptr_array_index(applied, i));
                continue;
            }
            for (guint i = from; i < to; i++) {
                g_autofree char *msg1 = NULL;
                if (applyLines(runner, argvs, i, i + 1, &msg1) == 0) {
                    g_ptr_array_add(kept, g_ptr_array_index(applied, i));
                } else {
                    g_autofree char *shown = escaped(g_ptr_array_index(applied, i));
                    g_string_append_printf(failures,
                                           "iptables-restore refused '%s': %s",
                                           shown, msg1 ? msg1 : "?\n");
                }
            }
        }
        g_ptr_array_set_size(applied, 0);
        for (guint i = 0; i < kept->len; i++)
            g_ptr_array_add(applied, g_ptr_array_index(kept, i));
    }
    /* a foreign program's comments may hold line breaks: exec's way */
    for (guint i = 0; i < broken->len; i++) {
        g_autofree char *msg = NULL;
        if (execRule(runner, g_ptr_array_index(broken, i), &msg) == 0) {
            g_ptr_array_add(applied, g_ptr_array_index(broken, i));
        } else {
            g_autofree char *shown = escaped(g_ptr_array_index(broken, i));
            g_string_append_printf(failures, "iptables refused '%s': %s", shown,
                                   msg ? msg : "?\n");
        }
    }

    comments = savedComments(runner, failures);
    if (comments->len != applied->len)
        g_string_append_printf(failures, "%u rules applied, %u saved\n",
                               applied->len, comments->len);
    for (guint i = 0; i < MIN(comments->len, applied->len); i++) {
        const char *word = g_ptr_array_index(applied, i);
        g_autofree char *want = expectedComment(word);
        const char *got = g_ptr_array_index(comments, i);

        if (!g_str_equal(want, got)) {
            g_autofree char *w = escaped(want);
            g_autofree char *g = escaped(got);
            g_string_append_printf(failures, "rule %u: comment '%s' came back "
                                   "as '%s'\n", i + 1, w, g);
        } else if (verbose) {
            g_autofree char *w = escaped(want);
            printf("ok '%s'\n", w);
        }
    }
    close(fd);

    printf("%u words: %u applied and read back (%u with line breaks, by "
           "exec), %u refused as not representable (seed %u)\n", words->len,
           applied->len, broken->len, refused, seed);
    vfRoundtripNames(failures, verbose);
    if (failures->len) {
        fprintf(stderr, "%s", failures->str);
        return 1;
    }
    return 0;
}
