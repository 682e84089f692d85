/*
 * host-cli.c: options, host loading and batching shared by the commands
 */
#include "cli.h"
#include "firewall/error.h"
#include "firewall/nftgen.h"
#include "conf/vfconf.h"
#include "network/network_iptables.h"
#include "firewall/netns.h"

#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>

#define VF_DEFAULT_STATE_FILE "/run/virt-firewall/state.json"

/* For --dry-run: the restore tools answer the probe as if present, so a
 * dump shows the restore backend unless network.conf names "iptables". */
static vfRunner *
vfDryProbeRunner(void)
{
    static vfRunner *recorder;

    if (!recorder)
        recorder = vfRunnerNewRecorder();
    return recorder;
}

void
vfHostOptionsAdd(GOptionContext *ctx, vfHostOptions *opts)
{
    GOptionEntry entries[] = {
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &opts->config,
          "libvirt's network.conf (firewall_backend) [" VF_DEFAULT_CONFIG "]", "FILE" },
        { "nwfilter-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opts->nwfilter_dirs,
          "filter definitions; repeat, first match wins [" VF_DEFAULT_NWFILTER_DIR "]", "DIR" },
        { "binding-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts->binding_dir,
          "filter bindings [" VF_DEFAULT_BINDING_DIR "]", "DIR" },
        { "network-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts->network_dir,
          "active networks' status files [" VF_DEFAULT_NETWORK_DIR "]", "DIR" },
        { "state-file", 0, 0, G_OPTION_ARG_FILENAME, &opts->state_file,
          "what was applied, to skip what did not change [" VF_DEFAULT_STATE_FILE "]", "FILE" },
        { "connect", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &opts->connect,
          "read filters, bindings and networks from libvirt: a hypervisor URI (qemu:///system), "
          "or twice, nwfilter:///system and network:///system; \"\" = LIBVIRT_DEFAULT_URI", "URI" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opts->quiet,
          "no summary", NULL },
        { NULL }
    };
    GOptionGroup *group = g_option_group_new("host", "Host configuration:",
                                             "Show host configuration options",
                                             NULL, NULL);
    g_option_group_add_entries(group, entries);
    g_option_context_add_group(ctx, group);
}

void
vfUnitFree(vfUnit *unit)
{
    g_free(unit->name);
    g_free(unit->ifname);
    g_ptr_array_unref(unit->programs);
    g_free(unit->desired);
    g_free(unit);
}

GPtrArray *
vfUnitsPrograms(GPtrArray *units, guint **owner)
{
    GPtrArray *fws = g_ptr_array_new();

    for (guint i = 0; i < units->len; i++) {
        vfUnit *u = g_ptr_array_index(units, i);
        for (guint k = 0; k < u->programs->len; k++)
            g_ptr_array_add(fws, g_ptr_array_index(u->programs, k));
    }
    *owner = g_new0(guint, fws->len + 1);
    for (guint i = 0, n = 0; i < units->len; i++) {
        vfUnit *u = g_ptr_array_index(units, i);
        for (guint k = 0; k < u->programs->len; k++)
            (*owner)[n++] = i;
    }
    return fws;
}

vfCli *
vfCliNew(void)
{
    vfCli *cli = g_new0(vfCli, 1);

    cli->netns_fd = -1;
    cli->lock_fd = -1;
    cli->timer = g_timer_new();
    cli->summary = vfSummaryNew("");
    cli->failures = vfFailuresNew();
    return cli;
}

static void
removePrivateStateDir(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (unlink(path) < 0)
            g_debug("cannot remove %s: %s", path, g_strerror(errno));
    }
    if (rmdir(dir) < 0 && errno != ENOENT)
        fprintf(stderr, "virt-firewall: cannot remove %s: %s\n", dir, g_strerror(errno));
}

void
vfCliFree(vfCli *cli)
{
    g_free(cli->host_opts.config);
    g_strfreev(cli->host_opts.nwfilter_dirs);
    g_free(cli->host_opts.binding_dir);
    g_free(cli->host_opts.network_dir);
    g_free(cli->host_opts.state_file);
    g_strfreev(cli->host_opts.connect);
    vfTargetOptionsClear(&cli->target_opts);
    g_free(cli->input_digest);
    vfHostFree(cli->host);
    vfBackendFree(cli->backend);
    vfTargetFree(cli->target);
    vfRunnerFree(cli->runner);
    if (cli->netns_fd >= 0)
        close(cli->netns_fd);
    if (cli->lock_fd >= 0)
        close(cli->lock_fd);   /* releases the flock */
    if (cli->private_state_dir) {
        removePrivateStateDir(cli->private_state_dir);
        g_free(cli->private_state_dir);
    }
    g_free(cli->kind_reason);
    g_timer_destroy(cli->timer);
    vfProgressFree(cli->progress);
    vfSummaryFree(cli->summary);
    g_ptr_array_unref(cli->failures);
    g_free(cli);
}

void
vfCliPhase(vfCli *cli, const char *phase)
{
    vfSummaryPhaseAdd(cli->summary, phase, g_timer_elapsed(cli->timer, NULL));
    g_timer_start(cli->timer);
    /* between phases the line goes: messages then start on a clean line */
    vfProgressClear(cli->progress);
}

void
vfCliProgress(vfCli *cli, const char *phase, guint done, guint total)
{
    vfProgressUpdate(cli->progress, phase, done, total);
}

/* As virsh does, a command's --help lists every option it takes (GOption
 * keeps the groups' options for --help-all), under "virt-firewall CMD". */
gboolean
vfCliParseOptions(GOptionContext *ctx, const char *name, int *argc, char ***argv,
                  GError **error)
{
    g_autofree char *prgname = g_strdup_printf("virt-firewall %s", name);

    g_set_prgname(prgname);
    for (int i = 1; i < *argc; i++) {
        if (g_str_equal((*argv)[i], "--"))
            break;
        if (g_str_equal((*argv)[i], "--help") || g_str_equal((*argv)[i], "-h"))
            (*argv)[i] = (char *)"--help-all";
    }
    return g_option_context_parse(ctx, argc, argv, error);
}

gboolean
vfCliParse(vfCli *cli, const char *name, const char *params,
           const char *summary, int *argc, char ***argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(params);
    g_autoptr(GError) err = NULL;

    g_option_context_set_summary(ctx, summary);
    vfHostOptionsAdd(ctx, &cli->host_opts);
    vfTargetOptionsAdd(ctx, &cli->target_opts);
    if (!vfCliParseOptions(ctx, name, argc, argv, &err)) {
        fprintf(stderr, "virt-firewall %s: %s\n", name, err->message);
        return FALSE;
    }
    g_free(cli->summary->command);
    cli->summary->command = g_strdup(name);
    cli->summary->dry_run = cli->target_opts.dry_run;
    cli->progress = vfProgressNew(name, !cli->host_opts.quiet);
    return vfHostOptionsCheck(&cli->host_opts, name) &&
           vfTargetOptionsCheck(&cli->target_opts, name);
}

/*
 * A namespace made for this run is gone at its exit: a record of it would
 * only mislead the next run on the host (another namespace id: "ignoring
 * it", everything rebuilt). Unless --state-file names one, the state
 * file, its lock and the kernel cache live in a directory of our own,
 * removed at exit (vfCliFree).
 */
char *
vfCliStatePath(vfCli *cli)
{
    if (cli->host_opts.state_file)
        return g_strdup(cli->host_opts.state_file);
    if (!cli->target_opts.private_netns)
        return g_strdup(VF_DEFAULT_STATE_FILE);
    if (!cli->private_state_dir) {
        g_autoptr(GError) err = NULL;
        if (!(cli->private_state_dir = g_dir_make_tmp("virt-firewall-XXXXXX", &err))) {
            fprintf(stderr, "virt-firewall: %s\n", err->message);
            cli->private_state_dir = g_build_filename(g_get_tmp_dir(),
                                                      "virt-firewall-private", NULL);
        }
    }
    return g_build_filename(cli->private_state_dir, "state.json", NULL);
}


const char *const *
vfCliNwfilterDirs(vfCli *cli)
{
    static const char *const defaults[] = { VF_DEFAULT_NWFILTER_DIR, NULL };

    return cli->host_opts.nwfilter_dirs ? (const char *const *)cli->host_opts.nwfilter_dirs
                                        : defaults;
}

int
vfCliOpen(vfCli *cli, gboolean needHost)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(vfConf) conf = NULL;
    const char *config = cli->host_opts.config ? cli->host_opts.config : VF_DEFAULT_CONFIG;

    if (needHost) {
        if (cli->host_opts.connect)
            cli->host = vfHostLoadLibvirtUris((const char *const *)cli->host_opts.connect, &err);
        else
            cli->host = vfHostLoadFiles(vfCliNwfilterDirs(cli),
                                        cli->host_opts.binding_dir ? cli->host_opts.binding_dir
                                                                   : VF_DEFAULT_BINDING_DIR,
                                        cli->only_ifaces,
                                        cli->host_opts.network_dir ? cli->host_opts.network_dir
                                                                   : VF_DEFAULT_NETWORK_DIR,
                                        &err);
        if (!cli->host) {
            fprintf(stderr, "virt-firewall: %s\n", err->message);
            return VF_EXIT_USAGE;
        }
        vfCliNoteHost(cli);
        if (cli->want_digest && !cli->host_opts.connect &&
            !(cli->input_digest = vfHostInputDigest(
                  vfCliNwfilterDirs(cli),
                  cli->host_opts.binding_dir ? cli->host_opts.binding_dir : VF_DEFAULT_BINDING_DIR,
                  cli->host_opts.network_dir ? cli->host_opts.network_dir : VF_DEFAULT_NETWORK_DIR,
                  config, &err))) {
            fprintf(stderr, "virt-firewall: %s\n", err->message);
            return VF_EXIT_USAGE;
        }
        vfCliPhase(cli, "load");
    }

    /* read and check network.conf even when --backend overrides it: a
     * broken file is worth knowing about */
    if (!vfConfLoad(config, TRUE, &conf, &err)) {
        fprintf(stderr, "virt-firewall: %s\n", err->message);
        return VF_EXIT_USAGE;
    }
    if ((cli->networks_nft = vfConfNetworksUseNftables(conf))) {
        /* the networks are libvirt's: a status file we cannot read fails
         * nothing of ours */
        for (guint i = cli->failures->len; i > 0; i--) {
            vfFailure *f = g_ptr_array_index(cli->failures, i - 1);
            if (g_str_has_prefix(f->unit, "network/") || g_str_equal(f->unit, "networks"))
                g_ptr_array_remove_index(cli->failures, i - 1);
        }
    }
    if (cli->target_opts.backend) {
        int kind = vfBackendKindFromString(cli->target_opts.backend);
        if (kind < 0) {
            fprintf(stderr, "virt-firewall: unknown backend '%s' (exec, restore)\n",
                    cli->target_opts.backend);
            return VF_EXIT_USAGE;
        }
        cli->kind = kind;
        cli->kind_reason = g_strdup_printf("--backend %s", cli->target_opts.backend);
    } else if (!vfConfGetFirewallBackend(conf, cli->target_opts.dry_run && cli->target_opts.offline
                                                ? vfDryProbeRunner() : NULL,
                                         &cli->kind, &cli->kind_reason, &err)) {
        fprintf(stderr, "virt-firewall: %s\n", err->message);
        return VF_EXIT_USAGE;
    }
    if (!vfCliOpenTarget(cli, &err)) {
        fprintf(stderr, "virt-firewall: %s\n", err->message);
        return VF_EXIT_BATCH;
    }
    return VF_EXIT_OK;
}

vfUnit *
vfCliBindingUnit(vfCli *cli, nwfBinding *binding, GError **error)
{
    return vfCliBindingUnitFull(cli, binding, FALSE, error);
}

vfUnit *
vfCliBindingUnitFull(vfCli *cli, nwfBinding *binding, gboolean origins, GError **error)
{
    virFirewall *fw = nwfBuildInstantiateFull(cli->host->filters, binding, origins, error);
    vfUnit *u;

    if (!fw)
        return NULL;
    u = g_new0(vfUnit, 1);
    u->name = g_strdup_printf("interface/%s", binding->portdev);
    u->ifname = g_strdup(binding->portdev);
    u->binding = binding;
    u->programs = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallFree);
    g_ptr_array_add(u->programs, fw);
    u->desired = vfDesiredHash(u->programs);
    return u;
}

/* Is @b in <dir>/<portdev>.xml, where libvirt writes a binding? */
static gboolean
inOwnFile(const nwfBinding *b)
{
    g_autofree char *base = b->path ? g_path_get_basename(b->path) : NULL;
    g_autofree char *own = g_strconcat(b->portdev, ".xml", NULL);

    return base && g_str_equal(base, own);
}

gboolean
vfCliBindingApplies(GPtrArray *bindings, const nwfBinding *b, GError **error)
{
    g_autoptr(GString) others = g_string_new(NULL);
    const nwfBinding *own = NULL;
    guint n = 0;

    for (guint i = 0; i < bindings->len; i++) {
        const nwfBinding *c = g_ptr_array_index(bindings, i);
        if (c == b || !g_str_equal(c->portdev, b->portdev))
            continue;
        g_string_append_printf(others, "%s%s", n++ ? ", " : "",
                               c->path ? c->path : "(libvirt)");
        if (inOwnFile(c))
            own = c;
    }
    if (n == 0 || inOwnFile(b))
        return TRUE;
    /*
     * libvirt keeps one binding per interface, in <portdev>.xml; another
     * file naming it is not libvirt's. At its restart libvirt takes the
     * first file the directory listing returns and refuses the others
     * (virNWFilterBindingObjListLoadStatus), an order nobody can foresee;
     * applying both left the last one's rules and drift against the
     * other's forever.
     */
    if (own)
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "%s (%s): %s binds this interface too and is the one applied "
                    "(libvirt keeps one binding per interface, in <portdev>.xml)",
                    b->portdev, b->path ? b->path : "binding", own->path);
    else
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "%s (%s): %u other bindings name this interface (%s) and none is "
                    "in %s.xml, where libvirt keeps it: none is applied, the "
                    "interface's rules are left as they are", b->portdev,
                    b->path ? b->path : "binding", n, others->str, b->portdev);
    return FALSE;
}

GPtrArray *
vfCliBuildUnits(vfCli *cli, const char *const *only, gboolean networks, int *ret)
{
    GPtrArray *units = g_ptr_array_new_with_free_func((GDestroyNotify)vfUnitFree);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) twice = g_hash_table_new(g_str_hash, g_str_equal);
    vfHost *host = cli->host;

    /*
     * libvirt >= 10.4 with firewall_backend = "nftables": the network
     * driver writes its own nft tables (libvirt_network), no iptables
     * program of ours; nwfilter still runs ebtables/iptables. The
     * networks are left to libvirt, and the run says so once.
     */
    if (networks && cli->networks_nft) {
        for (guint i = 0; i < host->networks->len; i++)
            cli->networks_left += vfNetworkDefNeedsFirewall(g_ptr_array_index(host->networks, i));
        if (cli->networks_left)
            fprintf(stderr, "virt-firewall: firewall_backend = \"nftables\": %u network%s "
                    "left to libvirt (its own nftables tables); only the filter bindings "
                    "are handled\n", cli->networks_left, cli->networks_left == 1 ? "" : "s");
        networks = FALSE;
    }
    /* libvirtd starts the network driver before nwfilter */
    if (networks) {
        vfUnit *u = g_new0(vfUnit, 1);
        u->name = g_strdup("networks");
        u->programs = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallFree);
        for (guint i = 0; i < host->networks->len; i++) {
            vfNetworkDef *def = g_ptr_array_index(host->networks, i);
            g_autoptr(GError) err = NULL;
            virFirewall *rm, *add;

            if (!vfNetworkDefNeedsFirewall(def))
                continue;
            if (u->programs->len == 0) {
                g_ptr_array_add(u->programs,
                                vfNetworkSetupPrivateChains(VIR_FIREWALL_LAYER_IPV4, &u->changed[0]));
                g_ptr_array_add(u->programs,
                                vfNetworkSetupPrivateChains(VIR_FIREWALL_LAYER_IPV6, &u->changed[1]));
            }
            /* libvirt's reload: remove what may be there, add again */
            if (!(rm = vfNetworkRemoveFirewallRules(def, &err)) ||
                !(add = vfNetworkAddFirewallRules(def, &err))) {
                g_autofree char *unit = g_strdup_printf("network/%s", def->name);
                g_autofree char *why = g_strdup_printf("%s: %s", def->source ? def->source : "",
                                                       err->message);
                vfCliFail(cli, unit, why);
                *ret = VF_EXIT_FAILED;
                continue;
            }
            g_ptr_array_add(u->programs, rm);
            g_ptr_array_add(u->programs, add);
        }
        if (u->programs->len) {
            u->desired = vfDesiredHash(u->programs);
            g_ptr_array_add(units, u);
        } else {
            vfUnitFree(u);
        }
    }

    for (guint i = 0; i < host->bindings->len; i++) {
        nwfBinding *b = g_ptr_array_index(host->bindings, i);
        if (!g_hash_table_add(seen, b->portdev))
            g_hash_table_add(twice, b->portdev);
    }
    for (guint i = 0; i < host->bindings->len; i++) {
        nwfBinding *b = g_ptr_array_index(host->bindings, i);
        g_autoptr(GError) err = NULL;
        vfUnit *u;

        vfCliProgress(cli, "build", i, host->bindings->len);
        if (only && !g_strv_contains(only, b->portdev))
            continue;
        if ((g_hash_table_contains(twice, b->portdev) &&
             !vfCliBindingApplies(host->bindings, b, &err)) ||
            !(u = vfCliBindingUnit(cli, b, &err))) {
            /* the message names the interface and its binding file; a
             * missing filter is a failed unit, as for libvirt */
            g_autofree char *unit = g_strdup_printf("interface/%s", b->portdev);
            vfCliFail(cli, unit, err->message);
            *ret = VF_EXIT_FAILED;
            continue;
        }
        g_ptr_array_add(units, u);
    }
    for (gsize k = 0; only && only[k]; k++) {
        g_autofree char *unit = g_strdup_printf("interface/%s", only[k]);
        gboolean found = g_hash_table_contains(twice, only[k]);   /* reported above */
        for (guint i = 0; i < units->len; i++) {
            vfUnit *u = g_ptr_array_index(units, i);
            found |= g_strcmp0(u->ifname, only[k]) == 0;
        }
        if (!found && !vfFailuresFind(cli->failures, unit))
            vfCliFail(cli, unit, "no filter binding for this interface");
        if (!found)
            *ret = VF_EXIT_FAILED;
    }
    vfCliPhase(cli, "build");
    return units;
}

static void
errorFreeNullable(gpointer err)
{
    if (err)
        g_error_free(err);
}

void
vfApplyResultClear(vfApplyResult *res)
{
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        g_clear_pointer(&res->save[l], g_free);
    res->known = FALSE;
}

/* An apply of units between its halves. */
struct _vfCliApply {
    vfCli *cli;
    GPtrArray *units;
    vfBackend *own;        /* when the cli has none */
    vfBackend *backend;
    guint *owner;          /* program -> unit */
    GPtrArray *fws;        /* the units' programs, the batch's */
    vfBatch batch;
    vfApply *apply;        /* restore: between vfBackendApplyBegin and Finish */
    vfApplyOutcome outcome;   /* exec: applied in the Begin */
    gboolean ok;
    GError *error;
    gboolean *failed;      /* per unit, as foretold */
};

/* An interface's program is built from its binding alone, and built
 * again the same should the backend need it back. */
static gboolean
releaseProgram(gsize i, gpointer data)
{
    vfCliApply *ca = data;
    vfUnit *u = g_ptr_array_index(ca->units, ca->owner[i]);

    if (!u->binding || u->programs->len != 1)
        return FALSE;
    g_clear_pointer(&u->programs->pdata[0], virFirewallFree);
    return TRUE;
}

static virFirewall *
rebuildProgram(gsize i, gpointer data)
{
    vfCliApply *ca = data;
    vfUnit *u = g_ptr_array_index(ca->units, ca->owner[i]);
    g_autoptr(GError) err = NULL;

    if (!(u->programs->pdata[0] = nwfBuildInstantiate(ca->cli->host->filters,
                                                      u->binding, &err)))
        g_warning("%s: %s", u->name, err->message);
    return u->programs->pdata[0];
}

/* exec applies one program after the other anyway: unit by unit the same,
 * and the progress line can count them (1000 VMs take 18 minutes) */
static void
applyUnitByUnit(vfCliApply *ca)
{
    vfCli *cli = ca->cli;
    vfApplyOutcome *out = &ca->outcome;

    ca->ok = TRUE;
    out->n = ca->fws->len;
    out->errors = g_new0(GError *, ca->fws->len + 1);
    for (guint i = 0, first = 0; i < ca->units->len; i++) {
        guint n = ((vfUnit *)g_ptr_array_index(ca->units, i))->programs->len;
        vfApplyStats one = { 0 };
        vfCliProgress(cli, "apply", i, ca->units->len);
        if (!vfBackendApply(ca->backend, (virFirewall *const *)ca->fws->pdata + first, n,
                            out->errors + first, &one, &ca->error))
            ca->ok = FALSE;
        out->stats.processes += one.processes;
        out->stats.passes += one.passes;
        out->stats.lines += one.lines;
        out->stats.retries += one.retries;
        out->stats.lock_retries += one.lock_retries;
        out->stats.layers_written |= one.layers_written;
        first += n;
        if (ca->error)
            break;
    }
    vfCliProgress(cli, "apply", ca->units->len, ca->units->len);
}

static vfCliApply *
applyBegin(vfCli *cli, GPtrArray *units, vfKernelState *ks, gboolean background)
{
    vfCliApply *ca = g_new0(vfCliApply, 1);

    ca->cli = cli;
    ca->units = units;
    ca->own = cli->backend ? NULL : vfCliNewBackend(cli);
    ca->backend = cli->backend ? cli->backend : ca->own;
    ca->fws = vfUnitsPrograms(units, &ca->owner);
    ca->batch = (vfBatch){
        .programs = (virFirewall *const *)ca->fws->pdata,
        .n = ca->fws->len,
        .release = releaseProgram,
        .rebuild = rebuildProgram,
        .source_data = ca,
    };
    if (ks) {
        for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
            ca->batch.save[l] = ks->save[l];
        ca->batch.save_at = ks->at;
    }
    if (vfBackendGetKind(ca->backend) == VF_BACKEND_EXEC) {
        applyUnitByUnit(ca);
        return ca;
    }
    vfCliProgress(cli, "apply", 0, units->len);
    if (background) {
        ca->apply = vfBackendApplyBegin(ca->backend, &ca->batch);
    } else {
        ca->ok = vfBackendApplyBatch(ca->backend, &ca->batch, &ca->outcome, &ca->error);
    }
    return ca;
}

vfCliApply *
vfCliApplyBegin(vfCli *cli, GPtrArray *units, vfKernelState *ks)
{
    return applyBegin(cli, units, ks, TRUE);
}

const vfApplyOutcome *
vfCliApplyForetold(vfCliApply *ca, const gboolean **failed)
{
    const vfApplyOutcome *sofar = ca->apply ? vfApplyForetold(ca->apply) : NULL;

    if (!sofar)
        return NULL;
    if (!ca->failed) {
        ca->failed = g_new0(gboolean, ca->units->len + 1);
        for (gsize i = 0; i < sofar->n; i++) {
            if (sofar->errors[i])
                ca->failed[ca->owner[i]] = TRUE;
        }
    }
    *failed = ca->failed;
    return sofar;
}

gboolean
vfCliApplyFinish(vfCliApply *ca, GPtrArray **errorsOut, vfApplyStats *stats,
                 vfApplyResult *result, GError **error)
{
    GPtrArray *perUnit = g_ptr_array_new_full(ca->units->len, errorFreeNullable);
    gboolean ok;

    if (ca->apply)
        ca->ok = vfBackendApplyFinish(g_steal_pointer(&ca->apply), &ca->outcome, &ca->error);
    ok = ca->ok;
    if (ca->error)
        g_propagate_error(error, g_steal_pointer(&ca->error));
    if (stats)
        *stats = ca->outcome.stats;
    /* done with: the programs (20 MiB for 1000 VMs with IP filters) go
     * before the result tables become texts, the peak of a rebuild */
    for (guint i = 0; i < ca->units->len; i++)
        g_ptr_array_set_size(((vfUnit *)g_ptr_array_index(ca->units, i))->programs, 0);
    if (result)
        result->known = vfApplyOutcomeTake(&ca->outcome, result->save,
                                            &result->transactions);
    for (guint i = 0; i < ca->units->len; i++)
        g_ptr_array_add(perUnit, NULL);
    for (guint i = 0; i < ca->fws->len; i++) {
        GError *e = g_steal_pointer(&ca->outcome.errors[i]);
        if (!e)
            continue;
        if (!g_ptr_array_index(perUnit, ca->owner[i]))
            perUnit->pdata[ca->owner[i]] = e;
        else
            g_error_free(e);
    }
    *errorsOut = perUnit;

    vfApplyOutcomeClear(&ca->outcome);
    g_ptr_array_unref(ca->fws);
    g_free(ca->owner);
    g_free(ca->failed);
    vfBackendFree(ca->own);
    g_free(ca);
    return ok;
}

gboolean
vfCliApplyUnits(vfCli *cli, GPtrArray *units, vfKernelState *ks,
                GPtrArray **errorsOut, vfApplyStats *stats,
                vfApplyResult *result, GError **error)
{
    return vfCliApplyFinish(applyBegin(cli, units, ks, FALSE), errorsOut, stats,
                            result, error);
}

void
vfCliIndexKernel(GPtrArray *units, vfKernelState *ks)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();

    for (guint i = 0; i < units->len; i++) {
        vfUnit *u = g_ptr_array_index(units, i);
        if (u->ifname)
            g_ptr_array_add(names, u->ifname);
    }
    g_ptr_array_add(names, NULL);
    vfKernelStateIndex(ks, (const char *const *)names->pdata);
}

/*
 * Two virt-firewall processes writing the same namespace would each work
 * from a snapshot the other makes stale (ebtables has no lock at all), and
 * share the state file and kernel cache: the commands that write hold an
 * flock on STATE.lock. Waits up to --wait seconds (default 10), like -w.
 */
int
vfCliLock(vfCli *cli, const char *cmd)
{
    g_autofree char *statePath = vfCliStatePath(cli);
    g_autofree char *path = g_strdup_printf("%s.lock", statePath);
    g_autofree char *dir = g_path_get_dirname(statePath);
    gint64 deadline;

    if (cli->target_opts.dry_run)
        return VF_EXIT_OK;
    if (g_mkdir_with_parents(dir, 0755) < 0 ||
        (cli->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        fprintf(stderr, "virt-firewall %s: cannot open %s: %s\n", cmd, path,
                g_strerror(errno));
        return VF_EXIT_BATCH;
    }
    deadline = g_get_monotonic_time() +
               (cli->target_opts.wait > 0 ? cli->target_opts.wait : 10) * G_USEC_PER_SEC;
    while (flock(cli->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            fprintf(stderr, "virt-firewall %s: cannot lock %s: %s\n", cmd, path,
                    g_strerror(errno));
            return VF_EXIT_BATCH;
        }
        if (g_get_monotonic_time() >= deadline) {
            fprintf(stderr, "virt-firewall %s: another virt-firewall holds %s "
                    "(gave up after %d s)\n", cmd, path,
                    cli->target_opts.wait > 0 ? cli->target_opts.wait : 10);
            return VF_EXIT_BATCH;
        }
        g_usleep(G_USEC_PER_SEC / 50);
    }
    return VF_EXIT_OK;
}
