/*
 * sigpipe.h: writing to a pipe whose reader may be gone, without SIGPIPE
 *
 * A firewall tool stops reading at the first line it refuses and exits; a
 * client of `serve` may go away. A write to such a pipe raises SIGPIPE,
 * whose default action ends the whole process with no message. The
 * library must not change the process's signal dispositions (libvirtd
 * owns them), so the signal is blocked in the writing thread only and,
 * if the write raised it, taken back before the mask is restored.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

/* One write(2) of @len bytes (EINTR retried): the bytes written, or -1
 * with errno set (EPIPE when the reader is gone). Never raises SIGPIPE. */
gssize vfWriteNoSigpipe(int fd, const void *buf, gsize len);

/* vfWriteNoSigpipe() until all of @buf is written: 0, or -1 with errno. */
int vfWriteAllNoSigpipe(int fd, const void *buf, gsize len);
