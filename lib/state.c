/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "backend/backend.h"
#include "internal.h"

#define NFSROOT_LOCK_TIMEOUT_MS (120u * 1000)
#define STATE_SUFFIX ".state"

void nfsroot_state_free(nfsroot_state *s)
{
    if (!s)
        return;
    nfsroot_plan_free(s->plan);
    free(s);
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
        if (waited_ms >= lock_timeout_ms()) {
            close(fd);
            return nfsroot_err(err, -ETIMEDOUT, NULL, "state", lock, 0,
                               "another virt-nfsroot operation has held '%s' for %u s: look for "
                               "a stuck virt-nfsroot or exportfs process",
                               lock, lock_timeout_ms() / 1000);
        }
        struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    *ret_fd = fd;
    return 0;
}

/* Records, version 2 (version 1 lacks the "end" line and is read by the same strict rules):
 *   virt-nfsroot-state 2
 *   domain NAME            (the rest of the line; equal to the file's name)
 *   uuid UUID
 *   backend kernel|ganesha
 *   since SECONDS
 *   server ADDRESS         (optional)
 *   subnet_wide 0|1
 *   export root|extra ro|rw PATH OPTIONS CLIENT[,CLIENT...]   (any number, in order)
 *   end
 * No token can hold a space, a comma where it separates, or a newline (paths, options and
 * clients are restricted to characters that cannot), so a record either reads back exactly what
 * was written or is refused whole: never cut, never shifted into the next field. */
#define STATE_MAGIC_V1 "virt-nfsroot-state 1"
#define STATE_MAGIC "virt-nfsroot-state 2"
/* A record holds a plan, plus while an apply runs the pairs the previous plan drops: at most
 * twice a plan's limits, 32 export lines and 64 clients. Its size then stays under
 * 32 * (16 + 1023 + 1 + 200 + 2) + 64 * 44 + 370 = 42,930 bytes: a record is refused above
 * 64 KiB when written, and never read above 1 MiB. */
#define RECORD_EXPORTS_MAX (2 * NFSROOT_EXPORTS_MAX)
#define RECORD_PAIRS_MAX (2 * NFSROOT_PAIRS_MAX)
#define RECORD_WRITE_MAX (64u * 1024)
#define RECORD_READ_MAX (1024u * 1024)

static const char option_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_=.:@-,";
static const char path_token_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789/._-+@=~%";

typedef struct reader {
    nfsroot_plan *plan;
    size_t pairs;
    char why[200]; /* what was wrong, for the one sentence about the record */
} reader;

static int bad(reader *rd, unsigned line, const char *fmt, ...) _printf_(3, 4);
static int bad(reader *rd, unsigned line, const char *fmt, ...)
{
    int n = snprintf(rd->why, sizeof(rd->why), "line %u: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rd->why + n, sizeof(rd->why) - (size_t)n, fmt, ap);
    va_end(ap);
    return -EBADMSG;
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

/* Split s in place at single spaces into at most max tokens; an empty token is refused. */
static int split_tokens(char *s, char **tok, size_t max)
{
    size_t n = 0;
    for (char *q = s;; q++) {
        char *sp = strchr(q, ' ');
        if (n == max)
            return -1;
        tok[n++] = q;
        if (!sp)
            break;
        *sp = '\0';
        q = sp;
    }
    for (size_t i = 0; i < n; i++)
        if (!tok[i][0])
            return -1;
    return (int)n;
}

static int read_clients(reader *rd, unsigned line, const char *list, char ***ret)
{
    _cleanup_strv_free_ char **v = calloc(1, sizeof(char *));
    if (!v)
        return -ENOMEM;
    size_t n = 0;
    for (const char *q = list;;) {
        size_t l = strcspn(q, ",");
        char item[64], canon[64];
        nfsroot_cidr c;
        if (l == 0 || l >= sizeof(item))
            return bad(rd, line, "a client is empty or longer than a CIDR");
        memcpy(item, q, l);
        item[l] = '\0';
        if (nfsroot_cidr_parse(item, &c) < 0 ||
            strcmp(nfsroot_cidr_format(&c, canon, sizeof(canon)), item) != 0)
            return bad(rd, line, "client '%s' is not a canonical CIDR", item);
        if (++n > NFSROOT_CLIENTS_MAX)
            return bad(rd, line, "more than %d clients", NFSROOT_CLIENTS_MAX);
        if (strv_push(&v, item) < 0)
            return -ENOMEM;
        if (!q[l])
            break;
        q += l + 1;
    }
    rd->pairs += n;
    if (rd->pairs > RECORD_PAIRS_MAX)
        return bad(rd, line, "more than %d (path, client) pairs", RECORD_PAIRS_MAX);
    *ret = TAKE_PTR(v);
    return 0;
}

/* "export root|extra ro|rw PATH OPTIONS CLIENT[,CLIENT...]", split into tok[1..5]. */
static int read_export(reader *rd, unsigned line, char **tok)
{
    bool root = !strcmp(tok[1], "root"), ro = !strcmp(tok[2], "ro");
    if ((!root && strcmp(tok[1], "extra")) || (!ro && strcmp(tok[2], "rw")))
        return bad(rd, line, "role or access is not root/extra, ro/rw");
    size_t pl = strlen(tok[3]), ol = strlen(tok[4]);
    if (tok[3][0] != '/' || pl > NFSROOT_PATH_MAX || strspn(tok[3], path_token_chars) != pl)
        return bad(rd, line,
                   "the path is not absolute, too long or holds a character no "
                   "export path may hold");
    if (ol > NFSROOT_OPTIONS_MAX || strspn(tok[4], option_chars) != ol)
        return bad(rd, line, "options of %zu characters (at most %d, letters, digits, '_=.:@-,')",
                   ol, NFSROOT_OPTIONS_MAX);
    if (rd->plan->n_exports >= RECORD_EXPORTS_MAX)
        return bad(rd, line, "more than %d exports", RECORD_EXPORTS_MAX);
    nfsroot_export e = { .is_root = root, .readonly = ro };
    int r = read_clients(rd, line, tok[5], &e.clients);
    if (r < 0)
        return r;
    e.path = strdup(tok[3]);
    e.options = strdup(tok[4]);
    if (!e.path || !e.options || push_export(rd->plan, &e) < 0) {
        free(e.path);
        free(e.options);
        strv_free(e.clients);
        return -ENOMEM;
    }
    return 0;
}

bool nfsroot_uuid_is_valid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (size_t i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
                                                      : !isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool is_address(const char *s)
{
    unsigned char a[16];
    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* One "key value" line but for export lines. seen: bit per key, a key may appear once. */
static int read_field(reader *rd, nfsroot_state *s, unsigned line, const char *k, const char *v,
                      unsigned *seen)
{
    static const char *const keys[] = { "domain", "uuid",   "backend",
                                        "since",  "server", "subnet_wide" };
    size_t i = 0;
    while (i < ELEMENTSOF(keys) && strcmp(k, keys[i]))
        i++;
    if (i == ELEMENTSOF(keys))
        return bad(rd, line, "unknown key '%.40s'", k);
    if (*seen & (1u << i))
        return bad(rd, line, "key '%s' appears twice", k);
    *seen |= 1u << i;
    size_t vl = strlen(v);
    switch (i) {
    case 0:
        return (s->plan->domain = strdup(v)) ? 0 : -ENOMEM;
    case 1:
        if (!nfsroot_uuid_is_valid(v))
            return bad(rd, line, "the uuid is not a UUID");
        memcpy(s->plan->uuid, v, 37);
        return 0;
    case 2:
        return nfsroot_backend_kind_from_string(v, &s->backend) < 0
                   ? bad(rd, line, "unknown backend")
                   : 0;
    case 3:
        if (vl == 0 || vl > 18 || strspn(v, "0123456789") != vl)
            return bad(rd, line, "since is not a number of seconds");
        s->since = strtoll(v, NULL, 10);
        return 0;
    case 4:
        if (!is_address(v))
            return bad(rd, line, "the server is not a numeric address");
        return (s->plan->server = strdup(v)) ? 0 : -ENOMEM;
    default:
        if (strcmp(v, "0") && strcmp(v, "1"))
            return bad(rd, line, "subnet_wide is not 0 or 1");
        s->plan->subnet_wide = v[0] == '1';
        return 0;
    }
}

static int read_line(reader *rd, nfsroot_state *s, unsigned line, char *text, unsigned *seen)
{
    char *sp = strchr(text, ' ');
    if (!sp)
        return bad(rd, line, "no value");
    *sp = '\0';
    if (strcmp(text, "export") != 0)
        return read_field(rd, s, line, text, sp + 1, seen);
    char *tok[7];
    tok[0] = text;
    if (split_tokens(sp + 1, tok + 1, 6) != 5)
        return bad(rd, line, "an export line does not have exactly 6 fields");
    return read_export(rd, line, tok);
}

/* Parse a whole record strictly: anything that does not read back exactly is refused. */
static int parse_state(char *text, size_t len, const char *name, nfsroot_state *s, reader *rd)
{
    rd->plan = s->plan;
    if (strlen(text) != len)
        return bad(rd, 0, "the record holds a NUL byte");
    if (len == 0 || text[len - 1] != '\n')
        return bad(rd, 0, "the record does not end with a newline");
    text[len - 1] = '\0';
    char *save = text, *line = strsep(&save, "\n");
    bool v1 = !strcmp(line, STATE_MAGIC_V1);
    if (!v1 && strcmp(line, STATE_MAGIC) != 0)
        return bad(rd, 1, "not a virt-nfsroot record of version 1 or 2");
    unsigned seen = 0, no = 1;
    bool ended = false;
    while ((line = strsep(&save, "\n"))) {
        no++;
        if (ended)
            return bad(rd, no, "text after the end line");
        if (!v1 && !strcmp(line, "end")) {
            ended = true;
            continue;
        }
        int r = read_line(rd, s, no, line, &seen);
        if (r < 0)
            return r;
    }
    if (!v1 && !ended)
        return bad(rd, no, "the end line is missing (cut short?)");
    if ((seen & 0x2f) != 0x2f) /* all keys but server */
        return bad(rd, no, "domain, uuid, backend, since or subnet_wide is missing");
    if (strcmp(s->plan->domain, name) != 0)
        return bad(rd, 2, "the record names another domain");
    return 0;
}

/* Read dir's "name.state". Fills why (a short reason) when the record is refused. */
static int read_state_file(int dfd, const char *name, nfsroot_state **ret, char *why,
                           size_t why_len)
{
    char file[512];
    snprintf(file, sizeof(file), "%s" STATE_SUFFIX, name);
    _cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if ((uint64_t)st.st_size > RECORD_READ_MAX) {
        snprintf(why, why_len, "%lld bytes, more than any record can be", (long long)st.st_size);
        return -EFBIG;
    }
    char fdpath[64];
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = read_file_all(fdpath, RECORD_READ_MAX, &text, &len);
    if (r < 0)
        return r;
    _cleanup_(nfsroot_state_freep) nfsroot_state *s = calloc(1, sizeof(*s));
    if (!s || !(s->plan = calloc(1, sizeof(*s->plan))))
        return -ENOMEM;
    reader rd = { 0 };
    r = parse_state(text, len, name, s, &rd);
    if (r < 0) {
        snprintf(why, why_len, "%s", rd.why);
        return r;
    }
    *ret = TAKE_PTR(s);
    return 0;
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

static char *render_state(const nfsroot_state *s, size_t *ret_len)
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
    put(&buf, &len, "end\n");
    *ret_len = len;
    return buf;
}

static bool exports_equal(const nfsroot_export *a, const nfsroot_export *b)
{
    if (a->is_root != b->is_root || a->readonly != b->readonly || strcmp(a->path, b->path) ||
        strcmp(a->options, b->options))
        return false;
    size_t i = 0;
    for (; a->clients[i] && b->clients[i]; i++)
        if (strcmp(a->clients[i], b->clients[i]))
            return false;
    return !a->clients[i] && !b->clients[i];
}

/* The record must read back as exactly what it records: else it is not written at all. */
static int check_round_trip(const nfsroot_state *s, const char *text, size_t len, char *why,
                            size_t why_len)
{
    _cleanup_free_ char *copy = strndup(text, len);
    _cleanup_(nfsroot_state_freep) nfsroot_state *back = calloc(1, sizeof(*back));
    if (!copy || !back || !(back->plan = calloc(1, sizeof(*back->plan))))
        return -ENOMEM;
    reader rd = { 0 };
    int r = parse_state(copy, len, s->plan->domain, back, &rd);
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        snprintf(why, why_len, "it would not read back (%s)", rd.why);
        return -E2BIG;
    }
    bool same = back->plan->n_exports == s->plan->n_exports &&
                !strcmp(back->plan->uuid, s->plan->uuid) &&
                !strcmp(back->plan->server ? back->plan->server : "",
                        s->plan->server ? s->plan->server : "");
    for (size_t i = 0; same && i < s->plan->n_exports; i++)
        same = exports_equal(&back->plan->exports[i], &s->plan->exports[i]);
    if (!same) {
        snprintf(why, why_len, "it would read back differently");
        return -EINVAL;
    }
    return 0;
}

int nfsroot_state_write(const nfsroot_policy *p, const nfsroot_state *s, nfsroot_error *err)
{
    const nfsroot_plan *plan = s->plan;
    size_t len = 0;
    _cleanup_free_ char *data = render_state(s, &len);
    if (!data)
        return -ENOMEM;
    char dir[4096], file[512], why[300] = "";
    int r = domains_dir(p, dir, sizeof(dir));
    if (r < 0)
        return r;
    if (!record_name_ok(plan->domain))
        return nfsroot_err(err, -EINVAL, plan->domain, "state", dir, 0,
                           "the domain name cannot name a record");
    snprintf(file, sizeof(file), "%s" STATE_SUFFIX, plan->domain);
    if (len > RECORD_WRITE_MAX) {
        snprintf(why, sizeof(why), "it would be %zu bytes (at most %u)", len, RECORD_WRITE_MAX);
        r = -E2BIG;
    } else
        r = check_round_trip(s, data, len, why, sizeof(why));
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return nfsroot_err(err, r, plan->domain, "state", dir, 0,
                           "refusing to write the record '%s/%s': %s", dir, file, why);
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
    DIR *d = opendir(dir);
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
    if (d)
        closedir(d);
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
