/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: how a tree copy shares its data with its source (issue 23's instant
 * clones). cp -a --reflink=auto does the copy (links copied as links, never followed; FIFOs and
 * devices made, not read; holes kept; hard links, owners, modes, xattrs, ACLs and capabilities
 * kept); this says beforehand which way its files will go: extents shared (FICLONE) when source
 * and copy are on one filesystem that can share them, a plain copy otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <stdlib.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctx.h"

/* Can the filesystem of the directory dfd share extents? One block written to an unnamed file
 * and cloned into another (both vanish with their fds): nothing of the source is read. */
static bool can_reflink(int dfd)
{
    static const char block[4096];
    _cleanup_close_ int a = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    _cleanup_close_ int b = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (a < 0 || b < 0 || write(a, block, sizeof(block)) != (ssize_t)sizeof(block))
        return false;
    return ioctl(b, FICLONE, a) == 0;
}

int create_copy_check(const char *from, const char *to, const char **ret_how)
{
    _cleanup_close_ int sfd = open(from, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int dfd = open(to, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat s, d;
    if (sfd < 0 || dfd < 0) {
        int r = -errno;
        cli_error("'%s' cannot be copied: %s%s", cli_esc(sfd < 0 ? from : to), strerror(-r),
                  r == -ELOOP || r == -ENOTDIR ? " (a symbolic link is never followed)" : "");
        return r;
    }
    if (fstat(sfd, &s) < 0 || fstat(dfd, &d) < 0)
        return -errno;
    *ret_how = s.st_dev == d.st_dev && can_reflink(dfd) ? "reflink" : "plain copy";
    return 0;
}

/* Does the file system of the directory to store a POSIX ACL beyond the mode bits (what
 * cp -a needs for a tree with one: /var/log/journal has systemd's)? Probed on a file of its own,
 * removed again. */
static bool stores_acls(const char *to)
{
    _cleanup_free_ char *tmp = NULL;
    if (asprintf(&tmp, "%s/.acl-probe.XXXXXX", to) < 0)
        return true; /* nothing to say */
    _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return true;
    struct {
        struct posix_acl_xattr_header h;
        struct posix_acl_xattr_entry e[5];
    } acl = { .h = { .a_version = POSIX_ACL_XATTR_VERSION },
              .e = { { ACL_USER_OBJ, 6, ACL_UNDEFINED_ID },
                     { ACL_USER, 4, 0 },
                     { ACL_GROUP_OBJ, 4, ACL_UNDEFINED_ID },
                     { ACL_MASK, 4, ACL_UNDEFINED_ID },
                     { ACL_OTHER, 0, ACL_UNDEFINED_ID } } };
    bool ok = fsetxattr(fd, "system.posix_acl_access", &acl, sizeof(acl), 0) == 0 ||
              (errno != EOPNOTSUPP && errno != ENOTSUP);
    (void)unlink(tmp);
    return ok;
}

bool create_copy_explain_acls(const char *to)
{
    if (stores_acls(to))
        return false;
    cli_error("'%s' is on a file system that stores no POSIX ACLs, and the tree has some: "
              "mount it with them (CephFS: client_acl_type = posix_acl for ceph-fuse, "
              "-o acl for the kernel client)",
              cli_esc(to));
    return true;
}
