/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The export backend interface: how a plan becomes real in one NFS server. Private. */
#ifndef NFSROOT_BACKEND_H
#define NFSROOT_BACKEND_H

#include "host.h"
#include "probe.h"

/* The other running domains of the same backend (their records), for exports they share. */
typedef struct nfsroot_peers {
    const nfsroot_plan *const *plans;
    size_t n;
} nfsroot_peers;
/* Is one of peers the domain with this uuid? (what owns an orphan's uuid) */
bool nfsroot_peers_has_uuid(const nfsroot_peers *peers, const char *uuid);

/* A growing list of orphans (see nfsroot_orphans_list()); backends add with the push below. */
typedef struct nfsroot_orphans {
    nfsroot_orphan *v;
    size_t n;
} nfsroot_orphans;
/* Add one (uuid and where copied); -E2BIG past NFSROOT_ORPHANS_MAX. */
int nfsroot_orphans_push(nfsroot_orphans *l, const char *uuid, const char *where);
#define NFSROOT_ORPHANS_MAX 1024

typedef struct nfsroot_backend {
    /* The NFS version a guest's root should mount ("4.2"): the newest this server serves
     * correctly to a Linux guest. NULL: let the client negotiate. */
    const char *guest_nfs_version;
    /* Make this domain's exports exactly `plan` (idempotent). `old` is what the state dir
     * recorded before (NULL if nothing): entries in old but not in plan must go. Called with
     * the state lock held. */
    int (*apply)(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_plan *old,
                 const nfsroot_peers *peers, const nfsroot_log *log, nfsroot_error *err);
    /* Optional: rewrite the saved configuration of a running domain whose peers changed
     * (another domain sharing one of its exports came or went), touching nothing live. */
    int (*rewrite)(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_peers *peers,
                   nfsroot_error *err);
    /* Remove everything of `plan` (idempotent: absent entries are fine). Lock held. */
    int (*remove)(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_log *log,
                  nfsroot_error *err);
    /* Does the server export path to client right now? */
    int (*has)(const nfsroot_policy *p, const char *path, const char *client, bool *ret,
               nfsroot_error *err);
    /* Optional: the NFS major versions this server offers under policy p (NFSROOT_NFS_V*);
     * why names the setting that turns one off. NULL: v3 and v4. */
    unsigned (*nfs_versions)(const nfsroot_policy *p, char *why, size_t len);
    /* Optional: what its NFS server says about itself (see nfsroot_backend_probe()): fill ret,
     * reading host files only through nfsroot_host_read() and friends with root_fd. Without it
     * doctor reports the server as not checked. */
    int (*probe)(const nfsroot_policy *p, int root_fd, nfsroot_probe *ret, nfsroot_error *err);
    /* Optional: what in the server's own configuration decides whether a guest boots from it
     * (an error: it would not), added to f by the boot check (prepare, validate). 0 or
     * -ENOMEM. */
    int (*boot_findings)(const nfsroot_policy *p, nfsroot_findings *f);
    /* Optional: could apply() make plan live here now, with the file handles every host gives
     * it? Asked at an incoming migration (`migrate begin`) before anything moves: is the server
     * reachable and out of its grace period (where it can say), are the plan's export ids free.
     * Changes nothing live (a backend with cluster-wide claims notes there that this host
     * expects the domain). peers: the records of this backend's other running domains. */
    int (*check_incoming)(const nfsroot_policy *p, const nfsroot_plan *plan,
                          const nfsroot_peers *peers, nfsroot_error *err);
    /* Optional, for a store several hosts share: what it holds of plan's exports, for status
     * (see nfsroot_backend_view()), and what a start of plan here needs from it, for validate
     * (findings; 0 or -ENOMEM). Both read only. */
    int (*view)(const nfsroot_policy *p, const nfsroot_plan *plan, nfsroot_export_view *ret,
                nfsroot_error *err);
    int (*start_findings)(const nfsroot_policy *p, const nfsroot_plan *plan, nfsroot_findings *f);
    /* Optional: push onto ret what this backend made for a domain that none of `owners` (the
     * records of this backend) owns. State lock held. */
    int (*list_orphans)(const nfsroot_policy *p, const nfsroot_peers *owners, nfsroot_orphans *ret,
                        nfsroot_error *err);
    /* Take down the orphan made for `uuid` (idempotent), leaving what one of `owners` holds.
     * State lock held. */
    int (*remove_orphan)(const nfsroot_policy *p, const char *uuid, const nfsroot_peers *owners,
                         const nfsroot_log *log, nfsroot_error *err);
} nfsroot_backend;

const nfsroot_backend *nfsroot_backend_get(nfsroot_backend_kind kind);
#define NFSROOT_NFS_V3 (1u << 3)
#define NFSROOT_NFS_V4 (1u << 4)
/* Policy p's backend's boot_findings (see above), none without one. */
int nfsroot_backend_boot_findings(const nfsroot_policy *p, nfsroot_findings *f);
/* What policy p's backend offers (see nfs_versions above); both when it cannot say. */
unsigned nfsroot_backend_nfs_versions(const nfsroot_policy *p, char *why, size_t len);

extern const nfsroot_backend nfsroot_backend_kernel;
int nfsroot_kernel_probe(const nfsroot_policy *p, int root_fd, nfsroot_probe *ret,
                         nfsroot_error *err);                                   /* kernel-probe.c */
int nfsroot_kernel_boot_findings(const nfsroot_policy *p, nfsroot_findings *f); /* kernel-probe.c */
int nfsroot_kernel_check_incoming(const nfsroot_policy *p, const nfsroot_plan *plan,
                                  const nfsroot_peers *peers, nfsroot_error *err);
#ifdef NFSROOT_HAVE_GANESHA
extern const nfsroot_backend nfsroot_backend_ganesha;
#endif
#ifdef NFSROOT_HAVE_CEPH
extern const nfsroot_backend nfsroot_backend_ceph;
#endif

#endif
