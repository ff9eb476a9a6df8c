/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* formats/: the model's data (the private definitions domain.h, findings.h, netinfo.h, plan.h,
 * policy.h) and what the library reads and writes, each format in one file: domain XML and our
 * metadata (and the one domain-name rule), libvirt's network XML and its DHCP hosts, CIDRs,
 * exports(5), nfs-utils' configuration, nsswitch.conf, os-release, the record text, the backend
 * kinds' names (backend-kind.c), the findings list (findings.c). It may include base/; never
 * host/, core/, a backend or the boot check. Not installed. */
#ifndef NFSROOT_FORMATS_H
#define NFSROOT_FORMATS_H

#include "base.h"
#include "domain.h"
#include "findings.h"
#include "netinfo.h"
#include "plan.h"
#include "policy.h"

/* Limits on what one domain may export (docs/SECURITY.md, "Limits"). The kernel backend writes
 * each client as one exports(5) token "client(options)", and exportfs refuses a token over 512
 * characters (measured: a syntax error, and that file's exports are dropped): a client is at most
 * 43 characters, so 200 for the options keeps every token under 250. Each (path, client) pair is
 * one exportfs run under the host-wide state lock, so the pair count bounds the hold time. */
#define NFSROOT_OPTION_MAX 64   /* one option, "name=value" */
#define NFSROOT_OPTIONS_MAX 200 /* the whole option string of one export */
#define NFSROOT_CLIENTS_MAX 16  /* clients of one export */
#define NFSROOT_EXPORTS_MAX 16  /* exports of one domain */
#define NFSROOT_PAIRS_MAX 32    /* (path, client) pairs of one domain */
#define NFSROOT_PATH_MAX 1023   /* bytes of an export path */

/* plan.c: does plan export path to client? (plan may be NULL) */
bool nfsroot_plan_has(const nfsroot_plan *plan, const char *path, const char *client);
/* backend-kind.c: the backend kinds' names, as the policy's `backend =` and the records spell
 * them (nfsroot_backend_name() is the public one); "unknown" for a kind without one. Kinds run
 * from 0 to nfsroot_backend_count() (exclusive); nfsroot_backend_get() says which are built in. */
const char *nfsroot_backend_kind_to_string(nfsroot_backend_kind kind);
int nfsroot_backend_kind_from_string(const char *s, nfsroot_backend_kind *ret);
size_t nfsroot_backend_count(void);
/* "'kernel', 'ganesha'": every name known, for a message. */
void nfsroot_backend_names(char *buf, size_t len);
/* record.c: 8-4-4-4-12 hex digits, as libvirt writes a domain's UUID. */
bool nfsroot_uuid_is_valid(const char *s);
/* record.c, beside the reader that makes them */
void nfsroot_state_free(nfsroot_state *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(nfsroot_state *, nfsroot_state_free)

#endif
