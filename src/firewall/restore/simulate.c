/*
 * simulate.c: libvirt's group walk against a model of the tables
 *
 * Every rule of every program is checked, parsed and handed to its
 * operation (operation.c), which decides from the model what the kernel
 * would say, with the tools' own messages; what the model cannot know (a
 * missing ipset, an option the kernel rejects) is learned from a failing
 * restore and handed back in as a fact.
 */
#include "simulate.h"
#include "operation.h"
#include "normalize.h"
#include "syntax.h"
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

    res = vfOperationSimulate(set, cmd, e, output, &why);
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
