/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnfsidmap through dlopen() where it is used: the boot check's NFSv4 domain (prepare,
 * validate, create) and anonuser=/anongroup= options. Linked, the dynamic loader would map and
 * relocate it at every run of the hook, release included, which asks it nothing. */
#pragma once

#include <sys/types.h> /* before nfsidmap.h, which needs it */

#include <nfsidmap.h>

#include "host.h"

typedef struct nfsroot_idmap {
    void *handle; /* dlclose() it (RTLD_NODELETE: libnfsidmap's own state stays) */
    int (*init_name_mapping)(char *conffile);
    int (*get_default_domain)(char *server, char *domain, size_t len);
    void (*set_debug)(int level, nfs4_idmap_log_function_t logger);
    int (*name_to_uid)(char *name, uid_t *uid);
    int (*name_to_gid)(char *name, gid_t *gid);
} nfsroot_idmap;

/* Fills api; <0 (-ENOENT) with a one-line reason in why when libnfsidmap cannot be loaded. */
/* How long the host's NFSv4 domain may take when libnfsidmap derives it from DNS. */
#define NFSROOT_HOST_DOMAIN_TIMEOUT_MS 1000

int nfsroot_idmap_open(nfsroot_idmap *api, char *why, size_t why_len);
void nfsroot_idmap_close(nfsroot_idmap *api);
