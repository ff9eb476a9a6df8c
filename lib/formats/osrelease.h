/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* os-release(5): the one reader of a tree's /etc/os-release (guest profiles, boot check). */
#ifndef NFSROOT_OSRELEASE_H
#define NFSROOT_OSRELEASE_H

#include <stddef.h>

#include "virt-nfsroot/virt-nfsroot-private.h"

/* The largest os-release read: real ones are under 1 KiB. */
#define NFSROOT_OS_RELEASE_MAX (64 * 1024)

/* The fields a profile is chosen by, "" when absent; values longer than a field are cut. */
typedef struct nfsroot_os_release {
    char id[64];         /* "debian", "fedora", "arch", "gentoo", "alpine", ... */
    char id_like[256];   /* space-separated: "rhel centos fedora" */
    char version_id[64]; /* "12", "41", "3.20.3" */
    char codename[64];   /* VERSION_CODENAME: "bookworm" */
    char pretty_name[256];
} nfsroot_os_release;

/* Parse os-release text: KEY=value lines, values bare or in single or double quotes with
 * backslash escapes (the shell subset os-release(5) allows); comments and malformed lines are
 * skipped, the last assignment wins. Pure, bounded by len; always 0. Exported for the fuzzer. */
NFSROOT_API int nfsroot_os_release_parse(const char *text, size_t len, nfsroot_os_release *ret);

#endif
