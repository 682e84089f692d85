/*
 * firewall.h: the virFirewall model (libvirt's semantics)
 *
 * A firewall program is a list of groups (transactions). Each group holds
 * actions and a rollback list. A rule is a layer plus an argv without the
 * binary and without the lock flag (-w / --concurrent are added by the
 * backend). Builders never fail: a misuse is remembered and reported once,
 * at apply time.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef enum {
    VIR_FIREWALL_LAYER_ETHERNET,
    VIR_FIREWALL_LAYER_IPV4,
    VIR_FIREWALL_LAYER_IPV6,
    VIR_FIREWALL_LAYER_LAST
} virFirewallLayer;

typedef enum {
    /* every rule of the group ignores errors; the group never fails */
    VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS = 1 << 0,
    /* each successful --insert/-I/--append/-A adds its --delete twin to the
     * group's rollback list (libvirt >= 10.4 network driver) */
    VIR_FIREWALL_TRANSACTION_AUTO_ROLLBACK = 1 << 1,
} virFirewallTransactionFlags;

typedef enum {
    /* on failure, run the previous group's rollback before this one */
    VIR_FIREWALL_ROLLBACK_INHERIT_PREVIOUS = 1 << 0,
} virFirewallRollbackFlags;

typedef struct _virFirewall virFirewall;
typedef struct _virFirewallRule virFirewallRule;

/* Called with the query's stdout split on '\n' (NULL-terminated). May add
 * rules (they run at the end of the transaction, or of the rollback, being
 * walked: a rollback's rules may query too, as in libvirt); must not start
 * transactions. Return < 0 to abort the apply. */
typedef int (*virFirewallQueryCallback)(virFirewall *fw,
                                        virFirewallLayer layer,
                                        const char *const *lines,
                                        void *opaque);

const char *virFirewallLayerToString(virFirewallLayer layer);
int virFirewallLayerFromString(const char *str); /* -1 if unknown */

/* @name identifies the program in reports (an interface, a network). */
virFirewall *virFirewallNew(const char *name);
void virFirewallFree(virFirewall *fw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virFirewall, virFirewallFree)

const char *virFirewallGetName(const virFirewall *fw);

void virFirewallStartTransaction(virFirewall *fw, unsigned int flags);
void virFirewallStartRollback(virFirewall *fw, unsigned int flags);

virFirewallRule *virFirewallAddRuleFull(virFirewall *fw,
                                        virFirewallLayer layer,
                                        bool ignoreErrors,
                                        virFirewallQueryCallback cb,
                                        void *opaque,
                                        ...) G_GNUC_NULL_TERMINATED;
virFirewallRule *virFirewallAddRuleFullV(virFirewall *fw,
                                         virFirewallLayer layer,
                                         bool ignoreErrors,
                                         virFirewallQueryCallback cb,
                                         void *opaque,
                                         const char *const *args);

#define virFirewallAddRule(fw, layer, ...) \
    virFirewallAddRuleFull(fw, layer, false, NULL, NULL, __VA_ARGS__)

void virFirewallRemoveRule(virFirewall *fw, virFirewallRule *rule);

void virFirewallRuleAddArg(virFirewall *fw, virFirewallRule *rule,
                           const char *arg);
void virFirewallRuleAddArgFormat(virFirewall *fw, virFirewallRule *rule,
                                 const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void virFirewallRuleAddArgSet(virFirewall *fw, virFirewallRule *rule,
                              const char *const *args);
void virFirewallRuleAddArgList(virFirewall *fw, virFirewallRule *rule,
                               ...) G_GNUC_NULL_TERMINATED;
size_t virFirewallRuleGetArgCount(const virFirewallRule *rule);

/* The number of groups; 0 for an empty program. */
size_t virFirewallGetGroupCount(const virFirewall *fw);

/*
 * Where a rule comes from: for nwfilter, the <rule> of a filter file
 * that produced it. A tag for readers (virt-firewall show); the backends,
 * the text format and the desired hash ignore it. Kept only by a program
 * that asks for it (virFirewallKeepOrigins): 1000 interfaces' programs
 * hold some 100,000 rules, and reconnect has no use for it.
 */
typedef struct {
    const char *filter;   /* the filter's name */
    const char *file;     /* its file; NULL: not read from a file */
    int line;             /* of the <rule> element */
    int priority;         /* the priority the rule was instantiated with */
} virFirewallRuleOrigin;

void virFirewallKeepOrigins(virFirewall *fw);
/* The origin of the rules added from now on (copied); NULL: none. A
 * no-op unless the program keeps origins. */
void virFirewallSetOrigin(virFirewall *fw, const virFirewallRuleOrigin *origin);
/* NULL: the rule has none (chain plumbing, or origins not kept). */
const virFirewallRuleOrigin *virFirewallRuleGetOrigin(const virFirewall *fw,
                                                      const virFirewallRule *rule);

/* The program in virt-firewall's text format (text.h): stable across
 * runs, so it serves as the hash input for "did the desired rules change".
 * A rule with a query callback is marked "query"; callbacks themselves
 * are code and cannot be written out. */
char *virFirewallToText(const virFirewall *fw);
