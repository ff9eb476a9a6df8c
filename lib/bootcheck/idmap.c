/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NFSv4 id mapping: the host's and the guest's NFSv4 domain should agree. */
#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bootcheck.h"
#include "idmap.h"

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

/* How long the host's NFSv4 domain may take when libnfsidmap derives it from DNS. */
#define HOST_DOMAIN_TIMEOUT_MS 1000

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

/* The domain from the child's pipe within HOST_DOMAIN_TIMEOUT_MS, or -ETIMEDOUT. */
static int domain_read(int fd, pid_t pid, char *ret, size_t len)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    size_t n = 0;
    double end = mono_now() + HOST_DOMAIN_TIMEOUT_MS / 1000.0;
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

int bootcheck_host_nfs4_domain(const char *conf, char *ret, size_t len)
{
    char path[4096], why[512];
    snprintf(path, sizeof(path), "%s", conf);
    _cleanup_(nfsroot_idmap_close) nfsroot_idmap api = { 0 };
    if (nfsroot_idmap_open(&api, why, sizeof(why)) < 0)
        return -ENOENT;
    /* Domain set: libnfsidmap answers it from the file, at once. */
    _cleanup_free_ char *text = NULL;
    if (read_file_all(conf, 256 * 1024, &text, NULL) == 0 &&
        nfsroot_idmapd_conf_domain(text, ret, len) == 0 && ret[0])
        return api.init_name_mapping(path) != 0 || api.get_default_domain(NULL, ret, len) != 0 ||
                       !ret[0]
                   ? -ENOENT
                   : 0;
    /* None: libnfsidmap derives it from the host name's DNS domain (as rpc.idmapd does at its
     * start), bounded only by the resolver's timeouts (5 s times attempts times servers).
     * Asked in a child that is killed after HOST_DOMAIN_TIMEOUT_MS: a start never waits on an
     * unreachable resolver, and the answer, when it comes, is libnfsidmap's own. */
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -ENOENT;
    pid_t pid = fork();
    if (pid == 0)
        domain_child(&api, path, pipefd[1]);
    close(pipefd[1]);
    int r = pid < 0 ? -ENOENT : domain_read(pipefd[0], pid, ret, len);
    close(pipefd[0]);
    int st = 0;
    while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (r == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !ret[0]))
        r = -ENOENT;
    return r;
}

int nfsroot_bootcheck_idmap(const char *host_idmapd_conf, const nfsroot_plan *plan,
                            nfsroot_findings *f)
{
    const nfsroot_export *re = bootcheck_root_export(plan);
    if (!re)
        return 0;
    char file[1100];
    snprintf(file, sizeof(file), "%s/etc/idmapd.conf", re->path);

    char conf[4096];
    snprintf(conf, sizeof(conf), "%s", host_idmapd_conf ? host_idmapd_conf : "/etc/idmapd.conf");
    char host[512] = "";
    int r = bootcheck_host_nfs4_domain(conf, host, sizeof(host));
    if (r == -ETIMEDOUT)
        return nfsroot_findings_add(f, F_INFO, "idmap-host-slow", conf,
                                    "'%s' sets no NFSv4 domain and deriving it from DNS took "
                                    "over %d ms (the host's name is not in /etc/hosts and its "
                                    "resolver does not answer): not compared; set 'Domain =' "
                                    "in its [General] section",
                                    conf, HOST_DOMAIN_TIMEOUT_MS);
    if (r < 0)
        return nfsroot_findings_add(f, F_INFO, "idmap-host-unknown", conf,
                                    "the host's NFSv4 domain cannot be determined from '%s': "
                                    "set 'Domain =' in its [General] section",
                                    conf);

    _cleanup_free_ char *text = NULL;
    r = bootcheck_read_in_root(re->path, "etc/idmapd.conf", 256 * 1024, &text);
    if (r == -ENOMEM)
        return r;
    char guest[512] = "";
    if (r == 0 && (r = nfsroot_idmapd_conf_domain(text, guest, sizeof(guest))) == -ENOMEM)
        return r;
    if (!guest[0])
        return nfsroot_findings_add(f, F_INFO, "idmap-guest-default", file,
                                    "the guest sets no NFSv4 domain in '%s', so it derives one "
                                    "from its DNS domain: set 'Domain = %s' in its [General] "
                                    "section to match the host",
                                    file, host);
    if (strcasecmp(guest, host) != 0)
        return nfsroot_findings_add(f, F_WARN, "idmap-domain-mismatch", file,
                                    "the guest's NFSv4 domain '%s' ('%s') differs from the "
                                    "host's '%s': with names on the wire files show as owned by "
                                    "'nobody'; set 'Domain = %s' in the guest's [General] section",
                                    guest, file, host, host);
    return 0;
}
