/*
 * cli.h: shared pieces of the virt-firewall commands
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include "firewall/backend.h"
#include "host/host.h"
#include "state/state.h"
#include "util/failure.h"
#include "summary.h"

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
int vfCmdDump(int argc, char **argv);
int vfCmdReconnect(int argc, char **argv);
int vfCmdApply(int argc, char **argv);
int vfCmdTeardown(int argc, char **argv);
int vfCmdVerify(int argc, char **argv);
int vfCmdServe(int argc, char **argv);
int vfCmdCheck(int argc, char **argv);
int vfCmdShow(int argc, char **argv);

/* Where rules go. */
typedef struct {
    char *backend;        /* exec|restore; NULL: network.conf */
    gboolean dry_run;     /* print the restore input, write nothing */
    gboolean offline;     /* with dry_run: against empty tables, reading no
                           * kernel (dump, check, program) */
    char *netns;
    gboolean private_netns;
    gboolean json;
    gint wait;            /* seconds for the xtables lock; 0 = default */
    gboolean replay;      /* restore backend: libvirt's steps, pass by pass */
} vfTargetOptions;

void vfTargetOptionsAdd(GOptionContext *ctx, vfTargetOptions *opts);
/* Refuses (one line on stderr naming @cmd) options that contradict each
 * other or name no namespace, before anything runs: FALSE = exit 2. */
gboolean vfTargetOptionsCheck(const vfTargetOptions *opts, const char *cmd);
/* Frees the strings the option parser put in @opts. */
void vfTargetOptionsClear(vfTargetOptions *opts);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(vfTargetOptions, vfTargetOptionsClear)
/* A dump: the calls @recorder recorded, but the tables' reading, as sh
 * reads them back, restore input after its "# ARGV" line (text only). */
void vfPrintRecording(vfRunner *recorder);
/* A dry run against the kernel (not offline): the restore input the run
 * would write, one "# ARGV: table NAME" header before each table, or
 * "# nothing to do" when it would write nothing (text only). */
void vfPrintDryRun(vfRunner *recorder);
/* The "calls" member (docs/json.md) of what @recorder recorded: those
 * that write (@writesOnly: a dry run against the kernel), or all but the
 * *-save (a dump). */
void vfJsonCalls(JsonBuilder *b, vfRunner *recorder, gboolean writesOnly);
/* The value @built holds, as one JSON text and a newline on @out (json.c:
 * invalid UTF-8 replaced). FALSE if it could not be written (errno). */
gboolean vfPrintJson(FILE *out, JsonBuilder *built, gboolean pretty);

/* Where the host's configuration comes from. */
typedef struct {
    char *config;
    char **nwfilter_dirs;
    char *binding_dir;
    char *network_dir;
    char *state_file;
    char **connect;       /* --connect, at most twice; "" = libvirt's default */
    gboolean quiet;
} vfHostOptions;

void vfHostOptionsAdd(GOptionContext *ctx, vfHostOptions *opts);
/* Refuses (one line on stderr naming @cmd, the option and the path) a
 * path option naming nothing or the wrong kind of file, a URI given to
 * -c/--config, and options --connect makes pointless: FALSE = exit 2.
 * The default places are not checked: a host where libvirt is not
 * running has no binding or network directory. */
gboolean vfHostOptionsCheck(const vfHostOptions *opts, const char *cmd);

/* One thing that is rebuilt or skipped as a whole. */
typedef struct {
    char *name;           /* "interface/vnet0", "networks" */
    char *ifname;         /* NULL for the networks unit */
    GPtrArray *programs;  /* of virFirewall* */
    nwfBinding *binding;  /* an interface's, borrowed from the host: its
                           * program can be built again */
    char *desired;        /* vfDesiredHash(programs) */
    gboolean changed[2];  /* set by the network set-up callbacks */
} vfUnit;

void vfUnitFree(vfUnit *unit);
/* The programs of @units in order, as one batch; *@owner[i] := the index
 * in @units of program i. */
GPtrArray *vfUnitsPrograms(GPtrArray *units, guint **owner);

/* A command's whole context. */
typedef struct {
    vfHostOptions host_opts;
    vfTargetOptions target_opts;
    vfHost *host;
    vfRunner *runner;
    int netns_fd;         /* the namespace --netns/--private-netns opened, or -1 */
    vfTarget *target;     /* the runner and that namespace (vfCliOpenTarget) */
    int lock_fd;          /* vfCliLock(); -1 when not held */
    vfBackendKind kind;
    char *kind_reason;
    GTimer *timer;        /* since the last phase ended */
    vfSummary *summary;   /* what the command tells at its end (summary.h) */
    vfProgress *progress; /* the line on a terminal meanwhile */
    gboolean want_digest; /* reconnect: hash the input files in vfCliOpen */
    char *input_digest;   /* vfHostInputDigest of the files read; NULL: --connect */
    const char *const *only_ifaces; /* apply, dump IFACE...: the bindings needed */
    vfBackend *backend;   /* serve: one for every request; NULL: one per apply */
    GPtrArray *failures;  /* of vfFailure*: every unit that failed (load,
                           * build, apply); report.c tells them */
    gboolean strict;      /* check: what libvirt ignores is an error */
    gboolean networks_nft;   /* network.conf: firewall_backend = "nftables" */
    guint networks_left;     /* networks left to libvirt's nft tables */
    char *private_state_dir; /* --private-netns without --state-file:
                              * removed with everything in it at exit */
} vfCli;

vfCli *vfCliNew(void);
void vfCliFree(vfCli *cli);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfCli, vfCliFree)

/* g_option_context_parse() for command @name: --help shows every option. */
gboolean vfCliParseOptions(GOptionContext *ctx, const char *name, int *argc,
                           char ***argv, GError **error);
/* Parses options (GOption) for @name; FALSE prints the error. */
gboolean vfCliParse(vfCli *cli, const char *name, const char *params,
                    const char *summary, int *argc, char ***argv);
/* --nwfilter-dir, or libvirt's directory. */
const char *const *vfCliNwfilterDirs(vfCli *cli);
/* Loads filters, bindings, networks; picks the backend; opens the runner. */
int vfCliOpen(vfCli *cli, gboolean needHost);
/* @phase (static) ended: its time goes to the summary. */
void vfCliPhase(vfCli *cli, const char *phase);
/* @phase is under way, @done of @total units: the progress line. */
void vfCliProgress(vfCli *cli, const char *phase, guint done, guint total);
/* Serializes the commands that write (an flock on the state file's
 * .lock), waiting up to --wait seconds; an exit code. */
int vfCliLock(vfCli *cli, const char *cmd);

/* ---- report.c: what a command tells of failed units and ignored input ---- */

/* Records that @unit failed (told at the end, vfCliReportFailures). */
void vfCliFail(vfCli *cli, const char *unit, const char *reason);
/* After loading: the host's failed files become failed units; the
 * warnings and the skipped filter files are printed now. */
void vfCliNoteHost(vfCli *cli);
/* The failed units, sorted, one "PREFIX: UNIT: REASON" line each on
 * stderr. */
void vfCliReportFailures(vfCli *cli, const char *prefix);
/* Adds "warnings", "skipped_files" (and "networks_left_to_libvirt")
 * members to the JSON object being built. */
void vfCliJsonReport(vfCli *cli, JsonBuilder *b);
/* The end of a command: the summary (cli->summary, the failed units
 * added) as text on stderr, or with --json as one object on stdout (the
 * failed units also on stderr, one line each); with -q only the failed
 * units. */
void vfCliPrintSummary(vfCli *cli);
/* The backend and why it was chosen, into the summary. */
void vfCliSummaryBackend(vfCli *cli);
/* Ends a dry run: its calls printed as text now, or given to the JSON
 * summary. */
void vfCliDryRunOutput(vfCli *cli);
/* @ret if set, else VF_EXIT_FAILED when a unit failed, else OK. */
int vfCliExitCode(vfCli *cli, int ret);

/* The unit of one interface: its program built from @binding (borrowed
 * from cli->host). */
vfUnit *vfCliBindingUnit(vfCli *cli, nwfBinding *binding, GError **error);
/* The same; @origins: its rules carry their origins (show). */
vfUnit *vfCliBindingUnitFull(vfCli *cli, nwfBinding *binding, gboolean origins,
                             GError **error);
/* Whether @b is the binding of its interface among @bindings: the only
 * one, or, of several, the one in <dir>/<portdev>.xml. FALSE: why. */
gboolean vfCliBindingApplies(GPtrArray *bindings, const nwfBinding *b,
                             GError **error);
/* Units for every binding (only @only if non-NULL) and the networks; a
 * binding that fails (its program, another binding of its interface) is
 * left out, named on stderr, and *ret set to VF_EXIT_FAILED. */
GPtrArray *vfCliBuildUnits(vfCli *cli, const char *const *only,
                           gboolean networks, int *ret);

/* What an apply left in the kernel, when the backend knows it exactly
 * (vfApplyOutcomeTake). */
typedef struct {
    gboolean known;
    char *save[VIR_FIREWALL_LAYER_LAST];
    guint transactions;
} vfApplyResult;

void vfApplyResultClear(vfApplyResult *res);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(vfApplyResult, vfApplyResultClear)

/* Applies the programs of @units as one batch; errors[i] per unit;
 * @result (may be NULL) says what the kernel now holds, if known. The
 * units' programs are consumed: freed during or after the apply (their
 * desired hashes stay). @ks (may be NULL) is what the kernel holds (at
 * ks->at). */
gboolean vfCliApplyUnits(vfCli *cli, GPtrArray *units, vfKernelState *ks,
                         GPtrArray **errors,
                         vfApplyStats *stats, vfApplyResult *result,
                         GError **error);

/*
 * The same in two halves (vfBackendApplyBegin), for a command with work
 * of its own while the restore tools write a small difference (recording
 * its state). vfCliApplyForetold: meanwhile, the outcome as it will be if
 * the tools take the difference, and @failed[i] whether unit i failed as
 * the apply will then report it; NULL when nothing is being written. The
 * Finish is vfCliApplyUnits' end, and frees @apply.
 */
typedef struct _vfCliApply vfCliApply;

vfCliApply *vfCliApplyBegin(vfCli *cli, GPtrArray *units, vfKernelState *ks);
const vfApplyOutcome *vfCliApplyForetold(vfCliApply *apply, const gboolean **failed);
gboolean vfCliApplyFinish(vfCliApply *apply, GPtrArray **errors,
                          vfApplyStats *stats, vfApplyResult *result,
                          GError **error);

char *vfCliStatePath(vfCli *cli);

/* target.c: opens the runner and the namespace of --netns or
 * --private-netns, and cli->target over them; the backend already chosen
 * (cli->kind): its generation id is read only for the restore backend,
 * whose transactions are counted. */
gboolean vfCliOpenTarget(vfCli *cli, GError **error);
/* The options of the command's backend (vfBackendOptionsFor, --wait,
 * --replay), and a backend made with them. */
vfBackendOptions vfCliBackendOptions(vfCli *cli);
vfBackend *vfCliNewBackend(vfCli *cli);

/* Lets @ks sort its lines to the interfaces of @units. */
void vfCliIndexKernel(GPtrArray *units, vfKernelState *ks);

/* Applies @units (only changed ones when @useState) and records them. */
int vfCliRebuild(vfCli *cli, const char *cmd, GPtrArray *units,
                 gboolean useState, gboolean pruneState);
