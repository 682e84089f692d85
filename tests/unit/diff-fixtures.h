/*
 * diff-fixtures.h: what the test-diff* programs share: random tables, and
 * an interpreter of restore lines with the tools' semantics (-A appends,
 * -I N inserts before rule N, -D N deletes rule N, -D SPEC deletes the
 * first equal rule, -F, -N, -X, -P); the kernel tests check the same
 * against the real tools for fewer, realistic cases.
 */
#pragma once

#include "restore/diff.h"
#include "restore/snapshot.h"

/* One of a few rules, some of them jumps to c1 or c2. */
GStrv randomRule(GRand *r);

/* An IPv4 filter table: c1, c2 (and c3 if @withC3), up to 11 random
 * rules in each of INPUT, FORWARD and the user chains. */
vfTableSet *randomSet(GRand *r, gboolean withC3);

/* The two rules' words are the same. */
gboolean ruleEq(const char *const *a, const char *const *b);

/* Runs one restore line against @t, as the tools would; fails the test
 * where the tools would refuse the line. */
void runLine(vfTable *t, const char *const *w);

/* Runs @diff's lines against @work as the tools would, and checks that
 * they make it @want; the number of lines. */
guint runDiff(vfTableSet *work, const vfDiff *diff, const vfTableSet *want, guint round);

/* @diff's scripts as text: "*table" then its lines. */
char *diffText(const vfDiff *diff);

/* @chain's rules as *-save prints them, each followed by '|'. */
char *rulesOf(vfTable *t, const char *chain);
