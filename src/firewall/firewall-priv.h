/*
 * firewall-priv.h: the program's structure, for backends only.
 */
#pragma once

#include "firewall.h"

struct _virFirewallRule {
    virFirewallLayer layer;
    bool ignoreErrors;
    virFirewallQueryCallback cb;
    void *opaque;
    GPtrArray *args;        /* of char*, NULL-terminated */
};

typedef struct {
    unsigned int actionFlags;
    unsigned int rollbackFlags;
    GPtrArray *action;      /* of virFirewallRule* */
    GPtrArray *rollback;    /* of virFirewallRule* */
    bool addingRollback;
} virFirewallGroup;

struct _virFirewall {
    char *name;
    int err;                /* sticky builder misuse; reported at apply */
    GPtrArray *groups;      /* of virFirewallGroup* */
    gssize currentGroup;
};

const char *const *virFirewallRuleGetArgs(const virFirewallRule *rule);
virFirewallGroup *virFirewallGetGroup(const virFirewall *fw, gsize i);

typedef enum {
    VIR_FIREWALL_EXEC_OK,      /* the rule succeeded */
    VIR_FIREWALL_EXEC_FAILED,  /* the rule failed; @error says why */
    VIR_FIREWALL_EXEC_ABORT,   /* nothing can go on (tool missing...) */
} virFirewallExecResult;

/*
 * The executor runs one rule for the group walk. On OK it may set
 * *output (a query's stdout); on FAILED too (libvirt hands the stdout of
 * an ignored failing query to its callback).
 */
typedef virFirewallExecResult (*virFirewallExecFunc)(void *opaque,
                                                     virFirewall *fw,
                                                     const virFirewallRule *rule,
                                                     char **output,
                                                     GError **error);

/*
 * libvirt's virFirewallApply: walks groups in order, runs rules appended
 * by query callbacks at the end of the current group, and on a failing
 * non-ignored rule runs the rollback lists (inherit-previous chain) and
 * stops. Shared by every backend so the semantics live in one place.
 */
gboolean virFirewallWalk(virFirewall *fw,
                         virFirewallExecFunc exec,
                         void *opaque,
                         GError **error);

/* The argv as one line, for messages: "iptables -w -A INPUT ..." */
char *virFirewallRuleToString(const virFirewallRule *rule);

/* "ebtables" / "iptables" / "ip6tables" and "--concurrent" / "-w" */
const char *virFirewallLayerBinary(virFirewallLayer layer);
const char *virFirewallLayerLockFlag(virFirewallLayer layer);
