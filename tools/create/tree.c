/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: the target directory (the hook's path rules), the staging tree every
 * stage builds in (root's, never exported) and its rename into place, the root tree (debootstrap,
 * the tree cache, a tarball or a directory), its kernel, and the stage markers --reuse resumes
 * from (root-side, beside the staging tree; never in a tree). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
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
        int r = create_remove_tree(c->staging, key);
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

/* ---- stage markers (resume) --------------------------------------------------------------- */

/* The markers live only in the locked .stages file beside the staging tree: none for a reused
 * tree or --cache-only, and a file a tree holds is never read. */
bool create_marker_has(const create_ctx *c, const char *what)
{
    char text[4097];
    ssize_t n = c->stages_fd < 0 ? -1 : pread(c->stages_fd, text, sizeof(text) - 1, 0);
    if (n <= 0)
        return false;
    text[n] = '\0';
    for (char *l = text; *l;) {
        size_t k = strcspn(l, "\n");
        if (k == strlen(what) && !strncmp(l, what, k))
            return true;
        l += k + (l[k] == '\n');
    }
    return false;
}

int create_marker_add(const create_ctx *c, const char *what)
{
    if (c->stages_fd < 0)
        return 0;
    off_t end = lseek(c->stages_fd, 0, SEEK_END);
    if (end < 0 || dprintf(c->stages_fd, "%s\n", what) < 0 || fsync(c->stages_fd) < 0)
        return -errno;
    return 0;
}

/* ---- the tree cache ------------------------------------------------------------------------ */

uint64_t create_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* <cache>/trees/debian-<release>-<hash of recipe, package set>: from the host's mirror only */
static int cache_entry_path(create_ctx *c, const char *packages, char **ret)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    h = create_fnv1a(h, CREATE_CACHE_RECIPE, strlen(CREATE_CACHE_RECIPE) + 1);
    h = create_fnv1a(h, c->o->release, strlen(c->o->release) + 1);
    h = create_fnv1a(h, packages, strlen(packages) + 1);
    return asprintf(ret, "%s/trees/debian-%s-%016llx", c->cache_dir, c->o->release,
                    (unsigned long long)h) < 0
               ? -ENOMEM
               : 0;
}

static bool cache_complete(const char *entry)
{
    char done[4096];
    struct stat st;
    if (snprintf(done, sizeof(done), "%s.done", entry) >= (int)sizeof(done))
        return false;
    return lstat(done, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0;
}

/* One create at a time fills or reads the cache (another waits, up to 30 min). */
static int cache_lock(const create_ctx *c)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/trees", c->cache_dir);
    (void)mkdir(c->cache_dir, 0755);
    (void)mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/trees/.lock", c->cache_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (!cli.json)
            fprintf(stderr, "waiting for another create that fills the tree cache\n");
        for (int i = 0; i < 1800 && !create_interrupted(); i++) {
            if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                return fd;
            sleep(1);
        }
        close(fd);
        return create_interrupted() ? -EINTR : -ETIMEDOUT;
    }
    return fd;
}

/* ---- the tree stage --------------------------------------------------------------------- */

/* The host's Debian mirror, as apt uses it; else deb.debian.org. */
static char *host_mirror(void)
{
    char *m = NULL;
    nfsroot_host_apt_mirror(AT_FDCWD, &m);
    return m ? m : strdup("http://deb.debian.org/debian");
}

/* The keyring must be a regular file: debootstrap given none would take an unsigned Release. */
static int keyring_check(create_ctx *c)
{
    const char *k = secure_getenv("VIRT_NFSROOT_DEBIAN_KEYRING");
    if (!(c->keyring = strdup(k ? k : CREATE_DEBIAN_KEYRING)))
        return -ENOMEM;
    _cleanup_close_ int fd = open(c->keyring, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        cli_error("create: there is no Debian archive keyring '%s' to verify the mirror's "
                  "Release file with: install the package debian-archive-keyring",
                  c->keyring);
        return -ENOKEY;
    }
    return 0;
}

/* A mirror other than the host's (normalised: no trailing slash) builds a tree for this guest
 * alone: whoever runs it may not choose what the tree cache and the initramfs store hand every
 * later guest, so it neither fills nor takes from them. */
int create_source_check(create_ctx *c)
{
    create_opts *o = c->o;
    if (o->from_dir || o->from_tarball || o->clone_of)
        return 0;
    _cleanup_free_ char *host = host_mirror();
    if (!host || !(c->mirror = strdup(o->mirror ? o->mirror : host)))
        return -ENOMEM;
    for (size_t n = strlen(c->mirror); n > 8 && c->mirror[n - 1] == '/'; n--)
        c->mirror[n - 1] = '\0';
    c->mirror_host = !strcmp(c->mirror, host);
    if (o->cache_only && !c->mirror_host) {
        cli_error("create: --cache-only fills the tree cache from the host's mirror '%s' only, "
                  "not from '%s'",
                  host, c->mirror);
        return -EINVAL;
    }
    return keyring_check(c);
}

static int debootstrap(create_ctx *c, const char *into, const char *packages)
{
    _cleanup_free_ char *include = NULL, *keyring = NULL;
    if (asprintf(&include, "--include=%s", packages) < 0 ||
        asprintf(&keyring, "--keyring=%s", c->keyring) < 0)
        return -ENOMEM;
    /* A test puts a fake in its place (the argv it gets is what is checked). */
    const char *prog = secure_getenv("VIRT_NFSROOT_DEBOOTSTRAP");
    char *argv[] = { (char *)(prog ? prog : "/usr/sbin/debootstrap"),
                     "--variant=minbase",
                     "--force-check-gpg",
                     keyring,
                     include,
                     (char *)c->o->release,
                     (char *)into,
                     c->mirror,
                     NULL };
    if (access(argv[0], X_OK) < 0) {
        cli_error("debootstrap is not installed (apt install debootstrap), or give "
                  "--from-tarball / --from-dir");
        return -ENOENT;
    }
    return create_spawn(c, NULL, argv);
}

/* A copy of a cache entry is done: the tree stage, the kernel stage and what the entry's record
 * (<entry>.done) says of its initramfs. Only now, so an interrupted copy is not taken for one. */
static int marker_from_done(const create_ctx *c, const char *entry)
{
    _cleanup_free_ char *done = NULL, *text = NULL;
    if (asprintf(&done, "%s.done", entry) < 0)
        return -ENOMEM;
    int r = cli_read_file(done, 4096, &text, NULL);
    for (char *save = NULL, *l = r < 0 ? NULL : strtok_r(text, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save))
        if (strncmp(l, "bytes=", 6) && (r = create_marker_add(c, l)) < 0)
            return r;
    if ((r = create_marker_add(c, "tree")) < 0)
        return r;
    return create_marker_add(c, "kernel");
}

/* The size an entry's record gives (bytes=N), 0 when unknown. */
static uint64_t done_bytes(const char *entry)
{
    _cleanup_free_ char *done = NULL, *text = NULL;
    if (asprintf(&done, "%s.done", entry) < 0 || cli_read_file(done, 4096, &text, NULL) < 0)
        return 0;
    const char *b = strstr(text, "bytes=");
    return b ? strtoull(b + 6, NULL, 10) : 0;
}

static uint64_t tree_bytes_sum;
static int tree_bytes_add(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)path, (void)flag, (void)f;
    tree_bytes_sum += (uint64_t)st->st_blocks * 512;
    return 0;
}

/* What a tree occupies (for the bar of its copies). */
static uint64_t tree_bytes(const char *path)
{
    tree_bytes_sum = 0;
    return nftw(path, tree_bytes_add, 64, FTW_PHYS | FTW_MOUNT) == 0 ? tree_bytes_sum : 0;
}

static int tree_from_cache(create_ctx *c, create_stage *st, const char *packages)
{
    _cleanup_free_ char *entry = NULL;
    const char *how = "used in place";
    int r = cache_entry_path(c, packages, &entry);
    if (r < 0)
        return r;
    _cleanup_close_ int lock = cache_lock(c);
    if (lock < 0) {
        cli_warn("tree cache '%s' not usable (%s): building without it", c->cache_dir,
                 strerror(-lock));
        return 0;
    }
    if (!cache_complete(entry))
        return 0;
    c->tree_cached = true;
    if (c->o->cache_only) { /* the entry is the tree: nothing to copy */
        free(c->target);
        if (!(c->target = strdup(entry)))
            return -ENOMEM;
    } else {
        struct statvfs v;
        c->bar_total = done_bytes(entry);
        if (c->bar_total && statvfs(c->target, &v) == 0)
            c->bar_free = (uint64_t)v.f_bfree * v.f_frsize;
        else
            c->bar_total = 0;
        r = create_copy_tree(c, entry, c->target, &how); /* into this run's fresh staging tree */
        c->bar_total = 0;
        if (r < 0 || (r = marker_from_done(c, entry)) < 0)
            return r;
        c->tree_shared = true;
    }
    c->cache_entry = TAKE_PTR(entry);
    st->status = "cached";
    snprintf(st->note, sizeof(st->note), "copied from %s (%s)", c->cache_entry, how);
    return 1;
}

int create_tree(create_ctx *c, create_stage *st)
{
    create_opts *o = c->o;
    int r;
    /* --reuse: an existing tree as it is, or a staging tree whose tree stage finished. */
    if (c->reused || create_marker_has(c, "tree")) {
        st->status = "skipped";
        snprintf(st->note, sizeof(st->note), "the tree in %s as it is (--reuse)", c->target);
        return 0;
    }
    if (!o->cache_only && (r = create_marker_add(c, "started")) < 0)
        return r;
    c->tree_touched = true;
    if (o->from_dir) {
        const char *how = "";
        r = create_copy_tree(c, o->from_dir, c->target, &how);
        if (r >= 0 && o->clone_of)
            r = create_clone_identity(c);
        snprintf(st->note, sizeof(st->note), "copied from %s (%s)", o->from_dir, how);
    } else if (o->from_tarball) {
        snprintf(st->note, sizeof(st->note), "unpacked from %s", o->from_tarball);
        r = create_guest_unpack(c);
    } else {
        _cleanup_free_ char *packages = NULL;
        if ((r = create_guest_packages(o->release, o->packages, &packages, NULL)) < 0)
            return r;
        if (c->cache_dir && c->mirror_host && (r = tree_from_cache(c, st, packages)) != 0)
            return r < 0 ? r : 0; /* the entry's marker says tree and kernel */
        if (o->cache_only) {
            if ((r = cache_entry_path(c, packages, &c->cache_entry)) < 0)
                return r;
            if (asprintf(&c->target, "%s.tmp", c->cache_entry) < 0)
                return -ENOMEM;
            create_remove_tree(c->cache_dir, c->target + strlen(c->cache_dir) + 1);
            if (mkdir(c->target, 0755) < 0)
                return -errno;
        }
        snprintf(st->note, sizeof(st->note), "debootstrap %s: %s", o->release, packages);
        r = debootstrap(c, c->target, packages);
    }
    return r < 0 ? r : create_marker_add(c, "tree");
}

/* ---- the kernel ---------------------------------------------------------------------------- */

/* A kernel release as kernels name themselves ("6.12.48+deb13-amd64"): the tree names its files,
 * and the version goes into paths and onto the terminal. */
static bool kernel_release_ok(const char *v)
{
    return v[0] && v[0] != '.' &&
           strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789._+~-") == strlen(v);
}

/* The newest /boot/vmlinuz-VERSION of the tree that has /lib/modules/VERSION. */
int create_find_kernel(create_ctx *c)
{
    _cleanup_free_ char *boot = NULL;
    if (asprintf(&boot, "%s/boot", c->target) < 0)
        return -ENOMEM;
    _cleanup_(closedirp) DIR *d = opendir(boot);
    if (!d)
        return -ENOENT;
    struct dirent *e;
    char best[256] = "";
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "vmlinuz-", 8) || strlen(e->d_name) >= sizeof(best) + 8)
            continue;
        const char *v = e->d_name + 8;
        if (!kernel_release_ok(v))
            continue;
        char mod[4096];
        struct stat st;
        snprintf(mod, sizeof(mod), "%s/lib/modules/%s", c->target, v);
        if (stat(mod, &st) == 0 && S_ISDIR(st.st_mode) && strverscmp(v, best) > 0)
            snprintf(best, sizeof(best), "%s", v);
    }
    if (!best[0])
        return -ENOENT;
    free(c->kver);
    c->kver = strdup(best);
    return c->kver ? 0 : -ENOMEM;
}

/* Fill the cache from the finished tree (or, for --cache-only, make the tree the entry). */
static int cache_store(create_ctx *c, create_stage *st, const char *hash)
{
    _cleanup_free_ char *packages = NULL, *entry = NULL, *done = NULL, *tmp = NULL;
    int r = create_guest_packages(c->o->release, c->o->packages, &packages, NULL);
    if (r < 0 || (r = cache_entry_path(c, packages, &entry)) < 0)
        return r;
    if (asprintf(&done, "%s.done", entry) < 0 || asprintf(&tmp, "%s.tmp", entry) < 0)
        return -ENOMEM;
    _cleanup_close_ int lock = cache_lock(c);
    if (lock < 0)
        return 0; /* the guest is fine without */
    if (!c->o->cache_only) {
        create_remove_tree(c->cache_dir, tmp + strlen(c->cache_dir) + 1);
        if (mkdir(tmp, 0755) < 0 || create_copy_tree(c, c->target, tmp, NULL) < 0)
            return create_remove_tree(c->cache_dir, tmp + strlen(c->cache_dir) + 1), 0;
    }
    /* The entry's record lives beside it, not in it: a copy is marked only once complete. */
    unlink(done);
    create_remove_tree(c->cache_dir, entry + strlen(c->cache_dir) + 1);
    if (rename(tmp, entry) < 0)
        return -errno;
    _cleanup_close_ int fd = open(done, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || dprintf(fd, "initrd-fresh\n%s\nbytes=%llu\n", hash,
                          (unsigned long long)tree_bytes(entry)) < 0)
        return -errno;
    free(c->cache_entry);
    c->cache_entry = TAKE_PTR(entry);
    c->tree_shared = !c->o->cache_only; /* the staging tree is what the entry copied */
    if (c->o->cache_only) {
        free(c->target);
        c->target = strdup(c->cache_entry);
    }
    size_t n = strlen(st->note);
    snprintf(st->note + n, sizeof(st->note) - n, "%scached as %s", n ? "; " : "", c->cache_entry);
    return 0;
}

int create_kernel(create_ctx *c, create_stage *st)
{
    int r;
    if ((c->tree_cached || create_marker_has(c, "kernel")) && create_find_kernel(c) == 0) {
        st->status = "cached";
        snprintf(st->note, sizeof(st->note), "%s", c->kver);
        return 0;
    }
    if ((r = create_guest_prepare(c)) < 0)
        return r;
    if (create_find_kernel(c) == 0) {
        st->status = "skipped";
        snprintf(st->note, sizeof(st->note), "%s, already in the tree", c->kver);
        return create_marker_add(c, "kernel");
    }
    if (c->o->from_tarball || c->o->from_dir || c->reused) {
        cli_error("the tree has no kernel (/boot/vmlinuz-VERSION with /lib/modules/VERSION): "
                  "install one in it (Debian: linux-image-amd64, Fedora: kernel-core)");
        return -ENOENT;
    }
    /* Inside the chroot, after the dracut configuration: dracut's kernel hook builds the
     * initramfs with it. */
    _cleanup_free_ char *include = NULL, *kernel = NULL;
    if ((r = create_guest_packages(c->o->release, c->o->packages, &include, &kernel)) < 0)
        return r;
    char *install[16] = { "/usr/bin/apt-get", "install", "-y", "-q", "--no-install-recommends" };
    size_t n = 5;
    for (char *save = NULL, *k = strtok_r(kernel, " ", &save); k && n + 1 < ELEMENTSOF(install);
         k = strtok_r(NULL, " ", &save))
        install[n++] = k;
    char *clean[] = { "/usr/bin/apt-get", "clean", NULL };
    if ((r = create_spawn(c, c->target, install)) < 0 ||
        (r = create_spawn(c, c->target, clean)) < 0)
        return r;
    if ((r = create_find_kernel(c)) < 0) {
        cli_error("no kernel in '%s/boot' after installing %s", c->target, install[5]);
        return r;
    }
    snprintf(st->note, sizeof(st->note), "%s %s", install[5], c->kver);
    /* dracut's kernel hook built /boot/initrd.img-KVER from this configuration. */
    char hash[17];
    if ((r = create_dracut_hash(c, hash)) < 0 || (r = create_marker_add(c, "initrd-fresh")) < 0 ||
        (r = create_marker_add(c, hash)) < 0 || (r = create_marker_add(c, "kernel")) < 0)
        return r;
    if (c->cache_dir && !c->o->reuse && c->mirror_host)
        return cache_store(c, st, hash);
    return 0;
}

/* ---- removal -------------------------------------------------------------------------------- */

/* libvirt-qemu must enter a finished guest's tree. */
void create_tree_finish(const create_ctx *c)
{
    _cleanup_close_ int fd = open(c->target, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        (void)fchmod(fd, 0755);
}

/* ---- the tree cache: --cache-list, --cache-prune ------------------------------------------ */

/* One thing in <cache>/trees: an entry (a tree, complete when <entry>.done is root's), an
 * unfinished copy (<entry>.tmp) or a record whose tree is gone. */
typedef struct cache_item {
    const char *name;
    const char *state; /* "complete", "incomplete", "unfinished copy", "record without tree" */
    uint64_t bytes;    /* the record's, 0: unknown */
    time_t built;      /* the record's mtime, 0: none */
} cache_item;

static bool cache_item_of(int dfd, const char *trees, const char *name, cache_item *it)
{
    struct stat st;
    size_t n = strlen(name);
    if (name[0] == '.' || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return false;
    *it = (cache_item){ .name = name };
    if (n > 5 && !strcmp(name + n - 5, ".done")) {
        char tree[512];
        snprintf(tree, sizeof(tree), "%.*s", (int)(n - 5), name);
        it->state = "record without tree";
        return fstatat(dfd, tree, &st, AT_SYMLINK_NOFOLLOW) < 0;
    }
    if (n > 4 && !strcmp(name + n - 4, ".tmp")) {
        it->state = "unfinished copy";
        return true;
    }
    char entry[4096];
    if (snprintf(entry, sizeof(entry), "%s/%s", trees, name) >= (int)sizeof(entry))
        return false;
    it->state = cache_complete(entry) ? "complete" : "incomplete";
    if (strcmp(it->state, "complete"))
        return true;
    it->bytes = done_bytes(entry);
    char done[600];
    snprintf(done, sizeof(done), "%s.done", name);
    if (fstatat(dfd, done, &st, AT_SYMLINK_NOFOLLOW) == 0)
        it->built = st.st_mtime;
    return true;
}

/* Prune: all with =all; else what no create can use (incomplete, unfinished, records without a
 * tree) and complete entries older than CREATE_CACHE_MAX_DAYS (their packages are that old). */
static bool cache_prunable(const cache_item *it, bool all)
{
    return all || strcmp(it->state, "complete") ||
           it->built < time(NULL) - (time_t)CREATE_CACHE_MAX_DAYS * 86400;
}

static void cache_item_show(json *j, const cache_item *it, const char *trees, bool removed)
{
    if (j) {
        json_begin_object(j);
        json_kv_string(j, "entry", it->name);
        json_kv_string(j, "state", it->state);
        json_key(j, "bytes");
        json_int(j, (int64_t)it->bytes);
        json_key(j, "built");
        json_int(j, (int64_t)it->built);
        json_kv_bool(j, "removed", removed);
        json_end_object(j);
        return;
    }
    char day[32] = "-";
    struct tm tm;
    if (it->built && localtime_r(&it->built, &tm))
        strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    printf("%s%s/%s  %s, built %s, %llu MB\n", removed ? "removed " : "", trees, it->name,
           it->state, day, (unsigned long long)(it->bytes >> 20));
}

int create_cache_cmd(create_ctx *c)
{
    if (!c->cache_dir) {
        cli_error("create: there is no tree cache ($VIRT_NFSROOT_CACHE_DIR is empty)");
        return -ENOENT;
    }
    /* create's lock: no entry is listed or removed while a create fills or copies one. */
    _cleanup_close_ int lock = cache_lock(c);
    if (lock < 0) {
        cli_error("create: the tree cache '%s' cannot be locked: %s", c->cache_dir,
                  strerror(-lock));
        return lock;
    }
    char trees[4096];
    snprintf(trees, sizeof(trees), "%s/trees", c->cache_dir);
    _cleanup_(closedirp) DIR *d = opendir(trees);
    if (!d)
        return cli_error("create: cannot read the tree cache '%s': %s", trees, strerror(errno)),
               -errno;
    json jj, *j = cli.json ? &jj : NULL;
    if (j) {
        json_init(j, stdout);
        json_begin_object(j);
        json_kv_string(j, "cache", trees);
        json_key(j, "entries");
        json_begin_array(j);
    }
    int r = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        cache_item it;
        if (!cache_item_of(dirfd(d), trees, e->d_name, &it))
            continue;
        bool rm = c->o->cache_prune && cache_prunable(&it, c->o->cache_prune_all);
        int k = rm ? create_remove_tree(trees, it.name) : 0;
        if (rm && k == 0 && !strcmp(it.state, "complete")) {
            char done[600];
            snprintf(done, sizeof(done), "%s.done", it.name);
            k = create_remove_tree(trees, done);
        }
        if (k < 0)
            cli_error("create: cannot remove '%s/%s': %s", trees, it.name, strerror(-k)), r = k;
        if (!c->o->cache_prune || rm)
            cache_item_show(j, &it, trees, rm && k == 0);
    }
    if (j) {
        json_end_array(j);
        json_end_object(j);
        json_finish(j);
    }
    return r;
}
