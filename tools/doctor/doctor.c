/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot doctor: the host checks a root-on-NFS guide makes people do by hand, each with a
 * verdict and the fix. Every file it reads is taken below --root, so tests run it on fixture
 * hosts; it never changes anything. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <nfsidmap.h>

#include "../cli.h"

#ifndef NFSROOT_HOOK_PATH
#define NFSROOT_HOOK_PATH "/etc/libvirt/hooks/qemu.d/virt-nfsroot"
#endif

typedef enum { ST_PASS, ST_WARN, ST_FAIL, ST_SKIP } status;
static const char *const status_names[] = { "pass", "warn", "fail", "skip" };
static const char *const status_labels[] = { "PASS", "WARN", "FAIL", "SKIP" };

typedef struct check {
    const char *id;
    status st;
    char *summary;
    char *fix; /* NULL when nothing to do */
} check;

typedef struct network {
    char *name;
    bool active;
    nfsroot_cidr subnets[8];
    size_t n_subnets;
    size_t n_hosts; /* static DHCP hosts */
} network;

typedef struct doctor {
    const char *root; /* "/" or a fixture root without trailing slash */
    int root_fd;      /* root, opened O_PATH: every host file is opened beneath it */
    uid_t root_uid;   /* the owner of root stands for uid 0 (fixture trees belong to a user) */
    nfsroot_policy *policy;
    check checks[32];
    size_t n_checks;
    network nets[64];
    size_t n_nets;
    bool nets_loaded;
    /* What nfsd offers, when known: index 0 = v2, 1 = v3, 2 = v4.0, 3 = 4.1, 4 = 4.2. */
    int versions[5]; /* 1 on, 0 off, -1 unknown */
} doctor;

static void add(doctor *d, const char *id, status st, const char *fix, const char *fmt, ...)
    _printf_(5, 6);
static void add(doctor *d, const char *id, status st, const char *fix, const char *fmt, ...)
{
    if (d->n_checks >= ELEMENTSOF(d->checks))
        return;
    check *c = &d->checks[d->n_checks++];
    c->id = id;
    c->st = st;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&c->summary, fmt, ap) < 0)
        c->summary = NULL;
    va_end(ap);
    c->fix = fix ? strdup(fix) : NULL;
}

/* The path of a host file below --root. */
static const char *at(const doctor *d, const char *path, char *buf, size_t len)
{
    if (!strcmp(d->root, "/"))
        snprintf(buf, len, "%s", path);
    else
        snprintf(buf, len, "%s%s", d->root, path);
    return buf;
}

/* An fd for a host path below --root: its symbolic links, absolute ones included, resolve inside
 * the root as they would on that host, and ".." stops at it, so no link in a fixture (or a
 * mounted guest tree) leads doctor to read the machine's own files. -errno. */
static int open_in(const doctor *d, const char *path, int flags)
{
    if (!strcmp(d->root, "/")) {
        int fd = open(path, flags | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }
    while (*path == '/')
        path++;
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, d->root_fd, *path ? path : ".", &how, sizeof(how));
    return fd < 0 ? -errno : (int)fd;
}

/* stat (follow = true) or lstat of a host path below --root. */
static int stat_in(const doctor *d, const char *path, bool follow, struct stat *st)
{
    int fd = open_in(d, path, O_PATH | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0)
        return fd;
    int r = fstat(fd, st) < 0 ? -errno : 0;
    close(fd);
    return r;
}

static int read_fd(int fd, size_t max, char **ret)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            return -ENOMEM;
        if (len + 1 == cap) {
            if (cap > max) {
                free(buf);
                return -EFBIG;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
            continue;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            return -e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *ret = buf;
    return 0;
}

/* Read a host file below --root (a regular file: a FIFO or device there must not hang us). */
static int read_at(const doctor *d, const char *path, char **ret)
{
    char p[4096];
    cli_debug("doctor: reading %s", at(d, path, p, sizeof(p)));
    int fd = open_in(d, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fd;
    struct stat st;
    int r = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
    if (r == 0)
        r = read_fd(fd, 4 * 1024 * 1024, ret);
    close(fd);
    return r;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The host paths "dir/NAME" of the entries of a host directory below --root whose NAME matches
 * pattern (fnmatch, no leading dot), sorted as glob() sorts them. NULL-terminated; NULL when the
 * directory cannot be read. */
static char **list_in(const doctor *d, const char *dir, const char *pattern)
{
    int fd = open_in(d, dir, O_RDONLY | O_DIRECTORY);
    DIR *dh = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dh) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char **v = calloc(1, sizeof(char *));
    size_t n = 0;
    struct dirent *de;
    while (v && (de = readdir(dh))) {
        if (fnmatch(pattern, de->d_name, FNM_PERIOD) != 0)
            continue;
        char **nv = realloc(v, (n + 2) * sizeof(char *));
        if (!nv)
            break;
        v = nv;
        if (asprintf(&v[n], "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name) <
            0) {
            v[n] = NULL;
            break;
        }
        v[++n] = NULL;
    }
    closedir(dh);
    if (v)
        qsort(v, n, sizeof(char *), cmp_str);
    return v;
}

static void list_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static char *strip(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Is a process with this comm running (from <root>/proc/<pid>/comm)? Returns its pid or 0. */
static long find_process(const doctor *d, const char *const *names)
{
    int fd = open_in(d, "/proc", O_RDONLY | O_DIRECTORY);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    long found = 0;
    struct dirent *de;
    while (!found && (de = readdir(dir))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        char rel[300];
        snprintf(rel, sizeof(rel), "/proc/%s/comm", de->d_name);
        _cleanup_free_ char *comm = NULL;
        if (read_at(d, rel, &comm) < 0)
            continue;
        strip(comm);
        for (const char *const *n = names; *n && !found; n++)
            if (!strcmp(comm, *n))
                found = strtol(de->d_name, NULL, 10);
    }
    closedir(dir);
    return found;
}

/* ---------------------------------------------------------------------------------------- */

/* Replace the first "from" in buf (of size len) by "to". */
static void replace_in(char *buf, size_t len, const char *from, const char *to)
{
    char *hit = from[0] ? strstr(buf, from) : NULL;
    if (!hit)
        return;
    char tail[4096];
    snprintf(tail, sizeof(tail), "%s", hit + strlen(from));
    snprintf(hit, len - (size_t)(hit - buf), "%s%s", to, tail);
}

/* The policy: --config / $VIRT_NFSROOT_CONFIG as given, else the default path below --root,
 * opened once; its owner and mode are judged as the hook judges them, and the library reads the
 * same open file (through /proc/self/fd), never a path that could lead out of --root. */
static void check_policy(doctor *d)
{
    nfsroot_error err = { 0 };
    char p[4096], via[64] = "";
    const char *explicit = cli.config ? cli.config : secure_getenv("VIRT_NFSROOT_CONFIG");
    const char *shown = explicit ? explicit : at(d, nfsroot_policy_default_path(), p, sizeof(p));
    int fd = explicit ? open(explicit, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
                      : open_in(d, nfsroot_policy_default_path(), O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (explicit && fd < 0)
        fd = -errno;
    int r;
    char owner[256] = "";
    if (fd == -ENOENT && !explicit)
        r = nfsroot_policy_new_default(&d->policy, &err);
    else if (fd < 0) {
        r = err.code = fd;
        snprintf(err.message, sizeof(err.message), "cannot read policy '%s': %s", shown,
                 strerror(-fd));
    } else {
        struct stat st;
        /* Read beneath --root, its owner stands for root (fixture trees belong to a user). */
        uid_t root_uid = explicit ? 0 : d->root_uid;
        if (fstat(fd, &st) == 0 &&
            (!S_ISREG(st.st_mode) || st.st_uid != root_uid || (st.st_mode & (S_IWGRP | S_IWOTH))))
            snprintf(owner, sizeof(owner),
                     S_ISREG(st.st_mode) ? "is owned by uid %u with mode %04o"
                                         : "is not a regular file",
                     (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        snprintf(via, sizeof(via), "/proc/self/fd/%d", fd);
        r = nfsroot_policy_load(via, &d->policy, &err);
        close(fd);
        if (r == 0 && d->policy->source) {
            free(d->policy->source);
            d->policy->source = strdup(shown);
        }
    }
    if (owner[0]) {
        char fix[2 * 4096 + 64];
        snprintf(fix, sizeof(fix), "chown root:root %s; chmod go-w %s", shown, shown);
        add(d, "policy", ST_FAIL, fix,
            "policy %s %s: the hook refuses every annotated domain while anyone but root can "
            "change it",
            shown, owner);
        if (r < 0)
            nfsroot_policy_new_default(&d->policy, NULL);
        return;
    }
    if (r < 0) {
        char line[2048];
        nfsroot_error_format(&err, line, sizeof(line));
        replace_in(line, sizeof(line), via, shown);
        add(d, "policy", ST_FAIL,
            "correct the policy file: the hook refuses every annotated domain until it loads "
            "(see virt-nfsroot.conf(5))",
            "%s", line);
        nfsroot_policy_new_default(&d->policy, NULL);
        return;
    }
    _cleanup_free_ char *roots = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&roots, &len);
    for (char **x = d->policy->export_roots; f && x && *x; x++)
        fprintf(f, "%s%s", x == d->policy->export_roots ? "" : ", ", *x);
    if (f)
        fclose(f);
    add(d, "policy", ST_PASS, NULL, "%s: backend %s, export roots %s, validate %s",
        d->policy->source ? d->policy->source : "no policy file, built-in defaults",
        d->policy->backend == NFSROOT_BACKEND_GANESHA ? "ganesha" : "kernel", roots ? roots : "?",
        d->policy->validate == NFSROOT_VALIDATE_STRICT ? "strict"
        : d->policy->validate == NFSROOT_VALIDATE_WARN ? "warn"
                                                       : "off");
}

static void check_nfs_server(doctor *d)
{
    for (size_t i = 0; i < ELEMENTSOF(d->versions); i++)
        d->versions[i] = -1;
    if (d->policy->backend == NFSROOT_BACKEND_GANESHA) {
        static const char *const names[] = { "ganesha.nfsd", NULL };
        long pid = find_process(d, names);
        if (pid)
            add(d, "nfs-server", ST_PASS, NULL, "NFS-Ganesha is running (pid %ld)", pid);
        else
            add(d, "nfs-server", ST_FAIL,
                "start NFS-Ganesha (systemctl enable --now nfs-ganesha) with the D-Bus export "
                "manager enabled",
                "backend is 'ganesha' but no ganesha.nfsd process is running");
        add(d, "nfs-versions", ST_SKIP, NULL,
            "versions are set in ganesha.conf (NFS_CORE_PARAM Protocols), not checked");
        return;
    }
    _cleanup_free_ char *threads = NULL;
    int r = read_at(d, "/proc/fs/nfsd/threads", &threads);
    if (r < 0) {
        _cleanup_free_ char *fs = NULL;
        bool known = read_at(d, "/proc/filesystems", &fs) == 0 && strstr(fs, "\tnfsd\n");
        if (known)
            add(d, "nfs-server", ST_FAIL,
                "start the NFS server: systemctl enable --now nfs-server (it mounts the nfsd "
                "filesystem on /proc/fs/nfsd)",
                "the kernel has nfsd but /proc/fs/nfsd/threads is missing: the nfsd filesystem "
                "is not mounted, so the NFS server is not running");
        else
            add(d, "nfs-server", ST_FAIL,
                "load the server (modprobe nfsd; systemctl enable --now nfs-server); where the "
                "kernel has no nfsd (many containers and VMs), run NFS-Ganesha instead and set "
                "'backend = ganesha' in the policy",
                "no in-kernel NFS server on this host: /proc/fs/nfsd/threads is missing and the "
                "kernel lists no 'nfsd' filesystem; exports are recorded in etab but nothing "
                "serves them");
        add(d, "nfs-versions", ST_SKIP, NULL, "no in-kernel NFS server to ask");
        return;
    }
    long n = strtol(strip(threads), NULL, 10);
    if (n <= 0)
        add(d, "nfs-server", ST_FAIL, "systemctl start nfs-server (or rpc.nfsd 8)",
            "nfsd is loaded but has 0 threads: the NFS server is stopped");
    else
        add(d, "nfs-server", ST_PASS, NULL, "in-kernel NFS server running with %ld threads", n);

    _cleanup_free_ char *vers = NULL;
    if (read_at(d, "/proc/fs/nfsd/versions", &vers) < 0) {
        add(d, "nfs-versions", ST_WARN, NULL, "cannot read /proc/fs/nfsd/versions");
        return;
    }
    static const char *const names[] = { "2", "3", "4", "4.1", "4.2" };
    char *save = NULL;
    for (char *t = strtok_r(vers, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
        if (*t != '+' && *t != '-')
            continue;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
            if (!strcmp(t + 1, names[i]))
                d->versions[i] = *t == '+';
    }
    /* "+4" with no minor versions listed (old kernels) means 4.0 only. */
    char on[64] = "";
    for (size_t i = 0; i < ELEMENTSOF(names); i++)
        if (d->versions[i] == 1)
            snprintf(on + strlen(on), sizeof(on) - strlen(on), "%s%s", on[0] ? ", " : "", names[i]);
    bool v4 = d->versions[2] == 1 || d->versions[3] == 1 || d->versions[4] == 1;
    if (!v4)
        add(d, "nfs-versions", ST_FAIL,
            "turn NFSv4 on: vers4=y (and vers4.1=y, vers4.2=y) in [nfsd] of /etc/nfs.conf, then "
            "systemctl restart nfs-server",
            "nfsd offers no NFSv4 (offered: %s): root=nfs4: guests cannot mount",
            on[0] ? on : "none");
    else if (d->versions[4] != 1)
        add(d, "nfs-versions", ST_WARN,
            "vers4.2=y in [nfsd] of /etc/nfs.conf, then systemctl restart nfs-server",
            "NFSv4.2 is off (offered: %s): guests get no extended attributes (file "
            "capabilities such as ping's, SELinux labels)",
            on);
    else if (d->versions[0] == 1)
        add(d, "nfs-versions", ST_WARN, "vers2=n in [nfsd] of /etc/nfs.conf",
            "NFSv2 is on (offered: %s); nothing needs it", on);
    else
        add(d, "nfs-versions", ST_PASS,
            d->versions[1] == 1 ? "if no guest uses NFSv3 (root=nfs:), vers3=n in [nfsd] of "
                                  "/etc/nfs.conf turns it off"
                                : NULL,
            "offered: %s%s", on, d->versions[1] == 1 ? " (NFSv3 on: needs rpcbind and lockd)" : "");
}

/* nfs.conf(5): [section], key = value, '#' or ';' comments; then each nfs.conf.d file. */
static void check_nfs_conf(doctor *d)
{
    char p[4096];
    char **dropins = list_in(d, "/etc/nfs.conf.d", "*.conf");
    size_t nfiles = 1;
    while (dropins && dropins[nfiles - 1])
        nfiles++;
    status worst = ST_PASS;
    char problem[1024] = "", fix[512] = "";
    char threads[32] = "", v42[8] = "", v4[8] = "", v3[8] = "", host[256] = "";
    bool any = false;
    for (size_t fi = 0; fi < nfiles; fi++) {
        char file[4200];
        const char *host_file = fi == 0 ? "/etc/nfs.conf" : dropins[fi - 1];
        at(d, host_file, file, sizeof(file));
        _cleanup_free_ char *text = NULL;
        if (read_at(d, host_file, &text) < 0)
            continue;
        any = true;
        char section[64] = "";
        int lineno = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            lineno++;
            char *l = strip(line);
            if (!*l || *l == '#' || *l == ';')
                continue;
            if (*l == '[') {
                char *e = strchr(l, ']');
                if (!e) {
                    if (worst < ST_WARN) {
                        worst = ST_WARN;
                        snprintf(problem, sizeof(problem),
                                 "%.300s line %d: section header '%.200s' has no ']'", file, lineno,
                                 l);
                        snprintf(fix, sizeof(fix), "write it as [name]");
                    }
                    continue;
                }
                *e = '\0';
                snprintf(section, sizeof(section), "%s", strip(l + 1));
                for (char *q = section; *q; q++)
                    *q = (char)tolower((unsigned char)*q);
                continue;
            }
            char *eq = strchr(l, '=');
            if (!eq) {
                if (worst < ST_WARN) {
                    worst = ST_WARN;
                    snprintf(problem, sizeof(problem),
                             "%.300s line %d: '%.200s' is not 'key = value'", file, lineno, l);
                    snprintf(fix, sizeof(fix), "correct or comment out that line");
                }
                continue;
            }
            *eq = '\0';
            char *k = strip(l), *v = strip(eq + 1);
            if (strcmp(section, "nfsd"))
                continue;
            if (!strcasecmp(k, "threads"))
                snprintf(threads, sizeof(threads), "%s", v);
            else if (!strcasecmp(k, "vers4.2"))
                snprintf(v42, sizeof(v42), "%s", v);
            else if (!strcasecmp(k, "vers4"))
                snprintf(v4, sizeof(v4), "%s", v);
            else if (!strcasecmp(k, "vers3"))
                snprintf(v3, sizeof(v3), "%s", v);
            else if (!strcasecmp(k, "host"))
                snprintf(host, sizeof(host), "%s", v);
        }
    }
    list_free(dropins);
    if (!any) {
        add(d, "nfs-conf", ST_WARN,
            "reinstall nfs-common/nfs-kernel-server to get the default /etc/nfs.conf",
            "no %s: nfs-utils defaults apply", at(d, "/etc/nfs.conf", p, sizeof(p)));
        return;
    }
    bool off4 = v4[0] && strchr("nN0fF", v4[0]);
    bool off42 = v42[0] && strchr("nN0fF", v42[0]);
    char *endp = NULL;
    long nthreads = threads[0] ? strtol(threads, &endp, 10) : -1;
    if (off4) {
        worst = ST_FAIL;
        snprintf(problem, sizeof(problem), "[nfsd] vers4=%s: NFSv4 is turned off", v4);
        snprintf(fix, sizeof(fix), "set vers4=y in [nfsd] (guests mount their root with NFSv4)");
    } else if (threads[0] && (nthreads <= 0 || (endp && *endp))) {
        worst = ST_FAIL;
        snprintf(problem, sizeof(problem), "[nfsd] threads=%s: the server would not start",
                 threads);
        snprintf(fix, sizeof(fix), "set threads=8 (or more) in [nfsd]");
    } else if (off42 && worst < ST_WARN) {
        worst = ST_WARN;
        snprintf(problem, sizeof(problem), "[nfsd] vers4.2=%s: no extended attributes for guests",
                 v42);
        snprintf(fix, sizeof(fix), "set vers4.2=y in [nfsd]");
    }
    if (worst != ST_PASS) {
        add(d, "nfs-conf", worst, fix, "%s", problem);
        return;
    }
    add(d, "nfs-conf", ST_PASS, NULL, "[nfsd] threads=%s, vers3=%s, vers4=%s, vers4.2=%s%s%s",
        threads[0] ? threads : "default", v3[0] ? v3 : "default", v4[0] ? v4 : "default",
        v42[0] ? v42 : "default", host[0] ? ", host=" : "", host);
}

static void check_rpcbind(doctor *d)
{
    if (d->policy->backend == NFSROOT_BACKEND_GANESHA && !d->policy->ganesha_nfsv3) {
        add(d, "rpcbind", ST_SKIP, NULL, "ganesha backend without NFSv3: rpcbind not needed");
        return;
    }
    if (d->versions[1] == 0) {
        add(d, "rpcbind", ST_PASS, NULL, "NFSv3 is off: rpcbind is not needed");
        return;
    }
    static const char *const names[] = { "rpcbind", NULL };
    long pid = find_process(d, names);
    char p[4096];
    struct stat st;
    if (pid)
        add(d, "rpcbind", ST_PASS, NULL, "rpcbind is running (pid %ld)", pid);
    else if (stat_in(d, "/run/rpcbind.sock", true, &st) == 0 && S_ISSOCK(st.st_mode) &&
             at(d, "/run/rpcbind.sock", p, sizeof(p)))
        add(d, "rpcbind", ST_PASS, NULL, "rpcbind is socket-activated (%s)", p);
    else
        add(d, "rpcbind", ST_WARN,
            "systemctl enable --now rpcbind; or, if every guest uses NFSv4, turn NFSv3 off "
            "(vers3=n in [nfsd] of /etc/nfs.conf)",
            "rpcbind is not running: NFSv3 guests (root=nfs:, vers=3) cannot mount and "
            "nfs-server may fail to start with NFSv3 on");
}

static void check_export_roots(doctor *d)
{
    status worst = ST_PASS;
    char msg[2048] = "", fix[1024] = "";
    size_t n = 0;
    for (char **r = d->policy->export_roots; r && *r; r++, n++) {
        struct stat st;
        status s = ST_PASS;
        char why[1024] = "", f[512] = "";
        if (stat_in(d, *r, false, &st) < 0) {
            s = ST_FAIL;
            snprintf(why, sizeof(why), "export root '%s' does not exist", *r);
            snprintf(f, sizeof(f), "mkdir -p -m 0755 %s (and create /%s/<domain> for each guest)",
                     *r, *r + 1);
        } else if (S_ISLNK(st.st_mode)) {
            s = ST_FAIL;
            snprintf(why, sizeof(why), "export root '%s' is a symbolic link", *r);
            snprintf(f, sizeof(f), "name the real directory in export_roots of the policy");
        } else if (!S_ISDIR(st.st_mode)) {
            s = ST_FAIL;
            snprintf(why, sizeof(why), "export root '%s' is not a directory", *r);
            snprintf(f, sizeof(f), "make '%s' a directory or change export_roots", *r);
        } else if (st.st_mode & S_IWOTH) {
            s = ST_FAIL;
            snprintf(why, sizeof(why),
                     "export root '%s' is world-writable (mode %04o): any local user can plant a "
                     "guest root or a symlink in it",
                     *r, (unsigned)(st.st_mode & 07777));
            snprintf(f, sizeof(f), "chmod 0755 %s", *r);
        } else if ((st.st_mode & S_IWGRP) || st.st_uid != d->root_uid) {
            s = ST_WARN;
            snprintf(why, sizeof(why), "export root '%s' is writable by %s (mode %04o, uid %u)", *r,
                     st.st_uid != d->root_uid ? "a non-root owner" : "its group",
                     (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
            snprintf(f, sizeof(f), "chown root:root %s && chmod 0755 %s", *r, *r);
        }
        if (s > worst || (s == worst && s != ST_PASS && !msg[0])) {
            worst = s;
            snprintf(msg, sizeof(msg), "%s", why);
            snprintf(fix, sizeof(fix), "%s", f);
        }
    }
    if (worst == ST_PASS)
        add(d, "export-roots", ST_PASS, NULL, "%zu export root(s) exist, writable by root only", n);
    else
        add(d, "export-roots", worst, fix, "%s", msg);
}

static void check_exportfs(doctor *d)
{
    if (d->policy->backend != NFSROOT_BACKEND_KERNEL) {
        add(d, "exportfs", ST_SKIP, NULL, "ganesha backend: exportfs is not used");
        return;
    }
    const char *x = d->policy->exportfs;
    struct stat st;
    if (stat_in(d, x, true, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR)) {
        add(d, "exportfs", ST_FAIL,
            "apt install nfs-kernel-server (or set 'exportfs' in the "
            "policy to where it lives)",
            "'%s' is not an executable: the hook cannot export anything", x);
        return;
    }
    /* The hook runs it as root and refuses it unless only root can change it. */
    if (st.st_uid != d->root_uid || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        char fix[2 * 4096 + 64];
        snprintf(fix, sizeof(fix), "chown root:root %s; chmod go-w %s", x, x);
        add(d, "exportfs", ST_FAIL, fix,
            "%s is owned by uid %u with mode %04o: the hook runs it as root, so it refuses it "
            "unless only root can change it",
            x, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        return;
    }
    add(d, "exportfs", ST_PASS, NULL, "%s is installed, root-owned; records in %s", x,
        d->policy->etab);
}

/* ---------------------------------------------------------------------------------------- */
/* libvirt networks, read from their XML files (no libvirt connection: works on fixtures) */

static bool elem_is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, (const xmlChar *)name);
}

static void parse_network(doctor *d, const char *file, bool active)
{
    if (d->n_nets >= ELEMENTSOF(d->nets))
        return;
    _cleanup_free_ char *text = NULL;
    if (read_at(d, file, &text) < 0)
        return;
    xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), file, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (root && elem_is(root, "networkstatus"))
        for (xmlNodePtr c = root->children; c; c = c->next)
            if (elem_is(c, "network")) {
                root = c;
                break;
            }
    if (!root || !elem_is(root, "network")) {
        xmlFreeDoc(doc);
        return;
    }
    network net = { .active = active };
    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (elem_is(c, "name") && !net.name) {
            xmlChar *t = xmlNodeGetContent(c);
            net.name = t ? strdup((const char *)t) : NULL;
            xmlFree(t);
        } else if (elem_is(c, "ip") && net.n_subnets < ELEMENTSOF(net.subnets)) {
            xmlChar *addr = xmlGetProp(c, (const xmlChar *)"address");
            xmlChar *prefix = xmlGetProp(c, (const xmlChar *)"prefix");
            xmlChar *mask = xmlGetProp(c, (const xmlChar *)"netmask");
            int pl = prefix ? atoi((const char *)prefix)
                     : mask ? cli_netmask_prefix((const char *)mask)
                     : (addr && strchr((const char *)addr, ':')) ? 64
                                                                 : 24;
            if (addr && cli_make_subnet((const char *)addr, pl, &net.subnets[net.n_subnets]))
                net.n_subnets++;
            xmlFree(addr);
            xmlFree(prefix);
            xmlFree(mask);
            for (xmlNodePtr dh = c->children; dh; dh = dh->next)
                if (elem_is(dh, "dhcp"))
                    for (xmlNodePtr h = dh->children; h; h = h->next)
                        if (elem_is(h, "host"))
                            net.n_hosts++;
        }
    }
    xmlFreeDoc(doc);
    if (!net.name)
        return;
    /* The live copy wins over the defined one. */
    for (size_t i = 0; i < d->n_nets; i++)
        if (!strcmp(d->nets[i].name, net.name)) {
            free(net.name);
            return;
        }
    d->nets[d->n_nets++] = net;
}

static void load_networks(doctor *d)
{
    if (d->nets_loaded)
        return;
    d->nets_loaded = true;
    const char *live = d->policy->network_dir ? d->policy->network_dir : "/run/libvirt/network";
    for (int pass = 0; pass < 2; pass++) {
        char **files = list_in(d, pass == 0 ? live : "/etc/libvirt/qemu/networks", "*.xml");
        for (size_t i = 0; files && files[i]; i++)
            parse_network(d, files[i], pass == 0);
        list_free(files);
    }
}

static void check_networks(doctor *d)
{
    load_networks(d);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    size_t active = 0, with_v4 = 0;
    for (size_t i = 0; f && i < d->n_nets; i++) {
        const network *n = &d->nets[i];
        active += n->active;
        fprintf(f, "%s%s (%s", i ? "; " : "", n->name, n->active ? "active" : "inactive");
        for (size_t s = 0; s < n->n_subnets; s++) {
            char buf[64];
            fprintf(f, ", %s", nfsroot_cidr_format(&n->subnets[s], buf, sizeof(buf)));
            if (n->active && n->subnets[s].family == AF_INET)
                with_v4++;
        }
        if (!n->n_subnets)
            fprintf(f, ", no <ip>: bridged or routed elsewhere");
        if (n->n_hosts)
            fprintf(f, ", %zu static DHCP host(s)", n->n_hosts);
        fprintf(f, ")");
    }
    if (f)
        fclose(f);
    if (d->n_nets == 0)
        add(d, "libvirt-networks", ST_WARN,
            "define a NAT network (virsh net-define /usr/share/libvirt/networks/default.xml; "
            "virsh net-start default; virsh net-autostart default), or give guests a bridge "
            "with an address on this host",
            "no libvirt network found in %s or /etc/libvirt/qemu/networks", d->policy->network_dir);
    else if (active == 0)
        add(d, "libvirt-networks", ST_WARN,
            "virsh net-start NAME && virsh net-autostart NAME: the hook reads the live network "
            "to find the guest's address",
            "no libvirt network is active: %s", text ? text : "");
    else
        add(d, "libvirt-networks", with_v4 ? ST_PASS : ST_WARN,
            with_v4 ? NULL : "give the guests' network an IPv4 <ip> with DHCP", "%s",
            text ? text : "");
}

/* ---------------------------------------------------------------------------------------- */
/* Exports wider than the VM networks */

static bool client_within_networks(const doctor *d, const char *client, bool *ret_judged)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", client);
    if (buf[0] == '[') { /* [v6addr]/len */
        memmove(buf, buf + 1, strlen(buf));
        char *e = strchr(buf, ']');
        if (e)
            memmove(e, e + 1, strlen(e));
    }
    char *slash = strchr(buf, '/');
    int prefix = -1;
    if (slash) {
        *slash = '\0';
        prefix = strchr(slash + 1, '.') ? cli_netmask_prefix(slash + 1) : atoi(slash + 1);
    }
    nfsroot_cidr c;
    if (prefix < 0)
        prefix = strchr(buf, ':') ? 128 : 32;
    if (!cli_make_subnet(buf, prefix, &c)) {
        *ret_judged = false; /* hostname, wildcard, netgroup */
        return false;
    }
    *ret_judged = true;
    for (size_t i = 0; i < d->n_nets; i++)
        for (size_t s = 0; s < d->nets[i].n_subnets; s++)
            if (nfsroot_cidr_contains(&d->nets[i].subnets[s], &c))
                return true;
    return false;
}

/* One exports(5) file: lines of "path [client][(options)] ...", '\' continues a line. */
static void scan_exports_file(doctor *d, const char *host_file, bool ours, status *worst, char *msg,
                              size_t msglen, size_t *n_entries, size_t *n_bad)
{
    _cleanup_free_ char *text = NULL;
    char shown[4096];
    if (read_at(d, host_file, &text) < 0)
        return;
    const char *file = at(d, host_file, shown, sizeof(shown));
    /* Join continuation lines. */
    for (char *q = text; (q = strstr(q, "\\\n"));) {
        q[0] = ' ';
        q[1] = ' ';
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *h = strchr(line, '#');
        if (h)
            *h = '\0';
        char *l = strip(line);
        if (!*l)
            continue;
        char path[1024];
        if (*l == '"') {
            char *e = strchr(l + 1, '"');
            if (!e)
                continue;
            snprintf(path, sizeof(path), "%.*s", (int)(e - l - 1), l + 1);
            l = e + 1;
        } else {
            size_t k = strcspn(l, " \t");
            snprintf(path, sizeof(path), "%.*s", (int)k, l);
            l += k;
        }
        char *tsave = NULL;
        bool any_client = false;
        for (char *t = strtok_r(l, " \t", &tsave); t; t = strtok_r(NULL, " \t", &tsave)) {
            if (*t == '-')
                continue; /* default options */
            char client[256];
            size_t k = strcspn(t, "(");
            snprintf(client, sizeof(client), "%.*s", (int)k, t);
            any_client = true;
            (*n_entries)++;
            bool judged = false;
            bool inside =
                client[0] && strcmp(client, "*") && client_within_networks(d, client, &judged);
            if (inside)
                continue;
            status s = ours ? ST_FAIL : ST_WARN;
            (*n_bad)++;
            char why[2048];
            if (!client[0] || !strcmp(client, "*"))
                snprintf(why, sizeof(why), "%s exports '%s' to everyone", file, path);
            else if (!judged)
                snprintf(why, sizeof(why),
                         "%s exports '%s' to '%s', a name that cannot be checked against the VM "
                         "networks",
                         file, path, client);
            else
                snprintf(why, sizeof(why), "%s exports '%s' to '%s', outside every VM network",
                         file, path, client);
            if (s > *worst || !msg[0]) {
                if (s >= *worst) {
                    *worst = s;
                    snprintf(msg, msglen, "%s%s", why,
                             ours ? " (a file of ours: the policy should have refused it)" : "");
                }
            }
        }
        if (!any_client) {
            (*n_entries)++;
            (*n_bad)++;
            if (!msg[0] || *worst < (ours ? ST_FAIL : ST_WARN)) {
                *worst = ours ? ST_FAIL : ST_WARN;
                snprintf(msg, msglen, "%s exports '%s' to everyone (no client given)", file, path);
            }
        }
    }
}

static void check_exports_scope(doctor *d)
{
    load_networks(d);
    status worst = ST_PASS;
    char msg[2200] = "";
    size_t n = 0, n_files = 0, n_bad = 0;
    struct stat st;
    if (stat_in(d, "/etc/exports", true, &st) == 0) {
        n_files++;
        scan_exports_file(d, "/etc/exports", false, &worst, msg, sizeof(msg), &n, &n_bad);
    }
    char **files = list_in(d, d->policy->exports_dir, "*.exports");
    for (size_t i = 0; files && files[i]; i++) {
        const char *base = strrchr(files[i], '/') + 1;
        n_files++;
        scan_exports_file(d, files[i], !strncmp(base, "virt-nfsroot-", 13), &worst, msg,
                          sizeof(msg), &n, &n_bad);
    }
    list_free(files);
    if (worst == ST_PASS)
        add(d, "exports-scope", ST_PASS, NULL,
            "%zu export entr%s in %zu file(s), all within the VM networks", n, n == 1 ? "y" : "ies",
            n_files);
    else
        add(d, "exports-scope", worst,
            worst == ST_FAIL
                ? "run 'virt-nfsroot reconcile' and check the policy's allow_wider_clients"
                : "restrict the client to the subnet that needs it (root on NFS trusts the "
                  "client's root: an export is only as safe as its client list)",
            "%s%s", msg, n_bad > 1 ? " (and other entries: read the files)" : "");
}

/* ---------------------------------------------------------------------------------------- */

/* Mode and owner of one hook program (what libvirtd runs as root). */
static bool hook_file_ok(doctor *d, const char *what, const char *host_path, const struct stat *st)
{
    if (!S_ISREG(st->st_mode)) {
        add(d, "hook", ST_FAIL, "reinstall virt-nfsroot", "%s %s is not a regular file", what,
            host_path);
        return false;
    }
    if (st->st_uid != d->root_uid || (st->st_mode & (S_IWGRP | S_IWOTH))) {
        char fix[2 * 4096 + 64];
        snprintf(fix, sizeof(fix), "chown root:root %s; chmod 0755 %s", host_path, host_path);
        add(d, "hook", ST_FAIL, fix,
            "%s %s (uid %u, mode %04o) can be changed by someone other than root, and libvirtd "
            "runs it as root",
            what, host_path, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777));
        return false;
    }
    if (!(st->st_mode & S_IXUSR)) {
        char fix[4096 + 64];
        snprintf(fix, sizeof(fix), "chmod 0755 %s, then restart libvirtd", host_path);
        add(d, "hook", ST_FAIL, fix, "%s %s is not executable (mode %04o): libvirt skips it", what,
            host_path, (unsigned)(st->st_mode & 07777));
        return false;
    }
    return true;
}

/* The hook in libvirt's directory is a symlink to the front end in libexec (or, installed by
 * hand, a copy of it); the front end runs qemu-hook-run from its own directory. */
static void check_hook(doctor *d, time_t *ret_hook_time)
{
    char host_target[4096], host_run[4096];
    struct stat st, tst;
    *ret_hook_time = 0;
    if (stat_in(d, NFSROOT_HOOK_PATH, false, &st) < 0) {
        add(d, "hook", ST_FAIL,
            "install virt-nfsroot (cmake --install, or the .deb), then restart libvirtd",
            "the hook %s is not installed: libvirt never calls virt-nfsroot", NFSROOT_HOOK_PATH);
        return;
    }
    /* libvirt finds hooks when it starts: what counts is when the entry appeared. */
    *ret_hook_time = st.st_ctime;
    snprintf(host_target, sizeof(host_target), "%s", NFSROOT_HOOK_PATH);
    if (S_ISLNK(st.st_mode)) {
        char link[4096];
        int fd = open_in(d, NFSROOT_HOOK_PATH, O_PATH | O_NOFOLLOW);
        ssize_t n = fd < 0 ? -1 : readlinkat(fd, "", link, sizeof(link) - 1);
        if (fd >= 0)
            close(fd);
        if (n <= 0 || link[0] != '/') {
            add(d, "hook", ST_FAIL, "reinstall virt-nfsroot (its link is absolute)",
                "the hook %s is a symlink that does not name an absolute path", NFSROOT_HOOK_PATH);
            return;
        }
        link[n] = '\0';
        snprintf(host_target, sizeof(host_target), "%s", link);
    }
    /* Below --root, any further links of the target resolve inside it too. */
    if (stat_in(d, host_target, true, &tst) < 0) {
        add(d, "hook", ST_FAIL,
            "reinstall virt-nfsroot (cmake --install, or the .deb), then restart libvirtd",
            "the hook %s points to %s, which does not exist: libvirt skips it", NFSROOT_HOOK_PATH,
            host_target);
        return;
    }
    if (!hook_file_ok(d, "the hook", host_target, &tst))
        return;
    char *slash = strrchr(host_target, '/');
    if ((size_t)snprintf(host_run, sizeof(host_run), "%.*s/qemu-hook-run",
                         (int)(slash - host_target), host_target) >= sizeof(host_run))
        host_run[0] = '\0';
    if (!host_run[0] || stat_in(d, host_run, true, &tst) < 0) {
        add(d, "hook", ST_FAIL,
            "install the hook with cmake --install or the .deb (a symlink to its directory), "
            "not by copying one file",
            "the hook's second stage %s is missing: every annotated domain would fail to start",
            host_run);
        return;
    }
    if (!hook_file_ok(d, "the hook's second stage", host_run, &tst))
        return;
    if (!strcmp(host_target, NFSROOT_HOOK_PATH))
        add(d, "hook", ST_PASS, NULL, "%s installed, root-owned, mode %04o", NFSROOT_HOOK_PATH,
            (unsigned)(st.st_mode & 07777));
    else
        add(d, "hook", ST_PASS, NULL, "%s installed (-> %s, root-owned, with %s)",
            NFSROOT_HOOK_PATH, host_target, host_run);
}

/* libvirt looks for hooks once, when the daemon starts. */
static void check_daemon_order(doctor *d, time_t hook_time)
{
    static const struct {
        const char *pidfile, *comm;
    } daemons[] = {
        { "/run/libvirtd.pid", "libvirtd" },
        { "/run/virtqemud.pid", "virtqemud" },
    };
    long pid = 0;
    const char *name = NULL;
    for (size_t i = 0; i < ELEMENTSOF(daemons) && !pid; i++) {
        _cleanup_free_ char *t = NULL;
        char rel[64];
        if (read_at(d, daemons[i].pidfile, &t) < 0)
            continue;
        long cand = strtol(strip(t), NULL, 10);
        snprintf(rel, sizeof(rel), "/proc/%ld/stat", cand);
        _cleanup_free_ char *stat_text = NULL;
        if (cand > 0 && read_at(d, rel, &stat_text) == 0) {
            pid = cand;
            name = daemons[i].comm;
        }
    }
    if (!pid) {
        const char *const names[] = { "libvirtd", "virtqemud", NULL };
        pid = find_process(d, names);
        name = "libvirtd";
    }
    if (!pid) {
        add(d, "libvirtd", ST_WARN, "start libvirtd (systemctl enable --now libvirtd)",
            "libvirtd (or virtqemud) is not running");
        return;
    }
    if (!hook_time) {
        add(d, "libvirtd", ST_SKIP, NULL, "%s runs (pid %ld); no hook to compare with", name, pid);
        return;
    }
    char rel[64];
    snprintf(rel, sizeof(rel), "/proc/%ld/stat", pid);
    _cleanup_free_ char *st = NULL, *ps = NULL;
    long long btime = -1;
    unsigned long long start_ticks = 0;
    if (read_at(d, rel, &st) == 0) {
        char *rp = strrchr(st, ')'); /* comm may contain spaces */
        int field = 2;
        for (char *q = rp ? rp + 1 : NULL; q && *q; q++)
            if (*q == ' ' && ++field == 22) {
                start_ticks = strtoull(q + 1, NULL, 10);
                break;
            }
    }
    if (read_at(d, "/proc/stat", &ps) == 0) {
        char *b = strstr(ps, "\nbtime ");
        if (b)
            btime = strtoll(b + 7, NULL, 10);
    }
    if (btime < 0 || !start_ticks) {
        add(d, "libvirtd", ST_WARN, "restart libvirtd if the hook was installed after it started",
            "%s runs (pid %ld) but its start time cannot be read", name, pid);
        return;
    }
    long hz = sysconf(_SC_CLK_TCK);
    time_t started = (time_t)(btime + (long long)(start_ticks / (unsigned long long)hz));
    char a[64], b[64];
    struct tm tm;
    strftime(a, sizeof(a), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&started, &tm));
    strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&hook_time, &tm));
    if (started + 1 < hook_time)
        add(d, "libvirtd", ST_FAIL,
            "restart libvirtd (systemctl restart libvirtd): running guests keep running",
            "%s (pid %ld) started at %s, before the hook was installed or changed at %s: it "
            "does not know the hook",
            name, pid, a, b);
    else
        add(d, "libvirtd", ST_PASS, NULL, "%s (pid %ld) started at %s, after the hook (%s)", name,
            pid, a, b);
}

/* Does "DIR/FILE", or with one wildcard directory level "DIR/<any>/FILE", exist below --root? */
static bool module_in(const doctor *d, const char *rel)
{
    struct stat st;
    const char *star = strstr(rel, "/*/");
    if (!star)
        return stat_in(d, rel, true, &st) == 0;
    char dir[256];
    snprintf(dir, sizeof(dir), "%.*s", (int)(star - rel), rel);
    char **subdirs = list_in(d, dir[0] ? dir : "/", "*");
    bool found = false;
    for (size_t i = 0; subdirs && subdirs[i] && !found; i++) {
        char p[1024];
        snprintf(p, sizeof(p), "%s/%s", subdirs[i], star + 3);
        found = stat_in(d, p, true, &st) == 0;
    }
    list_free(subdirs);
    return found;
}

static bool nss_module_present(const doctor *d, const char *module)
{
    static const char *const dirs[] = { "/lib/*/",   "/usr/lib/*/", "/lib/",
                                        "/usr/lib/", "/lib64/",     "/usr/lib64/" };
    for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
        char rel[256];
        snprintf(rel, sizeof(rel), "%slibnss_%s.so.2", dirs[i], module);
        if (module_in(d, rel))
            return true;
    }
    return false;
}

static void check_nss(doctor *d)
{
    _cleanup_free_ char *text = NULL;
    const char *fix = "apt install libnss-libvirt, then in /etc/nsswitch.conf: "
                      "'hosts: files libvirt libvirt_guest resolve [!UNAVAIL=return] dns' (or "
                      "without resolve); guests are then reachable by name";
    if (read_at(d, "/etc/nsswitch.conf", &text) < 0) {
        add(d, "nss", ST_WARN, fix, "no /etc/nsswitch.conf");
        return;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *l = strip(line);
        if (strncmp(l, "hosts:", 6))
            continue;
        int i = 0, first_libvirt = -1, first_dns = -1;
        char names[256] = "";
        char *tsave = NULL;
        for (char *t = strtok_r(l + 6, " \t", &tsave); t; t = strtok_r(NULL, " \t", &tsave)) {
            if (*t == '[')
                continue;
            if ((!strcmp(t, "libvirt") || !strcmp(t, "libvirt_guest")) && first_libvirt < 0) {
                first_libvirt = i;
                snprintf(names, sizeof(names), "%s", t);
            }
            if ((!strcmp(t, "dns") || !strcmp(t, "resolve")) && first_dns < 0)
                first_dns = i;
            i++;
        }
        if (first_libvirt < 0)
            add(d, "nss", ST_WARN, fix,
                "the hosts line of nsswitch.conf has no libvirt/libvirt_guest: guests cannot "
                "be reached by name from the host");
        else if (first_dns >= 0 && first_dns < first_libvirt)
            add(d, "nss", ST_WARN, fix,
                "nsswitch.conf puts dns/resolve before %s: guest names go to DNS first (slow, "
                "or answered wrongly)",
                names);
        else if (!nss_module_present(d, names))
            add(d, "nss", ST_WARN, "apt install libnss-libvirt",
                "nsswitch.conf names %s but libnss_%s.so.2 is not installed", names, names);
        else
            add(d, "nss", ST_PASS, NULL, "nsswitch.conf resolves guest names with %s", names);
        return;
    }
    add(d, "nss", ST_WARN, fix, "nsswitch.conf has no hosts line");
}

static void quiet_idmap(const char *fmt, ...) _printf_(1, 2);
static void quiet_idmap(const char *fmt, ...)
{
    if (!cli.verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) >= 0)
        cli_debug("libnfsidmap: %s", msg); /* it quotes the config it reads: escaped there */
    va_end(ap);
}

static void check_idmap(doctor *d)
{
    char p[4096];
    at(d, "/etc/idmapd.conf", p, sizeof(p));
    /* Is Domain set in [General]? Otherwise libnfsidmap derives it from DNS. */
    _cleanup_free_ char *text = NULL;
    char configured[256] = "";
    if (read_at(d, "/etc/idmapd.conf", &text) == 0) {
        bool general = false;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *l = strip(line);
            if (*l == '[')
                general = !strncasecmp(l, "[General]", 9);
            else if (general && !strncasecmp(l, "Domain", 6)) {
                char *eq = strchr(l, '=');
                if (eq && strip(l + 6) == eq)
                    snprintf(configured, sizeof(configured), "%s", strip(eq + 1));
            }
        }
    }
    char domain[NFS4_MAX_DOMAIN_LEN] = "";
    nfs4_set_debug(0, quiet_idmap);
    /* libnfsidmap opens the file by name: give it the one opened below --root. */
    int conf = open_in(d, "/etc/idmapd.conf", O_RDONLY | O_NOCTTY | O_NONBLOCK);
    char via[64];
    snprintf(via, sizeof(via), "/proc/self/fd/%d", conf);
    int r = nfs4_init_name_mapping(conf >= 0 ? via : "/nonexistent/idmapd.conf");
    if (conf >= 0)
        close(conf);
    if (r == 0)
        r = nfs4_get_default_domain(NULL, domain, sizeof(domain));
    if (r != 0) {
        add(d, "idmap", ST_WARN, "set 'Domain = <your domain>' in [General] of /etc/idmapd.conf",
            "libnfsidmap cannot determine the NFSv4 id-mapping domain from %s (error %d)", p, r);
        return;
    }
    if (!configured[0])
        add(d, "idmap", ST_WARN,
            "set the same 'Domain = ...' in [General] of /etc/idmapd.conf on the host and in "
            "each guest root (or keep sec=sys with numeric ids: nfs4_disable_idmapping)",
            "NFSv4 id-mapping domain '%s' is derived from DNS (no Domain in %s): a guest "
            "that derives another one sees files owned by nobody",
            domain, p);
    else
        add(d, "idmap", ST_PASS, NULL, "NFSv4 id-mapping domain '%s' (set in %s)", domain, p);
}

static void check_clock(doctor *d)
{
    static const char *const names[] = { "chronyd",  "ntpd",      "systemd-timesyn",
                                         "openntpd", "timesyncd", "ntpsec",
                                         NULL };
    long pid = find_process(d, names);
    if (pid) {
        add(d, "clock", ST_PASS, NULL, "a time sync daemon is running (pid %ld)", pid);
        return;
    }
    struct stat st;
    if (stat_in(d, "/run/systemd/timesync/synchronized", true, &st) == 0) {
        add(d, "clock", ST_PASS, NULL, "systemd-timesyncd reports the clock synchronised");
        return;
    }
    add(d, "clock", ST_WARN,
        "apt install chrony (on the host; guests use kvm-clock or their own NTP)",
        "no time sync daemon found: skewed clocks between host and guests give odd mtimes, "
        "'make' warnings and Kerberos failures");
}

/* ---------------------------------------------------------------------------------------- */

static void print_text(const doctor *d, size_t counts[4])
{
    size_t w = 0;
    for (size_t i = 0; i < d->n_checks; i++)
        if (strlen(d->checks[i].id) > w)
            w = strlen(d->checks[i].id);
    static const char *const colors[] = { "green", "yellow", "red", "bold" };
    for (size_t i = 0; i < d->n_checks; i++) {
        const check *c = &d->checks[i];
        printf("%s%s%s  %-*s  %s\n", cli_color(stdout, colors[c->st]), status_labels[c->st],
               cli_color(stdout, "reset"), (int)w, c->id, c->summary ? cli_esc(c->summary) : "");
        /* Summaries quote files, paths and network names: escaped, one line each. */
        if (c->fix && c->st != ST_PASS)
            printf("      %-*s  fix: %s\n", (int)w, "", cli_esc(c->fix));
        else if (c->fix && cli.verbose)
            printf("      %-*s  hint: %s\n", (int)w, "", cli_esc(c->fix));
    }
    printf("\n%zu passed, %zu warning%s, %zu failed", counts[ST_PASS], counts[ST_WARN],
           counts[ST_WARN] == 1 ? "" : "s", counts[ST_FAIL]);
    if (counts[ST_SKIP])
        printf(", %zu skipped", counts[ST_SKIP]);
    printf("\n");
}

static void print_json(const doctor *d, size_t counts[4])
{
    json j;
    json_init(&j, stdout);
    json_begin_object(&j);
    json_kv_string(&j, "root", d->root);
    json_kv_string(&j, "policy", d->policy ? d->policy->source : NULL);
    json_key(&j, "checks");
    json_begin_array(&j);
    for (size_t i = 0; i < d->n_checks; i++) {
        const check *c = &d->checks[i];
        json_begin_object(&j);
        json_kv_string(&j, "id", c->id);
        json_kv_string(&j, "status", status_names[c->st]);
        json_kv_string(&j, "summary", c->summary);
        json_kv_string(&j, "fix", c->fix);
        json_end_object(&j);
    }
    json_end_array(&j);
    json_key(&j, "counts");
    json_begin_object(&j);
    for (int s = 0; s < 4; s++)
        json_kv_int(&j, status_names[s], (int64_t)counts[s]);
    json_end_object(&j);
    json_kv_bool(&j, "ok", counts[ST_FAIL] == 0);
    json_end_object(&j);
    json_finish(&j);
}

static void usage(void)
{
    printf("Usage: virt-nfsroot doctor [--json] [--root DIR] [--config FILE]\n"
           "\n"
           "Check this host for root-on-NFS guests: policy, NFS server and the versions it\n"
           "offers, nfs.conf, rpcbind, export roots, exports wider than the VM networks, the\n"
           "hook and libvirtd, libvirt networks, libvirt NSS, the NFSv4 id-mapping domain and\n"
           "time sync. Each check is PASS, WARN, FAIL or SKIP (does not apply), with the fix.\n"
           "\n"
           "  --root DIR   read every host file below DIR instead of / (fixture hosts)\n"
           "\n"
           "Exit status: 0 when nothing FAILs (warnings allowed), 1 when a check FAILs,\n"
           "2 on a usage error. Nothing on the host is changed.\n");
}

int cmd_doctor(int argc, char **argv)
{
    enum { OPT_ROOT = OPT_FIRST_LOCAL };
    static const struct option opts[] = {
        CLI_COMMON_LONGOPTS,
        { "root", required_argument, NULL, OPT_ROOT },
        {},
    };
    doctor d = { .root = "/" };
    char rootbuf[4096];
    int c;
    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts, NULL)) != -1) {
        int r = cli_common_opt(c, optarg, "doctor");
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if (c == 'h') {
            usage();
            return EXIT_OK;
        }
        if (c == OPT_ROOT) {
            if (!realpath(optarg, rootbuf))
                return cli_usage_error("doctor", "--root '%s': %s", optarg, strerror(errno));
            d.root = rootbuf;
            continue;
        }
        return cli_usage_error("doctor", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage_error("doctor", "unexpected argument '%s'", argv[optind]);

    struct stat rst;
    d.root_fd = open(d.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (d.root_fd < 0 || fstat(d.root_fd, &rst) < 0)
        return cli_usage_error("doctor", "--root '%s': %s", d.root, strerror(errno));
    d.root_uid = rst.st_uid;
    struct open_how probe = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
    long pfd = strcmp(d.root, "/") ? syscall(SYS_openat2, d.root_fd, ".", &probe, sizeof(probe))
                                   : d.root_fd;
    if (pfd < 0)
        return cli_usage_error("doctor", "--root needs openat2() (Linux 5.6 or later): %s",
                               strerror(errno));
    if (pfd != d.root_fd)
        close((int)pfd);

    time_t hook_time = 0;
    check_policy(&d);
    check_nfs_server(&d);
    check_nfs_conf(&d);
    check_rpcbind(&d);
    check_exportfs(&d);
    check_export_roots(&d);
    check_exports_scope(&d);
    check_hook(&d, &hook_time);
    check_daemon_order(&d, hook_time);
    check_networks(&d);
    check_nss(&d);
    check_idmap(&d);
    check_clock(&d);

    size_t counts[4] = { 0 };
    for (size_t i = 0; i < d.n_checks; i++)
        counts[d.checks[i].st]++;
    if (cli.json)
        print_json(&d, counts);
    else
        print_text(&d, counts);

    for (size_t i = 0; i < d.n_checks; i++) {
        free(d.checks[i].summary);
        free(d.checks[i].fix);
    }
    for (size_t i = 0; i < d.n_nets; i++)
        free(d.nets[i].name);
    nfsroot_policy_free(d.policy);
    close(d.root_fd);
    return counts[ST_FAIL] ? EXIT_FAIL : EXIT_OK;
}
