/*
 * test-lib-threads: programs built and freed on several threads at once,
 * as libvirt's drivers do, while engines apply on others.
 *
 * Inside, every rule's words go to one process-wide string pool that the
 * first program creates and the last one frees (firewall.c,
 * virFirewallPoolRef); its lock is what this exercises: builders that
 * intern the same and their own words, programs freed while others are
 * walked, the pool emptied and made again. Each applying thread (one
 * engine each; an engine is one thread's at a time) must get the same
 * restore input every time. Run under ASan/UBSan and valgrind in CI.
 */
#include "callbacks.h"

#include <pthread.h>
#include <string.h>

#define BUILDERS 4
#define APPLIERS 2
#define ROUNDS 600

static int
emptySaves(TestRunner *r, const char *const *argv, const char *input,
           int *status, char **out)
{
    return 0;
}

static vflProgram *
build(int who, int round, bool withQueries)
{
    char name[32], word[128];
    vflProgram *p;

    snprintf(name, sizeof(name), "vnet%d", who);
    p = vflProgramNew(name);
    vflProgramStartTransaction(p, VFL_TRANSACTION_IGNORE_ERRORS);
    if (withQueries)
        testQuery(p, VFL_LAYER_ETHERNET, cleanupCallback, "nat", "-t nat -L libvirt-J-vnet0");
    vflProgramStartTransaction(p, 0);
    snprintf(word, sizeof(word), "-t filter -N FJ-%s", name);
    testAdd(p, VFL_LAYER_IPV4, false, word);
    for (int i = 0; i < 20; i++) {
        /* words every thread has, and words of this thread and round */
        snprintf(word, sizeof(word), "-t filter -A FJ-%s -s 10.%d.%d.%d/32 -j ACCEPT",
                 name, who, round % 250, i);
        testAdd(p, VFL_LAYER_IPV4, false, word);
    }
    vflProgramStartRollback(p, 0);
    snprintf(word, sizeof(word), "-t filter -X FJ-%s", name);
    testAdd(p, VFL_LAYER_IPV4, false, word);
    return p;
}

static void *
builder(void *arg)
{
    int who = (int)(long)arg;

    for (int round = 0; round < ROUNDS; round++) {
        vflProgram *p[3];
        for (int k = 0; k < 3; k++)
            p[k] = build(who, round + k, k == 1);
        for (int k = 0; k < 3; k++) {
            CHECK(vflProgramGetTransactionCount(p[k]) == 2);
            vflProgramFree(p[k]);
        }
    }
    return NULL;
}

static void *
applier(void *arg)
{
    int who = 100 + (int)(long)arg;
    TestRunner r = { .answer = emptySaves };
    vflEngine *engine = vflEngineNew(VFL_BACKEND_RESTORE, 0, testRun, &r, NULL);
    char *first = NULL;

    for (int round = 0; round < ROUNDS / 3; round++) {
        vflProgram *p = build(who, 7, true);
        char *errors[1] = { NULL }, *batchError = NULL;
        vflStats st;

        r.log.len = 0;
        if (r.log.s)
            r.log.s[0] = '\0';
        CHECK(vflEngineApply(engine, &p, 1, errors, &batchError, &st) == 0);
        CHECK(!errors[0] && !batchError);
        vflProgramFree(p);
        if (!first)
            first = strdup(r.log.s);
        else
            CHECK_STR(r.log.s, first);
    }
    CHECK(strstr(first, "-A FJ-vnet"));
    free(first);
    vflEngineFree(engine);
    bufFree(&r.log);
    return NULL;
}

int
main(void)
{
    pthread_t threads[BUILDERS + APPLIERS];

    for (long i = 0; i < BUILDERS; i++)
        CHECK(pthread_create(&threads[i], NULL, builder, (void *)i) == 0);
    for (long i = 0; i < APPLIERS; i++)
        CHECK(pthread_create(&threads[BUILDERS + i], NULL, applier, (void *)i) == 0);
    for (int i = 0; i < BUILDERS + APPLIERS; i++)
        CHECK(pthread_join(threads[i], NULL) == 0);
    printf("ok: %d builders and %d appliers at once\n", BUILDERS, APPLIERS);
    return 0;
}
