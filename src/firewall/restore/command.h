/*
 * command.h: one iptables/ip6tables/ebtables argv, understood
 *
 * The restore backend must know what each rule does to a table: which
 * table, which operation, which chain, and the rule spec.
 */
#pragma once

#include "firewall.h"

typedef enum {
    VF_OP_APPEND,        /* -A chain spec */
    VF_OP_INSERT,        /* -I chain [pos] spec */
    VF_OP_DELETE,        /* -D chain spec */
    VF_OP_DELETE_NUM,    /* -D chain pos */
    VF_OP_NEW_CHAIN,     /* -N chain */
    VF_OP_DELETE_CHAIN,  /* -X chain */
    VF_OP_FLUSH,         /* -F [chain] */
    VF_OP_RENAME,        /* -E old new */
    VF_OP_POLICY,        /* -P chain policy */
    VF_OP_LIST,          /* ebtables -L [chain] */
    VF_OP_LIST_RULES,    /* iptables -S [chain] */
} vfOp;

typedef struct {
    virFirewallLayer layer;
    char *table;
    vfOp op;
    char *chain;         /* NULL for "all chains" (-F, -L, -S) */
    char *arg;           /* -E new name, -P policy */
    guint pos;           /* -I position (0 = 1), -D number */
    GStrv spec;          /* the rule spec as given (never NULL) */
} vfCommand;

void vfCommandFree(vfCommand *cmd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfCommand, vfCommandFree)

/* NULL with @error (VF_ERROR_UNSUPPORTED) for what the restore backend
 * cannot express. */
vfCommand *vfCommandParse(virFirewallLayer layer, const char *const *args,
                          GError **error);

/* Does this op change the table (as opposed to reading it)? */
gboolean vfCommandIsWrite(const vfCommand *cmd);

/* The chain a rule spec jumps or goes to (-j/-g/--jump/--goto), or NULL. */
const char *vfSpecTarget(const char *const *spec);
