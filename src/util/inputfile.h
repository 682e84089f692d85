/*
 * inputfile.h: reading the files libvirt leaves for us (filters, binding
 * and network status files, network.conf) without trusting them
 *
 * libvirt opens whatever ends in .xml: a FIFO there hangs it, a symlink to
 * /dev/zero reads until memory runs out. vfInputFileRead() reads regular
 * files only (a FIFO, device, socket or directory is refused without being
 * opened, also behind a symlink; /dev/null reads as the empty file) and
 * at most VF_INPUT_FILE_MAX bytes.
 */
#pragma once

#include <glib.h>

/* The largest input file read: a binding is ~400 bytes, the largest stock
 * filter 3 KiB; libxml2 refuses single text nodes over 10 MB anyway. */
#define VF_INPUT_FILE_MAX (10 * 1024 * 1024)

/* Why a file was not read (VF_INPUT_FILE_ERROR domain). */
#define VF_INPUT_FILE_ERROR (vf_input_file_error_quark())
GQuark vf_input_file_error_quark(void);

typedef enum {
    VF_INPUT_FILE_ERROR_MISSING,    /* does not exist (or a dangling symlink) */
    VF_INPUT_FILE_ERROR_SPECIAL,    /* not a regular file: not opened */
    VF_INPUT_FILE_ERROR_TOO_LARGE,  /* over the size limit: not read */
    VF_INPUT_FILE_ERROR_IO,         /* cannot be opened or read */
} vfInputFileError;

/* Reads @path whole into *@text (NUL-terminated; *@len without the NUL,
 * which may be less than the file holds NUL bytes). Messages name @path. */
gboolean vfInputFileRead(const char *path, gsize maxSize, char **text,
                         gsize *len, GError **error);

/* "a FIFO", "a directory", ... for st_mode (for messages) */
const char *vfInputFileKind(unsigned int mode);
