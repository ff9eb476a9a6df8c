/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest trees, private: the per-profile description of "what a bootable NFS root needs" (read
 * by the configurator here and by the boot check in lib/bootcheck/distro.c) and the helpers
 * that reach a tree's files beneath its root. */
#ifndef NFSROOT_GUEST_H
#define NFSROOT_GUEST_H

#include <stdbool.h>
#include <sys/types.h>

#include "formats.h"
#include "osrelease.h"

#define GUEST_TOOLS_MAX 6
#define GUEST_NETMODS_MAX 3
#define GUEST_PATHS_MAX 6

/* A program (or file) the guest needs: found when one of paths exists beneath the root. */
typedef struct guest_tool {
    const char *name;                   /* "dhclient" */
    const char *paths[GUEST_PATHS_MAX]; /* relative to the root; NULL-terminated */
    const char *package;                /* the profile's package that ships it */
} guest_tool;

/* The name ifname= gives a pinned guest's NIC, in the initramfs and after (dracut's own example
 * name): what create's static ip= names and the boot check tells to write. */
#define GUEST_BOOT_IFNAME "bootnet"

/* A dracut network module and what it runs in the initramfs. */
typedef struct guest_netmod {
    const char *module;                /* "network-legacy" (dracut's modules.d/NNname) */
    const char *package;               /* the package shipping the module */
    guest_tool tools[GUEST_TOOLS_MAX]; /* name NULL ends */
    bool shell_init;                   /* runs in dracut's own init: the image leaves systemd out */
} guest_netmod;

/* One distribution profile: everything create writes and validate checks. */
typedef struct guest_profile_def {
    const char *name;               /* "debian" */
    const char *const *ids;         /* os-release ID / ID_LIKE words it matches, NULL-terminated */
    const char *refusal;            /* set: the distribution is refused for this reason */
    const char *osinfo_fmt;         /* libosinfo id with one %s for the version, NULL: none */
    guest_tool dracut;              /* the dracut program */
    guest_tool nfs;                 /* mount.nfs (dracut's nfs module needs it) */
    guest_tool rpcbind;             /* ... and rpcbind */
    const char *nfs_module_package; /* package shipping dracut's nfs module */
    guest_netmod netmods[GUEST_NETMODS_MAX]; /* in order of preference; module NULL ends */
    const char *const *packages;   /* what we install (debootstrap), NULL: we do not install it */
    bool initramfs_tools_conflict; /* initramfs-tools cannot mount NFSv4 (Debian) */
    bool mkinitcpio_note;          /* mkinitcpio has no NFS hook (Arch) */
    bool rpm;                      /* dnf.conf tsflags=nocaps */
    bool selinux;                  /* labels cannot be stored over NFS: selinux=0 */
    bool authselect;               /* note when no authselect profile is selected */
    bool portage_tmpfs;            /* /var/tmp/portage on tmpfs in fstab */
} guest_profile_def;

/* The known profiles, refused ones included; NULL-terminated. */
extern const guest_profile_def *const guest_profiles[];

/* The profile an os-release selects (ID first, then ID_LIKE in its order), NULL: unknown. */
const guest_profile_def *guest_profile_lookup(const nfsroot_os_release *o);
/* One sentence listing the profiles that are known (for refusals). */
const char *guest_profiles_known(void);
/* The netmod named module in def, NULL when the profile does not know it. */
const guest_netmod *guest_netmod_find(const guest_profile_def *def, const char *module);

/* Does one of t's paths exist beneath root_fd (symlinks resolved inside the root)? */
bool guest_tool_present(int root_fd, const guest_tool *t);
/* Append the packages of what netmod needs and root_fd lacks to *pkgs (space-separated) and the
 * tools' names to *tools (", "-separated); no duplicates, either may be NULL. The module's own
 * directory in dracut's modules.d counts as a tool of its package. Returns the number missing
 * or -ENOMEM. */
int guest_netmod_missing(int root_fd, const guest_netmod *m, char **pkgs, char **tools);
/* Does the tree's dracut have modules.d/NNmodule? */
bool guest_dracut_has_module(int root_fd, const char *module);
/* Append word to the space-separated *list unless it is there (list NULL: nothing). 0 or
 * -ENOMEM. */
int guest_words_add(char **list, const char *word);
/* The same for a ", "-separated list of items that may contain blanks. */
int guest_items_add(char **list, const char *item);

/* The tree's own os-release (etc/os-release, else usr/lib/os-release), read beneath root_fd.
 * 0, -ENOENT when neither exists, or -errno. */
int guest_os_release_read(int root_fd, nfsroot_os_release *ret);

/* Root's password hashed for etc/shadow with the system's crypt(3) (password.c): the first
 * line of file when set, else clear; what was read is wiped. Failures are said in err. */
int guest_password_hash(const char *clear, const char *file, char **ret, nfsroot_error *err);

/* Files beneath a tree's root (tree.c). Every path is relative to root_fd; symlinks in it
 * resolve inside the root (openat2 RESOLVE_IN_ROOT, else a walk that refuses them). */
/* Read a regular file of at most max bytes, NUL-terminated. -ENOENT, -EFBIG, -EINVAL (not a
 * regular file), ... */
int guest_read(int root_fd, const char *rel, size_t max, char **ret);
/* Does rel exist (any type, the final symlink followed inside the root)? */
bool guest_exists(int root_fd, const char *rel);
/* Replace rel with data: a temp file in its directory, fsync, rename (a symlink at rel is
 * replaced, never followed). The directory is made (0755) when missing. */
int guest_write(int root_fd, const char *rel, const char *data, size_t len, mode_t mode);
/* The same with owner uid:gid and mode, whatever the file had (etc/shadow). Not root: the
 * owner stays the caller. */
int guest_write_as(int root_fd, const char *rel, const char *data, size_t len, mode_t mode,
                   uid_t uid, gid_t gid);
/* Make rel a symbolic link to target (replacing a file or link there). */
int guest_symlink(int root_fd, const char *target, const char *rel);
/* mkdir -p of rel beneath the root, mode for what it creates. */
int guest_mkdir(int root_fd, const char *rel, mode_t mode);

#endif
