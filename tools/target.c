/*
 * target.c: where a command's rules go (kernel, a namespace, dry-run)
 */
#include "cli.h"
#include "netns.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void
vfTargetOptionsAdd(GOptionContext *ctx, vfTargetOptions *opts)
{
    GOptionEntry entries[] = {
        { "backend", 'b', 0, G_OPTION_ARG_STRING, &opts->backend,
          "exec (one process per rule) or restore (batched)", "KIND" },
        { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &opts->dry_run,
          "print the restore input the run would write to this kernel now, write nothing", NULL },
        { "netns", 0, 0, G_OPTION_ARG_STRING, &opts->netns,
          "run inside the named network namespace (ip netns)", "NAME" },
        { "private-netns", 0, 0, G_OPTION_ARG_NONE, &opts->private_netns,
          "run inside a new namespace, deleted at exit (demos, tests)", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &opts->json,
          "machine-readable output", NULL },
        { "wait", 'w', 0, G_OPTION_ARG_INT, &opts->wait,
          "seconds to wait for the xtables lock (iptables -w) and for another virt-firewall [10]", "SECONDS" },
        { "replay", 0, 0, G_OPTION_ARG_NONE, &opts->replay,
          "restore: write libvirt's steps pass by pass, not the difference", NULL },
        { NULL }
    };
    GOptionGroup *group = g_option_group_new("target", "Where rules go:",
                                             "Show target options", NULL, NULL);
    g_option_group_add_entries(group, entries);
    g_option_context_add_group(ctx, group);
}

void
vfTargetOptionsClear(vfTargetOptions *opts)
{
    g_clear_pointer(&opts->backend, g_free);
    g_clear_pointer(&opts->netns, g_free);
}

/* Does @argv only read the tables (*-save, a listing)? */
static gboolean
readsOnly(const char *const *argv)
{
    g_autofree char *tool = g_path_get_basename(argv[0]);

    if (g_str_has_suffix(tool, "-save"))
        return TRUE;
    if (g_str_has_suffix(tool, "-restore"))
        return FALSE;
    for (gsize k = 1; argv[k]; k++) {
        if (g_str_equal(argv[k], "-L") || g_str_equal(argv[k], "-S") ||
            g_str_equal(argv[k], "--list") || g_str_equal(argv[k], "--list-rules"))
            return TRUE;
    }
    return FALSE;
}

/*
 * A dry run against the kernel: what reads the tables runs for real (in
 * the target namespace), what would write them is recorded and answered
 * as done. The backend then computes, from the tables as they are, the
 * very input the real run would write.
 */
static void
readOnlyAnswer(const char *const *argv, const char *input, vfRunResult *res,
               void *opaque)
{
    vfRunner *real = opaque;
    g_autoptr(GError) err = NULL;
    vfRunResult got = { 0 };

    if (!readsOnly(argv))
        return;
    if (!vfRunnerRun(real, argv, input, &got, &err)) {
        res->status = 127;
        res->err = g_strdup(err->message);
        return;
    }
    *res = got;
}

static vfRunner *
openRunner(const vfTargetOptions *opts, int *netns_fd, GError **error)
{
    *netns_fd = -1;
    if (opts->dry_run && opts->offline)
        return vfRunnerNewRecorder();
    if (opts->private_netns) {
        if ((*netns_fd = vfNetnsCreatePrivate(error)) < 0)
            return NULL;
    } else if (opts->netns) {
        if ((*netns_fd = vfNetnsOpenNamed(opts->netns, error)) < 0)
            return NULL;
    }
    if (opts->dry_run)
        return vfRunnerNewScriptedFull(readOnlyAnswer, vfRunnerNewSubprocess(*netns_fd),
                                       (GDestroyNotify)vfRunnerFree);
    return vfRunnerNewSubprocess(*netns_fd);
}

gboolean
vfCliOpenTarget(vfCli *cli, GError **error)
{
    const vfTargetOptions *opts = &cli->target_opts;
    vfTargetFlags flags = 0;

    if (!(cli->runner = openRunner(opts, &cli->netns_fd, error)))
        return FALSE;
    /* a dry run against the kernel reads its generation id too (netlink,
     * read-only); exec's commits are not counted (no transactions) */
    if (opts->dry_run)
        flags |= VF_TARGET_READ_ONLY;
    if (opts->offline || cli->kind != VF_BACKEND_RESTORE)
        flags |= VF_TARGET_NO_GENERATION;
    cli->target = vfTargetNew(cli->runner, cli->netns_fd, flags);
    return TRUE;
}

/*
 * @word so that sh reads it back as one word, as libvirt's dry-run prints
 * argv (virCommandToString, virBufferEscapeShell): as it is unless it has
 * a shell metacharacter or is empty, else in single quotes, a ' as '\''.
 * An interface or a comment with a blank or a quote is then unambiguous.
 */
static void
appendShellWord(GString *out, const char *word)
{
    if (!*word) {
        g_string_append(out, "''");
        return;
    }
    if (!strpbrk(word, "\r\t\n !\"#$&'()*;<>?[\\]^`{|}~")) {
        g_string_append(out, word);
        return;
    }
    g_string_append_c(out, '\'');
    for (const char *p = word; *p; p++) {
        if (*p == '\'')
            g_string_append(out, "'\\''");
        else
            g_string_append_c(out, *p);
    }
    g_string_append_c(out, '\'');
}

void
vfJsonCalls(JsonBuilder *b, vfRunner *recorder, gboolean writesOnly)
{
    GPtrArray *calls = vfRunnerRecorderCalls(recorder);

    json_builder_set_member_name(b, "calls");
    json_builder_begin_array(b);
    for (guint i = 0; i < calls->len; i++) {
        vfRecordedCall *c = g_ptr_array_index(calls, i);
        /* reading the tables is not what a dump or a dry run is about */
        if (writesOnly ? readsOnly((const char *const *)c->argv)
                       : g_str_has_suffix(c->argv[0], "-save"))
            continue;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "argv");
        json_builder_begin_array(b);
        for (gsize k = 0; c->argv[k]; k++)
            json_builder_add_string_value(b, c->argv[k]);
        json_builder_end_array(b);
        if (c->input) {
            json_builder_set_member_name(b, "stdin");
            json_builder_add_string_value(b, c->input);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

void
vfPrintRecording(vfRunner *recorder)
{
    GPtrArray *calls = vfRunnerRecorderCalls(recorder);

    for (guint i = 0; i < calls->len; i++) {
        vfRecordedCall *c = g_ptr_array_index(calls, i);
        g_autoptr(GString) line = g_string_new(NULL);
        /* reading the (empty) tables is not what a dump is about */
        if (g_str_has_suffix(c->argv[0], "-save"))
            continue;
        for (gsize k = 0; c->argv[k]; k++) {
            if (k)
                g_string_append_c(line, ' ');
            appendShellWord(line, c->argv[k]);
        }
        printf("%s%s\n", c->input ? "# " : "", line->str);
        if (c->input)
            fputs(c->input, stdout);
    }
}

static void
appendArgv(GString *out, char **argv)
{
    for (gsize k = 0; argv[k]; k++) {
        if (k)
            g_string_append_c(out, ' ');
        appendShellWord(out, argv[k]);
    }
}

void
vfPrintDryRun(vfRunner *recorder)
{
    GPtrArray *calls = vfRunnerRecorderCalls(recorder);
    guint writes = 0;

    for (guint i = 0; i < calls->len; i++)
        writes += !readsOnly((const char *const *)((vfRecordedCall *)g_ptr_array_index(calls, i))->argv);
    if (!writes) {
        printf("# nothing to do: the kernel holds what this run would write\n");
        return;
    }
    for (guint i = 0; i < calls->len; i++) {
        vfRecordedCall *c = g_ptr_array_index(calls, i);
        g_autoptr(GString) cmd = g_string_new(NULL);
        g_auto(GStrv) lines = NULL;
        gboolean headed = FALSE;

        if (readsOnly((const char *const *)c->argv))
            continue;
        appendArgv(cmd, c->argv);
        if (!c->input) {   /* exec: the command itself */
            printf("%s\n", cmd->str);
            continue;
        }
        /* a header before each table ("*filter"), and one before any
         * line that precedes the first table */
        lines = g_strsplit(c->input, "\n", -1);
        for (gsize k = 0; lines[k]; k++) {
            if (!lines[k + 1] && !*lines[k])
                break;   /* the text's last newline */
            if (lines[k][0] == '*') {
                printf("# %s: table %s\n", cmd->str, lines[k] + 1);
                headed = TRUE;
            } else if (!headed) {
                printf("# %s\n", cmd->str);
                headed = TRUE;
            }
            printf("%s\n", lines[k]);
        }
    }
}

vfBackendOptions
vfCliBackendOptions(vfCli *cli)
{
    vfBackendOptions o = vfBackendOptionsFor(cli->kind, cli->target);

    if (cli->target_opts.wait > 0)
        o.wait_seconds = cli->target_opts.wait;
    o.replay = cli->target_opts.replay;
    return o;
}

vfBackend *
vfCliNewBackend(vfCli *cli)
{
    vfBackendOptions o = vfCliBackendOptions(cli);

    return vfBackendNew(&o);
}
