/*
 * savefmt.c: rules as *-save prints them, and read back (see savefmt.h)
 */
#include "savefmt.h"

#include <string.h>

/* How *-save prints the word after an option. */
typedef enum {
    STYLE_RAW,       /* as it is */
    STYLE_NAME,      /* a chain, interface or set name: as it is */
    STYLE_XTSTRING,  /* xtables_save_string() */
    STYLE_QUOTED,    /* "…", nothing escaped (ebtables' prefixes) */
    STYLE_UNKNOWN,   /* the value of an option we do not know: printed as it
                      * is by us; a "…" in *-save read with escapes, and
                      * then the rule is opaque (we would print it raw) */
} vfStyle;

/* No word *-save quotes is longer than this (xt_comment keeps 255 bytes,
 * escaped at most twice that): a quote not closed within it is no quote,
 * and hostile text costs no quadratic search. */
#define VF_SAVE_MAX_QUOTED 4096

/* What opaque rules start with: no option, no word the normalizer makes,
 * and a word the restore tools refuse ("Bad argument"). */
static const char opaqueMark[] = "\001opaque";

typedef struct {
    const char *p;
    gsize n;
} vfSpan;

/* A word to compare with, its length known: the simulation asks for every
 * token of every rule it walks (vfSpecTarget). */
typedef struct {
    const char *s;
    gsize n;
} vfLit;

#define LIT(s) { s, sizeof(s) - 1 }

static gboolean
spanIs(vfSpan w, const char *lit)
{
    gsize n = strlen(lit);
    return w.p && w.n == n && memcmp(w.p, lit, n) == 0;
}

/* Only words starting with '-' are in the lists below. */
static gboolean
spanIn(vfSpan w, const vfLit *list)
{
    if (!w.p || w.n < 2 || w.p[0] != '-')
        return FALSE;
    for (; list->s; list++) {
        if (w.n == list->n && memcmp(w.p, list->s, w.n) == 0)
            return TRUE;
    }
    return FALSE;
}

static const vfLit ipStrings[] = {
    LIT("--comment"), LIT("--log-prefix"), LIT("--nflog-prefix"), { NULL, 0 },
};
static const vfLit ebStrings[] = {
    LIT("--log-prefix"), LIT("--nflog-prefix"), LIT("--ulog-prefix"), { NULL, 0 },
};
/* options whose value is one name, printed as it is */
static const vfLit oneName[] = {
    LIT("-i"), LIT("-o"), LIT("--in-interface"), LIT("--out-interface"),
    LIT("--physdev-in"), LIT("--physdev-out"), LIT("--logical-in"),
    LIT("--logical-out"), LIT("-j"), LIT("--jump"), LIT("-g"), LIT("--goto"),
    { NULL, 0 },
};
static const vfLit matchSet[] = { LIT("--match-set"), { NULL, 0 } };

/*
 * A walk over a rule's words, one after the other: what the next one is.
 * A word is the value of the option before it, if that is an option (a
 * word starting with '-' that is no value itself: "--comment -j" has the
 * value "-j"); ebtables prints an inversion between an option and its
 * value ("-i ! x").
 */
typedef struct {
    gboolean eb;
    vfSpan prev, prev2;
    gboolean prevValue, prev2Value;   /* were they values? */
} vfWalk;

static void
walkInit(vfWalk *wk, virFirewallLayer layer)
{
    *wk = (vfWalk){ .eb = layer == VIR_FIREWALL_LAYER_ETHERNET };
}

/* The option the next word would be the value of, or NULL. */
static const vfSpan *
walkOption(const vfWalk *wk)
{
    const vfSpan *opt = &wk->prev;
    gboolean value = wk->prevValue;

    if (wk->eb && !value && spanIs(wk->prev, "!")) {
        opt = &wk->prev2;
        value = wk->prev2Value;
    }
    if (value || !opt->p || opt->n < 2 || opt->p[0] != '-')
        return NULL;
    return opt;
}

/* How *-save prints the next word. */
static vfStyle
walkStyle(const vfWalk *wk)
{
    const vfSpan *opt = walkOption(wk);

    if (!opt)
        return STYLE_RAW;
    if (spanIn(*opt, wk->eb ? ebStrings : ipStrings))
        return wk->eb ? STYLE_QUOTED : STYLE_XTSTRING;
    if (spanIn(*opt, oneName) || spanIn(*opt, matchSet))
        return STYLE_NAME;
    return STYLE_UNKNOWN;
}

/* @w is the next word: is it the value of a one-name option ("-i X")? */
static gboolean
walkStep(vfWalk *wk, vfSpan w)
{
    vfStyle style = walkStyle(wk);
    const vfSpan *opt = walkOption(wk);
    gboolean value = style != STYLE_RAW && style != STYLE_UNKNOWN &&
                     !(wk->eb && spanIs(w, "!"));
    gboolean name = value && spanIn(*opt, oneName);

    wk->prev2 = wk->prev;
    wk->prev2Value = wk->prevValue;
    wk->prev = w;
    wk->prevValue = value;
    return name;
}

static gboolean
xtPlain(const char *w, gsize n)
{
    static const char plain[] = "_-0123456789abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    if (!n)
        return FALSE;
    for (gsize i = 0; i < n; i++) {
        if (!w[i] || !strchr(plain, w[i]))
            return FALSE;
    }
    return TRUE;
}

static void
appendStyled(GString *out, vfStyle style, const char *w)
{
    switch (style) {
    case STYLE_XTSTRING:
        if (xtPlain(w, strlen(w))) {
            g_string_append(out, w);
            return;
        }
        g_string_append_c(out, '"');
        for (; *w; w++) {
            if (*w == '"' || *w == '\\' || *w == '\'')
                g_string_append_c(out, '\\');
            g_string_append_c(out, *w);
        }
        g_string_append_c(out, '"');
        return;
    case STYLE_QUOTED:
        g_string_append_c(out, '"');
        g_string_append(out, w);
        g_string_append_c(out, '"');
        return;
    case STYLE_RAW:
    case STYLE_NAME:
    case STYLE_UNKNOWN:
        g_string_append(out, w);
        return;
    }
}

static vfSpan
spanOf(const char *w)
{
    return (vfSpan){ w, w ? strlen(w) : 0 };
}

void
vfSaveFormatRule(GString *out, virFirewallLayer layer, const char *const *tokens)
{
    const char *opaque = vfSaveOpaqueText(tokens);
    vfWalk wk;

    if (opaque) {
        g_string_append(out, opaque);
        return;
    }
    walkInit(&wk, layer);
    for (gsize i = 0; tokens[i]; i++) {
        if (i)
            g_string_append_c(out, ' ');
        appendStyled(out, walkStyle(&wk), tokens[i]);
        walkStep(&wk, spanOf(tokens[i]));
    }
}

/*
 * The word at @p in style @style: its end (past a closing quote) in *wend;
 * @quoted says it was read from quotes. A quote that does not close, or
 * closes before anything but a blank, a line break or the end, is no
 * quote: the word is then read as it is, to the next blank (or line
 * break, with @stopAtNewline).
 */
/* Does a word in @style starting with a quote read up to a closing one? */
static gboolean
quotingStyle(vfStyle style)
{
    return style != STYLE_RAW && style != STYLE_NAME;
}

static void
scanWord(vfStyle style, const char *p, const char *end, gboolean stopAtNewline,
         const char **wend, gboolean *quoted)
{
    const char *q;

    *quoted = FALSE;
    if (*p == '"' && quotingStyle(style)) {
        const char *limit = end - p > VF_SAVE_MAX_QUOTED ? p + VF_SAVE_MAX_QUOTED : end;
        for (q = p + 1; q < limit; q++) {
            if (*q == '\\' && style != STYLE_QUOTED && q + 1 < limit) {
                q++;
                continue;
            }
            if (*q == '"')
                break;
        }
        if (q < limit && (q + 1 == end || q[1] == ' ' || q[1] == '\n')) {
            *wend = q + 1;
            *quoted = TRUE;
            return;
        }
    }
    for (q = p; q < end && *q != ' ' && !(stopAtNewline && *q == '\n'); q++)
        ;
    *wend = q;
}

gboolean
vfSaveLineStarts(const char *p, const char *end)
{
    gsize n = end - p;

    return n == 0 || *p == '\n' || *p == ':' || *p == '*' || *p == '#' ||
           (n >= 3 && !memcmp(p, "-A ", 3)) ||
           (n >= 6 && !memcmp(p, "COMMIT", 6) && (n == 6 || p[6] == '\n'));
}

/* "[PACKETS:BYTES] -A " at @p, as *-save -c starts a rule line: its
 * length up to the "-A", or 0. */
static gsize
countersPrefix(const char *p, const char *end, guint64 *packets, guint64 *bytes)
{
    const char *q = p;
    guint64 v[2] = { 0, 0 };

    if (q >= end || *q++ != '[')
        return 0;
    for (int k = 0; k < 2; k++) {
        const char *digits = q;
        while (q < end && g_ascii_isdigit(*q)) {
            if (v[k] > (G_MAXUINT64 - 9) / 10)
                return 0;
            v[k] = v[k] * 10 + (*q++ - '0');
        }
        if (q == digits || q >= end || *q++ != (k ? ']' : ':'))
            return 0;
    }
    if (end - q < 4 || memcmp(q, " -A ", 4) != 0)
        return 0;
    if (packets)
        *packets = v[0];
    if (bytes)
        *bytes = v[1];
    return q + 1 - p;
}

/* A line break at @nl ends the line unless what follows cannot start one
 * (@counted: *-save -c's text, where a rule line starts with counters). */
static gboolean
endsLine(const char *nl, const char *end, gboolean counted)
{
    return vfSaveLineStarts(nl + 1, end) ||
           (counted && countersPrefix(nl + 1, end, NULL, NULL));
}

static const char *lineEnd(virFirewallLayer layer, const char *line, const char *rule,
                           const char *end, gboolean *openQuote, gboolean counted);

const char *
vfSaveLineEnd(virFirewallLayer layer, const char *line, const char *rule,
              const char *end)
{
    return lineEnd(layer, line, rule, end, NULL, FALSE);
}

const char *
vfSaveLineEndOpen(virFirewallLayer layer, const char *line, const char *rule,
                  const char *end, gboolean *openQuote)
{
    return lineEnd(layer, line, rule, end, openQuote, FALSE);
}

void
vfSaveCountedFree(vfSaveCounted *c)
{
    if (!c)
        return;
    g_free(c->table);
    g_free(c->line);
    g_free(c);
}

char *
vfSaveReadCounters(virFirewallLayer layer, const char *text, gsize len,
                   GPtrArray *rules)
{
    const char *p = text, *end = text + len, *table = NULL, *tableEnd = NULL;
    GString *out = g_string_sized_new(len);

    while (p < end) {
        guint64 packets = 0, bytes = 0;
        gsize pre = countersPrefix(p, end, &packets, &bytes);
        const char *line = p + pre, *rule = NULL, *le;

        if (end - line >= 3 && !memcmp(line, "-A ", 3)) {
            /* the rule starts after the chain's name; a name with a
             * blank is read as the line end finds it all the same */
            rule = line + 3;
            while (rule < end && *rule != ' ' && *rule != '\n')
                rule++;
        }
        le = lineEnd(layer, line, rule, end, NULL, TRUE);
        if (*line == '*') {
            table = line + 1;
            tableEnd = le;
        } else if (rule && rules) {
            vfSaveCounted *c = g_new0(vfSaveCounted, 1);
            c->table = table ? g_strndup(table, tableEnd - table) : NULL;
            c->line = g_strndup(line, le - line);
            c->packets = pre ? (gint64)MIN(packets, (guint64)G_MAXINT64) : -1;
            c->bytes = pre ? (gint64)MIN(bytes, (guint64)G_MAXINT64) : -1;
            g_ptr_array_add(rules, c);
        }
        g_string_append_len(out, line, le - line);
        if (le < end)
            g_string_append_c(out, '\n');
        p = le < end ? le + 1 : end;
    }
    return g_string_free(out, FALSE);
}

static const char *
lineEnd(virFirewallLayer layer, const char *line, const char *rule,
        const char *end, gboolean *openQuote, gboolean counted)
{
    const char *p = line;
    vfWalk wk;

    if (openQuote)
        *openQuote = FALSE;
    walkInit(&wk, layer);
    if (rule) {
        /* the words of the rule, so that a line break in quotes is no
         * end; [line, rule) is "-A" and the chain's name, read already
         * (a line break or a quote in a name is the name's) */
        const char *nl = memchr(rule, '\n', end - rule);
        p = rule;
        if (!memchr(rule, '"', (nl ? nl : end) - rule) && (!nl || endsLine(nl, end, counted)))
            return nl ? nl : end;   /* most lines */
        while (p < end) {
            const char *wend;
            gboolean quoted;
            if (*p == ' ') {
                p++;
                continue;
            }
            if (*p == '\n') {
                if (endsLine(p, end, counted))
                    return p;
                p++;
                continue;
            }
            scanWord(walkStyle(&wk), p, end, TRUE, &wend, &quoted);
            if (*p == '"' && !quoted && openQuote && quotingStyle(walkStyle(&wk)))
                *openQuote = TRUE;
            walkStep(&wk, (vfSpan){ p, wend - p });
            p = wend;
        }
        return end;
    }
    for (;;) {
        const char *nl = memchr(p, '\n', end - p);
        if (!nl)
            return end;
        if (endsLine(nl, end, counted))
            return nl;
        p = nl + 1;
    }
}

/* Does the word after a one-name option's value look like what *-save
 * prints next (an option, an inversion)? Else the name held a blank
 * ("-i a b -j X"), which no reading can tell. */
static gboolean
looksLikeOption(vfSpan w)
{
    return w.n >= 1 && (w.p[0] == '-' || w.p[0] == '!');
}


static GStrv
opaqueRule(const char *text, const char *end)
{
    GStrv rule = g_new0(char *, 3);

    rule[0] = g_strdup(opaqueMark);
    rule[1] = g_strndup(text, end - text);
    return rule;
}

/* The word [p, wend) as a token: quotes and escapes undone. */
static char *
unquote(vfStyle style, const char *p, const char *wend, gboolean quoted)
{
    GString *w;

    if (!quoted)
        return g_strndup(p, wend - p);
    w = g_string_sized_new(wend - p);
    for (const char *q = p + 1; q < wend - 1; q++) {
        if (*q == '\\' && style != STYLE_QUOTED && q + 1 < wend - 1)
            q++;
        g_string_append_c(w, *q);
    }
    return g_string_free(w, FALSE);
}

GStrv
vfSaveSplitRule(virFirewallLayer layer, const char *text, const char *end)
{
    g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) again = NULL;
    const char *p = text;
    gboolean exact = TRUE, afterName = FALSE;
    vfWalk wk;

    walkInit(&wk, layer);
    while (p < end) {
        vfStyle style = walkStyle(&wk);
        const char *wend;
        gboolean quoted;
        vfSpan w;

        if (*p == ' ') {   /* *-save separates words by one blank */
            exact = FALSE;
            break;
        }
        scanWord(style, p, end, FALSE, &wend, &quoted);
        w = (vfSpan){ p, wend - p };
        /* a name then a word that is no option: a blank in the name */
        if (afterName && !looksLikeOption(w)) {
            exact = FALSE;
            break;
        }
        afterName = walkStep(&wk, w);
        g_ptr_array_add(tokens, unquote(style, p, wend, quoted));
        p = wend;
        if (p < end && (*p != ' ' || p + 1 == end)) {
            exact = FALSE;
            break;
        }
        if (p < end)
            p++;
    }
    g_ptr_array_add(tokens, NULL);
    if (exact) {
        /* the reading is exact only if printing it gives the text again */
        again = g_string_sized_new(end - text);
        vfSaveFormatRule(again, layer, (const char *const *)tokens->pdata);
        exact = again->len == (gsize)(end - text) && !memcmp(again->str, text, again->len);
    }
    if (!exact)
        return opaqueRule(text, end);
    return (GStrv)g_ptr_array_free(g_steal_pointer(&tokens), FALSE);
}

gboolean
vfSaveRuleIsPlain(virFirewallLayer layer, const char *text, const char *end)
{
    const char *p = text;
    gboolean afterName = FALSE;   /* the previous word was a one-name value */
    vfWalk wk;

    walkInit(&wk, layer);
    if (memchr(text, '"', end - text) || memchr(text, '\n', end - text) ||
        (text < end && *text == opaqueMark[0]))   /* no opaque rule's look */
        return FALSE;
    while (p < end) {
        const char *wend = memchr(p, ' ', end - p);
        vfSpan w;

        if (!wend)
            wend = end;
        if (wend == p || (wend < end && wend + 1 == end))
            return FALSE;   /* blanks in a row, or at an end */
        w = (vfSpan){ p, wend - p };
        switch (walkStyle(&wk)) {
        case STYLE_XTSTRING:
            if (!xtPlain(w.p, w.n))
                return FALSE;
            break;
        case STYLE_QUOTED:
            return FALSE;   /* always quoted by *-save */
        default:
            break;
        }
        if (afterName && !looksLikeOption(w))
            return FALSE;
        afterName = walkStep(&wk, w);
        p = wend < end ? wend + 1 : end;
    }
    return TRUE;
}

gboolean
vfSaveSplitDeclaration(virFirewallLayer layer, const char *line, const char *end,
                       const char **name, gsize *nameLen, const char **policy,
                       gsize *policyLen)
{
    const char *p = line + 1, *sp;

    if (layer != VIR_FIREWALL_LAYER_ETHERNET) {
        /* the counters */
        if (!(sp = memrchr(p, ' ', end - p)) || sp + 1 == end || sp[1] != '[')
            return FALSE;
        end = sp;
    }
    if (!(sp = memrchr(p, ' ', end - p)) || sp == p || sp + 1 == end)
        return FALSE;
    *name = p;
    *nameLen = sp - p;
    *policy = sp + 1;
    *policyLen = end - sp - 1;
    return TRUE;
}

gboolean
vfSaveOptionTakesWord(const char *option, gsize len)
{
    vfSpan w = { option, len };

    /* every token of every rule the simulation walks comes here */
    if (len < 2 || option[0] != '-')
        return FALSE;
    if (len == 2)
        return option[1] == 'i' || option[1] == 'o' || option[1] == 'j' ||
               option[1] == 'g';
    if (option[1] != '-' || !strchr("cilnopjgmu", option[2]))
        return FALSE;
    return spanIn(w, oneName) || spanIn(w, ipStrings) || spanIn(w, ebStrings) ||
           spanIn(w, matchSet);
}

gboolean
vfSaveRuleIsOpaque(const char *const *rule)
{
    return vfSaveOpaqueText(rule) != NULL;
}

const char *
vfSaveOpaqueText(const char *const *rule)
{
    if (rule && rule[0] && rule[1] && !rule[2] && g_str_equal(rule[0], opaqueMark))
        return rule[1];
    return NULL;
}
