/*
 * vfconf.c: a parser for libvirt's virConf syntax (network.conf & co)
 *
 * Written from the grammar of libvirt's src/util/virconf.c; see vfconf.h.
 */
#include "vfconf.h"
#include "util/inputfile.h"

#include <string.h>

#include "firewall/error.h"

/* libvirt refuses configuration files above 10 MiB */
#define VF_CONF_MAX_SIZE (10 * 1024 * 1024)

typedef struct {
    char *name;
    int line;
    vfConfValue *value;
} vfConfEntry;

struct _vfConf {
    char *filename;
    GPtrArray *entries;   /* of vfConfEntry*, in file order */
};

typedef struct {
    const char *filename;
    const char *cur;
    const char *end;
    int line;
    GError **error;
} vfConfParser;

static void
vfConfValueFree(vfConfValue *value)
{
    if (!value)
        return;
    g_free(value->str);
    if (value->list)
        g_ptr_array_unref(value->list);
    g_free(value);
}

static void
vfConfEntryFree(vfConfEntry *entry)
{
    g_free(entry->name);
    vfConfValueFree(entry->value);
    g_free(entry);
}

void
vfConfFree(vfConf *conf)
{
    if (!conf)
        return;
    g_free(conf->filename);
    g_ptr_array_unref(conf->entries);
    g_free(conf);
}

static vfConf *
vfConfNew(const char *filename)
{
    vfConf *conf = g_new0(vfConf, 1);

    conf->filename = g_strdup(filename);
    conf->entries = g_ptr_array_new_with_free_func((GDestroyNotify)vfConfEntryFree);
    return conf;
}

const char *
vfConfGetFilename(const vfConf *conf)
{
    return conf->filename;
}

/* ---- the parser ---- */

#define AT_END(p) ((p)->cur >= (p)->end)
#define CUR(p) (AT_END(p) ? '\0' : *(p)->cur)
#define IS_EOL(c) ((c) == '\n' || (c) == '\r')
#define IS_BLANK(c) ((c) == ' ' || (c) == '\t')

static gboolean G_GNUC_PRINTF(2, 3)
parserError(vfConfParser *p, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(p->error, VF_ERROR, VF_ERROR_PARSE, "%s:%d: %s",
                p->filename, p->line, msg);
    return FALSE;
}

static void
advance(vfConfParser *p)
{
    if (AT_END(p))
        return;
    if (*p->cur == '\n')
        p->line++;
    p->cur++;
}

static void
skipBlanks(vfConfParser *p)
{
    while (IS_BLANK(CUR(p)))
        advance(p);
}

static void
skipBlanksAndEol(vfConfParser *p)
{
    while (!AT_END(p) && (IS_BLANK(*p->cur) || IS_EOL(*p->cur)))
        advance(p);
}

static void
skipComment(vfConfParser *p)
{
    while (!AT_END(p) && !IS_EOL(*p->cur))
        advance(p);
}

static char *
parseString(vfConfParser *p)
{
    const char *base;

    if (p->end - p->cur >= 3 && strncmp(p->cur, "\"\"\"", 3) == 0) {
        /* python-style """...""": may span lines */
        int startLine = p->line;

        p->cur += 3;
        base = p->cur;
        while (!AT_END(p) &&
               !(p->end - p->cur >= 3 && strncmp(p->cur, "\"\"\"", 3) == 0))
            advance(p);
        if (AT_END(p)) {
            /* point at the opening quotes, not at the end of the file */
            p->line = startLine;
            parserError(p, "unterminated string");
            return NULL;
        }
        p->cur += 3;
        return g_strndup(base, p->cur - 3 - base);
    } else {
        char quote = *p->cur;

        advance(p);
        base = p->cur;
        while (!AT_END(p) && *p->cur != quote && !IS_EOL(*p->cur))
            advance(p);
        if (CUR(p) != quote) {
            parserError(p, "unterminated string");
            return NULL;
        }
        advance(p);
        return g_strndup(base, p->cur - 1 - base);
    }
}

static gboolean
parseNumber(vfConfParser *p, gint64 *number)
{
    gboolean negative = FALSE;
    guint64 value = 0;

    if (CUR(p) == '-') {
        negative = TRUE;
        advance(p);
    } else if (CUR(p) == '+') {
        advance(p);
    }
    if (!g_ascii_isdigit(CUR(p)))
        return parserError(p, "unterminated number");
    while (g_ascii_isdigit(CUR(p))) {
        guint digit = *p->cur - '0';

        if (value > ((guint64)G_MAXINT64 + 1 - digit) / 10)
            return parserError(p, "number out of range");
        value = value * 10 + digit;
        advance(p);
    }
    if (!negative && value > G_MAXINT64)
        return parserError(p, "number out of range");
    *number = negative ? (gint64)(0 - value) : (gint64)value;
    return TRUE;
}

static vfConfValue *parseValue(vfConfParser *p);

static vfConfValue *
parseList(vfConfParser *p)
{
    g_autoptr(GPtrArray) list =
        g_ptr_array_new_with_free_func((GDestroyNotify)vfConfValueFree);
    vfConfValue *item;
    vfConfValue *value;

    advance(p); /* '[' */
    skipBlanksAndEol(p);
    if (!AT_END(p) && *p->cur != ']') {
        if (!(item = parseValue(p)))
            return NULL;
        g_ptr_array_add(list, item);
        skipBlanksAndEol(p);
    }
    while (!AT_END(p) && *p->cur != ']') {
        if (*p->cur != ',') {
            parserError(p, "expecting a separator in list");
            return NULL;
        }
        advance(p);
        skipBlanksAndEol(p);
        if (CUR(p) == ']')
            break;
        if (!(item = parseValue(p)))
            return NULL;
        g_ptr_array_add(list, item);
        skipBlanksAndEol(p);
    }
    if (CUR(p) != ']') {
        parserError(p, "list is not closed with ]");
        return NULL;
    }
    advance(p);

    value = g_new0(vfConfValue, 1);
    value->type = VF_CONF_LIST;
    value->list = g_steal_pointer(&list);
    return value;
}

static vfConfValue *
parseValue(vfConfParser *p)
{
    vfConfValue *value;
    char c;

    skipBlanks(p);
    c = CUR(p);
    if (c == '"' || c == '\'') {
        char *str = parseString(p);

        if (!str)
            return NULL;
        value = g_new0(vfConfValue, 1);
        value->type = VF_CONF_STRING;
        value->str = str;
        return value;
    }
    if (c == '[')
        return parseList(p);
    if (g_ascii_isdigit(c) || c == '-' || c == '+') {
        gint64 number = 0;

        if (!parseNumber(p, &number))
            return NULL;
        value = g_new0(vfConfValue, 1);
        value->type = VF_CONF_NUMBER;
        value->number = number;
        return value;
    }
    parserError(p, "expecting a value");
    return NULL;
}

static gboolean
parseStatement(vfConfParser *p, vfConf *conf)
{
    const char *base;
    vfConfEntry *entry;
    int line;

    if (!g_ascii_isalpha(CUR(p)))
        return parserError(p, "expecting a name");
    base = p->cur;
    line = p->line;
    while (g_ascii_isalnum(CUR(p)) || CUR(p) == '_')
        advance(p);

    entry = g_new0(vfConfEntry, 1);
    entry->name = g_strndup(base, p->cur - base);
    entry->line = line;
    g_ptr_array_add(conf->entries, entry);

    skipBlanks(p);
    if (CUR(p) != '=')
        return parserError(p, "expecting an assignment");
    advance(p);
    if (!(entry->value = parseValue(p)))
        return FALSE;

    /* a comment may follow the value */
    skipBlanks(p);
    if (CUR(p) == '#')
        skipComment(p);

    /* then the end, a new line or ';' */
    if (AT_END(p) || IS_EOL(*p->cur))
        return TRUE;
    if (*p->cur == ';') {
        advance(p);
        return TRUE;
    }
    return parserError(p, "expecting a separator");
}

gboolean
vfConfParse(const char *filename, const char *text, vfConf **conf,
            GError **error)
{
    g_autoptr(vfConf) ret = vfConfNew(filename);
    vfConfParser p = {
        .filename = filename,
        .cur = text,
        .end = text + strlen(text),
        .line = 1,
        .error = error,
    };

    for (;;) {
        skipBlanksAndEol(&p);
        if (AT_END(&p))
            break;
        if (*p.cur == '#') {
            skipComment(&p);
            continue;
        }
        if (!parseStatement(&p, ret))
            return FALSE;
    }

    *conf = g_steal_pointer(&ret);
    return TRUE;
}

gboolean
vfConfLoad(const char *path, gboolean missing_ok, vfConf **conf,
           GError **error)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;
    gsize len;

    /* a FIFO or a device there must not hang or flood us */
    if (!vfInputFileRead(path, VF_CONF_MAX_SIZE, &text, &len, &local)) {
        if (missing_ok && g_error_matches(local, VF_INPUT_FILE_ERROR,
                                          VF_INPUT_FILE_ERROR_MISSING)) {
            *conf = vfConfNew(path);
            return TRUE;
        }
        if (g_error_matches(local, VF_INPUT_FILE_ERROR, VF_INPUT_FILE_ERROR_TOO_LARGE)) {
            g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                        "%s: configuration file larger than %d bytes",
                        path, VF_CONF_MAX_SIZE);
            return FALSE;
        }
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                    "cannot read configuration file: %s", local->message);
        return FALSE;
    }
    if (strlen(text) != len) {
        g_set_error(error, VF_ERROR, VF_ERROR_PARSE,
                    "%s: configuration file contains a NUL byte", path);
        return FALSE;
    }
    return vfConfParse(path, text, conf, error);
}

/* ---- look-ups ---- */

static const vfConfEntry *
vfConfGetEntry(const vfConf *conf, const char *name)
{
    /* as libvirt: the first assignment wins */
    for (guint i = 0; i < conf->entries->len; i++) {
        const vfConfEntry *entry = g_ptr_array_index(conf->entries, i);

        if (g_str_equal(entry->name, name))
            return entry;
    }
    return NULL;
}

const vfConfValue *
vfConfGetValue(const vfConf *conf, const char *name)
{
    const vfConfEntry *entry = vfConfGetEntry(conf, name);

    return entry ? entry->value : NULL;
}

int
vfConfGetString(const vfConf *conf, const char *name, char **value,
                GError **error)
{
    const vfConfEntry *entry = vfConfGetEntry(conf, name);

    if (!entry)
        return 0;
    if (entry->value->type != VF_CONF_STRING) {
        g_set_error(error, VF_ERROR, VF_ERROR_INVALID,
                    "%s:%d: expected a string for '%s' parameter",
                    conf->filename, entry->line, name);
        return -1;
    }
    g_free(*value);
    *value = g_strdup(entry->value->str);
    return 1;
}

int
vfConfGetLine(const vfConf *conf, const char *name)
{
    const vfConfEntry *entry = vfConfGetEntry(conf, name);

    return entry ? entry->line : 0;
}
