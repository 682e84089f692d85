#pragma once
#include <glib.h>

#define VF_ERROR (vf_error_quark())
GQuark vf_error_quark(void);

typedef enum {
    VF_ERROR_FAILED,       /* a firewall command failed */
    VF_ERROR_INVALID,      /* a program or argument cannot be represented */
    VF_ERROR_UNSUPPORTED,  /* a command the backend cannot express */
    VF_ERROR_LOCKED,       /* the xtables lock could not be taken */
    VF_ERROR_TOOL,         /* a firewall tool is missing or crashed */
    VF_ERROR_PARSE,        /* malformed input file */
} vfErrorCode;
