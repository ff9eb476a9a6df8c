/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Claims on shared storage (claim.c): which host runs which domain on a read-write export, kept
 * where every host that mounts the export root sees it. Private to the library and the CLI. */
#ifndef NFSROOT_CLAIM_H
#define NFSROOT_CLAIM_H

#include "core.h"

/* The registry's name, a root-owned 0700 directory directly in each export root: never
 * exported (the plan refuses any path with this component), never inside a guest's tree. */
#define NFSROOT_REGISTRY_NAME ".virt-nfsroot"
#define NFSROOT_HOST_ID_MAX 64

typedef struct nfsroot_claim {
    char host[NFSROOT_HOST_ID_MAX + 1];
    char uuid[37];
    char domain[201]; /* control characters shown as '?': a name for messages only */
    char path[NFSROOT_PATH_MAX + 1];
    char from[NFSROOT_HOST_ID_MAX + 1]; /* a migration's source until its release, or "" */
} nfsroot_claim;

/* The head every claim record starts with (this registry's, and the ceph backend's in RADOS):
 * the magic line, then "host", "uuid", "domain" and "path" lines in that order, into dst[i]
 * (len[i] bytes), each value free of control characters and shorter than its field, the uuid
 * valid and the path absolute and normalised; *save is strtok_r's, for the lines after them.
 * 0, or -EBADMSG. */
int nfsroot_claim_parse_head(char *text, const char *magic, char *const dst[static 4],
                             const size_t len[static 4], char **save);
/* The head of this host's (me) claim of path for plan's domain, into dst[i] as above, the
 * domain's control characters shown as '?'. */
void nfsroot_claim_head_set(char *const dst[static 4], const size_t len[static 4], const char *me,
                            const nfsroot_plan *plan, const char *path);
/* The dst and len arguments of the two above for a claim struct *c with the four head fields
 * host, uuid, domain and path (this registry's nfsroot_claim, the ceph backend's ceph_claim). */
/* clang-format off */
#define NFSROOT_CLAIM_FIELDS(c) (char *const[]){ (c)->host, (c)->uuid, (c)->domain, (c)->path }
#define NFSROOT_CLAIM_SIZES(c) \
    (const size_t[]){ sizeof((c)->host), sizeof((c)->uuid), sizeof((c)->domain), sizeof((c)->path) }
/* clang-format on */
#define NFSROOT_CLAIM_HEAD(c) NFSROOT_CLAIM_FIELDS(c), NFSROOT_CLAIM_SIZES(c)

/* This host's identity: the policy's host_id, else the first line of /etc/machine-id. */
int nfsroot_host_id(const nfsroot_policy *p, char ret[static NFSROOT_HOST_ID_MAX + 1],
                    nfsroot_error *err);
/* Take the claims of plan's read-write exports (prepare, under the state lock): refused when
 * another host's claim holds a path, an ancestor or a descendant of one, unless it is this
 * domain's own claim on its migration source (an incoming migration checked by `migrate begin`
 * here) or this host's own claim of a domain it has no record of (it restarted). */
int nfsroot_claims_take(const nfsroot_policy *p, const nfsroot_plan *plan, nfsroot_error *err);
/* The same checks, taking nothing (`migrate begin`); *ret_handover: another host holds this
 * domain's claims (its migration source), which nfsroot_claims_expect() then allows. */
int nfsroot_claims_check(const nfsroot_policy *p, const nfsroot_plan *plan, bool *ret_handover,
                         nfsroot_error *err);
/* Remember here (<state_dir>/incoming/<uuid>, for 10 minutes) that `migrate begin` accepted
 * this domain from the host holding its claims: the prepare that follows takes them over. */
int nfsroot_claims_expect(const nfsroot_policy *p, const nfsroot_plan *plan, nfsroot_error *err);
/* Drop plan's claims that this host holds for plan's UUID; one another host took over (the
 * domain migrated away) stays. Failures are logged. */
void nfsroot_claims_drop(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_log *log);
/* nfsroot_claim_find() and nfsroot_claim_break() are public (virt-nfsroot.h): `delete --tree`
 * and `reconcile --break-claim` ask them. */
/* The NFS-Ganesha Export_Id of (uuid, path), kept in ids/<id> of path's registry so that every
 * host sharing the storage gives the export the same one and no two exports ever get one id:
 * the first of cand (the ids every host derives for it, in order) that the registry gives this
 * export; else the first free one, taken with link(2) when allocate (prepare), or only named
 * (`migrate begin`). An allocation stays across stops: a guest's handles stay valid. */
int nfsroot_registry_export_id(const nfsroot_policy *p, const char *uuid, const char *path,
                               const uint16_t *cand, size_t n, bool allocate, uint16_t *ret,
                               nfsroot_error *err);

#endif
