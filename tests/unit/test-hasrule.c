/*
 * test-hasrule: vfChainHasRule with its index of a long chain's rules
 * (table-rules.c). A chain of libvirt's kind (one jump per interface,
 * read from *-save, so unparsed) takes random appends, inserts, deletes,
 * renames of the chains its rules jump to, flushes and lines read, while
 * an independent list of its rules says what is there; after each edit
 * every rule that is or could be there is asked for, so the chain is
 * indexed early and each edit meets the index.
 */
#include "restore/snapshot.h"
#include "restore/table.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define IFACES 80

/* the rules the chain holds, in order: GStrv each */
typedef struct {
    GPtrArray *rules;
    char *names[IFACES];   /* the chain interface k's jump goes to now */
    char *was[IFACES];     /* its name before the last rename */
} Model;

static GStrv
rule(guint k, const char *target)
{
    g_autofree char *dev = g_strdup_printf("vnet%u", k);
    return g_strdupv((char **)(const char *const[]){
        "-m", "physdev", "--physdev-in", dev, "-g", target, NULL });
}

static gboolean
modelHas(const Model *m, const char *const *r)
{
    for (guint i = 0; i < m->rules->len; i++) {
        if (g_strv_equal(g_ptr_array_index(m->rules, i), r))
            return TRUE;
    }
    return FALSE;
}

/* every rule that is or could be there, asked for */
static void
checkAll(vfTable *t, vfChain *c, const Model *m)
{
    for (guint k = 0; k < IFACES; k++) {
        const char *targets[] = { m->names[k], m->was[k], "ACCEPT", "FI-none" };
        for (guint j = 0; j < G_N_ELEMENTS(targets); j++) {
            g_auto(GStrv) r = rule(k, targets[j]);
            assert_int_equal(vfChainHasRule(t, c, (const char *const *)r),
                             modelHas(m, (const char *const *)r));
        }
    }
}

static void
test_index_follows_edits(void **state)
{
    /* the texts lines are read from live as long as the table */
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) text = g_string_new("*filter\n:INPUT ACCEPT [0:0]\n:libvirt-in - [0:0]\n");
    g_autoptr(vfTableSet) set = vfTableSetNew(VIR_FIREWALL_LAYER_IPV4);
    g_autoptr(GRand) rnd = g_rand_new_with_seed(20261206);
    Model m = { g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev) };
    guint indexed = 0, renames = 0;
    vfTable *t;
    vfChain *c;

    for (guint k = 0; k < IFACES; k++) {
        m.names[k] = g_strdup_printf("FJ-vnet%u", k);
        m.was[k] = g_strdup("FI-none");
        g_string_append_printf(text, ":%s - [0:0]\n", m.names[k]);
    }
    for (guint k = 0; k < IFACES; k++) {
        g_string_append_printf(text, "-A libvirt-in -m physdev --physdev-in vnet%u -g %s\n",
                               k, m.names[k]);
        g_ptr_array_add(m.rules, rule(k, m.names[k]));
    }
    g_string_append(text, "COMMIT\n");
    assert_true(vfSnapshotParse(set, text->str, NULL));
    t = vfTableSetGet(set, "filter");
    c = vfTableGetChain(t, "libvirt-in");
    assert_non_null(c->lines);

    for (guint step = 0; step < 400; step++) {
        guint k = g_rand_int_range(rnd, 0, IFACES);
        guint op = g_rand_int_range(rnd, 0, 100);

        checkAll(t, c, &m);
        indexed += c->ruleKeys != NULL;
        if (op < 30) {
            GStrv r = rule(k, g_rand_boolean(rnd) ? m.names[k] : "ACCEPT");
            g_ptr_array_add(m.rules, g_strdupv(r));
            vfTableAppendRule(t, c, vfRulePack((const char *const *)r));
            g_strfreev(r);
        } else if (op < 55) {
            GStrv r = rule(k, m.names[k]);
            guint at = g_rand_int_range(rnd, 0, m.rules->len + 1);
            g_ptr_array_insert(m.rules, at, g_strdupv(r));
            vfTableInsertRule(t, c, at, vfRulePack((const char *const *)r));
            g_strfreev(r);
        } else if (op < 85 && m.rules->len) {
            guint at = g_rand_int_range(rnd, 0, m.rules->len);
            g_free(vfTableStealRule(t, c, at));
            g_ptr_array_remove_index(m.rules, at);
        } else if (op < 97) {
            /* libvirt's J -> I: the jumps follow the chain */
            g_autofree char *to = g_strdup_printf("F%c-vnet%u-%u", 'A' + (step % 26), k, step);
            vfTableRenameChain(t, m.names[k], to);
            for (guint i = 0; i < m.rules->len; i++) {
                GStrv r = g_ptr_array_index(m.rules, i);
                if (g_str_equal(r[5], m.names[k])) {
                    g_free(r[5]);
                    r[5] = g_strdup(to);
                }
            }
            g_free(m.was[k]);
            m.was[k] = m.names[k];
            m.names[k] = g_steal_pointer(&to);
            renames++;
        } else if (op < 99) {
            /* lines read into the chain again */
            char *line = g_strdup_printf("-A libvirt-in -m physdev --physdev-in vnet%u -g %s\n",
                                         k, m.names[k]);
            g_ptr_array_add(texts, line);
            g_ptr_array_add(m.rules, rule(k, m.names[k]));
            vfTableAddLines(t, c, line, strlen(line));
        } else {
            /* flushed, and every interface's jump read in again */
            GString *lines = g_string_new(NULL);
            vfTableFlushChain(t, c);
            g_ptr_array_set_size(m.rules, 0);
            for (guint j = 0; j < IFACES; j++) {
                g_string_append_printf(lines, "-A libvirt-in -m physdev --physdev-in vnet%u "
                                       "-g %s\n", j, m.names[j]);
                g_ptr_array_add(m.rules, rule(j, m.names[j]));
            }
            vfTableAddLines(t, c, lines->str, lines->len);
            g_ptr_array_add(texts, g_string_free(lines, FALSE));
        }
    }
    checkAll(t, c, &m);
    /* the index was there for most of it, and met every kind of edit */
    assert_true(indexed > 300);
    assert_true(renames > 10);
    for (guint k = 0; k < IFACES; k++) {
        g_free(m.names[k]);
        g_free(m.was[k]);
    }
    g_ptr_array_unref(m.rules);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_follows_edits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
