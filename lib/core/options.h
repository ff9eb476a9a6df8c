/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* options.c: the options of an export. Not installed. */
#ifndef NFSROOT_OPTIONS_H
#define NFSROOT_OPTIONS_H

#include "core.h"

/* The option string of the export req asks for: the policy's defaults, then each asked option
 * (syntax checked, on the policy's allowed list, anonuser/anongroup mapped to anonuid/anongid)
 * replacing any option it excludes, "ro" when read-only; within NFSROOT_OPTIONS_MAX. name: the
 * domain, for the errors. */
int nfsroot_options_build(const nfsroot_policy *p, const char *name, const nfsroot_export_req *req,
                          bool *ret_readonly, char **ret, nfsroot_error *err);
/* The option string of a built export (from a plan or a record) is one the policy could have
 * built: syntax, permitted names, no two options that exclude each other, "ro" when read-only. */
int nfsroot_options_check(const nfsroot_policy *p, const char *name, const nfsroot_export *e,
                          nfsroot_error *err);

#endif
