/*
 * netns.h: private network namespaces for tests and demos
 *
 * Rules are only ever applied to the machine's own namespace when the
 * user asks for it; tests and --private-netns use a fresh namespace that
 * disappears when its last fd is closed.
 */
#pragma once

#include <glib.h>

/* A new, empty network namespace; returns an fd (close it to drop the
 * namespace) or -1 with @error. Needs CAP_SYS_ADMIN. */
int vfNetnsCreatePrivate(GError **error);

/* An fd for /run/netns/NAME (ip netns add). */
int vfNetnsOpenNamed(const char *name, GError **error);

/* Is @fd a namespace other than ours and PID 1's? */
gboolean vfNetnsIsPrivate(int fd);
