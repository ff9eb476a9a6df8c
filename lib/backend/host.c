/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host a backend's probe looks at: its files beneath a root directory (a fixture host in
 * tests), so no symbolic link there leads to the machine's own files. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include "backend/backend.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

static int host_open(int root_fd, const char *path, int flags)
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

/* Non-blocking and regular files only: a FIFO or device there must not hang the probe. */
int host_read(int root_fd, const char *path, char **ret)
{
    _cleanup_close_ int fd = host_open(root_fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    return read_fd_all(fd, 1024 * 1024, ret, NULL);
}

static bool comm_is(int root_fd, const char *pid, const char *const *names)
{
    char rel[300];
    snprintf(rel, sizeof(rel), "/proc/%s/comm", pid);
    _cleanup_free_ char *comm = NULL;
    if (host_read(root_fd, rel, &comm) < 0)
        return false;
    comm[strcspn(comm, "\n")] = '\0';
    for (const char *const *n = names; *n; n++)
        if (!strcmp(comm, *n))
            return true;
    return false;
}

long host_find_process(int root_fd, const char *const *names)
{
    int fd = host_open(root_fd, "/proc", O_RDONLY | O_DIRECTORY);
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
