/*
 * nwfilter_value.h: the values of a protocol element's attributes, read
 * exactly as libvirt 9.0's virNWFilterRuleDetailsParse reads them
 *
 * Each attribute tries its datatypes in bit order; validators may rewrite
 * the value. Numbers go through strtoul as virStrToLong_ui does (leading
 * blanks and a sign taken, "-1" is 4294967295), addresses through
 * getaddrinfo(AI_NUMERICHOST) as virSocketAddrParse does ("10.1" is
 * 10.0.0.1, "010.0.0.1" is 8.0.0.1), MAC addresses as virMacAddrParse
 * (anything after a blank ignored). Where that reads a value differently
 * from how it is written, the parse says so (@note), for a warning.
 */
#pragma once

#include "nwfilter_def.h"
#include "nwfilter_attrs.h"

/* libvirt's MAX_COMMENT_LENGTH: a comment is cut to this many bytes */
#define NWF_MAX_COMMENT 256

/* Tries @att's datatypes on @s in bit order: the datatype that took it
 * (item filled), or 0. *@note (may be NULL) is set to a message when the
 * value is read differently from how it is written. */
unsigned int nwfValueParse(const nwfAttrDef *att, const char *s, nwfItem *item,
                           char **note);

/* Runs @att's validator on a value nwfValueParse took as @dt; may
 * rewrite the item (and the rule's state flags). */
gboolean nwfValueValidate(const nwfAttrDef *att, unsigned int dt, const char *s,
                      nwfItem *item, nwfRule *rule);

/* virMacAddrParse: six 1-2 digit hex octets separated by ':', then the
 * end or any byte <= ' ' (the rest is ignored). *@rest (may be NULL): what
 * follows the address. */
gboolean nwfParseMac(const char *s, uint8_t mac[6], const char **rest);

/* virUUIDParse: 32 hex digits, '-' and ' ' anywhere between pairs, blanks
 * around. The canonical form (g_free), or NULL. */
char *nwfParseUUID(const char *s);
