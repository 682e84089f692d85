/*
 * command.c: parsing libvirt's firewall argv into an operation
 */
#include "command.h"
#include "savefmt.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

void
vfCommandFree(vfCommand *cmd)
{
    if (!cmd)
        return;
    g_free(cmd->table);
    g_free(cmd->chain);
    g_free(cmd->arg);
    g_strfreev(cmd->spec);
    g_free(cmd);
}

typedef struct {
    const char *shortOpt;
    const char *longOpt;
    vfOp op;
} vfOpName;

static const vfOpName opNames[] = {
    { "-A", "--append", VF_OP_APPEND },
    { "-I", "--insert", VF_OP_INSERT },
    { "-D", "--delete", VF_OP_DELETE },
    { "-N", "--new-chain", VF_OP_NEW_CHAIN },
    { "-X", "--delete-chain", VF_OP_DELETE_CHAIN },
    { "-F", "--flush", VF_OP_FLUSH },
    { "-E", "--rename-chain", VF_OP_RENAME },
    { "-P", "--policy", VF_OP_POLICY },
    { "-L", "--list", VF_OP_LIST },
    { "-S", "--list-rules", VF_OP_LIST_RULES },
};

static gboolean
parseNumber(const char *str, guint *out)
{
    char *end;
    guint64 v;

    if (!str || !g_ascii_isdigit(*str))
        return FALSE;
    v = g_ascii_strtoull(str, &end, 10);
    if (*end || v == 0 || v > G_MAXUINT)
        return FALSE;
    *out = v;
    return TRUE;
}

static gboolean
isOptionWord(const char *s)
{
    return s && s[0] == '-' && s[1] != '\0';
}

vfCommand *
vfCommandParse(virFirewallLayer layer, const char *const *args, GError **error)
{
    g_autoptr(vfCommand) cmd = g_new0(vfCommand, 1);
    g_autoptr(GPtrArray) spec = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *line = g_strjoinv(" ", (char **)args);
    gboolean haveOp = FALSE;
    gsize n = g_strv_length((char **)args);

    cmd->layer = layer;
    for (gsize i = 0; i < n; i++) {
        const char *a = args[i];
        const vfOpName *found = NULL;

        /* libvirt names the table before the command; after it, "-t"
         * can be an option's value (a comment, a log prefix) */
        if (!haveOp && (g_str_equal(a, "-t") || g_str_equal(a, "--table"))) {
            if (i + 1 >= n)
                goto bad;
            g_free(cmd->table);
            cmd->table = g_strdup(args[++i]);
            continue;
        }
        if (!haveOp) {
            for (gsize k = 0; k < G_N_ELEMENTS(opNames); k++) {
                if (g_str_equal(a, opNames[k].shortOpt) ||
                    g_str_equal(a, opNames[k].longOpt))
                    found = &opNames[k];
            }
        }
        if (!found) {
            /* options of the list commands do not change their output
             * in a way our callers depend on... except these, which we
             * refuse rather than answer wrongly */
            if ((cmd->op == VF_OP_LIST || cmd->op == VF_OP_LIST_RULES) && haveOp)
                goto unsupported;
            g_ptr_array_add(spec, g_strdup(a));
            continue;
        }

        haveOp = TRUE;
        cmd->op = found->op;
        switch (cmd->op) {
        case VF_OP_DELETE_NUM:
        case VF_OP_APPEND:
        case VF_OP_NEW_CHAIN:
            if (i + 1 >= n || isOptionWord(args[i + 1]))
                goto bad;
            cmd->chain = g_strdup(args[++i]);
            break;
        case VF_OP_INSERT:
            if (i + 1 >= n || isOptionWord(args[i + 1]))
                goto bad;
            cmd->chain = g_strdup(args[++i]);
            if (i + 1 < n && parseNumber(args[i + 1], &cmd->pos))
                i++;
            break;
        case VF_OP_DELETE:
            if (i + 1 >= n || isOptionWord(args[i + 1]))
                goto bad;
            cmd->chain = g_strdup(args[++i]);
            if (i + 2 == n && parseNumber(args[i + 1], &cmd->pos)) {
                cmd->op = VF_OP_DELETE_NUM;
                i++;
            }
            break;
        case VF_OP_DELETE_CHAIN:
            if (i + 1 >= n || isOptionWord(args[i + 1]))
                goto unsupported; /* "delete every user chain" */
            cmd->chain = g_strdup(args[++i]);
            break;
        case VF_OP_FLUSH:
        case VF_OP_LIST:
        case VF_OP_LIST_RULES:
            if (i + 1 < n && !isOptionWord(args[i + 1]))
                cmd->chain = g_strdup(args[++i]);
            break;
        case VF_OP_RENAME:
        case VF_OP_POLICY:
            if (i + 2 >= n || isOptionWord(args[i + 1]))
                goto bad;
            cmd->chain = g_strdup(args[++i]);
            cmd->arg = g_strdup(args[++i]);
            break;
        }
    }

    if (!haveOp)
        goto bad;
    if ((cmd->op == VF_OP_LIST && layer != VIR_FIREWALL_LAYER_ETHERNET) ||
        (cmd->op == VF_OP_LIST_RULES && layer == VIR_FIREWALL_LAYER_ETHERNET))
        goto unsupported;
    if (spec->len && cmd->op != VF_OP_APPEND && cmd->op != VF_OP_INSERT &&
        cmd->op != VF_OP_DELETE)
        goto bad;
    if (!cmd->table)
        cmd->table = g_strdup("filter");
    g_ptr_array_add(spec, NULL);
    cmd->spec = (GStrv)g_ptr_array_free(g_steal_pointer(&spec), FALSE);
    return g_steal_pointer(&cmd);

 bad:
    g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                "Cannot understand firewall command '%s'", line);
    return NULL;
 unsupported:
    g_set_error(error, VF_ERROR, VF_ERROR_UNSUPPORTED,
                "The restore backend cannot express firewall command '%s'",
                line);
    return NULL;
}

gboolean
vfCommandIsWrite(const vfCommand *cmd)
{
    return cmd->op != VF_OP_LIST && cmd->op != VF_OP_LIST_RULES;
}

const char *
vfSpecTarget(const char *const *spec)
{
    /* the simulation asks for every rule it walks: options only */
    for (gsize i = 0; spec[i]; i++) {
        const char *w = spec[i];
        if (w[0] != '-' || !spec[i + 1])
            continue;
        if (((w[1] == 'j' || w[1] == 'g') && !w[2]) ||
            (w[1] == '-' && (g_str_equal(w, "--jump") || g_str_equal(w, "--goto"))))
            return spec[i + 1];
        /* a comment or a name may be "-j" ("--comment -j -j ACCEPT") */
        if (vfSaveOptionTakesWord(w, strlen(w)))
            i++;
    }
    return NULL;
}
