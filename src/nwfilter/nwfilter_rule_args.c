/*
 * nwfilter_rule_args.c: a command's words, and values as libvirt prints them
 */
#include "nwfilter_ebiptables_priv.h"
#include "chains.h"
#include "firewall/error.h"

#include <string.h>

void
nwfArgsInit(nwfArgs *a)
{
    a->args = g_ptr_array_new_with_free_func(g_free);
}

void
nwfArgsClear(nwfArgs *a)
{
    g_clear_pointer(&a->args, g_ptr_array_unref);
}

void
nwfArg(nwfArgs *a, const char *s)
{
    g_ptr_array_add(a->args, g_strdup(s));
}

void
nwfArgf(nwfArgs *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(a->args, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

void
nwfArgsCommit(virFirewall *fw, virFirewallLayer layer, nwfArgs *a)
{
    g_ptr_array_add(a->args, NULL);
    virFirewallAddRuleFullV(fw, layer, FALSE, NULL, NULL,
                            (const char *const *)a->args->pdata);
    g_ptr_array_remove_index(a->args, a->args->len - 1);
}

/* value printing (libvirt's _printDataType) */

char *
nwfPrintItem(const nwfItem *item, nwfVarIter *it, gboolean asHex, gboolean dirIn,
          GError **error)
{
    if (item->flags & NWF_ITEM_HASVAR) {
        const char *v = nwfVarIterGet(it, item->var, error);
        return v ? g_strdup(v) : NULL;
    }
    switch (item->datatype) {
    case NWF_DATATYPE_IPADDR:
    case NWF_DATATYPE_IPV6ADDR:
    case NWF_DATATYPE_IPSETNAME:
        return g_strdup(item->str);
    case NWF_DATATYPE_MACADDR:
    case NWF_DATATYPE_MACMASK:
        return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x",
                               item->u.mac[0], item->u.mac[1], item->u.mac[2],
                               item->u.mac[3], item->u.mac[4], item->u.mac[5]);
    case NWF_DATATYPE_IPMASK:
    case NWF_DATATYPE_IPV6MASK:
        return g_strdup_printf("%d", (int)(item->u.num & 0xff));
    case NWF_DATATYPE_UINT32:
    case NWF_DATATYPE_UINT32_HEX:
        return g_strdup_printf(asHex ? "0x%x" : "%u", item->u.num);
    case NWF_DATATYPE_UINT16:
    case NWF_DATATYPE_UINT16_HEX:
    case NWF_DATATYPE_UINT8:
    case NWF_DATATYPE_UINT8_HEX:
        return g_strdup_printf(asHex ? "0x%x" : "%d", item->u.num);
    case NWF_DATATYPE_IPSETFLAGS: {
        GString *s = g_string_new(NULL);
        for (int i = 0; i < item->u.ipset.nflags; i++) {
            gboolean src = (item->u.ipset.flags & (1 << i)) != 0;
            if (i)
                g_string_append_c(s, ',');
            g_string_append(s, (src != dirIn) ? "src" : "dst");
        }
        return g_string_free(s, FALSE);
    }
    default:
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "unhandled datatype 0x%x", item->datatype);
        return NULL;
    }
}

/* *@dst := attribute @a of @rule printed (in hex with @hex); FALSE with
 * @error set when its value cannot be printed */
gboolean
nwfPrintAttr(char **dst, const nwfRule *rule, nwfAttr a, nwfVarIter *it, gboolean hex,
          GError **error)
{
    g_free(*dst);
    return (*dst = nwfPrintItem(&rule->items[a], it, hex, FALSE, error)) != NULL;
}
