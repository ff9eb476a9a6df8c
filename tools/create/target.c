/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: the target directory (the hook's path rules), the staging tree every
 * stage builds in (root's, never exported), its rename into place and, once the last stage is
 * done, the mode that lets libvirt-qemu in. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"

/* ---- the target ------------------------------------------------------------------------- */

static bool dir_is_empty(const char *path)
{
    _cleanup_(closedirp) DIR *d = opendir(path);
    if (!d)
        return false;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            return false;
    return true;
}

/* The directory above a target that does not exist yet: an export root itself or a directory
 * the path rules accept. */
static int check_parent(create_ctx *c, const char *target)
{
    char *const *roots = (char *const *)nfsroot_policy_get_export_roots(c->policy);
    _cleanup_free_ char *parent = strdup(target);
    if (!parent)
        return -ENOMEM;
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else
        *slash = '\0';
    for (char *const *r = roots; r && *r; r++)
        if (!strcmp(parent, *r))
            return 0;
    nfsroot_error err = { 0 };
    _cleanup_free_ char *resolved = NULL;
    int r = nfsroot_path_resolve(parent, roots, &resolved, &err);
    if (r < 0)
        cli_error("create: the tree '%s' cannot be made: %s", target, err.message);
    return r;
}

/* The target as the hook's path rules see it; keep: it becomes the resolved path. */
static int check_resolved(create_ctx *c, bool keep)
{
    char *const *roots = (char *const *)nfsroot_policy_get_export_roots(c->policy);
    nfsroot_error err = { 0 };
    char *resolved = NULL;
    int r = nfsroot_path_resolve(c->target, roots, &resolved, &err);
    if (r < 0) {
        cli_error("create: the tree '%s' cannot be exported: %s", c->target, err.message);
        if (c->target_made && rmdir(c->target) == 0)
            c->target_made = false;
        return r;
    }
    if (!keep) {
        free(resolved);
        return 0;
    }
    free(c->target);
    c->target = resolved;
    free(c->export_path);
    return (c->export_path = strdup(resolved)) ? 0 : -ENOMEM;
}

/* Refusals that change nothing: a target that is not an empty directory (unless --reuse), or
 * one the path rules would not export. */
int create_target_check(create_ctx *c)
{
    create_opts *o = c->o;
    if (o->cache_only)
        return 0;
    const char *const *roots = nfsroot_policy_get_export_roots(c->policy);
    if (!roots || !roots[0]) {
        cli_error("create: the policy has no export_roots: nowhere to put the tree");
        return -EINVAL;
    }
    if (o->path ? !(c->target = strdup(o->path))
                : asprintf(&c->target, "%s/%s", roots[0], o->name) < 0)
        return -ENOMEM;
    struct stat st;
    if (lstat(c->target, &st) < 0)
        return errno == ENOENT ? check_parent(c, c->target) : -errno;
    if (!S_ISDIR(st.st_mode)) {
        cli_error("create: '%s' exists and is not a directory%s", c->target,
                  S_ISLNK(st.st_mode) ? " (a symbolic link is never followed)" : "");
        return -EEXIST;
    }
    if (!o->reuse && !dir_is_empty(c->target)) {
        cli_error("create: '%s' exists and is not empty: give another NAME or --path, or "
                  "--reuse to resume in it",
                  c->target);
        return -EEXIST;
    }
    return check_resolved(c, false);
}

/* A target another domain's record exports, or one inside such an export: its guest reaches
 * it, and its NFS client would mount the new tree at its next mount of that path. */
static int target_exported(const create_ctx *c)
{
    _cleanup_(cli_records_done) cli_records rec = { 0 };
    if (cli_records_load(c->policy, &rec) < 0)
        return -EIO;
    const char *t = c->export_path;
    for (size_t i = 0; i < rec.n; i++) {
        const nfsroot_plan *plan = rec.v[i]->plan;
        for (size_t e = 0; e < nfsroot_plan_get_n_exports(plan); e++) {
            const char *x = nfsroot_export_get_path(nfsroot_plan_get_export(plan, e));
            size_t n = strlen(x);
            if (strncmp(x, t, n) || (t[n] != '/' && t[n] != '\0'))
                continue;
            cli_error("create: the tree '%s' cannot be made: domain '%s' exports '%s' (it runs, "
                      "or its record says so)",
                      t, nfsroot_plan_get_domain(plan), x);
            return -EBUSY;
        }
    }
    return 0;
}

/* The export root the target lies below (the path rules made sure there is one). */
static const char *target_root(const create_ctx *c)
{
    const char *const *roots = nfsroot_policy_get_export_roots(c->policy);
    for (size_t i = 0; roots && roots[i]; i++) {
        size_t n = strlen(roots[i]);
        if (!strncmp(c->target, roots[i], n) && c->target[n] == '/')
            return roots[i];
    }
    return NULL;
}

/* <root>/.virt-nfsroot-staging, made 0700 and checked to be a directory only we can enter: what
 * is below it no guest reaches (the hook refuses to export it), and rename(2) works from it. */
static int staging_dir(create_ctx *c, const char *root)
{
    if (asprintf(&c->staging, "%s/" NFSROOT_STAGING_DIR, root) < 0)
        return -ENOMEM;
    (void)mkdir(c->staging, 0700);
    struct stat st;
    if (lstat(c->staging, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077)) {
        cli_error("create: '%s' is not a directory only root can enter (mode 0700): remove it",
                  c->staging);
        return -EPERM;
    }
    return 0;
}

/* The stage markers of the staging tree for this target (<staging>/NAME-<hash of the target>
 * and its .stages file), locked for this run. --reuse resumes a staging tree whose markers say
 * it was started; anything else starts afresh. */
static int staging_open(create_ctx *c)
{
    uint64_t h = create_fnv1a(0xcbf29ce484222325ULL, c->export_path, strlen(c->export_path));
    _cleanup_free_ char *key = NULL, *stages = NULL, *tree = NULL;
    if (asprintf(&key, "%s-%016llx", c->o->name, (unsigned long long)h) < 0 ||
        asprintf(&stages, "%s/%s.stages", c->staging, key) < 0 ||
        asprintf(&tree, "%s/%s", c->staging, key) < 0)
        return -ENOMEM;
    c->stages_fd = open(stages, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    c->stages_path = TAKE_PTR(stages);
    if (c->stages_fd < 0 || flock(c->stages_fd, LOCK_EX | LOCK_NB) < 0) {
        cli_error("create: another create of '%s' is running", c->export_path);
        return -EBUSY;
    }
    struct stat st;
    bool resume = c->o->reuse && create_marker_has(c, "started") && lstat(tree, &st) == 0 &&
                  S_ISDIR(st.st_mode);
    if (!resume) {
        int r = layout_remove_tree(c->staging, key);
        if (r < 0 || ftruncate(c->stages_fd, 0) < 0 || mkdir(tree, 0755) < 0) {
            r = r < 0 ? r : -errno;
            cli_error("create: cannot make the staging tree '%s': %s", tree, strerror(-r));
            return r;
        }
    }
    c->final = c->target;
    c->target = TAKE_PTR(tree);
    return 0;
}

/* The tree every stage builds in: a fresh staging tree (or the one --reuse resumes), never the
 * target, which stays an empty directory (0700, a placeholder the hook's path rules and the
 * plan resolve) until the finished tree replaces it; with --reuse of an existing non-empty
 * target, that tree itself, configured as it is. */
int create_target_make(create_ctx *c)
{
    if (c->o->cache_only)
        return 0;
    const char *root = target_root(c);
    struct stat st;
    if (lstat(c->target, &st) == 0 && c->o->reuse && !dir_is_empty(c->target)) {
        c->reused = true;
        return check_resolved(c, true);
    }
    if (mkdir(c->target, 0700) == 0)
        c->target_made = true;
    else if (errno != EEXIST) {
        int r = -errno;
        cli_error("create: cannot make '%s': %s", c->target, strerror(-r));
        return r;
    }
    int r;
    if ((r = check_resolved(c, true)) < 0 || (r = target_exported(c)) < 0 || !root ||
        (r = staging_dir(c, root)) < 0)
        return root ? r : -EINVAL;
    struct stat sd;
    if (lstat(c->target, &st) < 0 || lstat(c->staging, &sd) < 0 || st.st_dev != sd.st_dev) {
        cli_error("create: '%s' is not on the file system of '%s', so the finished tree could "
                  "not be renamed into place: give a --path on it",
                  c->target, c->staging);
        return -EXDEV;
    }
    return staging_open(c);
}

void create_tree_abandon(create_ctx *c)
{
    if (c->target_made && !c->placed && rmdir(c->final ? c->final : c->target) == 0)
        c->target_made = false;
}

int create_tree_place(create_ctx *c)
{
    if (!c->final)
        return 0;
    /* The empty placeholder (or an empty directory that was there) goes; anything else stays.
     * Where the file system has no RENAME_NOREPLACE (EINVAL: ceph-fuse), a plain rename of a
     * directory is as safe: it replaces nothing but an empty directory. */
    if ((rmdir(c->final) < 0 && errno != ENOENT) ||
        (renameat2(AT_FDCWD, c->target, AT_FDCWD, c->final, RENAME_NOREPLACE) < 0 &&
         (errno != EINVAL || rename(c->target, c->final) < 0))) {
        int e = errno;
        cli_error("create: cannot put the tree in place at '%s': %s", c->final,
                  e == ENOTEMPTY || e == EEXIST ? "something else is there now" : strerror(e));
        return -e;
    }
    c->target_made = c->placed = true;
    free(c->target);
    c->target = TAKE_PTR(c->final);
    if (c->stages_path)
        (void)unlink(c->stages_path); /* nothing left to resume */
    _cleanup_free_ char *planned = strdup(c->export_path);
    int r = planned ? check_resolved(c, true) : -ENOMEM;
    if (r == 0 && strcmp(planned, c->export_path)) {
        cli_error("create: the tree '%s' resolves to '%s', not '%s' as its fstab says", c->target,
                  c->export_path, planned);
        return -EXDEV;
    }
    return r;
}

/* ---- removal -------------------------------------------------------------------------------- */

/* libvirt-qemu must enter a finished guest's tree. */
void create_tree_finish(const create_ctx *c)
{
    _cleanup_close_ int fd = open(c->target, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        (void)fchmod(fd, 0755);
}
