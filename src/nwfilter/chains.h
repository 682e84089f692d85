/*
 * chains.h: the names of libvirt's per-interface nwfilter chains, in one
 * place: built by the producer (nwfilter_ebiptables.c), read back by the
 * kernel scan of the state file (state/state.c).
 *
 *   ebtables   libvirt-I-IF, libvirt-O-IF        root chains
 *              I-IF-SUFFIX, O-IF-SUFFIX          sub chains (SUFFIX: ipv4, arp, ...)
 *   iptables   FI-IF, FO-IF, HI-IF               per-interface chains
 *   (J and P for I and O while a new set is built, until libvirt renames it)
 */
#pragma once
#include <glib.h>

#define NWF_PFX_IN 'I'
#define NWF_PFX_OUT 'O'
#define NWF_PFX_IN_TEMP 'J'
#define NWF_PFX_OUT_TEMP 'P'

/* libvirt-PREFIX-IF */
char *nwfChainRoot(char prefix, const char *ifname);
/* PREFIX-IF-SUFFIX */
char *nwfChainSub(char prefix, const char *ifname, const char *suffix);
/* KIND PREFIX-IF, KIND 'F' (forwarded) or 'H' (to the host) */
char *nwfChainIpt(char kind, char prefix, const char *ifname);

typedef enum {
    NWF_CHAIN_OTHER,   /* none of these */
    NWF_CHAIN_ROOT,    /* libvirt-[IOJP]-IF */
    NWF_CHAIN_IPT,     /* F[IOJP]-IF, H[IJ]-IF */
    NWF_CHAIN_SUB,     /* [IOJP]-IF-SUFFIX */
} nwfChainKind;

/* Which of the names above @name (@len bytes) has; *@rest := where the
 * interface name starts. For ROOT and IPT the rest is the interface name;
 * for SUB it is "IF-SUFFIX", and as an interface name may hold '-', only
 * the list of interfaces tells where IF ends. */
nwfChainKind nwfChainParse(const char *name, gsize len, const char **rest);
