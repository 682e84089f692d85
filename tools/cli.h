#pragma once
#include <glib.h>
#include "backend.h"

enum {
    VF_EXIT_OK = 0,
    VF_EXIT_FAILED = 1,   /* a program (interface, network) failed */
    VF_EXIT_USAGE = 2,    /* bad arguments or unreadable input */
    VF_EXIT_DRIFT = 3,    /* verify: the kernel differs */
    VF_EXIT_BATCH = 4,    /* the batch failed as a whole (tool, lock) */
};

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} vfSubcommand;

int vfCmdProgram(int argc, char **argv);

/* Common options for where rules go. */
typedef struct {
    char *backend;        /* exec|restore */
    gboolean dry_run;
    char *netns;
    gboolean private_netns;
    gboolean json;
} vfTargetOptions;

void vfTargetOptionsAdd(GOptionContext *ctx, vfTargetOptions *opts);

/* Opens the runner the options ask for; *netns_fd is closed by the caller. */
vfRunner *vfTargetOpenRunner(const vfTargetOptions *opts, int *netns_fd,
                             GError **error);

/* Prints the dry-run recording: restore scripts or argvs. */
void vfPrintRecording(vfRunner *recorder, gboolean json);
