/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os><initrd>: what the initramfs holds (initramfs-scan.c, cached by initramfs-cache.c) and
 * whether it can bring the network up and mount an NFS root. */
#include "initramfs-private.h"

/* What scanning <initrd> gave: the facts, or the refusal (code < 0, err says why). */
typedef struct initrd_scan {
    int code;
    nfsroot_error err;
    nfsroot_initramfs_info info;
    bool cached;
} initrd_scan;

/* Open <initrd> where the policy allows it and scan it, through the cache below state_dir.
 * Returns <0 only on ENOMEM; *ret_scanned is false when a finding already says why not. */
static int initrd_open_scan(const nfsroot_policy *p, const char *initrd, const nfsroot_plan *plan,
                            nfsroot_findings *f, initrd_scan *s, bool *ret_scanned)
{
    _cleanup_(bootfile_done) bootfile bf = { .fd = -1 };
    *ret_scanned = false;
    int r = bootfile_open(&bf, p, "initrd", initrd, plan, f);
    if (r < 0 || bf.fd < 0)
        return r;
    /* No state_dir (or not an absolute one): no cache, rather than one relative to "/". */
    _cleanup_free_ char *cache_dir = NULL;
    if (p && initramfs_cache_dir_usable(p->state_dir) &&
        asprintf(&cache_dir, "%s/initramfs-cache", p->state_dir) < 0)
        return -ENOMEM;
    s->code = initramfs_scan_cached(bf.fd, cache_dir, &s->info, &s->cached, &s->err);
    *ret_scanned = true;
    return 0;
}

/* The one finding for an image that was not scanned to the end (r: the scan's code). */
static int refusal_finding(nfsroot_findings *f, const char *initrd, int r, const nfsroot_error *e)
{
    if (r == -ENOMEM)
        return r;
    if (r == -EFBIG)
        return nfsroot_findings_add(f, F_ERROR, "initrd-too-large", initrd,
                                    "initrd '%s' is not scanned: %s; rebuild it or point "
                                    "<os><initrd> at the guest's real initramfs",
                                    initrd, e->message[0] ? e->message : strerror(-r));
    return nfsroot_findings_add(f, F_ERROR, "initrd-corrupt", initrd,
                                "initrd '%s' is not a readable initramfs (%s): rebuild it "
                                "(dracut --force, or update-initramfs -u in the guest)",
                                initrd, e->message[0] ? e->message : strerror(-r));
}

/* What the image is: its format, size, builder and kernel versions. */
static int identified_finding(nfsroot_findings *f, const char *initrd,
                              const nfsroot_initramfs_info *info, bool cached)
{
    const char *builder = info->dracut            ? "dracut"
                          : info->initramfs_tools ? "initramfs-tools"
                                                  : "unknown tool";
    return nfsroot_findings_add(f, F_INFO, "initrd-identified", initrd,
                                "initrd '%s' is %s (%ju files, built by %s%s%s)%s", initrd,
                                info->format, (uintmax_t)info->n_files, builder,
                                info->kernel_versions[0] ? ", modules for " : "",
                                info->kernel_versions, cached ? " [cached scan]" : "");
}

/* Can it mount an NFS root: /init, NFS scripts or mount.nfs, the nfs module. */
static int nfs_findings(nfsroot_findings *f, const char *initrd, const nfsroot_initramfs_info *info)
{
    int r = 0;
    if (!info->has_init)
        r = nfsroot_findings_add(f, F_WARN, "initrd-no-init", initrd,
                                 "initrd '%s' has no /init: the kernel will try to mount the "
                                 "root itself, which needs NFS and IP autoconfiguration built "
                                 "into it (Debian's kernels have neither); rebuild the initramfs",
                                 initrd);
    if (r >= 0 && !info->nfs_scripts && !info->mount_nfs)
        r = nfsroot_findings_add(f, F_ERROR, "initrd-no-nfs", initrd,
                                 "initrd '%s' cannot mount an NFS root: it has neither dracut's "
                                 "nfs module, initramfs-tools' NFS script nor mount.nfs; rebuild "
                                 "it with NFS support (dracut: add_dracutmodules+=\" nfs \", "
                                 "needs nfs-common in the guest)",
                                 initrd);
    bool modules_known = info->nfs_builtin_known || info->kernel_versions[0];
    if (r >= 0 && !info->nfs_module && !info->nfs_builtin && modules_known)
        r = nfsroot_findings_add(f, F_ERROR, "initrd-no-nfs-module", initrd,
                                 "initrd '%s' has no nfs kernel module (fs/nfs/nfs.ko) and its "
                                 "kernel does not have NFS built in: add it (dracut: "
                                 "add_drivers+=\" nfs nfsv3 nfsv4 \"; initramfs-tools: list nfs "
                                 "and nfsv4 in /etc/initramfs-tools/modules) and rebuild",
                                 initrd);
    else if (r >= 0 && !info->nfs_module && !info->nfs_builtin)
        r = nfsroot_findings_add(f, F_WARN, "initrd-nfs-module-unknown", initrd,
                                 "initrd '%s' holds no kernel modules, so NFS must be built into "
                                 "the kernel; if it is not, add the nfs modules to the initramfs",
                                 initrd);
    return r;
}

/* Can it bring the network up, with DHCP. */
static int network_findings(nfsroot_findings *f, const char *initrd,
                            const nfsroot_initramfs_info *info)
{
    int r = 0;
    if (!info->network && !info->dhcp_client)
        r = nfsroot_findings_add(f, F_ERROR, "initrd-no-network", initrd,
                                 "initrd '%s' cannot bring the network up: rebuild it with "
                                 "dracut's network module (add_dracutmodules+=\" network-legacy "
                                 "\" or network-manager) and a DHCP client",
                                 initrd);
    else if (!info->dhcp_client)
        r = nfsroot_findings_add(f, F_WARN, "initrd-no-dhcp-client", initrd,
                                 "initrd '%s' has network scripts but no DHCP client (dhclient, "
                                 "dhcpcd, udhcpc): only a static ip= will work; install "
                                 "isc-dhcp-client in the guest and rebuild",
                                 initrd);
    return r;
}

/* Does it match the kernel, and what command line does it carry. */
static int kernel_findings(nfsroot_findings *f, const char *initrd,
                           const nfsroot_initramfs_info *info, const nfsroot_kernel_info *kernel)
{
    int r = 0;
    if (kernel && kernel->version[0] && info->kernel_versions[0] &&
        !initramfs_has_word(info->kernel_versions, kernel->version))
        r = nfsroot_findings_add(f, F_ERROR, "initrd-kernel-mismatch", initrd,
                                 "initrd '%s' holds modules for '%s' but the kernel is '%s': "
                                 "rebuild the initramfs for '%s' (dracut --kver %s)",
                                 initrd, info->kernel_versions, kernel->version, kernel->version,
                                 kernel->version);
    if (r >= 0 && info->cmdline[0])
        r = nfsroot_findings_add(f, F_INFO, "initrd-cmdline", initrd,
                                 "initrd '%s' carries a built-in command line '%s' "
                                 "(etc/cmdline.d); the domain's <cmdline> is read after it and "
                                 "wins",
                                 initrd, info->cmdline);
    return r;
}

int nfsroot_bootcheck_initramfs(const nfsroot_policy *p, const char *initrd,
                                const nfsroot_plan *plan, const nfsroot_kernel_info *kernel,
                                nfsroot_findings *f, nfsroot_initramfs_info *ret_info)
{
    initrd_scan s = { 0 };
    bool scanned;
    int r = initrd_open_scan(p, initrd, plan, f, &s, &scanned);
    if (r < 0 || !scanned)
        return r;
    if (s.code < 0)
        return refusal_finding(f, initrd, s.code, &s.err);
    r = identified_finding(f, initrd, &s.info, s.cached);
    if (r >= 0)
        r = nfs_findings(f, initrd, &s.info);
    if (r >= 0)
        r = network_findings(f, initrd, &s.info);
    if (r >= 0)
        r = kernel_findings(f, initrd, &s.info, kernel);
    if (r >= 0 && ret_info)
        *ret_info = s.info;
    return r;
}
