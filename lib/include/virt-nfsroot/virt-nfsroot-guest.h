/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot: guest trees (what `create` does). Part of <virt-nfsroot/virt-nfsroot-private.h>
 * (not installed): include that one, never this file alone. */
#ifndef VIRT_NFSROOT_GUEST_H
#define VIRT_NFSROOT_GUEST_H

#ifndef VIRT_NFSROOT_PRIVATE_H
#error "include <virt-nfsroot/virt-nfsroot-private.h>, not <virt-nfsroot/virt-nfsroot-guest.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Guest trees (lib/guest/): the distribution profile of a root tree and the configuration that
 * makes it boot with / on NFS (what `create` does). The same per-profile description of "what a
 * bootable NFS root needs" is what the boot check reads, so the two cannot disagree. Every file
 * of a tree is reached beneath its root: symbolic links resolve inside the tree, never out. */

/* A distribution profile: opaque. */
typedef struct nfsroot_guest_profile nfsroot_guest_profile;

/* The profile of the tree at root, from its etc/os-release (ID, ID_LIKE, VERSION_ID,
 * VERSION_CODENAME). -EOPNOTSUPP with err filled when the distribution is refused (Alpine: the
 * reason; an unknown one: which are known), -ENOENT when the tree has no os-release. */
NFSROOT_API int nfsroot_guest_profile_detect(const char *root, nfsroot_guest_profile **ret,
                                             nfsroot_error *err);
/* The profile for a tree still to be made: id "debian" and a release ("trixie", "bookworm";
 * NULL: the default release). -EOPNOTSUPP with err filled for anything else. */
NFSROOT_API int nfsroot_guest_profile_new(const char *id, const char *release,
                                          nfsroot_guest_profile **ret, nfsroot_error *err);
NFSROOT_API void nfsroot_guest_profile_free(nfsroot_guest_profile *p);
/* "debian", "fedora", "arch", "gentoo". */
NFSROOT_API const char *nfsroot_guest_profile_name(const nfsroot_guest_profile *p);
/* The release: a codename ("trixie") when known, else VERSION_ID ("41"), else "". */
NFSROOT_API const char *nfsroot_guest_profile_release(const nfsroot_guest_profile *p);
/* The libosinfo OS id for the domain's metadata ("http://debian.org/debian/13"), NULL: none. */
NFSROOT_API const char *nfsroot_guest_profile_osinfo(const nfsroot_guest_profile *p);
/* The packages a tree of this profile needs (debootstrap --include), NULL-terminated; the
 * dracut network module's requirements included. Empty for profiles not installed by us. */
NFSROOT_API const char *const *nfsroot_guest_profile_packages(const nfsroot_guest_profile *p);

/* What the configurator is told: opaque, set with nfsroot_guest_config_set(). */
typedef struct nfsroot_guest_config nfsroot_guest_config;
typedef enum nfsroot_guest_key {
    NFSROOT_GUEST_HOSTNAME = 0,       /* etc/hostname, etc/hosts */
    NFSROOT_GUEST_SERVER,             /* the host's address on the guest's network (required) */
    NFSROOT_GUEST_EXPORT_PATH,        /* the root export's path on the host (required) */
    NFSROOT_GUEST_SSH_KEY,            /* the text of an authorized_keys line for root */
    NFSROOT_GUEST_ROOT_PASSWORD_HASH, /* a crypt(3) hash ("$y$...", "$6$...") */
    NFSROOT_GUEST_ROOT_PASSWORD_FILE, /* a file whose first line is the password: hashed here */
    NFSROOT_GUEST_HOST_IDMAPD_CONF,   /* the host's idmapd.conf (default /etc/idmapd.conf) */
    NFSROOT_GUEST_UNPACK_MAX_BYTES,   /* decimal: bytes an unpack may write (default 64 GiB) */
    NFSROOT_GUEST_UNPACK_MAX_ENTRIES, /* decimal: members an unpack may create (default 4 M) */
    NFSROOT_GUEST_NFS_VERSION,        /* "4.0", "4.1" or "4.2": root= says vers=; unset: none */
    NFSROOT_GUEST_ROOT_PASSWORD,      /* root's password in clear text: hashed here, then wiped */
    NFSROOT_GUEST_ADDRESS,            /* "A.B.C.D/PREFIX": the guest's fixed IPv4 address (a DHCP
                                         pin) on the server's subnet; with NFSROOT_GUEST_MAC, a
                                         static ip= instead of a DHCP round in the initramfs */
    NFSROOT_GUEST_MAC,                /* the NIC's MAC "52:54:00:xx:xx:xx": ip= names it so */
    NFSROOT_GUEST_ASLR,               /* "on" (unset: on) or "off": the cmdline's norandmaps, no
                                         address-space randomization in the guest (a TCG
                                         guest's boot translates shared code once, not once per
                                         process: docs/PERFORMANCE.md, part 7) */
} nfsroot_guest_key;
NFSROOT_API int nfsroot_guest_config_new(nfsroot_guest_config **ret);
NFSROOT_API void nfsroot_guest_config_free(nfsroot_guest_config *c);
/* Copy value (NULL: unset) into key. 0, -EINVAL (unknown key, a number that is not one, a value
 * with a newline where one line is meant) or -ENOMEM. */
NFSROOT_API int nfsroot_guest_config_set(nfsroot_guest_config *c, nfsroot_guest_key key,
                                         const char *value);

/* Can root log in with a password in the tree at root? 1: its etc/shadow line has a password
 * field that is neither empty nor locked ('!', '*'); 0: it has none (no shadow, no root line,
 * locked: what debootstrap leaves); -errno when etc/shadow cannot be read. */
NFSROOT_API int nfsroot_guest_root_password_usable(const char *root, nfsroot_error *err);

/* The packages the tree at root lacks for profile p (dracut, its nfs and network modules and
 * what that module runs, nfs-common ...), space-separated in *ret, or NULL when it lacks none.
 * 0 or -errno. */
NFSROOT_API int nfsroot_guest_missing(const char *root, const nfsroot_guest_profile *p, char **ret,
                                      nfsroot_error *err);
/* Where profile p's dracut is in the tree at root: the first of the profile's paths for it that
 * exists there ("usr/bin/dracut", relative to the root; static), or -ENOENT naming the package
 * that ships it. */
NFSROOT_API int nfsroot_guest_dracut_path(const char *root, const nfsroot_guest_profile *p,
                                          const char **ret, nfsroot_error *err);
/* " lsm=A,B,..." for the guest's command line: the security modules the kernel KVER of the tree
 * at root was built with (its boot/config-KVER, CONFIG_LSM), in their order, less the BPF LSM;
 * *ret NULL when the config is missing, not as a kernel writes it, or lists no bpf. The guest
 * loses the BPF LSM alone (systemd's RestrictFileSystems=; docs/SECURITY.md). 0 or -ENOMEM. */
NFSROOT_API int nfsroot_guest_lsm_arg(const char *root, const char *kver, char **ret);
/* The dracut configuration file the profile writes (etc/dracut.conf.d/90-virt-nfsroot.conf):
 * the same for every guest of a profile, so its hash keys a shared initramfs. Caller frees. */
NFSROOT_API int nfsroot_guest_dracut_conf(const nfsroot_guest_profile *p, char **ret);
/* Write the profile's dracut configuration (nfsroot_guest_dracut_conf) into the tree at root,
 * beneath it (no symbolic link followed out), before its kernel is installed: the kernel's
 * dracut hook builds the initramfs from it. 0 or -errno with err filled. */
NFSROOT_API int nfsroot_guest_write_dracut_conf(const char *root, const nfsroot_guest_profile *p,
                                                nfsroot_error *err);
/* The kernel command line a guest of profile p boots with ("root=nfs4:SERVER:PATH ..."),
 * from c's server and export path: what nfsroot_guest_configure() returns, without a tree
 * (for --dry-run). With an address and a MAC in c, the network is configured statically
 * ("ip=ADDR::SERVER:NETMASK::bootnet:off ifname=bootnet:MAC": no DHCP round, the NIC named
 * bootnet), else "ip=dhcp". Caller frees.
 * -EINVAL with err filled when c lacks the server or path, or its address or MAC is not one. */
NFSROOT_API int nfsroot_guest_cmdline(const nfsroot_guest_profile *p, const nfsroot_guest_config *c,
                                      char **ret, nfsroot_error *err);
/* Configure the tree at root for / on NFS: dracut config, fstab root line, NFSv4 domain,
 * hostname, serial getty, empty machine-id, dracut-shutdown masked, root's key and password,
 * and the profile's own rules (dnf tsflags=nocaps, portage tmpfs). notes (may be NULL) gets an
 * info finding for each thing the user should know (SELinux off, authselect). *ret_cmdline is
 * the kernel command line the domain must boot with. -ENOPKG with err naming the packages when
 * the tree lacks them (see nfsroot_guest_missing); nothing is written then. */
NFSROOT_API int nfsroot_guest_configure(const char *root, const nfsroot_guest_profile *p,
                                        const nfsroot_guest_config *c, nfsroot_findings *notes,
                                        char **ret_cmdline, nfsroot_error *err);

/* Progress of a long step: done of total bytes (total 0: unknown). */
typedef void (*nfsroot_guest_progress_fn)(uint64_t done, uint64_t total, void *userdata);
/* Unpack a tar archive (plain, gzip, xz, zstd, bzip2; libarchive, loaded here) into the
 * existing directory target. Hostile archives: names with "..", absolute names and members
 * below a symbolic link are refused, links pointing out of the target are kept as links but
 * never written through, device nodes, FIFOs and sockets are skipped; the caps of c (NULL:
 * defaults) bound bytes and members. Owners and modes are kept (owners only as root; setuid
 * and setgid bits of files only as root and when target's filesystem is mounted nosuid).
 * Nothing is written outside target. Returns how many files lost their setuid/setgid bits
 * (0 or more), or -EBADMSG (corrupt), -EFBIG (a cap), -EXDEV (a name that leaves the target),
 * -ENOENT (libarchive missing) with err filled. */
NFSROOT_API int nfsroot_guest_unpack(const char *archive, const char *target,
                                     const nfsroot_guest_config *c, nfsroot_guest_progress_fn fn,
                                     void *userdata, nfsroot_error *err);

#ifdef __cplusplus
}
#endif
#endif
