/*
 * table.h: an in-memory copy of the kernel's tables for one layer
 *
 * Rules are held as the tokens *-save prints after "-A CHAIN" (read and
 * printed the way savefmt.h says; a rule that cannot be read back exactly
 * is an opaque one, equal only to itself). A chain
 * read from *-save keeps its lines unparsed until something looks at its
 * rules (vfChainRules): a VM start touches a handful of the chains
 * (docs/performance.md, "The in-memory tables' layout").
 */
#pragma once

#include "firewall.h"

typedef struct {
    char *name;         /* nameBuf, or its own block after a rename */
    gboolean builtin;
    const char *policy; /* builtins and ebtables chains; NULL for "-";
                         * the common verdicts shared, not copied */
    GPtrArray *parsed;  /* of packed GStrv, NULL until needed; only
                         * through vfChainRules(). With lines: the rules
                         * appended after them (a VM start's jump after
                         * 999 others in PREROUTING, not parsed for it) */
    const char *lines;  /* unparsed "-A NAME ..." lines, or NULL */
    gsize linesLen;
    gboolean fromSave;  /* there when *-save was read and still under that
                         * name: only such a chain can have unparsed
                         * referrers (the kernel refuses jumps to others) */
    gboolean pristine;  /* copied from the table this one's table was
                         * copied from, and unchanged since */
    /* vfChainHasRule's index of the rules (lines and parsed): key
     * (table-rules.c ruleKey) -> count, made once the chain was scanned
     * often, then kept true by every edit, dropped by a flush */
    GHashTable *ruleKeys;
    guint scans;
    char nameBuf[];     /* one block per chain: thousands of them, made
                         * twice per run */
} vfChain;

typedef struct {
    char *name;
    virFirewallLayer layer; /* how its lines are read (savefmt.h) */
    GPtrArray *chains;  /* of vfChain*, builtins first in kernel order */
    GHashTable *byName; /* name -> vfChain* */
    GStringChunk *names; /* chain names written into packed rules by renames */
    GHashTable *refs;   /* chain name -> set (GHashTable) of the parsed
                         * rules (GStrv) that jump or go to it: ACCEPT and
                         * DROP collect thousands, removal must not scan */
    GHashTable *lineRefs; /* chain name -> (vfChain* -> count) of unparsed
                         * rules jumping to it; built when first needed */
    GPtrArray *sources; /* of GBytes: the texts unparsed lines point into */
    /* Provenance, so a difference against the table this one was copied
     * from needs to look at the chains that changed only (a VM start at
     * 1000 interfaces changes 11 of 9000 chains): */
    guint64 id;         /* unique among the tables of the process */
    guint64 serial;     /* bumped by every change of its chains */
    guint64 copiedFrom; /* id and serial of the source at the copy, 0 */
    guint64 copiedSerial;
    GHashTable *gone;   /* names of the chains removed or renamed away
                         * since the copy */
    /* Known: no chain of the table reaches a loop of jumps. FALSE: not
     * known (lines read, a jump that may close one); vfTableJumpLoops
     * finds out again when it needs to. */
    gboolean noLoops;
    /* vfTableJumpLoops's last walk (from @to, looking for @from), for the
     * insert that follows it: valid while serial is unchanged */
    struct {
        const vfChain *from, *to;
        guint64 serial;
        gboolean loops;
    } walk;
} vfTable;

typedef struct {
    virFirewallLayer layer;
    GPtrArray *tables;  /* of vfTable* */
    /* vfTableSetFormat() would not print what *-save does: the text held
     * lines that could not be read (skipped: a table or chain no name
     * could be found for), or a rule was added whose printed form only
     * the kernel knows (a host name for an address). Such tables are
     * never recorded as the kernel's. */
    gboolean inexact;
} vfTableSet;

vfTableSet *vfTableSetNew(virFirewallLayer layer);
vfTableSet *vfTableSetCopy(const vfTableSet *set);
void vfTableSetFree(vfTableSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfTableSet, vfTableSetFree)

vfTable *vfTableSetGet(const vfTableSet *set, const char *table);
/* Creates the table with its builtin chains, as the tools do on the first
 * successful write. NULL for a table name the layer does not have. */
vfTable *vfTableSetEnsure(vfTableSet *set, const char *table);
gboolean vfTableNameValid(virFirewallLayer layer, const char *table);
gboolean vfChainIsBuiltin(virFirewallLayer layer, const char *table,
                          const char *chain);

vfChain *vfTableGetChain(const vfTable *table, const char *name);
gssize vfTableChainIndex(const vfTable *table, const char *name);
vfChain *vfTableAddChain(vfTable *table, const char *name, gboolean builtin,
                         const char *policy);
void vfTableRemoveChain(vfTable *table, const char *name);
/* The chain's rules (parsing its lines first if they are not yet). */
GPtrArray *vfChainRules(vfTable *table, vfChain *chain);
/* How many parsed rules follow the chain's unparsed lines (0 without). */
guint vfChainTailLength(const vfChain *chain);
/* How many rules the table holds (its unparsed lines counted, not parsed). */
gsize vfTableCountRules(const vfTable *table);
/* Does the chain hold @rule (tokens as the table holds them)? Without
 * parsing its lines unless they have quotes. */
gboolean vfChainHasRule(vfTable *table, vfChain *chain, const char *const *rule);
/* vfChainHasRule's index (vfChain.ruleKeys, if made): @rule added to or
 * removed from @chain outside the edits of table-rules.c (a rename). */
void vfChainIndexAdd(vfChain *chain, const char *const *rule);
void vfChainIndexRemove(vfChain *chain, const char *const *rule);
/* Known equal by printing @chain's parsed rules as *-save does and
 * comparing with the unparsed lines of @other (a rebuilt chain against
 * the kernel's: no need to parse the kernel's). FALSE also where only the
 * quoting differs. */
gboolean vfChainMatchesLines(virFirewallLayer layer, const vfChain *chain,
                             const vfChain *other);
gboolean vfChainIsEmpty(const vfChain *chain);
/* Takes the "-A" lines of @chain from @text (which @table must hold in
 * sources) unparsed; lines for a chain that already has rules are parsed. */
void vfTableAddLines(vfTable *table, vfChain *chain, const char *text, gsize len);

/* Sets an existing chain's policy (NULL: "-"). */
void vfTableSetPolicy(vfTable *table, vfChain *chain, const char *policy);

/* Was @table copied from @source, which has not changed since? Then a
 * pristine chain of @table is the chain of @source of that name, same
 * policy and rules, and a chain of @source that @table lacks is named in
 * @table->gone. */
gboolean vfTableCopiedFrom(const vfTable *table, const vfTable *source);

/* How many rules jump or go to @name. */
guint vfTableCountReferences(vfTable *table, const char *name);
void vfTableRenameChain(vfTable *table, const char *from, const char *to);
/* Would a rule in @from that jumps or goes to @to make nf_tables refuse the
 * table ("Too many links")? It validates every chain a builtin chain
 * reaches and refuses a loop among them; a loop no builtin chain reaches
 * it takes (kernel 6.18). Paths more than 15 user chains deep are refused
 * too, which this does not look at: libvirt nests 4. */
gboolean vfTableJumpLoops(vfTable *table, vfChain *from, vfChain *to);

/* A rule as the tables hold it: the token array and the token bytes in
 * one allocation (g_free() frees it), one allocation per rule instead of
 * one per token (docs/performance.md). */
GStrv vfRulePack(const char *const *tokens);

/* Rule edits go through these so the reference index stays true. Insert
 * takes a packed rule; Steal hands one back (g_free it). */
void vfTableInsertRule(vfTable *table, vfChain *chain, guint index, GStrv rule);
/* At the end, leaving the chain's lines unparsed. */
void vfTableAppendRule(vfTable *table, vfChain *chain, GStrv rule);
GStrv vfTableStealRule(vfTable *table, vfChain *chain, guint index);
void vfTableFlushChain(vfTable *table, vfChain *chain);

/* *-save text of the whole set (without the #-comment lines). Only what
 * *-save prints where the set is exact (vfTableSet.inexact). */
char *vfTableSetFormat(const vfTableSet *set);
