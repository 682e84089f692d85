/*
 * vfl-priv.h: what the two halves of the ABI wrapper share
 */
#pragma once

#include "virt-firewall-engine.h"
#include "firewall.h"

/* The ABI's values are libvirt's, and so are the model's. */
G_STATIC_ASSERT((int)VFL_LAYER_ETHERNET == (int)VIR_FIREWALL_LAYER_ETHERNET);
G_STATIC_ASSERT((int)VFL_LAYER_IPV4 == (int)VIR_FIREWALL_LAYER_IPV4);
G_STATIC_ASSERT((int)VFL_LAYER_IPV6 == (int)VIR_FIREWALL_LAYER_IPV6);
G_STATIC_ASSERT((int)VFL_TRANSACTION_IGNORE_ERRORS ==
                (int)VIR_FIREWALL_TRANSACTION_IGNORE_ERRORS);
G_STATIC_ASSERT((int)VFL_TRANSACTION_AUTO_ROLLBACK ==
                (int)VIR_FIREWALL_TRANSACTION_AUTO_ROLLBACK);
G_STATIC_ASSERT((int)VFL_ROLLBACK_INHERIT_PREVIOUS ==
                (int)VIR_FIREWALL_ROLLBACK_INHERIT_PREVIOUS);

struct _vflProgram {
    virFirewall *fw;
    /* of vflQuery*: what the engine's callbacks need to call the
     * caller's, one per (callback, opaque) pair */
    GPtrArray *queries;
};
