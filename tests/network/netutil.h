/*
 * netutil.h: helpers shared by the network tests
 */
#pragma once

#include <glib.h>

#include "firewall/backend.h"
#include "network/network_def.h"

/* $VF_TESTDATA/network/@name */
char *netTestDataPath(const char *name);

/* Parses $VF_TESTDATA/network/@name.xml; fails the test on error. */
vfNetworkDef *netTestLoadDef(const char *name);

/*
 * libvirt's dry-run text of the recorded calls: the binary's base name,
 * then each argument, with " \\\n" before those starting with '-' and a
 * space before the others; arguments with shell metacharacters are
 * single-quoted. One command per logical line.
 */
char *netTestFormatCalls(GPtrArray *calls);

/*
 * Compares @actual with the file $VF_TESTDATA/network/@name. With
 * VF_TEST_REGENERATE=1 the file is (re)written instead, and
 * netTestExitCode() makes the run fail, so that a regeneration is never
 * silent.
 */
void netTestCompareFile(const char *actual, const char *name);

/* main()'s exit code: @rc, or 1 if a file was regenerated. */
int netTestExitCode(int rc);

/* Applies @fws in order (one vfBackendApplyOne each) through the exec
 * backend and a recording runner; returns the recorded text. Fails the
 * test if an apply fails. */
char *netTestRecordExec(virFirewall *const *fws, gsize n);

/*
 * A runner that records every call (like the recorder) and answers with
 * @answer: it returns the exit status and may set *out (borrowed) to the
 * stdout to hand back.
 */
typedef int (*NetTestAnswer)(const char *const *argv, const char **out,
                             void *opaque);
vfRunner *netTestScriptedRunnerNew(NetTestAnswer answer, void *opaque);
GPtrArray *netTestScriptedRunnerCalls(vfRunner *runner); /* vfRecordedCall* */
