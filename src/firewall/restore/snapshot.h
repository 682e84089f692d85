/*
 * snapshot.h: reading the kernel's tables once, with *-save
 */
#pragma once

#include "table.h"
#include "runner.h"

/* Parses *-save output into @set. Chains keep their lines unparsed, in a
 * copy of @text, or in @text itself (referenced) with the Bytes variant.
 * Never fails on what the tools print: what cannot be read (a table this
 * tool does not know, a rule of no declared chain) is left alone and the
 * set marked inexact (table.h). */
gboolean vfSnapshotParse(vfTableSet *set, const char *text, GError **error);
gboolean vfSnapshotParseBytes(vfTableSet *set, GBytes *text, GError **error);

/* Runs iptables-save / ip6tables-save / ebtables-save once: its output. */
char *vfSnapshotReadText(vfRunner *runner, virFirewallLayer layer,
                         GError **error);

/* Runs "*-save -c" once: the text *-save prints without -c, and in @rules
 * (of vfSaveCounted*, savefmt.h) each rule line with its counters. */
char *vfSnapshotReadCounted(vfRunner *runner, virFirewallLayer layer,
                            GPtrArray *rules, GError **error);

/* The same, parsed. */
vfTableSet *vfSnapshotRead(vfRunner *runner, virFirewallLayer layer,
                           GError **error);

const char *vfSnapshotSaveBinary(virFirewallLayer layer);
