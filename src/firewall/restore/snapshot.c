/*
 * snapshot.c: *-save text → tables
 */
#include "snapshot.h"
#include "syntax.h"
#include "error.h"

const char *
vfSnapshotSaveBinary(virFirewallLayer layer)
{
    static const char *const names[] = {
        "ebtables-save", "iptables-save", "ip6tables-save",
    };
    return names[layer];
}

gboolean
vfSnapshotParse(vfTableSet *set, const char *text, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    vfTable *table = NULL;

    for (gsize n = 0; lines[n]; n++) {
        const char *line = lines[n];

        if (*line == '\0' || *line == '#')
            continue;
        if (*line == '*') {
            if (!(table = vfTableSetEnsure(set, line + 1))) {
                g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                            "%s line %zu: unknown table '%s'",
                            vfSnapshotSaveBinary(set->layer), n + 1, line + 1);
                return FALSE;
            }
            continue;
        }
        if (g_str_equal(line, "COMMIT")) {
            table = NULL;
            continue;
        }
        if (!table) {
            g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                        "%s line %zu: '%s' outside a table",
                        vfSnapshotSaveBinary(set->layer), n + 1, line);
            return FALSE;
        }
        if (*line == ':') {
            g_auto(GStrv) w = vfSyntaxSplit(line + 1);
            vfChain *chain;
            if (!w[0] || !w[1])
                goto bad;
            if ((chain = vfTableGetChain(table, w[0]))) {
                g_free(chain->policy);
                chain->policy = g_strdup(w[1]);
            } else {
                vfTableAddChain(table, w[0], FALSE,
                                g_str_equal(w[1], "-") ? NULL : w[1]);
            }
            continue;
        }
        if (g_str_has_prefix(line, "-A ")) {
            g_auto(GStrv) w = vfSyntaxSplit(line + 3);
            vfChain *chain;
            if (!w[0] || !(chain = vfTableGetChain(table, w[0])))
                goto bad;
            vfTableInsertRule(table, chain, chain->rules->len,
                              vfRulePack((const char *const *)w + 1));
            continue;
        }
    bad:
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                    "%s line %zu: cannot parse '%s'",
                    vfSnapshotSaveBinary(set->layer), n + 1, line);
        return FALSE;
    }
    return TRUE;
}

char *
vfSnapshotReadText(vfRunner *runner, virFirewallLayer layer, GError **error)
{
    const char *argv[] = { vfSnapshotSaveBinary(layer), NULL };
    g_auto(vfRunResult) res = { 0 };

    if (!vfRunnerRun(runner, argv, NULL, &res, error))
        return NULL;
    if (res.status != 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_TOOL, "%s failed (exit %d): %s",
                    argv[0], res.status, g_strstrip(res.err));
        return NULL;
    }
    return g_steal_pointer(&res.out);
}

vfTableSet *
vfSnapshotRead(vfRunner *runner, virFirewallLayer layer, GError **error)
{
    g_autoptr(vfTableSet) set = vfTableSetNew(layer);
    g_autofree char *text = vfSnapshotReadText(runner, layer, error);

    if (!text || !vfSnapshotParse(set, text, error))
        return NULL;
    return g_steal_pointer(&set);
}
