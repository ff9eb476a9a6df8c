/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel backend's probe: is nfsd running (its threads), which NFS versions it serves
 * (/proc/fs/nfsd), and exportfs, the program the backend runs as root. */
#include <fcntl.h>

#include "backend/backend.h"

#define SET(buf, ...) snprintf(buf, sizeof(buf), __VA_ARGS__)
#define PROC_MAX (64 * 1024) /* what a /proc file here holds, with room */

/* No /proc/fs/nfsd/threads: nfsd is not mounted, or the kernel has no nfsd at all. */
static void no_server(int root_fd, nfsroot_probe *ret)
{
    _cleanup_free_ char *fs = NULL;
    ret->running = 0;
    if (nfsroot_host_read(root_fd, "/proc/filesystems", PROC_MAX, &fs, NULL) == 0 &&
        strstr(fs, "\tnfsd\n")) {
        SET(ret->fix, "start the NFS server: systemctl enable --now nfs-server (it mounts the nfsd "
                      "filesystem on /proc/fs/nfsd)");
        SET(ret->reason, "the kernel has nfsd but /proc/fs/nfsd/threads is missing: the nfsd "
                         "filesystem is not mounted, so the NFS server is not running");
    } else {
        SET(ret->fix, "load the server (modprobe nfsd; systemctl enable --now nfs-server); where "
                      "the kernel has no nfsd (many containers and VMs), run NFS-Ganesha instead "
                      "and set 'backend = ganesha' in the policy");
        SET(ret->reason, "no in-kernel NFS server on this host: /proc/fs/nfsd/threads is missing "
                         "and the kernel lists no 'nfsd' filesystem; exports are recorded in etab "
                         "but nothing serves them");
    }
    SET(ret->versions_reason, "no in-kernel NFS server to ask");
}

/* /proc/fs/nfsd/versions: "-2 +3 +4 +4.1 +4.2". "+4" with no minor versions listed (old
 * kernels) means 4.0 only. */
static void read_versions(char *text, int versions[NFSROOT_PROBE_VERSIONS])
{
    static const char *const names[NFSROOT_PROBE_VERSIONS] = { "2", "3", "4", "4.1", "4.2" };
    char *save = NULL;
    for (char *t = strtok_r(text, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
        if (*t != '+' && *t != '-')
            continue;
        for (size_t i = 0; i < NFSROOT_PROBE_VERSIONS; i++)
            if (!strcmp(t + 1, names[i]))
                versions[i] = *t == '+';
    }
}

/* nfsd's thread count (0: stopped), or -errno when it cannot be read (nfsd not mounted). */
static int nfsd_threads(int root_fd, long *ret)
{
    _cleanup_free_ char *threads = NULL;
    int r = nfsroot_host_read(root_fd, "/proc/fs/nfsd/threads", PROC_MAX, &threads, NULL);
    if (r == 0)
        *ret = strtol(threads, NULL, 10);
    return r;
}

/* Is nfsd in its NFSv4 grace period? v4_end_grace reads 'N' until it ends (kernels since 4.20;
 * false where it cannot be read). */
static bool nfsd_in_grace(int root_fd)
{
    _cleanup_free_ char *grace = NULL;
    return nfsroot_host_read(root_fd, "/proc/fs/nfsd/v4_end_grace", PROC_MAX, &grace, NULL) == 0 &&
           grace[0] == 'N';
}

/* For guests migrated here: the exports carry an fsid derived from the path (kernel.c), the same
 * on every host; the grace period cannot be turned off, only seen (v4_end_grace, kernel 4.20+). */
static void probe_migration(int root_fd, nfsroot_probe *ret)
{
    bool in_grace = nfsd_in_grace(root_fd);
    ret->migration = !in_grace;
    if (!in_grace) {
        SET(ret->migration_reason, "exports carry an fsid derived from their path, the same on "
                                   "every host");
        return;
    }
    SET(ret->migration_reason, "nfsd is in its NFSv4 grace period: a guest migrated here now "
                               "stalls until it ends");
    SET(ret->migration_fix, "wait for the grace period to end before migrating guests here");
}

/* nfsd sends NFSv4 owners to sec=sys clients as numbers unless nfs4_disable_idmapping is N:
 * then as names, and a guest's kernel maps each name with an upcall whose helper lives on the
 * very root it is mapping (what hangs NFS-Ganesha's guests without Only_Numeric_Owners). */
#define NFSD_IDMAP_PARAM "/sys/module/nfsd/parameters/nfs4_disable_idmapping"
static const char nfsd_owners_why[] =
    "nfsd's nfs4_disable_idmapping is N: it sends NFSv4 owners to sec=sys guests as names, and a "
    "guest's kernel maps each one with a helper that lives on the very root it is mapping: the "
    "guest hangs before its login prompt";
static const char nfsd_owners_fix[] =
    "echo Y > " NFSD_IDMAP_PARAM " and put 'options nfsd nfs4_disable_idmapping=Y' in "
    "/etc/modprobe.d/nfsd.conf, then restart nfs-server";

/* 1: numbers (nfsd's default), 0: names, -1: not known (no nfsd module loaded). */
static int nfsd_numeric_owners(int root_fd)
{
    _cleanup_free_ char *v = NULL;
    if (nfsroot_host_read(root_fd, NFSD_IDMAP_PARAM, PROC_MAX, &v, NULL) < 0)
        return -1;
    return v[0] != 'N';
}

static void probe_owners(int root_fd, nfsroot_probe *ret)
{
    int numeric = nfsd_numeric_owners(root_fd);
    if (numeric == 1)
        nfsroot_probe_add_check(ret, "nfsd-owners", NFSROOT_PROBE_PASS, NULL,
                                "nfsd sends NFSv4 owners to sec=sys guests as numbers "
                                "(nfs4_disable_idmapping=Y)");
    else if (numeric == 0)
        nfsroot_probe_add_check(ret, "nfsd-owners", NFSROOT_PROBE_FAIL, nfsd_owners_fix, "%s",
                                nfsd_owners_why);
}

int nfsroot_kernel_boot_findings(const nfsroot_policy *p, nfsroot_findings *f)
{
    (void)p;
    if (nfsd_numeric_owners(AT_FDCWD) != 0)
        return 0;
    return nfsroot_findings_add(f, NFSROOT_FINDING_ERROR, "server-owner-names", NFSD_IDMAP_PARAM,
                                "%s; %s", nfsd_owners_why, nfsd_owners_fix);
}

int nfsroot_kernel_probe(const nfsroot_policy *p, int root_fd, nfsroot_probe *ret,
                         nfsroot_error *err)
{
    (void)err;
    ret->helper = p->exportfs;
    ret->helper_records = p->etab;
    ret->helper_fix = "apt install nfs-kernel-server (or set 'exportfs' in the policy to where it "
                      "lives)";
    static const char *const on[] = { "vers2=y", "vers3=y", "vers4=y", "vers4.1=y", "vers4.2=y" };
    static const char *const off[] = { "vers2=n", "vers3=n", "vers4=n", "vers4.1=n", "vers4.2=n" };
    for (size_t i = 0; i < NFSROOT_PROBE_VERSIONS; i++) {
        ret->version_on[i] = on[i];
        ret->version_off[i] = off[i];
    }
    SET(ret->versions_where, "in [nfsd] of /etc/nfs.conf, then systemctl restart nfs-server");
    _cleanup_free_ char *vers = NULL;
    if (nfsd_threads(root_fd, &ret->threads) < 0) {
        no_server(root_fd, ret);
        return 0;
    }
    ret->running = ret->threads > 0;
    if (ret->running)
        SET(ret->reason, "in-kernel NFS server running with %ld threads", ret->threads);
    else {
        SET(ret->reason, "nfsd is loaded but has 0 threads: the NFS server is stopped");
        SET(ret->fix, "systemctl start nfs-server (or rpc.nfsd 8)");
    }
    if (nfsroot_host_read(root_fd, "/proc/fs/nfsd/versions", PROC_MAX, &vers, NULL) < 0) {
        ret->versions_unreadable = true;
        SET(ret->versions_reason, "cannot read /proc/fs/nfsd/versions");
        return 0;
    }
    read_versions(vers, ret->versions);
    probe_migration(root_fd, ret);
    probe_owners(root_fd, ret);
    return 0;
}

/* An incoming migration: refused when nfsd says it cannot serve the guest at once, that is when
 * it runs no threads or is still in its NFSv4 grace period. Where nfsd cannot be asked (not
 * mounted: prepare does not refuse that either), nothing is refused. */
int nfsroot_kernel_check_incoming(const nfsroot_policy *p, const nfsroot_plan *plan,
                                  const nfsroot_peers *peers, nfsroot_error *err)
{
    (void)p, (void)peers;
    _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    long threads = 0;
    if (root < 0)
        return 0;
    if (nfsd_threads(root, &threads) == 0 && threads <= 0)
        return nfsroot_err(err, -EHOSTDOWN, plan->domain, "backend", NULL, 0,
                           "the kernel NFS server of this host runs no threads, so nothing would "
                           "serve the guest's root: start it (systemctl start nfs-server) before "
                           "migrating");
    if (nfsd_in_grace(root))
        return nfsroot_err(err, -EAGAIN, plan->domain, "backend", NULL, 0,
                           "the kernel NFS server of this host is in its NFSv4 grace period, so "
                           "the guest's NFSv4 state would stall until it ends; migrate after it "
                           "(or end it: echo Y > /proc/fs/nfsd/v4_end_grace)");
    return 0;
}
