/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fault.h"
#include "base.h"

extern char **environ;

void strv_free(char **v)
{
    if (!v)
        return;
    for (char **i = v; *i; i++)
        free(*i);
    free(v);
}

size_t strv_length(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

bool strv_contains(char *const *v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

bool words_contain(const char *list, const char *word, const char *blanks)
{
    size_t n = strlen(word);
    for (const char *p = list ? list : ""; *p;) {
        p += strspn(p, blanks);
        size_t w = strcspn(p, blanks);
        if (w == n && memcmp(p, word, n) == 0)
            return true;
        p += w;
    }
    return false;
}

int strv_push(char ***v, const char *s)
{
    size_t n = strv_length(*v);
    char *copy = strdup(s);
    if (!copy)
        return -ENOMEM;
    char **nv = realloc(*v, (n + 2) * sizeof(char *));
    if (!nv) {
        free(copy);
        return -ENOMEM;
    }
    nv[n] = copy;
    nv[n + 1] = NULL;
    *v = nv;
    return 0;
}

char **strv_split(const char *s, const char *sep)
{
    char **v = calloc(1, sizeof(char *));
    if (!v)
        return NULL;
    const char *p = s;
    while (p && *p) {
        size_t n = strcspn(p, sep);
        if (n > 0) {
            char *item = strndup(p, n);
            if (!item || strv_push(&v, item) < 0) {
                free(item);
                strv_free(v);
                return NULL;
            }
            free(item);
        }
        p += n;
        if (*p)
            p++;
    }
    return v;
}

char *strv_join(char *const *v, const char *sep)
{
    size_t len = 1, seplen = strlen(sep);
    for (size_t i = 0; v && v[i]; i++)
        len += strlen(v[i]) + seplen;
    char *out = malloc(len);
    if (!out)
        return NULL;
    out[0] = '\0';
    char *p = out;
    for (size_t i = 0; v && v[i]; i++) {
        if (i > 0)
            p = stpcpy(p, sep);
        p = stpcpy(p, v[i]);
    }
    return out;
}

char **strv_copy(char *const *v)
{
    char **out = calloc(1, sizeof(char *));
    for (size_t i = 0; out && v && v[i]; i++)
        if (strv_push(&out, v[i]) < 0) {
            strv_free(out);
            return NULL;
        }
    return out;
}

char *strstrip(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

bool path_is_normalised_absolute(const char *p)
{
    if (!p || p[0] != '/')
        return false;
    if (strcmp(p, "/") == 0)
        return true;
    const char *c = p + 1;
    for (;;) {
        size_t n = strcspn(c, "/");
        if (n == 0)
            return false; /* "//" or trailing "/" */
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c += n;
        if (!*c)
            return true;
        c++;
    }
}

bool path_is_under(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (strcmp(root, "/") == 0)
        return path[0] == '/' && path[1] != '\0';
    return strncmp(path, root, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

int read_fd_all(int fd, size_t max, char **ret, size_t *ret_len)
{
    size_t cap = 4096, len = 0;
    _cleanup_free_ char *buf = malloc(cap + 1);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (len == cap) {
            if (cap >= max)
                return -EFBIG;
            cap = cap * 2 > max ? max : cap * 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb)
                return -ENOMEM;
            buf = nb;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    if (ret_len)
        *ret_len = len;
    *ret = TAKE_PTR(buf);
    return 0;
}

int read_regular_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if ((uint64_t)st.st_size > max)
        return -EFBIG;
    return read_fd_all(fd, max, ret, ret_len);
}

int read_regular_at(int dfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    return read_regular_fd(fd, max, ret, ret_len);
}

int open_regular(const char *path)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    int flags;
    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
        return -errno;
    return TAKE_FD(fd);
}

int read_file_all(const char *path, size_t max, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = open_regular(path);
    if (fd < 0)
        return fd;
    return read_regular_fd(fd, max, ret, ret_len);
}

int trusted_file_check(int fd, char *why, size_t len)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, len, "is not a regular file");
        return -EPERM;
    }
    /* Only root can change the file (or the caller itself, when that is not root: trusting a
     * file of one's own gains nothing). */
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        snprintf(why, len, "is owned by uid %u with mode %04o", (unsigned)st.st_uid,
                 (unsigned)(st.st_mode & 07777));
        return -EPERM;
    }
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

/* A writer killed between creating its temp file and the rename leaves ".NAME.PID.tmp" behind.
 * Writers of one name are serialised by the callers' locks, so any such file is stale. */
static void remove_stale_temps(int dfd, const char *name)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    size_t n = strlen(name);
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *e = de->d_name;
        size_t l = strlen(e);
        if (e[0] == '.' && l > n + 5 && !strncmp(e + 1, name, n) && e[n + 1] == '.' &&
            !strcmp(e + l - 4, ".tmp"))
            (void)unlinkat(dfd, e, 0);
    }
    closedir(d);
}

static int write_file(const char *dir, const char *name, const char *data, size_t len, mode_t mode,
                      bool durable)
{
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    remove_stale_temps(dfd, name);
    char tmp[512];
    if (snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid()) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    _cleanup_close_ int fd =
        openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return -errno;
    int r = write_all(fd, data, len);
    if (r == 0 && fchmod(fd, mode) < 0)
        r = -errno;
    if (r == 0 && durable && fsync(fd) < 0)
        r = -errno;
    /* Without fsync, close() is where a filesystem may still report a deferred write error. */
    if (r == 0 && close(TAKE_FD(fd)) < 0)
        r = -errno;
    if (r == 0)
        NFSROOT_FAULT_POINT("write-temp-written");
    if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
        r = -errno;
    if (r < 0) {
        unlinkat(dfd, tmp, 0);
        return r;
    }
    if (durable)
        (void)fsync(dfd);
    return 0;
}

int write_file_atomic(const char *dir, const char *name, const char *data, size_t len, mode_t mode)
{
    return write_file(dir, name, data, len, mode, true);
}

int write_file_replace(const char *dir, const char *name, const char *data, size_t len, mode_t mode)
{
    return write_file(dir, name, data, len, mode, false);
}

int mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int run_program(char *const argv[], char **ret_stderr, nfsroot_error *err)
{
    /* Checked and executed through one fd: the file checked is the file run, whatever happens
     * to its path meanwhile. */
    _cleanup_close_ int prog = open(argv[0], O_PATH | O_CLOEXEC);
    if (prog < 0)
        return -errno;
    char why[128];
    int r = trusted_file_check(prog, why, sizeof(why));
    if (r == -EPERM)
        return nfsroot_err(err, r, NULL, "program", argv[0], 0,
                           "program '%s' %s: virt-nfsroot runs it as root, so it must be a "
                           "regular file owned by root and not writable by group or others "
                           "(chown root:root %s; chmod go-w %s)",
                           argv[0], why, argv[0], argv[0]);
    if (r < 0)
        return r;
    /* posix_spawn (a vfork, unlike fork() cheap for any caller) of the child's own view of that
     * fd; dup2 onto itself clears FD_CLOEXEC there, so the kernel, or a #! script's interpreter,
     * can open it. */
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", prog);
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    posix_spawn_file_actions_adddup2(&fa, prog, prog);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    r = posix_spawn(&pid, self, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(pipefd[1]);
    if (r != 0) {
        close(pipefd[0]);
        return -r;
    }
    char buf[4096];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(pipefd[0], buf + len, sizeof(buf) - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == sizeof(buf) - 1) {
            char sink[4096]; /* keep draining so the child never blocks */
            while (read(pipefd[0], sink, sizeof(sink)) > 0)
                ;
            break;
        }
    }
    buf[len] = '\0';
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (ret_stderr)
        *ret_stderr = strdup(buf);
    if (!WIFEXITED(status))
        return -EINTR;
    return WEXITSTATUS(status);
}

void first_line(const char *s, char *buf, size_t len)
{
    if (!s)
        s = "";
    size_t n = strcspn(s, "\n");
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    snprintf(buf, len, "%.*s", (int)n, s);
}

int nfsroot_dlopen_flags(const char *soname, int flags, const nfsroot_dlsym *syms, size_t n,
                         void **ret_handle, char *why, size_t why_len)
{
    /* RTLD_NODELETE: dlclose() keeps it mapped, so a later open in this process (the CLI
     * checking many domains) is a lookup, not a second load. */
    void *h = dlopen(soname, flags | RTLD_NODELETE);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, why_len, "%s", e ? e : soname);
        return -ENOENT;
    }
    for (size_t i = 0; i < n; i++) {
        void *f = dlsym(h, syms[i].name);
        if (!f) {
            snprintf(why, why_len, "%s has no symbol '%s'", soname, syms[i].name);
            dlclose(h);
            return -ENOENT;
        }
        *syms[i].slot = f;
    }
    *ret_handle = h;
    return 0;
}

int nfsroot_dlopen(const char *soname, const nfsroot_dlsym *syms, size_t n, void **ret_handle,
                   char *why, size_t why_len)
{
    return nfsroot_dlopen_flags(soname, RTLD_NOW | RTLD_LOCAL, syms, n, ret_handle, why, why_len);
}

int nfsroot_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
    return read_fd_all(fd, max, ret, ret_len);
}

bool nfsroot_path_is_under(const char *path, const char *root)
{
    return path_is_under(path, root);
}
