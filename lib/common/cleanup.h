/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cleanup functions for the library's public types, for lib/, tools/ and the C tests:
 * _cleanup_(nfsroot_plan_freep) nfsroot_plan *plan = NULL; Private: never installed. */
#ifndef NFSROOT_CLEANUP_H
#define NFSROOT_CLEANUP_H

#include "macro.h"
#include "virt-nfsroot/virt-nfsroot-private.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(nfsroot_domain *, nfsroot_domain_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(nfsroot_policy *, nfsroot_policy_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(nfsroot_plan *, nfsroot_plan_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(nfsroot_findings *, nfsroot_findings_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(nfsroot_netinfo *, nfsroot_netinfo_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(nfsroot_netdhcp *, nfsroot_netdhcp_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(nfsroot_probe *, nfsroot_probe_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(nfsroot_conffile *, nfsroot_conffile_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, nfsroot_strv_free)

#endif
