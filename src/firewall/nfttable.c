/*
 * nfttable.c: removing an nf_tables table that holds nothing, over netlink
 */
#include "nfttable.h"
#include "nftgen.h"
#include "nft-priv.h"
#include "error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <string.h>
#include <time.h>

/* a dump answer carries many messages per read; guint64 keeps nlmsghdr
 * aligned */
#define VF_NL_BUF 32768

typedef struct {
    const char *table;
    gboolean found;
    gboolean busy;      /* a rule, a user chain, a policy but ACCEPT */
} vfTableLook;

static int
familyOf(virFirewallLayer layer)
{
    switch (layer) {
    case VIR_FIREWALL_LAYER_ETHERNET:
        return NFPROTO_BRIDGE;
    case VIR_FIREWALL_LAYER_IPV4:
        return NFPROTO_IPV4;
    case VIR_FIREWALL_LAYER_IPV6:
    case VIR_FIREWALL_LAYER_LAST:
        break;
    }
    return NFPROTO_IPV6;
}

static struct nlmsghdr *
putRequest(void *buf, guint16 type, guint16 flags, guint32 seq,
           guint8 family, guint16 resId)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct nfgenmsg *nfg;

    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    nlh->nlmsg_seq = seq;
    nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
    nfg->nfgen_family = family;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = htons(resId);
    return nlh;
}

typedef struct {
    const struct nlattr **tb;
    int max;
} vfAttrs;

static int
attrCb(const struct nlattr *attr, void *data)
{
    vfAttrs *a = data;

    /* newer kernels may add attributes this header does not know */
    if (mnl_attr_type_valid(attr, a->max) < 0)
        return MNL_CB_OK;
    a->tb[mnl_attr_get_type(attr)] = attr;
    return MNL_CB_OK;
}

/* The NUL-terminated string attribute @type of @nlh, or NULL. */
static const char *
stringAttr(const struct nlmsghdr *nlh, int type, int max,
           const struct nlattr **tb)
{
    vfAttrs a = { tb, max };

    if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attrCb, &a) < 0 ||
        !tb[type] || mnl_attr_validate(tb[type], MNL_TYPE_NUL_STRING) < 0)
        return NULL;
    return mnl_attr_get_str(tb[type]);
}

/* The table a NEWTABLE/NEWCHAIN/NEWRULE answer of type @msg names in its
 * attribute @attr (@tb filled up to @max), or NULL for other messages. */
static const char *
answerTable(const struct nlmsghdr *nlh, int msg, int attr, int max,
            const struct nlattr **tb)
{
    if (nlh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | msg))
        return NULL;
    return stringAttr(nlh, attr, max, tb);
}

static int
tableReply(const struct nlmsghdr *nlh, void *data)
{
    vfTableLook *look = data;
    const struct nlattr *tb[NFTA_TABLE_MAX + 1] = { NULL };
    const char *name = answerTable(nlh, NFT_MSG_NEWTABLE, NFTA_TABLE_NAME,
                                   NFTA_TABLE_MAX, tb);

    if (name && g_str_equal(name, look->table))
        look->found = TRUE;
    return MNL_CB_OK;
}

static int
chainReply(const struct nlmsghdr *nlh, void *data)
{
    vfTableLook *look = data;
    const struct nlattr *tb[NFTA_CHAIN_MAX + 1] = { NULL };
    const char *table = answerTable(nlh, NFT_MSG_NEWCHAIN, NFTA_CHAIN_TABLE,
                                    NFTA_CHAIN_MAX, tb);

    if (!table || !g_str_equal(table, look->table))
        return MNL_CB_OK;
    /* a user chain, or a builtin that drops what it does not match */
    if (!tb[NFTA_CHAIN_HOOK] ||
        (tb[NFTA_CHAIN_POLICY] &&
         (mnl_attr_validate(tb[NFTA_CHAIN_POLICY], MNL_TYPE_U32) < 0 ||
          ntohl(mnl_attr_get_u32(tb[NFTA_CHAIN_POLICY])) != NF_ACCEPT)))
        look->busy = TRUE;
    return MNL_CB_OK;
}

static int
ruleReply(const struct nlmsghdr *nlh, void *data)
{
    vfTableLook *look = data;
    const struct nlattr *tb[NFTA_RULE_MAX + 1] = { NULL };
    const char *table = answerTable(nlh, NFT_MSG_NEWRULE, NFTA_RULE_TABLE,
                                    NFTA_RULE_MAX, tb);

    if (table && g_str_equal(table, look->table))
        look->busy = TRUE;
    return MNL_CB_OK;
}

/* Sends @nlh and hands every answer to @cb until a dump's end or an
 * acknowledgement; errno is the kernel's on failure. */
static gboolean
talk(vfMnlSocket *nl, const struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
    g_autofree guint64 *buf = g_malloc(VF_NL_BUF);
    unsigned int portid = mnl_socket_get_portid(nl);

    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
        return FALSE;
    for (;;) {
        ssize_t len = mnl_socket_recvfrom(nl, buf, VF_NL_BUF);
        int ret;

        if (len < 0)
            return FALSE;
        if ((ret = mnl_cb_run(buf, len, nlh->nlmsg_seq, portid, cb, data)) < 0)
            return FALSE;
        if (ret == MNL_CB_STOP)
            return TRUE;
    }
}

/* Whether @look->table exists, and holds anything. */
static gboolean
lookAt(vfMnlSocket *nl, guint8 family, guint32 seq, vfTableLook *look,
       GError **error)
{
    g_autofree guint64 *buf = g_malloc(MNL_SOCKET_BUFFER_SIZE);
    struct nlmsghdr *nlh;

    nlh = putRequest(buf, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE,
                     NLM_F_ACK, seq, family, 0);
    mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, look->table);
    if (!talk(nl, nlh, tableReply, look)) {
        if (errno == ENOENT)
            return TRUE;
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot look up nf_tables table %s: %s", look->table,
                    g_strerror(errno));
        return FALSE;
    }
    if (!look->found)
        return TRUE;

    nlh = putRequest(buf, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN,
                     NLM_F_DUMP, seq + 1, family, 0);
    if (!talk(nl, nlh, chainReply, look)) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot list the chains of nf_tables table %s: %s",
                    look->table, g_strerror(errno));
        return FALSE;
    }
    if (look->busy)
        return TRUE;

    nlh = putRequest(buf, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE,
                     NLM_F_DUMP, seq + 2, family, 0);
    mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, look->table);
    if (!talk(nl, nlh, ruleReply, look)) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot list the rules of nf_tables table %s: %s",
                    look->table, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

vfNftTableDrop
vfNftTableDropIfEmpty(int netnsFd, virFirewallLayer layer, const char *table,
                      const guint32 *gen, GError **error)
{
    g_autoptr(vfMnlSocket) nl = NULL;
    g_autofree guint64 *buf = g_malloc(MNL_SOCKET_BUFFER_SIZE);
    struct mnl_nlmsg_batch *batch;
    vfTableLook look = { table, FALSE, FALSE };
    guint8 family = familyOf(layer);
    guint32 seq = (guint32)time(NULL), at;
    struct nlmsghdr *nlh;
    gboolean sent;

    if (gen)
        at = *gen;
    else if (!vfNftGenerationRead(netnsFd, &at, error))
        return VF_NFT_TABLE_ERROR;
    if (!(nl = vfMnlSocketOpenBound(netnsFd, error)))
        return VF_NFT_TABLE_ERROR;
    if (!lookAt(nl, family, seq, &look, error))
        return VF_NFT_TABLE_ERROR;
    if (!look.found)
        return VF_NFT_TABLE_ABSENT;
    if (look.busy)
        return VF_NFT_TABLE_IN_USE;

    /* what was looked at is what goes: the kernel refuses the batch with
     * ERESTART if the generation moved since @at */
    batch = mnl_nlmsg_batch_start(buf, MNL_SOCKET_BUFFER_SIZE);
    nlh = putRequest(mnl_nlmsg_batch_current(batch), NFNL_MSG_BATCH_BEGIN, 0,
                     seq + 3, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
    mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(at));
    mnl_nlmsg_batch_next(batch);
    nlh = putRequest(mnl_nlmsg_batch_current(batch),
                     (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, NLM_F_ACK,
                     seq + 4, family, 0);
    mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);
    mnl_nlmsg_batch_next(batch);
    putRequest(mnl_nlmsg_batch_current(batch), NFNL_MSG_BATCH_END, 0,
               seq + 5, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
    mnl_nlmsg_batch_next(batch);
    sent = mnl_socket_sendto(nl, mnl_nlmsg_batch_head(batch),
                             mnl_nlmsg_batch_size(batch)) >= 0;
    mnl_nlmsg_batch_stop(batch);
    if (sent) {
        /* one answer: the deletion's acknowledgement, or the error of the
         * message that failed (the batch's start for a moved generation) */
        g_autofree guint64 *in = g_malloc(VF_NL_BUF);
        ssize_t len = mnl_socket_recvfrom(nl, in, VF_NL_BUF);

        if (len >= 0 && mnl_cb_run(in, len, 0, mnl_socket_get_portid(nl),
                                   NULL, NULL) >= 0)
            return VF_NFT_TABLE_DROPPED;
    }
    if (errno == ERESTART)
        return VF_NFT_TABLE_CHANGED;
    if (errno == ENOENT)
        return VF_NFT_TABLE_ABSENT;
    g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                "cannot delete nf_tables table %s: %s", table, g_strerror(errno));
    return VF_NFT_TABLE_ERROR;
}
