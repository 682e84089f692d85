/*
 * firewall_backend.c: network.conf's firewall_backend, and the detection
 * used when it is not set
 */
#include "vfconf.h"

#include "firewall/error.h"

#define FIREWALL_BACKEND_KEY "firewall_backend"
#define FIREWALL_BACKEND_NFTABLES "nftables"

typedef struct {
    const char *value;      /* as written in network.conf */
    vfBackendKind kind;
    const char *what;       /* for the log */
} vfConfBackendName;

static const vfConfBackendName backendNames[] = {
    { "iptables", VF_BACKEND_EXEC,
      "exec backend: one iptables process per rule, as libvirt" },
    { "iptables-restore", VF_BACKEND_RESTORE,
      "restore backend: one *-restore process per table" },
};

typedef struct {
    const char *tool;
    /* iptables-restore and ip6tables-restore answer --version with exit 0.
     * ebtables-restore has no such option (it prints its usage and exits
     * 1): for it, starting and exiting normally is the test. */
    gboolean needs_success;
} vfConfProbe;

static const vfConfProbe probes[] = {
    { "iptables-restore", TRUE },
    { "ip6tables-restore", TRUE },
    { "ebtables-restore", FALSE },
};

gboolean
vfConfProbeRestoreTools(vfRunner *runner, char **why)
{
    g_autoptr(vfRunner) own = NULL;

    if (!runner)
        runner = own = vfRunnerNewSubprocess(-1);

    for (gsize i = 0; i < G_N_ELEMENTS(probes); i++) {
        g_autofree char *path = g_find_program_in_path(probes[i].tool);
        const char *argv[] = { NULL, "--version", NULL };
        g_auto(vfRunResult) res = { 0 };
        g_autoptr(GError) local = NULL;

        if (!path) {
            *why = g_strdup_printf("%s not found in PATH", probes[i].tool);
            return FALSE;
        }
        /* by name, as the backend runs the tools: a caller's runner
         * (libvirt's virCommand) finds it in the same PATH */
        argv[0] = probes[i].tool;
        if (!vfRunnerRun(runner, argv, NULL, &res, &local)) {
            *why = g_strdup_printf("%s cannot be run: %s", path,
                                   local->message);
            return FALSE;
        }
        /* 126/127: found but not executable; >= 128: killed */
        if (res.status >= 126 || (probes[i].needs_success && res.status != 0)) {
            *why = g_strdup_printf("'%s --version' exited with status %d",
                                   path, res.status);
            return FALSE;
        }
    }
    *why = g_strdup("iptables-restore, ip6tables-restore and ebtables-restore "
                    "found and working");
    return TRUE;
}

/* The real probe runs once per process. */
static gboolean
probeCached(char **why)
{
    static gsize done;
    static gboolean ok;
    static char *cachedWhy;

    if (g_once_init_enter(&done)) {
        ok = vfConfProbeRestoreTools(NULL, &cachedWhy);
        g_once_init_leave(&done, 1);
    }
    *why = g_strdup(cachedWhy);
    return ok;
}

gboolean
vfConfGetFirewallBackend(const vfConf *conf, vfRunner *runner,
                         vfBackendKind *kind, char **reason, GError **error)
{
    g_autofree char *value = NULL;
    g_autofree char *why = NULL;
    const char *source = conf ? vfConfGetFilename(conf) : "(no file)";
    int rc = 0;

    if (conf && (rc = vfConfGetString(conf, FIREWALL_BACKEND_KEY,
                                      &value, error)) < 0)
        return FALSE;

    if (rc > 0 && g_str_equal(value, FIREWALL_BACKEND_NFTABLES)) {
        /* libvirt >= 10.4: the network driver writes its own nft tables;
         * nwfilter still runs ebtables/iptables, as if nothing were set */
        vfBackendKind detected;
        gboolean restore = runner ? vfConfProbeRestoreTools(runner, &why) : probeCached(&why);

        detected = restore ? VF_BACKEND_RESTORE : VF_BACKEND_EXEC;
        *kind = detected;
        *reason = g_strdup_printf("%s = \"%s\" in %s: the networks' rules are libvirt's "
                                  "own nftables tables; for the filter bindings %s: %s",
                                  FIREWALL_BACKEND_KEY, value, source, why,
                                  backendNames[restore ? 1 : 0].what);
        return TRUE;
    }
    if (rc > 0) {
        for (gsize i = 0; i < G_N_ELEMENTS(backendNames); i++) {
            if (g_str_equal(value, backendNames[i].value)) {
                *kind = backendNames[i].kind;
                *reason = g_strdup_printf("%s = \"%s\" in %s: %s",
                                          FIREWALL_BACKEND_KEY, value, source,
                                          backendNames[i].what);
                return TRUE;
            }
        }
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "%s:%d: unsupported %s value '%s' "
                    "(expected \"iptables\", \"iptables-restore\" or \"nftables\")",
                    source, vfConfGetLine(conf, FIREWALL_BACKEND_KEY),
                    FIREWALL_BACKEND_KEY, value);
        return FALSE;
    }

    if (runner ? vfConfProbeRestoreTools(runner, &why) : probeCached(&why)) {
        *kind = VF_BACKEND_RESTORE;
        *reason = g_strdup_printf("%s not set in %s; %s: %s",
                                  FIREWALL_BACKEND_KEY, source, why,
                                  backendNames[1].what);
    } else {
        *kind = VF_BACKEND_EXEC;
        *reason = g_strdup_printf("%s not set in %s; %s: %s",
                                  FIREWALL_BACKEND_KEY, source, why,
                                  backendNames[0].what);
    }
    return TRUE;
}

gboolean
vfConfNetworksUseNftables(const vfConf *conf)
{
    g_autofree char *value = NULL;

    return conf && vfConfGetString(conf, FIREWALL_BACKEND_KEY, &value, NULL) > 0 &&
           g_str_equal(value, FIREWALL_BACKEND_NFTABLES);
}
