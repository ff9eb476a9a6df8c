/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnfsidmap through dlopen() (idmap.h says why). */
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "idmap.h"

/* libnfsidmap logs through syslog by default; the library never prints or logs on its own. */
static void quiet_logger(const char *fmt, ...)
{
    (void)fmt;
}

int nfsroot_idmap_open(nfsroot_idmap *api, char *why, size_t why_len)
{
    *api = (nfsroot_idmap){ 0 };
    const nfsroot_dlsym syms[] = {
        { "nfs4_init_name_mapping", (void **)&api->init_name_mapping },
        { "nfs4_get_default_domain", (void **)&api->get_default_domain },
        { "nfs4_set_debug", (void **)&api->set_debug },
        { "nfs4_name_to_uid", (void **)&api->name_to_uid },
        { "nfs4_name_to_gid", (void **)&api->name_to_gid },
    };
    /* RTLD_GLOBAL: its translation plugins (nsswitch.so, static.so, ...) are dlopen()ed by it
     * and find its symbols (idmap_verbosity, nfs4_get_default_domain...) in the global scope. */
    int r = nfsroot_dlopen_flags(NFSROOT_LIBNFSIDMAP_SONAME, RTLD_NOW | RTLD_GLOBAL, syms,
                                 ELEMENTSOF(syms), &api->handle, why, why_len);
    if (r < 0)
        return r;
    api->set_debug(0, quiet_logger);
    return 0;
}

void nfsroot_idmap_close(nfsroot_idmap *api)
{
    if (api->handle)
        dlclose(api->handle);
    *api = (nfsroot_idmap){ 0 };
}

/* The Domain an idmapd.conf's text sets ("" when none): the host's (nfsroot_host_nfs4_domain)
 * and, in the boot check, a guest's. */
int nfsroot_idmapd_conf_domain(const char *text, char *ret, size_t len)
{
    _cleanup_(nfsroot_conffile_freep) nfsroot_conffile *c = NULL;
    /* The guest writes this file: what cannot be read (a broken line, too many settings) leaves
     * what could, as libnfsidmap skips such lines. */
    int r = nfsroot_conffile_parse(&c, text, strlen(text), "idmapd.conf", NULL);
    if (r == -ENOMEM)
        return r;
    const char *v = nfsroot_conffile_get(c, "General", "Domain");
    snprintf(ret, len, "%s", v ? v : "");
    return 0;
}

/* libnfsidmap's answer in a child: written to fd, exit 0; anything else exits 1. */
static _Noreturn void domain_child(nfsroot_idmap *api, char *path, int fd)
{
    char d[512] = "";
    if (api->init_name_mapping(path) != 0 || api->get_default_domain(NULL, d, sizeof(d)) != 0 ||
        !d[0] || write(fd, d, strlen(d)) != (ssize_t)strlen(d))
        _exit(1);
    _exit(0);
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The domain from the child's pipe within NFSROOT_HOST_DOMAIN_TIMEOUT_MS, or -ETIMEDOUT. */
static int domain_read(int fd, pid_t pid, char *ret, size_t len)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    size_t n = 0;
    double end = mono_now() + NFSROOT_HOST_DOMAIN_TIMEOUT_MS / 1000.0;
    for (;;) {
        int left = (int)((end - mono_now()) * 1000);
        int k = left > 0 ? poll(&p, 1, left) : 0;
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            kill(pid, SIGKILL);
            return -ETIMEDOUT;
        }
        ssize_t m = read(fd, ret + n, len - 1 - n);
        if (m < 0 && errno == EINTR)
            continue;
        if (m <= 0 || (n += (size_t)m) == len - 1)
            break;
    }
    ret[n] = '\0';
    return 0;
}

/* No Domain in the file: libnfsidmap derives it from the host name's DNS domain (as rpc.idmapd
 * does at its start), bounded only by the resolver's timeouts (5 s times attempts times
 * servers). Asked in a child killed after NFSROOT_HOST_DOMAIN_TIMEOUT_MS: a start never waits on
 * an unreachable resolver, and the answer, when it comes, is libnfsidmap's own. */
static int domain_from_dns(nfsroot_idmap *api, char *path, char *ret, size_t len, char *reason,
                           size_t rlen)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid == 0)
        domain_child(api, path, pipefd[1]);
    close(pipefd[1]);
    int r = pid < 0 ? -errno : domain_read(pipefd[0], pid, ret, len);
    close(pipefd[0]);
    int st = 0;
    while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (r == -ETIMEDOUT)
        snprintf(reason, rlen, "deriving it from DNS took over %d ms",
                 NFSROOT_HOST_DOMAIN_TIMEOUT_MS);
    else if (r == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !ret[0]))
        snprintf(reason, rlen, "libnfsidmap finds no domain from the host's name"), r = -ENOENT;
    return r;
}

/* True when libnfsidmap's derivation cannot reach DNS: it looks the host's own name up through
 * NSS, and glibc answers that from /etc/hosts, before any DNS query, when nsswitch.conf's hosts
 * database starts with files and /etc/hosts names the host. glibc reads these fixed paths, so
 * this reads them too. Where this says false the lookup runs in the bounded child: a fork costs
 * every prepare ~4 ms, which a host that names itself (Debian's default) need not pay. */
static bool host_name_local(void)
{
    char name[256] = "";
    _cleanup_free_ char *nss = NULL, *hosts = NULL;
    _cleanup_strv_free_ char **svc = NULL;
    if (gethostname(name, sizeof(name) - 1) < 0 || !name[0] ||
        read_file_all("/etc/nsswitch.conf", 1024 * 1024, &nss, NULL) < 0 ||
        nfsroot_nsswitch_services(nss, strlen(nss), "hosts", &svc, NULL) < 0 || !svc || !svc[0] ||
        strcmp(svc[0], "files") || read_file_all("/etc/hosts", 4 * 1024 * 1024, &hosts, NULL) < 0)
        return false;
    for (char *next = hosts; next;) {
        char *l = strsep(&next, "\n");
        l[strcspn(l, "#")] = '\0';
        char *save = NULL, *w = strtok_r(l, " \t", &save); /* the address */
        while (w && (w = strtok_r(NULL, " \t", &save)))
            if (!strcasecmp(w, name))
                return true;
    }
    return false;
}

int nfsroot_host_nfs4_domain(const char *conf, char *ret, size_t len, char *why, size_t why_len)
{
    char path[4096], reason[512] = "";
    snprintf(path, sizeof(path), "%s", conf);
    _cleanup_(nfsroot_idmap_close) nfsroot_idmap api = { 0 };
    _cleanup_free_ char *text = NULL;
    int r = nfsroot_idmap_open(&api, reason, sizeof(reason));
    /* A child only where DNS may be asked: no Domain in the file (read first: one file, where
     * host_name_local() reads two) and a host name /etc/hosts does not answer. */
    if (r == 0 &&
        (read_file_all(conf, 256 * 1024, &text, NULL) < 0 ||
         nfsroot_idmapd_conf_domain(text, ret, len) < 0 || !ret[0]) &&
        !host_name_local()) {
        r = domain_from_dns(&api, path, ret, len, reason, sizeof(reason));
        if (r == 0)
            return 0;
    } else if (r == 0 && (r = api.init_name_mapping(path)) != 0)
        snprintf(reason, sizeof(reason), "libnfsidmap cannot read '%s' (error %d)", conf, r);
    else if (r == 0 && (r = api.get_default_domain(NULL, ret, len)) != 0)
        snprintf(reason, sizeof(reason), "libnfsidmap finds no domain (error %d)", r);
    else if (r == 0 && !ret[0])
        snprintf(reason, sizeof(reason), "libnfsidmap settles on an empty domain");
    else if (r == 0)
        return 0;
    if (why)
        snprintf(why, why_len, "%s", reason);
    return r == -ETIMEDOUT ? -ETIMEDOUT : -ENOENT;
}
