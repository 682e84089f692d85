/*
 * options.c: refusing wrong options before anything runs
 *
 * A mistyped path used to be read as "nothing there" (a binding directory
 * that does not exist is a host without VMs, a missing network.conf the
 * defaults): the run went on, found nothing to do and said exit 0. Every
 * path the user names is checked here, and options that contradict each
 * other are refused, each with one line naming the option: exit 2.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* @path as --@opt: a directory (@dir) or anything else but a directory */
static gboolean
checkPath(const char *cmd, const char *opt, const char *path, gboolean dir)
{
    struct stat sb;

    if (stat(path, &sb) < 0) {
        fprintf(stderr, "virt-firewall %s: %s %s: %s\n", cmd, opt, path,
                errno == ENOENT ? (dir ? "no such directory" : "no such file")
                                : g_strerror(errno));
        return FALSE;
    }
    if (dir && !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "virt-firewall %s: %s %s: not a directory\n", cmd, opt, path);
        return FALSE;
    }
    if (!dir && S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "virt-firewall %s: %s %s: a directory, not a file\n", cmd, opt, path);
        return FALSE;
    }
    return TRUE;
}

gboolean
vfHostOptionsCheck(const vfHostOptions *opts, const char *cmd)
{
    /* a URI read as a file name would be "no such file": say what was meant */
    if (opts->config && strstr(opts->config, "://")) {
        fprintf(stderr, "virt-firewall %s: --config %s: a libvirt URI, not a file: "
                "a URI goes to -c/--connect\n", cmd, opts->config);
        return FALSE;
    }
    /* -c is --connect, as in virsh (before 0.2 it was --config): a file
     * given to it was meant as network.conf */
    for (gsize i = 0; opts->connect && opts->connect[i]; i++) {
        if (*opts->connect[i] && g_file_test(opts->connect[i], G_FILE_TEST_EXISTS)) {
            fprintf(stderr, "virt-firewall %s: -c/--connect %s: a file, not a libvirt URI: "
                    "network.conf goes to --config (-c is --connect, as in virsh)\n",
                    cmd, opts->connect[i]);
            return FALSE;
        }
    }
    if (opts->connect) {
        const char *given = opts->nwfilter_dirs ? "--nwfilter-dir" :
                            opts->binding_dir ? "--binding-dir" :
                            opts->network_dir ? "--network-dir" : NULL;
        if (given) {
            fprintf(stderr, "virt-firewall %s: %s and --connect: --connect reads the "
                    "filters, bindings and networks from libvirt, not from directories\n",
                    cmd, given);
            return FALSE;
        }
    }
    if (opts->config && !checkPath(cmd, "--config", opts->config, FALSE))
        return FALSE;
    for (gsize i = 0; opts->nwfilter_dirs && opts->nwfilter_dirs[i]; i++) {
        if (!checkPath(cmd, "--nwfilter-dir", opts->nwfilter_dirs[i], TRUE))
            return FALSE;
    }
    if (opts->binding_dir && !checkPath(cmd, "--binding-dir", opts->binding_dir, TRUE))
        return FALSE;
    if (opts->network_dir && !checkPath(cmd, "--network-dir", opts->network_dir, TRUE))
        return FALSE;
    if (opts->state_file) {
        g_autofree char *dir = g_path_get_dirname(opts->state_file);
        struct stat sb;

        if (stat(opts->state_file, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "virt-firewall %s: --state-file %s: a directory, not a file\n",
                    cmd, opts->state_file);
            return FALSE;
        }
        /* A missing directory is made, as the default /run/virt-firewall
         * is: /run is emptied at every boot, and a unit that names its
         * --state-file there must not fail after a reboot. What is there
         * must be a directory. */
        while (stat(dir, &sb) < 0) {
            char *up;
            if ((errno != ENOENT && errno != ENOTDIR) || g_str_equal(dir, "/") ||
                g_str_equal(dir, ".")) {
                fprintf(stderr, "virt-firewall %s: --state-file %s: %s: %s\n",
                        cmd, opts->state_file, dir, g_strerror(errno));
                return FALSE;
            }
            up = g_path_get_dirname(dir);
            g_free(dir);
            dir = up;
        }
        if (!S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "virt-firewall %s: --state-file %s: %s is not a directory\n",
                    cmd, opts->state_file, dir);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
vfTargetOptionsCheck(const vfTargetOptions *opts, const char *cmd)
{
    if (opts->netns && opts->private_netns) {
        fprintf(stderr, "virt-firewall %s: --netns and --private-netns: choose one "
                "namespace\n", cmd);
        return FALSE;
    }
    if (opts->netns) {
        g_autofree char *path = g_strdup_printf("/run/netns/%s", opts->netns);
        struct stat sb;

        if (!*opts->netns || strchr(opts->netns, '/') || stat(path, &sb) < 0) {
            fprintf(stderr, "virt-firewall %s: --netns %s: no such network namespace "
                    "(%s; see ip netns list)\n", cmd, opts->netns, path);
            return FALSE;
        }
    }
    if (opts->replay && g_strcmp0(opts->backend, "exec") == 0) {
        fprintf(stderr, "virt-firewall %s: --replay and --backend exec: --replay is "
                "the restore backend's\n", cmd);
        return FALSE;
    }
    if (opts->wait < 0) {
        fprintf(stderr, "virt-firewall %s: --wait %d: not a number of seconds\n",
                cmd, opts->wait);
        return FALSE;
    }
    return TRUE;
}
