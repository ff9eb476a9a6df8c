/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Claims on shared storage: the records of a host (state.c) only see its own domains, so two
 * hosts sharing an export root could each export one root read-write to a guest of their own.
 * A claim is a small file in the export root's registry (NFSROOT_REGISTRY_NAME, root-owned,
 * 0700), at claims/<the path below the export root>/#claim ('#' and ',' never occur in an
 * export path): taken with link(2), which is atomic on a local filesystem and on NFS alike,
 * read with a strict, bounded reader and never trusted to allow more than its own path. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "claim.h"

#define INCOMING_MAX_AGE_S 600
#define NESTED_SCAN_MAX 4096 /* directories a descendant scan visits at most */

/* This host's claim of path for plan's domain. */
static void claim_mine(const char *me, const nfsroot_plan *plan, const char *path, nfsroot_claim *c)
{
    *c = (nfsroot_claim){ 0 };
    nfsroot_claim_head_set(NFSROOT_CLAIM_HEAD(c), me, plan, path);
}

/* The directories claims/<rel...>, each made if missing; the fd of the last. A directory another
 * host's release removes meanwhile is made again. */
static int make_dirs(int regfd, const char *rel)
{
    char sub[NFSROOT_PATH_MAX + 16];
    snprintf(sub, sizeof(sub), "claims/%s", rel);
    for (int attempt = 0; attempt < 8; attempt++) {
        bool again = false;
        for (char *s = strchr(sub, '/'); !again; s = strchr(s + 1, '/')) {
            if (s)
                *s = '\0';
            int e = mkdirat(regfd, sub, 0700) < 0 ? errno : 0;
            if (s)
                *s = '/';
            if (e == ENOENT)
                again = true;
            else if (e && e != EEXIST)
                return -e;
            if (!s)
                break;
        }
        int fd = registry_open_claim(regfd, rel, "", O_RDONLY | O_DIRECTORY);
        if (!again && fd != -ENOENT)
            return fd;
        if (fd >= 0)
            close(fd);
    }
    return -EAGAIN;
}

/* Remove the directories claims/<rel...> that are empty, deepest first. */
static void prune_dirs(int regfd, const char *rel)
{
    char sub[NFSROOT_PATH_MAX + 16];
    snprintf(sub, sizeof(sub), "claims/%s", rel);
    for (char *s = sub + strlen(sub); s > sub + strlen("claims"); s = strrchr(sub, '/')) {
        *s = '\0';
        if (unlinkat(regfd, sub, AT_REMOVEDIR) < 0)
            return;
    }
}

/* how: "is" (the path itself), "lies in" (an ancestor's claim), "holds" (a descendant's). */
static int held_error(nfsroot_error *err, const nfsroot_plan *plan, const char *path,
                      const nfsroot_claim *c, const char *how)
{
    char what[2 * NFSROOT_PATH_MAX + 64];
    if (!strcmp(how, "is"))
        snprintf(what, sizeof(what), "export path '%s' is", path);
    else
        snprintf(what, sizeof(what), "export path '%s' %s '%s',", path, how, c->path);
    return nfsroot_err(err, -EBUSY, plan->domain, "export path", c->path, 0,
                       "%s claimed read-write by domain '%s' (uuid %s) on host '%s', which "
                       "shares this storage: stop it there first, or if host '%s' is gone for "
                       "good, break its claim with 'virt-nfsroot reconcile --break-claim %s "
                       "--host %s' (as root)",
                       what, c->domain, c->uuid, c->host, c->host, c->path, c->host);
}

/* A claim found at the path itself: may this domain have it? 1: it is this host's own of this
 * domain; 0: replace it (this host's claim of a domain it has no record of, since prepare's
 * conflicts with local records passed; or a hand-over allowed by handover_ok); else refused. */
static int judge(const char *me, const nfsroot_plan *plan, const char *path, const nfsroot_claim *c,
                 bool handover_ok, nfsroot_error *err)
{
    bool same = !strcmp(c->uuid, plan->uuid);
    if (!strcmp(c->host, me))
        return same ? 1 : 0;
    if (same && handover_ok)
        return 0;
    if (same)
        return nfsroot_err(err, -EBUSY, plan->domain, "export path", path, 0,
                           "export path '%s' is claimed by this domain on host '%s', where it "
                           "runs: migrate it here (virsh migrate) rather than start it twice, or "
                           "if host '%s' is gone for good, break its claim with 'virt-nfsroot "
                           "reconcile --break-claim %s --host %s' (as root)",
                           path, c->host, c->host, path, c->host);
    return held_error(err, plan, path, c, "is");
}

static bool other_host(const nfsroot_claim *c, const char *me)
{
    return !me || strcmp(c->host, me);
}

/* The nearest claim of another host (any host when me is NULL) on a proper ancestor of rel:
 * 1 and *found, 0, or -errno. Claims the reader refuses are skipped: only root writes here. */
static int find_ancestor(int regfd, const char *rel, const char *me, nfsroot_claim *found)
{
    char up[NFSROOT_PATH_MAX + 1];
    snprintf(up, sizeof(up), "%s", rel);
    for (char *s = strrchr(up, '/'); s; s = strrchr(up, '/')) {
        *s = '\0';
        int r = registry_claim_read(regfd, up, found);
        if (r == 0 && other_host(found, me))
            return 1;
        if (r < 0 && r != -ENOENT && r != -EBADMSG)
            return r;
    }
    return 0;
}

/* Another host's claim below dirfd (the claims directory of rel): depth-first, bounded. */
static int scan_below(int dirfd, const char *rel, const char *me, nfsroot_claim *found,
                      unsigned *budget)
{
    _cleanup_(closedirp) DIR *d = fdopendir(dup(dirfd));
    if (!d)
        return -errno;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || de->d_name[0] == '#' || de->d_name[0] == ',')
            continue;
        if ((*budget)-- == 0)
            return -E2BIG;
        char sub[NFSROOT_PATH_MAX + 1];
        if (snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= (int)sizeof(sub))
            continue;
        _cleanup_close_ int fd =
            openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue; /* removed meanwhile, or no directory: not a claim either way */
        _cleanup_close_ int cf = openat(fd, REGISTRY_CLAIM_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        nfsroot_claim c;
        if (cf >= 0 && read_regular_fd(cf, REGISTRY_READ_MAX, &text, NULL) == 0 &&
            registry_claim_parse(text, &c) == 0 && other_host(&c, me)) {
            *found = c;
            return 1;
        }
        int r = scan_below(fd, sub, me, found, budget);
        if (r != 0)
            return r;
    }
    return 0;
}

/* Another host's claim on a proper ancestor of rel or below leaf (the claims directory of rel,
 * -1: none) refuses path: this host's own are prepare's local conflict checks' business. */
static int check_nested(int regfd, int leaf, const char *me, const nfsroot_plan *plan,
                        const char *path, const char *rel, nfsroot_error *err)
{
    nfsroot_claim c;
    unsigned budget = NESTED_SCAN_MAX;
    int r = find_ancestor(regfd, rel, me, &c);
    const char *how = "lies in";
    if (r == 0 && leaf >= 0) {
        r = scan_below(leaf, rel, me, &c, &budget);
        how = "holds";
    }
    if (r == 1)
        return held_error(err, plan, path, &c, how);
    if (r < 0)
        return nfsroot_err(err, r, plan->domain, "registry", path, 0,
                           "cannot read the claims above or below export path '%s': %s", path,
                           strerror(-r));
    return 0;
}

static int unreadable_error(nfsroot_error *err, const nfsroot_plan *plan, const char *path, int r)
{
    return nfsroot_err(err, r, plan->domain, "registry", path, 0,
                       "the claim on export path '%s' cannot be read (%s): break it with "
                       "'virt-nfsroot reconcile --break-claim %s' (as root)",
                       path, strerror(-r), path);
}

/* c as the temp file tmp in dir. */
static int write_claim(int dir, const char *tmp, const nfsroot_claim *c)
{
    char text[REGISTRY_READ_MAX];
    int n = registry_claim_format(c, text, sizeof(text));
    return n < 0 ? n : registry_write_temp(dir, tmp, text, (size_t)n);
}

/* Replace the claim at rel by c (a migration's end, or its hand-back). */
static int claim_replace(int regfd, const char *rel, const nfsroot_claim *c)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), ",rw.%ld", (long)getpid());
    _cleanup_close_ int leaf = registry_open_claim(regfd, rel, "", O_RDONLY | O_DIRECTORY);
    int r = leaf < 0 ? leaf : write_claim(leaf, tmp, c);
    if (r == 0 && renameat(leaf, tmp, leaf, REGISTRY_CLAIM_FILE) < 0)
        r = -errno;
    if (leaf >= 0)
        (void)unlinkat(leaf, tmp, 0);
    return r;
}

/* Link the claim into place, or judge the one there: 1 already ours, 0 taken now, <0 refused. */
static int link_claim(int regfd, int leaf, const char *tmp, nfsroot_claim *mine,
                      const nfsroot_plan *plan, const char *rel, bool handover_ok,
                      nfsroot_error *err)
{
    const char *me = mine->host, *path = mine->path;
    for (int attempt = 0; attempt < 4; attempt++) {
        if (linkat(leaf, tmp, leaf, REGISTRY_CLAIM_FILE, 0) == 0)
            return 0;
        if (errno != EEXIST)
            return nfsroot_err(err, -errno, plan->domain, "registry", path, 0,
                               "cannot claim export path '%s': %s", path, strerror(errno));
        nfsroot_claim c;
        int r = registry_claim_read(regfd, rel, &c);
        if (r == -ENOENT)
            continue; /* released meanwhile */
        if (r < 0)
            return unreadable_error(err, plan, path, r);
        r = judge(me, plan, path, &c, handover_ok, err);
        if (r != 0)
            return r;
        /* A hand-over names its source until the source's release: a migration that fails
         * before it gives the claim back to the source at this host's release. */
        if (strcmp(c.host, me)) {
            snprintf(mine->from, sizeof(mine->from), "%s", c.host);
            if ((r = write_claim(leaf, tmp, mine)) < 0)
                return nfsroot_err(err, r, plan->domain, "registry", path, 0,
                                   "cannot write the claim of export path '%s': %s", path,
                                   strerror(-r));
        }
        if (renameat(leaf, tmp, leaf, REGISTRY_CLAIM_FILE) < 0)
            return nfsroot_err(err, -errno, plan->domain, "registry", path, 0,
                               "cannot take over the claim on export path '%s': %s", path,
                               strerror(errno));
        return 0;
    }
    return nfsroot_err(err, -EAGAIN, plan->domain, "registry", path, 0,
                       "the claim on export path '%s' keeps changing", path);
}

/* Take the claim on one read-write export path, then look for another host's claim above or
 * below it (after taking: of two hosts taking nested paths at once, the later one sees the
 * other). */
static int take_one(const nfsroot_policy *p, const char *me, const nfsroot_plan *plan,
                    const char *path, bool handover_ok, nfsroot_error *err)
{
    const char *rel = NULL;
    _cleanup_close_ int regfd = registry_open(p, path, true, &rel, err);
    if (regfd < 0)
        return regfd;
    _cleanup_close_ int leaf = make_dirs(regfd, rel);
    if (leaf < 0)
        return nfsroot_err(err, leaf, plan->domain, "registry", path, 0,
                           "cannot make the claim directory of export path '%s': %s", path,
                           strerror(-leaf));
    char tmp[NFSROOT_HOST_ID_MAX + 32];
    nfsroot_claim mine;
    claim_mine(me, plan, path, &mine);
    snprintf(tmp, sizeof(tmp), ",%s.%ld", me, (long)getpid());
    int r = write_claim(leaf, tmp, &mine);
    if (r < 0)
        return nfsroot_err(err, r, plan->domain, "registry", path, 0,
                           "cannot write the claim of export path '%s': %s", path, strerror(-r));
    r = link_claim(regfd, leaf, tmp, &mine, plan, rel, handover_ok, err);
    (void)unlinkat(leaf, tmp, 0);
    if (r < 0)
        return r;
    bool taken_now = r == 0;
    r = check_nested(regfd, leaf, me, plan, path, rel, err);
    if (r < 0 && taken_now) {
        (void)unlinkat(leaf, REGISTRY_CLAIM_FILE, 0);
        prune_dirs(regfd, rel);
    }
    return r;
}

static int incoming_path(const nfsroot_policy *p, const nfsroot_plan *plan, char *buf, size_t len)
{
    if (!nfsroot_uuid_is_valid(plan->uuid) ||
        snprintf(buf, len, "%s/incoming/%s", p->state_dir, plan->uuid) >= (int)len)
        return -EINVAL;
    return 0;
}

/* `migrate begin` accepted this domain from the host holding its claims, minutes ago at most. */
static bool incoming_expected(const nfsroot_policy *p, const nfsroot_plan *plan)
{
    char file[4200];
    struct stat st;
    return incoming_path(p, plan, file, sizeof(file)) == 0 && lstat(file, &st) == 0 &&
           S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
           time(NULL) - st.st_mtime <= INCOMING_MAX_AGE_S && time(NULL) >= st.st_mtime;
}

int nfsroot_claims_expect(const nfsroot_policy *p, const nfsroot_plan *plan, nfsroot_error *err)
{
    char dir[4200], file[4300];
    int r = incoming_path(p, plan, file, sizeof(file));
    snprintf(dir, sizeof(dir), "%s/incoming", p->state_dir);
    if (r == 0)
        r = mkdir_p(dir, 0700);
    if (r == 0)
        r = write_file_replace(dir, plan->uuid, "", 0, 0600);
    if (r < 0)
        return nfsroot_err(err, r, plan->domain, "state", dir, 0,
                           "cannot note the incoming migration in '%s': %s", dir, strerror(-r));
    return 0;
}

static int check_one(const nfsroot_policy *p, const char *me, const nfsroot_plan *plan,
                     const char *path, bool *handover, nfsroot_error *err);

/* take_one() (with check: check_one()) for each read-write export of plan; this host's id is read
 * once, and only when there is one. */
static int each_rw(const nfsroot_policy *p, const nfsroot_plan *plan, bool check, bool *handover,
                   nfsroot_error *err)
{
    char me[NFSROOT_HOST_ID_MAX + 1];
    bool any = false;
    for (size_t i = 0; i < plan->n_exports; i++) {
        const char *path = plan->exports[i].path;
        if (plan->exports[i].readonly)
            continue;
        int r = any ? 0 : nfsroot_host_id(p, me, err);
        any = true;
        if (r == 0)
            r = check ? check_one(p, me, plan, path, handover, err)
                      : take_one(p, me, plan, path, *handover, err);
        if (r < 0) {
            if (err && !err->domain[0])
                snprintf(err->domain, sizeof(err->domain), "%s", plan->domain);
            return r;
        }
    }
    return 0;
}

int nfsroot_claims_take(const nfsroot_policy *p, const nfsroot_plan *plan, nfsroot_error *err)
{
    if (p->allow_shared_rw)
        return 0; /* the admin lets running domains share a read-write path */
    char file[4200];
    bool handover_ok = incoming_expected(p, plan);
    int r = each_rw(p, plan, false, &handover_ok, err);
    if (r == 0 && handover_ok && incoming_path(p, plan, file, sizeof(file)) == 0)
        (void)unlink(file);
    return r;
}

/* One path's claims as take_one() judges them, taking nothing. */
static int check_one(const nfsroot_policy *p, const char *me, const nfsroot_plan *plan,
                     const char *path, bool *handover, nfsroot_error *err)
{
    const char *rel = NULL;
    _cleanup_close_ int regfd = registry_open(p, path, false, &rel, err);
    if (regfd < 0)
        return regfd == -ENOENT ? 0 : regfd; /* no registry: nothing claimed yet */
    nfsroot_claim c;
    int r = registry_claim_read(regfd, rel, &c);
    if (r == 0 && (r = judge(me, plan, path, &c, true, err)) == 0 && strcmp(c.host, me))
        *handover = true;
    if (r == -ENOENT || r == 1)
        r = 0;
    else if (r < 0 && !err->code)
        return unreadable_error(err, plan, path, r);
    _cleanup_close_ int leaf =
        r == 0 ? registry_open_claim(regfd, rel, "", O_RDONLY | O_DIRECTORY) : -1;
    return r < 0 ? r : check_nested(regfd, leaf, me, plan, path, rel, err);
}

int nfsroot_claims_check(const nfsroot_policy *p, const nfsroot_plan *plan, bool *ret_handover,
                         nfsroot_error *err)
{
    *ret_handover = false;
    return p->allow_shared_rw ? 0 : each_rw(p, plan, true, ret_handover, err);
}

static void drop_one(const nfsroot_policy *p, const char *me, const nfsroot_plan *plan,
                     const char *path, const nfsroot_log *log)
{
    const char *rel = NULL;
    nfsroot_error e = { 0 };
    _cleanup_close_ int regfd = registry_open(p, path, false, &rel, &e);
    nfsroot_claim c;
    int r = regfd < 0 ? regfd : registry_claim_read(regfd, rel, &c);
    if (r == 0 && strcmp(c.uuid, plan->uuid))
        return; /* never this domain's */
    if (r == 0 && (strcmp(c.host, me) || c.from[0])) {
        /* The source's release ends a migration: the claim is the destination's alone. Or
         * this host took it over and stops the domain before the source released it: the
         * migration failed, and the domain still runs on the source, which gets it back. */
        bool source = strcmp(c.host, me) != 0;
        if (source && strcmp(c.from, me))
            return; /* another host's, not from here */
        if (!source)
            memcpy(c.host, c.from, sizeof(c.host));
        c.from[0] = '\0';
        r = claim_replace(regfd, rel, &c);
        if (r < 0)
            nfsroot_logf(log, LOG_WARNING, "domain '%s': cannot update its claim on '%s': %s",
                         plan->domain, path, strerror(-r));
        return;
    }
    char sub[NFSROOT_PATH_MAX + 32];
    if (r == 0 &&
        snprintf(sub, sizeof(sub), "claims/%s/" REGISTRY_CLAIM_FILE, rel) < (int)sizeof(sub) &&
        unlinkat(regfd, sub, 0) < 0)
        r = -errno;
    if (r == 0)
        prune_dirs(regfd, rel);
    else if (r != -ENOENT)
        nfsroot_logf(log, LOG_WARNING, "domain '%s': cannot drop its claim on '%s': %s",
                     plan->domain, path, e.message[0] ? e.message : strerror(-r));
}

void nfsroot_claims_drop(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_log *log)
{
    char me[NFSROOT_HOST_ID_MAX + 1];
    nfsroot_error e = { 0 };
    bool any = false;
    for (size_t i = 0; i < plan->n_exports; i++) {
        if (plan->exports[i].readonly)
            continue;
        if (!any && nfsroot_host_id(p, me, &e) < 0) {
            nfsroot_logf(log, LOG_WARNING, "domain '%s': %s", plan->domain, e.message);
            return;
        }
        any = true;
        drop_one(p, me, plan, plan->exports[i].path, log);
    }
}

static int claim_find(const nfsroot_policy *p, const char *path, nfsroot_claim *ret,
                      nfsroot_error *err)
{
    const char *rel = NULL;
    _cleanup_close_ int regfd = registry_open(p, path, false, &rel, err);
    if (regfd < 0)
        return regfd == -ENOENT ? 0 : regfd; /* no registry: nothing claimed yet */
    int r = registry_claim_read(regfd, rel, ret);
    if (r == 0)
        return 1;
    r = find_ancestor(regfd, rel, NULL, ret);
    _cleanup_close_ int leaf =
        r == 0 ? registry_open_claim(regfd, rel, "", O_RDONLY | O_DIRECTORY) : -1;
    unsigned budget = NESTED_SCAN_MAX;
    if (leaf >= 0)
        r = scan_below(leaf, rel, NULL, ret, &budget);
    if (r < 0)
        return nfsroot_err(err, r, NULL, "registry", path, 0,
                           "cannot read the claims on export path '%s': %s", path, strerror(-r));
    return r;
}

static int claim_break(const nfsroot_policy *p, const char *path, const char *host,
                       nfsroot_claim *ret, nfsroot_error *err)
{
    const char *rel = NULL;
    _cleanup_close_ int regfd = registry_open(p, path, false, &rel, err);
    if (regfd < 0 && regfd != -ENOENT)
        return regfd;
    int r = regfd < 0 ? -ENOENT : registry_claim_read(regfd, rel, ret);
    if (r == -ENOENT)
        return nfsroot_err(err, r, NULL, "export path", path, 0, "no host claims export path '%s'",
                           path);
    if (r == -EBADMSG && host)
        return nfsroot_err(err, r, NULL, "registry", path, 0,
                           "the claim on export path '%s' cannot be read: break it without "
                           "--host",
                           path);
    if (r == 0 && host && strcmp(ret->host, host))
        return nfsroot_err(err, -EPERM, NULL, "host", path, 0,
                           "export path '%s' is claimed by host '%s', not '%s': nothing broken",
                           path, ret->host, host);
    char sub[NFSROOT_PATH_MAX + 32];
    snprintf(sub, sizeof(sub), "claims/%s/" REGISTRY_CLAIM_FILE, rel);
    if (r == -EBADMSG)
        *ret = (nfsroot_claim){ .host = "?", .domain = "?" };
    else if (r < 0)
        return nfsroot_err(err, r, NULL, "registry", path, 0,
                           "cannot read the claim on export path '%s': %s", path, strerror(-r));
    if (unlinkat(regfd, sub, 0) < 0)
        return nfsroot_err(err, -errno, NULL, "registry", path, 0,
                           "cannot remove the claim on export path '%s': %s", path,
                           strerror(errno));
    prune_dirs(regfd, rel);
    return 0;
}

int nfsroot_claim_find(const nfsroot_policy *p, const char *path, char *ret_host, size_t host_len,
                       char *ret_domain, size_t domain_len, char *ret_path, size_t path_len,
                       nfsroot_error *err)
{
    nfsroot_claim c = { 0 };
    int r = claim_find(p, path, &c, err);
    if (r == 1) {
        snprintf(ret_host, host_len, "%s", c.host);
        snprintf(ret_domain, domain_len, "%s", c.domain);
        snprintf(ret_path, path_len, "%s", c.path);
    }
    return r;
}

int nfsroot_claim_break(const nfsroot_policy *p, const char *path, const char *host,
                        char *ret_domain, size_t domain_len, nfsroot_error *err)
{
    nfsroot_claim c = { 0 };
    int r = claim_break(p, path, host, &c, err);
    if (r == 0)
        snprintf(ret_domain, domain_len, "%s", c.domain);
    return r;
}
