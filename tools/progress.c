/*
 * progress.c: a line on a terminal telling how far a long run is
 *
 * `reconnect --backend exec` at 1000 VMs runs for 18 minutes; without a
 * word an admin cannot tell it from a hang. On a terminal (stderr a tty)
 * one line is rewritten in place ("virt-firewall reconnect: apply
 * 212/1000 units, 3m12s") and erased before anything else is written
 * there. Piped or redirected, stderr gets nothing from here: logs and
 * scripts see only the summary.
 */
#include "summary.h"

#include <stdio.h>
#include <unistd.h>

struct _vfProgress {
    char *command;
    gboolean on;
    gboolean drawn;       /* a line is on the terminal */
    gint64 start;
    gint64 last;          /* when it was drawn, monotonic µs */
    const char *phase;
};

vfProgress *
vfProgressNew(const char *command, gboolean enabled)
{
    vfProgress *p = g_new0(vfProgress, 1);

    p->command = g_strdup(command);
    p->on = enabled && isatty(STDERR_FILENO);
    p->start = g_get_monotonic_time();
    return p;
}

void
vfProgressUpdate(vfProgress *p, const char *phase, guint done, guint total)
{
    gint64 now = g_get_monotonic_time();
    guint secs;

    if (!p || !p->on)
        return;
    /* a terminal is slow: at most ten lines a second, and every new phase
     * and every phase's end */
    if (p->drawn && phase == p->phase && done != total && now - p->last < 100000)
        return;
    p->phase = phase;
    p->last = now;
    secs = (now - p->start) / G_USEC_PER_SEC;
    /* \r and erase to the end: the line is rewritten in place */
    if (total)
        fprintf(stderr, "\rvirt-firewall %s: %s %u/%u units, %um%02us\033[K", p->command,
                phase, done, total, secs / 60, secs % 60);
    else
        fprintf(stderr, "\rvirt-firewall %s: %s, %um%02us\033[K", p->command, phase,
                secs / 60, secs % 60);
    fflush(stderr);
    p->drawn = TRUE;
}

void
vfProgressClear(vfProgress *p)
{
    if (!p || !p->drawn)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->drawn = FALSE;
}

void
vfProgressFree(vfProgress *p)
{
    if (!p)
        return;
    vfProgressClear(p);
    g_free(p->command);
    g_free(p);
}
