/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text ganesha reads from RADOS for the ceph backend: export-<id> (one EXPORT block, FSAL
 * CEPH, written by the ganesha backend's formatter) and conf-nfs.<cluster> (one %url line per
 * export). Pure; ceph.backend (tests/ceph/test-backend.sh) holds it against a golden file. */
#include "backend/ceph/ceph.h"
#include "backend/ganesha/ganesha.h"

void ceph_export_oid(uint16_t id, char *buf, size_t len)
{
    snprintf(buf, len, "export-%u", id);
}

/* e's path inside CephFS: below the export root it lies in (a mount of CephFS's root). */
static const char *cephfs_path(const nfsroot_policy *p, const char *path)
{
    for (size_t i = 0; p->export_roots && p->export_roots[i]; i++) {
        size_t n = strlen(p->export_roots[i]);
        if (strncmp(path, p->export_roots[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
            return path[n] ? path + n : "/";
    }
    return NULL;
}

int ceph_format_export(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_export *e,
                       uint16_t id, char **ret, nfsroot_error *err)
{
    const char *in_fs = cephfs_path(p, e->path);
    if (!in_fs)
        return nfsroot_err(err, -EINVAL, plan->domain, "export path", NULL, 0,
                           "export path '%s' lies in no export root", e->path);
    char fsal[128];
    snprintf(fsal, sizeof(fsal), "Name = CEPH; User_Id = \"%s\";", p->ceph_client_id);
    return ganesha_format_export_fsal(p, plan, e, id, in_fs, fsal, ret, err);
}

static void url_line(const nfsroot_policy *p, uint16_t id, char *buf, size_t len)
{
    snprintf(buf, len, "%%url \"rados://%s/%s/export-%u\"", p->ceph_pool, p->ceph_namespace, id);
}

/* Does line (len bytes, no newline) name export-<id>? */
static bool line_is(const char *line, size_t len, const nfsroot_policy *p, uint16_t id)
{
    char want[256];
    url_line(p, id, want, sizeof(want));
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
        len--;
    return len == strlen(want) && memcmp(line, want, len) == 0;
}

bool ceph_urls_has(const char *text, const nfsroot_policy *p, uint16_t id)
{
    for (const char *l = text; l && *l;) {
        size_t n = strcspn(l, "\n");
        if (line_is(l, n, p, id))
            return true;
        l += n + (l[n] == '\n');
    }
    return false;
}

static bool in(const uint16_t *v, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == id)
            return true;
    return false;
}

/* Is line one of del's? */
static bool line_dropped(const char *line, size_t len, const nfsroot_policy *p, const uint16_t *del,
                         size_t n_del)
{
    for (size_t i = 0; i < n_del; i++)
        if (line_is(line, len, p, del[i]))
            return true;
    return false;
}

int ceph_urls_edit(const char *text, const nfsroot_policy *p, const uint16_t *add, size_t n_add,
                   const uint16_t *del, size_t n_del, char **ret)
{
    size_t size = 0;
    FILE *f = open_memstream(ret, &size);
    if (!f)
        return -ENOMEM;
    for (const char *l = text; l && *l;) {
        size_t n = strcspn(l, "\n");
        if (n && !line_dropped(l, n, p, del, n_del))
            fprintf(f, "%.*s\n", (int)n, l);
        l += n + (l[n] == '\n');
    }
    for (size_t i = 0; i < n_add; i++) {
        char line[256];
        if (in(del, n_del, add[i]) || in(add, i, add[i]) || ceph_urls_has(text, p, add[i]))
            continue;
        url_line(p, add[i], line, sizeof(line));
        fprintf(f, "%s\n", line);
    }
    if (fclose(f) != 0) {
        free(*ret);
        *ret = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* Where the value after the first key in text begins; NULL when text has no key. */
static const char *value_after(const char *text, const char *key)
{
    const char *l = strstr(text, key);
    return l ? l + strlen(key) : NULL;
}

bool ceph_export_has_client(const char *text, const char *client)
{
    const char *l = value_after(text, "        Clients = ");
    if (!l)
        return false;
    size_t want = strlen(client);
    while (*l && *l != ';' && *l != '\n') {
        size_t n = strcspn(l, ",;\n");
        if (n == want && memcmp(l, client, n) == 0)
            return true;
        l += n;
        while (*l == ',' || *l == ' ')
            l++;
    }
    return false;
}

size_t ceph_urls_ids(const char *text, const nfsroot_policy *p, uint16_t *ret, size_t max)
{
    char prefix[200];
    snprintf(prefix, sizeof(prefix), "%%url \"rados://%s/%s/export-", p->ceph_pool,
             p->ceph_namespace);
    size_t n = 0, plen = strlen(prefix);
    for (const char *l = text; l && *l && n < max;) {
        size_t len = strcspn(l, "\n");
        unsigned id;
        char q;
        if (len > plen && strncmp(l, prefix, plen) == 0 &&
            sscanf(l + plen, "%5u%c", &id, &q) == 2 && q == '"' && id > 0 && id <= UINT16_MAX &&
            line_is(l, len, p, (uint16_t)id))
            ret[n++] = (uint16_t)id;
        l += len + (l[len] == '\n');
    }
    return n;
}

bool ceph_export_pseudo_is(const char *text, const char *path)
{
    const char *l = value_after(text, "\n    Pseudo = \"");
    size_t n = strlen(path);
    return l && strncmp(l, path, n) == 0 && strncmp(l + n, "\";\n", 3) == 0;
}
