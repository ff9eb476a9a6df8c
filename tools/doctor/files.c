/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host doctor looks at, below --root: every file is opened beneath it, so tests run doctor
 * on fixture hosts and no link in one (or in a mounted guest tree) leads it to read the
 * machine's own files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"

/* The path of a host file below --root, as shown to the user. */
const char *doctor_at(const doctor *d, const char *path, char *buf, size_t len)
{
    if (!strcmp(d->root, "/"))
        snprintf(buf, len, "%s", path);
    else
        snprintf(buf, len, "%s%s", d->root, path);
    return buf;
}

/* The root the library reads beneath: AT_FDCWD for the host itself. */
int doctor_root_fd(const doctor *d)
{
    return strcmp(d->root, "/") ? d->root_fd : AT_FDCWD;
}

/* An fd for a host path below --root: its symbolic links, absolute ones included, resolve inside
 * the root as they would on that host, and ".." stops at it. -errno. */
int doctor_open(const doctor *d, const char *path, int flags)
{
    return nfsroot_host_open(doctor_root_fd(d), path, flags);
}

/* stat (follow = true) or lstat of a host path below --root. */
int doctor_stat(const doctor *d, const char *path, bool follow, struct stat *st)
{
    _cleanup_close_ int fd = doctor_open(d, path, O_PATH | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0)
        return fd;
    return fstat(fd, st) < 0 ? -errno : 0;
}

/* Read a host file below --root (a regular file: a FIFO or device there must not hang us). */
int doctor_read(const doctor *d, const char *path, char **ret, size_t *ret_len)
{
    char p[4096];
    cli_debug("doctor: reading %s", doctor_at(d, path, p, sizeof(p)));
    return nfsroot_host_read(doctor_root_fd(d), path, 4 * 1024 * 1024, ret, ret_len);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static DIR *open_dir(const doctor *d, const char *dir)
{
    int fd = doctor_open(d, dir, O_RDONLY | O_DIRECTORY);
    DIR *dh = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dh && fd >= 0)
        close(fd);
    return dh;
}

/* The host paths "dir/NAME" of the entries of a host directory below --root whose NAME matches
 * pattern (fnmatch, no leading dot), sorted as glob() sorts them. NULL-terminated; NULL when the
 * directory cannot be read. */
char **doctor_list(const doctor *d, const char *dir, const char *pattern)
{
    _cleanup_(closedirp) DIR *dh = open_dir(d, dir);
    if (!dh)
        return NULL;
    const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
    char **v = calloc(1, sizeof(char *));
    size_t n = 0;
    struct dirent *de;
    while (v && (de = readdir(dh))) {
        if (fnmatch(pattern, de->d_name, FNM_PERIOD) != 0)
            continue;
        char **nv = realloc(v, (n + 2) * sizeof(char *));
        if (!nv)
            break;
        v = nv;
        if (asprintf(&v[n], "%s%s%s", dir, sep, de->d_name) < 0) {
            v[n] = NULL;
            break;
        }
        v[++n] = NULL;
    }
    if (v)
        qsort(v, n, sizeof(char *), cmp_str);
    return v;
}

/* Is a process with this comm running (from <root>/proc/<pid>/comm)? Returns its pid or 0. */
long doctor_find_process(const doctor *d, const char *const *names)
{
    return nfsroot_host_find_process(doctor_root_fd(d), names);
}
