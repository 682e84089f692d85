/*
 * json.c: printing a JSON value that is valid whatever bytes it carries
 *
 * Strings come from requests (serve echoes what it was sent), from files
 * and from the tools' messages, none of them promised to be UTF-8, and
 * JSON-GLib 1.6 copies invalid bytes and U+001F into its output as they
 * are (invalid JSON). Every invalid byte becomes U+FFFD, as
 * g_utf8_make_valid() does (docs/virt-firewall.1 says so), and U+001F is
 * escaped.
 */
#include "cli.h"

#include <string.h>

static void sanitizeNode(JsonNode *node);

static void
sanitizeArray(JsonArray *array, guint index, JsonNode *node, gpointer data)
{
    sanitizeNode(node);
}

/* An object with a member name that is not UTF-8 is rebuilt in the same
 * order: JsonObject cannot rename a member in place. */
static void
sanitizeObject(JsonNode *node)
{
    JsonObject *object = json_node_get_object(node);
    g_autoptr(GList) names = json_object_get_members(object);
    gboolean rename = FALSE;

    for (GList *l = names; l; l = l->next) {
        sanitizeNode(json_object_get_member(object, l->data));
        rename |= !g_utf8_validate(l->data, -1, NULL);
    }
    if (rename) {
        g_autoptr(JsonObject) fixed = json_object_new();
        for (GList *l = names; l; l = l->next)
            json_object_set_member(fixed, g_utf8_make_valid(l->data, -1),
                                   json_node_copy(json_object_get_member(object, l->data)));
        json_node_set_object(node, fixed);
    }
}

static void
sanitizeNode(JsonNode *node)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT:
        sanitizeObject(node);
        break;
    case JSON_NODE_ARRAY:
        json_array_foreach_element(json_node_get_array(node), sanitizeArray, NULL);
        break;
    case JSON_NODE_VALUE:
        if (json_node_get_value_type(node) == G_TYPE_STRING &&
            !g_utf8_validate(json_node_get_string(node), -1, NULL)) {
            g_autofree char *valid = g_utf8_make_valid(json_node_get_string(node), -1);
            json_node_set_string(node, valid);
        }
        break;
    case JSON_NODE_NULL:
        break;
    }
}

gboolean
vfPrintJson(FILE *out, JsonBuilder *built, gboolean pretty)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(built);
    g_autofree char *text = NULL;
    g_autoptr(GString) escaped = NULL;

    sanitizeNode(root);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, pretty);
    text = json_generator_to_data(gen, NULL);
    /* the generator escapes every control character but U+001F; a raw one
     * can only be inside a string, where \u001f means it */
    escaped = g_string_sized_new(strlen(text) + 1);
    for (const char *p = text; *p; p++) {
        if (*p == '\x1f')
            g_string_append(escaped, "\\u001f");
        else
            g_string_append_c(escaped, *p);
    }
    if (fputs(escaped->str, out) < 0 || fputc('\n', out) < 0 || fflush(out) != 0)
        return FALSE;
    return TRUE;
}
