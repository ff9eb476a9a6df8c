/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Between claim.c and registry.c only: the registry's layout and the claim record's reader and
 * writer. Everything else sees claim.h. */
#ifndef NFSROOT_REGISTRY_H
#define NFSROOT_REGISTRY_H

#include "claim.h"

#define CLAIM_FILE "#claim"
#define CLAIM_READ_MAX 2048
#define CLAIM_MAGIC "virt-nfsroot-claim 1"

/* The registry of the export root path lies under (made when create), checked to be a
 * directory only root can enter; *rel: path below that root. -ENOENT when it does not exist
 * and !create. */
int registry_open(const nfsroot_policy *p, const char *path, bool create, const char **rel,
                  nfsroot_error *err);
/* claims/<rel>/<name> in the registry regfd, opened beneath it without following links. */
int open_claim(int regfd, const char *rel, const char *name, int flags);
/* The strict reader of a claim's text: 0, or -EBADMSG. */
int claim_parse(char *text, nfsroot_claim *c);
/* The claim at rel: 0 and *c, -ENOENT, or -EBADMSG for one the reader refuses. */
int claim_read(int regfd, const char *rel, nfsroot_claim *c);
/* c's text into buf: its length, or -ENAMETOOLONG. */
int claim_format(const nfsroot_claim *c, char *buf, size_t len);
/* text as the new file tmp in dir (one left by a crash is replaced). */
int write_temp(int dir, const char *tmp, const char *text, size_t len);

#endif
