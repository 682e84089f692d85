/*
 * summary.c: what every command tells at its end, in one shape
 *
 * The commands used to print each its own summary (and reconnect its
 * --json on stderr, timings as one string). Now each fills a vfSummary
 * (units and what became of them, the apply's numbers, the phases' times,
 * a few numbers of its own) and report.c prints it once: text on stderr,
 * or with --json one object on stdout whose members docs/json.md lists.
 */
#include "summary.h"

#include <string.h>

static const char *const statusNames[VF_STATUS_LAST] = {
    "rebuilt", "unchanged", "skipped", "removed", "built", "applied", "ok", "drift", "failed",
};

const char *
vfStatusToString(vfStatus status)
{
    return status < VF_STATUS_LAST ? statusNames[status] : "unknown";
}

static void
unitFree(vfSummaryUnit *u)
{
    g_free(u->name);
    g_free(u->kind);
    g_free(u->reason);
    g_free(u);
}

static void
countFree(vfSummaryCount *c)
{
    g_free(c->key);
    g_free(c->label);
    g_free(c);
}

vfSummary *
vfSummaryNew(const char *command)
{
    vfSummary *s = g_new0(vfSummary, 1);

    s->command = g_strdup(command);
    s->units = g_ptr_array_new_with_free_func((GDestroyNotify)unitFree);
    s->phases = g_array_new(FALSE, FALSE, sizeof(vfSummaryPhase));
    s->counts = g_ptr_array_new_with_free_func((GDestroyNotify)countFree);
    s->total = g_timer_new();
    s->shown = 1u << VF_STATUS_FAILED;
    return s;
}

void
vfSummaryFree(vfSummary *s)
{
    if (!s)
        return;
    g_free(s->command);
    g_free(s->backend);
    g_free(s->backend_reason);
    g_ptr_array_unref(s->units);
    g_array_unref(s->phases);
    g_ptr_array_unref(s->counts);
    g_timer_destroy(s->total);
    g_free(s);
}

/* "interface/vnet0" -> "interface"; "networks" -> "networks" */
static char *
kindOf(const char *name)
{
    const char *slash = strchr(name, '/');

    return slash ? g_strndup(name, slash - name) : g_strdup(name);
}

vfSummaryUnit *
vfSummaryUnitSet(vfSummary *s, const char *name, vfStatus status, const char *reason)
{
    vfSummaryUnit *u = NULL;

    for (guint i = 0; i < s->units->len && !u; i++) {
        vfSummaryUnit *x = g_ptr_array_index(s->units, i);
        if (g_str_equal(x->name, name))
            u = x;
    }
    if (!u) {
        u = g_new0(vfSummaryUnit, 1);
        u->name = g_strdup(name);
        u->kind = kindOf(name);
        g_ptr_array_add(s->units, u);
    }
    u->status = status;
    g_free(u->reason);
    u->reason = g_strdup(reason);
    return u;
}

void
vfSummaryPhaseAdd(vfSummary *s, const char *name, double seconds)
{
    vfSummaryPhase p = { name, seconds };

    g_array_append_val(s->phases, p);
}

void
vfSummaryCountAdd(vfSummary *s, const char *key, const char *label, guint64 value)
{
    vfSummaryCount *c = g_new0(vfSummaryCount, 1);

    c->key = g_strdup(key);
    c->label = g_strdup(label);
    c->value = value;
    g_ptr_array_add(s->counts, c);
}

guint
vfSummaryCountStatus(vfSummary *s, vfStatus status)
{
    guint n = 0;

    for (guint i = 0; i < s->units->len; i++)
        n += ((vfSummaryUnit *)g_ptr_array_index(s->units, i))->status == status;
    return n;
}

void
vfSummaryAddStats(vfSummary *s, const vfApplyStats *stats)
{
    s->applied = TRUE;
    s->stats.processes += stats->processes;
    s->stats.passes += stats->passes;
    s->stats.lines += stats->lines;
    s->stats.retries += stats->retries;
    s->stats.lock_retries += stats->lock_retries;
    s->stats.layers_written |= stats->layers_written;
}

/* The statuses the text and "counts" tell: those the command announced
 * (so "0 failed" is said) and any that occurs. */
static gboolean
statusShown(vfSummary *s, vfStatus st)
{
    return (s->shown & (1u << st)) || vfSummaryCountStatus(s, st);
}

void
vfSummaryFormatText(vfSummary *s, GString *out)
{
    const char *sep = "";

    g_string_append_printf(out, "virt-firewall %s: %u units: ", s->command, s->units->len);
    for (vfStatus st = 0; st < VF_STATUS_LAST; st++) {
        if (!statusShown(s, st))
            continue;
        g_string_append_printf(out, "%s%u %s", sep, vfSummaryCountStatus(s, st),
                               statusNames[st]);
        sep = ", ";
    }
    g_string_append_c(out, '\n');
    if (s->dry_run)
        g_string_append(out, "  nothing written (dry run)\n");
    if (s->backend)
        g_string_append_printf(out, "  backend: %s%s%s%s\n", s->backend,
                               s->backend_reason ? " (" : "",
                               s->backend_reason ? s->backend_reason : "",
                               s->backend_reason ? ")" : "");
    if (s->applied)
        g_string_append_printf(out, "  rules written: %u, processes: %u, restore passes: %u, "
                               "retries: %u\n", s->stats.lines, s->processes,
                               s->stats.passes, s->stats.retries);
    else
        g_string_append_printf(out, "  processes: %u\n", s->processes);
    if (s->counts->len) {
        g_string_append(out, "  ");
        for (guint i = 0; i < s->counts->len; i++) {
            vfSummaryCount *c = g_ptr_array_index(s->counts, i);
            g_string_append_printf(out, "%s%s: %" G_GUINT64_FORMAT, i ? ", " : "",
                                   c->label, c->value);
        }
        g_string_append_c(out, '\n');
    }
    g_string_append(out, "  time: ");
    for (guint i = 0; i < s->phases->len; i++) {
        vfSummaryPhase *p = &g_array_index(s->phases, vfSummaryPhase, i);
        g_string_append_printf(out, "%s %.3fs, ", p->name, p->seconds);
    }
    g_string_append_printf(out, "total %.3fs\n", g_timer_elapsed(s->total, NULL));
}

static void
memberInt(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

static void
memberString(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

void
vfSummaryBuildJson(vfSummary *s, JsonBuilder *b)
{
    /* docs/json.md: bump with any change a reader could trip on */
    memberInt(b, "version", 1);
    memberString(b, "command", s->command);
    json_builder_set_member_name(b, "dry_run");
    json_builder_add_boolean_value(b, s->dry_run);
    if (s->backend) {
        memberString(b, "backend", s->backend);
        if (s->backend_reason)
            memberString(b, "backend_reason", s->backend_reason);
    }
    json_builder_set_member_name(b, "units");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->units->len; i++) {
        vfSummaryUnit *u = g_ptr_array_index(s->units, i);
        json_builder_begin_object(b);
        memberString(b, "name", u->name);
        memberString(b, "kind", u->kind);
        memberString(b, "status", statusNames[u->status]);
        if (u->reason)
            memberString(b, "reason", u->reason);
        if (u->extra)
            u->extra(b, u->extra_data);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "counts");
    json_builder_begin_object(b);
    for (vfStatus st = 0; st < VF_STATUS_LAST; st++) {
        if (statusShown(s, st))
            memberInt(b, statusNames[st], vfSummaryCountStatus(s, st));
    }
    json_builder_end_object(b);
    memberInt(b, "processes", s->processes);
    if (s->applied) {
        memberInt(b, "rules_written", s->stats.lines);
        memberInt(b, "passes", s->stats.passes);
        memberInt(b, "retries", s->stats.retries);
    }
    for (guint i = 0; i < s->counts->len; i++) {
        vfSummaryCount *c = g_ptr_array_index(s->counts, i);
        memberInt(b, c->key, c->value);
    }
    json_builder_set_member_name(b, "phases");
    json_builder_begin_array(b);
    for (guint i = 0; i < s->phases->len; i++) {
        vfSummaryPhase *p = &g_array_index(s->phases, vfSummaryPhase, i);
        json_builder_begin_object(b);
        memberString(b, "name", p->name);
        /* whole microseconds: a double would print as 0.0026879999999999999 */
        json_builder_set_member_name(b, "microseconds");
        json_builder_add_int_value(b, (gint64)(p->seconds * 1e6 + 0.5));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "microseconds");
    json_builder_add_int_value(b, (gint64)(g_timer_elapsed(s->total, NULL) * 1e6 + 0.5));
    if (s->extra)
        s->extra(b, s->extra_data);
}
