/*
 * firewall.c: the virFirewall model and libvirt's apply semantics
 */
#include "firewall-priv.h"
#include "error.h"

#include <errno.h>
#include <stdarg.h>

G_DEFINE_QUARK(vf-error-quark, vf_error)

static const char *const layerNames[VIR_FIREWALL_LAYER_LAST] = {
    "ethernet", "ipv4", "ipv6",
};

/* libvirt's binaries and lock flags per layer */
static const char *const layerBinaries[VIR_FIREWALL_LAYER_LAST] = {
    "ebtables", "iptables", "ip6tables",
};

const char *
virFirewallLayerToString(virFirewallLayer layer)
{
    return layer < VIR_FIREWALL_LAYER_LAST ? layerNames[layer] : "unknown";
}

int
virFirewallLayerFromString(const char *str)
{
    for (int i = 0; i < VIR_FIREWALL_LAYER_LAST; i++) {
        if (g_strcmp0(str, layerNames[i]) == 0)
            return i;
    }
    return -1;
}

/* ---------------- the argument pool ---------------- */

G_LOCK_DEFINE_STATIC(pool);
static GStringChunk *pool;
static gsize poolRefs;

void
virFirewallPoolRef(void)
{
    G_LOCK(pool);
    if (poolRefs++ == 0)
        pool = g_string_chunk_new(32 * 1024);
    G_UNLOCK(pool);
}

void
virFirewallPoolUnref(void)
{
    G_LOCK(pool);
    g_assert(poolRefs > 0);
    if (--poolRefs == 0)
        g_clear_pointer(&pool, g_string_chunk_free);
    G_UNLOCK(pool);
}

const char *
virFirewallIntern(const char *str)
{
    const char *ret;

    if (!str)
        return NULL;
    G_LOCK(pool);
    g_assert(poolRefs > 0);
    ret = g_string_chunk_insert_const(pool, str);
    G_UNLOCK(pool);
    return ret;
}

/* ---------------- rules ---------------- */

static void
virFirewallRuleFree(virFirewallRule *rule)
{
    if (!rule)
        return;
    if (rule->args != rule->inlineArgs)
        g_free(rule->args);
    g_free(rule->query);
    g_free(rule);
}

/* Slots in @rule->args: exact once trimmed, else a power of two >= 8. */
static gsize
ruleCapacity(gsize slots, gboolean exact)
{
    gsize cap = 8;

    if (exact)
        return slots;
    while (cap < slots)
        cap *= 2;
    return cap;
}

/* A rule with room for exactly @nargs arguments: ruleFill() them. */
static virFirewallRule *
ruleNew(virFirewallLayer layer, bool ignoreErrors, gsize nargs)
{
    virFirewallRule *rule = g_malloc0(sizeof(*rule) + sizeof(const char *) * (nargs + 1));

    rule->layer = layer;
    rule->ignoreErrors = ignoreErrors;
    rule->args = rule->inlineArgs;
    rule->exact = TRUE;
    return rule;
}

/* Stores the next of the @nargs arguments ruleNew() made room for. */
static void
ruleFill(virFirewallRule *rule, const char *arg)
{
    rule->args[rule->nargs++] = virFirewallIntern(arg);
}

/* Appends a pooled copy of @arg; the array stays NULL-terminated. */
static void
ruleAppend(virFirewallRule *rule, const char *arg)
{
    gsize slots = rule->nargs + 2;

    if (slots > ruleCapacity(rule->nargs + 1, rule->exact)) {
        if (rule->args == rule->inlineArgs)
            rule->args = g_memdup2(rule->args, sizeof(const char *) * (rule->nargs + 1));
        rule->args = g_renew(const char *, rule->args, ruleCapacity(slots, FALSE));
        rule->exact = FALSE;
    }
    rule->args[rule->nargs++] = virFirewallIntern(arg);
    rule->args[rule->nargs] = NULL;
}

/* A complete rule keeps exactly the slots it uses. */
static void
ruleTrim(virFirewallRule *rule)
{
    if (!rule || rule->exact)
        return;
    rule->args = g_renew(const char *, rule->args, rule->nargs + 1);
    rule->exact = TRUE;
}

/* @rule is the one arguments go to now: the previous one is complete. */
static void
building(virFirewall *fw, virFirewallRule *rule)
{
    if (fw->building != rule)
        ruleTrim(fw->building);
    fw->building = rule;
}

static void
virFirewallGroupFree(virFirewallGroup *group)
{
    if (!group)
        return;
    g_ptr_array_unref(group->action);
    g_ptr_array_unref(group->rollback);
    g_free(group);
}

virFirewall *
virFirewallNew(const char *name)
{
    virFirewall *fw = g_new0(virFirewall, 1);

    fw->name = g_strdup(name ? name : "");
    fw->groups = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallGroupFree);
    fw->currentGroup = -1;
    virFirewallPoolRef();
    return fw;
}

void
virFirewallFree(virFirewall *fw)
{
    if (!fw)
        return;
    g_ptr_array_unref(fw->groups);
    g_clear_pointer(&fw->origins, g_hash_table_unref);
    g_clear_pointer(&fw->originList, g_ptr_array_unref);
    g_free(fw->name);
    g_free(fw);
    virFirewallPoolUnref();
}

const char *
virFirewallGetName(const virFirewall *fw)
{
    return fw->name;
}

size_t
virFirewallGetGroupCount(const virFirewall *fw)
{
    return fw->groups->len;
}

virFirewallGroup *
virFirewallGetGroup(const virFirewall *fw, gsize i)
{
    return g_ptr_array_index(fw->groups, i);
}

static virFirewallGroup *
currentGroup(virFirewall *fw)
{
    if (fw->currentGroup < 0)
        return NULL;
    return g_ptr_array_index(fw->groups, fw->currentGroup);
}

void
virFirewallStartTransaction(virFirewall *fw, unsigned int flags)
{
    virFirewallGroup *group;

    if (fw->err)
        return;
    building(fw, NULL);
    group = g_new0(virFirewallGroup, 1);
    group->actionFlags = flags;
    group->action = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallRuleFree);
    group->rollback = g_ptr_array_new_with_free_func((GDestroyNotify)virFirewallRuleFree);
    g_ptr_array_add(fw->groups, group);
    fw->currentGroup = fw->groups->len - 1;
}

void
virFirewallStartRollback(virFirewall *fw, unsigned int flags)
{
    virFirewallGroup *group;

    if (fw->err)
        return;
    if (!(group = currentGroup(fw))) {
        fw->err = EINVAL;
        return;
    }
    group->rollbackFlags = flags;
    group->addingRollback = true;
}

static virFirewallRule *
addRule(virFirewall *fw, virFirewallLayer layer, bool ignoreErrors,
        virFirewallQueryCallback cb, void *opaque, gsize nargs)
{
    virFirewallGroup *group;
    virFirewallRule *rule;

    if (fw->err)
        return NULL;
    if (!(group = currentGroup(fw)) || layer >= VIR_FIREWALL_LAYER_LAST) {
        fw->err = EINVAL;
        return NULL;
    }

    if (group->addingRollback) {
        /* rollback rules always ignore errors; they may query (libvirt
         * 9.0's nwfilter removes its temporary sub-chains in a rollback
         * through an ebtables -L whose callback adds the -F/-X) */
        rule = ruleNew(layer, true, nargs);
        g_ptr_array_add(group->rollback, rule);
    } else {
        rule = ruleNew(layer, ignoreErrors ||
                       (group->actionFlags & VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS),
                       nargs);
        g_ptr_array_add(group->action, rule);
    }
    if (cb) {
        rule->query = g_new0(virFirewallRuleQuery, 1);
        rule->query->cb = cb;
        rule->query->opaque = opaque;
    }
    if (fw->origins && fw->origin)
        g_hash_table_insert(fw->origins, rule, (gpointer)fw->origin);
    building(fw, rule);
    return rule;
}

void
virFirewallKeepOrigins(virFirewall *fw)
{
    if (fw->origins)
        return;
    fw->origins = g_hash_table_new(g_direct_hash, g_direct_equal);
    fw->originList = g_ptr_array_new_with_free_func(g_free);
}

void
virFirewallSetOrigin(virFirewall *fw, const virFirewallRuleOrigin *origin)
{
    virFirewallRuleOrigin *copy;

    fw->origin = NULL;
    if (!fw->origins || !origin)
        return;
    /* the strings are pooled: they live as long as the program */
    copy = g_new0(virFirewallRuleOrigin, 1);
    copy->filter = virFirewallIntern(origin->filter);
    copy->file = virFirewallIntern(origin->file);
    copy->line = origin->line;
    copy->priority = origin->priority;
    g_ptr_array_add(fw->originList, copy);
    fw->origin = copy;
}

const virFirewallRuleOrigin *
virFirewallRuleGetOrigin(const virFirewall *fw, const virFirewallRule *rule)
{
    return fw->origins ? g_hash_table_lookup(fw->origins, rule) : NULL;
}

virFirewallRule *
virFirewallAddRuleFullV(virFirewall *fw, virFirewallLayer layer,
                        bool ignoreErrors, virFirewallQueryCallback cb,
                        void *opaque, const char *const *args)
{
    gsize n = args ? g_strv_length((char **)args) : 0;
    virFirewallRule *rule = addRule(fw, layer, ignoreErrors, cb, opaque, n);

    if (!rule)
        return NULL;
    for (gsize i = 0; i < n; i++)
        ruleFill(rule, args[i]);
    return rule;
}

virFirewallRule *
virFirewallAddRuleFull(virFirewall *fw, virFirewallLayer layer,
                       bool ignoreErrors, virFirewallQueryCallback cb,
                       void *opaque, ...)
{
    virFirewallRule *rule;
    va_list ap;
    const char *arg;
    gsize n = 0;

    va_start(ap, opaque);
    while (va_arg(ap, const char *))
        n++;
    va_end(ap);
    if (!(rule = addRule(fw, layer, ignoreErrors, cb, opaque, n)))
        return NULL;
    va_start(ap, opaque);
    while ((arg = va_arg(ap, const char *)))
        ruleFill(rule, arg);
    va_end(ap);
    return rule;
}

void
virFirewallRemoveRule(virFirewall *fw, virFirewallRule *rule)
{
    virFirewallGroup *group;

    if (fw->err || !rule)
        return;
    if (!(group = currentGroup(fw)))
        return;
    if (fw->building == rule)
        fw->building = NULL;
    if (fw->origins)
        g_hash_table_remove(fw->origins, rule);
    if (group->addingRollback)
        g_ptr_array_remove(group->rollback, rule);
    else
        g_ptr_array_remove(group->action, rule);
}

void
virFirewallRuleAddArg(virFirewall *fw, virFirewallRule *rule, const char *arg)
{
    if (fw->err || !rule)
        return;
    building(fw, rule);
    ruleAppend(rule, arg);
}

void
virFirewallRuleAddArgFormat(virFirewall *fw, virFirewallRule *rule,
                            const char *fmt, ...)
{
    g_autofree char *arg = NULL;
    va_list ap;

    if (fw->err || !rule)
        return;
    va_start(ap, fmt);
    arg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    building(fw, rule);
    ruleAppend(rule, arg);
}

void
virFirewallRuleAddArgSet(virFirewall *fw, virFirewallRule *rule,
                         const char *const *args)
{
    if (fw->err || !rule)
        return;
    /* libvirt joins a set with commas into one argument */
    g_autofree char *joined = g_strjoinv(",", (char **)args);
    building(fw, rule);
    ruleAppend(rule, joined);
}

void
virFirewallRuleAddArgList(virFirewall *fw, virFirewallRule *rule, ...)
{
    va_list ap;
    const char *arg;

    if (fw->err || !rule)
        return;
    building(fw, rule);
    va_start(ap, rule);
    while ((arg = va_arg(ap, const char *)))
        ruleAppend(rule, arg);
    va_end(ap);
}

size_t
virFirewallRuleGetArgCount(const virFirewallRule *rule)
{
    return rule ? rule->nargs : 0;
}

const char *const *
virFirewallRuleGetArgs(const virFirewallRule *rule)
{
    return rule->args;
}

const char *
virFirewallLayerBinary(virFirewallLayer layer)
{
    return layerBinaries[layer];
}

const char *
virFirewallLayerLockFlag(virFirewallLayer layer)
{
    return layer == VIR_FIREWALL_LAYER_ETHERNET ? "--concurrent" : "-w";
}

char *
virFirewallRuleToString(const virFirewallRule *rule)
{
    return virFirewallArgsToString(rule->layer, rule->args);
}

char *
virFirewallArgsToString(virFirewallLayer layer, const char *const *args)
{
    GString *str = g_string_new(layerBinaries[layer]);

    g_string_append_c(str, ' ');
    g_string_append(str, virFirewallLayerLockFlag(layer));
    for (gsize i = 0; args[i]; i++) {
        const char *arg = args[i];
        g_string_append_c(str, ' ');
        if (*arg && strpbrk(arg, " \t\n'\"\\!$`*?[](){};<>|&#~") == NULL) {
            g_string_append(str, arg);
        } else {
            g_autofree char *q = g_shell_quote(arg);
            g_string_append(str, q);
        }
    }
    return g_string_free(str, FALSE);
}

/* The --delete twin of an --insert/--append rule, for AUTO_ROLLBACK. */
static virFirewallRule *
autoRollbackRule(const virFirewallRule *rule)
{
    virFirewallRule *undo = NULL;

    for (gsize i = 0; i < rule->nargs; i++) {
        const char *arg = rule->args[i];
        if (g_str_equal(arg, "--insert") || g_str_equal(arg, "-I") ||
            g_str_equal(arg, "--append") || g_str_equal(arg, "-A")) {
            undo = ruleNew(rule->layer, true, rule->nargs);
            for (gsize j = 0; j < rule->nargs; j++)
                ruleFill(undo, j == i ? "--delete" : rule->args[j]);
            break;
        }
    }
    return undo;
}

static virFirewallExecResult
walkRule(virFirewall *fw, virFirewallGroup *group, const virFirewallRule *rule,
         virFirewallExecFunc exec, void *opaque, GError **error)
{
    g_autofree char *output = NULL;
    g_autoptr(GError) failure = NULL;
    virFirewallExecResult res;

    if (virFirewallRuleGetArgCount(rule) == 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "Can't apply empty firewall command in program '%s'",
                    fw->name);
        return VIR_FIREWALL_EXEC_ABORT;
    }

    res = exec(opaque, fw, rule, &output, &failure);
    if (res == VIR_FIREWALL_EXEC_ABORT) {
        g_propagate_error(error, g_steal_pointer(&failure));
        return res;
    }
    if (res == VIR_FIREWALL_EXEC_FAILED && !rule->ignoreErrors) {
        g_propagate_error(error, g_steal_pointer(&failure));
        return res;
    }

    if (res == VIR_FIREWALL_EXEC_OK && group &&
        (group->actionFlags & VIR_FIREWALL_TRANSACTION_AUTO_ROLLBACK)) {
        virFirewallRule *undo = autoRollbackRule(rule);
        if (undo)
            g_ptr_array_add(group->rollback, undo);
    }

    if (rule->query && output) {
        g_auto(GStrv) lines = g_strsplit(output, "\n", -1);
        int cbret = rule->query->cb(fw, rule->layer, (const char *const *)lines,
                                    rule->query->opaque);
        if (cbret < 0 || fw->err) {
            g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                        "Query callback failed for firewall program '%s'",
                        fw->name);
            return VIR_FIREWALL_EXEC_ABORT;
        }
    }
    return VIR_FIREWALL_EXEC_OK;
}

static void
walkRollback(virFirewall *fw, gsize idx, virFirewallExecFunc exec,
             void *opaque)
{
    virFirewallGroup *group = g_ptr_array_index(fw->groups, idx);

    /* as libvirt's virFirewallRollbackGroup: rules a query's callback
     * adds go to the end of this rollback and run in this loop */
    fw->currentGroup = idx;
    group->addingRollback = true;
    for (gsize j = 0; j < group->rollback->len; j++) {
        g_autoptr(GError) ignored = NULL;
        walkRule(fw, NULL, g_ptr_array_index(group->rollback, j),
                 exec, opaque, &ignored);
    }
}

static gboolean
walkGroups(virFirewall *fw, virFirewallExecFunc exec, void *opaque,
           GError **error)
{
    if (fw->err) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "Unable to create firewall command for program '%s': "
                    "a rule was added outside a transaction, or for an "
                    "unknown layer",
                    fw->name);
        return FALSE;
    }

    for (gsize i = 0; i < fw->groups->len; i++) {
        virFirewallGroup *group = g_ptr_array_index(fw->groups, i);
        virFirewallExecResult res = VIR_FIREWALL_EXEC_OK;
        g_autoptr(GError) failure = NULL;
        gsize first;

        fw->currentGroup = i;
        group->addingRollback = false;

        /* callbacks may append: re-read the length every step */
        for (gsize j = 0; j < group->action->len; j++) {
            res = walkRule(fw, group, g_ptr_array_index(group->action, j),
                           exec, opaque, &failure);
            if (res != VIR_FIREWALL_EXEC_OK)
                break;
        }
        if (res == VIR_FIREWALL_EXEC_OK)
            continue;

        /* libvirt scans every earlier group for INHERIT_PREVIOUS without
         * stopping at a group that lacks it: the lowest one wins. */
        first = i;
        for (gsize j = 0; j < i; j++) {
            virFirewallGroup *g = g_ptr_array_index(fw->groups, i - j);
            if (g->rollbackFlags & VIR_FIREWALL_ROLLBACK_INHERIT_PREVIOUS)
                first = (i - j) - 1;
        }
        for (gsize j = first; j <= i; j++)
            walkRollback(fw, j, exec, opaque);
        g_propagate_error(error, g_steal_pointer(&failure));
        return FALSE;
    }
    return TRUE;
}

/* Drops the rules a walk added; a list the walk grew gives the room back
 * (a query's callback can add a hundred rules to a group of three). */
static void
truncateRules(GPtrArray **rules, guint len)
{
    GPtrArray *grown = *rules;

    if (grown->len == len)
        return;
    g_ptr_array_set_size(grown, len);
    *rules = g_ptr_array_new_full(len, (GDestroyNotify)virFirewallRuleFree);
    for (guint i = 0; i < len; i++)
        g_ptr_array_add(*rules, g_ptr_array_index(grown, i));
    g_ptr_array_set_free_func(grown, NULL);
    g_ptr_array_unref(grown);
}

gboolean
virFirewallWalk(virFirewall *fw, virFirewallExecFunc exec, void *opaque,
                GError **error)
{
    g_autofree guint *lens = g_new0(guint, 2 * fw->groups->len + 1);
    virFirewallGroup *last = fw->groups->len ?
        g_ptr_array_index(fw->groups, fw->groups->len - 1) : NULL;
    bool lastAdding = last && last->addingRollback;
    gboolean ret;

    /* the program is complete; rules added while walking are dropped
     * below */
    building(fw, NULL);
    /* Callbacks and AUTO_ROLLBACK grow the group lists while walking. The
     * restore backend walks a program more than once (it re-plans after
     * learning that a line fails), so every walk starts from the program
     * as it was built. */
    for (gsize i = 0; i < fw->groups->len; i++) {
        virFirewallGroup *group = g_ptr_array_index(fw->groups, i);
        lens[2 * i] = group->action->len;
        lens[2 * i + 1] = group->rollback->len;
    }
    ret = walkGroups(fw, exec, opaque, error);
    building(fw, NULL);
    for (gsize i = 0; i < fw->groups->len; i++) {
        virFirewallGroup *group = g_ptr_array_index(fw->groups, i);
        truncateRules(&group->action, lens[2 * i]);
        truncateRules(&group->rollback, lens[2 * i + 1]);
    }
    /* the builder goes on where it was: the walk moved the current group
     * and the side rules are added to */
    fw->currentGroup = fw->groups->len - 1;
    if (last)
        last->addingRollback = lastAdding;
    return ret;
}

static void
formatRules(GString *out, GPtrArray *rules)
{
    for (guint i = 0; i < rules->len; i++) {
        const virFirewallRule *rule = g_ptr_array_index(rules, i);
        g_string_append(out, layerNames[rule->layer]);
        if (rule->ignoreErrors)
            g_string_append(out, " ignore");
        if (rule->query)
            g_string_append(out, " query");
        for (gsize j = 0; j < rule->nargs; j++) {
            g_autofree char *q = g_shell_quote(rule->args[j]);
            g_string_append_c(out, ' ');
            g_string_append(out, q);
        }
        g_string_append_c(out, '\n');
    }
}

char *
virFirewallToText(const virFirewall *fw)
{
    GString *out = g_string_new(NULL);

    g_string_append_printf(out, "program %s\n", fw->name);
    for (guint g = 0; g < fw->groups->len; g++) {
        virFirewallGroup *group = g_ptr_array_index(fw->groups, g);
        g_string_append(out, "transaction");
        if (group->actionFlags & VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS)
            g_string_append(out, " ignore-errors");
        if (group->actionFlags & VIR_FIREWALL_TRANSACTION_AUTO_ROLLBACK)
            g_string_append(out, " auto-rollback");
        g_string_append_c(out, '\n');
        formatRules(out, group->action);
        if (group->rollback->len || group->rollbackFlags) {
            g_string_append(out, "rollback");
            if (group->rollbackFlags & VIR_FIREWALL_ROLLBACK_INHERIT_PREVIOUS)
                g_string_append(out, " inherit-previous");
            g_string_append_c(out, '\n');
            formatRules(out, group->rollback);
        }
    }
    return g_string_free(out, FALSE);
}
