/*
 * sigpipe.c: writes that report EPIPE instead of raising SIGPIPE
 */
#include "sigpipe.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

gssize
vfWriteNoSigpipe(int fd, const void *buf, gsize len)
{
    sigset_t pipeSet, old, pending;
    gboolean wasPending;
    gssize n;
    int saved;

    sigemptyset(&pipeSet);
    sigaddset(&pipeSet, SIGPIPE);
    /* a SIGPIPE already pending (blocked by the caller) is not ours */
    sigemptyset(&pending);
    sigpending(&pending);
    wasPending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipeSet, &old);
    do {
        n = write(fd, buf, len);
    } while (n < 0 && errno == EINTR);
    saved = errno;
    if (n < 0 && saved == EPIPE && !wasPending) {
        /* the kernel sent SIGPIPE to this thread (unless it is ignored):
         * take it, so unblocking does not deliver it */
        const struct timespec zero = { 0, 0 };
        while (sigtimedwait(&pipeSet, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return n;
}

int
vfWriteAllNoSigpipe(int fd, const void *buf, gsize len)
{
    const char *p = buf;

    while (len > 0) {
        gssize n = vfWriteNoSigpipe(fd, p, len);
        if (n < 0)
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}
