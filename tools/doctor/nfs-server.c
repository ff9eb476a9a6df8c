/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The NFS server: is it running, which versions it offers, nfs.conf, rpcbind, exportfs. */
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "doctor.h"

static const char *const version_names[NFSROOT_PROBE_VERSIONS] = { "2", "3", "4", "4.1", "4.2" };

/* "lead: setting where": how to turn version i on or off, as the backend says. */
static const char *version_fix(const doctor *d, char *buf, size_t len, const char *lead, size_t i,
                               bool on)
{
    const char *set = nfsroot_probe_get_version_setting(d->probe, i, on);
    snprintf(buf, len, "%s: %s %s", lead,
             set  ? set
             : on ? "turn it on"
                  : "turn it off",
             nfsroot_probe_get_versions_where(d->probe));
    return buf;
}

/* What the server says it serves, judged for root-on-NFS guests. */
static void judge_versions(doctor *d)
{
    int v[NFSROOT_PROBE_VERSIONS];
    char on[64] = "", fix[512];
    for (size_t i = 0; i < ELEMENTSOF(v); i++)
        v[i] = nfsroot_probe_get_version(d->probe, i);
    for (size_t i = 0; i < ELEMENTSOF(version_names); i++)
        if (v[i] == 1)
            snprintf(on + strlen(on), sizeof(on) - strlen(on), "%s%s", on[0] ? ", " : "",
                     version_names[i]);
    if (v[2] != 1 && v[3] != 1 && v[4] != 1)
        doctor_add(d, "nfs-versions", ST_FAIL,
                   version_fix(d, fix, sizeof(fix), "turn NFSv4 on (and 4.1, 4.2)", 2, true),
                   "the NFS server offers no NFSv4 (offered: %s): root=nfs4: guests cannot mount",
                   on[0] ? on : "none");
    else if (v[4] != 1)
        doctor_add(d, "nfs-versions", ST_WARN,
                   version_fix(d, fix, sizeof(fix), "turn NFSv4.2 on", 4, true),
                   "NFSv4.2 is off (offered: %s): guests get no extended attributes (file "
                   "capabilities such as ping's, SELinux labels)",
                   on);
    else if (v[0] == 1)
        doctor_add(d, "nfs-versions", ST_WARN,
                   version_fix(d, fix, sizeof(fix), "turn NFSv2 off", 0, false),
                   "NFSv2 is on (offered: %s); nothing needs it", on);
    else
        doctor_add(d, "nfs-versions", ST_PASS,
                   v[1] == 1
                       ? version_fix(d, fix, sizeof(fix),
                                     "if no guest uses NFSv3 (root=nfs:), turn it off", 1, false)
                       : NULL,
                   "offered: %s%s", on, v[1] == 1 ? " (NFSv3 on: needs rpcbind and lockd)" : "");
}

/* The server as its backend's probe reports it: running or not, and the versions it serves. */
void check_nfs_server(doctor *d)
{
    nfsroot_error err = { 0 };
    if (nfsroot_backend_probe(d->policy, doctor_root_fd(d), &d->probe, &err) < 0) {
        doctor_add(d, "nfs-server", ST_WARN, NULL, "cannot probe the NFS server: %s", err.message);
        doctor_add(d, "nfs-versions", ST_SKIP, NULL, "the NFS server could not be probed");
        return;
    }
    const nfsroot_probe *pr = d->probe;
    int running = nfsroot_probe_get_running(pr);
    status st = running < 0 ? ST_SKIP : running ? ST_PASS : ST_FAIL;
    doctor_add(d, "nfs-server", st, nfsroot_probe_get_fix(pr), "%s", nfsroot_probe_get_reason(pr));
    bool unreadable = false;
    const char *why = nfsroot_probe_get_versions_reason(pr, &unreadable);
    if (why)
        doctor_add(d, "nfs-versions", unreadable ? ST_WARN : ST_SKIP, NULL, "%s", why);
    else
        judge_versions(d);
    /* What the backend needs from its server's own configuration, a row each. */
    static const status verdicts[] = { [NFSROOT_PROBE_PASS] = ST_PASS,
                                       [NFSROOT_PROBE_WARN] = ST_WARN,
                                       [NFSROOT_PROBE_FAIL] = ST_FAIL };
    for (size_t i = 0; i < nfsroot_probe_get_n_checks(pr); i++) {
        const char *id, *reason, *fix;
        int v = nfsroot_probe_get_check(pr, i, &id, &reason, &fix);
        if (v >= 0 && (size_t)v < ELEMENTSOF(verdicts))
            doctor_add(d, id, verdicts[v], fix, "%s", reason);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* nfs.conf(5), then each nfs.conf.d file, read by the library as nfs-utils reads them. */

typedef struct nfs_conf {
    status worst;
    char problem[1024], fix[512];
    const char *threads, *v42, *v4, *v3, *host; /* [nfsd]'s, NULL when unset */
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

/* One file into settings; its first unreadable line (nfs-utils skips it) becomes a warning. */
static bool conf_read(doctor *d, const char *host_file, nfsroot_conffile **settings, nfs_conf *c)
{
    char file[4200];
    doctor_at(d, host_file, file, sizeof(file));
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (doctor_read(d, host_file, &text, &len) < 0)
        return false;
    nfsroot_error err = NFSROOT_ERROR_INIT;
    if (nfsroot_conffile_parse(settings, text, len, file, &err) < 0)
        conf_warn(c,
                  !strcmp(err.field, "section header") ? "write it as [name]"
                  : !strcmp(err.field, "line")         ? "correct or comment out that line"
                                                       : "shorten the file",
                  "%s", err.message);
    return true;
}

static bool is_off(const char *v)
{
    return v && strchr("nN0fF", v[0]);
}

static void conf_judge(doctor *d, nfs_conf *c)
{
    char *endp = NULL;
    long nthreads = c->threads ? strtol(c->threads, &endp, 10) : -1;
    if (is_off(c->v4)) {
        c->worst = ST_FAIL;
        snprintf(c->problem, sizeof(c->problem), "[nfsd] vers4=%s: NFSv4 is turned off", c->v4);
        snprintf(c->fix, sizeof(c->fix),
                 "set vers4=y in [nfsd] (guests mount their root with NFSv4)");
    } else if (c->threads && (nthreads <= 0 || (endp && *endp))) {
        c->worst = ST_FAIL;
        snprintf(c->problem, sizeof(c->problem), "[nfsd] threads=%s: the server would not start",
                 c->threads);
        snprintf(c->fix, sizeof(c->fix), "set threads=8 (or more) in [nfsd]");
    } else if (is_off(c->v42))
        conf_warn(c, "set vers4.2=y in [nfsd]",
                  "[nfsd] vers4.2=%s: no extended attributes for guests", c->v42);
    if (c->worst != ST_PASS) {
        doctor_add(d, "nfs-conf", c->worst, c->fix, "%s", c->problem);
        return;
    }
    doctor_add(
        d, "nfs-conf", ST_PASS, NULL, "[nfsd] threads=%s, vers3=%s, vers4=%s, vers4.2=%s%s%s",
        c->threads ? c->threads : "default", c->v3 ? c->v3 : "default", c->v4 ? c->v4 : "default",
        c->v42 ? c->v42 : "default", c->host ? ", host=" : "", c->host ? c->host : "");
}

/* An [nfsd] setting; an empty value counts as unset. */
static const char *nfsd_setting(const nfsroot_conffile *settings, const char *key)
{
    const char *v = nfsroot_conffile_get(settings, "nfsd", key);
    return v && v[0] ? v : NULL;
}

void check_nfs_conf(doctor *d)
{
    _cleanup_(nfsroot_strv_freep) char **dropins = doctor_list(d, "/etc/nfs.conf.d", "*.conf");
    _cleanup_(nfsroot_conffile_freep) nfsroot_conffile *settings = NULL;
    nfs_conf c = { .worst = ST_PASS };
    bool any = conf_read(d, "/etc/nfs.conf", &settings, &c);
    for (size_t i = 0; dropins && dropins[i]; i++)
        any |= conf_read(d, dropins[i], &settings, &c);
    if (!any) {
        char p[4096];
        doctor_add(d, "nfs-conf", ST_WARN,
                   "reinstall nfs-common/nfs-kernel-server to get the default /etc/nfs.conf",
                   "no %s: nfs-utils defaults apply", doctor_at(d, "/etc/nfs.conf", p, sizeof(p)));
        return;
    }
    c.threads = nfsd_setting(settings, "threads");
    c.v42 = nfsd_setting(settings, "vers4.2");
    c.v4 = nfsd_setting(settings, "vers4");
    c.v3 = nfsd_setting(settings, "vers3");
    c.host = nfsd_setting(settings, "host");
    conf_judge(d, &c);
}

/* ---------------------------------------------------------------------------------------- */

/* rpcbind where the server itself says it needs it (ganesha.conf's Protocols): a server that
 * does not start without it fails the check. */
static bool rpcbind_by_probe(doctor *d, long pid, bool socket, const char *p)
{
    const char *reason = "";
    int need = nfsroot_probe_get_rpcbind(d->probe, &reason);
    if (need < 0)
        return false;
    if (need == 0)
        doctor_add(d, "rpcbind", ST_PASS, NULL, "%s: rpcbind is not needed", reason);
    else if (pid)
        doctor_add(d, "rpcbind", ST_PASS, NULL, "rpcbind is running (pid %ld): %s", pid, reason);
    else if (socket)
        doctor_add(d, "rpcbind", ST_PASS, NULL, "rpcbind is socket-activated (%s): %s", p, reason);
    else {
        char fix[1024], off[512];
        snprintf(fix, sizeof(fix),
                 "start rpcbind before the NFS server (systemctl enable --now rpcbind; without "
                 "systemd: rpcbind -w); or, if no guest uses NFSv3, %s",
                 version_fix(d, off, sizeof(off), "turn it off", 1, false));
        doctor_add(d, "rpcbind", need == 2 ? ST_FAIL : ST_WARN, fix,
                   "rpcbind is not running, and %s", reason);
    }
    return true;
}

void check_rpcbind(doctor *d)
{
    char why[256], p[4096];
    static const char *const names[] = { "rpcbind", NULL };
    long pid = doctor_find_process(d, names);
    struct stat st;
    bool socket = doctor_stat(d, "/run/rpcbind.sock", true, &st) == 0 && S_ISSOCK(st.st_mode);
    doctor_at(d, "/run/rpcbind.sock", p, sizeof(p));
    if (rpcbind_by_probe(d, pid, socket, p))
        return;
    if (!nfsroot_backend_offers_nfsv3(d->policy, why, sizeof(why))) {
        doctor_add(d, "rpcbind", ST_SKIP, NULL, "%s backend without NFSv3 (%s): rpcbind not needed",
                   nfsroot_backend_name(nfsroot_policy_get_backend(d->policy)), why);
        return;
    }
    if (nfsroot_probe_get_version(d->probe, 1) == 0) {
        doctor_add(d, "rpcbind", ST_PASS, NULL, "NFSv3 is off: rpcbind is not needed");
        return;
    }
    if (pid)
        doctor_add(d, "rpcbind", ST_PASS, NULL, "rpcbind is running (pid %ld)", pid);
    else if (socket)
        doctor_add(d, "rpcbind", ST_PASS, NULL, "rpcbind is socket-activated (%s)", p);
    else
        doctor_add(d, "rpcbind", ST_WARN,
                   "systemctl enable --now rpcbind; or, if every guest uses NFSv4, turn NFSv3 off "
                   "(vers3=n in [nfsd] of /etc/nfs.conf)",
                   "rpcbind is not running: NFSv3 guests (root=nfs:, vers=3) cannot mount and "
                   "nfs-server may fail to start with NFSv3 on");
}

/* The program the backend runs as root (exportfs, as its probe says): it must be there, and only
 * root may change it. */
void check_exportfs(doctor *d)
{
    const char *x = nfsroot_probe_get_helper(d->probe);
    if (!x) {
        doctor_add(d, "exportfs", ST_SKIP, NULL, "%s backend: exportfs is not used",
                   nfsroot_backend_name(nfsroot_policy_get_backend(d->policy)));
        return;
    }
    struct stat st;
    if (doctor_stat(d, x, true, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR)) {
        doctor_add(d, "exportfs", ST_FAIL, nfsroot_probe_get_helper_fix(d->probe),
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
               nfsroot_probe_get_helper_records(d->probe));
}
