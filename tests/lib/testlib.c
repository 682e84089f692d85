/*
 * testlib.c: a runner of processes and small helpers for the library's
 * tests (plain C and POSIX, as a libvirt-side caller has)
 */
#include "testlib.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void
bufAdd(Buf *b, const char *s)
{
    size_t n = strlen(s);

    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        CHECK(b->s);
    }
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void
bufPrintf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    CHECK(vasprintf(&s, fmt, ap) >= 0);
    va_end(ap);
    bufAdd(b, s);
    free(s);
}

void
bufFree(Buf *b)
{
    free(b->s);
    memset(b, 0, sizeof(*b));
}

const char *
testBase(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void
logCall(TestRunner *r, const char *const *argv, const char *input)
{
    if (strstr(testBase(argv[0]), "-save"))
        return;
    bufAdd(&r->log, "#");
    for (size_t i = 0; argv[i]; i++)
        bufPrintf(&r->log, " %s", argv[i]);
    bufPrintf(&r->log, "\n%s", input ? input : "");
}

/* fork/exec with the three pipes served by poll(): a restore's input and
 * a *-save's output are both larger than a pipe holds */
static int
runReal(const char *const *argv, const char *input, int *status, char **out,
        char **err)
{
    int in[2], o[2], e[2];
    Buf bufs[2] = { { 0 } };
    size_t left = input ? strlen(input) : 0;
    pid_t pid;
    int ws;

    CHECK(pipe(in) == 0 && pipe(o) == 0 && pipe(e) == 0);
    if ((pid = fork()) == 0) {
        dup2(in[0], 0);
        dup2(o[1], 1);
        dup2(e[1], 2);
        for (int fd = 3; fd < 64; fd++)
            close(fd);
        setenv("LC_ALL", "C", 1);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    CHECK(pid > 0);
    close(in[0]);
    close(o[1]);
    close(e[1]);
    signal(SIGPIPE, SIG_IGN);
    if (!left) {
        close(in[1]);
        in[1] = -1;
    }
    bufAdd(&bufs[0], "");
    bufAdd(&bufs[1], "");
    for (int open = 2; open > 0 || in[1] >= 0;) {
        struct pollfd p[3] = { { o[0], POLLIN, 0 }, { e[0], POLLIN, 0 },
                               { in[1], POLLOUT, 0 } };
        char chunk[65536];

        CHECK(poll(p, 3, -1) > 0);
        for (int k = 0; k < 2; k++) {
            ssize_t n;
            if (!p[k].revents)
                continue;
            if ((n = read(p[k].fd, chunk, sizeof(chunk) - 1)) > 0) {
                chunk[n] = '\0';
                bufAdd(&bufs[k], chunk);
            } else {
                close(p[k].fd);
                k ? (e[0] = -1) : (o[0] = -1);
                open--;
            }
        }
        if (in[1] >= 0 && p[2].revents) {
            ssize_t n = write(in[1], input + strlen(input) - left, left);
            if (n > 0)
                left -= n;
            if (n <= 0 || !left) {   /* done, or the tool stopped reading */
                close(in[1]);
                in[1] = -1;
            }
        }
    }
    CHECK(waitpid(pid, &ws, 0) == pid);
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    *out = bufs[0].s;
    *err = bufs[1].s;
    return 0;
}

int
testRun(const char *const *argv, const char *input, int *status, char **out,
        char **err, void *opaque)
{
    TestRunner *r = opaque;

    r->calls++;
    if (strstr(testBase(argv[0]), "-save"))
        r->saves++;
    logCall(r, argv, input);
    if (r->refuse && strcmp(testBase(argv[0]), r->refuse) == 0) {
        *err = strdup("No such file or directory (the test's runner refuses it)");
        return -1;
    }
    if (r->answer) {
        *err = NULL;
        *out = NULL;
        *status = 0;
        return r->answer(r, argv, input, status, out);
    }
    return runReal(argv, input, status, out, err);
}

char *
testRunOk(TestRunner *r, const char *const *argv)
{
    int status = -1;
    char *out = NULL, *err = NULL;

    CHECK(testRun(argv, NULL, &status, &out, &err, r) == 0);
    if (status != 0)
        fprintf(stderr, "%s: exit %d: %s\n", argv[0], status, err ? err : "");
    CHECK(status == 0);
    free(err);
    return out;
}

char **
testWords(const char *line)
{
    char *copy = strdup(line), *save = NULL;
    char **words = calloc(strlen(line) + 2, sizeof(char *));
    size_t n = 0;

    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
        words[n++] = strdup(w);
    free(copy);
    return words;
}

void
testWordsFree(char **words)
{
    for (size_t i = 0; words && words[i]; i++)
        free(words[i]);
    free(words);
}

void
testAdd(vflProgram *prog, vflLayer layer, bool ignore, const char *line)
{
    char **words = testWords(line);

    vflProgramAddRule(prog, layer, ignore, NULL, NULL, (const char *const *)words);
    testWordsFree(words);
}

void
testQuery(vflProgram *prog, vflLayer layer, vflQueryCallback cb, void *opaque,
          const char *line)
{
    char **words = testWords(line);

    vflProgramAddRule(prog, layer, false, cb, opaque, (const char *const *)words);
    testWordsFree(words);
}

char *
testReadFile(const char *path)
{
    FILE *f = fopen(path, "r");
    Buf b = { 0 };
    char chunk[4096];
    size_t n;

    if (!f)
        return NULL;
    bufAdd(&b, "");
    while ((n = fread(chunk, 1, sizeof(chunk) - 1, f)) > 0) {
        chunk[n] = '\0';
        bufAdd(&b, chunk);
    }
    fclose(f);
    return b.s;
}
