/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The list of boot-check findings: what the checks say about a guest, by level. */
#include "formats.h"

int nfsroot_findings_new(nfsroot_findings **ret)
{
    nfsroot_findings *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    *ret = f;
    return 0;
}

void nfsroot_findings_free(nfsroot_findings *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].file);
        free(f->items[i].message);
    }
    free(f->items);
    free(f);
}

int nfsroot_findings_add(nfsroot_findings *f, nfsroot_finding_level level, const char *code,
                         const char *file, const char *fmt, ...)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        nfsroot_finding *n = realloc(f->items, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        f->items = n;
        f->cap = cap;
    }
    nfsroot_finding *it = &f->items[f->n];
    memset(it, 0, sizeof(*it));
    it->level = level;
    snprintf(it->code, sizeof(it->code), "%s", code);
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&it->message, fmt, ap);
    va_end(ap);
    if (r < 0)
        return -ENOMEM;
    if (file) {
        it->file = strdup(file);
        if (!it->file) {
            free(it->message);
            return -ENOMEM;
        }
    }
    f->n++;
    return 0;
}

DEFINE_ACCESSOR(bool, nfsroot_findings_has_errors, nfsroot_findings,
                nfsroot_findings_count(x, NFSROOT_FINDING_ERROR) > 0)

size_t nfsroot_findings_count(const nfsroot_findings *f, nfsroot_finding_level level)
{
    size_t n = 0;
    for (size_t i = 0; f && i < f->n; i++)
        if (f->items[i].level == level)
            n++;
    return n;
}

const nfsroot_finding *nfsroot_findings_find(const nfsroot_findings *f, const char *code)
{
    for (size_t i = 0; f && i < f->n; i++)
        if (strcmp(f->items[i].code, code) == 0)
            return &f->items[i];
    return NULL;
}

DEFINE_ACCESSOR(size_t, nfsroot_findings_get_n, nfsroot_findings, x ? x->n : 0)

const nfsroot_finding *nfsroot_findings_get(const nfsroot_findings *f, size_t i)
{
    return f && i < f->n ? &f->items[i] : NULL;
}

DEFINE_ACCESSOR(nfsroot_finding_level, nfsroot_finding_get_level, nfsroot_finding, x->level)
DEFINE_ACCESSOR(const char *, nfsroot_finding_get_code, nfsroot_finding, x->code)
DEFINE_ACCESSOR(const char *, nfsroot_finding_get_file, nfsroot_finding, x->file)
DEFINE_ACCESSOR(const char *, nfsroot_finding_get_message, nfsroot_finding,
                x->message ? x->message : "")

const char *nfsroot_finding_level_name(nfsroot_finding_level level)
{
    switch (level) {
    case NFSROOT_FINDING_ERROR:
        return "error";
    case NFSROOT_FINDING_WARNING:
        return "warning";
    default:
        return "info";
    }
}

const char *nfsroot_finding_format(const nfsroot_finding *f, char *buf, size_t len)
{
    snprintf(buf, len, "%s: %s [%s]", nfsroot_finding_level_name(f->level),
             f->message ? f->message : "", f->code);
    return buf;
}
