/*
 * operation.c: each operation of a command against the model of the tables
 *
 * An operation is decided from the model alone, with the tool's own
 * message; beside each one is how it is undone. What a change destroys (the
 * rules of a delete or a flush, a policy it replaced) is recorded with the
 * entry when it happens; what can be derived from the entry (the -D of an
 * add, the -X of a -N) is built only when asked for (vfLogEntryUndo).
 */
#include "operation.h"
#include "normalize.h"
#include "syntax.h"
#include "savefmt.h"
#include "error.h"

/* One command against the model: what each operation reads and fills. */
typedef struct {
    vfTableSet *set;
    const vfCommand *cmd;
    vfTable *table;     /* NULL: the table does not exist (yet) */
    vfChain *chain;     /* NULL: no chain named, or not in the table */
    vfLogEntry *entry;  /* NULL: nothing is logged */
} vfStep;

static const char *const noChain = "No chain/target/match by that name.";

/* The tool refuses the command with this message. */
static virFirewallExecResult G_GNUC_PRINTF(2, 3)
refuse(GError **error, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    if (error && !*error)
        *error = g_error_new_valist(VF_ERROR, VF_ERROR_FAILED, format, args);
    va_end(args);
    return VIR_FIREWALL_EXEC_FAILED;
}

/* A pooled string as an entry's field (vfLogEntry.pooled). */
static char *
pooledField(const char *str)
{
    return (char *)virFirewallIntern(str);
}

/* Records a line that reverses @e and cannot be derived from it later
 * (what a delete or a flush removed, a policy it replaced). */
static void
recordUndo(vfLogEntry *e, GStrv line)
{
    if (!e->undo)
        e->undo = g_ptr_array_new_with_free_func(e->pooled ? g_free
                                                 : (GDestroyNotify)g_strfreev);
    g_ptr_array_add(e->undo, line);
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

/* nf_tables creates a builtin (base) chain only when it is first used, and
 * *-save shows it either way: whether -X or -E of a builtin succeeds
 * cannot be read from the snapshot. No libvirt program does this; refuse
 * rather than guess. */
static gboolean
refuseBuiltinChange(const vfCommand *cmd, GError **error)
{
    if (!vfChainIsBuiltin(cmd->layer, cmd->table, cmd->chain))
        return FALSE;
    g_set_error(error, VF_ERROR, VF_ERROR_UNSUPPORTED,
                "the restore backend cannot predict %s of builtin chain %s "
                "(nf_tables creates builtin chains lazily)",
                cmd->op == VF_OP_RENAME ? "renaming" : "deleting", cmd->chain);
    return TRUE;
}

/* ---- -L / -S: a listing, as the tool prints it ---- */

static virFirewallExecResult
simulateListing(vfStep *step, char **output, GError **error)
{
    const vfCommand *cmd = step->cmd;
    g_autoptr(GString) out = g_string_new(NULL);
    vfTable *shown = step->table;
    vfTable *phantom = NULL;
    vfChain *c;

    if (!shown)
        shown = phantom = phantomTable(cmd->layer, cmd->table);
    c = cmd->chain ? vfTableGetChain(shown, cmd->chain) : NULL;
    if (cmd->chain && !c) {
        if (phantom)
            phantomTableFree(phantom);
        return refuse(error, "chain '%s' in table '%s' does not exist",
                      cmd->chain, cmd->table);
    }
    formatListing(out, cmd->layer, shown, cmd->table, c);
    if (phantom)
        phantomTableFree(phantom);
    *output = g_string_free(g_steal_pointer(&out), FALSE);
    return VIR_FIREWALL_EXEC_OK;
}

/* ---- -A / -I: a rule added ---- */

static virFirewallExecResult
simulateAdd(vfStep *step, char **output G_GNUC_UNUSED, GError **error)
{
    const vfCommand *cmd = step->cmd;
    virFirewallLayer layer = cmd->layer;
    const char *const *spec = (const char *const *)cmd->spec;
    gboolean append = cmd->op == VF_OP_APPEND;
    vfTable *t = step->table;
    vfChain *c = step->chain;
    vfLogEntry *e = step->entry;
    const char *target = vfSpecTarget(spec);
    gboolean create = !t && vfChainIsBuiltin(layer, cmd->table, cmd->chain);
    gboolean shadowed = FALSE, exact = TRUE;
    /* an append leaves the chain's lines unparsed */
    guint len = c && !append ? vfChainRules(t, c)->len : 0;
    char posStr[16];
    GStrv tokens;
    guint pos;

    if (!c && !create)
        return refuse(error, "%s", noChain);
    if (target && !isExtensionTarget(target)) {
        vfChain *tc = vfTableGetChain(t, target);
        if (!tc || tc->builtin)
            return refuse(error, "Couldn't load target `%s': %s", target, noChain);
        /* a loop a builtin chain reaches: refused at the commit */
        if (c && vfTableJumpLoops(t, c, tc))
            return refuse(error, "RULE_%s failed (Too many links): rule in chain %s",
                          append ? "APPEND" : "INSERT", cmd->chain);
    }
    pos = append ? 0 : (cmd->pos ? cmd->pos : 1);
    if (pos > len + 1)
        return refuse(error, "Index of insertion too big.");
    /* the table comes into existence only with a write that succeeds */
    if (create) {
        t = vfTableSetEnsure(step->set, cmd->table);
        c = vfTableGetChain(t, cmd->chain);
    }
    tokens = vfNormalizeRuleExact(layer, spec, &exact);
    /* the tables no longer print as *-save will: never recorded */
    if (!exact)
        step->set->inexact = TRUE;
    if (e) {
        e->ruleKey = g_strjoinv(" ", tokens);
        shadowed = shadowedAt(t, c, create, append ? 0 : pos,
                              (const char *const *)tokens);
    }
    if (append)
        vfTableAppendRule(t, c, vfRulePack((const char *const *)tokens));
    else
        vfTableInsertRule(t, c, pos - 1, vfRulePack((const char *const *)tokens));
    g_strfreev(tokens);
    if (!e)
        return VIR_FIREWALL_EXEC_OK;
    if (shadowed) {
        /* a delete by spec would take the same rule further up: this one
         * goes by its position (undone newest first, the entries after it
         * are gone again by then) */
        g_snprintf(posStr, sizeof(posStr), "%u",
                   append ? vfChainRules(t, c)->len : pos);
        recordUndo(e, vfLogLine(TRUE, "-D", cmd->chain, posStr, NULL));
    }
    g_snprintf(posStr, sizeof(posStr), "%u", pos);
    if (append)
        e->words = vfLogLine(TRUE, "-A", cmd->chain, NULL, spec);
    else
        e->words = vfLogLine(TRUE, "-I", cmd->chain, cmd->pos ? posStr : NULL, spec);
    e->specStart = !append && cmd->pos ? 3 : 2;
    e->target = pooledField(target);
    return VIR_FIREWALL_EXEC_OK;
}

static void
undoAdd(vfLogEntry *e)
{
    /* by spec, not by position: a foreign rule added meanwhile must
     * neither be deleted nor shift what is */
    g_ptr_array_add(e->undo, vfLogLine(e->pooled, "-D", e->chain, NULL,
                                       (const char *const *)e->words + e->specStart));
}

/* ---- -D: a rule deleted, by spec or by number ---- */

static virFirewallExecResult
simulateDelete(vfStep *step, char **output G_GNUC_UNUSED, GError **error)
{
    const vfCommand *cmd = step->cmd;
    const char *const *spec = (const char *const *)cmd->spec;
    gboolean bySpec = cmd->op == VF_OP_DELETE;
    vfTable *t = step->table;
    vfChain *c = step->chain;
    vfLogEntry *e = step->entry;
    guint idx = G_MAXUINT;
    g_autofree GStrv removed = NULL;   /* packed: one block */
    char posStr[16];
    GPtrArray *rules;

    if (!c)
        return refuse(error, "%s", noChain);
    if (bySpec) {
        /* a VM start first deletes its jumps from PREROUTING's 999
         * others, where they are not: known without parsing those */
        g_auto(GStrv) want = vfNormalizeRule(cmd->layer, spec);
        if (!vfChainHasRule(t, c, (const char *const *)want))
            return refuse(error, "Bad rule (does a matching rule exist in that chain?).");
    }
    rules = vfChainRules(t, c);
    if (!bySpec) {
        if (cmd->pos > rules->len)
            return refuse(error, "Index of deletion too big.");
        idx = cmd->pos - 1;
    } else {
        g_auto(GStrv) want = vfNormalizeRule(cmd->layer, spec);
        for (guint i = 0; i < rules->len; i++) {
            if (specEqual((const char *const *)want, g_ptr_array_index(rules, i))) {
                idx = i;
                break;
            }
        }
        if (idx == G_MAXUINT)
            return refuse(error, "Bad rule (does a matching rule exist in that chain?).");
        if (e)
            e->ruleKey = g_strjoinv(" ", want);
    }
    removed = vfTableStealRule(t, c, idx);
    if (!e)
        return VIR_FIREWALL_EXEC_OK;
    if (!bySpec) {
        g_snprintf(posStr, sizeof(posStr), "%u", cmd->pos);
        e->words = vfLogLine(TRUE, "-D", cmd->chain, posStr, NULL);
    } else {
        e->words = vfLogLine(TRUE, "-D", cmd->chain, NULL, spec);
    }
    e->target = pooledField(vfSpecTarget((const char *const *)removed));
    /* undo: the rule removed, back at its place */
    g_snprintf(posStr, sizeof(posStr), "%u", idx + 1);
    recordUndo(e, vfLogLine(TRUE, "-I", cmd->chain, posStr,
                            (const char *const *)removed));
    return VIR_FIREWALL_EXEC_OK;
}

/* ---- -N: a chain created ---- */

static virFirewallExecResult
simulateNewChain(vfStep *step, char **output G_GNUC_UNUSED, GError **error)
{
    const vfCommand *cmd = step->cmd;
    gboolean eb = cmd->layer == VIR_FIREWALL_LAYER_ETHERNET;
    vfTable *t;

    if (step->chain || vfChainIsBuiltin(cmd->layer, cmd->table, cmd->chain))
        return refuse(error, "Chain already exists.");
    if (!checkChainName(cmd->chain, error))
        return VIR_FIREWALL_EXEC_FAILED;
    t = vfTableSetEnsure(step->set, cmd->table);
    vfTableAddChain(t, cmd->chain, FALSE, eb ? "ACCEPT" : NULL);
    if (step->entry)
        step->entry->words = vfLogLine(TRUE, "-N", cmd->chain, NULL, NULL);
    return VIR_FIREWALL_EXEC_OK;
}

static void
undoNewChain(vfLogEntry *e)
{
    g_ptr_array_add(e->undo, vfLogLine(e->pooled, "-X", e->chain, NULL, NULL));
}

/* ---- -X: a chain deleted ---- */

static virFirewallExecResult
simulateDeleteChain(vfStep *step, char **output G_GNUC_UNUSED, GError **error)
{
    const vfCommand *cmd = step->cmd;
    gboolean eb = cmd->layer == VIR_FIREWALL_LAYER_ETHERNET;
    vfChain *c = step->chain;
    vfLogEntry *e = step->entry;

    if (refuseBuiltinChange(cmd, error))
        return VIR_FIREWALL_EXEC_ABORT;
    if (!c || c->builtin)
        return refuse(error, "%s", noChain);
    if (vfTableCountReferences(step->table, cmd->chain) > 0)
        return refuse(error, "CHAIN_DEL failed (Device or resource busy): chain %s",
                      cmd->chain);
    if (!vfChainIsEmpty(c))
        return refuse(error, "CHAIN_DEL failed (Directory not empty): chain %s",
                      cmd->chain);
    if (e) {
        e->words = vfLogLine(TRUE, "-X", cmd->chain, NULL, NULL);
        /* -N is derived (undoDeleteChain); a policy must be recorded with it */
        if (eb && c->policy && !g_str_equal(c->policy, "ACCEPT")) {
            recordUndo(e, vfLogLine(TRUE, "-N", cmd->chain, NULL, NULL));
            recordUndo(e, vfLogLine(TRUE, "-P", cmd->chain, c->policy, NULL));
        }
    }
    vfTableRemoveChain(step->table, cmd->chain);
    return VIR_FIREWALL_EXEC_OK;
}

static void
undoDeleteChain(vfLogEntry *e)
{
    g_ptr_array_add(e->undo, vfLogLine(e->pooled, "-N", e->chain, NULL, NULL));
}

/* ---- -F: a chain (or the table) flushed ---- */

static virFirewallExecResult
simulateFlush(vfStep *step, char **output G_GNUC_UNUSED, GError **error)
{
    const vfCommand *cmd = step->cmd;
    vfTable *t = step->table;
    vfChain *c = step->chain;
    vfLogEntry *e = step->entry;

    if (!t && cmd->chain && vfChainIsBuiltin(cmd->layer, cmd->table, cmd->chain)) {
        t = vfTableSetEnsure(step->set, cmd->table);
        c = vfTableGetChain(t, cmd->chain);
    }
    if (cmd->chain && !c)
        return refuse(error, "%s", noChain);
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
            /* undo: the rules flushed, appended back */
            recordUndo(e, vfLogLine(TRUE, "-A", fc->name, NULL, rule));
            if (target && vfTableGetChain(t, target)) {
                if (!e->released)
                    e->released = g_ptr_array_new();
                g_ptr_array_add(e->released, pooledField(target));
            }
        }
        vfTableFlushChain(t, fc);
    }
    return VIR_FIREWALL_EXEC_OK;
}

/* ---- -E: a chain renamed ---- */

static virFirewallExecResult
simulateRename(vfStep *step, char **output G_GNUC_UNUSED, GError **error)
{
    const vfCommand *cmd = step->cmd;

    if (refuseBuiltinChange(cmd, error))
        return VIR_FIREWALL_EXEC_ABORT;
    if (!step->chain)
        return refuse(error, "%s", noChain);
    if (!checkChainName(cmd->arg, error))
        return VIR_FIREWALL_EXEC_FAILED;
    if (vfTableGetChain(step->table, cmd->arg))
        return refuse(error, "File exists.");
    vfTableRenameChain(step->table, cmd->chain, cmd->arg);
    if (step->entry) {
        step->entry->words = vfLogLine(TRUE, "-E", cmd->chain, cmd->arg, NULL);
        step->entry->chain2 = pooledField(cmd->arg);
    }
    return VIR_FIREWALL_EXEC_OK;
}

static void
undoRename(vfLogEntry *e)
{
    g_ptr_array_add(e->undo, vfLogLine(e->pooled, "-E", e->chain2, e->chain, NULL));
}

/* ---- -P: a chain's policy set ---- */

static virFirewallExecResult
simulatePolicy(vfStep *step, char **output G_GNUC_UNUSED, GError **error)
{
    const vfCommand *cmd = step->cmd;
    gboolean eb = cmd->layer == VIR_FIREWALL_LAYER_ETHERNET;
    vfTable *t = step->table;
    vfChain *c = step->chain;

    if (!c && !t && vfChainIsBuiltin(cmd->layer, cmd->table, cmd->chain)) {
        t = vfTableSetEnsure(step->set, cmd->table);
        c = vfTableGetChain(t, cmd->chain);
    }
    if (!c || (!eb && !c->builtin))
        return refuse(error, "Bad built-in chain name.");
    if (step->entry) {
        step->entry->words = vfLogLine(TRUE, "-P", cmd->chain, cmd->arg, NULL);
        /* undo: the policy replaced */
        recordUndo(step->entry, vfLogLine(TRUE, "-P", cmd->chain,
                                          c->policy ? c->policy : "ACCEPT", NULL));
    }
    vfTableSetPolicy(t, c, cmd->arg);
    return VIR_FIREWALL_EXEC_OK;
}

/* ---- the operations ---- */

typedef struct {
    virFirewallExecResult (*simulate)(vfStep *step, char **output, GError **error);
    /* the undo lines derived from the entry; NULL: they were recorded
     * when it happened (-D, -F, -P) */
    void (*undo)(vfLogEntry *e);
} vfOperation;

static const vfOperation operations[] = {
    [VF_OP_APPEND] = { simulateAdd, undoAdd },
    [VF_OP_INSERT] = { simulateAdd, undoAdd },
    [VF_OP_DELETE] = { simulateDelete, NULL },
    [VF_OP_DELETE_NUM] = { simulateDelete, NULL },
    [VF_OP_NEW_CHAIN] = { simulateNewChain, undoNewChain },
    [VF_OP_DELETE_CHAIN] = { simulateDeleteChain, undoDeleteChain },
    [VF_OP_FLUSH] = { simulateFlush, NULL },
    [VF_OP_RENAME] = { simulateRename, undoRename },
    [VF_OP_POLICY] = { simulatePolicy, NULL },
    [VF_OP_LIST] = { simulateListing, NULL },
    [VF_OP_LIST_RULES] = { simulateListing, NULL },
};

static const vfOperation *
operationOf(vfOp op)
{
    if ((guint)op >= G_N_ELEMENTS(operations) || !operations[op].simulate)
        return NULL;
    return &operations[op];
}

virFirewallExecResult
vfOperationSimulate(vfTableSet *set, const vfCommand *cmd, vfLogEntry *e,
                    char **output, GError **error)
{
    const vfOperation *op = operationOf(cmd->op);
    vfStep step = { .set = set, .cmd = cmd, .entry = e };

    if (!vfTableNameValid(cmd->layer, cmd->table))
        return refuse(error, "table '%s' does not exist", cmd->table);
    if (!op)
        return refuse(error, "unknown operation");
    step.table = vfTableSetGet(set, cmd->table);
    step.chain = cmd->chain ? vfTableGetChain(step.table, cmd->chain) : NULL;
    return op->simulate(&step, output, error);
}

GPtrArray *
vfLogEntryUndo(vfLogEntry *e)
{
    const vfOperation *op;

    if (e->undo)
        return e->undo;
    e->undo = g_ptr_array_new_with_free_func(e->pooled ? g_free
                                             : (GDestroyNotify)g_strfreev);
    op = operationOf(e->op);
    if (op && op->undo)
        op->undo(e);
    return e->undo;
}
