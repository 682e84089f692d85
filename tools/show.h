/*
 * show.h: one VM's or interface's filters and kernel rules (show.c builds
 * the view, show-print.c prints it)
 */
#pragma once

#include "cli.h"
#include "verify.h"

/* A kernel or desired rule of the interface, in chain order. */
typedef struct {
    vfVerifyKind status;  /* SAME (ok), MISSING, CHANGED, EXTRA */
    char *rule;           /* "-A CHAIN ...": the kernel's; MISSING: the desired */
    char *desired;        /* CHANGED: what the filters produce at its place */
    gint64 packets;       /* -1: not in the kernel, or no counters read */
    gint64 bytes;
    const virFirewallRuleOrigin *origin;   /* of the desired rule; NULL: none */
} vfShowRule;

typedef struct {
    int layer;
    char *table;
    char *chain;
    vfVerifyKind status;  /* SAME, MISSING (only desired), EXTRA (only kernel) */
    GPtrArray *rules;     /* of vfShowRule* */
} vfShowChain;

typedef struct {
    nwfBinding *binding;  /* borrowed from the host */
    vfUnit *unit;         /* NULL: its program cannot be built */
    char *failed;         /* why it cannot be shown; NULL: shown */
    GPtrArray *chains;    /* of vfShowChain* */
    guint count[VF_VERIFY_SAME + 1];   /* rules by status */
} vfShowIface;

void vfShowIfaceFree(vfShowIface *s);

void vfShowPrintText(vfCli *cli, GPtrArray *ifaces);
void vfShowPrintJson(vfCli *cli, GPtrArray *ifaces, guint drift);
