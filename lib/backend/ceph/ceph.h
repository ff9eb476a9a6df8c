/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Ceph backend's rooms, private to lib/backend/ceph/:
 *   rados.c    librados, dlopen()ed when this backend opens its cluster (other backends never
 *              load it): connect, the lock, objects with our xattrs, notify
 *   objects.c  the text ganesha reads from RADOS: the EXPORT block (FSAL CEPH) and the
 *              conf-nfs.<cluster> list of %url lines (pure, golden-tested)
 *   ceph.c     apply, remove, has: the backend interface, built from the two above
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

#endif
