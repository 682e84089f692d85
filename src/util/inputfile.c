/*
 * inputfile.c: bounded reads of regular files
 */
#include "inputfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

G_DEFINE_QUARK(vf-input-file-error-quark, vf_input_file_error)

const char *
vfInputFileKind(unsigned int mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    case S_IFLNK: return "a symbolic link";
    default: return "not a regular file";
    }
}

static gboolean
special(const char *path, unsigned int mode, GError **error)
{
    g_set_error(error, VF_INPUT_FILE_ERROR, VF_INPUT_FILE_ERROR_SPECIAL,
                "%s: %s, not a regular file: skipped without reading it",
                path, vfInputFileKind(mode));
    return FALSE;
}

static gboolean
tooLarge(const char *path, gsize maxSize, GError **error)
{
    g_set_error(error, VF_INPUT_FILE_ERROR, VF_INPUT_FILE_ERROR_TOO_LARGE,
                "%s: larger than %" G_GSIZE_FORMAT " bytes: not read", path,
                maxSize);
    return FALSE;
}

gboolean
vfInputFileRead(const char *path, gsize maxSize, char **text, gsize *len,
                GError **error)
{
    g_autofree char *buf = NULL;
    struct stat st;
    gsize have = 0, cap;
    int fd;

    /* stat() first: opening a device or a FIFO can block or act */
    if (stat(path, &st) < 0) {
        int e = errno;
        g_set_error(error, VF_INPUT_FILE_ERROR,
                    e == ENOENT ? VF_INPUT_FILE_ERROR_MISSING : VF_INPUT_FILE_ERROR_IO,
                    "%s: %s", path, g_strerror(e));
        return FALSE;
    }
    /* /dev/null is the empty file (--config /dev/null): nothing to wait
     * for, nothing to read */
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
        *text = g_strdup("");
        if (len)
            *len = 0;
        return TRUE;
    }
    if (!S_ISREG(st.st_mode))
        return special(path, st.st_mode, error);
    if ((gsize)st.st_size > maxSize)
        return tooLarge(path, maxSize, error);
    /* it may have been swapped for a FIFO since: O_NONBLOCK never waits
     * for a writer, and fstat() below refuses it before any read */
    if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0) {
        int e = errno;
        g_set_error(error, VF_INPUT_FILE_ERROR, VF_INPUT_FILE_ERROR_IO,
                    "%s: %s", path, g_strerror(e));
        return FALSE;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return special(path, st.st_mode, error);
    }
    /* the size may change while we read: read to EOF, but never more
     * than the limit */
    cap = MIN((gsize)st.st_size, maxSize) + 1;
    buf = g_malloc(cap + 1);
    for (;;) {
        ssize_t n;

        if (have == cap) {
            if (have > maxSize) {
                close(fd);
                return tooLarge(path, maxSize, error);
            }
            cap = MIN(cap * 2, maxSize + 1);
            buf = g_realloc(buf, cap + 1);
        }
        n = read(fd, buf + have, cap - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            g_set_error(error, VF_INPUT_FILE_ERROR, VF_INPUT_FILE_ERROR_IO,
                        "%s: %s", path, g_strerror(e));
            return FALSE;
        }
        if (n == 0)
            break;
        have += n;
    }
    close(fd);
    if (have > maxSize)
        return tooLarge(path, maxSize, error);
    buf[have] = '\0';
    *text = g_steal_pointer(&buf);
    if (len)
        *len = have;
    return TRUE;
}
