/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Claims on shared storage (claim.c): which host runs which domain on a read-write export, kept
 * where every host that mounts the export root sees it (the registry, registry.h). Private to
 * the library and the CLI. */
#ifndef NFSROOT_CLAIM_H
#define NFSROOT_CLAIM_H

#include "registry.h"

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
#endif
