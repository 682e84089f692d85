/*
 * target.c: the namespace the tools write, and the generation rule
 */
#include "target.h"
#include "nftgen.h"
#include "nfttable.h"

#include <sys/stat.h>

struct _vfTarget {
    vfRunner *runner;
    int netns_fd;
    vfTargetFlags flags;
    vfTargetKernel kernel;
    char *netns_id;   /* made on first use */
};

static gboolean
netlinkGeneration(gpointer data, guint32 *gen, GError **error)
{
    return vfNftGenerationRead(GPOINTER_TO_INT(data), gen, error);
}

static gboolean
netlinkDropEmptyTable(gpointer data, virFirewallLayer layer, const char *table,
                      GError **error)
{
    switch (vfNftTableDropIfEmpty(GPOINTER_TO_INT(data), layer, table, NULL, error)) {
    case VF_NFT_TABLE_DROPPED:
        g_debug("nf_tables table %s, created and put back empty, deleted", table);
        return TRUE;
    case VF_NFT_TABLE_ABSENT:
        return TRUE;
    case VF_NFT_TABLE_IN_USE:
        g_debug("nf_tables table %s stays: it holds rules, user chains or a "
                "policy but ACCEPT", table);
        return TRUE;
    case VF_NFT_TABLE_CHANGED:
        g_debug("nf_tables table %s stays: the ruleset changed meanwhile", table);
        return TRUE;
    case VF_NFT_TABLE_ERROR:
        break;
    }
    return FALSE;
}

vfTarget *
vfTargetNewWithKernel(vfRunner *runner, const vfTargetKernel *kernel,
                      vfTargetFlags flags)
{
    vfTarget *target = g_new0(vfTarget, 1);

    target->runner = runner;
    target->netns_fd = -1;
    target->flags = flags;
    target->kernel = *kernel;
    return target;
}

vfTarget *
vfTargetNew(vfRunner *runner, int netnsFd, vfTargetFlags flags)
{
    vfTargetKernel kernel = {
        .nft = vfNftToolsAreNft(),
        .read_generation = netlinkGeneration,
        .drop_empty_table = netlinkDropEmptyTable,
        .data = GINT_TO_POINTER(netnsFd),
    };
    vfTarget *target = vfTargetNewWithKernel(runner, &kernel, flags);

    target->netns_fd = netnsFd;
    return target;
}

void
vfTargetFree(vfTarget *target)
{
    if (!target)
        return;
    g_free(target->netns_id);
    g_free(target);
}

vfRunner *
vfTargetGetRunner(const vfTarget *target)
{
    return target->runner;
}

int
vfTargetGetNetnsFd(const vfTarget *target)
{
    return target->netns_fd;
}

gboolean
vfTargetIsNft(const vfTarget *target)
{
    return target->kernel.nft;
}

gboolean
vfTargetHasGeneration(const vfTarget *target)
{
    return target->kernel.nft && target->kernel.read_generation &&
           !(target->flags & VF_TARGET_NO_GENERATION);
}

/* This boot's id: the host's own namespace has the same inode and cookie
 * after every reboot, and its generation id restarts, so a state file of
 * the previous boot could match by chance. */
static char *
bootId(void)
{
    g_autofree char *text = NULL;

    if (!g_file_get_contents("/proc/sys/kernel/random/boot_id", &text, NULL, NULL))
        return g_strdup("unknown");
    return g_strdup(g_strstrip(text));
}

static char *
netnsId(int netnsFd)
{
    g_autofree char *boot = bootId();
    struct stat st;
    guint64 cookie;

    if (netnsFd >= 0 ? fstat(netnsFd, &st) < 0 : stat("/proc/self/ns/net", &st) < 0)
        return g_strdup("net:unknown");
    /* an inode number is reused once its namespace is gone */
    if (vfNetnsCookie(netnsFd, &cookie, NULL))
        return g_strdup_printf("net:[%lu]:%" G_GUINT64_FORMAT ":%s", (unsigned long)st.st_ino,
                               cookie, boot);
    return g_strdup_printf("net:[%lu]:%s", (unsigned long)st.st_ino, boot);
}

const char *
vfTargetGetNetnsId(vfTarget *target)
{
    if (!target->netns_id)
        target->netns_id = netnsId(target->netns_fd);
    return target->netns_id;
}

vfGeneration
vfTargetGeneration(vfTarget *target)
{
    g_autoptr(GError) err = NULL;
    vfGeneration gen = VF_GENERATION_UNKNOWN;

    if (!vfTargetHasGeneration(target))
        return gen;
    if (!target->kernel.read_generation(target->kernel.data, &gen.id, &err)) {
        g_debug("no nf_tables generation id: %s", err ? err->message : "not read");
        return gen;
    }
    gen.known = TRUE;
    return gen;
}

gboolean
vfTargetOnlyOurs(vfTarget *target, vfGeneration since, guint transactions,
                 vfGeneration *now)
{
    vfGeneration at = since.known ? vfTargetGeneration(target) : VF_GENERATION_UNKNOWN;

    if (now)
        *now = at;
    /* the id is a u32 and wraps: compare as the kernel counts */
    return since.known && at.known && at.id == since.id + transactions;
}

gboolean
vfTargetDropEmptyTable(vfTarget *target, virFirewallLayer layer, const char *table,
                       GError **error)
{
    if (!target->kernel.nft || !target->kernel.drop_empty_table ||
        (target->flags & VF_TARGET_READ_ONLY))
        return TRUE;
    return target->kernel.drop_empty_table(target->kernel.data, layer, table, error);
}
