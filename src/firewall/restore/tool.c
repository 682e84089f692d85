/*
 * tool.c: running one restore script and reading what the tool says
 */
#include "restore.h"
#include "error.h"
#include "render.h"

#include <stdlib.h>

#define VF_RESTORE_LOCK_TRIES 4

const char *
vfRestoreLayerLabel(virFirewallLayer layer)
{
    static const char *const labels[] = { "ebtables", "iptables", "ip6tables" };
    return labels[layer];
}

char *
vfRestoreTableKey(virFirewallLayer layer, const char *table)
{
    return g_strdup_printf("%d:%s", layer, table);
}

/* "line 12 failed", "line 12: RULE_APPEND failed", "Error occurred at
 * line: 12" */
guint
vfRestoreFailedLine(const char *err)
{
    const char *p = err;

    while ((p = strstr(p, "line"))) {
        const char *q = p + 4;
        if (*q == ':')
            q++;
        while (*q == ' ')
            q++;
        if (g_ascii_isdigit(*q))
            return atoi(q);
        p += 4;
    }
    return 0;
}

static gboolean
isLockError(int status, const char *err)
{
    return status == 4 && (strstr(err, "xtables lock") || strstr(err, "holding the lock"));
}

gboolean
vfRestoreRunScript(const vfRestoreRun *run, virFirewallLayer layer,
                   const char *text, vfRunResult *res, vfApplyStats *stats,
                   GError **error)
{
    g_auto(GStrv) argv = vfRenderRestoreArgv(layer, run->options->wait_seconds);

    for (guint attempt = 0;; attempt++) {
        if (!vfRunnerRun(run->options->runner, (const char *const *)argv, text,
                         res, error)) {
            g_prefix_error(error, "cannot run %s: ", argv[0]);
            return FALSE;
        }
        if (!isLockError(res->status, res->err))
            return TRUE;
        if (attempt + 1 >= VF_RESTORE_LOCK_TRIES) {
            g_set_error(error, VF_ERROR, VF_ERROR_LOCKED,
                        "%s: the xtables lock is held by another process "
                        "(gave up after %u tries): %s",
                        argv[0], attempt + 1, g_strstrip(res->err));
            return FALSE;
        }
        stats->lock_retries++;
        g_usleep(G_USEC_PER_SEC / 4 << attempt);
    }
}

char *
vfRestoreDescribeFailure(const char *text, guint line, virFirewallLayer layer,
                         const char *table, const char *err)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(lines);
    GString *out = g_string_new(NULL);
    g_autofree char *msg = g_strdup(err);

    g_string_append_printf(out, "%s (%s-restore, table %s, line %u:",
                           *g_strstrip(msg) ? msg : "no message",
                           vfRestoreLayerLabel(layer), table, line);
    for (guint i = line > 2 ? line - 2 : 1; i <= line + 1 && i <= n; i++) {
        if (i - 1 < n && *lines[i - 1])
            g_string_append_printf(out, "\n  %s%u: %s", i == line ? "> " : "  ",
                                   i, lines[i - 1]);
    }
    g_string_append(out, ")");
    return g_string_free(out, FALSE);
}

void
vfRestoreDecideListing(const vfRestoreRun *run, vfPlanScript *script,
                       vfTableSet *const *before)
{
    vfTable *table = before && before[script->layer] ?
                     vfTableSetGet(before[script->layer], script->table) : NULL;

    switch (run->listing) {
    case VF_LISTING_OFF:
        script->listing = FALSE;
        break;
    case VF_LISTING_ALWAYS:
        script->listing = vfRenderListingSafe(script, table);
        break;
    case VF_LISTING_AUTO:
        script->listing = before && vfRenderListingPays(script, table) &&
                          vfRenderListingSafe(script, table);
        break;
    }
}
