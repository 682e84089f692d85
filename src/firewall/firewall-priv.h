/*
 * firewall-priv.h: the program's structure, for backends only.
 */
#pragma once

#include "firewall.h"

typedef struct {
    virFirewallQueryCallback cb;
    void *opaque;
} virFirewallRuleQuery;

/*
 * 24 bytes: a program of 1000 interfaces holds some 100,000 rules. The
 * argument strings belong to the process-wide pool (virFirewallIntern);
 * the array is trimmed to its exact size once the rule is complete (the
 * next rule is added, the program is walked).
 */
struct _virFirewallRule {
    const char **args;            /* NULL-terminated; strings are pooled */
    virFirewallRuleQuery *query;  /* NULL: not a query */
    guint nargs;
    unsigned int layer : 2;       /* virFirewallLayer */
    unsigned int ignoreErrors : 1;
    unsigned int exact : 1;       /* args has exactly nargs + 1 slots */
    /* where args starts, until it outgrows its first size: 160 000
     * rules of 1000 VMs' programs saved a block each */
    const char *inlineArgs[];
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
    virFirewallRule *building;  /* the rule arguments went to last */
    GHashTable *origins;        /* rule -> virFirewallRuleOrigin (borrowed
                                 * from originList); NULL: not kept */
    GPtrArray *originList;      /* of virFirewallRuleOrigin*, owned */
    const virFirewallRuleOrigin *origin;  /* of the rules added now */
};

/*
 * Argument strings are stored once per process: libvirt's programs repeat
 * a few words ("-t", "nat", "-A", chain names, "-j", "RETURN") over and
 * over (1000 interfaces: 586,000 arguments, 21,048 distinct). Every
 * program holds a reference on the pool and the last reference frees it,
 * so nothing outlives the programs. Whoever holds a reference may intern
 * strings of its own (the restore simulation does, for its log); they stay
 * valid until that reference is dropped.
 */
void virFirewallPoolRef(void);
void virFirewallPoolUnref(void);
const char *virFirewallIntern(const char *str);   /* NULL for NULL */

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
char *virFirewallArgsToString(virFirewallLayer layer, const char *const *args);

/* "ebtables" / "iptables" / "ip6tables" and "--concurrent" / "-w" */
const char *virFirewallLayerBinary(virFirewallLayer layer);
const char *virFirewallLayerLockFlag(virFirewallLayer layer);
