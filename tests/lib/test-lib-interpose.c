/*
 * test-lib-interpose: the engine in a process that has libvirt's names.
 *
 * libvirt.so exports virFirewallNew(void), virFirewallFree, ... with other
 * signatures than the engine's internal functions of the same names. This
 * executable defines all 13 of libvirt 9.0's (libvirt_private.syms), with
 * libvirt's signatures, exported (export_dynamic) so that they come first
 * in the process's lookup scope, as libvirt.so's do in libvirtd, and
 * aborting if called. Applies through the ABI must work and never call
 * them: the engine's own calls bind inside the library (its version script
 * keeps them local).
 */
#include "callbacks.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <string.h>

/* ---- libvirt 9.0's src/util/virfirewall.h, as libvirt.so exports it ---- */
typedef struct _virFirewall virFirewall;
typedef struct _virFirewallRule virFirewallRule;
typedef int virFirewallLayer;
typedef int (*virFirewallQueryCallback)(virFirewall *, virFirewallLayer,
                                        const char *const *, void *);

#define LIBVIRT_NAME(name) \
    do { \
        fprintf(stderr, "libvirt's %s called from the engine\n", name); \
        abort(); \
    } while (0)

/* non-static and not declared elsewhere: prototypes for -Wmissing-prototypes */
virFirewall *virFirewallNew(void);
void virFirewallFree(virFirewall *firewall);
virFirewallRule *virFirewallAddRuleFull(virFirewall *firewall, virFirewallLayer layer,
                                        bool ignoreErrors, virFirewallQueryCallback cb,
                                        void *opaque, ...);
void virFirewallRemoveRule(virFirewall *firewall, virFirewallRule *rule);
void virFirewallRuleAddArg(virFirewall *firewall, virFirewallRule *rule, const char *arg);
void virFirewallRuleAddArgFormat(virFirewall *firewall, virFirewallRule *rule,
                                 const char *fmt, ...);
void virFirewallRuleAddArgSet(virFirewall *firewall, virFirewallRule *rule,
                              const char *const *args);
void virFirewallRuleAddArgList(virFirewall *firewall, virFirewallRule *rule, ...);
size_t virFirewallRuleGetArgCount(virFirewallRule *rule);
char *virFirewallRuleToString(const char *cmd, virFirewallRule *rule);
void virFirewallStartTransaction(virFirewall *firewall, unsigned int flags);
void virFirewallStartRollback(virFirewall *firewall, unsigned int flags);
int virFirewallApply(virFirewall *firewall);

virFirewall *virFirewallNew(void) { LIBVIRT_NAME("virFirewallNew"); }
void virFirewallFree(virFirewall *firewall) { LIBVIRT_NAME("virFirewallFree"); }
virFirewallRule *
virFirewallAddRuleFull(virFirewall *firewall, virFirewallLayer layer, bool ignoreErrors,
                       virFirewallQueryCallback cb, void *opaque, ...)
{
    LIBVIRT_NAME("virFirewallAddRuleFull");
}
void virFirewallRemoveRule(virFirewall *firewall, virFirewallRule *rule)
{
    LIBVIRT_NAME("virFirewallRemoveRule");
}
void virFirewallRuleAddArg(virFirewall *firewall, virFirewallRule *rule, const char *arg)
{
    LIBVIRT_NAME("virFirewallRuleAddArg");
}
void virFirewallRuleAddArgFormat(virFirewall *firewall, virFirewallRule *rule,
                                 const char *fmt, ...)
{
    LIBVIRT_NAME("virFirewallRuleAddArgFormat");
}
void virFirewallRuleAddArgSet(virFirewall *firewall, virFirewallRule *rule,
                              const char *const *args)
{
    LIBVIRT_NAME("virFirewallRuleAddArgSet");
}
void virFirewallRuleAddArgList(virFirewall *firewall, virFirewallRule *rule, ...)
{
    LIBVIRT_NAME("virFirewallRuleAddArgList");
}
size_t virFirewallRuleGetArgCount(virFirewallRule *rule)
{
    LIBVIRT_NAME("virFirewallRuleGetArgCount");
}
char *virFirewallRuleToString(const char *cmd, virFirewallRule *rule)
{
    LIBVIRT_NAME("virFirewallRuleToString");
}
void virFirewallStartTransaction(virFirewall *firewall, unsigned int flags)
{
    LIBVIRT_NAME("virFirewallStartTransaction");
}
void virFirewallStartRollback(virFirewall *firewall, unsigned int flags)
{
    LIBVIRT_NAME("virFirewallStartRollback");
}
int virFirewallApply(virFirewall *firewall) { LIBVIRT_NAME("virFirewallApply"); }

/* ---- the test ---- */

static int
emptySaves(TestRunner *r, const char *const *argv, const char *input,
           int *status, char **out)
{
    return 0;
}

static void
applyBoth(vflBackend backend)
{
    TestRunner r = { .answer = emptySaves };
    vflEngine *engine = vflEngineNew(backend, 0, testRun, &r, NULL);
    vflProgram *prog = vflProgramNew("net");
    EnsureQuery q = { "filter", "LIBVIRT_INP", "INPUT", 0, prog };
    char *errors[1] = { NULL }, *batchError = NULL;

    CHECK(engine);
    vflProgramStartTransaction(prog, 0);
    testQuery(prog, VFL_LAYER_IPV4, ensureCallback, &q, "-t filter --list-rules");
    vflProgramStartTransaction(prog, 0);
    testAdd(prog, VFL_LAYER_IPV4, false, "-t filter -A LIBVIRT_INP -j ACCEPT");
    vflProgramStartRollback(prog, 0);
    testAdd(prog, VFL_LAYER_IPV4, false, "-t filter -D LIBVIRT_INP -j ACCEPT");
    if (vflEngineApply(engine, &prog, 1, errors, &batchError, NULL) != 0)
        fprintf(stderr, "%s\n%s\n", errors[0] ? errors[0] : "", batchError ? batchError : "");
    CHECK(!errors[0] && !batchError);
    CHECK(q.calls >= 1);
    if (backend == VFL_BACKEND_RESTORE)
        CHECK_STR(r.log.s, "# iptables-restore -w 10 --noflush\n*filter\n"
                           "-N LIBVIRT_INP\n-A INPUT -j LIBVIRT_INP\n"
                           "-A LIBVIRT_INP -j ACCEPT\nCOMMIT\n");
    else   /* the dry run answers the listing with nothing */
        CHECK_STR(r.log.s, "# iptables -w -t filter --list-rules\n"
                           "# iptables -w --table filter --new-chain LIBVIRT_INP\n"
                           "# iptables -w --table filter --insert INPUT --jump LIBVIRT_INP\n"
                           "# iptables -w -t filter -A LIBVIRT_INP -j ACCEPT\n");
    vflProgramFree(prog);
    vflEngineFree(engine);
    bufFree(&r.log);
}

int
main(void)
{
    /* the process resolves libvirt's names to this executable, as
     * libvirtd resolves them to libvirt.so */
    CHECK(dlsym(RTLD_DEFAULT, "virFirewallNew") == (void *)virFirewallNew);
    CHECK(dlsym(RTLD_DEFAULT, "virFirewallAddRuleFull") == (void *)virFirewallAddRuleFull);
    /* and the library lends none of its own */
    CHECK(!dlsym(RTLD_DEFAULT, "virFirewallWalk"));
    CHECK(!dlsym(RTLD_DEFAULT, "vfBackendApply"));
    CHECK(dlsym(RTLD_DEFAULT, "vflEngineApply"));

    applyBoth(VFL_BACKEND_RESTORE);
    applyBoth(VFL_BACKEND_EXEC);
    printf("ok: the engine never called libvirt's virFirewall* names\n");
    return 0;
}
