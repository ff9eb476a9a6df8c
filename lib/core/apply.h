/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What apply.c shares with orphans.c: the records under the state lock and the backends. */
#pragma once

#include "backend/backend.h"
#include "core.h"

/* Lists from nfsroot_state_list() are also NULL-terminated: a _cleanup_ for them. */
void apply_state_list_cleanup(nfsroot_state ***l);
/* Every readable record; unreadable ones are logged and skipped. */
int apply_list_states(const nfsroot_policy *p, const nfsroot_log *log, nfsroot_state ***ret,
                      size_t *ret_n, nfsroot_error *err);
/* The backend of kind, or NULL with err saying it is not built in. */
const nfsroot_backend *apply_backend_for(nfsroot_backend_kind kind, const char *domain,
                                         nfsroot_error *err);
/* The plans of the records of backend kind, but skip1/skip2 (domain names), plus extra. */
int apply_collect_peers(nfsroot_state *const *all, size_t n, nfsroot_backend_kind kind,
                        const char *skip1, const char *skip2, const nfsroot_plan *extra,
                        const nfsroot_plan ***ret_buf, nfsroot_peers *ret);
