/*
 * nftgen.c: reading the nf_tables generation id over netlink
 */
#include "nftgen.h"
#include "nft-priv.h"
#include "error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void
vfMnlSocketFree(vfMnlSocket *nl)
{
    mnl_socket_close(nl);
}

static vfMnlSocket *
mnlSocketOpen(GError **error)
{
    /* CLOEXEC: the runner forks tools from other threads; none of them
     * should inherit a netfilter socket */
    vfMnlSocket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);

    if (!nl)
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot open a netfilter netlink socket: %s",
                    g_strerror(errno));
    return nl;
}

/* A netlink socket talks to the namespace it was created in for its whole
 * life, so only the socket() call needs to happen inside @netnsFd; binding
 * and the request itself run after this thread is back home. */
vfMnlSocket *
vfMnlSocketOpenIn(int netnsFd, GError **error)
{
    vfMnlSocket *nl;
    int homeFd;

    if (netnsFd < 0)
        return mnlSocketOpen(error);

    /* setns() moves only the calling thread, so the thread's own namespace
     * (not the process's: another caller may have moved this thread) is
     * the one to return to */
    if ((homeFd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot open /proc/thread-self/ns/net: %s",
                    g_strerror(errno));
        return NULL;
    }
    if (setns(netnsFd, CLONE_NEWNET) < 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot enter network namespace (fd %d): %s",
                    netnsFd, g_strerror(errno));
        close(homeFd);
        return NULL;
    }
    nl = mnlSocketOpen(error);
    /* A thread left in the wrong namespace would make every later socket
     * and spawned tool of this thread act on another ruleset; that must
     * never go unnoticed, and going back to an fd we just opened cannot
     * fail short of a kernel bug. */
    if (setns(homeFd, CLONE_NEWNET) < 0)
        g_error("cannot return to the thread's network namespace: %s",
                g_strerror(errno));
    close(homeFd);
    return nl;
}

vfMnlSocket *
vfMnlSocketOpenBound(int netnsFd, GError **error)
{
    g_autoptr(vfMnlSocket) nl = vfMnlSocketOpenIn(netnsFd, error);

    if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot bind the netfilter netlink socket: %s",
                    g_strerror(errno));
        return NULL;
    }
    return g_steal_pointer(&nl);
}

typedef struct {
    gboolean found;
    guint32 genid;
} vfGenReply;

static int
genAttr(const struct nlattr *attr, void *data)
{
    const struct nlattr **tb = data;
    int type = mnl_attr_get_type(attr);

    /* newer kernels may add attributes this header does not know */
    if (mnl_attr_type_valid(attr, NFTA_GEN_MAX) < 0)
        return MNL_CB_OK;
    if (type == NFTA_GEN_ID && mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
        return MNL_CB_ERROR;
    tb[type] = attr;
    return MNL_CB_OK;
}

static int
genReply(const struct nlmsghdr *nlh, void *data)
{
    vfGenReply *reply = data;
    const struct nlattr *tb[NFTA_GEN_MAX + 1] = { NULL };

    if (nlh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN))
        return MNL_CB_OK;
    if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), genAttr, tb) < 0)
        return MNL_CB_ERROR;
    if (tb[NFTA_GEN_ID]) {
        reply->genid = ntohl(mnl_attr_get_u32(tb[NFTA_GEN_ID]));
        reply->found = TRUE;
    }
    return MNL_CB_OK;
}

gboolean
vfNftGenerationRead(int netnsFd, guint32 *genid, GError **error)
{
    g_autoptr(vfMnlSocket) nl = NULL;
    /* the reply is a few dozen bytes; 8 KiB is what libmnl suggests so a
     * message is never truncated. guint64 keeps nlmsghdr aligned. */
    guint64 buf[8192 / sizeof(guint64)];
    vfGenReply reply = { 0 };
    struct nlmsghdr *nlh;
    struct nfgenmsg *nfg;
    guint32 seq = (guint32)time(NULL);
    unsigned int portid;
    ssize_t len;
    int ret;

    if (!(nl = vfMnlSocketOpenBound(netnsFd, error)))
        return FALSE;
    portid = mnl_socket_get_portid(nl);

    nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
    /* no NLM_F_ACK: the kernel answers with exactly one message, NEWGEN on
     * success or an error otherwise, so a single recv is enough */
    nlh->nlmsg_flags = NLM_F_REQUEST;
    nlh->nlmsg_seq = seq;
    nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
    nfg->nfgen_family = AF_UNSPEC;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = 0;

    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot send NFT_MSG_GETGEN: %s", g_strerror(errno));
        return FALSE;
    }
    if ((len = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot receive the nf_tables generation: %s",
                    g_strerror(errno));
        return FALSE;
    }
    if ((ret = mnl_cb_run(buf, len, seq, portid, genReply, &reply)) < 0) {
        /* EPERM: reading needs CAP_NET_ADMIN over the namespace; EINVAL:
         * no nf_tables in this kernel */
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot read the nf_tables generation: %s",
                    g_strerror(errno));
        return FALSE;
    }
    if (!reply.found) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot read the nf_tables generation: "
                    "the kernel's answer has no NFTA_GEN_ID");
        return FALSE;
    }
    *genid = reply.genid;
    return TRUE;
}

/* xtables-nft-multi picks its backend from how it is linked, so the
 * binary the links end at says which kernel API the tools use. Debian
 * switches each tool's -save and -restore together with it (one
 * alternatives group), but the project runs all of them, so all are
 * checked: a hand-made link must not pass unnoticed. */
gboolean
vfNftToolsAreNft(void)
{
    static const char *const tools[] = {
        "iptables", "iptables-save", "iptables-restore",
        "ip6tables", "ip6tables-save", "ip6tables-restore",
        "ebtables", "ebtables-save", "ebtables-restore",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(tools); i++) {
        g_autofree char *path = g_find_program_in_path(tools[i]);
        g_autofree char *real = NULL;
        const char *base;

        if (!path || !(real = realpath(path, NULL)))
            return FALSE;
        base = strrchr(real, '/');
        if (!g_str_equal(base ? base + 1 : real, "xtables-nft-multi"))
            return FALSE;
    }
    return TRUE;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

gboolean
vfNetnsCookie(int netnsFd, guint64 *cookie, GError **error)
{
    g_autoptr(vfMnlSocket) nl = NULL;
    socklen_t len = sizeof(*cookie);

    if (!(nl = vfMnlSocketOpenIn(netnsFd, error)))
        return FALSE;
    if (getsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot read the network namespace cookie: %s",
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}
