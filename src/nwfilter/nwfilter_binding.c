/*
 * nwfilter_binding.c: parse filter bindings as libvirt 9.0 does
 * (virNWFilterBindingDefParseXML, virNWFilterBindingObjParse) and load the
 * binding directory as its start-up does (LoadAllConfigs): a file that
 * cannot be loaded is skipped, and only its interface fails.
 */
#include "nwfilter_binding.h"
#include "nwfilter_parse.h"
#include "nwfilter_value.h"
#include "nwfilter_vars.h"
#include "firewall/error.h"
#include "util/inputfile.h"
#include "util/xmlread.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

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

static gboolean
isElement(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr
child(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr c = node->children; c; c = c->next)
        if (isElement(c, name))
            return c;
    return NULL;
}

/* libvirt's virXPathString("string(./CHILD/@ATTR)"): the attribute of the
 * first CHILD element that has it; NULL when none has it or it is empty.
 * *@at: the element (for messages), or the first CHILD, or NULL. */
static char *
childAttr(xmlNodePtr node, const char *name, const char *attr, xmlNodePtr *at)
{
    *at = NULL;
    for (xmlNodePtr c = node->children; c; c = c->next) {
        g_autofree char *v = NULL;

        if (!isElement(c, name))
            continue;
        if (!*at)
            *at = c;
        if ((v = nwfProp(c, attr))) {
            *at = c;
            return *v ? g_steal_pointer(&v) : NULL;
        }
    }
    return NULL;
}

/* string(./owner/NAME): the text of the first NAME in any <owner>; NULL
 * when empty */
static char *
ownerText(xmlNodePtr root, const char *name, xmlNodePtr *at)
{
    *at = NULL;
    for (xmlNodePtr o = root->children; o; o = o->next) {
        xmlNodePtr n;
        xmlChar *c;
        char *r;

        if (!isElement(o, "owner"))
            continue;
        if (!*at)
            *at = o;
        if (!(n = child(o, name)))
            continue;
        *at = n;
        c = xmlNodeGetContent(n);
        r = c && *c ? g_strdup((const char *)c) : NULL;
        xmlFree(c);
        return r;
    }
    return NULL;
}

/* What the kernel takes as an interface name (dev_valid_name): libvirt
 * finds no such device and skips the binding without a word; here it is
 * an error of that binding. */
static gboolean
ifnameValid(const char *name, const char **why)
{
    if (strlen(name) > 15)
        *why = "longer than 15 characters";
    else if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        *why = "'.' and '..' are not interface names";
    else if (strpbrk(name, "/: \t\n\v\f\r"))
        *why = "'/', ':' and blanks cannot be in an interface name";
    else
        return TRUE;
    return FALSE;
}

static nwfBinding *
parseBinding(const nwfParseCtx *ctx, xmlNodePtr root, GError **error)
{
    g_autoptr(nwfBinding) b = g_new0(nwfBinding, 1);
    g_autofree char *mac = NULL;
    g_autofree char *uuid = NULL;
    xmlNodePtr at, fref;
    const char *why, *rest;
    uint8_t m[6];

    b->path = g_strdup(ctx->path);
    if (!(b->portdev = childAttr(root, "portdev", "name", &at))) {
        nwfParseError(error, ctx, at ? at : root, "missing portdev name");
        return NULL;
    }
    if (!ifnameValid(b->portdev, &why)) {
        nwfParseError(error, ctx, at, "interface name '%s' is impossible: %s "
                      "(libvirt skips it: no such device)", b->portdev, why);
        return NULL;
    }
    if (child(root, "linkdev") && !(b->linkdev = childAttr(root, "linkdev", "name", &at))) {
        nwfParseError(error, ctx, at, "filter binding has no link dev name");
        return NULL;
    }
    if (!(b->ownerName = ownerText(root, "name", &at))) {
        nwfParseError(error, ctx, at ? at : root, "missing owner name");
        return NULL;
    }
    g_strstrip(b->ownerName);
    if (!(uuid = ownerText(root, "uuid", &at))) {
        nwfParseError(error, ctx, at ? at : root, "missing owner uuid");
        return NULL;
    }
    if (!(b->ownerUUID = nwfParseUUID(uuid))) {
        nwfParseError(error, ctx, at, "unable to parse UUID '%s'", uuid);
        return NULL;
    }
    mac = childAttr(root, "mac", "address", &at);
    if (!mac || !nwfParseMac(mac, m, &rest)) {
        nwfParseError(error, ctx, at ? at : root, "missing or invalid mac address '%s'",
                      mac ? mac : "");
        return NULL;
    }
    if (*rest)
        nwfParseWarn(ctx, at, "address='%s': '%s' after the address is ignored",
                     mac, rest);
    b->mac = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x",
                             m[0], m[1], m[2], m[3], m[4], m[5]);
    if (!(b->filter = childAttr(root, "filterref", "filter", &at))) {
        nwfParseError(error, ctx, at ? at : root, "missing filterref filter");
        return NULL;
    }
    b->params = nwfVarsNew();
    /* virNWFilterParseParamAttributes of the first <filterref>: invalid
     * parameters are skipped */
    fref = child(root, "filterref");
    for (xmlNodePtr p = fref ? fref->children : NULL; p; p = p->next) {
        g_autofree char *name = NULL;
        g_autofree char *value = NULL;

        if (!isElement(p, "parameter"))
            continue;
        name = nwfProp(p, "name");
        value = nwfProp(p, "value");
        if (!name || !value || !nwfVarNameIsValid(name) ||
            !nwfVarValueIsValid(value)) {
            nwfParseWarn(ctx, p, "parameter ignored: invalid name='%s' value='%s'",
                         name ? name : "", value ? value : "");
            continue;
        }
        nwfVarsAdd(b->params, name, value);
    }
    return g_steal_pointer(&b);
}

nwfBinding *
nwfBindingParse(const char *xml, gsize len, const char *path, gboolean status,
                GPtrArray *warnings, GError **error)
{
    nwfParseCtx ctx = { path, warnings };
    nwfBinding *b = NULL;
    xmlDocPtr doc;
    xmlNodePtr root;

    if (!(doc = vfXmlRead(xml, len, path, VF_ERROR, VF_ERROR_PARSE, error)))
        return NULL;
    root = xmlDocGetRootElement(doc);
    if (root && isElement(root, "filterbindingstatus")) {
        xmlNodePtr inner = child(root, "filterbinding");
        if (!inner)
            nwfParseError(error, &ctx, root, "filter binding status missing content");
        else
            b = parseBinding(&ctx, inner, error);
    } else if (root && !status && isElement(root, "filterbinding")) {
        b = parseBinding(&ctx, root, error);
    } else if (status) {
        nwfParseError(error, &ctx, root, "expected <filterbindingstatus> (libvirt's "
                      "status file)");
    } else {
        nwfParseError(error, &ctx, root, "expected <filterbinding> or "
                      "<filterbindingstatus>");
    }
    xmlFreeDoc(doc);
    return b;
}

nwfBinding *
nwfBindingParseString(const char *xml, const char *path, GError **error)
{
    return nwfBindingParse(xml, strlen(xml), path, FALSE, NULL, error);
}

nwfBinding *
nwfBindingParseFile(const char *path, gboolean status, GPtrArray *warnings,
                    GError **error)
{
    g_autofree char *t = NULL;
    gsize len = 0;

    if (!vfInputFileRead(path, VF_INPUT_FILE_MAX, &t, &len, error))
        return NULL;
    return nwfBindingParse(t, len, path, status, warnings, error);
}

static gint
cmpStr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *
nwfBindingLoadDir(const char *dir, GPtrArray *failures, GPtrArray *warnings,
                  GError **error)
{
    g_autoptr(GError) openErr = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &openErr);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) res = g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);
    const char *n;

    if (!d) {
        g_propagate_prefixed_error(error, g_steal_pointer(&openErr),
                                   "cannot read binding directory %s: ", dir);
        return NULL;
    }
    while ((n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, ".xml"))
            g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, cmpStr);
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autofree char *p = g_build_filename(dir, name, NULL);
        g_autoptr(GError) err = NULL;
        nwfBinding *b = nwfBindingParseFile(p, TRUE, warnings, &err);

        if (b) {
            g_ptr_array_add(res, b);
        } else if (failures) {
            /* "Failed to load config for binding 'NAME'": libvirt names
             * it by the file, where it writes <portdev>.xml */
            g_autofree char *stem = g_strndup(name, strlen(name) - 4);
            g_autofree char *unit = g_strdup_printf("interface/%s", stem);
            g_ptr_array_add(failures, vfFailureNew(unit, err->message));
        }
    }
    return g_steal_pointer(&res);
}
