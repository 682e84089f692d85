/*
 * host-libvirt-check.c: helper of test-host-libvirt.sh, run inside the
 * sandbox (private network + mount namespace) next to a real libvirtd.
 *
 *   host-libvirt-check check URI --filter-dir DIR --binding-dir DIR
 *                      --filters N --networks N
 *                      -b "PORTDEV MAC FILTER [NAME=VALUE ...]" ...
 *     vfHostLoadLibvirt(URI) and vfHostLoadFiles(DIR, DIR) must agree:
 *     the number of filters (N), the bindings (exactly the -b ones, in
 *     portdev order; repeated NAME = list, values in order), every field
 *     of every binding, the programs nwfBuildInstantiateAll() builds from
 *     them (virFirewallToText), and for every filter file in DIR a
 *     program built with a synthetic binding from either side.
 *
 *   host-libvirt-check fail URI SUBSTRING
 *     vfHostLoadLibvirt(URI) must fail with a message containing SUBSTRING.
 *
 * Exit 0 = all checks passed, 1 = a check failed, 2 = bad usage.
 */
#include "host/host.h"

#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "FAIL: "); \
            fprintf(stderr, __VA_ARGS__); \
            fprintf(stderr, "\n"); \
            failures++; \
        } \
    } while (0)

static gint
cmpStr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "NAME=v1 NAME=v2 OTHER=x": names sorted, values in list order. */
static char *
formatParams(GHashTable *params)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    GString *s = g_string_new(NULL);
    GHashTableIter it;
    gpointer key;

    if (params) {
        g_hash_table_iter_init(&it, params);
        while (g_hash_table_iter_next(&it, &key, NULL))
            g_ptr_array_add(names, key);
    }
    g_ptr_array_sort(names, cmpStr);
    for (guint i = 0; i < names->len; i++) {
        GPtrArray *vals = g_hash_table_lookup(params, names->pdata[i]);

        for (guint j = 0; j < vals->len; j++)
            g_string_append_printf(s, "%s%s=%s", s->len ? " " : "",
                                   (char *)names->pdata[i],
                                   (char *)vals->pdata[j]);
    }
    return g_string_free(s, FALSE);
}

/* The expected form of "-b PORTDEV MAC FILTER [NAME=VALUE ...]". */
static char *
canonicalSpec(const char *spec)
{
    g_auto(GStrv) words = g_strsplit_set(spec, " ", -1);
    g_autoptr(GHashTable) params = nwfVarsNew();
    g_autofree char *p = NULL;
    guint n = g_strv_length(words);

    if (n < 3)
        return NULL;
    for (guint i = 3; i < n; i++) {
        char *eq = strchr(words[i], '=');

        if (!eq)
            return NULL;
        *eq = '\0';
        nwfVarsAdd(params, words[i], eq + 1);
    }
    p = formatParams(params);
    return g_strdup_printf("%s %s %s%s%s", words[0], words[1], words[2],
                           *p ? " " : "", p);
}

static char *
formatBinding(const nwfBinding *b)
{
    g_autofree char *p = formatParams(b->params);

    return g_strdup_printf("%s %s %s%s%s", b->portdev, b->mac, b->filter,
                           *p ? " " : "", p);
}

static void
compareBindings(GPtrArray *fromLibvirt, GPtrArray *fromFiles,
                GPtrArray *expected)
{
    CHECK(fromLibvirt->len == expected->len,
          "libvirt: %u bindings, expected %u", fromLibvirt->len, expected->len);
    CHECK(fromFiles->len == expected->len,
          "files: %u bindings, expected %u", fromFiles->len, expected->len);
    for (guint i = 0; i < expected->len; i++) {
        const char *want = expected->pdata[i];

        if (i < fromLibvirt->len) {
            const nwfBinding *b = fromLibvirt->pdata[i];
            g_autofree char *got = formatBinding(b);

            CHECK(strcmp(got, want) == 0,
                  "libvirt binding %u:\n  got      '%s'\n  expected '%s'",
                  i, got, want);
            printf("binding %u (libvirt): %s [owner %s %s]\n", i, got,
                   b->ownerName, b->ownerUUID);
        }
        if (i < fromFiles->len) {
            g_autofree char *got = formatBinding(fromFiles->pdata[i]);

            CHECK(strcmp(got, want) == 0,
                  "file binding %u:\n  got      '%s'\n  expected '%s'",
                  i, got, want);
        }
        if (i < fromLibvirt->len && i < fromFiles->len) {
            const nwfBinding *a = fromLibvirt->pdata[i], *f = fromFiles->pdata[i];

            CHECK(g_strcmp0(a->ownerName, f->ownerName) == 0 &&
                  g_strcmp0(a->ownerUUID, f->ownerUUID) == 0 &&
                  g_strcmp0(a->linkdev, f->linkdev) == 0,
                  "binding %s: owner/linkdev differ (libvirt %s %s %s, "
                  "files %s %s %s)", a->portdev, a->ownerName, a->ownerUUID,
                  a->linkdev ? a->linkdev : "-", f->ownerName, f->ownerUUID,
                  f->linkdev ? f->linkdev : "-");
            CHECK(a->path && g_str_has_prefix(a->path, "libvirt:nwfilter-binding/"),
                  "binding %s: source '%s' does not name the object",
                  a->portdev, a->path ? a->path : "(null)");
        }
    }
}

/* Builds the programs of @bindings from either filter set. */
static void
comparePrograms(const char *what, const nwfFilterSet *libvirtSet,
                GPtrArray *libvirtBindings, const nwfFilterSet *fileSet,
                GPtrArray *fileBindings, gboolean verbose)
{
    g_autoptr(GPtrArray) errA = NULL, errF = NULL;
    g_autoptr(GPtrArray) progA = nwfBuildInstantiateAll(libvirtSet, libvirtBindings, &errA);
    g_autoptr(GPtrArray) progF = nwfBuildInstantiateAll(fileSet, fileBindings, &errF);

    CHECK(progA->len == progF->len, "%s: %u programs from libvirt, %u from files",
          what, progA->len, progF->len);
    for (guint i = 0; i < progA->len && i < progF->len; i++) {
        const nwfBinding *b = libvirtBindings->pdata[i];
        const GError *ea = errA && i < errA->len ? errA->pdata[i] : NULL;
        const GError *ef = errF && i < errF->len ? errF->pdata[i] : NULL;
        g_autofree char *ta = NULL, *tf = NULL;

        if (!progA->pdata[i] || !progF->pdata[i]) {
            CHECK(!progA->pdata[i] && !progF->pdata[i],
                  "%s %s: built from one side only (libvirt: %s; files: %s)",
                  what, b->portdev, ea ? ea->message : "ok",
                  ef ? ef->message : "ok");
            if (verbose)
                CHECK(FALSE, "%s %s: cannot build: %s", what, b->portdev,
                      ea ? ea->message : "?");
            continue;
        }
        ta = virFirewallToText(progA->pdata[i]);
        tf = virFirewallToText(progF->pdata[i]);
        CHECK(strcmp(ta, tf) == 0,
              "%s %s: programs differ\n--- from libvirt\n%s--- from files\n%s",
              what, b->portdev, ta, tf);
        if (verbose)
            printf("%s %s: program of %zu groups, %zu bytes of text, identical\n",
                   what, b->portdev, virFirewallGetGroupCount(progA->pdata[i]),
                   strlen(ta));
    }
}

/* One synthetic binding per filter file of @dir: every filter (not only
 * the bound ones) must give the same program from either side. */
static void
compareEveryFilter(const char *dir, const nwfFilterSet *libvirtSet,
                   const nwfFilterSet *fileSet)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) bindings =
        g_ptr_array_new_with_free_func((GDestroyNotify)nwfBindingFree);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    guint built = 0;

    CHECK(d != NULL, "cannot read %s", dir);
    while (d && (n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, ".xml"))
            g_ptr_array_add(names, g_strndup(n, strlen(n) - 4));
    g_ptr_array_sort(names, cmpStr);
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        const nwfFilter *fa = nwfFilterSetLookup(libvirtSet, name);
        nwfBinding *b;

        CHECK(fa != NULL, "filter '%s' (file in %s) not read from libvirt",
              name, dir);
        CHECK(nwfFilterSetLookup(fileSet, name) != NULL,
              "filter '%s' not read from %s", name, dir);
        if (fa) {
            g_autofree char *src = g_strdup_printf("libvirt:nwfilter/%s", name);

            CHECK(g_strcmp0(fa->path, src) == 0,
                  "filter '%s': source '%s' does not name the object", name,
                  fa->path ? fa->path : "(null)");
        }
        b = g_new0(nwfBinding, 1);
        b->ownerName = g_strdup("synthetic");
        b->ownerUUID = g_strdup("00000000-0000-4000-8000-000000000000");
        b->portdev = g_strdup_printf("vfchk%u", i);
        b->mac = g_strdup("52:54:00:12:34:56");
        b->filter = g_strdup(name);
        b->params = nwfVarsNew();
        nwfVarsAdd(b->params, "IP", "10.1.2.3");
        nwfVarsAdd(b->params, "IP", "10.1.2.4");
        nwfVarsAdd(b->params, "IPV6", "fd00::3");
        nwfVarsAdd(b->params, "DHCPSERVER", "10.1.2.1");
        nwfVarsAdd(b->params, "DHCPSERVERV6", "fd00::1");
        nwfVarsAdd(b->params, "GATEWAY_MAC", "52:54:00:00:00:01");
        nwfVarsAdd(b->params, "CTRL_IP_LEARNING", "none");
        nwfVarsAdd(b->params, "PORTS", "22");
        nwfVarsAdd(b->params, "PORTS", "80");
        g_ptr_array_add(bindings, b);
    }
    comparePrograms("filter", libvirtSet, bindings, fileSet, bindings, FALSE);
    {
        g_autoptr(GPtrArray) err = NULL;
        g_autoptr(GPtrArray) progs = nwfBuildInstantiateAll(libvirtSet, bindings, &err);

        for (guint i = 0; i < progs->len; i++) {
            if (progs->pdata[i])
                built++;
            else
                printf("filter %s: not built with synthetic parameters "
                       "(either side): %s\n", (char *)names->pdata[i],
                       ((GError *)err->pdata[i])->message);
        }
    }
    printf("every filter: %u filter files, %u build a program with synthetic "
           "parameters, identical from libvirt and files\n", names->len, built);
    CHECK(built == names->len, "%u filters could not be built with synthetic "
          "parameters", names->len - built);
}

static int
doCheck(int argc, char **argv)
{
    const char *uri = argv[2];
    const char *filterDir = NULL, *bindingDir = NULL;
    int wantFilters = -1, wantNetworks = -1;
    g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    g_autoptr(vfHost) fromLibvirt = NULL, fromFiles = NULL;
    const char *dirs[2] = { NULL, NULL };

    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];

        if (i + 1 >= argc)
            return 2;
        if (strcmp(a, "--filter-dir") == 0) {
            filterDir = argv[++i];
        } else if (strcmp(a, "--binding-dir") == 0) {
            bindingDir = argv[++i];
        } else if (strcmp(a, "--filters") == 0) {
            wantFilters = atoi(argv[++i]);
        } else if (strcmp(a, "--networks") == 0) {
            wantNetworks = atoi(argv[++i]);
        } else if (strcmp(a, "-b") == 0) {
            char *c = canonicalSpec(argv[++i]);
            if (!c) {
                fprintf(stderr, "bad -b '%s'\n", argv[i]);
                return 2;
            }
            g_ptr_array_add(expected, c);
        } else {
            return 2;
        }
    }
    if (!filterDir || !bindingDir || wantFilters < 0 || wantNetworks < 0)
        return 2;
    g_ptr_array_sort(expected, cmpStr);   /* portdev first: portdev order */

    if (!(fromLibvirt = vfHostLoadLibvirt(uri, &err))) {
        fprintf(stderr, "FAIL: vfHostLoadLibvirt(%s): %s\n", uri, err->message);
        return 1;
    }
    dirs[0] = filterDir;
    if (!(fromFiles = vfHostLoadFiles(dirs, bindingDir, NULL, NULL, &err))) {
        fprintf(stderr, "FAIL: vfHostLoadFiles(%s, %s): %s\n", filterDir,
                bindingDir, err->message);
        return 1;
    }

    printf("filters: %u from libvirt, %u from %s (expected %d)\n",
           nwfFilterSetSize(fromLibvirt->filters),
           nwfFilterSetSize(fromFiles->filters), filterDir, wantFilters);
    CHECK(nwfFilterSetSize(fromLibvirt->filters) == (guint)wantFilters,
          "libvirt: %u filters, expected %d",
          nwfFilterSetSize(fromLibvirt->filters), wantFilters);
    CHECK(nwfFilterSetSize(fromFiles->filters) == (guint)wantFilters,
          "files: %u filters, expected %d",
          nwfFilterSetSize(fromFiles->filters), wantFilters);
    printf("networks: %u from libvirt (expected %d)\n",
           fromLibvirt->networks->len, wantNetworks);
    CHECK(fromLibvirt->networks->len == (guint)wantNetworks,
          "libvirt: %u networks, expected %d", fromLibvirt->networks->len,
          wantNetworks);

    compareBindings(fromLibvirt->bindings, fromFiles->bindings, expected);
    if (fromLibvirt->bindings->len == fromFiles->bindings->len)
        comparePrograms("binding", fromLibvirt->filters, fromLibvirt->bindings,
                        fromFiles->filters, fromFiles->bindings, TRUE);
    compareEveryFilter(filterDir, fromLibvirt->filters, fromFiles->filters);

    return failures ? 1 : 0;
}

static int
doFail(const char *uri, const char *substring)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(vfHost) host = vfHostLoadLibvirt(uri, &err);

    CHECK(host == NULL, "vfHostLoadLibvirt(%s) succeeded, expected a failure", uri);
    if (err) {
        printf("error (expected): %s\n", err->message);
        CHECK(strstr(err->message, substring) != NULL,
              "message '%s' lacks '%s'", err->message, substring);
    } else {
        CHECK(host != NULL, "failure without a message");
    }
    return failures ? 1 : 0;
}

int
main(int argc, char **argv)
{
    int rc;

    if (argc >= 3 && strcmp(argv[1], "check") == 0)
        rc = doCheck(argc, argv);
    else if (argc == 4 && strcmp(argv[1], "fail") == 0)
        rc = doFail(argv[2], argv[3]);
    else
        rc = 2;
    if (rc == 2)
        fprintf(stderr, "usage: see the comment at the top of %s\n", __FILE__);
    return rc;
}
