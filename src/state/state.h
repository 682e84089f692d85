/*
 * state.h: knowing what not to rebuild, verified against the kernel
 *
 * For each unit (an interface, or the host's networks) the state file
 * keeps a hash of its desired program and a hash of what the kernel
 * showed for its chains and hooks right after the apply (from *-save, the
 * kernel's own rendering). A unit is skipped only when both still match:
 * a changed filter or parameter changes the first, a flush or a foreign
 * edit (firewalld reload, an administrator) changes the second.
 */
#pragma once

#include "firewall/runner.h"
#include "firewall/firewall.h"
#include "firewall/target.h"

/*
 * The kernel's tables as a command knows them (view.c): one *-save text
 * per layer, and the generation id they are the kernel's at. Read from
 * the kernel, loaded from the kernel cache, or made from what an apply
 * left; trusted later only by the target's generation rule (target.h).
 */
typedef struct {
    char *save[VIR_FIREWALL_LAYER_LAST];
    /* the texts are the kernel's at this id; unknown: they were when
     * read, but nobody can tell for how long */
    vfGeneration at;
    gboolean cached;     /* loaded from the kernel cache, which holds it */
    GHashTable *index;   /* unit -> its lines; built on first use (NULL: none) */
    GHashTable *ifnames; /* the interfaces the index knows */
    gboolean indexFull;  /* the index has every unit, not only those asked for */
    guint scans;         /* units indexed one by one so far */
    int scanMax;         /* see vfKernelStateSetScanMax */
} vfKernelState;

/* One *-save per layer of @target's kernel: ->at known when the
 * generation id did not move while they were read. */
vfKernelState *vfKernelStateRead(vfTarget *target, GError **error);
/* The kernel cache at @cachePath if it is the kernel's now (its
 * generation id and namespace), else NULL. */
vfKernelState *vfKernelStateLoadCached(vfTarget *target, const char *cachePath);
/* That, else vfKernelStateRead. */
vfKernelState *vfKernelStateOpen(vfTarget *target, const char *cachePath,
                                 GError **error);
/* After an apply that may have changed @layers: those read again, the
 * others copied from @before (nothing wrote them). With a generation id
 * every layer is read, so that the whole is the kernel's at one id (->at
 * known if it did not move while reading). */
vfKernelState *vfKernelStateReread(vfTarget *target, const vfKernelState *before,
                                   guint layers, GError **error);
/* The generation rule for a view: are @ks's tables, changed by
 * @transactions of our own, the kernel's now? *@now: the id now. */
gboolean vfKernelStateOnlyOurs(const vfKernelState *ks, vfTarget *target,
                               guint transactions, vfGeneration *now);
/* A state from *-save texts known by other means (taken), of unknown
 * generation. */
vfKernelState *vfKernelStateNewFromText(char **saveText);
/* The tables an apply left: @texts (taken) where it wrote them, NULL
 * where @before's hold (copied); the kernel's at @at. */
vfKernelState *vfKernelStateNewAfter(const vfKernelState *before, char **texts,
                                     vfGeneration at);
/* The kernel cache at @cachePath for @ks: written when @ks is the
 * kernel's at a known id, else removed (stale). Failures are only told
 * to the debug log: the cache is a shortcut. */
void vfKernelStateRecord(const vfKernelState *ks, vfTarget *target,
                         const char *cachePath);
void vfKernelStateFree(vfKernelState *ks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfKernelState, vfKernelStateFree)

/* Tells the state which interfaces exist, so one pass over the *-save
 * text can sort every line to its owner (interface names may contain
 * '-', so a chain name alone is ambiguous). */
void vfKernelStateIndex(vfKernelState *ks, const char *const *ifnames);

/* How the lines are sorted to their units: while the state knows at most
 * @max interfaces, each unit asked for (at most @max + 1) by a pass that
 * looks only at the lines that may be its (one VM starting), else all
 * units in one pass. 0: the default (8); < 0: always all units at once.
 * The lines are the same either way (tests compare them). */
void vfKernelStateSetScanMax(vfKernelState *ks, int max);

/* The lines of an interface's chains and of the hooks that name it, in
 * every layer (root-chain jumps sorted: their order depends on the order
 * interfaces were instantiated), hashed. Needs vfKernelStateIndex(). */
char *vfKernelHashInterface(vfKernelState *ks, const char *ifname);
/* The same for libvirt's network chains (LIBVIRT_*) and their hooks. */
char *vfKernelHashNetworks(vfKernelState *ks);
/* The lines behind the hash (tests, diagnostics). */
char *vfKernelLinesInterface(vfKernelState *ks, const char *ifname);

char *vfDesiredHash(GPtrArray *programs);  /* of virFirewall* */

typedef struct _vfStateFile vfStateFile;

/* An empty state, to be saved at @path. */
vfStateFile *vfStateFileNew(const char *path, const char *netnsId);
/* A missing file is an empty state. A state written for another network
 * namespace or another tool version is treated as empty too. A file that
 * is not a state file (not JSON, nested deeper than ours) is an error. */
vfStateFile *vfStateFileLoad(const char *path, const char *netnsId,
                             GError **error);
/* The same from the file's @len bytes of @text. */
vfStateFile *vfStateFileParse(const char *path, const char *netnsId,
                              const char *text, gsize len, GError **error);
gboolean vfStateFileSave(vfStateFile *st, GError **error);
void vfStateFileFree(vfStateFile *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfStateFile, vfStateFileFree)

/* NULL when unknown */
const char *vfStateFileGetDesired(vfStateFile *st, const char *unit);
const char *vfStateFileGetKernel(vfStateFile *st, const char *unit);
void vfStateFileSet(vfStateFile *st, const char *unit, const char *desired,
                    const char *kernel);
void vfStateFileRemove(vfStateFile *st, const char *unit);
GStrv vfStateFileUnits(vfStateFile *st);

/* The nf_tables generation id the recorded kernel hashes were taken at
 * (nftgen.h): while the namespace still has it, they still hold. */
gboolean vfStateFileGetGeneration(vfStateFile *st, guint32 *generation);
void vfStateFileSetGeneration(vfStateFile *st, gboolean known,
                              guint32 generation);

/* The digest of the host's input files (vfHostInputDigest) of the last
 * reconnect that left every unit applied; NULL when unknown. */
const char *vfStateFileGetInputs(vfStateFile *st);
void vfStateFileSetInputs(vfStateFile *st, const char *digest);

/* The kernel cache beside the state file (cache.c): the *-save texts as
 * of one generation id. Load gives NULL unless the file is intact and
 * was written in namespace @netnsId at @generation. */
char *vfKernelCachePath(const char *statePath);
vfKernelState *vfKernelCacheLoad(const char *path, const char *netnsId,
                                 guint32 generation);
gboolean vfKernelCacheSave(const char *path, const char *netnsId,
                           guint32 generation, const vfKernelState *ks,
                           GError **error);
void vfKernelCacheRemove(const char *path);

/* A file written now under a temporary name beside @path, and later put
 * in place (renamed over @path) or dropped: what a VM start records is
 * written while its restore tool works, kept if the tool did what was
 * expected. The rename is atomic; there is no fsync(): see state.c. */
typedef struct _vfStagedFile vfStagedFile;
vfStagedFile *vfStagedFileNew(const char *path, const char *data, gsize len,
                              GError **error);
gboolean vfStagedFileCommit(vfStagedFile *f, GError **error);
void vfStagedFileFree(vfStagedFile *f);   /* drops the file unless committed */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vfStagedFile, vfStagedFileFree)

vfStagedFile *vfStateFileStage(vfStateFile *st, GError **error);
vfStagedFile *vfKernelCacheStage(const char *path, const char *netnsId,
                                 guint32 generation, const vfKernelState *ks,
                                 GError **error);
vfStateFile *vfStateFileCopy(vfStateFile *st);

