/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Boot-check internals: the parsers and the single checks that nfsroot_bootcheck_run() chains
 * (the findings list they fill is formats/findings.h's).
 * Not installed; the functions are in the private version node (libvirt-nfsroot_private.syms)
 * for the unit tests, bootcheck-tool and the fuzzers, and the library's own lib/core/migrate.c uses
 * this header too (the cmdline parser and the root= server rule). Their structs may change in
 * any release. */
#ifndef NFSROOT_BOOTCHECK_PRIVATE_H
#define NFSROOT_BOOTCHECK_PRIVATE_H

#include "virt-nfsroot/virt-nfsroot-private.h"

#include "findings.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the kernel header reader found. */
typedef struct nfsroot_kernel_info {
    char format[48];        /* "x86 bzImage", "arm64 Image", "EFI zboot (gzip)", "ELF", ... */
    char arch[16];          /* "x86_64", "x86", "arm64", "riscv64", ... "" when unknown */
    char version[128];      /* "6.1.0-27-amd64" when the header says, else "" */
    uint16_t boot_protocol; /* x86 boot protocol (0x020f = 2.15), 0 otherwise */
    bool is_64bit;
    uint64_t min_size; /* bytes the header says the file holds at least, 0 when unknown */
} nfsroot_kernel_info;

/* Identify a kernel image from its first bytes (no I/O; give it >= 64 KiB when the file has
 * them, the x86 version string lives after the setup header). 0 on success, -ENOEXEC when the
 * bytes are no kernel we know, -EBADMSG when a known header is truncated or inconsistent. */
NFSROOT_API int nfsroot_kernel_identify(const void *buf, size_t len, nfsroot_kernel_info *ret);

/* What an initramfs scan found (fixed-size so it can be cached as is). */
typedef struct nfsroot_initramfs_info {
    char format[96];     /* "cpio + cpio.zstd", ... */
    unsigned n_segments; /* concatenated archives read */
    bool early_cpio;     /* an uncompressed cpio precedes a compressed one */
    bool microcode;      /* kernel/x86/microcode/... present */
    bool has_init;       /* /init present: the kernel hands over to it */
    bool dracut, initramfs_tools;
    bool nfs_scripts; /* dracut nfs module or initramfs-tools scripts/nfs */
    bool mount_nfs;   /* mount.nfs(4) or klibc nfsmount */
    bool nfs_module, nfsv3_module, nfsv4_module; /* fs/nfs modules, any suffix */
    bool nfs_builtin_known, nfs_builtin;         /* modules.builtin present / lists nfs */
    bool network;     /* dracut network* module, ifup, nm-initrd-generator, ipconfig */
    bool dhcp_client; /* dhclient, dhcpcd, udhcpc, ipconfig, NetworkManager, networkd */
    char dhcp_client_name[32];
    char kernel_versions[256]; /* space-separated lib/modules/<version> directories */
    char dracut_modules[1024]; /* from dracut's modules.txt, space-separated */
    char cmdline[2048];        /* baked-in etc/cmdline.d/ *.conf, joined by spaces */
    uint64_t n_files;
} nfsroot_initramfs_info;

/* Scan an initramfs image read from fd (from offset 0) with libarchive: every concatenated
 * segment (early uncompressed cpio, then the compressed one). -EBADMSG with err filled when it
 * is truncated or corrupt, -EFBIG when it passes a bound of the scan (file size, archives, zero
 * padding, files, bytes read and unpacked; docs/SECURITY.md). */
NFSROOT_API int nfsroot_initramfs_scan_fd(int fd, nfsroot_initramfs_info *ret, nfsroot_error *err);
/* Scan the image at path, reusing the result cached in cache_dir (NULL, empty or relative: no
 * cache) when the file's (dev, inode, size, mtime) are unchanged (not ctime: libvirt chowns the
 * file at every start). A refusal (-EBADMSG, -EFBIG) is cached too and *ret_cached says so on
 * failure as well. cache_dir is created 0700. */
NFSROOT_API int nfsroot_initramfs_scan(const char *path, const char *cache_dir,
                                       nfsroot_initramfs_info *ret, bool *ret_cached,
                                       nfsroot_error *err);

/* The root= the guest will use, as dracut / the kernel / nfsroot-generator read it. */
typedef enum nfsroot_root_kind {
    NFSROOT_ROOT_NONE = 0, /* no root= at all */
    NFSROOT_ROOT_NFS,      /* nfs:, nfs4:, nfs://, <ip>:/path, /dev/nfs + nfsroot= */
    NFSROOT_ROOT_DHCP,     /* root=dhcp / dhcp6: from the DHCP root-path option */
    NFSROOT_ROOT_OTHER,    /* a block device, a hostname legacy form, ... */
} nfsroot_root_kind;

typedef struct nfsroot_cmdline_root {
    nfsroot_root_kind kind;
    char form[16];    /* "nfs:", "nfs4:", "nfs://", "legacy", "/dev/nfs", "dhcp", ... */
    char root[512];   /* the root= value as written (last one wins) */
    int nfs_version;  /* 4 for nfs4: or vers=4*, 3 otherwise, 0 when not NFS */
    char server[256]; /* "" when it comes from DHCP / ip= */
    char path[1024];
    char options[512];
    bool legacy_nfsroot;          /* root=/dev/nfs nfsroot=... */
    bool nfsroot_without_dev_nfs; /* nfsroot= given but root= is not /dev/nfs */
    bool has_ip, ip_dhcp;         /* ip= present; it asks for DHCP */
    char ip_client[64];           /* static client address from ip=, "" otherwise */
    char ip_server[64];           /* server field of ip=, "" otherwise */
    char ip_dev[64];              /* interface field of a static ip=, "" otherwise */
    bool has_rd_ip;               /* rd.ip= (not a dracut option) */
    bool rd_neednet;
    int rw; /* 1: rw, 0: ro, -1: neither given */
} nfsroot_cmdline_root;

/* Parse a kernel command line (baked-in initramfs cmdline first, then the domain's: later
 * wins, as in dracut). Pure; fuzzed. Always 0: what is wrong shows in the result. */
NFSROOT_API int nfsroot_cmdline_parse(const char *cmdline, nfsroot_cmdline_root *ret);

/* The boot check's rule for the NFS server the guest mounts its root from: root='s server, else
 * ip='s. It must be this host's address on the guest's network (host_server, the plan's server;
 * NULL when unknown), written as an address. The cmdline check reports each verdict, and
 * `migrate begin` refuses all but OK and NONE by the same rule. *ret_server: that server ("" for
 * none). Not exported. */
typedef enum bootcheck_server_verdict {
    BOOTCHECK_SERVER_OK,
    BOOTCHECK_SERVER_NONE,       /* no server: DHCP's, not judged */
    BOOTCHECK_SERVER_HOSTNAME,   /* not an address */
    BOOTCHECK_SERVER_UNVERIFIED, /* this host has no address on the network */
    BOOTCHECK_SERVER_MISMATCH,   /* another address */
} bootcheck_server_verdict;
bootcheck_server_verdict bootcheck_server_rule(const nfsroot_cmdline_root *c,
                                               const char *host_server, const char **ret_server);

/* One /etc/fstab entry. */
typedef struct nfsroot_fstab_entry {
    char spec[1024], file[1024], vfstype[64], options[1024];
    int line;
} nfsroot_fstab_entry;
/* Find the entry for "/" in fstab text (octal escapes decoded; the last one wins, as for
 * mount). 0 found, -ENOENT none. Pure; fuzzed. */
NFSROOT_API int nfsroot_fstab_find_root(const char *text, size_t len, nfsroot_fstab_entry *ret);

/* The checks, each adding findings to f. plan gives the root export (is_root) and the server;
 * policy may be NULL (then <kernel>/<initrd> may lie only in the root export: a path outside
 * the export and p->boot_dirs is an error without being looked up). */
NFSROOT_API int nfsroot_bootcheck_kernel(const nfsroot_policy *p, const char *kernel,
                                         const nfsroot_plan *plan, nfsroot_findings *f,
                                         nfsroot_kernel_info *ret_info);
NFSROOT_API int nfsroot_bootcheck_initramfs(const nfsroot_policy *p, const char *initrd,
                                            const nfsroot_plan *plan,
                                            const nfsroot_kernel_info *kernel /* or NULL */,
                                            nfsroot_findings *f, nfsroot_initramfs_info *ret_info);
/* has_initrd: the domain has an <initrd> (else the kernel mounts root itself); initramfs: its
 * scan, NULL when unknown (then checks that need it are skipped). */
NFSROOT_API int nfsroot_bootcheck_cmdline(const nfsroot_policy *p, const char *cmdline,
                                          bool has_initrd, const nfsroot_initramfs_info *initramfs,
                                          const nfsroot_plan *plan, nfsroot_findings *f);
/* Reads <root export>/etc/fstab without leaving the guest's root. */
NFSROOT_API int nfsroot_bootcheck_fstab(const nfsroot_plan *plan, nfsroot_findings *f);
/* What qemu.conf says QEMU runs as (user, group: a name or "+N") and whether libvirt chowns the
 * boot files to it at each start (dynamic_ownership); unset keys keep libvirt's defaults (the
 * user and group Debian builds it with). */
#define NFSROOT_QEMU_USER_DEFAULT "libvirt-qemu"
typedef struct nfsroot_qemu_conf {
    char user[64], group[64], dynamic_ownership[8];
} nfsroot_qemu_conf;
NFSROOT_API int nfsroot_qemu_conf_parse(const char *text /* or NULL */, nfsroot_qemu_conf *ret);

/* Host NFSv4 domain (libnfsidmap, host_idmapd_conf or NULL for /etc/idmapd.conf) vs the
 * guest's etc/idmapd.conf Domain. libnfsidmap keeps its configuration per process: the first
 * call's host_idmapd_conf is the one used. */
NFSROOT_API int nfsroot_bootcheck_idmap(const char *host_idmapd_conf, const nfsroot_plan *plan,
                                        nfsroot_findings *f);

/* The guest's distribution (etc/os-release) against its profile in lib/guest/ (the table
 * `create` writes from): initramfs-tools without dracut, SELinux enforcing without selinux=0 in
 * cmdline (the whole command line, baked-in part included; may be NULL), an RPM tree without
 * tsflags=nocaps, Gentoo without the Portage tmpfs, a dracut network module the tree cannot
 * run, a refused or unknown distribution. A tree without os-release gives nothing. */
NFSROOT_API int nfsroot_bootcheck_distro(const nfsroot_plan *plan, const char *cmdline,
                                         nfsroot_findings *f);

#ifdef __cplusplus
}
#endif
#endif
