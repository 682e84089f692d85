/*
 * nfttable.h: removing an nf_tables table that holds nothing
 *
 * The tools can flush and delete chains but never a table: a restore that
 * created a table and is then put back leaves it, empty, where exec (whose
 * failing commands create no table) leaves none.
 */
#pragma once

#include "firewall.h"

typedef enum {
    VF_NFT_TABLE_DROPPED,
    VF_NFT_TABLE_ABSENT,    /* there is no such table */
    VF_NFT_TABLE_IN_USE,    /* a rule, a user chain or a policy but ACCEPT */
    VF_NFT_TABLE_CHANGED,   /* the ruleset is no longer at the generation */
    VF_NFT_TABLE_ERROR,
} vfNftTableDrop;

/* Deletes @layer's table @table (the nf_tables table the nft variant of its
 * tool uses: bridge, ip or ip6 family) in the namespace @netnsFd refers to
 * (-1: the caller's own) if it holds no rule, no user chain and no builtin
 * chain whose policy is not ACCEPT: such a table filters nothing. The check
 * and the deletion happen at one generation id — @gen if given, else the one
 * read first — and the kernel refuses the deletion if any commit came
 * since (NFNL_BATCH_GENID), so a table someone fills meanwhile stays. */
vfNftTableDrop vfNftTableDropIfEmpty(int netnsFd, virFirewallLayer layer,
                                     const char *table, const guint32 *gen,
                                     GError **error);
