/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot tools/shared/: a guest's files on the host, as create lays them out and as create
 * and delete remove them: its boot directory, the initramfs store, a tree's removal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared.h"

int layout_boot_dir(const nfsroot_policy *p, const char *name, char **ret)
{
    const char *const *dirs = nfsroot_policy_get_boot_dirs(p);
    if (!dirs || !dirs[0])
        return -ENOENT;
    return asprintf(ret, "%s/%s", dirs[0], name) < 0 ? -ENOMEM : 0;
}

int layout_remove_tree(const char *parent, const char *name)
{
    /* rm's --one-file-system keeps it off whatever is mounted inside; the tree itself is
     * named relative to parent, opened without following links. */
    _cleanup_close_ int pfd = open(parent, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(pfd, name, 0) < 0 ? -errno : 0;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        if (fchdir(pfd) < 0)
            _exit(126);
        char rel[4096];
        snprintf(rel, sizeof(rel), "./%s", name);
        execl("/bin/rm", "rm", "-rf", "--one-file-system", "--", rel, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}
