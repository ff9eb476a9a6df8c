/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel NFS server: one file per domain in exports.d (so an admin's `exportfs -ra` keeps
 * it) plus `exportfs -o`/`-u` of exactly our entries (so the cost does not grow with the
 * host's other exports). */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <syslog.h>

#include "backend/kernel-etab.h"
#include "fault.h"

#define FILE_PREFIX "virt-nfsroot-"
#define FILE_SUFFIX ".exports"

static void file_name(const char *uuid, char *buf, size_t len)
{
    snprintf(buf, len, FILE_PREFIX "%s" FILE_SUFFIX, uuid);
}

/* exportfs splits "client:/path" at the first ':' unless an IPv6 client is bracketed. */
static void client_path_arg(const char *client, const char *path, char *buf, size_t len)
{
    if (strchr(client, ':'))
        snprintf(buf, len, "[%s]:%s", client, path);
    else
        snprintf(buf, len, "%s:%s", client, path);
}

/* A (path, client) pair that several running domains export (read-only, or read-write where the
 * policy allows sharing) is written in one exports.d file only: `exportfs -r` warns about
 * duplicated entries and exits 1. The file of the sharer with the smallest UUID holds it; the
 * others add and remove it live with exportfs -o/-u as usual. */
static bool peer_has(const nfsroot_plan *plan, const char *path, const char *client,
                     const nfsroot_peers *peers, bool smaller_uuid_only)
{
    for (size_t i = 0; peers && i < peers->n; i++) {
        const nfsroot_plan *o = peers->plans[i];
        if (strcmp(o->domain, plan->domain) &&
            (!smaller_uuid_only || strcmp(o->uuid, plan->uuid) < 0) &&
            nfsroot_plan_has(o, path, client))
            return true;
    }
    return false;
}

/* e's options as knfsd gets them: with fsid=<a UUID derived from the path> (handle.c), so the
 * file handles do not depend on which host serves the export (migration), unless the options
 * carry an fsid= already (only where the policy lists fsid: the admin chose). */
static char *kernel_options(const nfsroot_export *e)
{
    _cleanup_strv_free_ char **opts = strv_split(e->options, ",");
    if (!opts)
        return NULL;
    for (size_t i = 0; opts[i]; i++)
        if (!strncmp(opts[i], "fsid=", 5))
            return strdup(e->options);
    char fsid[37];
    nfsroot_kernel_fsid(e->path, fsid);
    char *ret = NULL;
    return asprintf(&ret, "%s,fsid=%s", e->options, fsid) < 0 ? NULL : ret;
}

static int render(const nfsroot_plan *plan, const nfsroot_peers *peers, char **ret)
{
    size_t len = 0;
    FILE *f = open_memstream(ret, &len);
    if (!f)
        return -ENOMEM;
    fprintf(f,
            "# Managed by virt-nfsroot for libvirt domain '%s' (uuid %s).\n"
            "# Written when the domain starts, removed when it stops: do not edit.\n",
            plan->domain, plan->uuid);
    for (size_t i = 0; i < plan->n_exports; i++) {
        nfsroot_export e = plan->exports[i];
        size_t n = 0, w = 0;
        while (e.clients[n])
            n++;
        _cleanup_free_ char **mine = calloc(n + 1, sizeof(*mine));
        if (!mine) {
            fclose(f);
            return -ENOMEM;
        }
        for (size_t c = 0; c < n; c++)
            if (!peer_has(plan, e.path, e.clients[c], peers, true))
                mine[w++] = e.clients[c];
            else
                fprintf(f, "# %s to %s: in the file of another domain sharing it\n", e.path,
                        e.clients[c]);
        if (w == 0)
            continue;
        e.clients = mine;
        _cleanup_free_ char *opts = kernel_options(&e);
        e.options = opts;
        _cleanup_free_ char *line = opts ? nfsroot_export_format_line(&e) : NULL;
        if (!line) {
            fclose(f);
            return -ENOMEM;
        }
        fprintf(f, "# virt-nfsroot uuid=%s role=%s\n%s\n", plan->uuid,
                plan->exports[i].is_root ? "root" : "extra", line);
    }
    return fclose(f) == 0 ? 0 : -ENOMEM;
}

static int write_exports_file(const nfsroot_policy *p, const nfsroot_plan *plan,
                              const nfsroot_peers *peers, nfsroot_error *err)
{
    _cleanup_free_ char *text = NULL;
    int r = render(plan, peers, &text);
    if (r < 0)
        return r;
    r = mkdir_p(p->exports_dir, 0755);
    char name[128];
    file_name(plan->uuid, name, sizeof(name));
    if (r == 0)
        r = write_file_replace(p->exports_dir, name, text, strlen(text), 0644);
    if (r < 0)
        return nfsroot_err(err, r, plan->domain, "exports", p->exports_dir, 0,
                           "cannot write '%s/%s': %s", p->exports_dir, name, strerror(-r));
    return 0;
}

static int kernel_has(const nfsroot_policy *p, const char *path, const char *client, bool *ret,
                      nfsroot_error *err)
{
    int r = etab_has(p, path, client, ret);
    return r < 0 ? etab_error(p, NULL, client, r, err) : 0;
}

static int exportfs(const nfsroot_policy *p, const char *opts, const char *client, const char *path,
                    char **ret_stderr, nfsroot_error *err)
{
    char arg[2200];
    client_path_arg(client, path, arg, sizeof(arg));
    char *argv_add[] = { p->exportfs, "-o", (char *)opts, arg, NULL };
    char *argv_del[] = { p->exportfs, "-u", arg, NULL };
    return run_program(opts ? argv_add : argv_del, ret_stderr, err);
}

/* Add to *ours each path of `after` not in `before`: an exportfs run that only removes an entry
 * wrote it there, so it is an entry of this client that the run canonicalised elsewhere. One
 * look-up in `before` per path of `after` (*ours is short: what our own runs added). */
static int push_new(char ***ours, const etab_set *before, const etab_set *after)
{
    for (size_t i = 0; i < after->n; i++) {
        const char *path = etab_set_path(after, i);
        if (!etab_set_has_hashed(before, path, after->hash[i]) && !strv_contains(*ours, path) &&
            strv_push(ours, path) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* One `exportfs -u client:path`; *now is what etab held for client before it, and holds what
 * etab holds after it. */
static int unexport_step(const nfsroot_policy *p, const char *domain, const char *path,
                         const char *client, etab_set **now, char ***ours, char **ret_errtext,
                         nfsroot_error *err)
{
    int r = exportfs(p, NULL, client, path, ret_errtext, err);
    if (r < 0)
        return nfsroot_err(err, r, domain, "exportfs", p->exportfs, 0, "cannot run '%s': %s",
                           p->exportfs, strerror(-r));
    _cleanup_(etab_set_freep) etab_set *after = NULL;
    r = etab_paths(p, client, &after);
    if (r < 0)
        return etab_error(p, domain, client, r, err);
    if (push_new(ours, *now, after) < 0)
        return -ENOMEM;
    etab_set_freep(now);
    *now = TAKE_PTR(after);
    return 0;
}

#define UNEXPORT_ROUNDS 8

/* Take (path, client) down and prove it gone. Ours is the entry under the path asked for, under
 * what that path canonicalises to now, and any path an `exportfs -u` of ours rewrote it to while
 * a directory on the way was a symbolic link: each is unexported by the path etab shows, until
 * etab holds none of them. Fails (never 0) while any is left. etab is read once at the start
 * and once after each `exportfs -u` (that read is the next step's "before": we hold the state
 * lock, and nfs-utils' own lock only while exportfs runs, so a second read in between would
 * answer no other question). */
static int unexport_one(const nfsroot_policy *p, const char *domain, const char *path,
                        const char *client, nfsroot_error *err)
{
    _cleanup_strv_free_ char **ours = NULL;
    _cleanup_(etab_set_freep) etab_set *now = NULL;
    if (strv_push(&ours, path) < 0)
        return -ENOMEM;
    int r = etab_paths(p, client, &now);
    if (r < 0)
        return etab_error(p, domain, client, r, err);
    _cleanup_free_ char *errtext = NULL;
    for (unsigned round = 0;; round++) {
        _cleanup_free_ char *canon = realpath(path, NULL);
        if (canon && !strv_contains(ours, canon) && strv_push(&ours, canon) < 0)
            return -ENOMEM;
        const char *left = NULL;
        for (size_t i = 0; ours[i] && !left; i++)
            if (etab_set_has(now, ours[i]))
                left = ours[i];
        if (!left)
            return 0;
        if (round == UNEXPORT_ROUNDS) {
            char first[400];
            first_line(errtext, first, sizeof(first));
            return nfsroot_err(err, -EIO, domain, "exportfs", p->exportfs, 0,
                               "'exportfs -u' did not remove the export of '%s' to '%s' (etab "
                               "still has '%s')%s%s",
                               path, client, left, first[0] ? ": " : "", first);
        }
        for (size_t i = 0; ours[i]; i++) {
            if (!etab_set_has(now, ours[i]))
                continue;
            /* ours may grow (and move) in unexport_step: copy the name first */
            _cleanup_free_ char *target = strdup(ours[i]);
            free(errtext);
            errtext = NULL;
            r = target ? unexport_step(p, domain, target, client, &now, &ours, &errtext, err)
                       : -ENOMEM;
            if (r < 0)
                return r;
        }
    }
}

/* After `exportfs -o`: every entry for client that the run added under another path than the
 * planned one (exportfs canonicalised a path whose directory was swapped for a link), or the
 * planned one if a link now lies on its way (the next exportfs run would canonicalise it), is
 * taken down again and the export fails. */
static int after_check(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_export *e,
                       const char *client, const etab_set *before, const etab_set *after,
                       nfsroot_error *err)
{
    _cleanup_strv_free_ char **stray = NULL;
    if (push_new(&stray, before, after) < 0)
        return -ENOMEM;
    nfsroot_error ignored = { 0 };
    bool moved = nfsroot_path_verify(e->path, &ignored) < 0;
    const char *where = NULL;
    for (size_t i = 0; stray && stray[i]; i++)
        if (strcmp(stray[i], e->path)) {
            where = where ? where : stray[i];
            moved = true;
        }
    if (!moved)
        return 0;
    _cleanup_free_ char *shown = where ? strdup(where) : NULL;
    if (where && !shown)
        return -ENOMEM;
    int undo = unexport_one(p, plan->domain, e->path, client, err);
    for (size_t i = 0; undo == 0 && stray && stray[i]; i++)
        undo = unexport_one(p, plan->domain, stray[i], client, err);
    if (undo < 0)
        return undo;
    if (shown)
        return nfsroot_err(err, -EXDEV, plan->domain, "export path", e->path, 0,
                           "exporting '%s' to '%s' made exportfs export '%s': a directory on "
                           "its way was replaced by a symbolic link; the entry was taken down "
                           "again",
                           e->path, client, shown);
    return nfsroot_err(err, -EXDEV, plan->domain, "export path", e->path, 0,
                       "export path '%s' changed while it was exported to '%s': it or a "
                       "directory on its way was replaced by a symbolic link; the entry was "
                       "taken down again",
                       e->path, client);
}

/* *known: what etab held for client before this run when the caller knows it (the previous
 * run's read for the same client), else NULL; on success, what it holds after. */
static int export_one(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_export *e,
                      const char *client, etab_set **known, const nfsroot_log *log,
                      nfsroot_error *err)
{
    _cleanup_(etab_set_freep) etab_set *before = TAKE_PTR(*known);
    int r = before ? 0 : etab_paths(p, client, &before);
    if (r < 0)
        return etab_error(p, plan->domain, client, r, err);
    _cleanup_free_ char *errtext = NULL, *opts = kernel_options(e);
    if (!opts)
        return -ENOMEM;
    r = exportfs(p, opts, client, e->path, &errtext, err);
    NFSROOT_FAULT_POINT("kernel-exported");
    if (r < 0)
        return nfsroot_err(err, r, plan->domain, "exportfs", p->exportfs, 0, "cannot run '%s': %s",
                           p->exportfs, strerror(-r));
    /* exportfs exits 1 when any entry on the host is broken: trust etab, not that. One read
     * of it (it grows with every export on the host) answers both questions below. */
    _cleanup_(etab_set_freep) etab_set *after = NULL;
    int r2 = etab_paths(p, client, &after);
    if (r2 < 0)
        return etab_error(p, plan->domain, client, r2, err);
    if (!etab_set_has(after, e->path)) {
        char first[400];
        first_line(errtext, first, sizeof(first));
        int undo = after_check(p, plan, e, client, before, after, err);
        if (undo < 0)
            return undo;
        return nfsroot_err(err, -EIO, plan->domain, "exportfs", p->exportfs, 0,
                           "exportfs did not export '%s' to '%s' (exit status %d%s%s)", e->path,
                           client, r, first[0] ? ": " : "", first);
    }
    r2 = after_check(p, plan, e, client, before, after, err);
    if (r2 < 0)
        return r2;
    if (r != 0 && errtext && errtext[0])
        nfsroot_logf(log, LOG_NOTICE, "domain '%s': exportfs exited %d about another entry: %s",
                     plan->domain, r, errtext);
    *known = TAKE_PTR(after); /* after_check took nothing down: etab is as read */
    return 0;
}

static int kernel_apply(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_plan *old,
                        const nfsroot_peers *peers, const nfsroot_log *log, nfsroot_error *err)
{
    int r = write_exports_file(p, plan, peers, err);
    if (r < 0)
        return r;
    NFSROOT_FAULT_POINT("kernel-file-written");

    for (size_t i = 0; old && i < old->n_exports; i++)
        for (size_t c = 0; old->exports[i].clients[c]; c++)
            /* ... unless another running domain still exports it too. */
            if (!nfsroot_plan_has(plan, old->exports[i].path, old->exports[i].clients[c]) &&
                !peer_has(plan, old->exports[i].path, old->exports[i].clients[c], peers, false)) {
                r = unexport_one(p, plan->domain, old->exports[i].path, old->exports[i].clients[c],
                                 err);
                if (r < 0)
                    return r;
                NFSROOT_FAULT_POINT("kernel-old-unexported");
            }

    /* etab is read once before the first run for a client and once after each run: the read
     * after one run is the next one's "before" when the client is the same. */
    _cleanup_(etab_set_freep) etab_set *known = NULL;
    const char *known_client = NULL;
    for (size_t i = 0; i < plan->n_exports; i++)
        for (size_t c = 0; plan->exports[i].clients[c]; c++) {
            const char *client = plan->exports[i].clients[c];
            if (known_client && strcmp(known_client, client) != 0) {
                etab_set_freep(&known);
                known = NULL;
            }
            r = export_one(p, plan, &plan->exports[i], client, &known, log, err);
            if (r < 0)
                return r;
            known_client = client;
        }
    return 0;
}

/* exportfs holds a lockf() on export-lock (next to etab) for its whole run, and `exportfs -r`
 * lists exports.d before it opens each file: a file unlinked in between makes it fail with
 * "can't open ... for reading" and exit 1. Unlink under that lock so no exportfs run sees a file
 * vanish. Released before we run exportfs ourselves. -1 when there is no lock to take. */
static int exportfs_lock(const nfsroot_policy *p)
{
    char lock[4200];
    const char *slash = strrchr(p->etab, '/');
    if (!slash || snprintf(lock, sizeof(lock), "%.*s/export-lock", (int)(slash - p->etab),
                           p->etab) >= (int)sizeof(lock))
        return -1;
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    while (lockf(fd, F_LOCK, 0) < 0)
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    return fd;
}

static int kernel_remove(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_log *log,
                         nfsroot_error *err)
{
    char name[128], path[4200];
    file_name(plan->uuid, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", p->exports_dir, name);
    /* The file goes first: an `exportfs -ra` from now on no longer brings the entry back. */
    _cleanup_close_ int xlock = exportfs_lock(p);
    /* A file that is not there needs no unlink: on a read-only exports.d (a failed apply's
     * undo) unlink() would say EROFS before it looks the name up. */
    bool present = faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
    if (present && unlink(path) < 0 && errno != ENOENT)
        return nfsroot_err(err, -errno, plan->domain, "exports", path, 0, "cannot remove '%s': %s",
                           path, strerror(errno));
    closep(&xlock);
    xlock = -1;
    NFSROOT_FAULT_POINT("kernel-file-removed");
    int result = 0;
    /* unexport_one() finds each entry by what etab holds and fails while any is left: the
     * caller then keeps the record, so a later release retries. */
    for (size_t i = 0; i < plan->n_exports; i++)
        for (size_t c = 0; plan->exports[i].clients[c]; c++) {
            int r = unexport_one(p, plan->domain, plan->exports[i].path,
                                 plan->exports[i].clients[c], err);
            NFSROOT_FAULT_POINT("kernel-unexported");
            if (r < 0 && result == 0)
                result = r;
        }
    return result;
}

/* ---- Orphans: files of ours in exports_dir whose uuid no record of this backend has ---- */

/* Our files are small: a plan holds at most NFSROOT_EXPORTS_MAX lines. */
#define ORPHAN_FILE_MAX (256u * 1024)

/* The uuid in "virt-nfsroot-<uuid>.exports"; false for any other name. */
static bool file_uuid(const char *name, char uuid[static 37])
{
    size_t l = strlen(name), pl = strlen(FILE_PREFIX), sl = strlen(FILE_SUFFIX);
    if (l != pl + 36 + sl || strncmp(name, FILE_PREFIX, pl) || strcmp(name + l - sl, FILE_SUFFIX))
        return false;
    snprintf(uuid, 37, "%.36s", name + pl);
    return nfsroot_uuid_is_valid(uuid);
}

static bool owner_has(const nfsroot_peers *owners, const char *path, const char *client)
{
    for (size_t i = 0; i < owners->n; i++)
        if (nfsroot_plan_has(owners->plans[i], path, client))
            return true;
    return false;
}

static int kernel_list_orphans(const nfsroot_policy *p, const nfsroot_peers *owners,
                               nfsroot_orphans *ret, nfsroot_error *err)
{
    _cleanup_(closedirp) DIR *dir = opendir(p->exports_dir);
    if (!dir && errno == ENOENT)
        return 0;
    if (!dir)
        return nfsroot_err(err, -errno, NULL, "exports", p->exports_dir, 0,
                           "cannot read the exports directory '%s': %s", p->exports_dir,
                           strerror(errno));
    for (struct dirent *de; (de = readdir(dir));) {
        char uuid[37], where[4200];
        if (!file_uuid(de->d_name, uuid) || nfsroot_peers_has_uuid(owners, uuid))
            continue;
        snprintf(where, sizeof(where), "%s/%s", p->exports_dir, de->d_name);
        int r = nfsroot_orphans_push(ret, uuid, where);
        if (r < 0)
            return nfsroot_err(err, r, NULL, "exports", p->exports_dir, 0,
                               "cannot list the orphan files in '%s': %s", p->exports_dir,
                               strerror(-r));
    }
    return 0;
}

/* Add "path client(options) ..." to plan, leaving out the pairs an owner holds. */
static int orphan_line(nfsroot_plan *plan, char *line, const nfsroot_peers *owners)
{
    char *save = NULL, *path = strtok_r(line, " \t", &save);
    if (!path || path[0] != '/')
        return 0;
    _cleanup_strv_free_ char **clients = calloc(1, sizeof(char *));
    if (!clients)
        return -ENOMEM;
    for (char *t; (t = strtok_r(NULL, " \t", &save));) {
        t[strcspn(t, "(")] = '\0';
        if (t[0] && !owner_has(owners, path, t) && strv_push(&clients, t) < 0)
            return -ENOMEM;
    }
    if (!clients[0] || plan->n_exports >= NFSROOT_EXPORTS_MAX * 2)
        return 0;
    nfsroot_export *v = realloc(plan->exports, (plan->n_exports + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    plan->exports = v;
    v[plan->n_exports] = (nfsroot_export){ .path = strdup(path), .clients = TAKE_PTR(clients) };
    return v[plan->n_exports++].path ? 0 : -ENOMEM;
}

/* The entries of an orphan file, as render() wrote them: each export line follows a
 * "# virt-nfsroot uuid=<uuid> role=..." comment of that uuid; nothing else in it is read. A
 * reader of our own output only, which needs those comments: exports(5) text in general is
 * lib/exports.c's, which drops comments. */
static int orphan_plan(char *text, const char *uuid, const nfsroot_peers *owners,
                       nfsroot_plan *plan)
{
    char marker[80];
    snprintf(marker, sizeof(marker), "# virt-nfsroot uuid=%s role=", uuid);
    bool ours = false;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        bool next = !strncmp(l, marker, strlen(marker));
        int r = ours ? orphan_line(plan, l, owners) : 0;
        if (r < 0)
            return r;
        ours = next;
    }
    return 0;
}

/* Read the orphan file of uuid (no link, bounded) and take it down as kernel_remove() does:
 * the file under exportfs's lock, then each entry proven gone from etab. */
static int kernel_remove_orphan(const nfsroot_policy *p, const char *uuid,
                                const nfsroot_peers *owners, const nfsroot_log *log,
                                nfsroot_error *err)
{
    char name[128], path[4200];
    file_name(uuid, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", p->exports_dir, name);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0 && errno == ENOENT)
        return 0;
    _cleanup_free_ char *text = NULL;
    int r = fd < 0 ? -errno : read_fd_all(fd, ORPHAN_FILE_MAX, &text, NULL);
    if (r < 0)
        return nfsroot_err(err, r, NULL, "exports", path, 0, "cannot read '%s': %s", path,
                           strerror(-r));
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *plan = calloc(1, sizeof(*plan));
    if (!plan)
        return -ENOMEM;
    snprintf(plan->uuid, sizeof(plan->uuid), "%s", uuid);
    r = orphan_plan(text, uuid, owners, plan);
    if (r < 0)
        return r;
    r = kernel_remove(p, plan, log, err);
    if (r == 0)
        nfsroot_logf(log, LOG_INFO, "removed the orphan file '%s' and its %zu export(s)", path,
                     plan->n_exports);
    return r;
}

const nfsroot_backend nfsroot_backend_kernel = {
    .guest_nfs_version = "4.2",
    .apply = kernel_apply,
    .rewrite = write_exports_file,
    .remove = kernel_remove,
    .has = kernel_has,
    .probe = nfsroot_kernel_probe,
    .boot_findings = nfsroot_kernel_boot_findings,
    .check_incoming = nfsroot_kernel_check_incoming,
    .list_orphans = kernel_list_orphans,
    .remove_orphan = kernel_remove_orphan,
};
