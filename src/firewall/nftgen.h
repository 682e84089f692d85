/*
 * nftgen.h: the nf_tables ruleset generation id of a network namespace
 *
 * With the nft variants of iptables/ip6tables/ebtables every successful
 * restore is one nf_tables transaction, so the generation id tells cheaply
 * (one netlink round trip, no process) whether anybody changed the ruleset
 * since it was last looked at. docs/nftgen-facts.md lists by how much the
 * id moves for each tool invocation.
 */
#pragma once

#include <glib.h>

/* Reads the nf_tables generation id (NFT_MSG_GETGEN) of the network namespace
 * @netnsFd refers to (-1: the caller's own). The id changes with every committed
 * nf_tables transaction in that namespace, whoever made it. */
gboolean vfNftGenerationRead(int netnsFd, guint32 *genid, GError **error);

/* Whether the iptables, ip6tables and ebtables found in PATH (and their
 * -save and -restore companions) are all the nf_tables variants
 * (xtables-nft-multi), judged from the symlinks alone, without running
 * anything. Only then does the generation id see what those tools do. */
gboolean vfNftToolsAreNft(void);

/* The namespace's cookie (SO_NETNS_COOKIE, Linux 5.14): unlike its inode
 * number, never reused for another namespace while the machine runs, so
 * a generation id recorded for one namespace is never compared with
 * another's. */
gboolean vfNetnsCookie(int netnsFd, guint64 *cookie, GError **error);
