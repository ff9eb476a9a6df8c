/* The kernel NFS server: one file per domain in exports.d (so an admin's `exportfs -ra` keeps
 * it) plus `exportfs -o`/`-u` of exactly our entries (so the cost does not grow with the
 * host's other exports). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <syslog.h>

#include "backend/backend.h"
#include "fault.h"

static void file_name(const nfsroot_plan *plan, char *buf, size_t len)
{
    snprintf(buf, len, "virt-nfsroot-%s.exports", plan->uuid);
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
        _cleanup_free_ char *line = nfsroot_export_format_line(&e);
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
    file_name(plan, name, sizeof(name));
    if (r == 0)
        r = write_file_atomic(p->exports_dir, name, text, strlen(text), 0644);
    if (r < 0)
        return nfsroot_err(err, r, plan->domain, "exports", p->exports_dir, 0,
                           "cannot write '%s/%s': %s", p->exports_dir, name, strerror(-r));
    return 0;
}

/* Is (path, client) in etab? etab lines are "path<TAB>client(options)". */
static int etab_has(const nfsroot_policy *p, const char *path, const char *client, bool *ret)
{
    _cleanup_fclose_ FILE *f = fopen(p->etab, "re");
    if (!f) {
        if (errno != ENOENT)
            return -errno;
        *ret = false;
        return 0;
    }
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    size_t plen = strlen(path), clen = strlen(client);
    while (getline(&line, &cap, f) > 0) {
        if (strncmp(line, path, plen) != 0 || line[plen] != '\t')
            continue;
        const char *c = line + plen + 1;
        if (strncmp(c, client, clen) == 0 && c[clen] == '(') {
            *ret = true;
            return 0;
        }
    }
    *ret = false;
    return 0;
}

static int kernel_has(const nfsroot_policy *p, const char *path, const char *client, bool *ret,
                      nfsroot_error *err)
{
    int r = etab_has(p, path, client, ret);
    if (r < 0)
        return nfsroot_err(err, r, NULL, "etab", p->etab, 0, "cannot read '%s': %s", p->etab,
                           strerror(-r));
    return 0;
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

static int unexport_one(const nfsroot_policy *p, const char *domain, const char *path,
                        const char *client, nfsroot_error *err)
{
    _cleanup_free_ char *errtext = NULL;
    int r = exportfs(p, NULL, client, path, &errtext, err);
    if (r < 0)
        return nfsroot_err(err, r, domain, "exportfs", p->exportfs, 0, "cannot run '%s': %s",
                           p->exportfs, strerror(-r));
    bool present = false;
    r = etab_has(p, path, client, &present);
    if (r < 0 || present) {
        char first[400];
        first_line(errtext, first, sizeof(first));
        return nfsroot_err(err, r < 0 ? r : -EIO, domain, "exportfs", p->exportfs, 0,
                           "'exportfs -u %s:%s' did not remove the export%s%s", client, path,
                           first[0] ? ": " : "", first);
    }
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

    for (size_t i = 0; i < plan->n_exports; i++) {
        const nfsroot_export *e = &plan->exports[i];
        for (size_t c = 0; e->clients[c]; c++) {
            _cleanup_free_ char *errtext = NULL;
            r = exportfs(p, e->options, e->clients[c], e->path, &errtext, err);
            NFSROOT_FAULT_POINT("kernel-exported");
            if (r < 0)
                return nfsroot_err(err, r, plan->domain, "exportfs", p->exportfs, 0,
                                   "cannot run '%s': %s", p->exportfs, strerror(-r));
            /* exportfs exits 1 when any entry on the host is broken: trust etab, not that. */
            bool present = false;
            int r2 = etab_has(p, e->path, e->clients[c], &present);
            if (r2 < 0 || !present) {
                char first[400];
                first_line(errtext, first, sizeof(first));
                return nfsroot_err(err, r2 < 0 ? r2 : -EIO, plan->domain, "exportfs", p->exportfs,
                                   0, "exportfs did not export '%s' to '%s' (exit status %d%s%s)",
                                   e->path, e->clients[c], r, first[0] ? ": " : "", first);
            }
            if (r != 0 && errtext && errtext[0])
                nfsroot_logf(log, LOG_NOTICE,
                             "domain '%s': exportfs exited %d about another entry: %s",
                             plan->domain, r, errtext);
        }
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
    file_name(plan, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", p->exports_dir, name);
    /* The file goes first: an `exportfs -ra` from now on no longer brings the entry back. */
    _cleanup_close_ int xlock = exportfs_lock(p);
    if (unlink(path) < 0 && errno != ENOENT)
        return nfsroot_err(err, -errno, plan->domain, "exports", path, 0, "cannot remove '%s': %s",
                           path, strerror(errno));
    closep(&xlock);
    xlock = -1;
    NFSROOT_FAULT_POINT("kernel-file-removed");
    int result = 0;
    for (size_t i = 0; i < plan->n_exports; i++)
        for (size_t c = 0; plan->exports[i].clients[c]; c++) {
            bool present = false;
            if (etab_has(p, plan->exports[i].path, plan->exports[i].clients[c], &present) == 0 &&
                !present)
                continue;
            int r = unexport_one(p, plan->domain, plan->exports[i].path,
                                 plan->exports[i].clients[c], err);
            NFSROOT_FAULT_POINT("kernel-unexported");
            if (r < 0 && result == 0)
                result = r;
        }
    return result;
}

const nfsroot_backend nfsroot_backend_kernel = {
    .name = "kernel",
    .apply = kernel_apply,
    .rewrite = write_exports_file,
    .remove = kernel_remove,
    .has = kernel_has,
};
