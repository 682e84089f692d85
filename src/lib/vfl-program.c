/*
 * vfl-program.c: vflProgram, the ABI's face of a virFirewall program
 */
#include "vfl-priv.h"

/*
 * The engine calls a query's callback with the virFirewall it walks; the
 * caller's callback wants the vflProgram around it. Rules the caller adds
 * from there go through vflProgramAddRule to that same virFirewall, whose
 * walk appends them where libvirt's would: the end of the transaction, or
 * of the rollback, being walked.
 */
typedef struct {
    vflProgram *prog;
    vflQueryCallback cb;
    void *opaque;
} vflQuery;

static int
queryTrampoline(virFirewall *fw, virFirewallLayer layer,
                const char *const *lines, void *opaque)
{
    vflQuery *q = opaque;

    g_return_val_if_fail(q->prog->fw == fw, -1);
    return q->cb(q->prog, (vflLayer)layer, lines, q->opaque);
}

/* The record for (@cb, @opaque): shared, so a callback that adds queries
 * on every walk (the restore backend walks a program more than once)
 * does not grow the program. */
static vflQuery *
queryFor(vflProgram *prog, vflQueryCallback cb, void *opaque)
{
    vflQuery *q;

    for (guint i = 0; i < prog->queries->len; i++) {
        q = g_ptr_array_index(prog->queries, i);
        if (q->cb == cb && q->opaque == opaque)
            return q;
    }
    q = g_new0(vflQuery, 1);
    q->prog = prog;
    q->cb = cb;
    q->opaque = opaque;
    g_ptr_array_add(prog->queries, q);
    return q;
}

vflProgram *
vflProgramNew(const char *name)
{
    vflProgram *prog = g_new0(vflProgram, 1);

    prog->fw = virFirewallNew(name);
    prog->queries = g_ptr_array_new_with_free_func(g_free);
    return prog;
}

void
vflProgramFree(vflProgram *prog)
{
    if (!prog)
        return;
    virFirewallFree(prog->fw);
    g_ptr_array_unref(prog->queries);
    g_free(prog);
}

void
vflProgramStartTransaction(vflProgram *prog, unsigned int flags)
{
    virFirewallStartTransaction(prog->fw, flags);
}

void
vflProgramStartRollback(vflProgram *prog, unsigned int flags)
{
    virFirewallStartRollback(prog->fw, flags);
}

void
vflProgramAddRule(vflProgram *prog, vflLayer layer, int ignoreErrors,
                  vflQueryCallback cb, void *opaque,
                  const char *const *args)
{
    /* an unknown layer is a misuse the apply reports, as a missing
     * transaction is (the enum may be signed: no negative gets through) */
    virFirewallLayer l = (unsigned int)layer < VIR_FIREWALL_LAYER_LAST ?
                         (virFirewallLayer)layer : VIR_FIREWALL_LAYER_LAST;

    virFirewallAddRuleFullV(prog->fw, l, ignoreErrors != 0,
                            cb ? queryTrampoline : NULL,
                            cb ? queryFor(prog, cb, opaque) : NULL, args);
}

size_t
vflProgramGetTransactionCount(const vflProgram *prog)
{
    return virFirewallGetGroupCount(prog->fw);
}
