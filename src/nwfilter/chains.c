/*
 * chains.c: the names of libvirt's per-interface nwfilter chains
 */
#include "chains.h"

#include <string.h>

char *
nwfChainRoot(char prefix, const char *ifname)
{
    return g_strdup_printf("libvirt-%c-%s", prefix, ifname);
}

char *
nwfChainSub(char prefix, const char *ifname, const char *suffix)
{
    return g_strdup_printf("%c-%s-%s", prefix, ifname, suffix);
}

char *
nwfChainIpt(char kind, char prefix, const char *ifname)
{
    return g_strdup_printf("%c%c-%s", kind, prefix, ifname);
}

static gboolean
oneOf(char c, const char *set)
{
    return c && strchr(set, c);
}

nwfChainKind
nwfChainParse(const char *name, gsize len, const char **rest)
{
    if (len >= 10 && memcmp(name, "libvirt-", 8) == 0 && oneOf(name[8], "IOJP") &&
        name[9] == '-') {
        *rest = name + 10;
        return NWF_CHAIN_ROOT;
    }
    if (len >= 3 && ((name[0] == 'F' && oneOf(name[1], "IOJP")) ||
                     (name[0] == 'H' && oneOf(name[1], "IJ"))) && name[2] == '-') {
        *rest = name + 3;
        return NWF_CHAIN_IPT;
    }
    if (len >= 2 && oneOf(name[0], "IOJP") && name[1] == '-') {
        *rest = name + 2;
        return NWF_CHAIN_SUB;
    }
    *rest = NULL;
    return NWF_CHAIN_OTHER;
}
