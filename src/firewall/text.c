/*
 * text.c: reading firewall programs from text
 */
#include "text.h"
#include "error.h"

struct _vfProgramSet {
    GPtrArray *programs;   /* of virFirewall* */
    GPtrArray *opaques;    /* callback data, freed with the set */
};

typedef struct {
    char *table;   /* of the query, for the rules it adds */
    char *chain;   /* ensure: the chain */
    char *parent;  /* ensure: the parent */
} vfQueryData;

static void
queryDataFree(vfQueryData *q)
{
    g_free(q->table);
    g_free(q->chain);
    g_free(q->parent);
    g_free(q);
}

void
vfProgramSetFree(vfProgramSet *set)
{
    if (!set)
        return;
    g_ptr_array_unref(set->programs);
    g_ptr_array_unref(set->opaques);
    g_free(set);
}

gsize
vfProgramSetCount(const vfProgramSet *set)
{
    return set->programs->len;
}

virFirewall *const *
vfProgramSetPrograms(const vfProgramSet *set)
{
    return (virFirewall *const *)set->programs->pdata;
}

static gboolean
looksLikeTarget(const char *name)
{
    for (const char *p = name; *p; p++) {
        if (g_ascii_islower(*p))
            return FALSE;
    }
    return TRUE;
}

static int
cleanupCallback(virFirewall *fw, virFirewallLayer layer,
                const char *const *lines, void *opaque)
{
    vfQueryData *q = opaque;

    for (gsize i = 0; lines && lines[i]; i++) {
        const char *j = strstr(lines[i], "-j ");
        g_autofree char *name = NULL;
        char *end;

        if (!j)
            continue;
        name = g_strdup(j + 3);
        if ((end = strchr(name, ' ')))
            *end = '\0';
        if (!*name || looksLikeTarget(name))
            continue;
        if (layer == VIR_FIREWALL_LAYER_ETHERNET)
            virFirewallAddRuleFull(fw, layer, false, cleanupCallback, q,
                                   "-t", q->table, "-L", name, NULL);
        else
            virFirewallAddRuleFull(fw, layer, false, cleanupCallback, q,
                                   "-t", q->table, "-S", name, NULL);
        virFirewallAddRuleFull(fw, layer, true, NULL, NULL,
                               "-t", q->table, "-F", name, NULL);
        virFirewallAddRuleFull(fw, layer, true, NULL, NULL,
                               "-t", q->table, "-X", name, NULL);
    }
    return 0;
}

static int
ensureCallback(virFirewall *fw, virFirewallLayer layer,
               const char *const *lines, void *opaque)
{
    vfQueryData *q = opaque;
    g_autofree char *decl = g_strdup_printf("-N %s", q->chain);
    g_autofree char *jump = g_strdup_printf("-A %s -j %s", q->parent, q->chain);
    gboolean haveChain = FALSE, haveJump = FALSE;

    for (gsize i = 0; lines && lines[i]; i++) {
        if (g_str_equal(lines[i], decl))
            haveChain = TRUE;
        if (g_str_equal(lines[i], jump))
            haveJump = TRUE;
    }
    if (!haveChain)
        virFirewallAddRule(fw, layer, "--table", q->table,
                           "--new-chain", q->chain, NULL);
    if (!haveJump)
        virFirewallAddRule(fw, layer, "--table", q->table,
                           "--insert", q->parent, "--jump", q->chain, NULL);
    return 0;
}

static const char *
argsTable(char **args)
{
    for (gsize i = 0; args[i] && args[i + 1]; i++) {
        if (g_str_equal(args[i], "-t") || g_str_equal(args[i], "--table"))
            return args[i + 1];
    }
    return "filter";
}

/* "FILE:LINE: message" for the 0-based line @n; NULL, for the caller to
 * return */
static G_GNUC_PRINTF(4, 5) vfProgramSet *
parseError(GError **error, const char *filename, gsize n, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VF_ERROR, VF_ERROR_PARSE, "%s:%zu: %s", filename, n + 1, msg);
    return NULL;
}

vfProgramSet *
vfProgramSetParse(const char *text, const char *filename, GError **error)
{
    g_autoptr(vfProgramSet) set = g_new0(vfProgramSet, 1);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    virFirewall *fw = NULL;

    set->programs = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallFree);
    set->opaques = g_ptr_array_new_with_free_func((GDestroyNotify)queryDataFree);

    for (gsize n = 0; lines[n]; n++) {
        g_auto(GStrv) words = NULL;
        g_autoptr(GError) shellErr = NULL;
        g_autofree char *stripped = g_strstrip(g_strdup(lines[n]));
        int layer;
        gsize i = 1;
        bool ignore = false;
        virFirewallQueryCallback cb = NULL;
        vfQueryData *q = NULL;

        if (!*stripped || *stripped == '#')
            continue;
        if (!g_shell_parse_argv(stripped, NULL, &words, &shellErr))
            return parseError(error, filename, n, "%s", shellErr->message);

        if (g_str_equal(words[0], "program")) {
            if (!words[1] || words[2])
                return parseError(error, filename, n, "'program' takes one name");
            fw = virFirewallNew(words[1]);
            g_ptr_array_add(set->programs, fw);
            continue;
        }
        if (!fw)
            return parseError(error, filename, n, "'%s' before the first 'program'",
                              words[0]);
        if (g_str_equal(words[0], "transaction") ||
            g_str_equal(words[0], "rollback")) {
            gboolean tx = g_str_equal(words[0], "transaction");
            unsigned int flags = 0;
            for (i = 1; words[i]; i++) {
                if (tx && g_str_equal(words[i], "ignore-errors"))
                    flags |= VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS;
                else if (tx && g_str_equal(words[i], "auto-rollback"))
                    flags |= VIR_FIREWALL_TRANSACTION_AUTO_ROLLBACK;
                else if (!tx && g_str_equal(words[i], "inherit-previous"))
                    flags |= VIR_FIREWALL_ROLLBACK_INHERIT_PREVIOUS;
                else
                    return parseError(error, filename, n, "unknown flag '%s'", words[i]);
            }
            if (tx)
                virFirewallStartTransaction(fw, flags);
            else
                virFirewallStartRollback(fw, flags);
            continue;
        }
        if ((layer = virFirewallLayerFromString(words[0])) < 0)
            return parseError(error, filename, n, "unknown keyword or layer '%s'",
                              words[0]);

        for (; words[i]; i++) {
            if (g_str_equal(words[i], "ignore")) {
                ignore = true;
            } else if (g_str_has_prefix(words[i], "query=")) {
                g_auto(GStrv) parts = g_strsplit(words[i] + 6, ":", -1);
                q = g_new0(vfQueryData, 1);
                g_ptr_array_add(set->opaques, q);
                if (g_str_equal(parts[0], "cleanup") && !parts[1]) {
                    cb = cleanupCallback;
                } else if (g_str_equal(parts[0], "ensure") && parts[1] &&
                           parts[2] && !parts[3]) {
                    cb = ensureCallback;
                    q->chain = g_strdup(parts[1]);
                    q->parent = g_strdup(parts[2]);
                } else {
                    return parseError(error, filename, n, "unknown query callback '%s'",
                                      words[i] + 6);
                }
            } else {
                break;
            }
        }
        if (!words[i])
            return parseError(error, filename, n, "rule without arguments");
        if (q)
            q->table = g_strdup(argsTable(words + i));
        virFirewallAddRuleFullV(fw, layer, ignore, cb, q,
                                (const char *const *)words + i);
    }
    return g_steal_pointer(&set);
}
