/*
 * netutil.c: helpers shared by the network tests
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "netutil.h"

char *
netTestDataPath(const char *name)
{
    const char *dir = g_getenv("VF_TESTDATA");

    if (!dir)
        fail_msg("VF_TESTDATA is not set");
    return g_build_filename(dir, "network", name, NULL);
}

vfNetworkDef *
netTestLoadDef(const char *name)
{
    g_autofree char *file = g_strdup_printf("%s.xml", name);
    g_autofree char *path = netTestDataPath(file);
    g_autoptr(GError) err = NULL;
    vfNetworkDef *def = vfNetworkDefParseFile(path, &err);

    if (!def)
        fail_msg("%s: %s", name, err->message);
    return def;
}

/* the characters libvirt's virBufferEscapeShell quotes for */
#define SHELL_META "\r\t\n !\"#$&'()*;<>?[\\]^`{|}~"

static void
appendShellArg(GString *out, const char *arg)
{
    if (!*arg) {
        g_string_append(out, "''");
        return;
    }
    if (!strpbrk(arg, SHELL_META)) {
        g_string_append(out, arg);
        return;
    }
    g_string_append_c(out, '\'');
    for (const char *c = arg; *c; c++) {
        if (*c == '\'')
            g_string_append(out, "'\\''");
        else
            g_string_append_c(out, *c);
    }
    g_string_append_c(out, '\'');
}

char *
netTestFormatCalls(GPtrArray *calls)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < calls->len; i++) {
        const vfRecordedCall *call = g_ptr_array_index(calls, i);
        g_autofree char *base = g_path_get_basename(call->argv[0]);

        g_string_append(out, base);
        for (gsize j = 1; call->argv[j]; j++) {
            g_string_append(out, call->argv[j][0] == '-' ? " \\\n" : " ");
            appendShellArg(out, call->argv[j]);
        }
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

static gboolean regenerated;

int
netTestExitCode(int rc)
{
    return regenerated ? 1 : rc;
}

void
netTestCompareFile(const char *actual, const char *name)
{
    g_autofree char *path = netTestDataPath(name);
    g_autofree char *expected = NULL;
    g_autoptr(GError) err = NULL;

    if (g_strcmp0(g_getenv("VF_TEST_REGENERATE"), "1") == 0) {
        if (!g_file_set_contents(path, actual, -1, &err))
            fail_msg("%s", err->message);
        /* go on, so that one run regenerates every file; main() fails */
        fprintf(stderr, "%s regenerated: review the diff before committing\n",
                path);
        regenerated = TRUE;
        return;
    }
    if (!g_file_get_contents(path, &expected, NULL, &err))
        fail_msg("%s (VF_TEST_REGENERATE=1 writes it)", err->message);
    if (!g_str_equal(expected, actual)) {
        g_autofree char *actualPath = g_strdup_printf("%s.actual", name);
        g_autofree char *tmp = g_build_filename(g_get_tmp_dir(), actualPath, NULL);

        g_file_set_contents(tmp, actual, -1, NULL);
        fail_msg("%s differs from the output; actual output written to %s "
                 "(diff -u %s %s)", path, tmp, path, tmp);
    }
}

char *
netTestRecordExec(virFirewall *const *fws, gsize n)
{
    g_autoptr(vfRunner) runner = vfRunnerNewRecorder();
    g_autoptr(vfBackend) backend = vfBackendNew(&VF_BACKEND_OPTIONS(VF_BACKEND_EXEC, runner));

    for (gsize i = 0; i < n; i++) {
        g_autoptr(GError) err = NULL;

        if (!vfBackendApplyOne(backend, fws[i], NULL, &err))
            fail_msg("apply of '%s' failed: %s", virFirewallGetName(fws[i]),
                     err->message);
    }
    return netTestFormatCalls(vfRunnerRecorderCalls(runner));
}

typedef struct {
    NetTestAnswer answer;
    void *opaque;
} ScriptedAnswer;

static void
scriptedAnswer(const char *const *argv, const char *input, vfRunResult *res,
               void *opaque)
{
    ScriptedAnswer *a = opaque;
    const char *out = "";

    res->status = a->answer(argv, &out, a->opaque);
    res->out = g_strdup(out);
    res->err = g_strdup(res->status ? "scripted failure" : "");
}

vfRunner *
netTestScriptedRunnerNew(NetTestAnswer answer, void *opaque)
{
    /* the answer's closure lives as long as the test process (kept
     * reachable, so leak checkers do not report it) */
    static GPtrArray *closures;
    ScriptedAnswer *a = g_new0(ScriptedAnswer, 1);

    if (!closures)
        closures = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(closures, a);
    a->answer = answer;
    a->opaque = opaque;
    return vfRunnerNewScripted(scriptedAnswer, a);
}

GPtrArray *
netTestScriptedRunnerCalls(vfRunner *runner)
{
    return vfRunnerRecorderCalls(runner);
}
