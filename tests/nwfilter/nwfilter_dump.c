/*
 * nwfilter_dump.c: print the program built for a binding (debug helper).
 *   nwfilter_dump BINDING.xml [FILTERDIR...]
 * Filter dirs default to /usr/share/libvirt/nwfilter.
 */
#include "nwfilter/nwfilter.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(nwfFilterSet) set = NULL;
    g_autoptr(nwfBinding) b = NULL;
    g_autoptr(virFirewall) fw = NULL;
    g_autofree char *text = NULL;
    const char *defdirs[] = { "/usr/share/libvirt/nwfilter", NULL };

    if (argc < 2) {
        fprintf(stderr, "usage: %s BINDING.xml [FILTERDIR...]\n", argv[0]);
        return 2;
    }
    if (!(set = nwfLoadFilters(argc > 2 ? (const char *const *)argv + 2 : defdirs, &err)) ||
        !(b = nwfBindingParseFile(argv[1], false, NULL, &err)) ||
        !(fw = nwfBuildInstantiate(set, b, &err))) {
        fprintf(stderr, "error: %s\n", err->message);
        return 1;
    }
    text = virFirewallToText(fw);
    fputs(text, stdout);
    return 0;
}
