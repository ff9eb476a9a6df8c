/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A host's files beneath a root directory (a fixture host in tests): what a backend's probe and
 * doctor read. No symbolic link there leads to the machine's own files. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "host.h"

int nfsroot_host_open(int root_fd, const char *path, int flags)
{
    if (root_fd == AT_FDCWD) {
        int fd = open(path, flags | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }
    return nfsroot_open_beneath(root_fd, path, flags, NFSROOT_BENEATH_IN_ROOT);
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

/* ---- apt sources ------------------------------------------------------------------------- */

#define APT_SOURCES_MAX (1u << 20)
#define APT_SOURCES_FILES_MAX 64

/* The first URL ending in /debian of one apt sources file (deb822 "URIs:" or one-line "deb"). */
static char *apt_mirror_in(int root_fd, const char *file)
{
    _cleanup_free_ char *text = NULL;
    if (nfsroot_host_read(root_fd, file, APT_SOURCES_MAX, &text, NULL) < 0)
        return NULL;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char a[16], b[512];
        int n = sscanf(l, "%15s %511s", a, b);
        const char *url = NULL;
        if (n == 2 && !strcmp(a, "URIs:"))
            url = b;
        else if (n == 2 && !strcmp(a, "deb")) {
            /* deb [option=value ...] URL suite ...: the URL follows the closing bracket. */
            const char *after = b[0] == '[' ? strchr(l, ']') : NULL;
            if (after && sscanf(after + 1, "%511s", b) != 1)
                b[0] = '\0';
            url = b[0] == '[' ? NULL : b;
        }
        size_t len = url ? strlen(url) : 0;
        while (len && url[len - 1] == '/')
            len--;
        if (len >= 7 && !strncmp(url + len - 7, "/debian", 7) &&
            (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)))
            return strndup(url, len);
    }
    return NULL;
}

int nfsroot_host_apt_mirror(int root_fd, char **ret)
{
    *ret = NULL;
    static const char dir[] = "/etc/apt/sources.list.d";
    _cleanup_close_ int top =
        root_fd == AT_FDCWD ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    _cleanup_strv_free_ char **names = NULL;
    if (nfsroot_list_beneath(root_fd == AT_FDCWD ? top : root_fd, dir, NFSROOT_BENEATH_IN_ROOT,
                             ".sources", APT_SOURCES_FILES_MAX, &names) == -ENOMEM)
        return -ENOMEM;
    for (size_t i = 0; names && names[i] && !*ret; i++) {
        char file[512];
        snprintf(file, sizeof(file), "%s/%s", dir, names[i]);
        *ret = apt_mirror_in(root_fd, file);
    }
    if (!*ret)
        *ret = apt_mirror_in(root_fd, "/etc/apt/sources.list");
    return 0;
}
