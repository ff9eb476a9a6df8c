/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a backend's probe fills (opaque in the installed header, so a backend with more to say
 * keeps the ABI). Private to the library. */
#ifndef NFSROOT_BACKEND_PROBE_H
#define NFSROOT_BACKEND_PROBE_H

#include "virt-nfsroot/virt-nfsroot-private.h"
#include "common/macro.h"

#define NFSROOT_PROBE_CHECKS_MAX 8

/* One row of what the backend needs from its server's configuration. */
typedef struct nfsroot_probe_check {
    char id[32];
    nfsroot_probe_status status;
    char reason[640];
    char fix[640];
} nfsroot_probe_check;

struct nfsroot_probe {
    int running;      /* 1 running, 0 not (reason says why, fix how to start it), -1 unknown */
    long pid;         /* its process when found, else 0 */
    long threads;     /* its server threads when known, else -1 */
    char reason[512]; /* one sentence: what runs ("... running with 8 threads") or why not */
    char fix[512];    /* how to start it; empty when running */
    int versions[NFSROOT_PROBE_VERSIONS]; /* 1 served, 0 off, -1 unknown */
    bool versions_unreadable;             /* unknown although the server should say (a warning) */
    char versions_reason[256];            /* why the versions are unknown; empty when known */
    const char *version_on[NFSROOT_PROBE_VERSIONS];  /* the setting that turns each on */
    const char *version_off[NFSROOT_PROBE_VERSIONS]; /* ... off ("vers2=n"), NULL: unknown */
    char versions_where[256];   /* where those go and how to apply them ("in [nfsd] of ...") */
    const char *helper;         /* a program the backend runs as root (policy's), NULL: none */
    const char *helper_records; /* where the server records what that program exported */
    const char *helper_fix;     /* how to install it */
    /* What its configuration means for guests live-migrated here: 1 fine, 0 a warning (reason
     * says what a moved guest would suffer, fix what to set on every host), -1 not checked. */
    int migration;
    char migration_reason[512];
    char migration_fix[512];
    /* rpcbind: 2 the server does not start without it, 1 NFSv3 guests need it, 0 not needed,
     * -1 not known (doctor then asks the backend's nfs_versions); the reason in one clause. */
    int rpcbind;
    char rpcbind_reason[512];
    /* What the backend needs from its server's own configuration, one row each. */
    nfsroot_probe_check checks[NFSROOT_PROBE_CHECKS_MAX];
    size_t n_checks;
};

/* Add a row to ret->checks (dropped past NFSROOT_PROBE_CHECKS_MAX); fix NULL: none. */
void nfsroot_probe_add_check(nfsroot_probe *ret, const char *id, nfsroot_probe_status status,
                             const char *fix, const char *fmt, ...) _printf_(5, 6);

#endif
