/*
 * snapshot.c: *-save text → tables
 */
#include "snapshot.h"
#include "savefmt.h"
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

/*
 * What *-save prints is read the way savefmt.h says: chain names as they
 * are (a quote, a blank or a line break in one is the name's), a line
 * that goes on where a quoted comment or a name holds a line break. What
 * cannot be read (a table this tool does not know, a line no declared
 * chain owns) is foreign: skipped, and the set marked inexact, never a
 * reason to stop.
 */

/* Names with a blank or a line break: a "-A" line of one is found by its
 * name, not by its first word. */
static gboolean
oddName(const char *name, gsize len)
{
    return memchr(name, ' ', len) || memchr(name, '\n', len);
}

/* The chain the "-A" line at @at belongs to, and where its rule text
 * starts. */
static vfChain *
lineChain(vfTable *table, GPtrArray *odd, guint *next, const char *at,
          const char *end, const char **rule)
{
    const char *w = at + 3, *we = w;
    vfChain *chain = NULL;
    gsize best = 0;

    for (guint i = 0; i < odd->len; i++) {
        vfChain *c = g_ptr_array_index(odd, i);
        gsize len = strlen(c->name);
        if (len > best && (gsize)(end - w) >= len && !memcmp(w, c->name, len) &&
            (w + len == end || w[len] == ' ' || w[len] == '\n')) {
            chain = c;
            best = len;
        }
    }
    if (!chain) {
        const char *nextName;
        while (we < end && *we != ' ' && *we != '\n')
            we++;
        best = we - w;
        /* *-save prints the runs in the order it declared the chains:
         * the next one is most often the next chain, no lookup */
        (*next)++;
        if (*next < table->chains->len &&
            strlen(nextName = ((vfChain *)table->chains->pdata[*next])->name) == best &&
            !memcmp(nextName, w, best)) {
            chain = table->chains->pdata[*next];
        } else {
            /* 9000 runs at N=1000: names on the stack */
            char buf[64];
            g_autofree char *heap = best < sizeof(buf) ? NULL : g_strndup(w, best);
            if (!heap) {
                memcpy(buf, w, best);
                buf[best] = '\0';
            }
            chain = vfTableGetChain(table, heap ? heap : buf);
        }
    }
    *rule = w + best < end && w[best] == ' ' ? w + best + 1 : w + best;
    return chain;
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

typedef struct {
    vfTableSet *set;
    const char *counted;   /* line breaks before it are in lineNo */
    gsize lineNo;
} vfSkips;

/* A line left alone: said (with its physical line number) in the debug
 * log, and the set is no longer what *-save printed. */
static void
skipped(vfSkips *sk, const char *at, const char *le, const char *why)
{
    g_autofree char *head = g_strndup(at, MIN(le - at, 200));
    g_autofree char *shown = g_strescape(head, NULL);

    for (const char *q; (q = memchr(sk->counted, '\n', at - sk->counted)); sk->counted = q + 1)
        sk->lineNo++;
    sk->set->inexact = TRUE;
    g_debug("%s line %zu: %s, left alone: '%s'", vfSnapshotSaveBinary(sk->set->layer),
            sk->lineNo + 1, why, shown);
}

/* A line kept, but read in a way other text after it could change (so
 * its tables, printed in another order, may not read back the same): the
 * set is no longer sure to print what *-save printed. */
static void
unsure(vfSkips *sk, const char *at, const char *le, const char *why)
{
    g_autofree char *head = g_strndup(at, MIN(le - at, 200));
    g_autofree char *shown = g_strescape(head, NULL);

    sk->set->inexact = TRUE;
    g_debug("%s: %s, kept as read: '%s'", vfSnapshotSaveBinary(sk->set->layer), why, shown);
}

gboolean
vfSnapshotParseBytes(vfTableSet *set, GBytes *bytes, GError **error G_GNUC_UNUSED)
{
    gsize size;
    const char *data = g_bytes_get_data(bytes, &size);
    const char *p = data ? data : "", *end = p + size;   /* empty: NULL */
    virFirewallLayer layer = set->layer;
    vfTable *table = NULL;
    gboolean foreignTable = FALSE;   /* in a table this tool does not know */
    g_autoptr(GPtrArray) odd = g_ptr_array_new();   /* of table's vfChain* */
    vfChain *run = NULL;
    gsize runNameLen = 0;
    guint next = G_MAXUINT;   /* the index of the chain of the last run */
    const char *runStart = NULL, *runEnd = NULL;
    gboolean rulesRead = FALSE;   /* "-A" lines read in this table's block */
    vfSkips sk = { set, p, 0 };

#define END_RUN() \
    do { \
        if (run) \
            vfTableAddLines(table, run, runStart, runEnd - runStart); \
        run = NULL; \
    } while (0)

    while (p < end) {
        const char *at = p, *le, *rule = NULL;
        vfChain *chain = NULL;
        gboolean openQuote;

        if (*at == '\n') {
            END_RUN();   /* a run holds "-A" lines only */
            p++;
            continue;
        }
        if (end - at > 3 && !memcmp(at, "-A ", 3) && table) {
            /* 38 000 lines at N=1000, nearly all going on a run */
            if (run && !odd->len && (gsize)(end - at) > 3 + runNameLen &&
                !memcmp(at + 3, run->name, runNameLen) &&
                (at[3 + runNameLen] == ' ' || at[3 + runNameLen] == '\n')) {
                rule = at + 3 + runNameLen + (at[3 + runNameLen] == ' ');
                chain = run;
            } else {
                chain = lineChain(table, odd, &next, at, end, &rule);
            }
            rulesRead = TRUE;
            le = vfSaveLineEndOpen(layer, at, rule, end, &openQuote);
            p = le < end ? le + 1 : end;
            if (openQuote)
                unsure(&sk, at, le, "a quote that does not close");
            if (chain == run && run) {
                runEnd = p;
                continue;
            }
            END_RUN();
            if (!chain) {
                skipped(&sk, at, le, "a rule of no chain declared");
                continue;
            }
            run = chain;
            runNameLen = strlen(chain->name);
            runStart = at;
            runEnd = p;
            continue;
        }
        END_RUN();
        if (end - at > 3 && !memcmp(at, "-A ", 3)) {
            /* outside any table this tool knows: the rule's words still
             * say where the line ends */
            const char *w = at + 3;
            while (w < end && *w != ' ' && *w != '\n')
                w++;
            rule = w < end && *w == ' ' ? w + 1 : w;
        }
        le = vfSaveLineEnd(layer, at, rule, end);
        p = le < end ? le + 1 : end;
        if (*at == '#')
            continue;
        if (*at == '*') {
            g_autofree char *name = g_strndup(at + 1, le - at - 1);
            next = G_MAXUINT;
            g_ptr_array_set_size(odd, 0);
            foreignTable = FALSE;
            rulesRead = FALSE;
            if (!(table = vfTableSetEnsure(set, name))) {
                foreignTable = TRUE;
                skipped(&sk, at, le, "a table this tool does not know");
                continue;
            }
            if (!table->sources->len ||
                g_ptr_array_index(table->sources, table->sources->len - 1) != bytes)
                g_ptr_array_add(table->sources, g_bytes_ref(bytes));
            /* chains declared before (a table printed twice) */
            for (guint i = 0; i < table->chains->len; i++) {
                vfChain *c = g_ptr_array_index(table->chains, i);
                if (oddName(c->name, strlen(c->name)))
                    g_ptr_array_add(odd, c);
            }
            continue;
        }
        if (le - at == 6 && !memcmp(at, "COMMIT", 6)) {
            table = NULL;
            foreignTable = FALSE;
            continue;
        }
        if (foreignTable)
            continue;   /* already said */
        if (*at == ':' && table) {
            const char *name, *policy;
            gsize nameLen, policyLen;
            g_autofree char *pol = NULL;
            char nameBuf[64];
            char *heapName = NULL;

            if (!vfSaveSplitDeclaration(layer, at, le, &name, &nameLen, &policy, &policyLen)) {
                skipped(&sk, at, le, "a chain declaration without a policy");
                continue;
            }
            /* 9000 of them at N=1000: names on the stack */
            if (nameLen < sizeof(nameBuf)) {
                memcpy(nameBuf, name, nameLen);
                nameBuf[nameLen] = '\0';
            } else {
                heapName = g_strndup(name, nameLen);
            }
            pol = g_strndup(policy, policyLen);
            if ((chain = vfTableGetChain(table, heapName ? heapName : nameBuf))) {
                vfTableSetPolicy(table, chain, g_str_equal(pol, "-") ? NULL : pol);
            } else {
                chain = vfTableAddChain(table, heapName ? heapName : nameBuf, FALSE,
                                        g_str_equal(pol, "-") ? NULL : pol);
                if (oddName(name, nameLen)) {
                    g_ptr_array_add(odd, chain);
                    /* *-save declares every chain before the rules; lines
                     * read before this name was known went to a shorter
                     * name ("-A INPUT -m" to INPUT, not "INPUT -m"), which
                     * the tables printed in order would not (fuzz-snapshot) */
                    if (rulesRead)
                        unsure(&sk, at, le, "a chain with a blank or a line break in its "
                               "name declared after rules");
                }
            }
            g_free(heapName);
            continue;
        }
        skipped(&sk, at, le, table ? "a line *-save does not print"
                                          : "a line outside a table");
    }
    END_RUN();
    /* unparsed lines may refer to any chain the text left, builtins too */
    for (guint i = 0; i < set->tables->len; i++) {
        vfTable *t = g_ptr_array_index(set->tables, i);
        for (guint j = 0; j < t->chains->len; j++)
            ((vfChain *)g_ptr_array_index(t->chains, j))->fromSave = TRUE;
    }
#undef END_RUN
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

char *
vfSnapshotReadCounted(vfRunner *runner, virFirewallLayer layer, GPtrArray *rules,
                      GError **error)
{
    const char *argv[] = { vfSnapshotSaveBinary(layer), "-c", NULL };
    g_auto(vfRunResult) res = { 0 };

    if (!vfRunnerRun(runner, argv, NULL, &res, error))
        return NULL;
    if (res.status != 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_TOOL, "%s -c failed (exit %d): %s",
                    argv[0], res.status, g_strstrip(res.err));
        return NULL;
    }
    return vfSaveReadCounters(layer, res.out, strlen(res.out), rules);
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
