/* Private helpers shared by the boot-check files. */
#ifndef NFSROOT_BOOTCHECK_H
#define NFSROOT_BOOTCHECK_H

#include "internal.h"

#define F_INFO NFSROOT_FINDING_INFO
#define F_WARN NFSROOT_FINDING_WARNING
#define F_ERROR NFSROOT_FINDING_ERROR

/* The plan's root export, or NULL. */
const nfsroot_export *bootcheck_root_export(const nfsroot_plan *plan);

/* Open rel (relative, e.g. "etc/fstab") inside the directory root_fd the way the guest sees it:
 * symlinks resolve inside root (openat2 RESOLVE_IN_ROOT), never outside it. Falls back to a
 * component walk that refuses every symlink when openat2 is unavailable. */
int bootcheck_open_in_root(int root_fd, const char *rel, int *ret_fd);
/* Read a small guest file (at most max bytes) with bootcheck_open_in_root. */
int bootcheck_read_in_root(const char *root, const char *rel, size_t max, char **ret);

/* Is this an IPv4/IPv6 literal (brackets allowed)? Writes the bare address to buf. */
bool bootcheck_is_ip_literal(const char *s, char *buf, size_t len);
/* Do two server names denote the same address (literal compare after normalisation)? */
bool bootcheck_same_address(const char *a, const char *b);
/* Compare export paths ignoring trailing slashes. */
bool bootcheck_same_path(const char *a, const char *b);
/* Is name one of the comma-separated options in opts (exact match, no copy or length cap)? */
bool bootcheck_has_option(const char *opts, const char *name);

/* How a host path given in the domain XML relates to the root export. */
typedef struct bootfile {
    const char *what; /* "kernel", "initrd" */
    const char *path;
    bool inside_export; /* the path as written lies inside the root export */
    char *resolved;     /* realpath(), NULL when it does not resolve */
    int fd;             /* open for reading, -1 when it could not be */
} bootfile;
/* Common checks for <kernel> and <initrd>: exists, regular, readable, no symlink escape, the
 * libvirt chown side effect. Returns <0 only on ENOMEM; bf->fd < 0 means a finding was added
 * and the caller should stop. */
int bootfile_open(bootfile *bf, const char *what, const char *path, const nfsroot_plan *plan,
                  nfsroot_findings *f);
void bootfile_done(bootfile *bf);
/* Where <kernel> or <initrd> lies: inside the root export, or below one of the policy's
 * boot_dirs; anywhere else is an error (libvirt chowns and QEMU reads whatever the XML names).
 * A path that does not resolve is bootfile_open()'s to report. */
int bootcheck_location(const nfsroot_policy *p, const char *what, const char *path,
                       const nfsroot_plan *plan, nfsroot_findings *f);

#endif
