/*
 * cache.c: the kernel's tables as last seen, keyed by the nf_tables
 * generation id
 *
 * ebtables-save of 29 000 rules takes 0.4-0.6 s. When the generation id
 * of the namespace is still the one the cache was written at, nobody has
 * committed anything since, and the cached text is what *-save would print.
 */
#include "state.h"
#include "firewall/error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>

#define CACHE_MAGIC "virt-firewall kernel cache 1"

static const char *const layerNames[] = { "ethernet", "ipv4", "ipv6" };

vfKernelState *
vfKernelStateNewFromText(char **saveText)
{
    vfKernelState *ks = g_new0(vfKernelState, 1);

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        ks->save[l] = g_steal_pointer(&saveText[l]);
    return ks;
}

char *
vfKernelCachePath(const char *statePath)
{
    return g_strdup_printf("%s.kernel", statePath);
}

/*
 * Layout: the magic line, "netns ID", "generation N", then per layer
 * "layer NAME BYTES" and exactly BYTES bytes of *-save text.
 */

/* The line at @offset of @fd (up to 255 bytes, without its newline) into
 * @buf; the offset after it. */
static gboolean
readLine(int fd, off_t *offset, char *buf, gsize size)
{
    ssize_t n = pread(fd, buf, size - 1, *offset);
    char *nl;

    if (n <= 0)
        return FALSE;
    buf[n] = '\0';
    if (!(nl = memchr(buf, '\n', n)))
        return FALSE;
    *nl = '\0';
    *offset += nl - buf + 1;
    return TRUE;
}

static vfKernelState *
loadFrom(int fd, const char *netnsId, guint32 generation)
{
    g_autofree char *want = NULL;
    g_autoptr(vfKernelState) ks = g_new0(vfKernelState, 1);
    struct stat sb;
    char line[256];
    off_t at = 0;

    /* each text read once, straight into its own block: 1.7 MB at N=1000 */
    if (fstat(fd, &sb) < 0)
        return NULL;
    want = g_strdup_printf("netns %s", netnsId);
    if (!readLine(fd, &at, line, sizeof(line)) || !g_str_equal(line, CACHE_MAGIC) ||
        !readLine(fd, &at, line, sizeof(line)) || !g_str_equal(line, want))
        return NULL;
    g_free(want);
    want = g_strdup_printf("generation %u", generation);
    if (!readLine(fd, &at, line, sizeof(line)) || !g_str_equal(line, want))
        return NULL;
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        g_autofree char *head = g_strdup_printf("layer %s ", layerNames[l]);
        char *next;
        guint64 bytes;
        ssize_t n;

        if (!readLine(fd, &at, line, sizeof(line)) || !g_str_has_prefix(line, head))
            return NULL;
        errno = 0;
        bytes = g_ascii_strtoull(line + strlen(head), &next, 10);
        if (errno || next == line + strlen(head) || *next || bytes > (guint64)(sb.st_size - at))
            return NULL;
        ks->save[l] = g_malloc(bytes + 1);
        for (gsize done = 0; done < bytes; done += n) {
            if ((n = pread(fd, ks->save[l] + done, bytes - done, at + done)) <= 0)
                return NULL;
        }
        ks->save[l][bytes] = '\0';
        at += bytes;
    }
    return at == sb.st_size ? g_steal_pointer(&ks) : NULL;
}

vfKernelState *
vfKernelCacheLoad(const char *path, const char *netnsId, guint32 generation)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    vfKernelState *ks;

    if (fd < 0)
        return NULL;
    ks = loadFrom(fd, netnsId, generation);
    close(fd);
    return ks;
}

gboolean
vfKernelCacheSave(const char *path, const char *netnsId, guint32 generation,
                  const vfKernelState *ks, GError **error)
{
    g_autoptr(vfStagedFile) f = vfKernelCacheStage(path, netnsId, generation, ks, error);

    return f && vfStagedFileCommit(f, error);
}

vfStagedFile *
vfKernelCacheStage(const char *path, const char *netnsId, guint32 generation,
                   const vfKernelState *ks, GError **error)
{
    gsize size = 256;
    g_autoptr(GString) out = NULL;
    vfStagedFile *f;

    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++)
        size += ks->save[l] ? strlen(ks->save[l]) : 0;
    out = g_string_sized_new(size);

    g_string_append_printf(out, CACHE_MAGIC "\nnetns %s\ngeneration %u\n",
                           netnsId, generation);
    for (int l = 0; l < VIR_FIREWALL_LAYER_LAST; l++) {
        const char *text = ks->save[l] ? ks->save[l] : "";
        g_string_append_printf(out, "layer %s %zu\n", layerNames[l], strlen(text));
        g_string_append(out, text);
    }
    if (!(f = vfStagedFileNew(path, out->str, out->len, error))) {
        g_prefix_error(error, "cannot write the kernel cache: ");
        return NULL;
    }
    return f;
}

void
vfKernelCacheRemove(const char *path)
{
    if (remove(path) < 0 && errno != ENOENT)
        g_warning("cannot remove %s: %s", path, g_strerror(errno));
}
