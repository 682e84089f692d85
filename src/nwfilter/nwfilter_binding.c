/*
 * nwfilter_binding.c: parse filter bindings.
 */
#include "nwfilter_binding.h"
#include "nwfilter_vars.h"
#include "firewall/error.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

bool nwfParseMac(const char *s, uint8_t mac[6]);

void
nwfBindingFree(nwfBinding *b)
{
    if (!b)
        return;
    g_free(b->ownerName);
    g_free(b->ownerUUID);
    g_free(b->portdev);
    g_free(b->linkdev);
    g_free(b->mac);
    g_free(b->filter);
    g_free(b->path);
    if (b->params)
        g_hash_table_unref(b->params);
    g_free(b);
}

static xmlNodePtr
child(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

static char *
prop(xmlNodePtr node, const char *name)
{
    xmlChar *v = node ? xmlGetProp(node, BAD_CAST name) : NULL;
    char *r = v ? g_strdup((const char *)v) : NULL;
    xmlFree(v);
    return r;
}

static char *
text(xmlNodePtr node)
{
    xmlChar *c;
    char *r;
    if (!node)
        return NULL;
    c = xmlNodeGetContent(node);
    r = g_strstrip(g_strdup((const char *)c));
    xmlFree(c);
    return r;
}

static void G_GNUC_PRINTF(4, 5)
bindError(GError **error, const char *path, xmlNodePtr node,
          const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, VF_ERROR, VF_ERROR_PARSE, "%s:%ld: <%s>: %s", path,
                node ? xmlGetLineNo(node) : 0L,
                node ? (const char *)node->name : "?", msg);
}

static void
quietErrors(void *ctx, const char *msg, ...)
{
}

nwfBinding *
nwfBindingParseString(const char *xml, const char *path, GError **error)
{
    g_autoptr(nwfBinding) b = NULL;
    xmlDocPtr doc;
    xmlNodePtr root, n, fref;
    g_autofree char *mac = NULL;
    uint8_t m[6];

    xmlSetGenericErrorFunc(NULL, quietErrors);
    xmlResetLastError();
    doc = xmlReadMemory(xml, strlen(xml), path, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        g_autofree char *msg = g_strdup(e && e->message ? e->message : "parse error");
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE, "%s:%d: bad XML: %s",
                    path, e ? e->line : 0, g_strchomp(msg));
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    if (root && strcmp((const char *)root->name, "filterbindingstatus") == 0)
        root = child(root, "filterbinding");
    if (!root || strcmp((const char *)root->name, "filterbinding") != 0) {
        bindError(error, path, root, "expected <filterbinding> or "
                  "<filterbindingstatus>");
        goto error;
    }
    b = g_new0(nwfBinding, 1);
    b->path = g_strdup(path);
    n = child(root, "owner");
    b->ownerName = text(n ? child(n, "name") : NULL);
    b->ownerUUID = text(n ? child(n, "uuid") : NULL);
    if (!b->ownerName || !b->ownerUUID) {
        bindError(error, path, n ? n : root, "missing owner name or uuid");
        goto error;
    }
    n = child(root, "portdev");
    if (!(b->portdev = prop(n, "name")) || !b->portdev[0]) {
        bindError(error, path, n ? n : root, "missing portdev name");
        goto error;
    }
    if (strlen(b->portdev) > 15) {
        bindError(error, path, n, "interface name '%s' too long", b->portdev);
        goto error;
    }
    b->linkdev = prop(child(root, "linkdev"), "name");
    n = child(root, "mac");
    mac = prop(n, "address");
    if (!mac || !nwfParseMac(mac, m)) {
        bindError(error, path, n ? n : root, "missing or invalid mac address '%s'",
                  mac ? mac : "");
        goto error;
    }
    b->mac = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x",
                             m[0], m[1], m[2], m[3], m[4], m[5]);
    fref = child(root, "filterref");
    if (!(b->filter = prop(fref, "filter"))) {
        bindError(error, path, fref ? fref : root, "missing filterref filter");
        goto error;
    }
    b->params = nwfVarsNew();
    for (xmlNodePtr p = fref->children; p; p = p->next) {
        g_autofree char *name = NULL;
        g_autofree char *value = NULL;

        if (p->type != XML_ELEMENT_NODE ||
            strcmp((const char *)p->name, "parameter") != 0)
            continue;
        name = prop(p, "name");
        value = prop(p, "value");
        /* like libvirt, skip invalid parameters */
        if (!name || !value || !nwfVarNameIsValid(name) ||
            !nwfVarValueIsValid(value))
            continue;
        nwfVarsAdd(b->params, name, value);
    }
    xmlFreeDoc(doc);
    return g_steal_pointer(&b);

 error:
    xmlFreeDoc(doc);
    return NULL;
}

nwfBinding *
nwfBindingParseFile(const char *path, GError **error)
{
    g_autofree char *t = NULL;

    if (!g_file_get_contents(path, &t, NULL, error))
        return NULL;
    return nwfBindingParseString(t, path, error);
}

static gint
cmpStr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *
nwfBindingLoadDir(const char *dir, GError **error)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, error);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) res = g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);
    const char *n;

    if (!d)
        return NULL;
    while ((n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, ".xml"))
            g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, cmpStr);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *p = g_build_filename(dir, names->pdata[i], NULL);
        nwfBinding *b = nwfBindingParseFile(p, error);
        if (!b)
            return NULL;
        g_ptr_array_add(res, b);
    }
    return g_steal_pointer(&res);
}
