/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The record text format: what a record of the state dir holds, written and read back strictly.
 * Pure: no files (state.c owns the directory, the lock and the files). */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>

#include "formats.h"
#include "record.h"

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
static_assert(NFSROOT_RECORD_READ_MAX > RECORD_WRITE_MAX, "a written record must read back");

void nfsroot_state_free(nfsroot_state *s)
{
    if (!s)
        return;
    nfsroot_plan_free(s->plan);
    free(s);
}

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

int nfsroot_record_parse(char *text, size_t len, const char *name, nfsroot_state **ret, char *why,
                         size_t why_len)
{
    _cleanup_(nfsroot_state_freep) nfsroot_state *s = calloc(1, sizeof(*s));
    if (!s || !(s->plan = calloc(1, sizeof(*s->plan))))
        return -ENOMEM;
    reader rd = { 0 };
    int r = parse_state(text, len, name, s, &rd);
    if (r < 0) {
        snprintf(why, why_len, "%s", rd.why);
        return r;
    }
    *ret = TAKE_PTR(s);
    return 0;
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
    if (!copy)
        return -ENOMEM;
    _cleanup_(nfsroot_state_freep) nfsroot_state *back = NULL;
    char parse_why[200] = "";
    int r = nfsroot_record_parse(copy, len, s->plan->domain, &back, parse_why, sizeof(parse_why));
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        snprintf(why, why_len, "it would not read back (%s)", parse_why);
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

int nfsroot_record_format(const nfsroot_state *s, char **ret, size_t *ret_len, char *why,
                          size_t why_len)
{
    size_t len = 0;
    _cleanup_free_ char *data = render_state(s, &len);
    if (!data)
        return -ENOMEM;
    if (len > RECORD_WRITE_MAX) {
        snprintf(why, why_len, "it would be %zu bytes (at most %u)", len, RECORD_WRITE_MAX);
        return -E2BIG;
    }
    int r = check_round_trip(s, data, len, why, why_len);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(data);
    *ret_len = len;
    return 0;
}
