/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* core/: the model and what runs it: the policy, the plan (clients, options), the records and
 * their lock, apply, claims, ownership, orphans, migrate, the hook's phases. The top floor: it
 * may include and call every room below it (base/, formats/, host/ through host.h, the backend
 * interface backend/backend.h, the boot check); nothing in lib/ includes or calls core/. Not
 * installed. */
#ifndef NFSROOT_CORE_H
#define NFSROOT_CORE_H

#include "host.h"

/* plan.c: the checks every (path, clients, options) passes before it is exported, whether it
 * comes from the domain XML (prepare) or from a record (reconnect, reconcile): the path still
 * resolves, symlink-free, to itself below an export root and outside the forbidden directories;
 * the options pass the syntax and the policy's allowed list; the clients are canonical CIDRs with
 * a prefix; everything fits the limits (formats.h). */
int nfsroot_export_check(const nfsroot_policy *p, const char *domain, const nfsroot_export *e,
                         nfsroot_error *err);

/* apply.c: what nfsroot_apply() would refuse for plan now (its paths, conflicts with the running
 * domains, the backend's check_incoming), changing nothing. */
int nfsroot_apply_check(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_log *log,
                        nfsroot_error *err);
/* migrate.c: `migrate begin` on the destination of a live migration, before anything moves. */
int nfsroot_migrate_check(const nfsroot_policy *p, const nfsroot_domain *d, const nfsroot_log *log,
                          nfsroot_error *err);
/* migrate.c: at prepare, before the guest runs here, close what this host's NFS server still
 * holds from the guest's own addresses (a stay here before a migration away: docs/MIGRATION.md).
 * Never fails: what cannot be closed is logged. */
void nfsroot_close_stale(const nfsroot_plan *plan, const nfsroot_log *log);

/* state.c: the records of what we exported, one file per domain, and the lock over them. */
int nfsroot_state_lock(const nfsroot_policy *p, int *ret_fd, nfsroot_error *err);
int nfsroot_state_read(const nfsroot_policy *p, const char *name, nfsroot_state **ret,
                       nfsroot_error *err);
int nfsroot_state_write(const nfsroot_policy *p, const nfsroot_state *s, nfsroot_error *err);
int nfsroot_state_delete(const nfsroot_policy *p, const char *name);

#endif
