/*
 * statefile.c: the state file, and files replaced whole
 *
 * What each unit's rules were meant to be and were (hashes), the inputs'
 * digest and the nf_tables generation, as JSON; written beside its path
 * and renamed over it (vfStagedFile).
 */
#include "state.h"
#include "firewall/error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_VERSION 1
/* what a state file may nest (ours: root, units, unit) */
#define STATE_MAX_DEPTH 3

static gint
strPtrCompare(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/*
 * Writes @data to a temporary file beside @path and renames it over @path:
 * a reader, or the next run after this one was killed, sees the old file
 * or the new one, never a torn one.
 *
 * Without fsync(), unlike g_file_set_contents(). Whatever its flags, glib
 * (2.74, checked with strace) fsyncs the temporary file and then the
 * directory when it renames over an existing file: CONSISTENT alone
 * always, CONSISTENT | ONLY_EXISTING (g_file_set_contents) unless the file
 * is new or empty; NONE and DURABLE write in place, not atomically. Two
 * fsyncs per file, four per VM start, for nothing: the state file and the
 * kernel cache describe the rules of a network namespace, and only a crash
 * of the machine can lose what the page cache holds, which takes the rules
 * with it. Then any version of the files, the last one as much as an
 * older one, describes rules that are gone; what keeps the next run from
 * trusting it is the namespace id and the nf_tables generation id, not the
 * file's age. A file the crash left torn is refused: the cache checks its
 * layout, and a state file that does not parse is ignored by reconnect and
 * apply (verify reports the error).
 */
struct _vfStagedFile {
    char *path;
    char *tmp;    /* NULL once renamed */
};

vfStagedFile *
vfStagedFileNew(const char *path, const char *data, gsize len, GError **error)
{
    g_autofree char *tmp = g_strdup_printf("%s.XXXXXX", path);
    vfStagedFile *f;
    int fd, saved;

    /* the kernel cache is the whole ruleset, the state file says which
     * interfaces exist: neither is anybody else's business (mode 0600,
     * as libvirt keeps /run/libvirt/nwfilter-binding) */
    if ((fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600)) < 0) {
        saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot create %s: %s", tmp, g_strerror(saved));
        return NULL;
    }
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            saved = errno;
            close(fd);
            g_unlink(tmp);
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                        "cannot write %s: %s", tmp, g_strerror(saved));
            return NULL;
        }
        data += n;
        len -= n;
    }
    if (close(fd) < 0) {
        saved = errno;
        g_unlink(tmp);
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot write %s: %s", tmp, g_strerror(saved));
        return NULL;
    }
    f = g_new0(vfStagedFile, 1);
    f->path = g_strdup(path);
    f->tmp = g_steal_pointer(&tmp);
    return f;
}

gboolean
vfStagedFileCommit(vfStagedFile *f, GError **error)
{
    int saved;

    if (rename(f->tmp, f->path) < 0) {
        saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot write %s: %s", f->path, g_strerror(saved));
        return FALSE;
    }
    g_clear_pointer(&f->tmp, g_free);
    return TRUE;
}

void
vfStagedFileFree(vfStagedFile *f)
{
    if (!f)
        return;
    if (f->tmp)
        g_unlink(f->tmp);
    g_free(f->tmp);
    g_free(f->path);
    g_free(f);
}

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
vfStateFileNew(const char *path, const char *netnsId)
{
    vfStateFile *st = g_new0(vfStateFile, 1);

    st->path = g_strdup(path);
    st->netns = g_strdup(netnsId);
    st->units = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)g_strfreev);
    return st;
}

/*
 * json-glib 1.6 parses nested values by recursion, one stack frame per
 * level: 100 000 '[' overflow the stack (SIGSEGV). Our file nests 3
 * levels; so the text is checked first: strict JSON outside its strings
 * (json-glib would also take comments and single quotes, which could hide
 * brackets from this count) and at most @max levels deep. FALSE: @why and
 * @offset tell what and where.
 */
static gboolean
jsonShallow(const char *text, gsize len, guint max, const char **why, gsize *offset)
{
    gboolean inString = FALSE;
    gboolean begun = FALSE;
    guint depth = 0;

    for (gsize i = 0; i < len; i++) {
        char c = text[i];

        *offset = i;
        /* one object and nothing around it: json-glib 1.6 leaks the
         * nodes it built when text follows a complete value ("0{}") */
        if (!inString && depth == 0 && !strchr(" \t\r\n", c)) {
            if (c != '{' || begun) {
                *why = "not one JSON object";
                return FALSE;
            }
            begun = TRUE;
        }
        if (inString) {
            if (c == '\\')
                i++;
            else if (c == '"')
                inString = FALSE;
        } else if (c == '"') {
            inString = TRUE;
        } else if (c == '[' || c == '{') {
            if (++depth > max) {
                *why = "nested deeper than a state file (" G_STRINGIFY(STATE_MAX_DEPTH)
                       " levels)";
                return FALSE;
            }
        } else if (c == ']' || c == '}') {
            if (depth > 0)
                depth--;
        } else if (!strchr(" \t\r\n:,0123456789+-.eEtruefalsn", c) || c == '\0') {
            *why = "not JSON";
            return FALSE;
        }
    }
    return TRUE;
}

/* Members of the types we wrote, else nothing: json-glib's own getters
 * complain (g_critical) about a member of another type, which a file not
 * written by us may well have. */
static const char *
memberString(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
           ? json_node_get_string(n) : NULL;
}

static gint64
memberInt(JsonObject *o, const char *name, gint64 dflt)
{
    JsonNode *n = json_object_get_member(o, name);

    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64
           ? json_node_get_int(n) : dflt;
}

static JsonObject *
memberObject(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

vfStateFile *
vfStateFileLoad(const char *path, const char *netnsId, GError **error)
{
    g_autoptr(GError) readErr = NULL;
    g_autofree char *text = NULL;
    gsize len;

    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return vfStateFileNew(path, netnsId);
    if (!g_file_get_contents(path, &text, &len, &readErr)) {
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE, "state file %s: %s",
                    path, readErr->message);
        return NULL;
    }
    return vfStateFileParse(path, netnsId, text, len, error);
}

vfStateFile *
vfStateFileParse(const char *path, const char *netnsId, const char *text,
                 gsize len, GError **error)
{
    g_autoptr(vfStateFile) st = vfStateFileNew(path, netnsId);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) readErr = NULL;
    JsonObject *root, *units;
    JsonNode *node;
    const char *why = NULL;
    gsize offset = 0;

    if (!jsonShallow(text, len, STATE_MAX_DEPTH, &why, &offset)) {
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE, "state file %s: %s at byte %"
                    G_GSIZE_FORMAT, path, why, offset);
        return NULL;
    }
    if (!json_parser_load_from_data(parser, text, len, &readErr)) {
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
    if (memberInt(root, "version", 0) != STATE_VERSION ||
        g_strcmp0(memberString(root, "netns"), netnsId) != 0 ||
        g_strcmp0(memberString(root, "tool"), "virt-firewall " VF_VERSION) != 0)
        return g_steal_pointer(&st);
    if (json_object_has_member(root, "generation")) {
        gint64 g = memberInt(root, "generation", -1);
        if (g >= 0 && g <= G_MAXUINT32) {
            st->generationKnown = TRUE;
            st->generation = g;
        }
    }
    st->inputs = g_strdup(memberString(root, "inputs"));
    if (!(units = memberObject(root, "units")))
        return g_steal_pointer(&st);
    {
        g_autoptr(GList) names = json_object_get_members(units);
        for (GList *l = names; l; l = l->next) {
            JsonObject *u = memberObject(units, l->data);
            const char *d, *k;
            if (!u)
                continue;
            d = memberString(u, "desired");
            k = memberString(u, "kernel");
            if (d && k)
                vfStateFileSet(st, l->data, d, k);
        }
    }
    return g_steal_pointer(&st);
}

vfStateFile *
vfStateFileCopy(vfStateFile *st)
{
    vfStateFile *copy = g_new0(vfStateFile, 1);
    GHashTableIter it;
    gpointer name, v;

    copy->path = g_strdup(st->path);
    copy->netns = g_strdup(st->netns);
    copy->inputs = g_strdup(st->inputs);
    copy->generationKnown = st->generationKnown;
    copy->generation = st->generation;
    copy->units = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)g_strfreev);
    g_hash_table_iter_init(&it, st->units);
    while (g_hash_table_iter_next(&it, &name, &v))
        g_hash_table_insert(copy->units, g_strdup(name), g_strdupv(v));
    return copy;
}

gboolean
vfStateFileSave(vfStateFile *st, GError **error)
{
    g_autoptr(vfStagedFile) f = vfStateFileStage(st, error);

    return f && vfStagedFileCommit(f, error);
}

vfStagedFile *
vfStateFileStage(vfStateFile *st, GError **error)
{
    vfStagedFile *f;

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
        return NULL;
    }
    if (!(f = vfStagedFileNew(st->path, text, strlen(text), error))) {
        g_prefix_error(error, "cannot write state file: ");
        return NULL;
    }
    return f;
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
