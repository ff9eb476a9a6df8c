/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exports(5) files as nfs-utils reads them (support/nfs/exports.c, xio.c): the one parser for
 * every reader of /etc/exports and exports.d. Pure: text in, entries out. The files may have
 * been written by anyone with root on the host, or by an older virt-nfsroot: bounded. */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "formats.h"

#define EXPORTS_MAX_BYTES (4u * 1024 * 1024)
#define EXPORTS_MAX_ENTRIES 65536u
#define EXPORTS_MAX_TOKEN 4096u

typedef struct cursor {
    const char *s, *end;
    int line;
    nfsroot_error *err;
} cursor;

typedef struct entries {
    nfsroot_exports_entry *v;
    size_t n;
} entries;

void nfsroot_exports_free(nfsroot_exports_entry *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].path);
        free(v[i].client);
        free(v[i].options);
    }
    free(v);
}

static bool at_continuation(const cursor *c)
{
    return c->s + 1 < c->end && c->s[0] == '\\' && c->s[1] == '\n';
}

/* Blanks, and a backslash ending a line, which nfs-utils reads as a blank. */
static void skip_blanks(cursor *c)
{
    for (;;) {
        if (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\r'))
            c->s++;
        else if (at_continuation(c)) {
            c->s += 2;
            c->line++;
        } else
            return;
    }
}

static bool octal_escape(const cursor *c, char *ret)
{
    if (c->end - c->s < 4 || c->s[0] != '\\')
        return false;
    unsigned v = 0;
    for (int i = 1; i <= 3; i++) {
        if (c->s[i] < '0' || c->s[i] > '7')
            return false;
        v = v * 8 + (unsigned)(c->s[i] - '0');
    }
    if (v == 0 || v > 0xff)
        return false;
    *ret = (char)v;
    return true;
}

/* One token into buf: double quotes group blanks (and are dropped), \ooo is an octal byte. */
static int read_token(cursor *c, char *buf, size_t len)
{
    bool quoted = false;
    size_t n = 0;
    while (c->s < c->end) {
        char ch = *c->s;
        if (ch == '\n' ||
            (!quoted && (ch == ' ' || ch == '\t' || ch == '\r' || at_continuation(c))))
            break;
        if (ch == '"') {
            quoted = !quoted;
            c->s++;
            continue;
        }
        c->s += octal_escape(c, &ch) ? 4 : 1;
        if (ch == '\0')
            return nfsroot_err(c->err, -EINVAL, NULL, "exports", NULL, c->line,
                               "line %d holds a NUL byte", c->line);
        if (n + 1 >= len)
            return nfsroot_err(c->err, -ENAMETOOLONG, NULL, "exports", NULL, c->line,
                               "line %d has a word longer than %zu bytes", c->line, len - 1);
        buf[n++] = ch;
    }
    buf[n] = '\0';
    if (quoted)
        return nfsroot_err(c->err, -EINVAL, NULL, "exports", NULL, c->line,
                           "line %d has a '\"' that is never closed", c->line);
    return 1;
}

/* The next token of the current entry: 1, or 0 at its end (newline, end of text, comment). */
static int next_token(cursor *c, char *buf, size_t len)
{
    skip_blanks(c);
    if (c->s < c->end && *c->s == '#')
        while (c->s < c->end && *c->s != '\n')
            c->s++;
    if (c->s >= c->end)
        return 0;
    if (*c->s == '\n') {
        c->s++;
        c->line++;
        return 0;
    }
    return read_token(c, buf, len);
}

static int push_entry(entries *out, const char *path, const char *client, const char *defaults,
                      const char *opts, int line, nfsroot_error *err)
{
    if (out->n >= EXPORTS_MAX_ENTRIES)
        return nfsroot_err(err, -E2BIG, NULL, "exports", NULL, line,
                           "more than %u entries: not an exports file this host could serve",
                           EXPORTS_MAX_ENTRIES);
    nfsroot_exports_entry *nv = realloc(out->v, (out->n + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    out->v = nv;
    nfsroot_exports_entry *e = &nv[out->n];
    *e = (nfsroot_exports_entry){ .line = line };
    /* Options given to a client come after the line's defaults, so they win (as in nfs-utils). */
    if (asprintf(&e->options, "%s%s%s", defaults, defaults[0] && opts[0] ? "," : "", opts) < 0) {
        e->options = NULL;
        return -ENOMEM;
    }
    e->path = strdup(path);
    e->client = strdup(client);
    out->n++;
    return e->path && e->client ? 0 : -ENOMEM;
}

/* "client(opts)", "client" or "(opts)": one entry for path. */
static int push_client(entries *out, const char *path, char *tok, const char *defaults, int line,
                       nfsroot_error *err)
{
    char *lp = strchr(tok, '('), *opts = (char *)"";
    if (lp) {
        size_t n = strlen(lp);
        if (n < 2 || lp[n - 1] != ')' || strpbrk(lp + 1, "()") != lp + n - 1)
            return nfsroot_err(err, -EINVAL, NULL, "exports", NULL, line,
                               "line %d: '%s' is not 'client(options)'", line, tok);
        *lp = '\0';
        lp[n - 1] = '\0';
        opts = lp + 1;
    } else if (strchr(tok, ')'))
        return nfsroot_err(err, -EINVAL, NULL, "exports", NULL, line,
                           "line %d: '%s' has a ')' without '('", line, tok);
    return push_entry(out, path, tok, defaults, opts, line, err);
}

/* One entry: path, optional "-defaults", then clients; a path alone is exported to everyone. */
static int parse_entry(cursor *c, entries *out)
{
    _cleanup_free_ char *path = malloc(EXPORTS_MAX_TOKEN), *tok = malloc(EXPORTS_MAX_TOKEN);
    _cleanup_free_ char *defaults = calloc(1, EXPORTS_MAX_TOKEN);
    if (!path || !tok || !defaults)
        return -ENOMEM;
    int line = c->line;
    int r = next_token(c, path, EXPORTS_MAX_TOKEN);
    if (r <= 0)
        return r;
    bool any = false;
    while ((r = next_token(c, tok, EXPORTS_MAX_TOKEN)) > 0) {
        if (tok[0] == '-' && !any && !defaults[0]) {
            snprintf(defaults, EXPORTS_MAX_TOKEN, "%s", tok + 1);
            continue;
        }
        if (tok[0] == '-')
            return nfsroot_err(c->err, -EINVAL, NULL, "exports", NULL, line,
                               "line %d: default options '%s' must come right after the path", line,
                               tok);
        r = push_client(out, path, tok, defaults, line, c->err);
        if (r < 0)
            return r;
        any = true;
    }
    if (r < 0)
        return r;
    return any ? 0 : push_entry(out, path, "", defaults, "", line, c->err);
}

int nfsroot_exports_parse(const char *text, size_t len, nfsroot_exports_entry **ret, size_t *ret_n,
                          nfsroot_error *err)
{
    if (len > EXPORTS_MAX_BYTES)
        return nfsroot_err(err, -EFBIG, NULL, "exports", NULL, 0,
                           "the file is larger than %u bytes", EXPORTS_MAX_BYTES);
    cursor c = { .s = text, .end = text + len, .line = 1, .err = err };
    entries out = { 0 };
    while (c.s < c.end) {
        int r = parse_entry(&c, &out);
        if (r < 0) {
            nfsroot_exports_free(out.v, out.n);
            return r;
        }
    }
    *ret = out.v;
    *ret_n = out.n;
    return 0;
}

static int mask_prefix(const char *s, unsigned max)
{
    struct in_addr m;
    if (max == 32 && strchr(s, '.')) {
        if (inet_pton(AF_INET, s, &m) != 1)
            return -EINVAL;
        uint32_t v = ntohl(m.s_addr);
        unsigned p = (unsigned)__builtin_popcount(v);
        return p && v != (uint32_t)(0xffffffffu << (32 - p)) ? -EINVAL : (int)p;
    }
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    return !*s || *end || v > max ? -EINVAL : (int)v;
}

int nfsroot_exports_client_cidr(const char *client, nfsroot_cidr *ret)
{
    char buf[256];
    if (snprintf(buf, sizeof(buf), "%s", client) >= (int)sizeof(buf))
        return -EINVAL;
    char *a = buf, *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (*a == '[') { /* [v6addr]/len */
        size_t n = strlen(a);
        if (n < 2 || a[n - 1] != ']')
            return -EINVAL;
        a[n - 1] = '\0';
        a++;
    }
    nfsroot_cidr c = { .family = AF_INET };
    if (inet_pton(AF_INET, a, c.addr) != 1) {
        c.family = AF_INET6;
        if (inet_pton(AF_INET6, a, c.addr) != 1)
            return -EINVAL; /* a host name, wildcard or netgroup */
    }
    unsigned max = c.family == AF_INET ? 32 : 128;
    int prefix = slash ? mask_prefix(slash + 1, max) : (int)max;
    if (prefix < 0)
        return prefix;
    c.prefix = (uint8_t)prefix;
    for (unsigned bit = c.prefix; bit < max; bit++)
        c.addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
    *ret = c;
    return 0;
}
