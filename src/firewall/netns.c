/*
 * netns.c: creating and opening network namespaces
 */
#include "netns.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int
vfNetnsCreatePrivate(GError **error)
{
    int pipefd[2];
    pid_t pid;
    char ok;
    int fd;
    g_autofree char *path = NULL;

    if (pipe(pipefd) < 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED, "pipe: %s", g_strerror(errno));
        return -1;
    }
    /* A child unshares and waits; we keep its namespace by fd, then let
     * it go. The caller's own namespace is never changed. */
    if ((pid = fork()) < 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED, "fork: %s", g_strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    if (pid == 0) {
        char c = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
        close(pipefd[0]);
        if (write(pipefd[1], &c, 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    close(pipefd[1]);
    if (read(pipefd[0], &ok, 1) != 1)
        ok = 'n';
    close(pipefd[0]);

    fd = -1;
    if (ok == 'y') {
        path = g_strdup_printf("/proc/%d/ns/net", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (fd < 0 || !vfNetnsIsPrivate(fd)) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot create a private network namespace (needs root): %s",
                    g_strerror(ok == 'y' ? errno : EPERM));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int
vfNetnsOpenNamed(const char *name, GError **error)
{
    g_autofree char *path = NULL;
    int fd;

    if (strchr(name, '/')) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "invalid network namespace name '%s'", name);
        return -1;
    }
    path = g_strdup_printf("/run/netns/%s", name);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot open network namespace '%s' (%s): %s",
                    name, path, g_strerror(errno));
        return -1;
    }
    return fd;
}

gboolean
vfNetnsIsPrivate(int fd)
{
    struct stat ns, self, init;

    if (fstat(fd, &ns) < 0 || stat("/proc/self/ns/net", &self) < 0)
        return FALSE;
    if (ns.st_ino == self.st_ino && ns.st_dev == self.st_dev)
        return FALSE;
    /* PID 1's namespace is not always readable (some sandboxes) */
    if (stat("/proc/1/ns/net", &init) == 0 &&
        ns.st_ino == init.st_ino && ns.st_dev == init.st_dev)
        return FALSE;
    return TRUE;
}
