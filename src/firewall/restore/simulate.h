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

typedef struct {
    virFirewallLayer layer;
    char *table;
    GStrv words;        /* the restore line, e.g. -A CHAIN spec... */
    vfOp op;
    char *chain;
    char *chain2;       /* -E target */
    char *target;       /* the chain a rule jumps to, if any */
    char *ruleKey;      /* -A/-D by spec: the rule as *-save prints it */
    GPtrArray *released; /* -F: chains its flushed rules jumped to (a
                          * later -X of those depends on this entry) */
    gsize program;      /* index in the batch */
    guint seq;          /* rule number in the program's walk */
    guint logIndex;     /* position in the whole batch's log */
    gboolean ignorable;
    char *describe;     /* the command as libvirt would run it */
    GPtrArray *undo;    /* of GStrv: lines that reverse it, in order */
} vfLogEntry;

void vfLogEntryFree(vfLogEntry *e);

/* An entry for a line we write ourselves (an undo line): NULL if the
 * words are not a command we understand. */
vfLogEntry *vfLogEntryFromWords(virFirewallLayer layer, const char *table,
                                const char *const *words);

typedef struct {
    vfTableSet *sets[VIR_FIREWALL_LAYER_LAST];  /* NULL: layer unused */
    GPtrArray *log;                             /* of vfLogEntry* */
    GHashTable *facts;                          /* "prog:seq" -> reason */
    gsize program;
    guint seq;
} vfSimulation;

/* @snapshot: the tables as read (copied; NULL entries for unused
 * layers). @facts: lines the tools refused before, keyed by
 * vfSimulationFactKey(); borrowed. */
vfSimulation *vfSimulationNew(vfTableSet *const *snapshot, GHashTable *facts);
void vfSimulationFree(vfSimulation *sim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfSimulation, vfSimulationFree)

char *vfSimulationFactKey(gsize program, guint seq);

/* Walks every program in batch order. errors[i] is set for programs that
 * fail. A representability problem in a program's own rules refuses the
 * whole program before anything of it is simulated. */
void vfSimulationRun(vfSimulation *sim, virFirewall *const *fws, gsize n,
                     GError **errors);

/* The layers a program's rules use (bit per layer). */
guint vfProgramLayers(virFirewall *fw);

/* Would @rule's words survive the restore tokenizer? */
gboolean vfRuleCheckRepresentable(const virFirewallRule *rule, GError **error);
