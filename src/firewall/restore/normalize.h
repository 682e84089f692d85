/*
 * normalize.h: rule spec -> the tokens *-save prints for that rule
 *
 * The restore backend keeps a model of each table parsed from *-save output
 * and has to decide whether a spec written the way libvirt writes it (long
 * options, implicit matches, ebtables hex protocols, ...) denotes a rule
 * that is already there. vfNormalizeRule() rewrites the spec into exactly
 * the token list iptables-save / ip6tables-save / ebtables-save (iptables
 * 1.8.9, nf_tables backend, netbase 6.4 /etc/protocols and /etc/ethertypes)
 * prints after "-A CHAIN ", so the comparison is a plain strv comparison.
 *
 * The facts behind every rewrite were measured on the real kernel; see
 * tests/restoredata/normalize/vocabulary.txt and
 * tests/kernel/test-normalize-kernel.c, which re-checks all of them.
 */
#pragma once

#include "firewall.h"

/*
 * @spec: the rule's argv after the command and chain (no -t, no -A/-D
 * CHAIN), NULL-terminated.
 *
 * Returns a NULL-terminated strv (free with g_strfreev) of the tokens the
 * corresponding *-save prints after "-A CHAIN ", unquoted (a comment "a b"
 * is one token). Never fails: options it does not know are kept as given,
 * in place.
 */
char **vfNormalizeRule(virFirewallLayer layer, const char *const *spec);

/*
 * The same; *exact FALSE where the tokens are not what *-save will print
 * because only the tool knows: a host name for an address (the tools
 * resolve it, with their namespace's resolver, and print the address).
 */
char **vfNormalizeRuleExact(virFirewallLayer layer, const char *const *spec,
                            gboolean *exact);

/*
 * Split one *-save rule line (or the part after "-A CHAIN ") into tokens
 * the way iptables-restore / ebtables-restore do: blanks separate tokens,
 * double quotes group, a backslash inside quotes escapes the next
 * character. Never fails (an unterminated quote ends at end of line).
 */
char **vfNormalizeSplitSaveLine(const char *line);
