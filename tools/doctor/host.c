/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host itself: the policy, name resolution of guests (NSS), the NFSv4 id-mapping domain
 * and the clock. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"

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

/* What is wrong with who may change the policy (the hook judges it the same way), "" if not. */
static void policy_owner(int fd, uid_t root_uid, char *owner, size_t len)
{
    struct stat st;
    owner[0] = '\0';
    if (fstat(fd, &st) == 0 &&
        (!S_ISREG(st.st_mode) || st.st_uid != root_uid || (st.st_mode & (S_IWGRP | S_IWOTH))))
        snprintf(owner, len,
                 S_ISREG(st.st_mode) ? "is owned by uid %u with mode %04o"
                                     : "is not a regular file",
                 (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
}

/* Load the policy from the open fd, through /proc/self/fd: never a path that could lead out of
 * --root. Its source becomes the name shown. */
static int policy_load_fd(doctor *d, int fd, const char *shown, nfsroot_error *err)
{
    char via[64];
    snprintf(via, sizeof(via), "/proc/self/fd/%d", fd);
    int r = nfsroot_policy_load(via, &d->policy, err);
    if (r < 0) {
        replace_in(err->message, sizeof(err->message), via, shown);
        replace_in(err->path, sizeof(err->path), via, shown);
    } else if (nfsroot_policy_get_source(d->policy))
        (void)nfsroot_policy_set_source(d->policy, shown);
    return r;
}

static void policy_pass(doctor *d)
{
    _cleanup_free_ char *roots = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&roots, &len);
    const char *const *xs = nfsroot_policy_get_export_roots(d->policy);
    for (const char *const *x = xs; f && x && *x; x++)
        fprintf(f, "%s%s", x == xs ? "" : ", ", *x);
    if (f)
        fclose(f);
    nfsroot_validate_mode v = nfsroot_policy_get_validate(d->policy);
    doctor_add(d, "policy", ST_PASS, NULL, "%s: backend %s, export roots %s, validate %s",
               nfsroot_policy_get_source(d->policy) ? nfsroot_policy_get_source(d->policy)
                                                    : "no policy file, built-in defaults",
               nfsroot_backend_name(nfsroot_policy_get_backend(d->policy)), roots ? roots : "?",
               v == NFSROOT_VALIDATE_STRICT ? "strict"
               : v == NFSROOT_VALIDATE_WARN ? "warn"
                                            : "off");
}

/* The policy: --config / $VIRT_NFSROOT_CONFIG as given, else the default path below --root,
 * opened once; its owner and mode are judged as the hook judges them (below --root, the
 * root's owner stands for root). */
void check_policy(doctor *d)
{
    nfsroot_error err = { 0 };
    char p[4096], owner[256] = "";
    const char *explicit = cli.config ? cli.config : secure_getenv("VIRT_NFSROOT_CONFIG");
    const char *shown = explicit ? explicit : doctor_at(d, nfsroot_policy_default_path(), p, 4096);
    int flags = O_RDONLY | O_NOCTTY | O_NONBLOCK;
    _cleanup_close_ int fd = explicit ? open(explicit, flags | O_CLOEXEC)
                                      : doctor_open(d, nfsroot_policy_default_path(), flags);
    int r = fd >= 0 ? 0 : explicit ? -errno : fd;
    if (r == -ENOENT && !explicit)
        r = nfsroot_policy_new_default(&d->policy, &err);
    else if (r < 0 && (err.code = r))
        snprintf(err.message, sizeof(err.message), "cannot read policy '%s': %s", shown,
                 strerror(-r));
    else {
        policy_owner(fd, explicit ? 0 : d->root_uid, owner, sizeof(owner));
        r = policy_load_fd(d, fd, shown, &err);
    }
    if (owner[0]) {
        char fix[2 * 4096 + 64];
        snprintf(fix, sizeof(fix), "chown root:root %s; chmod go-w %s", shown, shown);
        doctor_add(d, "policy", ST_FAIL, fix,
                   "policy %s %s: the hook refuses every annotated domain while anyone but root "
                   "can change it",
                   shown, owner);
    } else if (r < 0) {
        char line[2048];
        doctor_add(d, "policy", ST_FAIL,
                   "correct the policy file: the hook refuses every annotated domain until it "
                   "loads (see virt-nfsroot.conf(5))",
                   "%s", nfsroot_error_format(&err, line, sizeof(line)));
    } else
        policy_pass(d);
    if (!d->policy)
        nfsroot_policy_new_default(&d->policy, NULL);
}

/* ---------------------------------------------------------------------------------------- */

/* Does "DIR/FILE", or with one wildcard directory level "DIR/<any>/FILE", exist below --root? */
static bool module_in(const doctor *d, const char *rel)
{
    struct stat st;
    const char *star = strstr(rel, "/*/");
    if (!star)
        return doctor_stat(d, rel, true, &st) == 0;
    char dir[256];
    snprintf(dir, sizeof(dir), "%.*s", (int)(star - rel), rel);
    _cleanup_(nfsroot_strv_freep) char **subdirs = doctor_list(d, dir[0] ? dir : "/", "*");
    for (size_t i = 0; subdirs && subdirs[i]; i++) {
        char p[1024];
        snprintf(p, sizeof(p), "%s/%s", subdirs[i], star + 3);
        if (doctor_stat(d, p, true, &st) == 0)
            return true;
    }
    return false;
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

/* The services of the hosts line: the first libvirt one (into names, "" if none) comes before
 * any dns/resolve? */
static bool libvirt_first(char *const *services, char *names, size_t len)
{
    int first_libvirt = -1, first_dns = -1;
    names[0] = '\0';
    for (int i = 0; services[i]; i++) {
        const char *t = services[i];
        if ((!strcmp(t, "libvirt") || !strcmp(t, "libvirt_guest")) && first_libvirt < 0) {
            first_libvirt = i;
            snprintf(names, len, "%s", t);
        }
        if ((!strcmp(t, "dns") || !strcmp(t, "resolve")) && first_dns < 0)
            first_dns = i;
    }
    return first_dns < 0 || first_dns > first_libvirt;
}

static void judge_hosts_line(doctor *d, char *const *services, const char *fix)
{
    char names[256];
    bool first = libvirt_first(services, names, sizeof(names));
    if (!names[0])
        doctor_add(d, "nss", ST_WARN, fix,
                   "the hosts line of nsswitch.conf has no libvirt/libvirt_guest: guests cannot "
                   "be reached by name from the host");
    else if (!first)
        doctor_add(d, "nss", ST_WARN, fix,
                   "nsswitch.conf puts dns/resolve before %s: guest names go to DNS first (slow, "
                   "or answered wrongly)",
                   names);
    else if (!nss_module_present(d, names))
        doctor_add(d, "nss", ST_WARN, "apt install libnss-libvirt",
                   "nsswitch.conf names %s but libnss_%s.so.2 is not installed", names, names);
    else
        doctor_add(d, "nss", ST_PASS, NULL, "nsswitch.conf resolves guest names with %s", names);
}

/* The hosts line, read by the library as glibc reads nsswitch.conf. */
void check_nss(doctor *d)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    const char *fix = "apt install libnss-libvirt, then in /etc/nsswitch.conf: "
                      "'hosts: files libvirt libvirt_guest resolve [!UNAVAIL=return] dns' (or "
                      "without resolve); guests are then reachable by name";
    if (doctor_read(d, "/etc/nsswitch.conf", &text, &len) < 0) {
        doctor_add(d, "nss", ST_WARN, fix, "no /etc/nsswitch.conf");
        return;
    }
    char **services = NULL;
    nfsroot_error err = NFSROOT_ERROR_INIT;
    int r = nfsroot_nsswitch_services(text, len, "hosts", &services, &err);
    if (r < 0)
        doctor_add(d, "nss", ST_WARN, fix, "%s", err.code ? err.message : strerror(-r));
    else
        judge_hosts_line(d, services, fix);
    nfsroot_strv_free(services);
}

/* ---------------------------------------------------------------------------------------- */

/* The domain libnfsidmap settles on, from idmapd.conf below --root (it opens the file by name:
 * it gets the one opened below --root). 0, or -ENOENT with why saying what failed. */
static int idmap_domain(const doctor *d, char *domain, size_t len, char *why, size_t why_len)
{
    _cleanup_close_ int conf = doctor_open(d, "/etc/idmapd.conf", O_RDONLY | O_NOCTTY | O_NONBLOCK);
    char via[64];
    snprintf(via, sizeof(via), "/proc/self/fd/%d", conf);
    return nfsroot_host_nfs4_domain(conf >= 0 ? via : "/nonexistent/idmapd.conf", domain, len, why,
                                    why_len);
}

void check_idmap(doctor *d)
{
    char p[4096], configured[256] = "", domain[512] = "", why[512] = "";
    doctor_at(d, "/etc/idmapd.conf", p, sizeof(p));
    /* Is Domain set in [General]? Otherwise libnfsidmap derives it from DNS. */
    _cleanup_free_ char *text = NULL;
    if (doctor_read(d, "/etc/idmapd.conf", &text, NULL) == 0)
        nfsroot_idmapd_conf_domain(text, configured, sizeof(configured));
    int r = idmap_domain(d, domain, sizeof(domain), why, sizeof(why));
    if (r != 0)
        doctor_add(d, "idmap", ST_WARN,
                   "set 'Domain = <your domain>' in [General] of /etc/idmapd.conf",
                   "libnfsidmap cannot determine the NFSv4 id-mapping domain from %s (%s)", p, why);
    else if (!configured[0])
        doctor_add(d, "idmap", ST_WARN,
                   "set the same 'Domain = ...' in [General] of /etc/idmapd.conf on the host and "
                   "in each guest root (or keep sec=sys with numeric ids: nfs4_disable_idmapping)",
                   "NFSv4 id-mapping domain '%s' is derived from DNS (no Domain in %s): a guest "
                   "that derives another one sees files owned by nobody",
                   domain, p);
    else
        doctor_add(d, "idmap", ST_PASS, NULL, "NFSv4 id-mapping domain '%s' (set in %s)", domain,
                   p);
}

void check_clock(doctor *d)
{
    static const char *const names[] = { "chronyd",  "ntpd",      "systemd-timesyn",
                                         "openntpd", "timesyncd", "ntpsec",
                                         NULL };
    struct stat st;
    long pid = doctor_find_process(d, names);
    if (pid)
        doctor_add(d, "clock", ST_PASS, NULL, "a time sync daemon is running (pid %ld)", pid);
    else if (doctor_stat(d, "/run/systemd/timesync/synchronized", true, &st) == 0)
        doctor_add(d, "clock", ST_PASS, NULL, "systemd-timesyncd reports the clock synchronised");
    else
        doctor_add(d, "clock", ST_WARN,
                   "apt install chrony (on the host; guests use kvm-clock or their own NTP)",
                   "no time sync daemon found: skewed clocks between host and guests give odd "
                   "mtimes, 'make' warnings and Kerberos failures");
}
