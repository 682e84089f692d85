/*
 * fuzz-render.c: the restore renderer's quoting is lossless.
 *
 * The input is an argv: words separated by NUL bytes. For every argv that
 * vfRuleCheckRepresentable() accepts,
 *   - each word rendered with vfSyntaxAppendWord() and the line split again
 *     with vfSyntaxSplit() gives back the same argv, and
 *   - vfRenderScript() of a script holding that one line renders exactly
 *     three lines (table, the rule, COMMIT): no word can start a line, and
 *     the rule's line splits back into the argv.
 * Any other input must at least be split without trouble.
 * A mismatch aborts.
 */
#include "fuzz-common.h"
#include "firewall-priv.h"
#include "restore/render.h"
#include "restore/simulate.h"
#include "restore/syntax.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
fail(const char *what, const char *line, const char *const *argv,
     const char *const *back)
{
    g_autofree char *shown = g_strescape(line, NULL);

    fprintf(stderr, "render round trip broken (%s)\nline: %s\n", what, shown);
    for (gsize i = 0; argv[i]; i++) {
        g_autofree char *w = g_strescape(argv[i], NULL);
        fprintf(stderr, "  in[%zu]  = \"%s\"\n", i, w);
    }
    for (gsize i = 0; back && back[i]; i++) {
        g_autofree char *w = g_strescape(back[i], NULL);
        fprintf(stderr, "  out[%zu] = \"%s\"\n", i, w);
    }
    abort();
}

static void
checkSame(const char *what, const char *line, const char *const *argv)
{
    g_auto(GStrv) back = vfSyntaxSplit(line);

    if (!g_strv_equal((const char *const *)back, argv))
        fail(what, line, argv, (const char *const *)back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(virFirewall) fw = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) line = g_string_new(NULL);
    g_autoptr(GPtrArray) map = NULL;
    g_autofree char *script = NULL;
    g_auto(GStrv) lines = NULL;
    g_auto(GStrv) raw = NULL;
    virFirewallRule *rule;
    const char *const *argv;
    vfLogEntry entry = { 0 };
    vfPlanScript plan = { 0 };
    size_t start = 0;

    fuzzInit();

    /* the input as a line: the splitter must cope with anything */
    {
        g_autofree char *text = fuzzString(data, size);
        raw = vfSyntaxSplit(text);
    }

    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\0') {
            g_ptr_array_add(words, g_strndup((const char *)data + start,
                                             i - start));
            start = i + 1;
        }
    }
    g_ptr_array_add(words, NULL);

    fw = virFirewallNew("fuzz");
    virFirewallStartTransaction(fw, 0);
    rule = virFirewallAddRuleFullV(fw, VIR_FIREWALL_LAYER_IPV4, false, NULL,
                                   NULL, (const char *const *)words->pdata);
    argv = virFirewallRuleGetArgs(rule);
    if (!g_strv_equal(argv, (const char *const *)words->pdata))
        g_error("virFirewallAddRuleFullV changed the argv");

    if (!vfRuleCheckRepresentable(rule, &error))
        return 0;

    for (gsize i = 0; argv[i]; i++) {
        if (i)
            g_string_append_c(line, ' ');
        vfSyntaxAppendWord(line, argv[i]);
    }
    checkSame("vfSyntaxAppendWord", line->str, argv);
    if (strchr(line->str, '\n') || strchr(line->str, '\r'))
        fail("line break in the rendered line", line->str, argv, NULL);

    /* the renderer proper */
    entry.words = (GStrv)argv;
    plan.layer = VIR_FIREWALL_LAYER_IPV4;
    plan.table = (char *)"filter";
    plan.entries = g_ptr_array_new();
    g_ptr_array_add(plan.entries, &entry);
    script = vfRenderScript(&plan, &map);
    g_ptr_array_unref(plan.entries);
    lines = g_strsplit(script, "\n", -1);
    if (g_strv_length(lines) != 4 || lines[3][0] != '\0' ||
        !g_str_equal(lines[0], "*filter") || !g_str_equal(lines[2], "COMMIT") ||
        map->len != 3 || g_ptr_array_index(map, 1) != &entry)
        fail("vfRenderScript's lines", script, argv, NULL);
    checkSame("vfRenderScript", lines[1], argv);
    return 0;
}
