/*
 * nlcheck.h: what test-nftgen and test-nfttable share — a CHECK that
 * counts failures and goes on, and the calling thread's namespace (a
 * netlink call into another namespace must bring the thread back).
 */
#pragma once

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <sys/stat.h>

#define SKIP 77

static guint failures;

#define CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            failures++; \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
        } \
    } while (0)

/* The inode of the calling thread's network namespace. */
static inline ino_t
threadNetns(void)
{
    struct stat st;

    if (stat("/proc/thread-self/ns/net", &st) < 0)
        g_error("stat /proc/thread-self/ns/net: %s", g_strerror(errno));
    return st.st_ino;
}
