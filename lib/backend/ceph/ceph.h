/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Ceph backend's rooms, private to lib/backend/ceph/:
 *   rados.c    librados, dlopen()ed when this backend opens its cluster (other backends never
 *              load it): connect, the lock, objects with our xattrs, notify
 *   objects.c  the text ganesha reads from RADOS: the EXPORT block (FSAL CEPH) and the
 *              conf-nfs.<cluster> list of %url lines (pure, golden-tested)
 *   claims.c   the claim of a running domain's read-write export path, an object per path
 *              beside the exports, changed under the same lock; its hand-over at a migration
 *   probe.c    doctor's rows: cluster, namespace, grace membership, export roots on CephFS
 *   view.c     status's view of the cluster per export, validate's findings for a start here
 *   ceph.c     apply, remove, has, check_incoming: the backend interface, built from the above
 * The layout is the Ceph mgr `nfs` module's: pool .nfs, namespace <cluster>, `export-<id>` per
 * EXPORT block, `conf-nfs.<cluster>` listing them, a notify on it to make every ganesha reload.
 */
#ifndef NFSROOT_CEPH_H
#define NFSROOT_CEPH_H

#include "backend/backend.h"

/* ---- rados.c ---------------------------------------------------------------------------- */

typedef struct rados_conn rados_conn; /* a cluster connection and an ioctx on pool/namespace */

int rados_conn_open(const nfsroot_policy *p, const char *domain, rados_conn **ret,
                    nfsroot_error *err);
void rados_conn_close(rados_conn *c); /* NULL-safe */
DEFINE_TRIVIAL_CLEANUP_FUNC(rados_conn *, rados_conn_close)
/* The exclusive lock on conf-nfs.<cluster> that every change of the url list is made under;
 * it expires after CEPH_LOCK_SECONDS (a killed holder blocks nobody for longer). Waits up to
 * CEPH_LOCK_WAIT_SECONDS for another holder. */
#define CEPH_LOCK_SECONDS 30
#define CEPH_LOCK_WAIT_SECONDS 60
int rados_conn_lock(rados_conn *c, nfsroot_error *err);
void rados_conn_unlock(rados_conn *c);
/* A whole object (at most CEPH_OBJECT_MAX bytes; caller frees); -ENOENT when absent. */
#define CEPH_OBJECT_MAX (1024 * 1024)
int rados_conn_read(rados_conn *c, const char *oid, char **ret, nfsroot_error *err);
/* Replace oid by text (and set our xattrs uuid/path when uuid is not NULL), atomically. */
int rados_conn_write(rados_conn *c, const char *oid, const char *text, const char *uuid,
                     const char *path, nfsroot_error *err);
int rados_conn_remove(rados_conn *c, const char *oid, nfsroot_error *err); /* absent is fine */
/* Who made export object oid: 1 ours for (uuid, path), 0 someone else's (or another
 * domain's), -ENOENT absent, other -errno. */
int rados_conn_owned(rados_conn *c, const char *oid, const char *uuid, const char *path);
/* Notify conf-nfs.<cluster>: every watching ganesha reloads. *ret_replies: how many answered. */
int rados_conn_notify(rados_conn *c, unsigned *ret_replies, nfsroot_error *err);
const char *rados_conn_conf_oid(const rados_conn *c); /* conf-nfs.<cluster> */
/* Is node in ganesha's grace database (object "grace", the rados_cluster recovery backend's)?
 * 1 yes, 0 no, -ENOENT no grace database, other -errno. */
int rados_conn_grace_member(rados_conn *c, const char *node);
/* The node ids in the grace database (at most CEPH_GRACE_MEMBERS_MAX, each cut at
 * CEPH_NODE_ID_MAX bytes, '?' for a byte no node id has) into out, ", " between; -ENOENT no
 * grace database. */
#define CEPH_GRACE_MEMBERS_MAX 64
#define CEPH_NODE_ID_MAX 64
int rados_conn_grace_members(rados_conn *c, char *out, size_t len, size_t *ret_n);
/* Who watches conf-nfs.<cluster>: a notify (each watching ganesha reloads the same list, as at
 * every prepare) and its reply's counts, those that answered and those that did not in 10 s. */
int rados_conn_watchers(rados_conn *c, unsigned *ret_acks, unsigned *ret_timeouts,
                        nfsroot_error *err);
/* The ids of the export-<id> objects in the namespace (canonical names only), at most max. */
int rados_conn_export_ids(rados_conn *c, uint16_t *ret, size_t max, size_t *ret_n,
                          nfsroot_error *err);
/* The domain UUID in our xattr of oid: 0, -ENODATA (none, or not a UUID: not ours), -ENOENT. */
int rados_conn_owner(rados_conn *c, const char *oid, char uuid[static 37]);

/* ---- objects.c -------------------------------------------------------------------------- */

/* export-<id> */
void ceph_export_oid(uint16_t id, char *buf, size_t len);
/* The EXPORT block of e as export-<id> holds it (caller frees): Path is e's path inside
 * CephFS (below the export root it lies in, which is a mount of CephFS's root). */
int ceph_format_export(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_export *e,
                       uint16_t id, char **ret, nfsroot_error *err);
/* Does the url list name export-<id> (of pool/namespace)? */
bool ceph_urls_has(const char *text, const nfsroot_policy *p, uint16_t id);
/* The url list text with export-<id> of add[] appended (when missing) and of del[] dropped;
 * every other line kept as it is (caller frees). */
int ceph_urls_edit(const char *text, const nfsroot_policy *p, const uint16_t *add, size_t n_add,
                   const uint16_t *del, size_t n_del, char **ret);
/* The ids the url list names (at most max of them, in its order). */
size_t ceph_urls_ids(const char *text, const nfsroot_policy *p, uint16_t *ret, size_t max);
/* Is the EXPORT block text's Pseudo path? */
bool ceph_export_pseudo_is(const char *text, const char *path);
/* Does the EXPORT block text list client in its Clients? */
bool ceph_export_has_client(const char *text, const char *client);

/* ---- claims.c --------------------------------------------------------------------------- */

#define CEPH_HOST_MAX 65            /* a host id and its NUL */
#define CEPH_HANDOVER_MAX_AGE_S 600 /* `migrate begin`'s note lasts this long */
typedef struct ceph_claim {
    char host[CEPH_HOST_MAX]; /* who holds it */
    char uuid[37];
    char domain[201]; /* for messages only; control characters refused */
    char path[NFSROOT_PATH_MAX + 1];
    int64_t since;
    char from[CEPH_HOST_MAX]; /* a migration's source until its release, or "" */
    char to[CEPH_HOST_MAX];   /* the destination `migrate begin` accepted it on, or "" */
    int64_t to_since;
} ceph_claim;

/* This host's id in claims: policy ceph_node_id, else its hostname. */
int ceph_claim_me(const nfsroot_policy *p, char me[static CEPH_HOST_MAX], nfsroot_error *err);
/* The object's text (pure; -ENAMETOOLONG when len is short), and its strict reader
 * (-EBADMSG). */
int ceph_claim_format(const ceph_claim *c, char *buf, size_t len);
int ceph_claim_parse(char *text, ceph_claim *c);
/* Under the lock. Take the claims of plan's read-write exports: refused (-EBUSY, nothing
 * written) when another host holds one, unless it hands this domain over to me or its ganesha
 * node left the grace database. */
int ceph_claims_take(rados_conn *c, const nfsroot_policy *p, const nfsroot_plan *plan,
                     const char *me, const nfsroot_log *log, nfsroot_error *err);
/* At a release: *ret_away when the domain runs on another host now (a migration's source, or a
 * destination whose migration failed): the claims are that host's alone then, and the exports
 * must stay. */
int ceph_claims_handover(rados_conn *c, const nfsroot_plan *plan, const char *me,
                         const nfsroot_log *log, bool *ret_away, nfsroot_error *err);
/* Remove the claims me holds for plan's read-write exports but those keep has read-write. */
int ceph_claims_drop(rados_conn *c, const nfsroot_plan *plan, const nfsroot_plan *keep,
                     const char *me, nfsroot_error *err);
/* `migrate begin` here: every read-write export claimed for this domain; note the hand-over to
 * me in the claims another host holds. */
int ceph_claims_expect(rados_conn *c, const nfsroot_policy *p, const nfsroot_plan *plan,
                       const char *me, nfsroot_error *err);
/* The claim on path: 0 and *ret, -ENOENT, or an error (one the strict reader refuses). */
int ceph_claim_read(rados_conn *c, const char *domain, const char *path, ceph_claim *ret,
                    nfsroot_error *err);
/* Would ceph_claims_take() let me take plan's claims now? 0, or its refusal. Writes nothing. */
int ceph_claims_check(rados_conn *c, const nfsroot_policy *p, const nfsroot_plan *plan,
                      const char *me, nfsroot_error *err);

/* ---- ceph.c ----------------------------------------------------------------------------- */

/* The policy's export id range keeps clear of the mgr module's ids (error names the domain). */
int ceph_check_policy(const nfsroot_policy *p, const char *domain, nfsroot_error *err);
/* e's id: ours among its candidates, else (allocate) the first free one; -ENOENT when not
 * ours and not allocating. urls: the url list's text; taken: ids given to this plan's earlier
 * exports. Ours is listed, or (a host killed between object and list) unlisted before the
 * first free candidate. */
int ceph_find_id(rados_conn *c, const nfsroot_policy *p, const nfsroot_plan *plan,
                 const nfsroot_export *e, const char *urls, const uint16_t *taken, size_t n_taken,
                 bool allocate, uint16_t *ret, nfsroot_error *err);

/* ---- view.c ----------------------------------------------------------------------------- */

/* status: what the cluster holds of plan's exports; validate: what a start here needs of it. */
int ceph_view(const nfsroot_policy *p, const nfsroot_plan *plan, nfsroot_export_view *ret,
              nfsroot_error *err);
int ceph_start_findings(const nfsroot_policy *p, const nfsroot_plan *plan, nfsroot_findings *f);

/* ---- probe.c ---------------------------------------------------------------------------- */

int ceph_probe(const nfsroot_policy *p, int root_fd, nfsroot_probe *ret, nfsroot_error *err);

#endif
