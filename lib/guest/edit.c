/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure edits of a guest's configuration texts: each takes the old text (NULL: no file) and
 * returns the new one, keeping every line it has no reason to touch. */
#include <ctype.h>
#include <strings.h>

#include "edit.h"
#include "formats.h"

/* fn for each line of text (without its newline), then end: what they write is the edited text
 * in *ret. Either returns <0 to stop. */
typedef int (*line_fn)(const char *line, size_t len, FILE *out, void *data);
typedef int (*end_fn)(FILE *out, void *data);

static int edit_lines(const char *text, line_fn fn, end_fn end, void *data, char **ret)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    _cleanup_fclose_ FILE *out = open_memstream(&buf, &len);
    if (!out)
        return -ENOMEM;
    for (const char *l = text ? text : ""; *l;) {
        size_t n = strcspn(l, "\n");
        int r = fn(l, n, out, data);
        if (r < 0)
            return r;
        l += n;
        if (*l == '\n')
            l++;
    }
    int r = end(out, data);
    if (r < 0)
        return r;
    if (fclose(TAKE_PTR(out)) != 0)
        return -ENOMEM;
    *ret = TAKE_PTR(buf);
    return 0;
}

static int emit(const char *l, size_t n, FILE *out)
{
    return fprintf(out, "%.*s\n", (int)n, l) < 0 ? -ENOMEM : 0;
}

/* The n-th whitespace-separated field of a line into buf ("" when absent). */
static void field(const char *l, size_t len, unsigned n, char *buf, size_t blen)
{
    const char *e = l + len;
    buf[0] = '\0';
    for (unsigned i = 0; l < e; i++) {
        while (l < e && isspace((unsigned char)*l))
            l++;
        const char *s = l;
        while (l < e && !isspace((unsigned char)*l))
            l++;
        if (i == n && l > s) {
            snprintf(buf, blen, "%.*s", (int)(l - s), s);
            return;
        }
    }
}

static bool is_comment(const char *l, size_t n)
{
    while (n && isspace((unsigned char)*l))
        l++, n--;
    return !n || *l == '#';
}

typedef struct fstab_edit {
    const char *spec;
    bool portage_tmpfs, has_portage, root_done;
} fstab_edit;

#define FSTAB_COMMENT                                                                              \
    "# / is mounted by the initramfs (dracut's nfs module); systemd remounts it rw."

/* The root line goes where the first old one (or our comment) was, so a second run changes
 * nothing. */
static int fstab_root(fstab_edit *fe, FILE *out)
{
    if (fe->root_done)
        return 0;
    fe->root_done = true;
    return fprintf(out, "%s\n%s / nfs4 rw 0 0\n", FSTAB_COMMENT, fe->spec) < 0 ? -ENOMEM : 0;
}

static int fstab_line(const char *l, size_t n, FILE *out, void *data)
{
    fstab_edit *fe = data;
    if (n == strlen(FSTAB_COMMENT) && memcmp(l, FSTAB_COMMENT, n) == 0)
        return fstab_root(fe, out);
    char mnt[1024];
    field(l, n, 1, mnt, sizeof(mnt));
    if (!is_comment(l, n) && strcmp(mnt, "/") == 0)
        return fstab_root(fe, out); /* the old root line: replaced */
    if (!is_comment(l, n) && strcmp(mnt, "/var/tmp/portage") == 0)
        fe->has_portage = true;
    return emit(l, n, out);
}

static int fstab_end(FILE *out, void *data)
{
    fstab_edit *fe = data;
    int r = fstab_root(fe, out);
    if (r < 0)
        return r;
    /* Portage's locks fail on NFS: its build directory lives in memory. */
    if (fe->portage_tmpfs && !fe->has_portage)
        fprintf(out, "%s\n", GUEST_PORTAGE_FSTAB_LINE);
    return 0;
}

int guest_edit_fstab(const char *old, const char *spec, bool portage_tmpfs, char **ret)
{
    fstab_edit fe = { .spec = spec, .portage_tmpfs = portage_tmpfs };
    return edit_lines(old, fstab_line, fstab_end, &fe, ret);
}

typedef struct ini_edit {
    const char *section; /* "[General]" */
    const char *key;     /* "Domain" */
    const char *line;    /* the whole new line "Domain = x" */
    bool in, seen_section, done, old_empty;
    unsigned blanks; /* blank lines held back: a key added to a section goes before them */
} ini_edit;

/* Is line "key = ..." (key compared without case, blanks around '=')? */
static bool is_key(const char *l, size_t n, const char *key)
{
    while (n && isspace((unsigned char)*l))
        l++, n--;
    size_t k = strlen(key);
    if (n < k || strncasecmp(l, key, k) != 0)
        return false;
    l += k, n -= k;
    while (n && isspace((unsigned char)*l))
        l++, n--;
    return n && *l == '=';
}

static void ini_flush(ini_edit *ie, FILE *out, bool section_ends)
{
    if (section_ends && ie->in && !ie->done) { /* the section had no such key: add it */
        fprintf(out, "%s\n", ie->line);
        ie->done = true;
    }
    for (; ie->blanks; ie->blanks--)
        fputc('\n', out);
}

static int ini_line(const char *l, size_t n, FILE *out, void *data)
{
    ini_edit *ie = data;
    const char *t = l;
    size_t tn = n;
    while (tn && isspace((unsigned char)*t))
        t++, tn--;
    if (!tn) {
        ie->blanks++;
        return 0;
    }
    if (*t == '[') {
        ini_flush(ie, out, true);
        size_t sl = strlen(ie->section);
        ie->in = tn >= sl && strncasecmp(t, ie->section, sl) == 0;
        ie->seen_section |= ie->in;
        return emit(l, n, out);
    }
    ini_flush(ie, out, false);
    if (ie->in && is_key(l, n, ie->key)) {
        if (!ie->done)
            fprintf(out, "%s\n", ie->line);
        ie->done = true;
        return 0;
    }
    return emit(l, n, out);
}

static int ini_end(FILE *out, void *data)
{
    ini_edit *ie = data;
    /* Still in the section at the end of the file: the key goes after its last line. */
    ini_flush(ie, out, true);
    if (!ie->done)
        fprintf(out, "%s%s\n%s\n", ie->old_empty ? "" : "\n", ie->section, ie->line);
    return 0;
}

int guest_edit_ini(const char *old, const char *section, const char *key, const char *line,
                   char **ret)
{
    ini_edit ie = { .section = section, .key = key, .line = line, .old_empty = !old || !*old };
    return edit_lines(old, ini_line, ini_end, &ie, ret);
}

typedef struct shadow_edit {
    const char *hash;
    bool done;
} shadow_edit;

static int shadow_line(const char *l, size_t n, FILE *out, void *data)
{
    shadow_edit *se = data;
    if (n > 5 && memcmp(l, "root:", 5) == 0 && !se->done) {
        const char *rest = memchr(l + 5, ':', n - 5);
        se->done = true;
        return fprintf(out, "root:%s%.*s\n", se->hash, rest ? (int)(l + n - rest) : 0,
                       rest ? rest : "") < 0
                   ? -ENOMEM
                   : 0;
    }
    return emit(l, n, out);
}

static int shadow_end(FILE *out, void *data)
{
    shadow_edit *se = data;
    if (!se->done)
        fprintf(out, "root:%s:19000:0:99999:7:::\n", se->hash);
    return 0;
}

int guest_edit_shadow(const char *old, const char *hash, char **ret)
{
    shadow_edit se = { .hash = hash };
    return edit_lines(old, shadow_line, shadow_end, &se, ret);
}

bool guest_shadow_root_usable(const char *shadow)
{
    for (const char *l = shadow ? shadow : ""; *l;) {
        size_t w = strcspn(l, "\n");
        if (w > 5 && memcmp(l, "root:", 5) == 0)
            return l[5] != ':' && l[5] != '!' && l[5] != '*' && l[5] != '\n' && l[5];
        l += w + (l[w] == '\n');
    }
    return false;
}

int guest_group_gid(const char *group, const char *name, unsigned *ret)
{
    size_t nl = strlen(name);
    for (const char *l = group ? group : ""; *l;) {
        size_t w = strcspn(l, "\n");
        /* name:password:GID:members */
        const char *p = w > nl && memcmp(l, name, nl) == 0 && l[nl] == ':'
                            ? memchr(l + nl + 1, ':', w - nl - 1)
                            : NULL;
        if (p) {
            unsigned long v = 0;
            size_t digits = 0;
            for (p++; digits < 10 && p < l + w && *p >= '0' && *p <= '9'; p++, digits++)
                v = v * 10 + (unsigned long)(*p - '0');
            /* a number of at most 9 digits, ending the field */
            if (digits == 0 || digits > 9 || (p < l + w && *p != ':'))
                return -EINVAL;
            *ret = (unsigned)v;
            return 0;
        }
        l += w;
        if (*l)
            l++;
    }
    return -ENOENT;
}

bool guest_text_has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *l = text ? text : ""; *l;) {
        size_t w = strcspn(l, "\n");
        if (w == n && memcmp(l, line, n) == 0)
            return true;
        l += w;
        if (*l)
            l++;
    }
    return false;
}

/* Line l (n bytes) of dnf.conf: a section header updates *in_main; true for tsflags in [main]. */
static bool dnf_main_tsflags(const char *l, size_t n, bool *in_main)
{
    const char *t = l;
    while (t < l + n && isspace((unsigned char)*t))
        t++;
    if (t < l + n && *t == '[') {
        *in_main = strncasecmp(t, "[main]", 6) == 0;
        return false;
    }
    return *in_main && is_key(l, n, "tsflags");
}

/* Does dnf's [main] tsflags (a list: commas or blanks) include nocaps? */
bool guest_dnf_has_nocaps(const char *text)
{
    bool main_ = false;
    for (const char *l = text ? text : ""; *l;) {
        size_t n = strcspn(l, "\n");
        if (dnf_main_tsflags(l, n, &main_)) {
            const char *v = memchr(l, '=', n) + 1;
            for (const char *w = v; w < l + n;) {
                w += strspn(w, " \t,");
                size_t wl = strcspn(w, " \t,\n");
                if (wl == 6 && memcmp(w, "nocaps", 6) == 0)
                    return true;
                w += wl ? wl : 1;
            }
        }
        l += n;
        if (*l)
            l++;
    }
    return false;
}

/* The tsflags value in [main] with nocaps added ("nodocs" -> "nodocs,nocaps"). */
int guest_edit_dnf(const char *old, char **ret)
{
    if (guest_dnf_has_nocaps(old)) /* nothing to add (and never "nocaps,nocaps") */
        return (*ret = strdup(old)) ? 0 : -ENOMEM;
    _cleanup_free_ char *flags = NULL;
    bool main_ = false;
    for (const char *l = old ? old : ""; *l;) {
        size_t n = strcspn(l, "\n");
        if (dnf_main_tsflags(l, n, &main_)) {
            const char *v = (const char *)memchr(l, '=', n) + 1;
            v += strspn(v, " \t");
            free(flags);
            flags = strndup(v, (size_t)(l + n - v));
            if (!flags)
                return -ENOMEM;
        }
        l += n;
        if (*l)
            l++;
    }
    _cleanup_free_ char *line = NULL;
    if (asprintf(&line, "tsflags=%s%snocaps", flags && *flags ? flags : "",
                 flags && *flags ? "," : "") < 0)
        return -ENOMEM;
    return guest_edit_ini(old, "[main]", "tsflags", line, ret);
}
