/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: the tree cache (<cache>/trees, Debian trees from the host's mirror): its
 * entries and their records, its lock, a tree taken from it or stored in it, and
 * --cache-list/--cache-prune. */
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

/* ---- the tree cache ------------------------------------------------------------------------ */

/* <cache>/trees/debian-<release>-<hash of recipe, package set>: from the host's mirror only */
int create_cache_entry_path(create_ctx *c, const char *packages, char **ret)
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

int create_tree_from_cache(create_ctx *c, create_stage *st, const char *packages)
{
    _cleanup_free_ char *entry = NULL;
    const char *how = "used in place";
    int r = create_cache_entry_path(c, packages, &entry);
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

/* Fill the cache from the finished tree (or, for --cache-only, make the tree the entry). */
int create_cache_store(create_ctx *c, create_stage *st, const char *hash)
{
    _cleanup_free_ char *packages = NULL, *entry = NULL, *done = NULL, *tmp = NULL;
    int r = create_guest_packages(c->o->release, c->o->packages, &packages, NULL);
    if (r < 0 || (r = create_cache_entry_path(c, packages, &entry)) < 0)
        return r;
    if (asprintf(&done, "%s.done", entry) < 0 || asprintf(&tmp, "%s.tmp", entry) < 0)
        return -ENOMEM;
    _cleanup_close_ int lock = cache_lock(c);
    if (lock < 0)
        return 0; /* the guest is fine without */
    if (!c->o->cache_only) {
        layout_remove_tree(c->cache_dir, tmp + strlen(c->cache_dir) + 1);
        if (mkdir(tmp, 0755) < 0 || create_copy_tree(c, c->target, tmp, NULL) < 0)
            return layout_remove_tree(c->cache_dir, tmp + strlen(c->cache_dir) + 1), 0;
    }
    /* The entry's record lives beside it, not in it: a copy is marked only once complete. */
    unlink(done);
    layout_remove_tree(c->cache_dir, entry + strlen(c->cache_dir) + 1);
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
        int k = rm ? layout_remove_tree(trees, it.name) : 0;
        if (rm && k == 0 && !strcmp(it.state, "complete")) {
            char done[600];
            snprintf(done, sizeof(done), "%s.done", it.name);
            k = layout_remove_tree(trees, done);
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
