#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "backend/backend.h"
#include "internal.h"

#define STATE_MAGIC "virt-nfsroot-state 1"
#define NFSROOT_LOCK_TIMEOUT_MS (120u * 1000)
#define STATE_SUFFIX ".state"

void nfsroot_state_free(nfsroot_state *s)
{
    if (!s)
        return;
    nfsroot_plan_free(s->plan);
    free(s);
}
static void state_freep(nfsroot_state **s)
{
    nfsroot_state_free(*s);
}

/* Records are named after the domain: a name that is no plain file name never reaches a path. */
static bool record_name_ok(const char *name)
{
    return name && name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) <= 200;
}

static int domains_dir(const nfsroot_policy *p, char *buf, size_t len)
{
    if (snprintf(buf, len, "%s/domains", p->state_dir) >= (int)len)
        return -ENAMETOOLONG;
    return 0;
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
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return nfsroot_err(err, -errno, NULL, "state", lock, 0, "cannot open the lock '%s': %s",
                           lock, strerror(errno));
    /* Bounded: one stuck hook must not block every guest's start and stop for ever. */
    for (unsigned waited_ms = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited_ms += 50) {
        int e = errno;
        if (e != EWOULDBLOCK && e != EINTR) {
            close(fd);
            return nfsroot_err(err, -e, NULL, "state", lock, 0, "cannot lock '%s': %s", lock,
                               strerror(e));
        }
        if (waited_ms >= NFSROOT_LOCK_TIMEOUT_MS) {
            close(fd);
            return nfsroot_err(err, -ETIMEDOUT, NULL, "state", lock, 0,
                               "another virt-nfsroot operation has held '%s' for %u s: look for "
                               "a stuck virt-nfsroot or exportfs process",
                               lock, NFSROOT_LOCK_TIMEOUT_MS / 1000);
        }
        struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    *ret_fd = fd;
    return 0;
}

static int push_export(nfsroot_plan *plan, nfsroot_export *e)
{
    nfsroot_export *nv = realloc(plan->exports, (plan->n_exports + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    nv[plan->n_exports++] = *e;
    plan->exports = nv;
    return 0;
}

/* "export root|extra ro|rw PATH OPTIONS CLIENT[,CLIENT...]" */
static int parse_export_line(nfsroot_plan *plan, const char *v)
{
    char role[8], access[4], path[1100], options[1100], clients[4100];
    if (sscanf(v, "%7s %3s %1099s %1099s %4099s", role, access, path, options, clients) != 5)
        return -EBADMSG;
    nfsroot_export e = {
        .is_root = !strcmp(role, "root"),
        .readonly = !strcmp(access, "ro"),
        .path = strdup(path),
        .options = strdup(options),
        .clients = strv_split(clients, ","),
    };
    if (!e.path || !e.options || !e.clients || push_export(plan, &e) < 0) {
        free(e.path);
        free(e.options);
        strv_free(e.clients);
        return -ENOMEM;
    }
    return 0;
}

static int parse_state(char *text, nfsroot_state *s)
{
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, STATE_MAGIC) != 0)
        return -EBADMSG;
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *sp = strchr(line, ' ');
        if (!sp)
            return -EBADMSG;
        *sp = '\0';
        const char *k = line, *v = sp + 1;
        int r = 0;
        if (!strcmp(k, "domain"))
            r = (s->plan->domain = strdup(v)) ? 0 : -ENOMEM;
        else if (!strcmp(k, "uuid"))
            snprintf(s->plan->uuid, sizeof(s->plan->uuid), "%s", v);
        else if (!strcmp(k, "backend"))
            r = nfsroot_backend_kind_from_string(v, &s->backend);
        else if (!strcmp(k, "since"))
            s->since = strtoll(v, NULL, 10);
        else if (!strcmp(k, "server"))
            r = (s->plan->server = strdup(v)) ? 0 : -ENOMEM;
        else if (!strcmp(k, "subnet_wide"))
            s->plan->subnet_wide = !strcmp(v, "1");
        else if (!strcmp(k, "export"))
            r = parse_export_line(s->plan, v);
        if (r < 0)
            return r == -ENOMEM ? r : -EBADMSG;
    }
    return s->plan->domain ? 0 : -EBADMSG;
}

static int read_state_file(int dfd, const char *file, nfsroot_state **ret)
{
    _cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    char fdpath[64];
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
    _cleanup_free_ char *text = NULL;
    int r = read_file_all(fdpath, 1024 * 1024, &text, NULL);
    if (r < 0)
        return r;
    _cleanup_(state_freep) nfsroot_state *s = calloc(1, sizeof(*s));
    if (!s || !(s->plan = calloc(1, sizeof(*s->plan))))
        return -ENOMEM;
    r = parse_state(text, s);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(s);
    return 0;
}

int nfsroot_state_read(const nfsroot_policy *p, const char *name, nfsroot_state **ret,
                       nfsroot_error *err)
{
    char dir[4096], file[512];
    int r = domains_dir(p, dir, sizeof(dir));
    if (r < 0)
        return r;
    if (!record_name_ok(name))
        return -ENOENT;
    snprintf(file, sizeof(file), "%s" STATE_SUFFIX, name);
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? -ENOENT : -errno;
    r = read_state_file(dfd, file, ret);
    if (r < 0 && r != -ENOENT)
        return nfsroot_err(err, r, name, "state", dir, 0, "cannot read the record '%s/%s': %s", dir,
                           file, strerror(-r));
    return r;
}

static void put(char **buf, size_t *len, const char *fmt, ...) _printf_(3, 4);
static void put(char **buf, size_t *len, const char *fmt, ...)
{
    if (!*buf)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *nb = realloc(*buf, *len + (size_t)n + 1);
    if (!nb) {
        free(*buf);
        *buf = NULL;
        return;
    }
    *buf = nb;
    va_start(ap, fmt);
    vsnprintf(*buf + *len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
}

int nfsroot_state_write(const nfsroot_policy *p, const nfsroot_state *s, nfsroot_error *err)
{
    const nfsroot_plan *plan = s->plan;
    size_t len = 0;
    char *buf = calloc(1, 1);
    put(&buf, &len, STATE_MAGIC "\ndomain %s\nuuid %s\nbackend %s\nsince %lld\n", plan->domain,
        plan->uuid, nfsroot_backend_kind_to_string(s->backend), (long long)s->since);
    if (plan->server)
        put(&buf, &len, "server %s\n", plan->server);
    put(&buf, &len, "subnet_wide %d\n", plan->subnet_wide ? 1 : 0);
    for (size_t i = 0; i < plan->n_exports; i++) {
        const nfsroot_export *e = &plan->exports[i];
        _cleanup_free_ char *clients = strv_join(e->clients, ",");
        put(&buf, &len, "export %s %s %s %s %s\n", e->is_root ? "root" : "extra",
            e->readonly ? "ro" : "rw", e->path, e->options, clients ? clients : "");
    }
    _cleanup_free_ char *data = buf;
    if (!data)
        return -ENOMEM;
    char dir[4096], file[512];
    int r = domains_dir(p, dir, sizeof(dir));
    if (r < 0)
        return r;
    snprintf(file, sizeof(file), "%s" STATE_SUFFIX, plan->domain);
    r = write_file_atomic(dir, file, data, len, 0644);
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

int nfsroot_state_list(const nfsroot_policy *p, nfsroot_state ***ret, size_t *ret_n,
                       nfsroot_error *err)
{
    char dir[4096];
    int r = domains_dir(p, dir, sizeof(dir));
    if (r < 0)
        return r;
    nfsroot_state **list = NULL;
    size_t n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno != ENOENT)
            return nfsroot_err(err, -errno, NULL, "state", dir, 0, "cannot list '%s': %s", dir,
                               strerror(errno));
        *ret = NULL;
        *ret_n = 0;
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l <= strlen(STATE_SUFFIX) ||
            strcmp(de->d_name + l - strlen(STATE_SUFFIX), STATE_SUFFIX) != 0)
            continue;
        nfsroot_state *s = NULL;
        r = read_state_file(dirfd(d), de->d_name, &s);
        if (r == -ENOENT) {
            r = 0; /* removed while we listed */
            continue;
        }
        if (r < 0) {
            r = nfsroot_err(err, r, NULL, "state", dir, 0, "cannot read the record '%s/%s': %s",
                            dir, de->d_name, strerror(-r));
            break;
        }
        nfsroot_state **nl = realloc(list, (n + 2) * sizeof(*nl));
        if (!nl) {
            nfsroot_state_free(s);
            r = -ENOMEM;
            break;
        }
        list = nl;
        list[n++] = s;
        list[n] = NULL;
    }
    closedir(d);
    if (r < 0) {
        nfsroot_state_list_free(list, n);
        return r;
    }
    *ret = list;
    *ret_n = n;
    return 0;
}
