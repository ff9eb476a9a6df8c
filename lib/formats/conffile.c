/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nfs-utils' configuration file format, as its conffile.c reads nfs.conf(5) and idmapd.conf(5):
 * [section] headers, "key = value" lines, '#' and ';' comment lines, names compared without
 * case. The one reader of that format: doctor's nfs.conf check and the boot check's idmapd.conf
 * both ask it. */
#include <strings.h>

#include "formats.h"

#define CONFFILE_TEXT_MAX (4u << 20) /* nfs.conf is a few KiB */
#define CONFFILE_ENTRIES_MAX 512     /* nfs.conf(5) knows about 80 keys; bounds the lookups */

/* The settings as one list: section, key, value, section, key, value, ..., NULL. */
struct nfsroot_conffile {
    char **v;
    size_t n; /* settings, a third of the list */
};

void nfsroot_conffile_free(nfsroot_conffile *c)
{
    if (c)
        strv_free(c->v);
    free(c);
}

/* Where the value of section's key is in the list, or NULL. */
static char **find(const nfsroot_conffile *c, const char *section, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcasecmp(c->v[3 * i], section) && !strcasecmp(c->v[3 * i + 1], key))
            return &c->v[3 * i + 2];
    return NULL;
}

const char *nfsroot_conffile_get(const nfsroot_conffile *c, const char *section, const char *key)
{
    char **v = c ? find(c, section, key) : NULL;
    return v ? *v : NULL;
}

/* A later value replaces an earlier one, as an nfs.conf.d file overrides nfs.conf. */
static int set(nfsroot_conffile *c, const char *section, const char *key, const char *value)
{
    char **v = find(c, section, key);
    if (v) {
        char *copy = strdup(value);
        if (!copy)
            return -ENOMEM;
        free(*v);
        *v = copy;
        return 0;
    }
    if (c->n >= CONFFILE_ENTRIES_MAX)
        return -E2BIG;
    if (strv_push(&c->v, section) < 0 || strv_push(&c->v, key) < 0 || strv_push(&c->v, value) < 0) {
        /* Drop a partial setting so the list stays in threes. */
        for (size_t i = 3 * c->n; c->v && c->v[i]; i++) {
            free(c->v[i]);
            c->v[i] = NULL;
        }
        return -ENOMEM;
    }
    c->n++;
    return 0;
}

typedef struct conf_parse {
    nfsroot_conffile *c;
    const char *path; /* for messages */
    int line;
    bool skipping;     /* after a broken section header: until the next one */
    char section[256]; /* "" before the first header */
    nfsroot_error *err;
    int r; /* the first unreadable line: -EINVAL */
} conf_parse;

/* Skipped as nfs-utils skips it; the first one is reported. */
static void unreadable(conf_parse *p, const char *field, const char *fmt, ...) _printf_(3, 4);
static void unreadable(conf_parse *p, const char *field, const char *fmt, ...)
{
    if (p->r != 0)
        return;
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    p->r = nfsroot_err(p->err, -EINVAL, NULL, field, p->path, p->line, "%.300s line %d: %s",
                       p->path, p->line, what);
}

static int parse_line(conf_parse *p, char *l)
{
    if (!*l || *l == '#' || *l == ';')
        return 0;
    if (*l == '[') {
        char *e = strchr(l, ']');
        p->skipping = !e;
        if (!e) {
            unreadable(p, "section header", "section header '%.200s' has no ']'", l);
            return 0;
        }
        *e = '\0';
        snprintf(p->section, sizeof(p->section), "%s", strstrip(l + 1));
        return 0;
    }
    char *eq = strchr(l, '=');
    if (!eq) {
        unreadable(p, "line", "'%.200s' is not 'key = value'", l);
        return 0;
    }
    *eq = '\0';
    return p->skipping ? 0 : set(p->c, p->section, strstrip(l), strstrip(eq + 1));
}

int nfsroot_conffile_parse(nfsroot_conffile **settings, const char *text, size_t len,
                           const char *path, nfsroot_error *err)
{
    conf_parse p = { .path = path ? path : "(text)", .err = err };
    if (len > CONFFILE_TEXT_MAX)
        return nfsroot_err(err, -EFBIG, NULL, "file", path, 0, "%s is larger than 4 MiB", p.path);
    if (!*settings && !(*settings = calloc(1, sizeof(**settings))))
        return -ENOMEM;
    p.c = *settings;
    _cleanup_free_ char *copy = strndup(text, len);
    if (!copy)
        return -ENOMEM;
    char *next = copy;
    while (next) {
        char *l = strsep(&next, "\n");
        p.line++;
        int r = parse_line(&p, strstrip(l));
        if (r < 0)
            return nfsroot_err(err, r, NULL, "file", path, p.line, "%s line %d: %s", p.path, p.line,
                               r == -E2BIG ? "more than 512 settings" : strerror(-r));
    }
    return p.r;
}
