/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create --clone-of GUEST: a new guest from the tree of a stopped one that create
 * made (issue 23's instant clones: the copy shares extents where the filesystem can,
 * create-copy.c). The source is a guest's tree, written by root inside that guest: only the
 * tree create recorded for it (ownership record, device and inode) is taken, it is copied
 * without following a link, and nothing of it runs on the host: its initramfs must be the
 * store's (create-boot.c), never a dracut run inside it. What must differ between the two
 * guests: machine-id and hostname (the configure stage, as for every tree), MAC and DHCP pin
 * (this guest's own), and the ssh host keys: removed here, and the types it had made anew by
 * the host's ssh-keygen (sshd would not start without them). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree)

static char clone_tree[NFSROOT_OWNED_PATH_MAX];

static int refuse(const create_ctx *c, int r, const char *why)
{
    cli_error("create: --clone-of '%s': %s", cli_esc(c->o->clone_of), why);
    return r;
}

int create_clone_source(create_ctx *c)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByName(c->conn, c->o->clone_of);
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (!dom || virDomainGetUUIDString(dom, uuid) < 0)
        return refuse(c, -ENOENT, "no such domain");
    if (virDomainIsActive(dom) != 0)
        return refuse(c, -EBUSY,
                      "the guest is running (or its state is unknown): shut it "
                      "down first, a clone copies a stopped guest's tree");
    nfsroot_owned rec = { 0 };
    nfsroot_error err = { 0 };
    int r = nfsroot_owned_load(c->policy, uuid, &rec, &err);
    if (r == -ENOENT || (r >= 0 && !rec.has_tree))
        return refuse(c, -ENOENT,
                      "create recorded no tree for this guest: only a guest create "
                      "made is cloned (--from-dir copies any tree you trust)");
    if (r < 0)
        return cli_lib_error(&err, r, "cannot read what virt-nfsroot made");
    _cleanup_close_ int fd = open(rec.tree, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 ||
        (rec.tree_dev && ((uint64_t)st.st_dev != rec.tree_dev || st.st_ino != rec.tree_ino)))
        return refuse(c, -ESTALE,
                      "its recorded tree is gone or is no longer the directory "
                      "create made (a symbolic link is never followed)");
    snprintf(clone_tree, sizeof(clone_tree), "%s", rec.tree);
    c->o->from_dir = clone_tree;
    return 0;
}

/* The copy's etc/ssh, each step opened without following a link (the tree is a guest's). */
static int open_etc_ssh(const create_ctx *c)
{
    _cleanup_close_ int root = open(c->target, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int etc =
        root < 0 ? -1 : openat(root, "etc", O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (etc < 0)
        return -errno;
    int fd = openat(etc, "ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* The key types create makes again (the host's ssh-keygen, never the tree's). */
static const char *const key_types[] = { "rsa", "ecdsa", "ed25519" };

/* Copy the file dir/name into the directory fd to as a new file (never over one), mode. */
static int put_file(const char *dir, const char *name, int to, mode_t mode)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    _cleanup_close_ int in = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int out =
        openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    char buf[16384];
    ssize_t n;
    if (in < 0 || out < 0)
        return -errno;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            return -EIO;
    if (n < 0 || fchown(out, 0, 0) < 0 || fchmod(out, mode) < 0 || fsync(out) < 0)
        return -errno;
    return 0;
}

/* A new key of type into the directory fd ssh, made by the host's ssh-keygen in a private
 * temporary directory. */
static int new_key(create_ctx *c, int ssh, const char *type)
{
    char tmp[] = "/tmp/virt-nfsroot-hostkey.XXXXXX", key[128], file[4096], comment[128];
    if (!mkdtemp(tmp))
        return -errno;
    snprintf(key, sizeof(key), "ssh_host_%s_key", type);
    snprintf(file, sizeof(file), "%s/%s", tmp, key);
    snprintf(comment, sizeof(comment), "root@%s", c->o->name);
    char *argv[] = {
        "/usr/bin/ssh-keygen", "-q", "-N", "", "-t", (char *)type, "-C", comment, "-f", file, NULL
    };
    int r = create_spawn(c, NULL, argv);
    char pub[160];
    snprintf(pub, sizeof(pub), "%s.pub", key);
    if (r >= 0 && (r = put_file(tmp, key, ssh, 0600)) >= 0)
        r = put_file(tmp, pub, ssh, 0644);
    snprintf(file, sizeof(file), "%s/%s", tmp, key);
    unlink(file);
    snprintf(file, sizeof(file), "%s/%s", tmp, pub);
    unlink(file);
    rmdir(tmp);
    return r;
}

/* Remove the copy's ssh_host_* files; *had: bit i for key_types[i] among them. */
static int remove_keys(int fd, unsigned *had)
{
    _cleanup_close_ int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
    if (!d)
        return -errno;
    dup_fd = -1;
    int r = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, "ssh_host_", 9))
            continue;
        for (size_t i = 0; i < ELEMENTSOF(key_types); i++) {
            char key[64];
            snprintf(key, sizeof(key), "ssh_host_%s_key", key_types[i]);
            if (!strcmp(e->d_name, key))
                *had |= 1u << i;
        }
        if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
            r = -errno; /* a directory named so */
    }
    closedir(d);
    return r;
}

int create_clone_identity(create_ctx *c)
{
    _cleanup_close_ int fd = open_etc_ssh(c);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return refuse(c, fd,
                      "the copy's /etc/ssh cannot be opened (a symbolic link is never "
                      "followed): its ssh host keys would be the original's");
    unsigned had = 0;
    int r = remove_keys(fd, &had);
    if (r < 0)
        return refuse(c, r, "the copy's ssh host keys cannot be removed");
    for (size_t i = 0; i < ELEMENTSOF(key_types); i++)
        if ((had & (1u << i)) && (r = new_key(c, fd, key_types[i])) < 0)
            return refuse(c, r, "new ssh host keys cannot be made for the copy");
    return 0;
}
