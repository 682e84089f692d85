/*
 * snapshot.c: *-save text → tables
 */
#include "snapshot.h"
#include "syntax.h"
#include "error.h"

#include <string.h>

const char *
vfSnapshotSaveBinary(virFirewallLayer layer)
{
    static const char *const names[] = {
        "ebtables-save", "iptables-save", "ip6tables-save",
    };
    return names[layer];
}

#define VF_SHORT_WORD 64

/* The word at *p (blanks skipped first) into @buf, NUL-terminated, and *p
 * past it; FALSE where the full tokenizer has to say (a quote or a
 * backslash in it) or the word does not fit. */
static gboolean
plainWord(const char **p, const char *end, char buf[VF_SHORT_WORD])
{
    const char *w;

    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
    w = *p;
    while (*p < end && **p != ' ' && **p != '\t') {
        if (**p == '"' || **p == '\'' || **p == '\\')
            return FALSE;
        (*p)++;
    }
    if (*p - w >= VF_SHORT_WORD)
        return FALSE;
    memcpy(buf, w, *p - w);
    buf[*p - w] = '\0';
    return TRUE;
}

/* ":NAME POLICY [counters]" without quotes, cut in place (9000 of them at
 * N=1000); FALSE for the tokenizer to parse. */
static gboolean
plainDeclaration(const char *line, const char *end, char name[VF_SHORT_WORD],
                 char policy[VF_SHORT_WORD])
{
    const char *p = line + 1;

    if (memchr(line, '"', end - line) || memchr(line, '\\', end - line) ||
        memchr(line, '\'', end - line))
        return FALSE;
    return plainWord(&p, end, name) && plainWord(&p, end, policy) &&
           *name && *policy;
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
    gsize runNameLen = 0;
    guint next = G_MAXUINT;   /* the index of the chain of the last run */
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
            /* the chain's name; a quote in it: the full tokenizer says
             * (comments later in the line are no obstacle) */
            char chainName[VF_SHORT_WORD];
            const char *w = at + 3;
            gboolean plain;
            vfChain *chain = NULL;
            /* 38 000 lines at N=1000, nearly all going on a run */
            if (run && le - at > 3 + (gssize)runNameLen &&
                !memcmp(at + 3, run->name, runNameLen) &&
                (at[3 + runNameLen] == ' ' || at[3 + runNameLen] == '\t')) {
                runEnd = p;
                continue;
            }
            plain = plainWord(&w, le, chainName);
            END_RUN();
            /* *-save prints the runs in the order it declared the chains:
             * the next one is most often the next chain, no lookup */
            next++;
            if (plain && next < table->chains->len &&
                g_str_equal(((vfChain *)table->chains->pdata[next])->name, chainName))
                chain = table->chains->pdata[next];
            else if (plain)
                chain = vfTableGetChain(table, chainName);
            if (chain) {
                run = chain;
                runNameLen = strlen(chain->name);
                runStart = at;
                runEnd = p;
                continue;
            }
        }
        END_RUN();
        if (*at == ':' && table) {
            char name[VF_SHORT_WORD], policy[VF_SHORT_WORD];
            vfChain *chain;
            if (plainDeclaration(at, le, name, policy)) {
                if ((chain = vfTableGetChain(table, name)))
                    vfTableSetPolicy(table, chain, policy);
                else
                    vfTableAddChain(table, name, FALSE,
                                    g_str_equal(policy, "-") ? NULL : policy);
                continue;
            }
        }
        line = g_strndup(at, le - at);
        if (*line == '*') {
            next = G_MAXUINT;
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
                vfTableSetPolicy(table, chain, w[1]);
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
