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

/* The chain an "-A" line appends to; NULL if the full tokenizer has to
 * say (a quote in it: comments later in the line are no obstacle). */
static char *
lineChain(const char *line, const char *end)
{
    const char *p = line + 3, *w;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    w = p;
    while (p < end && *p != ' ' && *p != '\t') {
        if (*p++ == '"')
            return NULL;
    }
    return g_strndup(w, p - w);
}

/*
 * Chains are declared from the ':' lines; each chain's "-A" lines (*-save
 * prints them together) are handed to the table unparsed, as one run.
 */
gboolean
vfSnapshotParse(vfTableSet *set, const char *text, GError **error)
{
    g_autoptr(GBytes) bytes = g_bytes_new(text, strlen(text));

    return vfSnapshotParseBytes(set, bytes, error);
}

gboolean
vfSnapshotParseBytes(vfTableSet *set, GBytes *bytes, GError **error)
{
    gsize size;
    const char *data = g_bytes_get_data(bytes, &size);
    const char *p = data ? data : "", *end = p + size;   /* empty: NULL */
    vfTable *table = NULL;
    vfChain *run = NULL;
    const char *runStart = NULL, *runEnd = NULL;
    gsize n = 0;
    gboolean ok = FALSE;

#define END_RUN() \
    do { \
        if (run) \
            vfTableAddLines(table, run, runStart, runEnd - runStart); \
        run = NULL; \
    } while (0)

    for (; p < end; n++) {
        const char *nl = memchr(p, '\n', end - p);
        const char *le = nl ? nl : end;
        g_autofree char *line = NULL;
        const char *at = p;

        p = nl ? nl + 1 : end;
        if (le == at || *at == '#') {
            END_RUN();   /* a run holds "-A" lines only */
            continue;
        }
        if (le - at > 3 && !memcmp(at, "-A ", 3) && table) {
            g_autofree char *chainName = lineChain(at, le);
            vfChain *chain;
            if (chainName && run && g_str_equal(chainName, run->name)) {
                runEnd = p;
                continue;
            }
            END_RUN();
            if (chainName && (chain = vfTableGetChain(table, chainName))) {
                run = chain;
                runStart = at;
                runEnd = p;
                continue;
            }
        }
        END_RUN();
        line = g_strndup(at, le - at);
        if (*line == '*') {
            if (!(table = vfTableSetEnsure(set, line + 1))) {
                g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                            "%s line %zu: unknown table '%s'",
                            vfSnapshotSaveBinary(set->layer), n + 1, line + 1);
                goto out;
            }
            if (!table->sources->len ||
                g_ptr_array_index(table->sources, table->sources->len - 1) != bytes)
                g_ptr_array_add(table->sources, g_bytes_ref(bytes));
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
            goto out;
        }
        if (*line == ':') {
            /* 9000 of them at N=1000: cut unquoted ones in place */
            g_auto(GStrv) w = strchr(line, '"') ? vfSyntaxSplit(line + 1)
                                                : g_strsplit_set(line + 1, " \t", 3);
            vfChain *chain;
            if (w[0] && w[1] && !strchr(line, '"') && (!*w[0] || !*w[1])) {
                /* blanks in a row: the tokenizer skips them */
                g_strfreev(w);
                w = vfSyntaxSplit(line + 1);
            }
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
            /* quoted: the full tokenizer names the chain */
            g_auto(GStrv) w = vfSyntaxSplit(line + 3);
            vfChain *chain;
            if (!w[0] || !(chain = vfTableGetChain(table, w[0])))
                goto bad;
            vfTableInsertRule(table, chain, vfChainRules(table, chain)->len,
                              vfRulePack((const char *const *)w + 1));
            continue;
        }
    bad:
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                    "%s line %zu: cannot parse '%s'",
                    vfSnapshotSaveBinary(set->layer), n + 1, line);
        goto out;
    }
    END_RUN();
    /* unparsed lines may refer to any chain the text left, builtins too */
    for (guint i = 0; i < set->tables->len; i++) {
        vfTable *t = g_ptr_array_index(set->tables, i);
        for (guint j = 0; j < t->chains->len; j++)
            ((vfChain *)g_ptr_array_index(t->chains, j))->fromSave = TRUE;
    }
    ok = TRUE;
#undef END_RUN
 out:
    return ok;
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
    char *text = vfSnapshotReadText(runner, layer, error);
    g_autoptr(GBytes) bytes = NULL;

    if (!text)
        return NULL;
    bytes = g_bytes_new_take(text, strlen(text));   /* the tables keep it */
    if (!vfSnapshotParseBytes(set, bytes, error))
        return NULL;
    return g_steal_pointer(&set);
}
