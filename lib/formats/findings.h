/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* formats/findings.h: the findings list's definitions (findings.c): what the boot check, the
 * backends' probes and guest/'s configurator say about a guest, by level. Opaque in the installed
 * header; the boot check's own parsers and checks are bootcheck-private.h's. Not installed. */
#ifndef NFSROOT_FINDINGS_H
#define NFSROOT_FINDINGS_H

#include "virt-nfsroot/virt-nfsroot-private.h"

/* The findings' definitions (opaque in the installed header). */
struct nfsroot_finding {
    nfsroot_finding_level level;
    char code[48]; /* stable identifier, e.g. "kernel-not-found" */
    char *file;    /* the file it is about, NULL when none */
    char *message; /* one sentence, values quoted, including the fix */
};

struct nfsroot_findings {
    nfsroot_finding *items;
    size_t n;
    size_t cap;
};

#endif
