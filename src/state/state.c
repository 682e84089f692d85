/*
 * state.c: kernel hashes and the state file
 */
#include "state.h"
#include "firewall/error.h"
#include "firewall/nftgen.h"
#include "firewall/restore/snapshot.h"
#include "firewall/restore/syntax.h"

#include <json-glib/json-glib.h>
#include <sys/stat.h>

#define STATE_VERSION 1

vfKernelState *
vfKernelStateRead(vfRunner *runner, GError **error)
{
    g_autoptr(vfKernelState) ks = g_new0(vfKernelState, 1);

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (!(ks->save[l] = vfSnapshotReadText(runner, l, error)))
            return NULL;
    }
    return g_steal_pointer(&ks);
}

vfKernelState *
vfKernelStateReread(vfRunner *runner, const vfKernelState *before,
                    guint layers, GError **error)
{
    g_autoptr(vfKernelState) ks = g_new0(vfKernelState, 1);

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        if (!(layers & (1u << l)))
            ks->save[l] = g_strdup(before->save[l]);
        else if (!(ks->save[l] = vfSnapshotReadText(runner, l, error)))
            return NULL;
    }
    return g_steal_pointer(&ks);
}

void
vfKernelStateFree(vfKernelState *ks)
{
    if (!ks)
        return;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        g_free(ks->save[l]);
    if (ks->index)
        g_hash_table_unref(ks->index);
    if (ks->ifnames)
        g_hash_table_unref(ks->ifnames);
    g_free(ks);
}

void
vfKernelStateIndex(vfKernelState *ks, const char *const *ifnames)
{
    g_clear_pointer(&ks->index, g_hash_table_unref);
    g_clear_pointer(&ks->ifnames, g_hash_table_unref);
    ks->ifnames = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (gsize i = 0; ifnames && ifnames[i]; i++)
        g_hash_table_add(ks->ifnames, g_strdup(ifnames[i]));
}

/* The interface whose name @rest starts with, followed by '-' (longest). */
static const char *
ifnamePrefix(GHashTable *ifnames, const char *rest)
{
    const char *found = NULL;

    for (const char *p = strchr(rest, '-'); p; p = strchr(p + 1, '-')) {
        g_autofree char *cand = g_strndup(rest, p - rest);
        gpointer key;
        if (g_hash_table_lookup_extended(ifnames, cand, &key, NULL))
            found = key;
    }
    return found;
}

static const char *
exactIfname(GHashTable *ifnames, const char *name)
{
    gpointer key;
    return g_hash_table_lookup_extended(ifnames, name, &key, NULL) ? key : NULL;
}

/* The interface owning a chain: libvirt-[IOJP]-IF, [IOJP]-IF-*,
 * F[IOJP]-IF, H[IJ]-IF; or "networks" for LIBVIRT_*. */
static const char *
chainOwner(GHashTable *ifnames, const char *chain)
{
    if (g_str_has_prefix(chain, "LIBVIRT_"))
        return "networks";
    if (g_str_has_prefix(chain, "libvirt-") && chain[8] && strchr("IOJP", chain[8]) &&
        chain[9] == '-')
        return exactIfname(ifnames, chain + 10);
    if (chain[0] == 'F' && chain[1] && strchr("IOJP", chain[1]) && chain[2] == '-')
        return exactIfname(ifnames, chain + 3);
    if (chain[0] == 'H' && chain[1] && strchr("IJ", chain[1]) && chain[2] == '-')
        return exactIfname(ifnames, chain + 3);
    if (chain[0] && strchr("IOJP", chain[0]) && chain[1] == '-')
        return ifnamePrefix(ifnames, chain + 2);
    return NULL;
}

/* A hook (a rule of a shared chain) belongs to the interface it names, or
 * to the networks when it jumps to their chains. */
static const char *
ruleOwner(GHashTable *ifnames, const char *const *w)
{
    for (gsize i = 0; w[i] && w[i + 1]; i++) {
        if ((g_str_equal(w[i], "-i") || g_str_equal(w[i], "-o") ||
             g_str_equal(w[i], "--physdev-in") || g_str_equal(w[i], "--physdev-out"))) {
            const char *owner = exactIfname(ifnames, w[i + 1]);
            if (owner)
                return owner;
        }
        if ((g_str_equal(w[i], "-j") || g_str_equal(w[i], "-g")) &&
            g_str_has_prefix(w[i + 1], "LIBVIRT_"))
            return "networks";
    }
    return NULL;
}

typedef struct {
    GString *own;
    GPtrArray *roots;   /* of char*, sorted at the end of each table */
} vfUnitLines;

static void
unitLinesFree(vfUnitLines *u)
{
    g_string_free(u->own, TRUE);
    g_ptr_array_unref(u->roots);
    g_free(u);
}

static vfUnitLines *
unitLines(GHashTable *index, const char *owner)
{
    vfUnitLines *u = g_hash_table_lookup(index, owner);

    if (!u) {
        u = g_new0(vfUnitLines, 1);
        u->own = g_string_new(NULL);
        u->roots = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(index, g_strdup(owner), u);
    }
    return u;
}

static gint
strPtrCompare(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* End of a table: the order of hooks depends on the order interfaces were
 * instantiated (libvirt itself reorders them at restart), so sort them. */
static void
flushRoots(GHashTable *index)
{
    GHashTableIter it;
    vfUnitLines *u;

    g_hash_table_iter_init(&it, index);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&u)) {
        g_ptr_array_sort(u->roots, strPtrCompare);
        for (guint k = 0; k < u->roots->len; k++)
            g_string_append_printf(u->own, "%s\n", (char *)g_ptr_array_index(u->roots, k));
        g_ptr_array_set_size(u->roots, 0);
    }
}

static void
buildIndex(vfKernelState *ks)
{
    if (!ks->ifnames)
        vfKernelStateIndex(ks, NULL);
    ks->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)unitLinesFree);

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        g_auto(GStrv) lines = g_strsplit(ks->save[l] ? ks->save[l] : "", "\n", -1);
        const char *table = "";

        for (gsize i = 0; lines[i]; i++) {
            const char *line = lines[i];
            g_auto(GStrv) w = NULL;
            const char *owner;

            if (*line == '*') {
                flushRoots(ks->index);
                table = line + 1;
                continue;
            }
            if (*line == ':') {
                /* policies and counters of declarations are not ours */
                w = vfSyntaxSplit(line + 1);
                if (w[0] && (owner = chainOwner(ks->ifnames, w[0])))
                    g_string_append_printf(unitLines(ks->index, owner)->own,
                                           "%d %s :%s\n", l, table, w[0]);
                continue;
            }
            if (!g_str_has_prefix(line, "-A "))
                continue;
            /* *-save never quotes a chain name: most lines belong to a
             * unit's own chain and need no tokenizing */
            {
                const char *sp = strchr(line + 3, ' ');
                g_autofree char *chain = sp ? g_strndup(line + 3, sp - line - 3)
                                            : g_strdup(line + 3);
                if ((owner = chainOwner(ks->ifnames, chain))) {
                    g_string_append_printf(unitLines(ks->index, owner)->own,
                                           "%d %s %s\n", l, table, line);
                    continue;
                }
            }
            w = vfSyntaxSplit(line + 3);
            if (!w[0])
                continue;
            if ((owner = chainOwner(ks->ifnames, w[0])))
                g_string_append_printf(unitLines(ks->index, owner)->own,
                                       "%d %s %s\n", l, table, line);
            else if ((owner = ruleOwner(ks->ifnames, (const char *const *)w + 1)))
                g_ptr_array_add(unitLines(ks->index, owner)->roots,
                                g_strdup_printf("%d %s %s", l, table, line));
        }
        flushRoots(ks->index);
    }
}

static const char *
linesOf(vfKernelState *ks, const char *owner)
{
    vfUnitLines *u;

    if (!ks->index)
        buildIndex(ks);
    u = g_hash_table_lookup(ks->index, owner);
    return u ? u->own->str : "";
}

static char *
sha256(const char *text)
{
    return g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
}

char *
vfKernelLinesInterface(vfKernelState *ks, const char *ifname)
{
    return g_strdup(linesOf(ks, ifname));
}

char *
vfKernelHashInterface(vfKernelState *ks, const char *ifname)
{
    return sha256(linesOf(ks, ifname));
}

char *
vfKernelHashNetworks(vfKernelState *ks)
{
    return sha256(linesOf(ks, "networks"));
}

char *
vfDesiredHash(GPtrArray *programs)
{
    g_autoptr(GString) text = g_string_new("virt-firewall " VF_VERSION "\n");

    for (guint i = 0; i < programs->len; i++) {
        g_autofree char *t = virFirewallToText(g_ptr_array_index(programs, i));
        g_string_append(text, t);
    }
    return sha256(text->str);
}

char *
vfNetnsId(int netnsFd)
{
    struct stat st;

    guint64 cookie;

    if (netnsFd >= 0 ? fstat(netnsFd, &st) < 0 : stat("/proc/self/ns/net", &st) < 0)
        return g_strdup("net:unknown");
    /* an inode number is reused once its namespace is gone */
    if (vfNetnsCookie(netnsFd, &cookie, NULL))
        return g_strdup_printf("net:[%lu]:%" G_GUINT64_FORMAT, (unsigned long)st.st_ino,
                               cookie);
    return g_strdup_printf("net:[%lu]", (unsigned long)st.st_ino);
}

/* ---- the file ---- */

struct _vfStateFile {
    char *path;
    char *netns;
    GHashTable *units;   /* name -> GStrv { desired, kernel } */
    gboolean generationKnown;
    guint32 generation;
    char *inputs;
};

void
vfStateFileFree(vfStateFile *st)
{
    if (!st)
        return;
    g_free(st->path);
    g_free(st->netns);
    g_free(st->inputs);
    g_hash_table_unref(st->units);
    g_free(st);
}

vfStateFile *
vfStateFileLoad(const char *path, const char *netnsId, GError **error)
{
    g_autoptr(vfStateFile) st = g_new0(vfStateFile, 1);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) readErr = NULL;
    JsonObject *root, *units;
    JsonNode *node;

    st->path = g_strdup(path);
    st->netns = g_strdup(netnsId);
    st->units = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)g_strfreev);
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return g_steal_pointer(&st);
    if (!json_parser_load_from_file(parser, path, &readErr)) {
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE, "state file %s: %s",
                    path, readErr->message);
        return NULL;
    }
    node = json_parser_get_root(parser);
    if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                    "state file %s: not a JSON object", path);
        return NULL;
    }
    root = json_node_get_object(node);
    /* another namespace or tool version: nothing in it can be trusted */
    if (json_object_get_int_member_with_default(root, "version", 0) != STATE_VERSION ||
        g_strcmp0(json_object_get_string_member_with_default(root, "netns", ""), netnsId) != 0 ||
        g_strcmp0(json_object_get_string_member_with_default(root, "tool", ""),
                  "virt-firewall " VF_VERSION) != 0)
        return g_steal_pointer(&st);
    if (json_object_has_member(root, "generation")) {
        gint64 g = json_object_get_int_member(root, "generation");
        if (g >= 0 && g <= G_MAXUINT32) {
            st->generationKnown = TRUE;
            st->generation = g;
        }
    }
    st->inputs = g_strdup(json_object_get_string_member_with_default(root, "inputs", NULL));
    if (!(units = json_object_get_object_member(root, "units")))
        return g_steal_pointer(&st);
    {
        g_autoptr(GList) names = json_object_get_members(units);
        for (GList *l = names; l; l = l->next) {
            JsonObject *u = json_object_get_object_member(units, l->data);
            const char *d, *k;
            if (!u)
                continue;
            d = json_object_get_string_member_with_default(u, "desired", NULL);
            k = json_object_get_string_member_with_default(u, "kernel", NULL);
            if (d && k)
                vfStateFileSet(st, l->data, d, k);
        }
    }
    return g_steal_pointer(&st);
}

gboolean
vfStateFileSave(vfStateFile *st, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *text = NULL;
    g_autofree char *dir = g_path_get_dirname(st->path);
    g_auto(GStrv) names = vfStateFileUnits(st);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, STATE_VERSION);
    json_builder_set_member_name(b, "tool");
    json_builder_add_string_value(b, "virt-firewall " VF_VERSION);
    json_builder_set_member_name(b, "netns");
    json_builder_add_string_value(b, st->netns);
    if (st->generationKnown) {
        json_builder_set_member_name(b, "generation");
        json_builder_add_int_value(b, st->generation);
    }
    if (st->inputs) {
        json_builder_set_member_name(b, "inputs");
        json_builder_add_string_value(b, st->inputs);
    }
    json_builder_set_member_name(b, "units");
    json_builder_begin_object(b);
    for (gsize i = 0; names[i]; i++) {
        GStrv v = g_hash_table_lookup(st->units, names[i]);
        json_builder_set_member_name(b, names[i]);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "desired");
        json_builder_add_string_value(b, v[0]);
        json_builder_set_member_name(b, "kernel");
        json_builder_add_string_value(b, v[1]);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        g_set_error(error, VF_ERROR, VF_ERROR_FAILED,
                    "cannot create %s: %s", dir, g_strerror(errno));
        return FALSE;
    }
    /* g_file_set_contents writes a temporary file and renames it */
    if (!g_file_set_contents(st->path, text, -1, error)) {
        g_prefix_error(error, "cannot write state file: ");
        return FALSE;
    }
    return TRUE;
}

const char *
vfStateFileGetInputs(vfStateFile *st)
{
    return st->inputs;
}

void
vfStateFileSetInputs(vfStateFile *st, const char *digest)
{
    g_free(st->inputs);
    st->inputs = g_strdup(digest);
}

gboolean
vfStateFileGetGeneration(vfStateFile *st, guint32 *generation)
{
    *generation = st->generation;
    return st->generationKnown;
}

void
vfStateFileSetGeneration(vfStateFile *st, gboolean known, guint32 generation)
{
    st->generationKnown = known;
    st->generation = generation;
}

const char *
vfStateFileGetDesired(vfStateFile *st, const char *unit)
{
    GStrv v = g_hash_table_lookup(st->units, unit);
    return v ? v[0] : NULL;
}

const char *
vfStateFileGetKernel(vfStateFile *st, const char *unit)
{
    GStrv v = g_hash_table_lookup(st->units, unit);
    return v ? v[1] : NULL;
}

void
vfStateFileSet(vfStateFile *st, const char *unit, const char *desired,
               const char *kernel)
{
    char **v = g_new0(char *, 3);

    v[0] = g_strdup(desired);
    v[1] = g_strdup(kernel);
    g_hash_table_insert(st->units, g_strdup(unit), v);
}

void
vfStateFileRemove(vfStateFile *st, const char *unit)
{
    g_hash_table_remove(st->units, unit);
}

GStrv
vfStateFileUnits(vfStateFile *st)
{
    g_autofree gpointer *keys = g_hash_table_get_keys_as_array(st->units, NULL);
    GStrv names = g_strdupv((char **)keys);

    qsort(names, g_strv_length(names), sizeof(char *), strPtrCompare);
    return names;
}
