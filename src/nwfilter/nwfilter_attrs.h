/*
 * nwfilter_attrs.h: per-protocol attribute tables (name, datatypes,
 * validator), in libvirt's order. The order matters: it decides the order
 * in which a rule's variables create iterators.
 */
#pragma once

#include "nwfilter_def.h"

/* The check a value gets beyond its datatype (libvirt's validators). */
typedef enum {
    NWF_VALIDATE_NONE, NWF_VALIDATE_MACPROTO, NWF_VALIDATE_VLANID,
    NWF_VALIDATE_VLANPROTO, NWF_VALIDATE_ARPOPCODE, NWF_VALIDATE_IPPROTO,
    NWF_VALIDATE_DSCP, NWF_VALIDATE_STATE, NWF_VALIDATE_TCPFLAGS,
    NWF_VALIDATE_IPSET, NWF_VALIDATE_IPSETFLAGS,
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
