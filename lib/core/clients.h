/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clients.c: the clients of an export and the networks they come from. Not installed. */
#ifndef NFSROOT_CLIENTS_H
#define NFSROOT_CLIENTS_H

#include "core.h"

/* The networks of the domain's interfaces of type network or bridge (-ENONET when it has none). */
int nfsroot_networks_load(const nfsroot_policy *p, const nfsroot_domain *d, nfsroot_netinfo ***ret,
                          size_t *ret_n, nfsroot_error *err);
void nfsroot_networks_free(nfsroot_netinfo **nets, size_t n);
/* The clients of an export that names none: the address the primary network pins for the domain,
 * or (when the policy allows it, with a warning) its whole subnets; ret_wide says which. */
int nfsroot_clients_default(const nfsroot_policy *p, const nfsroot_domain *d,
                            const nfsroot_netinfo *primary, const nfsroot_log *log, char ***ret,
                            bool *ret_wide, nfsroot_error *err);
/* The clients req asks for as canonical CIDRs (duplicates dropped), each inside one of nets
 * unless the policy allows wider clients; defaults when it asks for none. */
int nfsroot_clients_build(const nfsroot_policy *p, const char *name, const nfsroot_export_req *req,
                          nfsroot_netinfo *const *nets, size_t n_nets, char **defaults, char ***ret,
                          nfsroot_error *err);
/* The clients of a built export (from a plan or a record): 1 to NFSROOT_CLIENTS_MAX canonical
 * CIDRs with a prefix, none twice. */
int nfsroot_clients_check(const char *name, const nfsroot_export *e, nfsroot_error *err);

#endif
