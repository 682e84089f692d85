/*
 * testlib.h: what the tests of libvirt-firewall-engine.so share.
 *
 * They are written as libvirt would use the library: the public header
 * only, the .so only, plain C and POSIX (no GLib of their own), their own
 * runner of processes (fork/exec, as virCommand).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "virt-firewall-engine.h"

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1); \
        } \
    } while (0)

#define CHECK_STR(a, b) \
    do { \
        const char *a_ = (a), *b_ = (b); \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) { \
            fprintf(stderr, "%s:%d: %s != %s\n--- got\n%s\n--- expected\n%s\n", \
                    __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
            exit(1); \
        } \
    } while (0)

/* A growing string. */
typedef struct {
    char *s;
    size_t len, cap;
} Buf;

void bufAdd(Buf *b, const char *s);
void bufPrintf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bufFree(Buf *b);

/*
 * The tests' vflRunFunc (opaque: a TestRunner). Without @answer it runs
 * the tool (fork/exec through PATH, LC_ALL=C, @input on stdin); with it,
 * @answer fills in the result instead (a dry run, as libvirt's
 * virCommandSetDryRun). Every call is counted and logged.
 */
typedef struct TestRunner TestRunner;
struct TestRunner {
    /* dry run: fill in *status and *out (malloc'd or NULL); -1 for a tool
     * that cannot be run */
    int (*answer)(TestRunner *r, const char *const *argv, const char *input,
                  int *status, char **out);
    void *data;
    const char *refuse;   /* this tool cannot be run (-1), real or dry */
    unsigned int calls;   /* every call, refused ones too */
    unsigned int saves;   /* calls of a *-save */
    Buf log;              /* "# ARGV\nINPUT" per call but *-save */
};

int testRun(const char *const *argv, const char *input, int *status,
            char **out, char **err, void *opaque);

/* argv[0] without its directory */
const char *testBase(const char *path);

/* Runs @argv through @r; aborts the test if it fails. Returns stdout. */
char *testRunOk(TestRunner *r, const char *const *argv);

/* NULL-terminated argv from a string of words split on blanks (no
 * quoting: the tests' rules need none). */
char **testWords(const char *line);
void testWordsFree(char **words);

/* vflProgramAddRule with the words of @line. */
void testAdd(vflProgram *prog, vflLayer layer, bool ignore, const char *line);
void testQuery(vflProgram *prog, vflLayer layer, vflQueryCallback cb,
               void *opaque, const char *line);

/* The file's text (malloc'd), NULL if it cannot be read. */
char *testReadFile(const char *path);
