/*
 * What the parts of test-differential share: the random batch generator
 * (differential-gen.c), reading the tables back and applying a batch with
 * each backend in a fresh namespace (differential-fixtures.c), and the
 * tests each part adds.
 */
#ifndef DIFFERENTIAL_H
#define DIFFERENTIAL_H

#include "backend.h"
#include "netns.h"
#include "nftgen.h"
#include "nfttable.h"
#include "text.h"
#include "restore/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A batch of programs in the text format, from @seed; @setup: one
 * program, the pre-existing state. */
char *genBatch(guint32 seed, gboolean setup);

char *saveLayer(vfRunner *runner, virFirewallLayer layer);
char *saveAll(vfRunner *runner);
/* how many outcomes checkResult compared with *-save */
extern guint resultsChecked;
void checkResult(vfApplyOutcome *outcome, vfRunner *runner);

/* Counts the *-save a backend runs (the tables it read), and the restores
 * that list their table (vfBackendOptions.listing). */
typedef struct {
    vfRunner parent;
    vfRunner *inner;
    guint saves;
    guint listings;
} CountingRunner;

gboolean countingRun(vfRunner *runner, const char *const *argv, const char *input,
                     vfRunResult *res, GError **error);

/* vfBackendOptions.listing for the restore backends of runOne and
 * testKept, and how many restores listed their table. */
extern vfListing listing;
extern guint listingsSeen;
/* vfBackendOptions.replay for them */
extern gboolean replayMode;

char *runOne(vfBackendKind kind, const char *setup, const char *batch,
             GString *failures, guint *processes);
char *sameAsExec(const char *setup, const char *batch, const char *failures);

/* the tests, by part */
void testKept(void);                /* differential-kept.c */
void testCreatedTable(void);        /* differential-cases.c */
void testLoops(void);
void testFacts(void);
void testJudged(void);
void testAdversarial(void);         /* differential-adversarial.c */

#endif /* DIFFERENTIAL_H */
