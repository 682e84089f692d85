/*
 * nwfilter_def.c: parse libvirt's <filter> XML as libvirt 9.0 does
 * (virNWFilterDefParseXML, virNWFilterRuleParse).
 *
 * What libvirt rejects is an error; what it ignores (attributes and
 * elements it does not read, a second protocol element of another kind,
 * invalid parameters, out-of-range rule priorities, ...) is ignored here
 * too, with a warning naming the file and line: libvirt's silence is how a
 * typo like dstport becomes an open port. The table of both is
 * docs/libvirt-parity.md. Values: nwfilter_value.c.
 */
#include "nwfilter_parse.h"
#include "nwfilter_value.h"
#include "firewall/error.h"
#include "util/inputfile.h"
#include "util/xmlread.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const protoNames[NWF_PROTO_LAST] = {
    "none", "mac", "vlan", "stp", "arp", "rarp", "ip", "ipv6", "tcp",
    "icmp", "igmp", "udp", "udplite", "esp", "ah", "sctp", "all",
    "tcp-ipv6", "icmpv6", "udp-ipv6", "udplite-ipv6", "esp-ipv6",
    "ah-ipv6", "sctp-ipv6", "all-ipv6",
};

const char *
nwfProtocolToString(nwfProtocol p)
{
    return p < NWF_PROTO_LAST ? protoNames[p] : "?";
}

const char *
nwfActionTarget(nwfAction a)
{
    static const char *const t[] = { "DROP", "ACCEPT", "REJECT", "RETURN",
                                     "CONTINUE" };
    return t[a];
}

gboolean
nwfRuleIsEthernet(const nwfRule *rule)
{
    return rule->protocol <= NWF_PROTO_IPV6;
}

gboolean
nwfRuleIsIPv4(const nwfRule *rule)
{
    return rule->protocol >= NWF_PROTO_TCP && rule->protocol <= NWF_PROTO_ALL;
}

gboolean
nwfRuleIsIPv6(const nwfRule *rule)
{
    return rule->protocol >= NWF_PROTO_TCP6 && rule->protocol <= NWF_PROTO_ALL6;
}

void
nwfRuleFree(nwfRule *rule)
{
    if (!rule)
        return;
    for (int i = 0; i < NWF_ATTR_LAST; i++)
        g_free(rule->items[i].str);
    if (rule->vars)
        g_ptr_array_unref(rule->vars);
    g_free(rule);
}

static void
entryFree(gpointer p)
{
    nwfEntry *e = p;
    nwfRuleFree(e->rule);
    if (e->include) {
        g_free(e->include->filter);
        if (e->include->params)
            g_hash_table_unref(e->include->params);
        g_free(e->include);
    }
    g_free(e);
}

void
nwfFilterFree(nwfFilter *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->uuid);
    g_free(def->chain);
    g_free(def->path);
    if (def->entries)
        g_ptr_array_unref(def->entries);
    g_free(def);
}

/* ---- <filterref> ---- */

static nwfInclude *
parseInclude(const nwfParseCtx *ctx, xmlNodePtr node, GError **error)
{
    static const char *const known[] = { "filter", NULL };
    static const char *const pknown[] = { "name", "value", NULL };
    g_autofree nwfInclude *inc = NULL;
    g_autofree char *filter = nwfProp(node, "filter");

    if (!filter) {
        /* libvirt's message, which says "rule" */
        nwfParseError(error, ctx, node, "filterref requires a filter attribute");
        return NULL;
    }
    nwfWarnUnknownAttrs(ctx, node, known, NULL, NULL);
    inc = g_new0(nwfInclude, 1);
    inc->params = nwfVarsNew();
    inc->line = xmlGetLineNo(node);
    /* virNWFilterParseParamAttributes: invalid parameters are skipped */
    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        g_autofree char *name = NULL;
        g_autofree char *value = NULL;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)cur->name, "parameter") != 0) {
            nwfParseWarn(ctx, cur, "element ignored (only <parameter> is read in "
                         "<filterref>)");
            continue;
        }
        nwfWarnUnknownAttrs(ctx, cur, pknown, NULL, NULL);
        name = nwfProp(cur, "name");
        value = nwfProp(cur, "value");
        if (!name || !value || !nwfVarNameIsValid(name) ||
            !nwfVarValueIsValid(value)) {
            nwfParseWarn(ctx, cur, "parameter ignored: invalid name='%s' value='%s'",
                         name ? name : "", value ? value : "");
            continue;
        }
        nwfVarsAdd(inc->params, name, value);
    }
    inc->filter = g_steal_pointer(&filter);
    return g_steal_pointer(&inc);
}

/* ---- <filter> ---- */

static const struct { const char *prefix; int prio; } chainPriorities[] = {
    { "root", 0 }, { "mac", -800 }, { "vlan", -750 }, { "ipv4", -700 },
    { "ipv6", -600 }, { "arp", -500 }, { "rarp", -400 },
};

static const char *const chainPrefixes[] = {
    "root", "mac", "vlan", "stp", "arp", "rarp", "ipv4", "ipv6", NULL
};

#define VALID_CHAINNAME \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.:-"
#define MAX_CHAIN_SUFFIX 12

/* libvirt's virXPathString: an empty attribute reads as none */
static char *
propNonEmpty(const nwfParseCtx *ctx, xmlNodePtr node, const char *name)
{
    char *v = nwfProp(node, name);

    if (v && !*v) {
        nwfParseWarn(ctx, node, "%s='' ignored (empty)", name);
        g_clear_pointer(&v, g_free);
    }
    return v;
}

static gboolean
parseChain(const nwfParseCtx *ctx, xmlNodePtr root, nwfFilter *def,
           GError **error)
{
    g_autofree char *chain = propNonEmpty(ctx, root, "chain");
    g_autofree char *prio = propNonEmpty(ctx, root, "priority");
    const char *prefix = NULL;
    long chainPrio = 0;

    if (prio) {
        char *end;
        errno = 0;
        chainPrio = strtol(prio, &end, 10);
        if (errno || end == prio || *end || chainPrio < -1000 || chainPrio > 1000) {
            nwfParseError(error, ctx, root,
                          "priority '%s' must be in the range [-1000, 1000]", prio);
            return FALSE;
        }
    }
    if (!chain) {
        def->chain = g_strdup("root");
        def->chainPriority = chainPrio;
        return TRUE;
    }
    if (strlen(chain) > MAX_CHAIN_SUFFIX) {
        nwfParseError(error, ctx, root,
                      "name of chain is longer than %d characters", MAX_CHAIN_SUFFIX);
        return FALSE;
    }
    if (chain[strspn(chain, VALID_CHAINNAME "0123456789")] != '\0') {
        nwfParseError(error, ctx, root, "chain name '%s' contains invalid characters",
                      chain);
        return FALSE;
    }
    if (strcmp(chain, "root") == 0) {
        prefix = "root";
    } else if (!g_str_has_prefix(chain, "root")) {
        for (int i = 1; chainPrefixes[i]; i++) {
            if (g_str_has_prefix(chain, chainPrefixes[i])) {
                prefix = chainPrefixes[i];
                break;
            }
        }
    }
    if (!prefix) {
        nwfParseError(error, ctx, root,
                      "invalid chain name '%s': use 'root' or a name starting "
                      "with mac, vlan, stp, arp, rarp, ipv4 or ipv6", chain);
        return FALSE;
    }
    def->chain = g_steal_pointer(&chain);
    if (prio)
        def->chainPriority = chainPrio;
    else {
        def->chainPriority = 0;   /* (1000 + -1000) / 2, e.g. stp */
        for (guint i = 0; i < G_N_ELEMENTS(chainPriorities); i++)
            if (strcmp(chainPriorities[i].prefix, prefix) == 0)
                def->chainPriority = chainPriorities[i].prio;
    }
    return TRUE;
}

/* string(./uuid): the first <uuid>'s text; empty reads as none */
static gboolean
parseUUIDElement(const nwfParseCtx *ctx, xmlNodePtr cur, nwfFilter *def,
                 GError **error)
{
    xmlChar *c;
    g_autofree char *text = NULL;

    if (def->uuid || def->uuidSeen) {
        nwfParseWarn(ctx, cur, "element ignored (libvirt reads the first <uuid>)");
        return TRUE;
    }
    def->uuidSeen = TRUE;
    c = xmlNodeGetContent(cur);
    text = g_strdup(c ? (const char *)c : "");
    xmlFree(c);
    if (!*text)
        return TRUE;
    if (!(def->uuid = nwfParseUUID(text))) {
        nwfParseError(error, ctx, cur, "malformed uuid element '%s'", text);
        return FALSE;
    }
    return TRUE;
}

static nwfFilter *
parseFilter(const nwfParseCtx *ctx, xmlNodePtr root, GError **error)
{
    static const char *const known[] = { "name", "chain", "priority", NULL };
    g_autoptr(nwfFilter) def = g_new0(nwfFilter, 1);

    if (strcmp((const char *)root->name, "filter") != 0) {
        nwfParseError(error, ctx, root, "root element must be <filter>");
        return NULL;
    }
    def->path = g_strdup(ctx->path);
    def->entries = g_ptr_array_new_with_free_func(entryFree);
    def->name = nwfProp(root, "name");
    if (!def->name || !def->name[0]) {
        nwfParseError(error, ctx, root, "filter has no name");
        return NULL;
    }
    nwfWarnUnknownAttrs(ctx, root, known, NULL, NULL);
    if (!parseChain(ctx, root, def, error))
        return NULL;

    for (xmlNodePtr cur = root->children; cur; cur = cur->next) {
        const char *name = (const char *)cur->name;
        nwfEntry *entry;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp(name, "uuid") == 0) {
            if (!parseUUIDElement(ctx, cur, def, error))
                return NULL;
            continue;
        }
        if (strcmp(name, "rule") != 0 && strcmp(name, "filterref") != 0) {
            nwfParseWarn(ctx, cur, "element ignored (a filter holds <rule>, "
                         "<filterref> and <uuid>)");
            continue;
        }
        entry = g_new0(nwfEntry, 1);
        if (strcmp(name, "rule") == 0)
            entry->rule = nwfParseRule(ctx, cur, error);
        else
            entry->include = parseInclude(ctx, cur, error);
        if (!entry->rule && !entry->include) {
            g_free(entry);
            return NULL;
        }
        g_ptr_array_add(def->entries, entry);
    }
    return g_steal_pointer(&def);
}

nwfFilter *
nwfFilterParse(const char *xml, gsize len, const char *path,
               GPtrArray *warnings, GError **error)
{
    nwfParseCtx ctx = { path, warnings };
    xmlDocPtr doc;
    xmlNodePtr root;
    nwfFilter *def = NULL;

    /* all @len bytes, as libxml2 reads the file for libvirt */
    if (!(doc = vfXmlRead(xml, len, path, VF_ERROR, VF_ERROR_PARSE, error)))
        return NULL;
    if (!(root = xmlDocGetRootElement(doc)))
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE, "%s: empty document", path);
    else
        def = parseFilter(&ctx, root, error);
    xmlFreeDoc(doc);
    return def;
}

nwfFilter *
nwfFilterParseString(const char *xml, const char *path, GError **error)
{
    return nwfFilterParse(xml, strlen(xml), path, NULL, error);
}

nwfFilter *
nwfFilterParseFile(const char *path, GPtrArray *warnings, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;

    if (!vfInputFileRead(path, VF_INPUT_FILE_MAX, &text, &len, error))
        return NULL;
    return nwfFilterParse(text, len, path, warnings, error);
}
