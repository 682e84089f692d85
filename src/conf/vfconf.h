/*
 * vfconf.h: libvirt's daemon configuration files (network.conf)
 *
 * The syntax is libvirt's virConf (src/util/virconf.c), a small subset of
 * Python:
 *
 *     # a comment
 *     name = "string"          (or 'string', or """multi-line""")
 *     name = 42                (or -1, +7)
 *     name = [ "a", 'b',
 *              "c", ]          (lists may span lines, trailing comma ok)
 *     a = 1; b = 2             (';' or a newline separates statements)
 *
 * Names start with a letter, then letters, digits or '_'. Strings have no
 * escapes. As in libvirt, the first assignment of a name wins, and a
 * comment is not allowed inside a list.
 *
 * Errors are VF_ERROR_PARSE for a malformed file ("FILE:LINE: message")
 * and VF_ERROR_INVALID for a well-formed file with a bad setting.
 */
#pragma once

#include <glib.h>

#include "firewall/backend.h"

typedef enum {
    VF_CONF_NUMBER,   /* a signed 64-bit integer */
    VF_CONF_STRING,
    VF_CONF_LIST,
} vfConfType;

typedef struct _vfConfValue vfConfValue;
struct _vfConfValue {
    vfConfType type;
    gint64 number;
    char *str;
    GPtrArray *list;  /* of vfConfValue* */
};

typedef struct _vfConf vfConf;

/*
 * Reads and parses @path. A missing file is not an error for libvirt's
 * daemons (all settings keep their defaults): with @missing_ok, a file
 * that does not exist gives an empty configuration.
 */
gboolean vfConfLoad(const char *path, gboolean missing_ok,
                    vfConf **conf, GError **error);

/* Parses @text; @filename only names the text in messages. */
gboolean vfConfParse(const char *filename, const char *text,
                     vfConf **conf, GError **error);

void vfConfFree(vfConf *conf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfConf, vfConfFree)

const char *vfConfGetFilename(const vfConf *conf);

/* The value of @name, or NULL if it is not set. Borrowed. */
const vfConfValue *vfConfGetValue(const vfConf *conf, const char *name);

/*
 * Returns 1 and a copy in @value if @name is a string, 0 (and leaves
 * @value alone) if it is not set, -1 with @error if it has another type.
 */
int vfConfGetString(const vfConf *conf, const char *name,
                    char **value, GError **error);

/* The line where @name is assigned (the first time), 0 if it is not. */
int vfConfGetLine(const vfConf *conf, const char *name);

/* ---- network.conf: firewall_backend ---- */

/* The network.conf libvirt reads (system daemon). */
#define VF_NETWORK_CONF_PATH "/etc/libvirt/network.conf"

/*
 * The backend network.conf asks for:
 *   firewall_backend = "iptables"          -> VF_BACKEND_EXEC
 *                                             (one iptables process per rule,
 *                                             as libvirt does)
 *   firewall_backend = "iptables-restore"  -> VF_BACKEND_RESTORE
 *   firewall_backend = "nftables"          -> detected, as when not set:
 *        libvirt >= 10.4's value (its default) for a network driver that
 *        writes its own nft tables; nwfilter still uses ebtables/iptables,
 *        and those rules are ours (vfConfNetworksUseNftables says the
 *        networks are not)
 *   not set                                -> detected: RESTORE if
 *        iptables-restore, ip6tables-restore and ebtables-restore are all in
 *        PATH and start, else EXEC.
 * Any other value, or a non-string, is an error (VF_ERROR_INVALID).
 * @conf may be NULL (no file): detection.
 *
 * @reason gets one line for the log saying what was chosen and why.
 * @runner runs the probes; NULL means real processes, and then the probe
 * runs once per process and its answer is reused.
 */
gboolean vfConfGetFirewallBackend(const vfConf *conf,
                                  vfRunner *runner,
                                  vfBackendKind *kind,
                                  char **reason,
                                  GError **error);

/*
 * TRUE if network.conf says firewall_backend = "nftables": the network
 * driver's rules are libvirt's own nft tables, not iptables programs, and
 * are left to libvirt. FALSE for any other value or none (@conf may be
 * NULL); vfConfGetFirewallBackend refuses the values that are wrong.
 */
gboolean vfConfNetworksUseNftables(const vfConf *conf);

/*
 * The probe alone: TRUE if every restore tool is usable; otherwise FALSE
 * and @why names the first one that is not. Never cached.
 */
gboolean vfConfProbeRestoreTools(vfRunner *runner, char **why);
