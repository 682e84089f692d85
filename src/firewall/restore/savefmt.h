/*
 * savefmt.h: rules as *-save prints them, and read back
 *
 * The restore tools read words the way syntax.h says; *-save does not
 * write them that way. Measured with iptables 1.8.9 (nf_tables and
 * legacy print alike; tests/kernel/test-render-roundtrip checks every
 * style below against the tools):
 *
 *  - chain names (in ":NAME", "-A NAME", "-j NAME"), interface names and
 *    set names are printed as they are: quotes, backslashes, blanks, tabs
 *    and line breaks included (iptables refuses blanks in chain names,
 *    ebtables takes anything, a line break too; both take any interface
 *    name with a warning);
 *  - iptables/ip6tables --comment, --log-prefix and --nflog-prefix go
 *    through xtables_save_string(): as they are if not empty and made of
 *    [A-Za-z0-9_-] only, else in double quotes with '"', '\' and '\''
 *    escaped by a backslash ("a.b", "it\'s", "n\u00e9e" are quoted); a
 *    line break is printed as it is, so the line goes on;
 *  - ebtables --log-prefix, --nflog-prefix and --ulog-prefix: always in
 *    double quotes, nothing escaped (ebtables refuses '"' in a prefix);
 *  - everything else as it is.
 *
 * So a line of *-save is not one line of text: a comment or a name may
 * hold line breaks. And some lines cannot be read back at all (a blank in
 * an interface name: "-i a b"); such a rule is held as an opaque rule
 * (vfSaveRuleIsOpaque): equal only to itself, printed back verbatim,
 * never written to a tool.
 */
#pragma once

#include "firewall.h"

/* Appends the rule's tokens as *-save prints them after "-A CHAIN ". */
void vfSaveFormatRule(GString *out, virFirewallLayer layer,
                      const char *const *tokens);

/* The tokens of a rule's text [text, end) as *-save printed it (what
 * follows "-A CHAIN "), NULL-terminated. Where the text cannot be read
 * back exactly (printing the tokens would not give the same text), an
 * opaque rule holding the text. */
GStrv vfSaveSplitRule(virFirewallLayer layer, const char *text, const char *end);

/* Is [text, end) a rule printed with blanks between plain words only, so
 * that cutting it at each blank is its reading? (The common case, cut in
 * place by the callers.) */
gboolean vfSaveRuleIsPlain(virFirewallLayer layer, const char *text,
                           const char *end);

/* The end (its '\n', or @end) of the line of *-save text that starts at
 * @line. For a "-A" line, @rule is where its rule text starts (after
 * "-A CHAIN "), so quoted words are followed; NULL for other lines. A
 * line goes on past a line break inside a quoted word, and past a line
 * break followed by text no line of *-save starts with (a line break in a
 * name). */
const char *vfSaveLineEnd(virFirewallLayer layer, const char *line,
                          const char *rule, const char *end);
/* The same; *@openQuote says a word of the rule starts with a quote that
 * does not close (no *-save prints one): its line would end elsewhere
 * if other text followed, where a quote closes it. */
const char *vfSaveLineEndOpen(virFirewallLayer layer, const char *line,
                              const char *rule, const char *end,
                              gboolean *openQuote);

/* One "-A" line of *-save -c. */
typedef struct {
    char *table;          /* of the last "*TABLE" line before it; NULL: none */
    char *line;           /* "-A CHAIN ..." as *-save without -c prints it */
    gint64 packets;       /* -1: no counters printed for it */
    gint64 bytes;
} vfSaveCounted;

void vfSaveCountedFree(vfSaveCounted *c);

/* Reads *-save -c's @text of @len bytes (iptables-save, ip6tables-save and
 * ebtables-save (nf_tables) alike print "[PACKETS:BYTES] " before each
 * "-A"): returns the text *-save prints without -c, and appends to @rules
 * (may be NULL; of vfSaveCounted*) each rule line with its counters, in
 * order. Lines end where vfSaveLineEnd says (a quoted line break goes
 * on). Never fails: a line without counters is kept as it is (-1). */
char *vfSaveReadCounters(virFirewallLayer layer, const char *text, gsize len,
                         GPtrArray *rules);

/* Can a line of *-save start at @p? ("-A ", ":", "*", "#", "COMMIT", an
 * empty line, the end.) */
gboolean vfSaveLineStarts(const char *p, const char *end);

/* ":NAME POLICY [p:b]" (iptables) / ":NAME POLICY" (ebtables) on [line,
 * end): the name is all before the policy, blanks and line breaks
 * included. FALSE where there is no name or no policy. */
gboolean vfSaveSplitDeclaration(virFirewallLayer layer, const char *line,
                                const char *end, const char **name,
                                gsize *nameLen, const char **policy,
                                gsize *policyLen);

/* Is the word after @option its value, whatever it looks like (a string
 * or a name: "--comment -j", "-i -j")? In rules as written and as saved,
 * any layer. */
gboolean vfSaveOptionTakesWord(const char *option, gsize len);

/* An opaque rule (see above): its text, or NULL for a rule read exactly. */
gboolean vfSaveRuleIsOpaque(const char *const *rule);
const char *vfSaveOpaqueText(const char *const *rule);
