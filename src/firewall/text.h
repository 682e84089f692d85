/*
 * text.h: firewall programs in a small text format
 *
 * For golden tests, the random generator and `virt-firewall program`:
 *
 *   # comment
 *   program vnet0                      starts a program (one per VM)
 *   transaction [ignore-errors] [auto-rollback]
 *   rollback [inherit-previous]
 *   ipv4 [ignore] [query=NAME[:ARG...]] -t filter -A INPUT -j ACCEPT
 *
 * Rule words follow shell quoting (g_shell_parse_argv). Query callbacks
 * come from a fixed set:
 *   query=cleanup       every chain a listed rule jumps to (not an
 *                       uppercase target) is listed again (same callback),
 *                       flushed and deleted, errors ignored — libvirt's
 *                       nwfilter sub-chain removal
 *   query=ensure:C:P    if the listing has no chain C, create it; if no
 *                       rule of P jumps to C, insert one — libvirt's
 *                       network private-chain set-up
 */
#pragma once

#include "firewall.h"

typedef struct _vfProgramSet vfProgramSet;

vfProgramSet *vfProgramSetParse(const char *text, const char *filename,
                                GError **error);
void vfProgramSetFree(vfProgramSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfProgramSet, vfProgramSetFree)

gsize vfProgramSetCount(const vfProgramSet *set);
virFirewall *const *vfProgramSetPrograms(const vfProgramSet *set);
