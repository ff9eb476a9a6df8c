/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A host's files beneath a root directory (a fixture host in tests): what a backend's probe and
 * doctor read. No symbolic link there leads to the machine's own files. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include "internal.h"

int nfsroot_host_open(int root_fd, const char *path, int flags)
{
    if (root_fd == AT_FDCWD) {
        int fd = open(path, flags | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }
    path += strspn(path, "/");
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    return nfsroot_openat2(root_fd, *path ? path : ".", &how);
}

/* Non-blocking and regular files only: a FIFO or device there must not hang the reader. */
int nfsroot_host_read(int root_fd, const char *path, size_t max, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = nfsroot_host_open(root_fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fd;
    return read_regular_fd(fd, max, ret, ret_len);
}

static bool comm_is(int root_fd, const char *pid, const char *const *names)
{
    char rel[300];
    snprintf(rel, sizeof(rel), "/proc/%s/comm", pid);
    _cleanup_free_ char *comm = NULL;
    if (nfsroot_host_read(root_fd, rel, 4096, &comm, NULL) < 0)
        return false;
    comm[strcspn(comm, "\n")] = '\0';
    for (const char *const *n = names; *n; n++)
        if (!strcmp(comm, *n))
            return true;
    return false;
}

long nfsroot_host_find_process(int root_fd, const char *const *names)
{
    int fd = nfsroot_host_open(root_fd, "/proc", O_RDONLY | O_DIRECTORY);
    _cleanup_(closedirp) DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    for (struct dirent *de; (de = readdir(dir));)
        if (isdigit((unsigned char)de->d_name[0]) && comm_is(root_fd, de->d_name, names))
            return strtol(de->d_name, NULL, 10);
    return 0;
}
