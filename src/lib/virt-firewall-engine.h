/*
 * virt-firewall-engine.h: the firewall engine of virt-firewall, for libvirt
 *
 * libvirt builds firewall programs (virFirewall: transactions of rules,
 * each rule a layer and an iptables/ip6tables/ebtables argv, with
 * ignore-errors, rollback and query callbacks) and runs them one process
 * per rule. This library runs the same programs with libvirt's semantics
 * through one of two backends:
 *
 *   VFL_BACKEND_EXEC     one process per rule, as libvirt does;
 *   VFL_BACKEND_RESTORE  the whole batch simulated against a copy of the
 *                        kernel's tables (one *-save per layer), then only
 *                        the difference written, one *-restore --noflush
 *                        per changed table. The kernel ends in the state
 *                        the exec backend leaves.
 *
 * A batch is several independent programs (one per interface or network):
 * each keeps its order and its failure scope, one failing program never
 * stops the others.
 *
 * The library starts no process itself: every tool runs through the
 * caller's vflRunFunc (libvirt: virCommand, so its logging and dry-run
 * work). Only the nf_tables generation id and the removal of an empty
 * table it created go over netlink (nft variants of the tools only), in
 * the caller's network namespace: the one its runner runs the tools in.
 *
 * Exported symbols all start with "vfl" and carry the version node
 * VIRT_FIREWALL_ENGINE_0.1; everything else in the library is hidden, so
 * its internal virFirewall* names never meet libvirt's.
 *
 * Threads: programs may be built and freed on any thread, several at
 * once. An engine is used by one thread at a time (libvirt holds its
 * firewall lock around every apply); the runner is called from that
 * thread only, never concurrently. An engine with VFL_ENGINE_KEEP_TABLES
 * prepares its next apply on a thread of its own (all signals blocked)
 * after an apply returns; the next apply, or vflEngineFree, waits for
 * it. That thread never calls the runner.
 *
 * Memory: strings the library hands out are freed with free() (or
 * g_free()).
 */
#ifndef VIRT_FIREWALL_ENGINE_H
#define VIRT_FIREWALL_ENGINE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VFL_VERSION_MAJOR 0
#define VFL_VERSION_MINOR 1

/* The same values as libvirt's virFirewallLayer. */
typedef enum {
    VFL_LAYER_ETHERNET = 0,   /* ebtables */
    VFL_LAYER_IPV4 = 1,       /* iptables */
    VFL_LAYER_IPV6 = 2,       /* ip6tables */
} vflLayer;

/* The same values as libvirt's virFirewallTransactionFlags. */
typedef enum {
    /* every rule of the transaction ignores errors; it never fails */
    VFL_TRANSACTION_IGNORE_ERRORS = 1 << 0,
    /* each successful insert/append adds its delete twin to the
     * transaction's rollback (libvirt >= 10.4) */
    VFL_TRANSACTION_AUTO_ROLLBACK = 1 << 1,
} vflTransactionFlags;

/* The same values as libvirt's virFirewallRollbackFlags. */
typedef enum {
    /* on failure, the previous transaction's rollback runs first */
    VFL_ROLLBACK_INHERIT_PREVIOUS = 1 << 0,
} vflRollbackFlags;

typedef enum {
    VFL_BACKEND_EXEC = 0,
    VFL_BACKEND_RESTORE = 1,
} vflBackend;

typedef struct _vflProgram vflProgram;
typedef struct _vflEngine vflEngine;

/* ---- programs ---- */

/*
 * A query rule's callback: @lines is the query's stdout split on '\n'
 * (NULL-terminated), also for an ignored failing query, as in libvirt.
 * It may add rules to @prog with vflProgramAddRule; they run at the end
 * of the transaction (or rollback) being walked. Return < 0 to abort the
 * program. The restore backend answers queries from its simulated
 * tables, and may walk a program more than once in one apply (after a
 * tool refused a line it could not foresee): a callback must only add
 * rules, and @opaque must stay valid until the apply returns.
 */
typedef int (*vflQueryCallback)(vflProgram *prog, vflLayer layer,
                                const char *const *lines, void *opaque);

/* @name names the program in error messages (an interface, a network). */
vflProgram *vflProgramNew(const char *name);
void vflProgramFree(vflProgram *prog);

/* As virFirewallStartTransaction / virFirewallStartRollback. */
void vflProgramStartTransaction(vflProgram *prog, unsigned int flags);
void vflProgramStartRollback(vflProgram *prog, unsigned int flags);

/*
 * Adds a rule to the current transaction (or its rollback, after
 * vflProgramStartRollback). @args is the tool's argv without the binary
 * and without libvirt's lock flag (-w, --concurrent): the engine adds
 * the flag it needs. @cb, if not NULL, makes it a query. A misuse (no
 * transaction, an empty argv) is remembered and reported by the apply,
 * as libvirt's builders do.
 */
void vflProgramAddRule(vflProgram *prog, vflLayer layer, int ignoreErrors,
                       vflQueryCallback cb, void *opaque,
                       const char *const *args);

/* The number of transactions so far (0: an empty program). */
size_t vflProgramGetTransactionCount(const vflProgram *prog);

/* ---- running tools ---- */

/*
 * Runs the tool @argv[0] (a bare name: "iptables-restore", "ebtables-save",
 * "ip6tables", ...; the caller finds it in its PATH) with @argv[1..],
 * @input (NULL: none) on its stdin. Returns 0 when it ran: *status is its
 * exit status (128 + signal if it was killed), *out and *err what it
 * printed (malloc'd, NULL meaning empty). Returns -1 when it could not be
 * run at all, with *err saying why.
 *
 * The tool must read all of @input or none of it: ebtables-restore
 * commits what it read at end of input, so a caller killed while writing
 * a pipe would leave a table torn. Put the whole input in place before
 * the tool starts (a sealed memfd or an unlinked file as its stdin). A
 * tool exits at the first line it refuses without reading the rest: that
 * is a *status and *err, never a SIGPIPE in the caller.
 */
typedef int (*vflRunFunc)(const char *const *argv, const char *input,
                          int *status, char **out, char **err,
                          void *opaque);

/*
 * Whether iptables-restore, ip6tables-restore and ebtables-restore can be
 * run (found, executable, start): 1 if they can, 0 if not. *why (may be
 * NULL) gets one line for the log saying what was found or what is
 * missing. Each tool found in PATH is run with --version through @run (3
 * processes when all are there).
 */
int vflProbeRestoreTools(vflRunFunc run, void *opaque, char **why);

/* ---- the engine ---- */

typedef enum {
    /*
     * For a caller that lives across applies (libvirtd): the restore
     * backend keeps the tables each apply leaves and starts the next one
     * from them instead of reading *-save, as long as the nf_tables
     * generation id shows nobody else changed the ruleset. Only where the
     * tools are the nft variants; otherwise the flag changes nothing.
     */
    VFL_ENGINE_KEEP_TABLES = 1 << 0,
} vflEngineFlags;

/* The engine does not own @opaque. NULL with *error on failure. */
vflEngine *vflEngineNew(vflBackend backend, unsigned int flags,
                        vflRunFunc run, void *opaque, char **error);
void vflEngineFree(vflEngine *engine);

vflBackend vflEngineGetBackend(const vflEngine *engine);

/* Seconds iptables/ip6tables wait for the xtables lock (-w); default 10. */
void vflEngineSetWait(vflEngine *engine, unsigned int seconds);

typedef struct {
    unsigned int processes;   /* tools run by this apply */
    unsigned int lines;       /* restore lines written, or rules run (exec) */
    unsigned int passes;      /* restore passes (0 for exec) */
    unsigned int retries;     /* tables re-run after a refused line */
    unsigned int reserved[8];
} vflStats;

/*
 * Applies @nprogs programs as one batch. @errors is an array of @nprogs
 * pointers the caller sets to NULL; for each program that failed,
 * errors[i] gets its message (the caller frees it). A failure of the
 * batch itself (a tool that cannot be run, the xtables lock, a *-save
 * it cannot parse) sets *batchError, and errors[] may be partly set.
 * The restore backend has then put back the tables it had written in
 * this apply, so their rules and chains are as before; a table the apply
 * created stays, empty, unless the tools are the nft variants (then it
 * is deleted, if no other process committed meanwhile). If putting back
 * failed too, *batchError says so and those tables stay as written.
 * Tables are committed one at a time: between two commits, and until the
 * put-back, the kernel holds a mix. The exec backend has no batch
 * failures: a tool it cannot run fails the program that ran it, as in
 * libvirt.
 * Returns 0 if every program succeeded, -1 otherwise. @stats may be NULL.
 */
int vflEngineApply(vflEngine *engine, vflProgram *const *progs,
                   size_t nprogs, char **errors, char **batchError,
                   vflStats *stats);

/* The library's version, "MAJOR.MINOR.MICRO". */
const char *vflVersion(void);

#ifdef __cplusplus
}
#endif

#endif /* VIRT_FIREWALL_ENGINE_H */
