/*
 * render.c: log entries → restore input
 *
 * Every word passes through vfSyntaxAppendWord, so an argument can never
 * start a new line, a new table or a COMMIT: it is one word to the tool.
 */
#include "render.h"
#include "syntax.h"

static void
appendLine(GString *out, const char *const *words)
{
    for (gsize i = 0; words[i]; i++) {
        if (i)
            g_string_append_c(out, ' ');
        vfSyntaxAppendWord(out, words[i]);
    }
    g_string_append_c(out, '\n');
}

char *
vfRenderScript(const vfPlanScript *script, GPtrArray **lines)
{
    GString *out = g_string_new(NULL);
    GPtrArray *map = g_ptr_array_new();

    g_string_append_printf(out, "*%s\n", script->table);
    g_ptr_array_add(map, NULL);
    for (guint i = 0; i < script->entries->len; i++) {
        vfLogEntry *e = g_ptr_array_index(script->entries, i);
        appendLine(out, (const char *const *)e->words);
        g_ptr_array_add(map, e);
    }
    g_string_append(out, "COMMIT\n");
    g_ptr_array_add(map, NULL);
    if (lines)
        *lines = map;
    else
        g_ptr_array_unref(map);
    return g_string_free(out, FALSE);
}

GStrv
vfRenderRestoreArgv(virFirewallLayer layer, guint waitSeconds)
{
    GPtrArray *argv = g_ptr_array_new();

    switch (layer) {
    case VIR_FIREWALL_LAYER_ETHERNET:
        /* ebtables-restore rejects -w and ignores a file: stdin only */
        g_ptr_array_add(argv, g_strdup("ebtables-restore"));
        break;
    case VIR_FIREWALL_LAYER_IPV4:
    case VIR_FIREWALL_LAYER_IPV6:
        g_ptr_array_add(argv, g_strdup(layer == VIR_FIREWALL_LAYER_IPV4 ?
                                       "iptables-restore" : "ip6tables-restore"));
        g_ptr_array_add(argv, g_strdup("-w"));
        g_ptr_array_add(argv, g_strdup_printf("%u", waitSeconds));
        break;
    case VIR_FIREWALL_LAYER_LAST:
        break;
    }
    g_ptr_array_add(argv, g_strdup("--noflush"));
    g_ptr_array_add(argv, NULL);
    return (GStrv)g_ptr_array_free(argv, FALSE);
}
