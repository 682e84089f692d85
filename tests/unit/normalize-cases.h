/*
 * normalize-cases.h: the vfNormalizeRule() cases test-normalize checks,
 * in one table a tool (normalize-cases-iptables.c, -ebtables.c)
 *
 * Each case: layer, the spec as libvirt (or a user) writes it (shell-like
 * quoting), and the exact text *-save printed after "-A c " for it on
 * iptables 1.8.9 (nf_tables) / Debian 12 (double quotes as *-save quotes).
 * The expectations were recorded by tests/kernel/test-normalize-kernel.c
 * from tests/restoredata/normalize/vocabulary.txt; that test re-checks them
 * against the kernel.
 */
#pragma once

#include "restore/normalize.h"

#define EB VIR_FIREWALL_LAYER_ETHERNET
#define V4 VIR_FIREWALL_LAYER_IPV4
#define V6 VIR_FIREWALL_LAYER_IPV6

typedef struct {
    virFirewallLayer layer;
    const char *spec;
    const char *saved;
} NormCase;

/* each ends with a row whose spec is NULL */
extern const NormCase normCasesIptables[];
extern const NormCase normCasesEbtables[];
