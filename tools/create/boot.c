/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: the initramfs (shared per kernel version and dracut configuration, built
 * in the tree only when no image matches) and the boot files in the policy's boot directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"

/* In a guest's boot directory: its link to the store's image, named by no domain. */
#define CREATE_STORE_REF ".initramfs-store-link"

/* ---- the kernel ---------------------------------------------------------------------------- */

/* ---- initramfs and boot files --------------------------------------------------------------- */

/* (kernel version, dracut configuration) as a key: every file dracut reads its settings from. */
int create_dracut_hash(create_ctx *c, char ret[17])
{
    _cleanup_close_ int root = open(c->target, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root < 0)
        return -errno;
    uint64_t h = create_fnv1a(0xcbf29ce484222325ULL, c->kver, strlen(c->kver) + 1);
    _cleanup_free_ char *main_conf = NULL;
    size_t len = 0;
    if (nfsroot_host_read(root, "/etc/dracut.conf", 1 << 20, &main_conf, &len) == 0)
        h = create_fnv1a(h, main_conf, len);
    _cleanup_free_ char *dir = NULL;
    if (asprintf(&dir, "%s/etc/dracut.conf.d", c->target) < 0)
        return -ENOMEM;
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        size_t nl = strlen(name);
        if (nl > 5 && !strcmp(name + nl - 5, ".conf")) {
            char path[512];
            _cleanup_free_ char *text = NULL;
            snprintf(path, sizeof(path), "/etc/dracut.conf.d/%s", name);
            if (nfsroot_host_read(root, path, 1 << 20, &text, &len) == 0) {
                h = create_fnv1a(h, name, nl + 1);
                h = create_fnv1a(h, text, len);
            }
        }
        free(list[i]);
    }
    free(list);
    snprintf(ret, 17, "%016llx", (unsigned long long)h);
    return 0;
}

/* A regular file of the tree, opened beneath it (a symbolic link in the tree resolves inside
 * the tree, never on the host); -1 after saying why. */
static int open_tree_file(const create_ctx *c, const char *tree_path, struct stat *st)
{
    _cleanup_close_ int root = open(c->target, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* O_NONBLOCK: a FIFO the tree put there must not hang create before the S_ISREG check. */
    int fd = root < 0 ? -1 : nfsroot_host_open(root, tree_path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (fd < 0 || fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        if (fd >= 0)
            close(fd);
        cli_error("cannot read '%s%s' (a regular file of the tree)", c->target, tree_path);
        return -1;
    }
    return fd;
}

/* Copy the regular file open as in (size bytes) to dir/name, atomically, mode 0644 whatever the
 * umask (QEMU reads it as its own user); a reflink where the filesystem shares blocks. */
static int copy_fd_out(int in, off_t size, const char *dir, const char *name)
{
    char tmp[4096], dst[4096];
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
    snprintf(dst, sizeof(dst), "%s/%s", dir, name);
    _cleanup_close_ int out =
        open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out < 0)
        return -errno;
    if (fchmod(out, 0644) < 0) {
        int e = errno;
        unlink(tmp);
        return -e;
    }
    off_t start = ioctl(out, FICLONE, in) == 0 ? size : 0;
    for (off_t left = size - start; left > 0;) {
        ssize_t n = sendfile(out, in, NULL, left > (1 << 30) ? (1 << 30) : (size_t)left);
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            unlink(tmp);
            return -e;
        }
        left -= n;
    }
    if (fsync(out) < 0 || rename(tmp, dst) < 0) {
        int e = errno;
        unlink(tmp);
        return -e;
    }
    return 0;
}

/* The tree's /boot/name itself, through no symbolic link at all, beneath the tree: what feeds
 * the shared store is read from this one open (never a path resolved a second time). */
static int open_boot_file(const create_ctx *c, const char *name, struct stat *st)
{
    _cleanup_close_ int root = open(c->target, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int boot =
        root < 0 ? -1 : openat(root, "boot", O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int fd = boot < 0
                 ? -1
                 : openat(boot, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        if (fd >= 0)
            close(fd);
        cli_error("cannot read '%s/boot/%s' (a regular file of the tree, not a link)", c->target,
                  name);
        return -1;
    }
    return fd;
}

/* Copy a file of the tree (symlinks resolved inside it) to dir/name, atomically. */
static int copy_out(const create_ctx *c, const char *tree_path, const char *dir, const char *name)
{
    struct stat st;
    _cleanup_close_ int in = open_tree_file(c, tree_path, &st);
    return in < 0 ? -ENOENT : copy_fd_out(in, st.st_size, dir, name);
}

/* chmod 0644 a file of the tree, resolved beneath it: a link the tree holds (boot/vmlinuz-X ->
 * /etc/shadow) changes a file of the tree, never one of the host. */
static int chmod_in_tree(const create_ctx *c, const char *tree_path)
{
    struct stat st;
    _cleanup_close_ int fd = open_tree_file(c, tree_path, &st);
    if (fd < 0)
        return -ENOENT;
    return fchmod(fd, 0644) < 0 ? -errno : 0;
}

/* mkdir path 0755 whatever the umask: QEMU, running as its own user, walks through it. An
 * existing directory is kept as it is (the admin's); anything else there is -ENOTDIR. */
static int boot_mkdir(const char *path, bool *ret_made)
{
    struct stat sb;
    if (mkdir(path, 0755) == 0) {
        if (ret_made)
            *ret_made = true;
        return chmod(path, 0755) < 0 ? -errno : 0;
    }
    if (errno != EEXIST)
        return -errno;
    return lstat(path, &sb) < 0 || !S_ISDIR(sb.st_mode) ? -ENOTDIR : 0;
}

/* dracut in the chroot, for a tree whose initramfs is not known to match its configuration. */
static int run_dracut(create_ctx *c, create_stage *st)
{
    _cleanup_free_ char *out = NULL;
    if (asprintf(&out, "/boot/initrd.img-%s", c->kver) < 0)
        return -ENOMEM;
    /* Where the profile's table finds it, as the package check does. */
    nfsroot_error err = { 0 };
    const char *rel = NULL;
    _cleanup_free_ char *bin = NULL;
    int r = create_guest_profile(c);
    if (r < 0)
        return r;
    if ((r = nfsroot_guest_dracut_path(c->target, c->profile, &rel, &err)) < 0)
        return cli_lib_error(&err, r, "no dracut"), r;
    if (asprintf(&bin, "/%s", rel) < 0)
        return -ENOMEM;
    char *argv[] = { bin, "-q", "--force", "--kver", c->kver, out, NULL };
    snprintf(st->note, sizeof(st->note), "dracut built it");
    return create_spawn(c, c->target, argv);
}

/* The tree's own /boot/initrd.img-KVER, built by dracut unless the kernel stage of this run or
 * of the cached tree built it with this very configuration. */
static int tree_initrd(create_ctx *c, create_stage *st, const char *hash)
{
    if (create_marker_has(c, "initrd-fresh") && create_marker_has(c, hash)) {
        snprintf(st->note, sizeof(st->note), "built by the kernel's dracut hook");
        return 0;
    }
    return run_dracut(c, st);
}

/* The initramfs store: <boot root>/.initramfs/<kver>-<hash>.img, linked into each guest's
 * boot directory, so a guest with the same kernel and configuration needs no dracut run. Only a
 * tree this run built in its staging directory from the tree cache (a copy of the entry, or what
 * filled it, from the host's mirror) feeds it and takes from it: the image of a tarball's, a
 * directory's, another mirror's or a reused tree (its dracut, its links) is that guest's own,
 * never another guest's. */
static int shared_initrd(create_ctx *c, create_stage *st, const char *boot_root)
{
    char hash[17], tree_path[512];
    int r = create_dracut_hash(c, hash);
    if (r < 0)
        return r;
    snprintf(tree_path, sizeof(tree_path), "/boot/initrd.img-%s", c->kver);
    if (!c->tree_shared && !c->o->clone_of) {
        if ((r = tree_initrd(c, st, hash)) < 0 ||
            (r = copy_out(c, tree_path, c->boot_dir, "initrd.img")) < 0)
            return r;
        return asprintf(&c->initrd, "%s/initrd.img", c->boot_dir) < 0 ? -ENOMEM : 0;
    }
    _cleanup_free_ char *store = NULL, *name = NULL, *shared = NULL;
    if (asprintf(&store, "%s/" LAYOUT_INITRAMFS_STORE, boot_root) < 0 ||
        asprintf(&name, "%s-%s.img", c->kver, hash) < 0 ||
        asprintf(&shared, "%s/%s", store, name) < 0)
        return -ENOMEM;
    if ((r = boot_mkdir(store, NULL)) < 0)
        return r;
    struct stat sb;
    if (lstat(shared, &sb) == 0 && S_ISREG(sb.st_mode)) {
        snprintf(st->note, sizeof(st->note), "shared %.200s (no dracut run)", shared);
        st->status = "shared";
    } else if (c->o->clone_of) { /* a guest's tree: none of its programs runs here */
        cli_error("create: --clone-of '%s': the store has no initramfs for its kernel %s and "
                  "dracut configuration, and dracut never runs inside a guest's tree",
                  cli_esc(c->o->clone_of), c->kver);
        return -ENOENT;
    } else {
        _cleanup_close_ int in = -1;
        if ((r = tree_initrd(c, st, hash)) < 0)
            return r;
        if ((in = open_boot_file(c, tree_path + strlen("/boot/"), &sb)) < 0)
            return -ENOENT;
        if ((r = copy_fd_out(in, sb.st_size, store, name)) < 0)
            return r;
    }
    /* libvirt chowns the initramfs it boots at every start (an inode's owner, whatever name it
     * is reached by): the guest boots a copy of its own, never the store's inode. The link no
     * domain names is the store's count of users (delete prunes an image nobody links). */
    char ref[4096];
    snprintf(ref, sizeof(ref), "%s/" CREATE_STORE_REF, c->boot_dir);
    unlink(ref);
    (void)link(shared, ref); /* without it (too many links), only a dracut run later */
    _cleanup_close_ int in = open(shared, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0 || fstat(in, &sb) < 0 || !S_ISREG(sb.st_mode))
        return in < 0 ? -errno : -EINVAL;
    if ((r = copy_fd_out(in, sb.st_size, c->boot_dir, "initrd.img")) < 0)
        return r;
    return asprintf(&c->initrd, "%s/initrd.img", c->boot_dir) < 0 ? -ENOMEM : 0;
}

int create_initramfs(create_ctx *c, create_stage *st)
{
    int r;
    if (!c->kver && (r = create_find_kernel(c)) < 0)
        return r;
    if (c->o->boot_in_export) {
        const char *placed = c->final ? c->final : c->target; /* where the domain finds it */
        if (asprintf(&c->boot_dir, "%s/boot", placed) < 0 ||
            asprintf(&c->kernel, "%s/boot/vmlinuz-%s", placed, c->kver) < 0 ||
            asprintf(&c->initrd, "%s/boot/initrd.img-%s", placed, c->kver) < 0)
            return -ENOMEM;
        char hash[17];
        if ((r = create_dracut_hash(c, hash)) < 0 || (r = tree_initrd(c, st, hash)) < 0)
            return r;
        /* libvirt-qemu reads them (and chowns them at each start: the boot check says so). */
        char tree_kernel[512], tree_initrd[512];
        snprintf(tree_kernel, sizeof(tree_kernel), "/boot/vmlinuz-%s", c->kver);
        snprintf(tree_initrd, sizeof(tree_initrd), "/boot/initrd.img-%s", c->kver);
        if ((r = chmod_in_tree(c, tree_kernel)) < 0)
            return r;
        return chmod_in_tree(c, tree_initrd);
    }
    const char *const *dirs = nfsroot_policy_get_boot_dirs(c->policy);
    if (!dirs || !dirs[0]) {
        cli_error("the policy has no boot_dirs: give --boot-in-export, or add a boot_dirs "
                  "directory to the policy");
        return -ENOENT;
    }
    if ((r = layout_boot_dir(c->policy, c->o->name, &c->boot_dir)) < 0)
        return r;
    (void)boot_mkdir(dirs[0], NULL);
    if ((r = boot_mkdir(c->boot_dir, &c->boot_dir_made)) == -ENOTDIR) {
        cli_error("'%s' is not a directory (a symbolic link is never followed)", c->boot_dir);
        return r;
    } else if (r < 0)
        return r;
    char tree_kernel[512];
    snprintf(tree_kernel, sizeof(tree_kernel), "/boot/vmlinuz-%s", c->kver);
    if ((r = copy_out(c, tree_kernel, c->boot_dir, "vmlinuz")) < 0)
        return r;
    if (asprintf(&c->kernel, "%s/vmlinuz", c->boot_dir) < 0)
        return -ENOMEM;
    return shared_initrd(c, st, dirs[0]);
}
