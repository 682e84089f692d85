/*
 * failure.h: a unit that could not be loaded, built or applied, and why
 *
 * Units are named as the state file names them: "interface/vnet0",
 * "network/default", "networks". The reason is a whole message (file and
 * line first where there is one).
 */
#pragma once

#include <glib.h>

typedef struct {
    char *unit;
    char *reason;
} vfFailure;

vfFailure *vfFailureNew(const char *unit, const char *reason);
void vfFailureFree(vfFailure *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfFailure, vfFailureFree)

/* A GPtrArray of vfFailure*. */
GPtrArray *vfFailuresNew(void);
/* The failure of @unit in @failures (of vfFailure*), or NULL. */
const vfFailure *vfFailuresFind(GPtrArray *failures, const char *unit);
