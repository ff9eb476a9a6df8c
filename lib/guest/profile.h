/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The profile object and the configurator's settings: private to lib/guest/. */
#ifndef NFSROOT_GUEST_PROFILE_H
#define NFSROOT_GUEST_PROFILE_H

#include "guest.h"

struct nfsroot_guest_profile {
    const guest_profile_def *def;
    const guest_netmod *netmod; /* the dracut network module this guest uses */
    char release[64];           /* codename or VERSION_ID */
    char version[64];           /* VERSION_ID */
    char *osinfo;
};

#define GUEST_KEYS (NFSROOT_GUEST_ASLR + 1)
struct nfsroot_guest_config {
    char *v[GUEST_KEYS];
};

/* Unpack caps: what a whole distribution tree needs, with room (Debian minbase: 300 MB and
 * 12,000 files; a desktop install 10 GB and 400,000). */
#define GUEST_UNPACK_MAX_BYTES (64ULL << 30)
#define GUEST_UNPACK_MAX_ENTRIES (4ULL << 20)

/* Packages and tools (space-separated, either may be NULL) the tree lacks for p. 0/-ENOMEM. */
int guest_missing(int root_fd, const nfsroot_guest_profile *p, char **pkgs, char **tools);

/* "SERVER:PATH" (IPv6 in brackets) for the fstab root line; c already checked. */
int guest_fstab_spec(const nfsroot_guest_config *c, char **ret);

#endif
