/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private helpers shared by the boot-check files. */
#ifndef NFSROOT_BOOTCHECK_H
#define NFSROOT_BOOTCHECK_H

#include <sys/stat.h>

#include "bootcheck-private.h"
#include "host.h"

#define F_INFO NFSROOT_FINDING_INFO
#define F_WARN NFSROOT_FINDING_WARNING
#define F_ERROR NFSROOT_FINDING_ERROR

/* The plan's root export, or NULL. */
const nfsroot_export *bootcheck_root_export(const nfsroot_plan *plan);
/* The root= a guest of this host should boot with: "root=nfs4:SERVER:PATH", plus ":vers=V"
 * when the backend serves guests another NFSv4 minor version than the kernel's default 4.2
 * (what create writes too). */
void bootcheck_want_root(const nfsroot_policy *p, const char *server, const char *path, char *buf,
                         size_t len);

/* Open rel (relative, e.g. "etc/fstab") inside the directory root_fd the way the guest sees it:
 * symlinks resolve inside root, never outside it (nfsroot_open_beneath, IN_ROOT). A regular
 * file comes back open for reading, anything else as an O_PATH fd. */
int bootcheck_open_in_root(int root_fd, const char *rel, int *ret_fd);
/* Read a small guest file (at most max bytes) with bootcheck_open_in_root. */
int bootcheck_read_in_root(const char *root, const char *rel, size_t max, char **ret);

/* What an initramfs segment's first bytes say it is ("cpio", "cpio-odc", "gzip", "zstd", "xz",
 * "lzma", "lz4", "bzip2", "lzop": the kernel's own list, init/initramfs.c), or NULL. */
const char *bootcheck_archive_kind(const uint8_t *m, size_t n);
/* Is this an IPv4/IPv6 literal (brackets allowed)? Writes the bare address to buf. */
bool bootcheck_is_ip_literal(const char *s, char *buf, size_t len);
/* Do two server names denote the same address (literal compare after normalisation)? */
bool bootcheck_same_address(const char *a, const char *b);
/* Compare export paths ignoring trailing slashes. */
bool bootcheck_same_path(const char *a, const char *b);
/* Is name one of the comma-separated options in opts (exact match, no copy or length cap)? */
bool bootcheck_has_option(const char *opts, const char *name);
/* The NFS major version mount options ask for (vers=, nfsvers=, v3, v4.x), 0 when none; and
 * into *ret_minor (when not NULL) the NFSv4 minor version they ask for ("vers=4.1",
 * "nfsvers=4.2", "v4.1", "minorversion=1"), -1 when they leave it to negotiation. */
int bootcheck_options_version(const char *opts, int *ret_minor);

/* A host path given in the domain XML (<kernel>, <initrd>), opened for reading. */
typedef struct bootfile {
    const char *what; /* "kernel", "initrd" */
    const char *path;
    bool inside_export; /* beneath the root export (else beneath a boot_dirs entry) */
    int fd;             /* open for reading, -1 when it could not be */
} bootfile;
/* Where <kernel>/<initrd> lies decides first, from the path as written: only a path beneath
 * the root export or a policy boot_dirs entry is looked up at all (openat2 RESOLVE_BENEATH from
 * that directory), so a path anywhere else gets the same error whether it exists or not, and
 * nothing outside is read (libvirt chowns and QEMU reads whatever the XML names; the hook runs
 * as root). Then: exists, regular, not empty, readable, plus the chown warning or the boot_dirs
 * info. Returns <0 only on ENOMEM; bf->fd < 0 means a finding was added and the caller stops. */
int bootfile_open(bootfile *bf, const nfsroot_policy *p, const char *what, const char *path,
                  const nfsroot_plan *plan, nfsroot_findings *f);
void bootfile_done(bootfile *bf);

/* Who the QEMU process is (qemu.conf: the policy's qemu_conf, else /etc/libvirt/qemu.conf):
 * -ENOENT when there is no qemu.conf (no QEMU driver here) or its user or group does not exist. */
typedef struct qemu_identity {
    nfsroot_qemu_conf conf;
    bool relabel; /* dynamic_ownership: libvirt chowns kernel and initrd to it at start */
    uid_t uid;
    gid_t gids[64]; /* the group, then (when asked) the user's supplementary groups */
    int n_gids;
} qemu_identity;
int bootcheck_qemu_identity(const nfsroot_policy *p, qemu_identity *ret);
/* Does st's mode grant bit (4 read, 1 search) to the QEMU process? */
bool bootcheck_qemu_may(const qemu_identity *id, const struct stat *st, mode_t bit);
/* A finding "<what>-qemu-unreadable" when the QEMU process could not open path (a directory
 * above it it cannot search, or the file's mode as libvirt leaves it). */
int bootcheck_qemu_access(const nfsroot_policy *p, const char *what, const char *path,
                          const struct stat *file_st, nfsroot_findings *f);

/* Is word one of the space-separated words in list? */
bool initramfs_has_word(const char *list, const char *word);

#endif
