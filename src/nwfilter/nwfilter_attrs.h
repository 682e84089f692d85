/*
 * nwfilter_attrs.h: per-protocol attribute tables (name, datatypes,
 * validator), in libvirt's order. The order matters: it decides the order
 * in which a rule's variables create iterators.
 */
#pragma once

#include "nwfilter_def.h"

typedef enum {
    V_NONE, V_MACPROTO, V_VLANID, V_VLANPROTO, V_ARPOPCODE, V_IPPROTO,
    V_DSCP, V_STATE, V_TCPFLAGS, V_IPSET, V_IPSETFLAGS,
} nwfValidator;

typedef struct {
    const char *name;
    nwfAttr attr;
    unsigned int datatypes;
    nwfValidator validator;
} nwfAttrDef;

typedef struct {
    const char *element;
    nwfProtocol protocol;
    const nwfAttrDef *attrs;     /* terminated by name == NULL */
} nwfProtocolDef;

/* NULL-terminated list of the protocol elements. */
extern const nwfProtocolDef nwfProtocolDefs[];

const nwfProtocolDef *nwfProtocolDefLookup(const char *element);
