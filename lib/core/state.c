/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "core.h"
#include "record.h"

#define NFSROOT_LOCK_TIMEOUT_MS (120u * 1000)
#define STATE_SUFFIX ".state"

/* Records are named after the domain: a name that is no plain file name never reaches a path. */
static bool record_name_ok(const char *name)
{
    return nfsroot_domain_name_ok(name, false);
}

static int domains_dir(const nfsroot_policy *p, char *buf, size_t len)
{
    if (snprintf(buf, len, "%s/domains", p->state_dir) >= (int)len)
        return -ENAMETOOLONG;
    return 0;
}

/* A test build lets a test wait seconds, not minutes, for the timeout. */
static unsigned lock_timeout_ms(void)
{
#if defined(NFSROOT_TESTING_HOOKS) && NFSROOT_TESTING_HOOKS
    const char *t = getenv("NFSROOT_TEST_LOCK_TIMEOUT_MS");
    if (t && *t)
        return (unsigned)strtoul(t, NULL, 10);
#endif
    return NFSROOT_LOCK_TIMEOUT_MS;
}

int nfsroot_state_lock(const nfsroot_policy *p, int *ret_fd, nfsroot_error *err)
{
    char dir[4096], lock[4200];
    int r = domains_dir(p, dir, sizeof(dir));
    if (r == 0)
        r = mkdir_p(dir, 0755);
    if (r < 0)
        return nfsroot_err(err, r, NULL, "state", p->state_dir, 0,
                           "cannot create the state directory '%s': %s", dir, strerror(-r));
    snprintf(lock, sizeof(lock), "%s/lock", p->state_dir);
    _cleanup_close_ int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return nfsroot_err(err, -errno, NULL, "state", lock, 0, "cannot open the lock '%s': %s",
                           lock, strerror(errno));
    /* Bounded: one stuck hook must not block every guest's start and stop for ever. The lock is
     * held for milliseconds (a record and one exportfs): polled first every millisecond, the
     * interval doubling up to 32 ms, a waiter takes it soon after it is free (a fixed 50 ms
     * left it idle between holders: docs/PERFORMANCE.md, part 3). */
    unsigned step_ms = 1;
    for (unsigned waited_ms = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited_ms += step_ms) {
        int e = errno;
        if (e != EWOULDBLOCK && e != EINTR)
            return nfsroot_err(err, -e, NULL, "state", lock, 0, "cannot lock '%s': %s", lock,
                               strerror(e));
        if (waited_ms >= lock_timeout_ms())
            return nfsroot_err(err, -ETIMEDOUT, NULL, "state", lock, 0,
                               "another virt-nfsroot operation has held '%s' for %u s: look for "
                               "a stuck virt-nfsroot or exportfs process",
                               lock, lock_timeout_ms() / 1000);
        if (waited_ms > 0 && step_ms < 32)
            step_ms *= 2;
        struct timespec ts = { .tv_nsec = (long)step_ms * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    *ret_fd = TAKE_FD(fd);
    return 0;
}

/* Read dir's "name.state". Fills why (a short reason) when the record is refused. */
static int read_state_file(int dfd, const char *name, nfsroot_state **ret, char *why,
                           size_t why_len)
{
    char file[512];
    snprintf(file, sizeof(file), "%s" STATE_SUFFIX, name);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = read_regular_at(dfd, file, NFSROOT_RECORD_READ_MAX, &text, &len);
    if (r == -EFBIG)
        snprintf(why, why_len, "over %u KiB, more than any record can be",
                 NFSROOT_RECORD_READ_MAX / 1024);
    if (r < 0)
        return r;
    return nfsroot_record_parse(text, len, name, ret, why, why_len);
}

/* domain: the domain the error is about, NULL while listing (the record is not trusted to
 * name one); name: the record's file name without its suffix. */
static int record_error(nfsroot_error *err, int r, const char *domain, const char *name,
                        const char *dir, const char *why)
{
    return nfsroot_err(err, r, domain, "state", dir, 0,
                       "cannot read the record '%s/%s" STATE_SUFFIX "': %s%s%s", dir, name,
                       strerror(-r), why[0] ? ": " : "", why);
}

int nfsroot_state_read(const nfsroot_policy *p, const char *name, nfsroot_state **ret,
                       nfsroot_error *err)
{
    char dir[4096], why[256] = "";
    int r = domains_dir(p, dir, sizeof(dir));
    if (r < 0)
        return r;
    if (!record_name_ok(name))
        return -ENOENT;
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? -ENOENT : -errno;
    r = read_state_file(dfd, name, ret, why, sizeof(why));
    if (r < 0 && r != -ENOENT)
        return record_error(err, r, name, name, dir, why);
    return r;
}

int nfsroot_state_write(const nfsroot_policy *p, const nfsroot_state *s, nfsroot_error *err)
{
    const nfsroot_plan *plan = s->plan;
    char dir[4096], file[512], why[300] = "";
    int r = domains_dir(p, dir, sizeof(dir));
    if (r < 0)
        return r;
    if (!record_name_ok(plan->domain))
        return nfsroot_err(err, -EINVAL, plan->domain, "state", dir, 0,
                           "the domain name cannot name a record");
    snprintf(file, sizeof(file), "%s" STATE_SUFFIX, plan->domain);
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    r = nfsroot_record_format(s, &data, &len, why, sizeof(why));
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return nfsroot_err(err, r, plan->domain, "state", dir, 0,
                           "refusing to write the record '%s/%s': %s", dir, file, why);
    r = write_file_replace(dir, file, data, len, 0644);
    if (r < 0)
        return nfsroot_err(err, r, plan->domain, "state", dir, 0,
                           "cannot write the record '%s/%s': %s", dir, file, strerror(-r));
    return 0;
}

int nfsroot_state_delete(const nfsroot_policy *p, const char *name)
{
    char dir[4096], path[4700];
    int r = domains_dir(p, dir, sizeof(dir));
    if (r < 0)
        return r;
    if (!record_name_ok(name))
        return 0;
    snprintf(path, sizeof(path), "%s/%s" STATE_SUFFIX, dir, name);
    if (unlink(path) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

void nfsroot_state_list_free(nfsroot_state **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        nfsroot_state_free(list[i]);
    free(list);
}

void nfsroot_state_bad_free(nfsroot_state_bad *bad, size_t n)
{
    for (size_t i = 0; bad && i < n; i++) {
        free(bad[i].file);
        free(bad[i].reason);
    }
    free(bad);
}

/* File names are anyone-with-root's bytes: no control character reaches a log or a terminal. */
static void defang(char *s)
{
    for (unsigned char *q = (unsigned char *)s; q && *q; q++)
        if (*q < 0x20 || *q == 0x7f)
            *q = '?';
}

static int push_bad(nfsroot_state_bad **v, size_t *n, const char *file, const char *reason)
{
    nfsroot_state_bad *nv = realloc(*v, (*n + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    *v = nv;
    nv[*n] = (nfsroot_state_bad){ .file = strdup(file), .reason = strdup(reason) };
    if (!nv[*n].file || !nv[*n].reason) {
        free(nv[*n].file);
        free(nv[*n].reason);
        return -ENOMEM;
    }
    defang(nv[*n].file);
    defang(nv[*n].reason);
    (*n)++;
    return 0;
}

static int push_state(nfsroot_state ***list, size_t *n, nfsroot_state *s)
{
    nfsroot_state **nl = realloc(*list, (*n + 2) * sizeof(*nl));
    if (!nl) {
        nfsroot_state_free(s);
        return -ENOMEM;
    }
    *list = nl;
    nl[(*n)++] = s;
    nl[*n] = NULL;
    return 0;
}

/* One record: onto the list, or onto bad with the sentence saying why not. */
static int list_one(int dfd, const char *dir, const char *file, nfsroot_state ***list, size_t *n,
                    nfsroot_state_bad **bad, size_t *n_bad)
{
    size_t l = strlen(file) - strlen(STATE_SUFFIX);
    char name[256], why[256] = "";
    if (l >= sizeof(name))
        return push_bad(bad, n_bad, file, "the file name is too long for a domain name");
    memcpy(name, file, l);
    name[l] = '\0';
    nfsroot_state *s = NULL;
    int r = read_state_file(dfd, name, &s, why, sizeof(why));
    if (r == -ENOENT)
        return 0; /* removed while we listed */
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        nfsroot_error e = { 0 };
        record_error(&e, r, NULL, name, dir, why);
        return push_bad(bad, n_bad, file, e.message);
    }
    return push_state(list, n, s);
}

int nfsroot_state_list_all(const nfsroot_policy *p, nfsroot_state ***ret, size_t *ret_n,
                           nfsroot_state_bad **ret_bad, size_t *ret_n_bad, nfsroot_error *err)
{
    char dir[4096];
    int r = domains_dir(p, dir, sizeof(dir));
    if (r < 0)
        return r;
    nfsroot_state **list = NULL;
    nfsroot_state_bad *bad = NULL;
    size_t n = 0, n_bad = 0;
    _cleanup_(closedirp) DIR *d = opendir(dir);
    if (!d && errno != ENOENT)
        return nfsroot_err(err, -errno, NULL, "state", dir, 0, "cannot list '%s': %s", dir,
                           strerror(errno));
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l <= strlen(STATE_SUFFIX) ||
            strcmp(de->d_name + l - strlen(STATE_SUFFIX), STATE_SUFFIX) != 0)
            continue;
        /* One unreadable record is reported, never fatal: the others still work. */
        r = list_one(dirfd(d), dir, de->d_name, &list, &n, &bad, &n_bad);
        if (r < 0)
            break;
    }
    if (r < 0) {
        nfsroot_state_list_free(list, n);
        nfsroot_state_bad_free(bad, n_bad);
        return r;
    }
    *ret = list;
    *ret_n = n;
    if (ret_bad) {
        *ret_bad = bad;
        *ret_n_bad = n_bad;
    } else
        nfsroot_state_bad_free(bad, n_bad);
    return 0;
}

int nfsroot_state_list(const nfsroot_policy *p, nfsroot_state ***ret, size_t *ret_n,
                       nfsroot_error *err)
{
    return nfsroot_state_list_all(p, ret, ret_n, NULL, NULL, err);
}
