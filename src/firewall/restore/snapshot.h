/*
 * snapshot.h: reading the kernel's tables once, with *-save
 */
#pragma once

#include "table.h"
#include "runner.h"

/* Parses *-save output into @set. */
gboolean vfSnapshotParse(vfTableSet *set, const char *text, GError **error);

/* Runs iptables-save / ip6tables-save / ebtables-save once: its output. */
char *vfSnapshotReadText(vfRunner *runner, virFirewallLayer layer,
                         GError **error);

/* The same, parsed. */
vfTableSet *vfSnapshotRead(vfRunner *runner, virFirewallLayer layer,
                           GError **error);

const char *vfSnapshotSaveBinary(virFirewallLayer layer);
