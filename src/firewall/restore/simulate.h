/*
 * simulate.h: running programs against an in-memory copy of the tables
 *
 * The restore backend cannot ask the kernel between two lines of a batch,
 * so it runs libvirt's group walk against a model of the tables instead:
 * every rule is decided (would it succeed?), every query is answered from
 * the model, and what changes the tables is logged. The log, in order, is
 * what the restore scripts must contain.
 */
#pragma once

#include "firewall-priv.h"
#include "command.h"
#include "table.h"

/*
 * One change to a table. Entries of the simulation keep their strings in
 * the argument pool (@pooled: virFirewallIntern, or literals), so an entry
 * costs its arrays only; entries made elsewhere (the difference, undo
 * lines) own theirs.
 */
typedef struct {
    virFirewallLayer layer;
    vfOp op;
    guint seq;          /* rule number in the program's walk */
    guint logIndex;     /* position in the whole batch's log */
    gsize program;      /* index in the batch */
    char *table;
    GStrv words;        /* the restore line, e.g. -A CHAIN spec... */
    char *chain;
    char *chain2;       /* -E target */
    char *target;       /* the chain a rule jumps to, if any */
    char *ruleKey;      /* -A/-D by spec: the rule as *-save prints it
                         * (always owned) */
    char *factKey;      /* vfSimulationFactKey of the rule (owned) */
    GPtrArray *released; /* -F: chains its flushed rules jumped to (a
                          * later -X of those depends on this entry) */
    char *describe;     /* NULL until vfLogEntryDescribe() */
    GPtrArray *undo;    /* of GStrv: lines that reverse it, in order; NULL
                         * until vfLogEntryUndo() (only what cannot be
                         * derived from the entry is recorded at once) */
    unsigned int ignorable : 1;
    unsigned int pooled : 1;    /* strings are not the entry's: free the
                                 * arrays only */
    unsigned int specStart : 2; /* -A/-I: words[specStart] starts the spec */
} vfLogEntry;

void vfLogEntryFree(vfLogEntry *e);

/*
 * A line: the words @a, @b, @c that are not NULL, then @spec. @pooled:
 * the words are interned (virFirewallIntern; the caller holds a pool
 * reference) and only the array is the caller's, to free with g_free, as
 * vfLogEntry.pooled entries do; else a GStrv of copies.
 */
GStrv vfLogLine(gboolean pooled, const char *a, const char *b, const char *c,
                const char *const *spec);

/* An entry for a line we write ourselves (an undo line): NULL if the
 * words are not a command we understand. */
vfLogEntry *vfLogEntryFromWords(virFirewallLayer layer, const char *table,
                                const char *const *words);

/* The command for messages: "iptables -w -t filter -A CHAIN ..." (built on
 * first use, kept in @e->describe). */
const char *vfLogEntryDescribe(vfLogEntry *e);

/* The lines that reverse @e, in order (built on first use, kept in
 * @e->undo): GStrv elements. */
GPtrArray *vfLogEntryUndo(vfLogEntry *e);

/* A rule only the kernel can judge (it names an ipset: the tables say
 * nothing of sets), where a program added it. */
typedef struct {
    virFirewallLayer layer;
    char *table;
    char *chain;
    GStrv rule;         /* as the tables hold it (vfRulePack) */
} vfJudgedRule;

typedef struct {
    vfTableSet *sets[VIR_FIREWALL_LAYER_LAST];  /* NULL: layer unused */
    GPtrArray *log;                             /* of vfLogEntry* */
    GHashTable *facts;                          /* vfSimulationFactKey -> reason */
    gsize program;
    guint seq;
    /* TRUE (the default): log every change. FALSE: every rule is decided
     * and the tables change exactly the same, queries are answered the
     * same, but @log stays empty (for a caller that needs only the
     * resulting tables). */
    gboolean keepLog;
    GPtrArray *judged;  /* of vfJudgedRule*, in the order added */
} vfSimulation;

/* @snapshot: the tables as read (copied; NULL entries for unused
 * layers). @facts: lines the tools refused before, keyed by
 * vfSimulationFactKey(); borrowed. The simulation holds a reference on
 * the argument pool (virFirewallPoolRef) for the strings of its log. */
vfSimulation *vfSimulationNew(vfTableSet *const *snapshot, GHashTable *facts);
/* The same, starting from copies made ahead (taken, set to NULL); a layer
 * with a snapshot but no copy is copied here. */
vfSimulation *vfSimulationNewFrom(vfTableSet *const *snapshot, vfTableSet **copies,
                                  GHashTable *facts);
void vfSimulationFree(vfSimulation *sim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfSimulation, vfSimulationFree)

/* A refused rule of program @program: its place in the program's walk and
 * its text. The place alone is not the rule: once a fact makes an earlier
 * transaction fail, its rollback runs at the places where the later
 * transactions' rules were. */
char *vfSimulationFactKey(gsize program, guint seq, const virFirewallRule *rule);

/* A rule only the kernel can judge (it names an ipset) that a program
 * added and the final tables no longer hold: written as a difference, no
 * tool would ever see it, so a program exec fails would pass. Then the log
 * must be written instead; @why says which rule. */
gboolean vfSimulationJudgedGone(vfSimulation *sim, char **why);

/* Walks every program in batch order. errors[i] is set for programs that
 * fail. A representability problem in a program's own rules refuses the
 * whole program before anything of it is simulated. */
void vfSimulationRun(vfSimulation *sim, virFirewall *const *fws, gsize n,
                     GError **errors);
/* The same, calling @done(i, data) after program i was walked. */
void vfSimulationRunFull(vfSimulation *sim, virFirewall *const *fws, gsize n,
                         GError **errors, void (*done)(gsize, gpointer),
                         gpointer data);

/* The layers a program's rules use (bit per layer). */
guint vfProgramLayers(virFirewall *fw);
/* The layers @fw's actions add rules or chains to (what query callbacks
 * add aside): those a restore will most likely write. */
guint vfProgramAddLayers(virFirewall *fw);

/* Would @rule's words survive the restore tokenizer? */
gboolean vfRuleCheckRepresentable(const virFirewallRule *rule, GError **error);
