/*
 * test-normalize.c: vfNormalizeRule() table tests (pure, no root); the
 * tables are in normalize-cases-*.c (normalize-cases.h)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "normalize-cases.h"

/* The cases of @table that vfNormalizeRule() gets wrong, each printed. */
static int
checkCases(const NormCase *cases, const char *table)
{
    int failures = 0;

    for (size_t i = 0; cases[i].spec; i++) {
        g_auto(GStrv) spec = NULL;
        g_auto(GStrv) want = vfNormalizeSplitSaveLine(cases[i].saved);
        g_auto(GStrv) got = NULL;

        if (*cases[i].spec)
            assert_true(g_shell_parse_argv(cases[i].spec, NULL, &spec, NULL));
        else
            spec = g_new0(char *, 1);
        got = vfNormalizeRule(cases[i].layer, (const char *const *)spec);
        if (!g_strv_equal((const char *const *)got, (const char *const *)want)) {
            g_autofree char *g = g_strjoinv("|", got);
            g_autofree char *w = g_strjoinv("|", want);
            print_error("%s case %zu: %s\n  want: %s\n  got : %s\n",
                        table, i, cases[i].spec, w, g);
            failures++;
        }
    }
    return failures;
}

static void
test_cases(void **state)
{
    int failures = checkCases(normCasesIptables, "iptables");

    failures += checkCases(normCasesEbtables, "ebtables");
    assert_int_equal(failures, 0);
}

static void
test_null_spec(void **state)
{
    g_auto(GStrv) a = vfNormalizeRule(V4, NULL);
    g_auto(GStrv) b = vfNormalizeRule(EB, NULL);
    assert_non_null(a);
    assert_null(a[0]);
    assert_non_null(b);
    assert_null(b[0]);
}

static void
test_split_save_line(void **state)
{
    g_auto(GStrv) v = vfNormalizeSplitSaveLine(
        "-m comment --comment \"it\\'s \\\"q\\\" \\\\ x\" -j ACCEPT");
    g_auto(GStrv) e = vfNormalizeSplitSaveLine("--comment \"\" -j redirect ");
    g_auto(GStrv) n = vfNormalizeSplitSaveLine(NULL);

    assert_int_equal(g_strv_length(v), 6);
    assert_string_equal(v[3], "it's \"q\" \\ x");
    assert_int_equal(g_strv_length(e), 4);
    assert_string_equal(e[1], "");
    assert_string_equal(e[3], "redirect");
    assert_null(n[0]);
}

static void
test_comment_truncated(void **state)
{
    g_autofree char *longc = g_strnfill(300, 'a');
    const char *spec[] = {"-m", "comment", "--comment", longc, "-j", "ACCEPT", NULL};
    g_auto(GStrv) got = vfNormalizeRule(V4, spec);
    assert_int_equal(strlen(got[3]), 255);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_null_spec),
        cmocka_unit_test(test_split_save_line),
        cmocka_unit_test(test_comment_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
