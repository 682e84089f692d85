/*
 * nft-priv.h: the netfilter netlink socket shared by nftgen.c and nfttable.c
 */
#pragma once

#include <glib.h>
#include <libmnl/libmnl.h>

typedef struct mnl_socket vfMnlSocket;

void vfMnlSocketFree(vfMnlSocket *nl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfMnlSocket, vfMnlSocketFree)

/* A NETLINK_NETFILTER socket talking to the namespace @netnsFd refers to
 * (-1: the calling thread's), not bound yet. */
vfMnlSocket *vfMnlSocketOpenIn(int netnsFd, GError **error);
/* The same, bound (the kernel picks the port id). */
vfMnlSocket *vfMnlSocketOpenBound(int netnsFd, GError **error);
