/*
 * nwftest.c: helpers shared by the nwfilter kernel tests.
 */
#include "nwftest.h"

#include <stdio.h>
#include <string.h>
#include <sched.h>

static gboolean
logRun(vfRunner *runner, const char *const *argv, const char *input,
       vfRunResult *res, GError **error)
{
    NwftLogRunner *self = (NwftLogRunner *)runner;
    g_autofree char *base = g_path_get_basename(argv[0]);
    g_autofree char *rest = g_strjoinv(" ", (char **)argv + 1);

    g_ptr_array_add(self->log, g_strdup_printf("%s %s", base, rest));
    if (!g_str_has_suffix(argv[0], "-save")) {
        g_autofree char *line = g_strjoinv(" ", (char **)argv);
        g_string_append_printf(self->golden, "# %s\n%s", line, input ? input : "");
    }
    return vfRunnerRun(self->inner, argv, input, res, error);
}

void
nwftLogRunnerInit(NwftLogRunner *lr, vfRunner *inner)
{
    memset(lr, 0, sizeof(*lr));
    lr->parent.run = logRun;
    lr->inner = inner;
    lr->log = g_ptr_array_new_with_free_func(g_free);
    lr->golden = g_string_new(NULL);
}

void
nwftLogRunnerClear(NwftLogRunner *lr)
{
    g_clear_pointer(&lr->log, g_ptr_array_unref);
    if (lr->golden)
        g_string_free(lr->golden, TRUE);
    lr->golden = NULL;
}

void
nwftLogRunnerReset(NwftLogRunner *lr)
{
    g_ptr_array_set_size(lr->log, 0);
    g_string_truncate(lr->golden, 0);
}

char *
nwftLogRunnerText(const NwftLogRunner *lr)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < lr->log->len; i++)
        g_string_append_printf(out, "%s\n", (char *)lr->log->pdata[i]);
    return g_string_free(out, FALSE);
}

char *
nwftReadNormalized(const char *path, bool commands)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    GString *out = g_string_new(NULL);

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return g_string_free(out, FALSE);
    lines = g_strsplit(text, "\n", -1);
    for (gsize i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (!*l || l[0] == '#')
            continue;
        if (commands && l[0] == '/') {
            const char *sp = strchr(l, ' ');
            g_autofree char *bin = g_strndup(l, sp ? (gsize)(sp - l) : strlen(l));
            g_autofree char *base = g_path_get_basename(bin);
            g_string_append_printf(out, "%s%s\n", base, sp ? sp : "");
        } else {
            g_string_append_printf(out, "%s\n", l);
        }
    }
    return g_string_free(out, FALSE);
}

char *
nwftSaveOutput(const char *tool)
{
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    GString *res = g_string_new(NULL);
    const char *argv[] = { tool, NULL };

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH |
                      G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                      NULL, NULL))
        return g_string_free(res, FALSE);
    lines = g_strsplit(out, "\n", -1);
    for (gsize i = 0; lines[i]; i++)
        if (lines[i][0] && lines[i][0] != '#')
            g_string_append_printf(res, "%s\n", lines[i]);
    return g_string_free(res, FALSE);
}

void
nwftShowDiff(const char *what, const char *expected, const char *actual)
{
    g_auto(GStrv) e = g_strsplit(expected, "\n", -1);
    g_auto(GStrv) a = g_strsplit(actual, "\n", -1);
    gsize i;

    for (i = 0; e[i] && a[i]; i++)
        if (strcmp(e[i], a[i]) != 0)
            break;
    fprintf(stderr, "    %s differs at line %zu:\n      expected: %s\n"
            "      actual:   %s\n", what, i + 1, e[i] ? e[i] : "<end>",
            a[i] ? a[i] : "<end>");
}

static gint
cmpStr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *
nwftLoadBindings(const char *dir, const char *prefix, GError **error)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, error);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *res = g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);
    const char *n;

    while (d && (n = g_dir_read_name(d)))
        if (g_str_has_prefix(n, prefix) && g_str_has_suffix(n, ".xml"))
            g_ptr_array_add(names, g_build_filename(dir, n, NULL));
    g_ptr_array_sort(names, cmpStr);
    for (guint i = 0; i < names->len; i++) {
        nwfBinding *b = nwfBindingParseFile(names->pdata[i], false, NULL, error);
        if (!b) {
            g_ptr_array_unref(res);
            return NULL;
        }
        g_ptr_array_add(res, b);
    }
    return res;
}

static char *outerNetns;

bool
nwftInit(void)
{
    if (!outerNetns)
        outerNetns = g_file_read_link("/proc/self/ns/net", NULL);
    return outerNetns != NULL;
}

bool
nwftEnterFreshNetns(void)
{
    g_autofree char *self = NULL;

    if (!outerNetns || unshare(CLONE_NEWNET) < 0)
        return false;
    self = g_file_read_link("/proc/self/ns/net", NULL);
    return self && strcmp(self, outerNetns) != 0;
}

bool
nwftApplyBatch(vfBackend *backend, GPtrArray *fws, vfApplyStats *stats,
               GError **error)
{
    g_autofree GError **errors = g_new0(GError *, fws->len + 1);
    bool ok = vfBackendApply(backend, (virFirewall *const *)fws->pdata,
                             fws->len, errors, stats, error);

    for (guint i = 0; i < fws->len; i++) {
        if (errors[i] && error && !*error)
            g_propagate_error(error, errors[i]);
        else if (errors[i])
            g_error_free(errors[i]);
    }
    if (!ok && error && !*error)
        g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "batch failed");
    return ok;
}

char *
nwftCanon(const char *text)
{
    static const char *const roots[] = {
        "PREROUTING", "POSTROUTING", "INPUT", "FORWARD", "OUTPUT", "libvirt-in",
        "libvirt-out", "libvirt-in-post", "libvirt-host-in", NULL
    };
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GPtrArray) moved = g_ptr_array_new();
    GString *out = g_string_new(NULL);

    for (gsize i = 0; lines[i]; i++) {
        bool root = false;
        if (!*lines[i])
            continue;
        for (gsize r = 0; roots[r] && !root; r++) {
            g_autofree char *p = g_strdup_printf("-A %s ", roots[r]);
            root = g_str_has_prefix(lines[i], p);
        }
        if (root)
            g_ptr_array_add(moved, lines[i]);
        else
            g_string_append_printf(out, "%s\n", lines[i]);
    }
    g_ptr_array_sort(moved, cmpStr);
    for (guint i = 0; i < moved->len; i++)
        g_string_append_printf(out, "%s\n", (char *)moved->pdata[i]);
    return g_string_free(out, FALSE);
}

bool
nwftCompareSaves(const char *casedir, const char *prefix, bool canon,
                 const char *label)
{
    static const char *const tools[] = { "ebtables", "iptables", "ip6tables" };
    bool ok = true;

    for (guint t = 0; t < G_N_ELEMENTS(tools); t++) {
        g_autofree char *file = g_strdup_printf("%s.%s-save", prefix, tools[t]);
        g_autofree char *path = g_build_filename(casedir, file, NULL);
        g_autofree char *tool = g_strdup_printf("%s-save", tools[t]);
        g_autofree char *exp = nwftReadNormalized(path, false);
        g_autofree char *act = nwftSaveOutput(tool);

        if (canon) {
            char *e = nwftCanon(exp), *a = nwftCanon(act);
            g_free(exp);
            g_free(act);
            exp = e;
            act = a;
        }
        if (strcmp(exp, act) != 0) {
            fprintf(stderr, "FAIL %s: %s\n", label, file);
            nwftShowDiff(tool, exp, act);
            ok = false;
        }
    }
    return ok;
}

gint
nwftCmpStrPtr(gconstpointer a, gconstpointer b)
{
    return cmpStr(a, b);
}
