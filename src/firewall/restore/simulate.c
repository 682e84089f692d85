/*
 * simulate.c: libvirt's group walk against a model of the tables
 *
 * What the kernel would say to each command is decided here, from the
 * model, with the tools' own messages; what the model cannot know (a
 * missing ipset, an option the kernel rejects) is learned from a failing
 * restore and handed back in as a fact.
 */
#include "simulate.h"
#include "normalize.h"
#include "syntax.h"
#include "savefmt.h"
#include "error.h"

void
vfLogEntryFree(vfLogEntry *e)
{
    if (e->pooled) {
        g_free(e->words);
    } else {
        g_free(e->table);
        g_strfreev(e->words);
        g_free(e->chain);
        g_free(e->chain2);
        g_free(e->target);
    }
    g_free(e->describe);
    if (e->undo)
        g_ptr_array_unref(e->undo);
    if (e->released)
        g_ptr_array_unref(e->released);
    g_free(e->ruleKey);
    g_free(e->factKey);
    g_free(e);
}

GStrv
vfLogLine(gboolean pooled, const char *a, const char *b, const char *c,
        const char *const *spec)
{
    const char *head[] = { a, b, c };
    gsize n = spec ? g_strv_length((char **)spec) : 0;
    char **line;
    gsize k = 0;

    for (gsize i = 0; i < G_N_ELEMENTS(head); i++)
        n += head[i] != NULL;
    line = g_new(char *, n + 1);
    for (gsize i = 0; k < n; i++) {
        const char *w = i < G_N_ELEMENTS(head) ? head[i] : spec[i - G_N_ELEMENTS(head)];
        if (w)
            line[k++] = pooled ? (char *)virFirewallIntern(w) : g_strdup(w);
    }
    line[k] = NULL;
    return line;
}

/* A pooled string as an entry's field (vfLogEntry.pooled). */
static char *
pooledField(const char *str)
{
    return (char *)virFirewallIntern(str);
}

vfLogEntry *
vfLogEntryFromWords(virFirewallLayer layer, const char *table,
                    const char *const *words)
{
    g_autoptr(vfCommand) cmd = vfCommandParse(layer, words, NULL);
    vfLogEntry *e;

    if (!cmd)
        return NULL;
    e = g_new0(vfLogEntry, 1);
    e->layer = layer;
    e->table = g_strdup(table);
    e->words = g_strdupv((char **)words);
    e->op = cmd->op;
    e->chain = g_strdup(cmd->chain);
    if (cmd->op == VF_OP_RENAME)
        e->chain2 = g_strdup(cmd->arg);
    e->target = g_strdup(vfSpecTarget((const char *const *)cmd->spec));
    e->specStart = cmd->op == VF_OP_INSERT && cmd->pos ? 3 : 2;
    return e;
}

const char *
vfLogEntryDescribe(vfLogEntry *e)
{
    if (!e->describe) {
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        if (e->table) {
            g_ptr_array_add(args, (gpointer)"-t");
            g_ptr_array_add(args, e->table);
        }
        for (gsize i = 0; e->words && e->words[i]; i++)
            g_ptr_array_add(args, e->words[i]);
        g_ptr_array_add(args, NULL);
        e->describe = virFirewallArgsToString(e->layer,
                                              (const char *const *)args->pdata);
    }
    return e->describe;
}

/* Records a line that reverses @e and cannot be derived from it later
 * (what a delete or a flush removed, a policy it replaced). */
static void
undoAdd(vfLogEntry *e, GStrv line)
{
    if (!e->undo)
        e->undo = g_ptr_array_new_with_free_func(e->pooled ? g_free
                                                 : (GDestroyNotify)g_strfreev);
    g_ptr_array_add(e->undo, line);
}

GPtrArray *
vfLogEntryUndo(vfLogEntry *e)
{
    if (e->undo)
        return e->undo;
    e->undo = g_ptr_array_new_with_free_func(e->pooled ? g_free
                                             : (GDestroyNotify)g_strfreev);
    switch (e->op) {
    case VF_OP_APPEND:
    case VF_OP_INSERT:
        /* by spec, not by position: a foreign rule added meanwhile must
         * neither be deleted nor shift what is */
        g_ptr_array_add(e->undo, vfLogLine(e->pooled, "-D", e->chain, NULL,
                                         (const char *const *)e->words + e->specStart));
        break;
    case VF_OP_NEW_CHAIN:
        g_ptr_array_add(e->undo, vfLogLine(e->pooled, "-X", e->chain, NULL, NULL));
        break;
    case VF_OP_DELETE_CHAIN:
        /* a policy to restore was recorded with the entry */
        g_ptr_array_add(e->undo, vfLogLine(e->pooled, "-N", e->chain, NULL, NULL));
        break;
    case VF_OP_RENAME:
        g_ptr_array_add(e->undo, vfLogLine(e->pooled, "-E", e->chain2, e->chain, NULL));
        break;
    default:
        /* recorded when it happened (-D, -P), or nothing to undo (-F of
         * empty chains) */
        break;
    }
    return e->undo;
}

static void
judgedRuleFree(vfJudgedRule *j)
{
    g_free(j->table);
    g_free(j->chain);
    g_free(j->rule);   /* packed: one block */
    g_free(j);
}

vfSimulation *
vfSimulationNew(vfTableSet *const *snapshot, GHashTable *facts)
{
    vfTableSet *none[VIR_FIREWALL_LAYER_LAST] = { NULL };

    return vfSimulationNewFrom(snapshot, none, facts);
}

vfSimulation *
vfSimulationNewFrom(vfTableSet *const *snapshot, vfTableSet **copies,
                    GHashTable *facts)
{
    vfSimulation *sim = g_new0(vfSimulation, 1);

    virFirewallPoolRef();
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (copies[l])
            sim->sets[l] = g_steal_pointer(&copies[l]);
        else
            sim->sets[l] = snapshot[l] ? vfTableSetCopy(snapshot[l]) : NULL;
    }
    sim->log = g_ptr_array_new_with_free_func((GDestroyNotify)vfLogEntryFree);
    sim->judged = g_ptr_array_new_with_free_func((GDestroyNotify)judgedRuleFree);
    sim->facts = facts;
    sim->keepLog = TRUE;
    return sim;
}

void
vfSimulationFree(vfSimulation *sim)
{
    if (!sim)
        return;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        vfTableSetFree(sim->sets[l]);
    g_ptr_array_unref(sim->log);
    g_ptr_array_unref(sim->judged);
    g_free(sim);
    virFirewallPoolUnref();
}

char *
vfSimulationFactKey(gsize program, guint seq, const virFirewallRule *rule)
{
    g_autofree char *text = virFirewallRuleToString(rule);

    return g_strdup_printf("%zu:%u:%s", program, seq, text);
}

/* Targets that are extensions, not chains (iptables and ebtables). */
static const char *const extensionTargets[] = {
    "ACCEPT", "DROP", "RETURN", "QUEUE", "CONTINUE",
    "REJECT", "MASQUERADE", "LOG", "CHECKSUM", "SNAT", "DNAT", "MARK",
    "CONNMARK", "CT", "TCPMSS", "NFLOG", "NFQUEUE", "REDIRECT", "TPROXY",
    "AUDIT", "CLASSIFY", "DSCP", "TOS", "TTL", "HL", "NOTRACK", "TRACE",
    "SET", "SECMARK", "CONNSECMARK", "IDLETIMER", "LED", "NETMAP",
    "RATEEST", "TEE", "SYNPROXY", "HMARK", "ECN", "ULOG",
    "dnat", "snat", "redirect", "mark", "arpreply", "log", "nflog", "ulog",
    NULL,
};

static gboolean
isExtensionTarget(const char *name)
{
    return g_strv_contains(extensionTargets, name);
}

gboolean
vfRuleCheckRepresentable(const virFirewallRule *rule, GError **error)
{
    const char *const *args = virFirewallRuleGetArgs(rule);
    gsize words = 0, len = 0;

    for (gsize i = 0; args[i]; i++) {
        if (!vfSyntaxCheckWord(args[i], error))
            return FALSE;
        words++;
        len += strlen(args[i]) * 2 + 3;  /* worst case quoting */
    }
    if (words > VF_RESTORE_MAX_WORDS) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "command has %zu words; restore input takes at most %d",
                    words, VF_RESTORE_MAX_WORDS);
        return FALSE;
    }
    if (len > VF_RESTORE_MAX_LINE) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "command is longer than the %d characters a restore "
                    "line can hold", VF_RESTORE_MAX_LINE);
        return FALSE;
    }
    return TRUE;
}

static gboolean
checkChainName(const char *name, GError **error)
{
    if (name && strlen(name) > VF_RESTORE_MAX_CHAIN) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "chain name '%s' is longer than %d characters",
                    name, VF_RESTORE_MAX_CHAIN);
        return FALSE;
    }
    return TRUE;
}

guint
vfProgramLayers(virFirewall *fw)
{
    guint layers = 0;

    for (gsize g = 0; g < virFirewallGetGroupCount(fw); g++) {
        virFirewallGroup *group = virFirewallGetGroup(fw, g);
        for (guint i = 0; i < group->action->len; i++)
            layers |= 1u << ((virFirewallRule *)g_ptr_array_index(group->action, i))->layer;
        for (guint i = 0; i < group->rollback->len; i++)
            layers |= 1u << ((virFirewallRule *)g_ptr_array_index(group->rollback, i))->layer;
    }
    return layers;
}

guint
vfProgramAddLayers(virFirewall *fw)
{
    static const char *const adds[] = { "-A", "--append", "-I", "--insert", "-N",
                                        "--new-chain", "-E", "--rename-chain", NULL };
    guint layers = 0;

    for (gsize g = 0; g < virFirewallGetGroupCount(fw); g++) {
        virFirewallGroup *group = virFirewallGetGroup(fw, g);
        /* libvirt's clean-ups (renames of old chains among them) */
        if (group->actionFlags & VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS)
            continue;
        for (guint i = 0; i < group->action->len; i++) {
            virFirewallRule *rule = g_ptr_array_index(group->action, i);
            const char *const *args = virFirewallRuleGetArgs(rule);
            if (rule->ignoreErrors)
                continue;
            for (gsize k = 0; args[k]; k++) {
                if (g_strv_contains(adds, args[k])) {
                    layers |= 1u << rule->layer;
                    break;
                }
            }
        }
    }
    return layers;
}

static gboolean
specEqual(const char *const *a, const char *const *b)
{
    gsize i;

    for (i = 0; a[i] && b[i]; i++) {
        if (!g_str_equal(a[i], b[i]))
            return FALSE;
    }
    return a[i] == NULL && b[i] == NULL;
}

/* Whether @c holds @rule above position @pos (1-based; 0: an append, so
 * anywhere): then a delete by spec of the rule added there would take
 * that one instead. */
static gboolean
shadowedAt(vfTable *t, vfChain *c, gboolean created, guint pos,
           const char *const *rule)
{
    GPtrArray *rules;

    if (created || !c)
        return FALSE;
    if (!pos)
        return vfChainHasRule(t, c, rule);
    rules = vfChainRules(t, c);
    for (guint i = 0; i + 1 < pos && i < rules->len; i++) {
        if (specEqual(rule, g_ptr_array_index(rules, i)))
            return TRUE;
    }
    return FALSE;
}

static void
formatListing(GString *out, virFirewallLayer layer, vfTable *table,
              const char *tableName, vfChain *only)
{
    /* one chain: the loops below visit it alone (not a scan of 9000
     * chains for each of libvirt's listings of one) */
    vfChain **chains = only ? &only : table ? (vfChain **)table->chains->pdata : NULL;
    guint nchains = only ? 1 : table ? table->chains->len : 0;

    if (layer == VIR_FIREWALL_LAYER_ETHERNET) {
        g_string_append_printf(out, "Bridge table: %s\n", tableName);
        for (guint i = 0; i < nchains; i++) {
            vfChain *c = chains[i];
            GPtrArray *rules;
            rules = vfChainRules(table, c);
            /* ebtables-nft shows RETURN for every user chain's policy */
            g_string_append_printf(out, "\nBridge chain: %s, entries: %u, policy: %s\n",
                                   c->name, rules->len,
                                   c->builtin ? (c->policy ? c->policy : "ACCEPT")
                                              : "RETURN");
            for (guint j = 0; j < rules->len; j++) {
                vfSaveFormatRule(out, layer, g_ptr_array_index(rules, j));
                g_string_append_c(out, '\n');
            }
        }
        return;
    }

    for (guint pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < nchains; i++) {
            vfChain *c = chains[i];
            GPtrArray *rules;
            if (pass == 0) {
                if (c->builtin)
                    g_string_append_printf(out, "-P %s %s\n", c->name,
                                           c->policy ? c->policy : "ACCEPT");
                else
                    g_string_append_printf(out, "-N %s\n", c->name);
                continue;
            }
            rules = vfChainRules(table, c);
            for (guint j = 0; j < rules->len; j++) {
                g_string_append_printf(out, "-A %s ", c->name);
                vfSaveFormatRule(out, layer, g_ptr_array_index(rules, j));
                g_string_append_c(out, '\n');
            }
        }
    }
}

/* The listing of a table that does not exist yet: its builtin chains. */
static vfTable *
phantomTable(virFirewallLayer layer, const char *name)
{
    g_autoptr(vfTableSet) set = vfTableSetNew(layer);
    vfTable *t = vfTableSetEnsure(set, name);

    if (!t)
        return NULL;
    g_ptr_array_steal_index(set->tables, 0);
    return t;
}

static void
phantomTableFree(vfTable *t)
{
    g_autoptr(vfTableSet) set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);

    g_ptr_array_add(set->tables, t);
}

#define FAIL(...) \
    do { \
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED, __VA_ARGS__); \
        return VIR_FIREWALL_EXEC_FAILED; \
    } while (0)

static const char *const noChain = "No chain/target/match by that name.";

/* Decides @cmd against the model; on success mutates it and fills @e
 * (for writes; NULL: nothing is logged) or @output (for listings). */
static virFirewallExecResult
simulateCommand(vfTableSet *set, const vfCommand *cmd, vfLogEntry *e,
                char **output, GError **error)
{
    virFirewallLayer layer = cmd->layer;
    gboolean eb = layer == VIR_FIREWALL_LAYER_ETHERNET;
    const char *const *spec = (const char *const *)cmd->spec;
    vfTable *t;
    vfChain *c;
    char posStr[16];

    if (!vfTableNameValid(layer, cmd->table))
        FAIL("table '%s' does not exist", cmd->table);

    /* nf_tables creates a builtin (base) chain only when it is first
     * used, and *-save shows it either way: whether -X or -E of a builtin
     * succeeds cannot be read from the snapshot. No libvirt program does
     * this; refuse rather than guess. */
    if ((cmd->op == VF_OP_DELETE_CHAIN || cmd->op == VF_OP_RENAME) &&
        vfChainIsBuiltin(layer, cmd->table, cmd->chain)) {
        g_set_error(error, VF_ERROR, VF_ERROR_UNSUPPORTED,
                    "the restore backend cannot predict %s of builtin chain %s "
                    "(nf_tables creates builtin chains lazily)",
                    cmd->op == VF_OP_RENAME ? "renaming" : "deleting", cmd->chain);
        return VIR_FIREWALL_EXEC_ABORT;
    }

    t = vfTableSetGet(set, cmd->table);
    c = cmd->chain ? vfTableGetChain(t, cmd->chain) : NULL;

    switch (cmd->op) {
    case VF_OP_LIST:
    case VF_OP_LIST_RULES: {
        g_autoptr(GString) out = g_string_new(NULL);
        vfTable *shown = t;
        vfTable *phantom = NULL;
        if (!shown)
            shown = phantom = phantomTable(layer, cmd->table);
        c = cmd->chain ? vfTableGetChain(shown, cmd->chain) : NULL;
        if (cmd->chain && !c) {
            if (phantom)
                phantomTableFree(phantom);
            FAIL("chain '%s' in table '%s' does not exist", cmd->chain, cmd->table);
        }
        formatListing(out, layer, shown, cmd->table, c);
        if (phantom)
            phantomTableFree(phantom);
        *output = g_string_free(g_steal_pointer(&out), FALSE);
        return VIR_FIREWALL_EXEC_OK;
    }

    case VF_OP_APPEND:
    case VF_OP_INSERT: {
        const char *target = vfSpecTarget(spec);
        gboolean create = !t && vfChainIsBuiltin(layer, cmd->table, cmd->chain);
        gboolean shadowed = FALSE, exact = TRUE;
        /* an append leaves the chain's lines unparsed */
        guint len = c && cmd->op == VF_OP_INSERT ? vfChainRules(t, c)->len : 0;
        GStrv tokens;
        guint pos;
        if (!c && !create)
            FAIL("%s", noChain);
        if (target && !isExtensionTarget(target)) {
            vfChain *tc = vfTableGetChain(t, target);
            if (!tc || tc->builtin)
                FAIL("Couldn't load target `%s': %s", target, noChain);
            /* a loop a builtin chain reaches: refused at the commit */
            if (c && vfTableJumpLoops(t, c, tc))
                FAIL("RULE_%s failed (Too many links): rule in chain %s",
                     cmd->op == VF_OP_APPEND ? "APPEND" : "INSERT", cmd->chain);
        }
        pos = cmd->op == VF_OP_APPEND ? 0 : (cmd->pos ? cmd->pos : 1);
        if (pos > len + 1)
            FAIL("Index of insertion too big.");
        /* the table comes into existence only with a write that succeeds */
        if (create) {
            t = vfTableSetEnsure(set, cmd->table);
            c = vfTableGetChain(t, cmd->chain);
        }
        tokens = vfNormalizeRuleExact(layer, spec, &exact);
        /* the tables no longer print as *-save will: never recorded */
        if (!exact)
            set->inexact = TRUE;
        if (e) {
            e->ruleKey = g_strjoinv(" ", tokens);
            shadowed = shadowedAt(t, c, create, cmd->op == VF_OP_APPEND ? 0 : pos,
                                  (const char *const *)tokens);
        }
        if (cmd->op == VF_OP_APPEND)
            vfTableAppendRule(t, c, vfRulePack((const char *const *)tokens));
        else
            vfTableInsertRule(t, c, pos - 1, vfRulePack((const char *const *)tokens));
        g_strfreev(tokens);
        if (!e)
            return VIR_FIREWALL_EXEC_OK;
        if (shadowed) {
            /* a delete by spec would take the same rule further up: this
             * one goes by its position (undone newest first, the entries
             * after it are gone again by then) */
            g_snprintf(posStr, sizeof(posStr), "%u",
                       cmd->op == VF_OP_APPEND ? vfChainRules(t, c)->len : pos);
            undoAdd(e, vfLogLine(TRUE, "-D", cmd->chain, posStr, NULL));
        }
        g_snprintf(posStr, sizeof(posStr), "%u", pos);
        if (cmd->op == VF_OP_APPEND)
            e->words = vfLogLine(TRUE, "-A", cmd->chain, NULL, spec);
        else
            e->words = vfLogLine(TRUE, "-I", cmd->chain, cmd->pos ? posStr : NULL, spec);
        e->specStart = cmd->op == VF_OP_INSERT && cmd->pos ? 3 : 2;
        e->target = pooledField(target);
        /* undo: vfLogEntryUndo() */
        return VIR_FIREWALL_EXEC_OK;
    }

    case VF_OP_DELETE:
    case VF_OP_DELETE_NUM: {
        guint idx = G_MAXUINT;
        g_autofree GStrv removed = NULL;   /* packed: one block */
        GPtrArray *rules;
        if (!c)
            FAIL("%s", noChain);
        if (cmd->op == VF_OP_DELETE) {
            /* a VM start first deletes its jumps from PREROUTING's 999
             * others, where they are not: known without parsing those */
            g_auto(GStrv) want = vfNormalizeRule(layer, spec);
            if (!vfChainHasRule(t, c, (const char *const *)want))
                FAIL("Bad rule (does a matching rule exist in that chain?).");
        }
        rules = vfChainRules(t, c);
        if (cmd->op == VF_OP_DELETE_NUM) {
            if (cmd->pos > rules->len)
                FAIL("Index of deletion too big.");
            idx = cmd->pos - 1;
        } else {
            g_auto(GStrv) want = vfNormalizeRule(layer, spec);
            for (guint i = 0; i < rules->len; i++) {
                if (specEqual((const char *const *)want,
                              g_ptr_array_index(rules, i))) {
                    idx = i;
                    break;
                }
            }
            if (idx == G_MAXUINT)
                FAIL("Bad rule (does a matching rule exist in that chain?).");
            if (e)
                e->ruleKey = g_strjoinv(" ", want);
        }
        removed = vfTableStealRule(t, c, idx);
        if (!e)
            return VIR_FIREWALL_EXEC_OK;
        if (cmd->op == VF_OP_DELETE_NUM) {
            g_snprintf(posStr, sizeof(posStr), "%u", cmd->pos);
            e->words = vfLogLine(TRUE, "-D", cmd->chain, posStr, NULL);
        } else {
            e->words = vfLogLine(TRUE, "-D", cmd->chain, NULL, spec);
        }
        e->target = pooledField(vfSpecTarget((const char *const *)removed));
        g_snprintf(posStr, sizeof(posStr), "%u", idx + 1);
        undoAdd(e, vfLogLine(TRUE, "-I", cmd->chain, posStr,
                           (const char *const *)removed));
        return VIR_FIREWALL_EXEC_OK;
    }

    case VF_OP_NEW_CHAIN:
        if (c || vfChainIsBuiltin(layer, cmd->table, cmd->chain))
            FAIL("Chain already exists.");
        if (!checkChainName(cmd->chain, error))
            return VIR_FIREWALL_EXEC_FAILED;
        t = vfTableSetEnsure(set, cmd->table);
        vfTableAddChain(t, cmd->chain, FALSE, eb ? "ACCEPT" : NULL);
        if (e)
            e->words = vfLogLine(TRUE, "-N", cmd->chain, NULL, NULL);
        return VIR_FIREWALL_EXEC_OK;

    case VF_OP_DELETE_CHAIN:
        if (!c || c->builtin)
            FAIL("%s", noChain);
        if (vfTableCountReferences(t, cmd->chain) > 0)
            FAIL("CHAIN_DEL failed (Device or resource busy): chain %s", cmd->chain);
        if (!vfChainIsEmpty(c))
            FAIL("CHAIN_DEL failed (Directory not empty): chain %s", cmd->chain);
        if (e) {
            e->words = vfLogLine(TRUE, "-X", cmd->chain, NULL, NULL);
            /* -N is derived; a policy must be recorded with it */
            if (eb && c->policy && !g_str_equal(c->policy, "ACCEPT")) {
                undoAdd(e, vfLogLine(TRUE, "-N", cmd->chain, NULL, NULL));
                undoAdd(e, vfLogLine(TRUE, "-P", cmd->chain, c->policy, NULL));
            }
        }
        vfTableRemoveChain(t, cmd->chain);
        return VIR_FIREWALL_EXEC_OK;

    case VF_OP_FLUSH:
        if (!t && cmd->chain && vfChainIsBuiltin(layer, cmd->table, cmd->chain)) {
            t = vfTableSetEnsure(set, cmd->table);
            c = vfTableGetChain(t, cmd->chain);
        }
        if (cmd->chain && !c)
            FAIL("%s", noChain);
        if (!t)
            return VIR_FIREWALL_EXEC_OK;  /* succeeds, creates nothing */
        if (e)
            e->words = vfLogLine(TRUE, "-F", cmd->chain, NULL, NULL);
        for (guint i = 0; t && i < t->chains->len; i++) {
            vfChain *fc = g_ptr_array_index(t->chains, i);
            GPtrArray *rules;
            if (c && fc != c)
                continue;
            /* without a log, unparsed lines are dropped unparsed */
            rules = e ? vfChainRules(t, fc) : NULL;
            for (guint j = 0; e && j < rules->len; j++) {
                const char *const *rule = g_ptr_array_index(rules, j);
                const char *target = vfSpecTarget(rule);
                undoAdd(e, vfLogLine(TRUE, "-A", fc->name, NULL, rule));
                if (target && vfTableGetChain(t, target)) {
                    if (!e->released)
                        e->released = g_ptr_array_new();
                    g_ptr_array_add(e->released, pooledField(target));
                }
            }
            vfTableFlushChain(t, fc);
        }
        return VIR_FIREWALL_EXEC_OK;

    case VF_OP_RENAME:
        if (!c)
            FAIL("%s", noChain);
        if (!checkChainName(cmd->arg, error))
            return VIR_FIREWALL_EXEC_FAILED;
        if (vfTableGetChain(t, cmd->arg))
            FAIL("File exists.");
        vfTableRenameChain(t, cmd->chain, cmd->arg);
        if (e) {
            e->words = vfLogLine(TRUE, "-E", cmd->chain, cmd->arg, NULL);
            e->chain2 = pooledField(cmd->arg);
        }
        return VIR_FIREWALL_EXEC_OK;

    case VF_OP_POLICY: {
        if (!c && !t && vfChainIsBuiltin(layer, cmd->table, cmd->chain)) {
            t = vfTableSetEnsure(set, cmd->table);
            c = vfTableGetChain(t, cmd->chain);
        }
        if (!c || (!eb && !c->builtin))
            FAIL("Bad built-in chain name.");
        if (e) {
            e->words = vfLogLine(TRUE, "-P", cmd->chain, cmd->arg, NULL);
            undoAdd(e, vfLogLine(TRUE, "-P", cmd->chain,
                               c->policy ? c->policy : "ACCEPT", NULL));
        }
        vfTableSetPolicy(t, c, cmd->arg);
        return VIR_FIREWALL_EXEC_OK;
    }
    }
    FAIL("unknown operation");
}

/* Does the rule name an ipset? Whether that set exists, and fits, only
 * the kernel knows: the tables say nothing of sets. */
static gboolean
namesIpset(const char *const *spec)
{
    for (gsize i = 0; spec && spec[i]; i++) {
        if (g_str_equal(spec[i], "--match-set") || g_str_equal(spec[i], "--add-set") ||
            g_str_equal(spec[i], "--del-set") || g_str_equal(spec[i], "--map-set"))
            return TRUE;
    }
    return FALSE;
}

gboolean
vfSimulationJudgedGone(vfSimulation *sim, char **why)
{
    for (guint i = 0; i < sim->judged->len; i++) {
        const vfJudgedRule *j = g_ptr_array_index(sim->judged, i);
        vfTableSet *set = sim->sets[j->layer];
        vfTable *t = set ? vfTableSetGet(set, j->table) : NULL;
        vfChain *c = t ? vfTableGetChain(t, j->chain) : NULL;

        if (!c || !vfChainHasRule(t, c, (const char *const *)j->rule)) {
            g_autofree char *text = g_strjoinv(" ", j->rule);
            *why = g_strdup_printf("a rule only the kernel can judge is added and "
                                   "removed again (-A %s %s)", j->chain, text);
            return TRUE;
        }
    }
    return FALSE;
}

static virFirewallExecResult
simulateRule(void *opaque, virFirewall *fw, const virFirewallRule *rule,
             char **output, GError **error)
{
    vfSimulation *sim = opaque;
    guint seq = sim->seq++;
    g_autofree char *describe = NULL;
    g_autoptr(vfCommand) cmd = NULL;
    g_autoptr(GError) why = NULL;
    const char *fact = NULL;
    vfTableSet *set = sim->sets[rule->layer];
    vfLogEntry *e = NULL;
    virFirewallExecResult res;

    if (!vfRuleCheckRepresentable(rule, &why)) {
        describe = virFirewallRuleToString(rule);
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "Refusing firewall command %s (program '%s'): %s",
                    describe, virFirewallGetName(fw), why->message);
        return VIR_FIREWALL_EXEC_ABORT;
    }
    if (!(cmd = vfCommandParse(rule->layer, virFirewallRuleGetArgs(rule), &why))) {
        describe = virFirewallRuleToString(rule);
        g_set_error(error, VF_ERROR, why->code,
                    "Failed to apply firewall command %s (program '%s'): %s",
                    describe, virFirewallGetName(fw), why->message);
        return why->code == VF_ERROR_UNSUPPORTED ? VIR_FIREWALL_EXEC_ABORT
                                                 : VIR_FIREWALL_EXEC_FAILED;
    }
    if (!set) {
        describe = virFirewallRuleToString(rule);
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "no snapshot of layer %s for command %s",
                    virFirewallLayerToString(rule->layer), describe);
        return VIR_FIREWALL_EXEC_ABORT;
    }
    if (sim->facts && g_hash_table_size(sim->facts) > 0) {
        g_autofree char *key = vfSimulationFactKey(sim->program, seq, rule);
        fact = g_hash_table_lookup(sim->facts, key);
    }
    if (fact) {
        describe = virFirewallRuleToString(rule);
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "Failed to apply firewall command %s (program '%s'): %s",
                    describe, virFirewallGetName(fw), fact);
        return VIR_FIREWALL_EXEC_FAILED;
    }

    if (sim->keepLog) {
        e = g_new0(vfLogEntry, 1);
        e->pooled = TRUE;
        e->layer = rule->layer;
        e->table = pooledField(cmd->table);
        e->op = cmd->op;
        e->chain = pooledField(cmd->chain);
        e->program = sim->program;
        e->seq = seq;
        e->factKey = vfSimulationFactKey(sim->program, seq, rule);
        e->ignorable = rule->ignoreErrors;
    }

    res = simulateCommand(set, cmd, e, output, &why);
    if (res == VIR_FIREWALL_EXEC_OK &&
        (cmd->op == VF_OP_APPEND || cmd->op == VF_OP_INSERT) &&
        namesIpset((const char *const *)cmd->spec)) {
        g_auto(GStrv) tokens = vfNormalizeRule(rule->layer, (const char *const *)cmd->spec);
        vfJudgedRule *j = g_new0(vfJudgedRule, 1);

        j->layer = rule->layer;
        j->table = g_strdup(cmd->table);
        j->chain = g_strdup(cmd->chain);
        j->rule = vfRulePack((const char *const *)tokens);
        g_ptr_array_add(sim->judged, j);
    }
    if (res == VIR_FIREWALL_EXEC_OK && e && e->words) {
        e->logIndex = sim->log->len;
        g_ptr_array_add(sim->log, e);
        return res;
    }
    if (res != VIR_FIREWALL_EXEC_OK) {
        describe = virFirewallRuleToString(rule);
        g_set_error(error, VF_ERROR, why->code,
                    "Failed to apply firewall command %s (program '%s'): %s",
                    describe, virFirewallGetName(fw), why->message);
    }
    if (e)
        vfLogEntryFree(e);
    return res;
}

static gboolean
checkProgram(virFirewall *fw, GError **error)
{
    for (gsize g = 0; g < virFirewallGetGroupCount(fw); g++) {
        virFirewallGroup *group = virFirewallGetGroup(fw, g);
        GPtrArray *lists[2] = { group->action, group->rollback };
        for (int l = 0; l < 2; l++) {
            for (guint i = 0; i < lists[l]->len; i++) {
                virFirewallRule *rule = g_ptr_array_index(lists[l], i);
                g_autoptr(GError) why = NULL;
                if (!vfRuleCheckRepresentable(rule, &why)) {
                    g_autofree char *cmd = virFirewallRuleToString(rule);
                    g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                                "Refusing firewall program '%s': command %s: %s",
                                virFirewallGetName(fw), cmd, why->message);
                    return FALSE;
                }
            }
        }
    }
    return TRUE;
}

void
vfSimulationRunFull(vfSimulation *sim, virFirewall *const *fws, gsize n,
                    GError **errors, void (*done)(gsize, gpointer), gpointer data)
{
    for (gsize i = 0; i < n; i++) {
        g_clear_error(&errors[i]);
        if (checkProgram(fws[i], &errors[i])) {
            sim->program = i;
            sim->seq = 0;
            virFirewallWalk(fws[i], simulateRule, sim, &errors[i]);
        }
        if (done)
            done(i, data);
    }
}

void
vfSimulationRun(vfSimulation *sim, virFirewall *const *fws, gsize n,
                GError **errors)
{
    vfSimulationRunFull(sim, fws, n, errors, NULL, NULL);
}
