/*
 * runner-feed: runs one tool through the subprocess runner with an input
 * of SIZE bytes and prints its exit status, for test-runner's kills: the
 * tool may SIGKILL this process while it reads, and test-runner then
 * checks how much of the input the tool got.
 *   runner-feed [--prestart] SIZE TOOL [ARG...]
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
    gboolean prestart = argc > 1 && g_str_equal(argv[1], "--prestart");
    char **rest = argv + (prestart ? 2 : 1);
    g_autoptr(vfRunner) runner = NULL;
    g_auto(vfRunResult) res = { 0 };
    g_autoptr(GError) err = NULL;
    g_autofree char *input = NULL;
    gsize size;

    if (argc - (prestart ? 2 : 1) < 2) {
        fprintf(stderr, "usage: runner-feed [--prestart] SIZE TOOL [ARG...]\n");
        return 2;
    }
    size = strtoul(rest[0], NULL, 10);
    /* lines, so a tool may count them too; no NUL: the runner takes a string */
    input = g_malloc(size + 1);
    for (gsize i = 0; i < size; i++)
        input[i] = (i % 64 == 63) ? '\n' : 'a' + i % 26;
    input[size] = '\0';
    runner = vfRunnerNewSubprocess(-1);
    if (prestart)
        vfRunnerPrestart(runner, (const char *const *)rest + 1);
    if (!vfRunnerRun(runner, (const char *const *)rest + 1, input, &res, &err)) {
        fprintf(stderr, "runner-feed: %s\n", err->message);
        return 3;
    }
    printf("%d\n", res.status);
    return 0;
}
