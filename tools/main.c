/*
 * virt-firewall: apply libvirt's firewall programs in batches
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const vfSubcommand subcommands[] = {
    { "reconnect", "re-apply all bindings and networks (the restart path), skipping what is intact", vfCmdReconnect },
    { "dump", "print the restore scripts or commands offline, run nothing", vfCmdDump },
    { "apply", "instantiate the named interfaces' filter bindings", vfCmdApply },
    { "teardown", "remove the named interfaces' filter rules", vfCmdTeardown },
    { "verify", "report drift between desired and kernel rules (exit 3)", vfCmdVerify },
    { "show", "one VM's or interface's filters and kernel rules, with counters, origins and drift", vfCmdShow },
    { "check", "lint filters, bindings, networks: what libvirt ignores is an error", vfCmdCheck },
    { "serve", "keep the firewall layer in one process: apply and teardown requests on stdin", vfCmdServe },
    { "program", "apply or dump firewall programs written in the text format", vfCmdProgram },
};

static void
usage(FILE *out)
{
    fprintf(out, "Usage: virt-firewall COMMAND [OPTION...]\n"
                 "       virt-firewall --version\n\nCommands:\n");
    for (gsize i = 0; i < G_N_ELEMENTS(subcommands); i++)
        fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out, "  %-10s %s\n", "help", "this list, or with COMMAND that command's options");
    fprintf(out, "\nRun 'virt-firewall help COMMAND' (or 'virt-firewall COMMAND --help')\n"
                 "for a command's options.\n"
                 "Exit codes: 0 success, 1 a unit failed (the others were applied) or\n"
                 "check found errors, 2 bad usage or an unreadable network.conf or\n"
                 "directory, 3 drift found (verify, show), 4 the batch itself failed.\n");
}

static const vfSubcommand *
findSubcommand(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(subcommands); i++) {
        if (g_str_equal(name, subcommands[i].name))
            return &subcommands[i];
    }
    return NULL;
}

/* virsh's "help [COMMAND]" */
static int
help(int argc, char **argv)
{
    const vfSubcommand *cmd;
    char *cmdArgv[] = { argv[1], (char *)"--help", NULL };

    if (argc == 1) {
        usage(stdout);
        return 0;
    }
    if (argc > 2) {
        fprintf(stderr, "virt-firewall help: expected at most one COMMAND\n");
        return VF_EXIT_USAGE;
    }
    if (g_str_equal(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!(cmd = findSubcommand(argv[1]))) {
        fprintf(stderr, "virt-firewall help: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return VF_EXIT_USAGE;
    }
    return cmd->run(2, cmdArgv);
}

int
main(int argc, char **argv)
{
    const vfSubcommand *cmd;

    if (argc < 2) {
        usage(stderr);
        return VF_EXIT_USAGE;
    }
    if (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (g_str_equal(argv[1], "--version") || g_str_equal(argv[1], "-V")) {
        printf("virt-firewall %s\n", VF_VERSION);
        return 0;
    }
    if (g_str_equal(argv[1], "help"))
        return help(argc - 1, argv + 1);
    if ((cmd = findSubcommand(argv[1])))
        return cmd->run(argc - 1, argv + 1);
    fprintf(stderr, "virt-firewall: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return VF_EXIT_USAGE;
}
