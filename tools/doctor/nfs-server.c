/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The NFS server: is it running, which versions it offers, nfs.conf, rpcbind, exportfs. */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "doctor.h"

static void check_ganesha_server(doctor *d)
{
    static const char *const names[] = { "ganesha.nfsd", NULL };
    long pid = doctor_find_process(d, names);
    if (pid)
        doctor_add(d, "nfs-server", ST_PASS, NULL, "NFS-Ganesha is running (pid %ld)", pid);
    else
        doctor_add(d, "nfs-server", ST_FAIL,
                   "start NFS-Ganesha (systemctl enable --now nfs-ganesha) with the D-Bus export "
                   "manager enabled",
                   "backend is '%s' but no ganesha.nfsd process is running",
                   nfsroot_backend_name(d->policy->backend));
    doctor_add(d, "nfs-versions", ST_SKIP, NULL,
               "versions are set in ganesha.conf (NFS_CORE_PARAM Protocols), not checked");
}

/* No /proc/fs/nfsd/threads: nfsd is not mounted, or the kernel has no nfsd at all. */
static void no_kernel_server(doctor *d)
{
    _cleanup_free_ char *fs = NULL;
    if (doctor_read(d, "/proc/filesystems", &fs, NULL) == 0 && strstr(fs, "\tnfsd\n"))
        doctor_add(d, "nfs-server", ST_FAIL,
                   "start the NFS server: systemctl enable --now nfs-server (it mounts the nfsd "
                   "filesystem on /proc/fs/nfsd)",
                   "the kernel has nfsd but /proc/fs/nfsd/threads is missing: the nfsd "
                   "filesystem is not mounted, so the NFS server is not running");
    else
        doctor_add(d, "nfs-server", ST_FAIL,
                   "load the server (modprobe nfsd; systemctl enable --now nfs-server); where the "
                   "kernel has no nfsd (many containers and VMs), run NFS-Ganesha instead and set "
                   "'backend = ganesha' in the policy",
                   "no in-kernel NFS server on this host: /proc/fs/nfsd/threads is missing and "
                   "the kernel lists no 'nfsd' filesystem; exports are recorded in etab but "
                   "nothing serves them");
    doctor_add(d, "nfs-versions", ST_SKIP, NULL, "no in-kernel NFS server to ask");
}

static const char *const version_names[] = { "2", "3", "4", "4.1", "4.2" };

/* /proc/fs/nfsd/versions: "-2 +3 +4 +4.1 +4.2" into d->versions, and the ones on into on.
 * "+4" with no minor versions listed (old kernels) means 4.0 only. */
static void read_versions(doctor *d, char *vers, char *on, size_t len)
{
    char *save = NULL;
    for (char *t = strtok_r(vers, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
        if (*t != '+' && *t != '-')
            continue;
        for (size_t i = 0; i < ELEMENTSOF(version_names); i++)
            if (!strcmp(t + 1, version_names[i]))
                d->versions[i] = *t == '+';
    }
    on[0] = '\0';
    for (size_t i = 0; i < ELEMENTSOF(version_names); i++)
        if (d->versions[i] == 1)
            snprintf(on + strlen(on), len - strlen(on), "%s%s", on[0] ? ", " : "",
                     version_names[i]);
}

static void judge_versions(doctor *d, const char *on)
{
    const int *v = d->versions;
    if (v[2] != 1 && v[3] != 1 && v[4] != 1)
        doctor_add(d, "nfs-versions", ST_FAIL,
                   "turn NFSv4 on: vers4=y (and vers4.1=y, vers4.2=y) in [nfsd] of "
                   "/etc/nfs.conf, then systemctl restart nfs-server",
                   "nfsd offers no NFSv4 (offered: %s): root=nfs4: guests cannot mount",
                   on[0] ? on : "none");
    else if (v[4] != 1)
        doctor_add(d, "nfs-versions", ST_WARN,
                   "vers4.2=y in [nfsd] of /etc/nfs.conf, then systemctl restart nfs-server",
                   "NFSv4.2 is off (offered: %s): guests get no extended attributes (file "
                   "capabilities such as ping's, SELinux labels)",
                   on);
    else if (v[0] == 1)
        doctor_add(d, "nfs-versions", ST_WARN, "vers2=n in [nfsd] of /etc/nfs.conf",
                   "NFSv2 is on (offered: %s); nothing needs it", on);
    else
        doctor_add(d, "nfs-versions", ST_PASS,
                   v[1] == 1 ? "if no guest uses NFSv3 (root=nfs:), vers3=n in [nfsd] of "
                               "/etc/nfs.conf turns it off"
                             : NULL,
                   "offered: %s%s", on, v[1] == 1 ? " (NFSv3 on: needs rpcbind and lockd)" : "");
}

static void check_kernel_server(doctor *d)
{
    _cleanup_free_ char *threads = NULL, *vers = NULL;
    if (doctor_read(d, "/proc/fs/nfsd/threads", &threads, NULL) < 0) {
        no_kernel_server(d);
        return;
    }
    long n = strtol(doctor_strip(threads), NULL, 10);
    if (n <= 0)
        doctor_add(d, "nfs-server", ST_FAIL, "systemctl start nfs-server (or rpc.nfsd 8)",
                   "nfsd is loaded but has 0 threads: the NFS server is stopped");
    else
        doctor_add(d, "nfs-server", ST_PASS, NULL, "in-kernel NFS server running with %ld threads",
                   n);
    if (doctor_read(d, "/proc/fs/nfsd/versions", &vers, NULL) < 0) {
        doctor_add(d, "nfs-versions", ST_WARN, NULL, "cannot read /proc/fs/nfsd/versions");
        return;
    }
    char on[64];
    read_versions(d, vers, on, sizeof(on));
    judge_versions(d, on);
}

/* Which server serves each backend's exports. */
static const struct {
    nfsroot_backend_kind kind;
    void (*check)(doctor *d);
} servers[] = {
    { NFSROOT_BACKEND_KERNEL, check_kernel_server },
    { NFSROOT_BACKEND_GANESHA, check_ganesha_server },
};

void check_nfs_server(doctor *d)
{
    for (size_t i = 0; i < ELEMENTSOF(d->versions); i++)
        d->versions[i] = -1;
    for (size_t i = 0; i < ELEMENTSOF(servers); i++)
        if (servers[i].kind == d->policy->backend) {
            servers[i].check(d);
            return;
        }
    doctor_add(d, "nfs-server", ST_SKIP, NULL, "backend '%s': no server check",
               nfsroot_backend_name(d->policy->backend));
    doctor_add(d, "nfs-versions", ST_SKIP, NULL, "backend '%s': no version check",
               nfsroot_backend_name(d->policy->backend));
}

/* ---------------------------------------------------------------------------------------- */
/* nfs.conf(5): [section], key = value, '#' or ';' comments; then each nfs.conf.d file. */

typedef struct nfs_conf {
    status worst;
    char problem[1024], fix[512];
    char threads[32], v42[8], v4[8], v3[8], host[256];
    char section[64];
} nfs_conf;

static void conf_warn(nfs_conf *c, const char *fix, const char *fmt, ...) _printf_(3, 4);
static void conf_warn(nfs_conf *c, const char *fix, const char *fmt, ...)
{
    if (c->worst >= ST_WARN)
        return;
    c->worst = ST_WARN;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->problem, sizeof(c->problem), fmt, ap);
    va_end(ap);
    snprintf(c->fix, sizeof(c->fix), "%s", fix);
}

static void conf_key(nfs_conf *c, const char *k, const char *v)
{
    const struct {
        const char *key;
        char *dst;
        size_t len;
    } keys[] = {
        { "threads", c->threads, sizeof(c->threads) },
        { "vers4.2", c->v42, sizeof(c->v42) },
        { "vers4", c->v4, sizeof(c->v4) },
        { "vers3", c->v3, sizeof(c->v3) },
        { "host", c->host, sizeof(c->host) },
    };
    if (strcmp(c->section, "nfsd"))
        return;
    for (size_t i = 0; i < ELEMENTSOF(keys); i++)
        if (!strcasecmp(k, keys[i].key))
            snprintf(keys[i].dst, keys[i].len, "%s", v);
}

static void conf_line(nfs_conf *c, const char *file, int lineno, char *l)
{
    if (!*l || *l == '#' || *l == ';')
        return;
    if (*l == '[') {
        char *e = strchr(l, ']');
        if (!e) {
            conf_warn(c, "write it as [name]", "%.300s line %d: section header '%.200s' has no ']'",
                      file, lineno, l);
            return;
        }
        *e = '\0';
        snprintf(c->section, sizeof(c->section), "%s", doctor_strip(l + 1));
        for (char *q = c->section; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        return;
    }
    char *eq = strchr(l, '=');
    if (!eq) {
        conf_warn(c, "correct or comment out that line",
                  "%.300s line %d: '%.200s' is not 'key = value'", file, lineno, l);
        return;
    }
    *eq = '\0';
    conf_key(c, doctor_strip(l), doctor_strip(eq + 1));
}

static bool conf_read(doctor *d, const char *host_file, nfs_conf *c)
{
    char file[4200];
    doctor_at(d, host_file, file, sizeof(file));
    _cleanup_free_ char *text = NULL;
    if (doctor_read(d, host_file, &text, NULL) < 0)
        return false;
    c->section[0] = '\0';
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        conf_line(c, file, ++lineno, doctor_strip(line));
    return true;
}

static void conf_judge(doctor *d, nfs_conf *c)
{
    char *endp = NULL;
    long nthreads = c->threads[0] ? strtol(c->threads, &endp, 10) : -1;
    if (c->v4[0] && strchr("nN0fF", c->v4[0])) {
        c->worst = ST_FAIL;
        snprintf(c->problem, sizeof(c->problem), "[nfsd] vers4=%s: NFSv4 is turned off", c->v4);
        snprintf(c->fix, sizeof(c->fix),
                 "set vers4=y in [nfsd] (guests mount their root with NFSv4)");
    } else if (c->threads[0] && (nthreads <= 0 || (endp && *endp))) {
        c->worst = ST_FAIL;
        snprintf(c->problem, sizeof(c->problem), "[nfsd] threads=%s: the server would not start",
                 c->threads);
        snprintf(c->fix, sizeof(c->fix), "set threads=8 (or more) in [nfsd]");
    } else if (c->v42[0] && strchr("nN0fF", c->v42[0]))
        conf_warn(c, "set vers4.2=y in [nfsd]",
                  "[nfsd] vers4.2=%s: no extended attributes for guests", c->v42);
    if (c->worst != ST_PASS) {
        doctor_add(d, "nfs-conf", c->worst, c->fix, "%s", c->problem);
        return;
    }
    doctor_add(d, "nfs-conf", ST_PASS, NULL,
               "[nfsd] threads=%s, vers3=%s, vers4=%s, vers4.2=%s%s%s",
               c->threads[0] ? c->threads : "default", c->v3[0] ? c->v3 : "default",
               c->v4[0] ? c->v4 : "default", c->v42[0] ? c->v42 : "default",
               c->host[0] ? ", host=" : "", c->host);
}

void check_nfs_conf(doctor *d)
{
    _cleanup_(doctor_list_freep) char **dropins = doctor_list(d, "/etc/nfs.conf.d", "*.conf");
    nfs_conf c = { .worst = ST_PASS };
    bool any = conf_read(d, "/etc/nfs.conf", &c);
    for (size_t i = 0; dropins && dropins[i]; i++)
        any |= conf_read(d, dropins[i], &c);
    if (!any) {
        char p[4096];
        doctor_add(d, "nfs-conf", ST_WARN,
                   "reinstall nfs-common/nfs-kernel-server to get the default /etc/nfs.conf",
                   "no %s: nfs-utils defaults apply", doctor_at(d, "/etc/nfs.conf", p, sizeof(p)));
        return;
    }
    conf_judge(d, &c);
}

/* ---------------------------------------------------------------------------------------- */

void check_rpcbind(doctor *d)
{
    char why[256], p[4096];
    if (!nfsroot_backend_offers_nfsv3(d->policy, why, sizeof(why))) {
        doctor_add(d, "rpcbind", ST_SKIP, NULL, "%s backend without NFSv3 (%s): rpcbind not needed",
                   nfsroot_backend_name(d->policy->backend), why);
        return;
    }
    if (d->versions[1] == 0) {
        doctor_add(d, "rpcbind", ST_PASS, NULL, "NFSv3 is off: rpcbind is not needed");
        return;
    }
    static const char *const names[] = { "rpcbind", NULL };
    long pid = doctor_find_process(d, names);
    struct stat st;
    if (pid)
        doctor_add(d, "rpcbind", ST_PASS, NULL, "rpcbind is running (pid %ld)", pid);
    else if (doctor_stat(d, "/run/rpcbind.sock", true, &st) == 0 && S_ISSOCK(st.st_mode))
        doctor_add(d, "rpcbind", ST_PASS, NULL, "rpcbind is socket-activated (%s)",
                   doctor_at(d, "/run/rpcbind.sock", p, sizeof(p)));
    else
        doctor_add(d, "rpcbind", ST_WARN,
                   "systemctl enable --now rpcbind; or, if every guest uses NFSv4, turn NFSv3 off "
                   "(vers3=n in [nfsd] of /etc/nfs.conf)",
                   "rpcbind is not running: NFSv3 guests (root=nfs:, vers=3) cannot mount and "
                   "nfs-server may fail to start with NFSv3 on");
}

/* The kernel backend runs exportfs as root: it must be there, and only root may change it. */
void check_exportfs(doctor *d)
{
    if (d->policy->backend != NFSROOT_BACKEND_KERNEL) {
        doctor_add(d, "exportfs", ST_SKIP, NULL, "%s backend: exportfs is not used",
                   nfsroot_backend_name(d->policy->backend));
        return;
    }
    const char *x = d->policy->exportfs;
    struct stat st;
    if (doctor_stat(d, x, true, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR)) {
        doctor_add(d, "exportfs", ST_FAIL,
                   "apt install nfs-kernel-server (or set 'exportfs' in the policy to where it "
                   "lives)",
                   "'%s' is not an executable: the hook cannot export anything", x);
        return;
    }
    if (st.st_uid != d->root_uid || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        char fix[2 * 4096 + 64];
        snprintf(fix, sizeof(fix), "chown root:root %s; chmod go-w %s", x, x);
        doctor_add(d, "exportfs", ST_FAIL, fix,
                   "%s is owned by uid %u with mode %04o: the hook runs it as root, so it refuses "
                   "it unless only root can change it",
                   x, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        return;
    }
    doctor_add(d, "exportfs", ST_PASS, NULL, "%s is installed, root-owned; records in %s", x,
               d->policy->etab);
}
