/*
 * serve.c: `serve` — the firewall layer kept in one process, as libvirtd
 * holds it: filters loaded once, the kernel's tables kept from one request
 * to the next (vfBackendOptions.keep_tables). A VM start then pays for its own
 * rules and the restore tool, not for a process, the filter files and
 * 9000 chain declarations.
 *
 * One request per line on stdin, one JSON line per request on stdout:
 *   apply IFACE...      the interfaces' bindings, read from the binding
 *                       directory at the request (libvirt writes a VM's
 *                       binding before it instantiates it)
 *   teardown IFACE...   libvirt's allTeardown of each
 *   reload              read the filter directories again
 * Empty lines and lines starting with '#' are skipped; EOF ends it.
 *
 * Every request holds the state file's lock (vfCliLock) while it writes,
 * so serve and the other commands never write the namespace at once. It
 * does not record the state file: the generation id it leaves differs
 * from the recorded one, so the next reconnect compares every interface
 * with the kernel rather than trusting the record.
 */
#include "cli.h"
#include "nwfilter/nwfilter_inst.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

typedef struct {
    vfCli *cli;
    char *cachePath;
    vfKernelState *ks;   /* all layers, the kernel's at ks->at; NULL: unknown */
} vfServe;

/* FALSE: the answer could not be written (the reader is gone) */
static gboolean
answer(const char *request, gboolean ok, const char *error, GPtrArray *failures,
       const vfApplyStats *stats, gboolean kept, gint64 start)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    /* docs/json.md: the answers' schema, versioned as the summaries' */
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, 1);
    json_builder_set_member_name(b, "request");
    json_builder_add_string_value(b, request);
    json_builder_set_member_name(b, "ok");
    json_builder_add_boolean_value(b, ok);
    if (error) {
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, error);
    }
    if (failures && failures->len) {
        json_builder_set_member_name(b, "failed");
        json_builder_begin_array(b);
        for (guint i = 0; i < failures->len; i++)
            json_builder_add_string_value(b, g_ptr_array_index(failures, i));
        json_builder_end_array(b);
    }
    if (stats) {
        json_builder_set_member_name(b, "processes");
        json_builder_add_int_value(b, stats->processes);
        json_builder_set_member_name(b, "rules_written");
        json_builder_add_int_value(b, stats->lines);
        json_builder_set_member_name(b, "kept_tables");
        json_builder_add_boolean_value(b, kept);
    }
    json_builder_set_member_name(b, "ms");
    json_builder_add_double_value(b, (g_get_monotonic_time() - start) / 1000.0);
    json_builder_end_object(b);
    if (vfPrintJson(stdout, b, FALSE))
        return TRUE;
    fprintf(stderr, "virt-firewall serve: cannot write the answer to a request (%s); "
            "nobody reads them: stopping\n", g_strerror(errno));
    return FALSE;
}

/* The programs of one request: an interface's error goes to @failures. */
static GPtrArray *
buildUnits(vfCli *cli, gboolean apply, char **names, GPtrArray *failures,
           GError **error)
{
    GPtrArray *units = g_ptr_array_new_with_free_func((GDestroyNotify)vfUnitFree);
    g_autoptr(GPtrArray) bindings = NULL;
    g_autoptr(GPtrArray) broken = vfFailuresNew();

    if (!apply) {
        for (gsize i = 0; names[i]; i++) {
            vfUnit *u = g_new0(vfUnit, 1);
            u->name = g_strdup_printf("interface/%s", names[i]);
            u->ifname = g_strdup(names[i]);
            u->programs = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallFree);
            g_ptr_array_add(u->programs, nwfBuildTeardown(names[i]));
            g_ptr_array_add(units, u);
        }
        return units;
    }
    if (!(bindings = vfHostLoadBindings(cli->host_opts.binding_dir ? cli->host_opts.binding_dir
                                                                   : VF_DEFAULT_BINDING_DIR,
                                        (const char *const *)names, broken, NULL,
                                        error))) {
        g_ptr_array_unref(units);
        return NULL;
    }
    /* the units borrow their bindings from the host */
    g_ptr_array_unref(cli->host->bindings);
    cli->host->bindings = g_steal_pointer(&bindings);
    for (gsize i = 0; names[i]; i++) {
        nwfBinding *b = NULL;
        g_autoptr(GError) err = NULL;
        gboolean twice = FALSE;
        vfUnit *u;

        for (gsize k = 0; k < i; k++)
            twice |= g_str_equal(names[k], names[i]);
        if (twice)   /* named twice: once, as apply does */
            continue;
        /* of several, the one in <portdev>.xml (as reconnect) */
        for (guint k = 0; k < cli->host->bindings->len && !b; k++) {
            nwfBinding *c = g_ptr_array_index(cli->host->bindings, k);
            if (g_str_equal(c->portdev, names[i])) {
                g_clear_error(&err);
                if (vfCliBindingApplies(cli->host->bindings, c, &err))
                    b = c;
            }
        }
        if (!b && !err) {
            g_autofree char *unit = g_strdup_printf("interface/%s", names[i]);
            const vfFailure *f = vfFailuresFind(broken, unit);
            g_ptr_array_add(failures, f ? g_strdup_printf("%s: %s", names[i], f->reason)
                                        : g_strdup_printf("%s: no filter binding", names[i]));
            continue;
        }
        if (!b || !(u = vfCliBindingUnit(cli, b, &err))) {
            g_ptr_array_add(failures, g_strdup(err->message));
            continue;
        }
        g_ptr_array_add(units, u);
    }
    return units;
}

/*
 * The tables a request starts from when the backend keeps none (the first
 * request, or after somebody else wrote): the kernel cache the other
 * commands leave, if it is of the current generation id, instead of
 * *-save (0.9 s for ebtables beside 1000 interfaces).
 */
static void
knownTables(vfServe *sv)
{
    vfTarget *target = sv->cli->target;

    if (sv->ks && !vfKernelStateOnlyOurs(sv->ks, target, 0, NULL))
        g_clear_pointer(&sv->ks, vfKernelStateFree);
    if (!sv->ks && !vfBackendKeptLayers(sv->cli->backend))
        sv->ks = vfKernelStateLoadCached(target, sv->cachePath);
}

/*
 * After a request whose tables the backend kept: the kernel cache again
 * of the generation id it left, for the other commands (the layers the
 * request did not read are as they were), and serve's own copy of it.
 */
static void
writeCache(vfServe *sv)
{
    char *texts[VIR_FIREWALL_LAYER_LAST] = { NULL };
    vfGeneration kept = VF_GENERATION_UNKNOWN;
    g_autoptr(vfKernelState) before = g_steal_pointer(&sv->ks);
    guint32 g;

    if (!before) {
        vfKernelCacheRemove(sv->cachePath);
        return;
    }
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if ((texts[l] = vfBackendFormatKept(sv->cli->backend, l, &g)))
            kept = (vfGeneration){ TRUE, g };
    }
    /* the request wrote but kept nothing: unknown, and removed */
    if (kept.known)
        sv->ks = vfKernelStateNewAfter(before, texts, kept);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        g_free(texts[l]);
    vfKernelStateRecord(sv->ks, sv->cli->target, sv->cachePath);
}

/* FALSE when its answer could not be written */
static gboolean
serveRequest(vfServe *sv, char **words, gint64 start)
{
    vfCli *cli = sv->cli;
    g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) units = NULL;
    g_autoptr(GPtrArray) errors = NULL;
    g_autoptr(GError) err = NULL;
    vfApplyStats stats = { 0 };
    gboolean apply = g_str_equal(words[0], "apply");
    gboolean ok, said;

    if (g_str_equal(words[0], "reload")) {
        nwfFilterSet *filters = nwfLoadFilters(vfCliNwfilterDirs(cli), &err);
        if (filters) {
            nwfFilterSetFree(cli->host->filters);
            cli->host->filters = filters;
        }
        return answer(words[0], filters != NULL, err ? err->message : NULL, NULL, NULL,
                      FALSE, start);
    }
    if (!apply && !g_str_equal(words[0], "teardown")) {
        g_autofree char *msg = g_strdup_printf("unknown request '%s' (apply, teardown, reload)",
                                               words[0]);
        return answer(words[0], FALSE, msg, NULL, NULL, FALSE, start);
    }
    if (!words[1])
        return answer(words[0], FALSE, "name at least one interface", NULL, NULL, FALSE, start);
    if (vfCliLock(cli, "serve") != VF_EXIT_OK) {
        if (cli->lock_fd >= 0)
            close(cli->lock_fd);
        cli->lock_fd = -1;
        return answer(words[0], FALSE, "cannot take the state file's lock", NULL, NULL,
                      FALSE, start);
    }
    if (!(units = buildUnits(cli, apply, words + 1, failures, &err))) {
        said = answer(words[0], FALSE, err->message, NULL, NULL, FALSE, start);
    } else {
        if (units->len)
            knownTables(sv);
        ok = !units->len || vfCliApplyUnits(cli, units, sv->ks, &errors, &stats, NULL, &err);
        for (guint i = 0; errors && i < errors->len; i++) {
            GError *e = g_ptr_array_index(errors, i);
            if (e)
                g_ptr_array_add(failures, g_strdup_printf(
                    "%s: %s", ((vfUnit *)g_ptr_array_index(units, i))->ifname, e->message));
        }
        said = answer(words[0], ok && failures->len == 0, err ? err->message : NULL,
                      failures, &stats, vfBackendKeptLayers(cli->backend) > 0, start);
        if (units->len && stats.layers_written)
            writeCache(sv);
    }
    close(cli->lock_fd);   /* the lock is held for one request only */
    cli->lock_fd = -1;
    /* the answer is out: the next request's copy is made while we wait */
    if (said)
        vfBackendPrepareNext(cli->backend);
    return said;
}

int
vfCmdServe(int argc, char **argv)
{
    g_autoptr(vfCli) cli = vfCliNew();
    g_autofree char *statePath = NULL;
    vfServe sv = { cli };
    g_autofree char *line = NULL;
    size_t cap = 0;
    int ret = VF_EXIT_OK;

    if (!vfCliParse(cli, "serve", "",
                    "Keeps the firewall layer in one process, as libvirtd does: reads\n"
                    "'apply IFACE...', 'teardown IFACE...' and 'reload' lines on stdin and\n"
                    "answers each with one JSON line. The restore backend keeps the\n"
                    "kernel's tables between requests while nobody else writes them.", &argc, &argv))
        return VF_EXIT_USAGE;
    /* a request is short and answered on stdout: no progress line */
    g_clear_pointer(&cli->progress, vfProgressFree);
    if (argc > 1) {
        fprintf(stderr, "virt-firewall serve: requests come on stdin, not as arguments\n");
        return VF_EXIT_USAGE;
    }
    if (cli->host_opts.connect || cli->target_opts.dry_run) {
        fprintf(stderr, "virt-firewall serve: %s is not supported: serve reads libvirt's "
                "files and writes the kernel\n", cli->host_opts.connect ? "--connect" : "--dry-run");
        return VF_EXIT_USAGE;
    }
    /* a client that closed our stdout (or stderr) must not end us with a
     * signal halfway through a request: the write fails, and serve stops
     * with a message and exit 4 (the tools start with SIGPIPE at its
     * default again: GLib resets it in children) */
    signal(SIGPIPE, SIG_IGN);
    /* the filters now, each binding at its request */
    cli->only_ifaces = (const char *const[]){ NULL };
    if ((ret = vfCliOpen(cli, TRUE)))
        return ret;
    cli->only_ifaces = NULL;
    /* which tools run was looked at once (cli->target): a switch of the
     * alternatives needs a restart of serve, as of libvirtd */
    {
        vfBackendOptions o = vfCliBackendOptions(cli);
        o.keep_tables = TRUE;
        cli->backend = vfBackendNew(&o);
    }
    statePath = vfCliStatePath(cli);
    sv.cachePath = vfKernelCachePath(statePath);

    while (getline(&line, &cap, stdin) >= 0) {
        gint64 start = g_get_monotonic_time();
        g_auto(GStrv) words = NULL;

        g_strstrip(line);
        if (!*line || *line == '#')
            continue;
        words = g_strsplit_set(line, " \t", -1);
        /* runs of blanks split into empty words */
        {
            guint k = 0;
            for (guint i = 0; words[i]; i++) {
                if (*words[i])
                    words[k++] = words[i];
                else
                    g_free(words[i]);
            }
            words[k] = NULL;
        }
        if (!serveRequest(&sv, words, start)) {
            ret = VF_EXIT_BATCH;
            break;
        }
    }
    vfKernelStateFree(sv.ks);
    g_free(sv.cachePath);
    return ret;
}
