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

static void
virFirewallRuleFree(virFirewallRule *rule)
{
    if (!rule)
        return;
    g_ptr_array_unref(rule->args);
    g_free(rule);
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
    return fw;
}

void
virFirewallFree(virFirewall *fw)
{
    if (!fw)
        return;
    g_ptr_array_unref(fw->groups);
    g_free(fw->name);
    g_free(fw);
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
        virFirewallQueryCallback cb, void *opaque)
{
    virFirewallGroup *group;
    virFirewallRule *rule;

    if (fw->err)
        return NULL;
    if (!(group = currentGroup(fw)) || layer >= VIR_FIREWALL_LAYER_LAST) {
        fw->err = EINVAL;
        return NULL;
    }

    rule = g_new0(virFirewallRule, 1);
    rule->layer = layer;
    rule->args = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(rule->args, NULL);

    if (group->addingRollback) {
        /* rollback rules always ignore errors and cannot query */
        rule->ignoreErrors = true;
        g_ptr_array_add(group->rollback, rule);
    } else {
        rule->ignoreErrors = ignoreErrors ||
            (group->actionFlags & VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
        rule->cb = cb;
        rule->opaque = opaque;
        g_ptr_array_add(group->action, rule);
    }
    return rule;
}

static void
ruleAppend(virFirewallRule *rule, char *arg)
{
    /* keep the array NULL-terminated */
    rule->args->pdata[rule->args->len - 1] = arg;
    g_ptr_array_add(rule->args, NULL);
}

virFirewallRule *
virFirewallAddRuleFullV(virFirewall *fw, virFirewallLayer layer,
                        bool ignoreErrors, virFirewallQueryCallback cb,
                        void *opaque, const char *const *args)
{
    virFirewallRule *rule = addRule(fw, layer, ignoreErrors, cb, opaque);

    if (!rule)
        return NULL;
    for (gsize i = 0; args && args[i]; i++)
        ruleAppend(rule, g_strdup(args[i]));
    return rule;
}

virFirewallRule *
virFirewallAddRuleFull(virFirewall *fw, virFirewallLayer layer,
                       bool ignoreErrors, virFirewallQueryCallback cb,
                       void *opaque, ...)
{
    virFirewallRule *rule = addRule(fw, layer, ignoreErrors, cb, opaque);
    va_list ap;
    const char *arg;

    if (!rule)
        return NULL;
    va_start(ap, opaque);
    while ((arg = va_arg(ap, const char *)))
        ruleAppend(rule, g_strdup(arg));
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
    ruleAppend(rule, g_strdup(arg));
}

void
virFirewallRuleAddArgFormat(virFirewall *fw, virFirewallRule *rule,
                            const char *fmt, ...)
{
    va_list ap;

    if (fw->err || !rule)
        return;
    va_start(ap, fmt);
    ruleAppend(rule, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

void
virFirewallRuleAddArgSet(virFirewall *fw, virFirewallRule *rule,
                         const char *const *args)
{
    if (fw->err || !rule)
        return;
    /* libvirt joins a set with commas into one argument */
    g_autofree char *joined = g_strjoinv(",", (char **)args);
    ruleAppend(rule, g_steal_pointer(&joined));
}

void
virFirewallRuleAddArgList(virFirewall *fw, virFirewallRule *rule, ...)
{
    va_list ap;
    const char *arg;

    if (fw->err || !rule)
        return;
    va_start(ap, rule);
    while ((arg = va_arg(ap, const char *)))
        ruleAppend(rule, g_strdup(arg));
    va_end(ap);
}

size_t
virFirewallRuleGetArgCount(const virFirewallRule *rule)
{
    return rule ? rule->args->len - 1 : 0;
}

const char *const *
virFirewallRuleGetArgs(const virFirewallRule *rule)
{
    return (const char *const *)rule->args->pdata;
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
    GString *str = g_string_new(layerBinaries[rule->layer]);

    g_string_append_c(str, ' ');
    g_string_append(str, virFirewallLayerLockFlag(rule->layer));
    for (gsize i = 0; i + 1 < rule->args->len; i++) {
        const char *arg = g_ptr_array_index(rule->args, i);
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

    for (gsize i = 0; i + 1 < rule->args->len; i++) {
        const char *arg = g_ptr_array_index(rule->args, i);
        if (g_str_equal(arg, "--insert") || g_str_equal(arg, "-I") ||
            g_str_equal(arg, "--append") || g_str_equal(arg, "-A")) {
            undo = g_new0(virFirewallRule, 1);
            undo->layer = rule->layer;
            undo->ignoreErrors = true;
            undo->args = g_ptr_array_new_with_free_func(g_free);
            g_ptr_array_add(undo->args, NULL);
            for (gsize j = 0; j + 1 < rule->args->len; j++)
                ruleAppend(undo, g_strdup(j == i ? "--delete" :
                                          g_ptr_array_index(rule->args, j)));
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

    if (rule->cb && output) {
        g_auto(GStrv) lines = g_strsplit(output, "\n", -1);
        int cbret = rule->cb(fw, rule->layer, (const char *const *)lines,
                             rule->opaque);
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
walkRollback(virFirewall *fw, virFirewallGroup *group,
             virFirewallExecFunc exec, void *opaque)
{
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
                    "a rule was added outside a transaction",
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
            walkRollback(fw, g_ptr_array_index(fw->groups, j), exec, opaque);
        g_propagate_error(error, g_steal_pointer(&failure));
        return FALSE;
    }
    return TRUE;
}

gboolean
virFirewallWalk(virFirewall *fw, virFirewallExecFunc exec, void *opaque,
                GError **error)
{
    g_autofree guint *lens = g_new0(guint, 2 * fw->groups->len + 1);
    gboolean ret;

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
    for (gsize i = 0; i < fw->groups->len; i++) {
        virFirewallGroup *group = g_ptr_array_index(fw->groups, i);
        g_ptr_array_set_size(group->action, lens[2 * i]);
        g_ptr_array_set_size(group->rollback, lens[2 * i + 1]);
    }
    fw->currentGroup = fw->groups->len - 1;
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
        if (rule->cb)
            g_string_append(out, " query");
        for (gsize j = 0; j + 1 < rule->args->len; j++) {
            g_autofree char *q = g_shell_quote(g_ptr_array_index(rule->args, j));
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
