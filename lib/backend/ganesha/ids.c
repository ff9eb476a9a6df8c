/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export ids. Ganesha names an export by its Export_Id, and so do the file handles a guest
 * holds: a path keeps its id for as long as a domain exports it, and gets the same id on every
 * host (derived below from the domain's UUID and the path into the policy's ganesha_export_ids
 * range, then allocated in the export root's registry: id_allocate_plan()). Ours are recorded
 * in <state_dir>/ganesha/export-ids. */
#include <fcntl.h>
#include <sys/file.h>

#include "backend/ganesha/ganesha.h"

#define IDS_NAME "export-ids"
#define IDS_MAX_SIZE (4u << 20)

void id_list_done(id_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

id_record *id_list_find_path(const id_list *l, const char *path)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].path, path) == 0)
            return &l->v[i];
    return NULL;
}

bool id_list_has_id(const id_list *l, uint16_t id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].id == id)
            return true;
    return false;
}

int id_list_add(id_list *l, uint16_t id, const char *uuid, const char *path)
{
    _cleanup_free_ char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    id_record *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    l->v = nv;
    l->v[l->n] = (id_record){ .id = id, .path = TAKE_PTR(copy) };
    snprintf(l->v[l->n].uuid, sizeof(l->v[l->n].uuid), "%s", uuid ? uuid : "");
    l->n++;
    return 0;
}

void id_list_drop(id_list *l, id_record *r)
{
    size_t i = (size_t)(r - l->v);
    free(r->path);
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*r));
    l->n--;
}

void id_table_done(id_table *t)
{
    id_list_done(&t->ids);
    free(t->dir);
    if (t->lock_fd >= 0)
        close(t->lock_fd); /* drops the flock */
    memset(t, 0, sizeof(*t));
    t->lock_fd = -1;
}

/* "<id> <uuid> <path>", path last so it may hold spaces; points into line. */
static int parse_record(char *line, id_record *ret)
{
    char *end;
    errno = 0;
    unsigned long id = strtoul(line, &end, 10);
    if (errno || end == line || *end != ' ' || id == 0 || id > UINT16_MAX)
        return -EINVAL;
    char *uuid = end + 1;
    char *sp = strchr(uuid, ' ');
    if (!sp || sp - uuid != 36 || sp[1] != '/')
        return -EINVAL;
    ret->id = (uint16_t)id;
    memcpy(ret->uuid, uuid, 36);
    ret->uuid[36] = '\0';
    ret->path = sp + 1;
    return 0;
}

static int parse_table(char *data, const char *file, const char *domain, id_list *ids,
                       nfsroot_error *err)
{
    int lineno = 0;
    for (char *line = data, *next; line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!*line)
            continue;
        id_record rec;
        if (parse_record(line, &rec) < 0)
            return nfsroot_err(err, -EBADMSG, domain, "ganesha export ids", file, lineno,
                               "the ganesha export id table '%s' line %d is damaged ('%.200s'); "
                               "remove the line (or the file when no guest runs)",
                               file, lineno, line);
        int r = id_list_add(ids, rec.id, rec.uuid, rec.path);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Lock and load the id table. The core's state lock is held already by apply/remove; this lock
 * also covers callers that go around the core (tests, tools) and always nests inside it. */
int id_table_load(const nfsroot_policy *p, const char *domain, id_table *t, nfsroot_error *err)
{
    *t = (id_table){ .lock_fd = -1 };
    if (!p->state_dir)
        return nfsroot_err(err, -EINVAL, domain, "policy key 'state_dir'", p->source, 0,
                           "policy key 'state_dir' is not set; the ganesha backend records its "
                           "export ids there");
    if (asprintf(&t->dir, "%s/ganesha", p->state_dir) < 0) {
        t->dir = NULL;
        return -ENOMEM;
    }
    int r = mkdir_p(t->dir, 0755);
    if (r < 0)
        return nfsroot_err(err, r, domain, "policy key 'state_dir'", t->dir, 0,
                           "cannot create the ganesha state directory '%s': %s", t->dir,
                           strerror(-r));
    _cleanup_free_ char *lock = NULL, *file = NULL;
    if (asprintf(&lock, "%s/%s.lock", t->dir, IDS_NAME) < 0 ||
        asprintf(&file, "%s/%s", t->dir, IDS_NAME) < 0)
        return -ENOMEM;
    t->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (t->lock_fd < 0 || flock(t->lock_fd, LOCK_EX) < 0) {
        r = -errno;
        return nfsroot_err(err, r, domain, "policy key 'state_dir'", lock, 0,
                           "cannot lock '%s': %s", lock, strerror(-r));
    }
    _cleanup_free_ char *data = NULL;
    r = read_file_all(file, IDS_MAX_SIZE, &data, NULL);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return nfsroot_err(err, r, domain, "policy key 'state_dir'", file, 0,
                           "cannot read the ganesha export id table '%s': %s", file, strerror(-r));
    return parse_table(data, file, domain, &t->ids, err);
}

int id_table_save(const id_table *t, const char *domain, nfsroot_error *err)
{
    size_t cap = 1;
    for (size_t i = 0; i < t->ids.n; i++)
        cap += strlen(t->ids.v[i].path) + 48;
    _cleanup_free_ char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    size_t len = 0;
    for (size_t i = 0; i < t->ids.n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%u %s %s\n", t->ids.v[i].id,
                                t->ids.v[i].uuid, t->ids.v[i].path);
    int r = write_file_atomic(t->dir, IDS_NAME, buf, len, 0644);
    if (r < 0)
        return nfsroot_err(err, r, domain, "ganesha export ids", t->dir, 0,
                           "cannot write the ganesha export id table in '%s': %s", t->dir,
                           strerror(-r));
    return 0;
}

/* ---- Derived ids: the same on every host ------------------------------------------------- */

/* How many further candidates an export of a domain tries when an earlier export of the same
 * domain took its id: the domain's exports are the same on every host, so this probing is too. */

/* MurmurHash3's finaliser: FNV's last bytes barely reach the high bits, and a modulo by a small
 * range needs every bit of the key to matter. */
static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

uint16_t id_derive_one(const nfsroot_policy *p, const char *uuid, const char *path,
                       unsigned attempt)
{
    char n[16];
    snprintf(n, sizeof(n), "%u", attempt);
    const char *parts[] = { "virt-nfsroot ganesha Export_Id", uuid, path, n };
    uint8_t k[16];
    nfsroot_handle_key(parts, ELEMENTSOF(parts), k);
    uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 8; i++) {
        hi = (hi << 8) | k[i];
        lo = (lo << 8) | k[8 + i];
    }
    uint64_t v = fmix64(hi ^ fmix64(lo));
    unsigned span = (unsigned)p->ganesha_export_id_max - p->ganesha_export_id_min + 1;
    return (uint16_t)(p->ganesha_export_id_min + v % span);
}

/* Why not probe past an id another domain (or anything else on this host) holds? Whatever
 * this host holds, another host need not: a probe would give the guest another Export_Id there,
 * and every handle it holds would go stale after a migration. So only a collision between the
 * exports of one domain (the same set on every host) is resolved, in the plan's order; any
 * other is refused, on every host alike, by the caller. */
int id_derive_plan(const nfsroot_policy *p, const nfsroot_plan *plan, uint16_t *ret,
                   nfsroot_error *err)
{
    for (size_t i = 0; i < plan->n_exports; i++) {
        bool taken = true;
        for (unsigned a = 0; a < ID_DERIVE_ATTEMPTS && taken; a++) {
            ret[i] = id_derive_one(p, plan->uuid, plan->exports[i].path, a);
            taken = false;
            for (size_t j = 0; j < i && !taken; j++)
                taken = ret[j] == ret[i];
        }
        if (taken)
            return nfsroot_err(err, -ENOSPC, plan->domain, "policy key 'ganesha_export_ids'",
                               p->source, 0,
                               "policy key 'ganesha_export_ids' ('%u-%u') is too narrow for "
                               "the %zu exports of this domain; widen it on every host",
                               p->ganesha_export_id_min, p->ganesha_export_id_max, plan->n_exports);
    }
    return 0;
}
