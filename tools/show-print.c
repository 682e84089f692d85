/*
 * show-print.c: `show` as text (stdout) and as one JSON object
 */
#include "show.h"
#include "nwfilter/nwfilter.h"

#include <stdio.h>
#include <string.h>

/* verify's words for drift; SAME is "ok" */
static const char *
statusName(vfVerifyKind k)
{
    switch (k) {
    case VF_VERIFY_MISSING: return "missing";
    case VF_VERIFY_CHANGED: return "changed";
    case VF_VERIFY_EXTRA: return "extra";
    case VF_VERIFY_ORPHAN: return "orphan";
    case VF_VERIFY_SAME: return "ok";
    }
    return "?";
}

static gboolean
ifaceDrift(const vfShowIface *s)
{
    return s->count[VF_VERIFY_MISSING] + s->count[VF_VERIFY_CHANGED] +
           s->count[VF_VERIFY_EXTRA] > 0;
}

static gint
cmpStr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of @vars (nwfVars), sorted. */
static GPtrArray *
varNames(GHashTable *vars)
{
    GPtrArray *names = g_ptr_array_new();
    GHashTableIter it;
    gpointer k;

    if (vars) {
        g_hash_table_iter_init(&it, vars);
        while (g_hash_table_iter_next(&it, &k, NULL))
            g_ptr_array_add(names, k);
    }
    g_ptr_array_sort(names, cmpStr);
    return names;
}

/* ---- text ---- */

static void
textVars(const char *indent, const char *what, GHashTable *vars)
{
    g_autoptr(GPtrArray) names = varNames(vars);

    if (!names->len)
        return;
    printf("%s%s:", indent, what);
    for (guint i = 0; i < names->len; i++) {
        GPtrArray *vals = g_hash_table_lookup(vars, names->pdata[i]);
        printf(" %s=", (char *)names->pdata[i]);
        for (guint j = 0; j < vals->len; j++)
            printf("%s%s", j ? "," : "", (char *)vals->pdata[j]);
    }
    printf("\n");
}

/*
 * The filter @name and what it references, in order, as libvirt expands
 * it; a filter expanded already is named, not expanded again (a fan-out
 * stays one line per reference). The program was built, so there is no
 * loop and every filter exists.
 */
static void
textTree(const nwfFilterSet *set, const char *name, int depth, const char *from, int line,
         GHashTable *refParams, GHashTable *seen)
{
    const nwfFilter *def = nwfFilterSetLookup(set, name);
    g_autofree char *indent = g_strnfill(4 + 2 * depth, ' ');
    g_autofree char *vindent = g_strnfill(8 + 2 * depth, ' ');

    printf("%s%s", indent, name);
    if (def)
        printf(" (chain %s, priority %d%s%s)", def->chain, def->chainPriority,
               def->path ? ", " : "", def->path ? def->path : "");
    if (from)
        printf(" <- %s:%d", from, line);
    if (def && g_hash_table_contains(seen, name)) {
        printf(" (expanded above)\n");
        return;
    }
    printf("\n");
    textVars(vindent, "parameters", refParams);
    if (!def)
        return;
    g_hash_table_add(seen, def->name);
    for (guint i = 0; i < def->entries->len; i++) {
        const nwfEntry *e = def->entries->pdata[i];
        if (e->include)
            textTree(set, e->include->filter, depth + 1, def->path ? def->path : def->name,
                     e->include->line, e->include->params, seen);
    }
}

static void
textCounter(gint64 v)
{
    if (v < 0)
        printf(" %10s", "-");
    else
        printf(" %10" G_GINT64_FORMAT, v);
}

static void
textIface(vfCli *cli, const vfShowIface *s)
{
    const nwfBinding *b = s->binding;
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) vars = nwfBindingVars(b);

    printf("interface %s: VM %s (%s), binding %s\n", b->portdev,
           b->ownerName ? b->ownerName : "-", b->ownerUUID ? b->ownerUUID : "-",
           b->path ? b->path : "(libvirt)");
    printf("  filters:\n");
    textTree(cli->host->filters, b->filter, 0, NULL, 0, NULL, seen);
    textVars("  ", "parameters", vars);
    if (s->failed) {
        printf("  not shown: %s\n", s->failed);
        return;
    }
    /* drift counted as verify counts it: chains and rules */
    printf("  status: %s: %u missing, %u changed, %u extra; %u rules ok\n",
           ifaceDrift(s) ? "drift" : "ok", s->count[VF_VERIFY_MISSING],
           s->count[VF_VERIFY_CHANGED], s->count[VF_VERIFY_EXTRA],
           s->count[VF_VERIFY_SAME]);
    for (guint i = 0; i < s->chains->len; i++) {
        const vfShowChain *c = g_ptr_array_index(s->chains, i);
        printf("  %s -t %s %s%s%s\n", vfVerifyTool(c->layer), c->table, c->chain,
               c->status == VF_VERIFY_SAME ? "" : ": chain ",
               c->status == VF_VERIFY_SAME ? "" : statusName(c->status));
        if (!c->rules->len)
            continue;
        printf("    %-7s %10s %10s  rule\n", "status", "packets", "bytes");
        for (guint k = 0; k < c->rules->len; k++) {
            const vfShowRule *r = g_ptr_array_index(c->rules, k);
            const virFirewallRuleOrigin *o = r->origin;
            printf("    %-7s", statusName(r->status));
            textCounter(r->packets);
            textCounter(r->bytes);
            printf("  %s\n", r->rule);
            if (r->desired)
                printf("    %29s  %s\n", "desired:", r->desired);
            if (o)
                printf("    %29s  %s:%d (filter %s, priority %d)\n", "from",
                       o->file ? o->file : o->filter, o->line, o->filter, o->priority);
        }
    }
}

void
vfShowPrintText(vfCli *cli, GPtrArray *ifaces)
{
    for (guint i = 0; i < ifaces->len; i++) {
        if (i)
            printf("\n");
        textIface(cli, g_ptr_array_index(ifaces, i));
    }
}

/* ---- JSON ---- */

static void
jsonString(JsonBuilder *b, const char *member, const char *value)
{
    json_builder_set_member_name(b, member);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void
jsonInt(JsonBuilder *b, const char *member, gint64 value)
{
    json_builder_set_member_name(b, member);
    json_builder_add_int_value(b, value);
}

/* name -> [values] */
static void
jsonVars(JsonBuilder *b, const char *member, GHashTable *vars)
{
    g_autoptr(GPtrArray) names = varNames(vars);

    json_builder_set_member_name(b, member);
    json_builder_begin_object(b);
    for (guint i = 0; i < names->len; i++) {
        GPtrArray *vals = g_hash_table_lookup(vars, names->pdata[i]);
        json_builder_set_member_name(b, names->pdata[i]);
        json_builder_begin_array(b);
        for (guint j = 0; j < vals->len; j++)
            json_builder_add_string_value(b, vals->pdata[j]);
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
}

/* As textTree: {"name","chain","priority","file","line" (of the
 * reference),"parameters" (the reference's own),"references":[...]}. */
static void
jsonTree(JsonBuilder *b, const nwfFilterSet *set, const char *name, int line,
         GHashTable *refParams, GHashTable *seen)
{
    const nwfFilter *def = nwfFilterSetLookup(set, name);
    gboolean again = def && g_hash_table_contains(seen, name);

    json_builder_begin_object(b);
    jsonString(b, "name", name);
    if (def) {
        jsonString(b, "chain", def->chain);
        jsonInt(b, "priority", def->chainPriority);
        jsonString(b, "file", def->path);
    }
    if (line) {
        jsonInt(b, "line", line);
        jsonVars(b, "parameters", refParams);
    }
    json_builder_set_member_name(b, "expanded_above");
    json_builder_add_boolean_value(b, again);
    json_builder_set_member_name(b, "references");
    json_builder_begin_array(b);
    if (def && !again) {
        g_hash_table_add(seen, def->name);
        for (guint i = 0; i < def->entries->len; i++) {
            const nwfEntry *e = def->entries->pdata[i];
            if (e->include)
                jsonTree(b, set, e->include->filter, e->include->line, e->include->params,
                         seen);
        }
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

static void
jsonCounter(JsonBuilder *b, const char *member, gint64 v)
{
    json_builder_set_member_name(b, member);
    if (v < 0)
        json_builder_add_null_value(b);
    else
        json_builder_add_int_value(b, v);
}

static void
jsonRule(JsonBuilder *b, const vfShowRule *r)
{
    const virFirewallRuleOrigin *o = r->origin;

    json_builder_begin_object(b);
    jsonString(b, "status", statusName(r->status));
    jsonString(b, "rule", r->rule);
    if (r->desired)
        jsonString(b, "desired", r->desired);
    jsonCounter(b, "packets", r->packets);
    jsonCounter(b, "bytes", r->bytes);
    json_builder_set_member_name(b, "provenance");
    if (o) {
        json_builder_begin_object(b);
        jsonString(b, "filter", o->filter);
        jsonString(b, "file", o->file);
        jsonInt(b, "line", o->line);
        jsonInt(b, "priority", o->priority);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_end_object(b);
}

static void
jsonIface(JsonBuilder *b, vfCli *cli, const vfShowIface *s)
{
    const nwfBinding *bd = s->binding;
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) vars = nwfBindingVars(bd);

    json_builder_begin_object(b);
    jsonString(b, "interface", bd->portdev);
    {
        g_autofree char *unit = g_strdup_printf("interface/%s", bd->portdev);
        jsonString(b, "unit", unit);
    }
    jsonString(b, "vm", bd->ownerName);
    jsonString(b, "uuid", bd->ownerUUID);
    jsonString(b, "binding", bd->path);
    jsonString(b, "status", s->failed ? "failed" : ifaceDrift(s) ? "drift" : "ok");
    if (s->failed)
        jsonString(b, "reason", s->failed);
    json_builder_set_member_name(b, "filter");
    jsonTree(b, cli->host->filters, bd->filter, 0, NULL, seen);
    jsonVars(b, "parameters", vars);
    jsonInt(b, "ok", s->count[VF_VERIFY_SAME]);
    jsonInt(b, "missing", s->count[VF_VERIFY_MISSING]);
    jsonInt(b, "changed", s->count[VF_VERIFY_CHANGED]);
    jsonInt(b, "extra", s->count[VF_VERIFY_EXTRA]);
    json_builder_set_member_name(b, "chains");
    json_builder_begin_array(b);
    for (guint i = 0; s->chains && i < s->chains->len; i++) {
        const vfShowChain *c = g_ptr_array_index(s->chains, i);
        json_builder_begin_object(b);
        jsonString(b, "tool", vfVerifyTool(c->layer));
        jsonString(b, "table", c->table);
        jsonString(b, "chain", c->chain);
        jsonString(b, "status", statusName(c->status));
        json_builder_set_member_name(b, "rules");
        json_builder_begin_array(b);
        for (guint k = 0; k < c->rules->len; k++)
            jsonRule(b, g_ptr_array_index(c->rules, k));
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

void
vfShowPrintJson(vfCli *cli, GPtrArray *ifaces, guint drift)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    jsonInt(b, "version", 1);
    jsonString(b, "command", "show");
    json_builder_set_member_name(b, "interfaces");
    json_builder_begin_array(b);
    for (guint i = 0; i < ifaces->len; i++)
        jsonIface(b, cli, g_ptr_array_index(ifaces, i));
    json_builder_end_array(b);
    jsonInt(b, "drift", drift);
    jsonInt(b, "failed", cli->failures->len);
    vfCliJsonReport(cli, b);
    json_builder_end_object(b);
    vfPrintJson(stdout, b, TRUE);
}
