/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registry on shared storage (registry.c): its name in each export root, this host's
 * identity, the claim record (this registry's and the head the ceph backend's shares) and the
 * Export_Ids kept there. The registry_* calls below serve core/claim.c only. */
#ifndef NFSROOT_REGISTRY_H
#define NFSROOT_REGISTRY_H

#include "host.h"

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

#define REGISTRY_CLAIM_FILE "#claim"
#define REGISTRY_READ_MAX 2048
#define REGISTRY_CLAIM_MAGIC "virt-nfsroot-claim 1"

/* The registry of the export root path lies under (made when create), checked to be a
 * directory only root can enter; *rel: path below that root. -ENOENT when it does not exist
 * and !create. */
int registry_open(const nfsroot_policy *p, const char *path, bool create, const char **rel,
                  nfsroot_error *err);
/* claims/<rel>/<name> in the registry regfd, opened beneath it without following links. */
int registry_open_claim(int regfd, const char *rel, const char *name, int flags);
/* The strict reader of a claim's text: 0, or -EBADMSG. */
int registry_claim_parse(char *text, nfsroot_claim *c);
/* The claim at rel: 0 and *c, -ENOENT, or -EBADMSG for one the reader refuses. */
int registry_claim_read(int regfd, const char *rel, nfsroot_claim *c);
/* c's text into buf: its length, or -ENAMETOOLONG. */
int registry_claim_format(const nfsroot_claim *c, char *buf, size_t len);
/* text as the new file tmp in dir (one left by a crash is replaced). */
int registry_write_temp(int dir, const char *tmp, const char *text, size_t len);

/* The NFS-Ganesha Export_Id of (uuid, path), kept in ids/<id> of path's registry so that every
 * host sharing the storage gives the export the same one and no two exports ever get one id:
 * the first of cand (the ids every host derives for it, in order) that the registry gives this
 * export; else the first free one, taken with link(2) when allocate (prepare), or only named
 * (`migrate begin`). An allocation stays across stops: a guest's handles stay valid. */
int nfsroot_registry_export_id(const nfsroot_policy *p, const char *uuid, const char *path,
                               const uint16_t *cand, size_t n, bool allocate, uint16_t *ret,
                               nfsroot_error *err);

#endif
