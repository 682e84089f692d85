/*
 * callbacks.h: libvirt's query callbacks, written against the ABI
 *
 * The same logic as libvirt 9.0's (nwfilter_ebiptables_driver.c,
 * viriptables.c) and as the project's text format's (src/firewall/text.c),
 * so the golden files of tests/restoredata/firewall hold for them.
 */
#pragma once

#include "testlib.h"

#include <string.h>

/* query=ensure:CHAIN:PARENT, viriptables.c's iptablesPrivateChainCreate:
 * create the chain and the jump the listing lacks */
typedef struct {
    const char *table;
    const char *chain;
    const char *parent;
    unsigned int calls;
    vflProgram *prog;   /* the program the callback must be handed */
} EnsureQuery;

static inline int
ensureCallback(vflProgram *prog, vflLayer layer, const char *const *lines,
               void *opaque)
{
    EnsureQuery *q = opaque;
    char decl[128], jump[128];
    bool haveChain = false, haveJump = false;

    CHECK(prog == q->prog);
    q->calls++;
    snprintf(decl, sizeof(decl), "-N %s", q->chain);
    snprintf(jump, sizeof(jump), "-A %s -j %s", q->parent, q->chain);
    for (size_t i = 0; lines[i]; i++) {
        haveChain |= strcmp(lines[i], decl) == 0;
        haveJump |= strcmp(lines[i], jump) == 0;
    }
    if (!haveChain) {
        const char *args[] = { "--table", q->table, "--new-chain", q->chain, NULL };
        vflProgramAddRule(prog, layer, false, NULL, NULL, args);
    }
    if (!haveJump) {
        const char *args[] = { "--table", q->table, "--insert", q->parent,
                               "--jump", q->chain, NULL };
        vflProgramAddRule(prog, layer, false, NULL, NULL, args);
    }
    return 0;
}

/* the chain a listed rule jumps to, if it is a user chain (lower case
 * somewhere: not ACCEPT, RETURN, ...) */
static inline bool
jumpTarget(const char *line, char *name, size_t len)
{
    const char *j = strstr(line, "-j ");
    bool lower = false;
    size_t n;

    if (!j)
        return false;
    j += 3;
    n = strcspn(j, " ");
    if (!n || n >= len)
        return false;
    memcpy(name, j, n);
    name[n] = '\0';
    for (size_t i = 0; i < n; i++)
        lower |= name[i] >= 'a' && name[i] <= 'z';
    return lower;
}

/* query=cleanup, ebtablesRemoveSubChainsQuery: every user chain a listed
 * rule jumps to is listed the same way, flushed and deleted (errors
 * ignored); @opaque: the table */
static inline int
cleanupCallback(vflProgram *prog, vflLayer layer, const char *const *lines,
                void *opaque)
{
    const char *table = opaque;
    const char *list = layer == VFL_LAYER_ETHERNET ? "-L" : "-S";

    for (size_t i = 0; lines[i]; i++) {
        char name[64];
        if (!jumpTarget(lines[i], name, sizeof(name)))
            continue;
        {
            const char *q[] = { "-t", table, list, name, NULL };
            const char *f[] = { "-t", table, "-F", name, NULL };
            const char *x[] = { "-t", table, "-X", name, NULL };
            vflProgramAddRule(prog, layer, false, cleanupCallback, opaque, q);
            vflProgramAddRule(prog, layer, true, NULL, NULL, f);
            vflProgramAddRule(prog, layer, true, NULL, NULL, x);
        }
    }
    return 0;
}

/* ebtablesRenameTmpSubAndRootChainsQuery: every chain J-... / P-... a
 * temporary chain jumps to is renamed I-... / O-..., after the same for
 * the chains it jumps to */
static inline int
renameCallback(vflProgram *prog, vflLayer layer, const char *const *lines,
               void *opaque)
{
    for (size_t i = 0; lines[i]; i++) {
        const char *tmp = strstr(lines[i], "-j ");
        char chain[64], renamed[64];

        if (!tmp)
            continue;
        tmp += 3;
        if ((tmp[0] != 'J' && tmp[0] != 'P') || tmp[1] != '-')
            continue;
        snprintf(chain, sizeof(chain), "%.*s", (int)strcspn(tmp, " "), tmp);
        snprintf(renamed, sizeof(renamed), "%c%s", tmp[0] == 'J' ? 'I' : 'O', chain + 1);
        {
            const char *q[] = { "-t", "nat", "-L", chain, NULL };
            const char *f[] = { "-t", "nat", "-F", renamed, NULL };
            const char *x[] = { "-t", "nat", "-X", renamed, NULL };
            const char *e[] = { "-t", "nat", "-E", chain, renamed, NULL };
            vflProgramAddRule(prog, layer, false, renameCallback, opaque, q);
            vflProgramAddRule(prog, layer, true, NULL, NULL, f);
            vflProgramAddRule(prog, layer, true, NULL, NULL, x);
            vflProgramAddRule(prog, layer, false, NULL, NULL, e);
        }
    }
    return 0;
}
