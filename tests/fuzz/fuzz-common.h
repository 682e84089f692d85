/*
 * fuzz-common.h: helpers shared by the libFuzzer targets
 */
#pragma once

#include <glib.h>
#include <signal.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parsers take C strings: the input up to its first NUL. */
static inline char *
fuzzString(const uint8_t *data, size_t size)
{
    return g_strndup((const char *)data, size);
}

/* g_error() stops with SIGTRAP, which libFuzzer does not catch: no
 * reproducer would be written. An abort() is caught. */
static void
fuzzTrapToAbort(int sig G_GNUC_UNUSED)
{
    abort();
}

/* glib's default handlers print; a parser must not log at all on bad
 * input, but noise is not a finding. Criticals and warnings are: they
 * mean a g_return_if_fail() tripped, so they abort. */
static inline void
fuzzInit(void)
{
    static gboolean done;

    if (done)
        return;
    done = TRUE;
    signal(SIGTRAP, fuzzTrapToAbort);
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                           G_LOG_LEVEL_ERROR);
}
