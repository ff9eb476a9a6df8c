/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The NFS-Ganesha backend: one EXPORT block file per export, made live over D-Bus.
 *
 * For each export of a plan we write <ganesha_exports_dir>/virt-nfsroot-<uuid>-<id>.conf and
 * call org.ganesha.nfsd.exportmgr.AddExport (UpdateExport when the id is already live, so a
 * re-apply changes clients without a window where the guest loses its root). An export's id is
 * derived from the domain's UUID and the path into policy's [ganesha_export_id_min, max]
 * (ids.c), the first of those candidates the registry in the export root gives it (claim.c), so
 * every host gives it the same one and a migrated guest's file handles stay valid;
 * an id something else holds here is refused rather than replaced. The ids in use are recorded
 * in <state_dir>/ganesha/export-ids, so a running domain keeps its id across re-applies.
 * Ganesha 4.3 cannot %include a directory, so we also keep
 * <ganesha_exports_dir>/virt-nfsroot-index.conf, one %include per live export file: the
 * server's main config includes that file and a ganesha restart brings the exports back.
 */
#include <syslog.h>

#include "backend/ganesha/ganesha.h"

static void id_table_donep(id_table *t)
{
    id_table_done(t);
}
static void id_list_donep(id_list *l)
{
    id_list_done(l);
}

static int export_file_path(const nfsroot_policy *p, const char *uuid, uint16_t id, char *name,
                            size_t name_len, char *path, size_t path_len)
{
    int r = ganesha_export_file_name(uuid, id, name, name_len);
    if (r < 0)
        return r;
    if (snprintf(path, path_len, "%s/%s", p->ganesha_exports_dir, name) >= (int)path_len)
        return -ENAMETOOLONG;
    return 0;
}

static int write_index(const nfsroot_policy *p, const id_table *t, const char *domain,
                       nfsroot_error *err)
{
    const char *dir = p->ganesha_exports_dir;
    _cleanup_free_ char *text = NULL;
    int r = ganesha_format_index(dir, &t->ids, &text);
    if (r == 0)
        r = write_file_atomic(dir, GANESHA_INDEX_NAME, text, strlen(text), 0644);
    if (r < 0)
        return nfsroot_err(err, r, domain, "policy key 'ganesha_exports_dir'", dir, 0,
                           "cannot write '%s/%s': %s", dir, GANESHA_INDEX_NAME, strerror(-r));
    return 0;
}

static int unlink_export_file(const nfsroot_policy *p, const char *uuid, uint16_t id,
                              const char *domain, nfsroot_error *err)
{
    char name[128], path[4096];
    int r = export_file_path(p, uuid, id, name, sizeof(name), path, sizeof(path));
    if (r < 0)
        return r;
    if (unlink(path) < 0 && errno != ENOENT) {
        r = -errno;
        return nfsroot_err(err, r, domain, "policy key 'ganesha_exports_dir'", path, 0,
                           "cannot delete '%s': %s", path, strerror(-r));
    }
    return 0;
}

static bool export_file_exists(const nfsroot_policy *p, const char *uuid, uint16_t id)
{
    char name[128], path[4096];
    return export_file_path(p, uuid, id, name, sizeof(name), path, sizeof(path)) == 0 &&
           access(path, F_OK) == 0;
}

static bool plan_has_path(const nfsroot_plan *plan, const char *path)
{
    for (size_t i = 0; plan && i < plan->n_exports; i++)
        if (strcmp(plan->exports[i].path, path) == 0)
            return true;
    return false;
}

static int ganesha_check_policy(const nfsroot_policy *p, const char *domain, nfsroot_error *err)
{
    if (!p->ganesha_exports_dir || p->ganesha_exports_dir[0] != '/')
        return nfsroot_err(err, -EINVAL, domain, "policy key 'ganesha_exports_dir'", p->source, 0,
                           "policy key 'ganesha_exports_dir' must be an absolute directory "
                           "for the ganesha backend");
    if (p->ganesha_export_id_min == 0 || p->ganesha_export_id_min > p->ganesha_export_id_max)
        return nfsroot_err(err, -EINVAL, domain, "policy key 'ganesha_export_ids'", p->source, 0,
                           "policy key 'ganesha_export_ids' is '%u-%u'; it must be a range "
                           "like '20000-29999' that excludes 0 (ganesha's pseudo root)",
                           p->ganesha_export_id_min, p->ganesha_export_id_max);
    int r = mkdir_p(p->ganesha_exports_dir, 0755);
    if (r < 0)
        return nfsroot_err(err, r, domain, "policy key 'ganesha_exports_dir'",
                           p->ganesha_exports_dir, 0, "cannot create '%s': %s",
                           p->ganesha_exports_dir, strerror(-r));
    return 0;
}

/* Take one record out of ganesha, the exports dir and the table. */
static int forget_record(const nfsroot_policy *p, bus *b, id_table *t, id_record *rec,
                         const char *domain, const nfsroot_log *log, nfsroot_error *err)
{
    bool not_running = false;
    int r = bus_remove_export(b, rec->id, &not_running, err);
    if (r < 0)
        return r;
    r = unlink_export_file(p, rec->uuid, rec->id, domain, err);
    if (r < 0)
        return r;
    nfsroot_logf(log, LOG_INFO, "ganesha: removed export '%s' (Export_Id %u)%s", rec->path, rec->id,
                 not_running ? ", ganesha was not running" : "");
    id_list_drop(&t->ids, rec);
    return 0;
}

static const char *peer_name(const nfsroot_peers *peers, const char *uuid)
{
    for (size_t i = 0; peers && i < peers->n; i++)
        if (!strcmp(peers->plans[i]->uuid, uuid))
            return peers->plans[i]->domain;
    return NULL;
}

/* Why the derived id cannot be e's here: another export of ours or one ganesha serves that
 * virt-nfsroot did not make holds it. 0 when it is free. */
static int id_holder_check(const nfsroot_policy *p, const nfsroot_plan *plan,
                           const nfsroot_export *e, uint16_t id, const id_table *t,
                           const id_list *live, const nfsroot_peers *peers, nfsroot_error *err)
{
    for (size_t i = 0; i < t->ids.n; i++) {
        const id_record *h = &t->ids.v[i];
        if (h->id != id || (!strcmp(h->uuid, plan->uuid) && !strcmp(h->path, e->path)))
            continue;
        const char *name = peer_name(peers, h->uuid);
        return nfsroot_err(err, -EBUSY, plan->domain, "export path", NULL, 0,
                           "export path '%s' needs NFS-Ganesha Export_Id %u (derived from the "
                           "domain's UUID and the path, the same on every host), which %s%s%s "
                           "holds for '%s'; stop that domain or change policy key "
                           "'ganesha_export_ids' on every host",
                           e->path, id, name ? "running domain '" : "the domain with uuid ",
                           name ? name : h->uuid, name ? "'" : "", h->path);
    }
    for (size_t i = 0; i < live->n; i++)
        if (live->v[i].id == id && strcmp(live->v[i].path, e->path) &&
            !export_file_exists(p, plan->uuid, id))
            return nfsroot_err(err, -EBUSY, plan->domain, "export path", NULL, 0,
                               "export path '%s' needs NFS-Ganesha Export_Id %u (derived from "
                               "the domain's UUID and the path, the same on every host), but "
                               "ganesha already serves '%s' under that id, an export "
                               "virt-nfsroot did not make; give it another Export_Id in "
                               "ganesha's configuration",
                               e->path, id, live->v[i].path);
    return 0;
}

/* An export this host still serves for the domain under another id than every host derives for
 * it (an earlier stay: an older allocation, another range): a guest migrating in would find its
 * file handles stale. */
static int stale_id_error(const nfsroot_plan *plan, const nfsroot_export *e, uint16_t id,
                          uint16_t derived, nfsroot_error *err)
{
    return nfsroot_err(err, -ESTALE, plan->domain, "export path", NULL, 0,
                       "this host still exports '%s' for the domain as NFS-Ganesha Export_Id %u "
                       "from an earlier stay, not the %u every host derives for it, so the "
                       "guest's file handles would be stale here; run 'virt-nfsroot reconcile "
                       "--apply' on this host, then migrate again",
                       e->path, id, derived);
}

/* The id for e: the recorded one (a running domain keeps its id), one ganesha serves from our
 * own file (the table was lost), or the derived one, refused when something else holds it. With
 * ret NULL only the refusals: what check_incoming asks, changing nothing. */
static int pick_id(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_export *e,
                   uint16_t derived, id_table *t, const id_list *live, const nfsroot_peers *peers,
                   uint16_t *ret, nfsroot_error *err)
{
    const id_record *rec = id_list_find_path(&t->ids, e->path);
    if (rec && strcmp(rec->uuid, plan->uuid) != 0)
        return nfsroot_err(err, -EBUSY, plan->domain, "export path", NULL, 0,
                           "export path '%s' is already exported by NFS-Ganesha for the domain "
                           "with uuid %s; ganesha serves one path once, so stop that domain or "
                           "choose another path",
                           e->path, rec->uuid);
    /* Kept while the domain runs here; but a guest migrating in whose earlier stay left the
     * export with another id (an older allocation, another range) would find stale handles. */
    if (rec && !ret && rec->id != derived)
        return stale_id_error(plan, e, rec->id, derived, err);
    if (rec) {
        if (ret)
            *ret = rec->id;
        return 0;
    }
    const id_record *le = id_list_find_path(live, e->path);
    if (le && !export_file_exists(p, plan->uuid, le->id))
        return nfsroot_err(err, -EBUSY, plan->domain, "export path", NULL, 0,
                           "export path '%s' is already exported by NFS-Ganesha as Export_Id %u, "
                           "which virt-nfsroot did not create; remove that export from "
                           "ganesha's configuration",
                           e->path, le->id);
    if (le) {
        /* The table lost it, ganesha serves it from our file: the same question as above. */
        if (!ret)
            return le->id == derived ? 0 : stale_id_error(plan, e, le->id, derived, err);
        *ret = le->id;
        return id_list_add(&t->ids, le->id, plan->uuid, e->path);
    }
    int r = id_holder_check(p, plan, e, derived, t, live, peers, err);
    if (r < 0 || !ret)
        return r;
    *ret = derived;
    return id_list_add(&t->ids, derived, plan->uuid, e->path);
}

/* Make file live as export id: AddExport, or UpdateExport when ganesha has the id already;
 * what UpdateExport cannot change is removed and added again. *ret_how says which. */
static int load_export(bus *b, const char *file, uint16_t id, bool live, const char **ret_how,
                       nfsroot_error *err)
{
    int r;
    *ret_how = "added";
    if (live) {
        r = bus_load_file(b, "UpdateExport", file, id, err);
        *ret_how = "updated";
    } else {
        r = bus_load_file(b, "AddExport", file, id, err);
        if (r == -EEXIST) { /* became live since ShowExports */
            r = bus_load_file(b, "UpdateExport", file, id, err);
            *ret_how = "updated";
        }
    }
    if (r < 0 && r != -EHOSTUNREACH && r != -ENOMEM && strcmp(*ret_how, "updated") == 0) {
        nfsroot_error_clear(err);
        bool not_running = false;
        r = bus_remove_export(b, id, &not_running, err);
        if (r == 0)
            r = bus_load_file(b, "AddExport", file, id, err);
        *ret_how = "re-added";
    }
    return r;
}

static int apply_one(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_export *e,
                     uint16_t derived, bus *b, id_table *t, const id_list *live,
                     const nfsroot_peers *peers, const nfsroot_log *log, nfsroot_error *err)
{
    uint16_t id = 0;
    int r = pick_id(p, plan, e, derived, t, live, peers, &id, err);
    if (r < 0)
        return r;
    /* Record the id before ganesha knows it, so a crash in between leaves nothing unowned. */
    r = id_table_save(t, plan->domain, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *text = NULL;
    r = ganesha_format_export(p, plan, e, id, &text, err);
    if (r < 0)
        return r;
    char name[128], file[4096];
    r = export_file_path(p, plan->uuid, id, name, sizeof(name), file, sizeof(file));
    if (r < 0)
        return r;
    r = write_file_atomic(p->ganesha_exports_dir, name, text, strlen(text), 0644);
    if (r < 0)
        return nfsroot_err(err, r, plan->domain, "policy key 'ganesha_exports_dir'", file, 0,
                           "cannot write '%s': %s", file, strerror(-r));
    const char *how;
    r = load_export(b, file, id, id_list_has_id(live, id), &how, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *clients = strv_join(e->clients, ",");
    nfsroot_logf(log, LOG_INFO, "ganesha: %s export '%s' (Export_Id %u) for %s", how, e->path, id,
                 clients ? clients : "?");
    return 0;
}

/* Even after a failure: the index and the table must describe what ganesha now has. The first
 * error wins, in r and in err. */
static int save_all(const nfsroot_policy *p, const id_table *t, const char *domain, int r,
                    nfsroot_error *err)
{
    int k = write_index(p, t, domain, r < 0 ? NULL : err);
    if (r == 0)
        r = k;
    k = id_table_save(t, domain, r < 0 ? NULL : err);
    return r == 0 ? k : r;
}

/* Lock the table, open the bus and list what ganesha serves (unless live is NULL): what apply
 * and remove start from. A remove goes on without the list when ganesha is not running
 * (live_required false). */
static int begin(const nfsroot_policy *p, const char *domain, bool live_required, id_table *t,
                 bus **b, id_list *live, nfsroot_error *err)
{
    int r = ganesha_check_policy(p, domain, err);
    if (r < 0)
        return r;
    r = id_table_load(p, domain, t, err);
    if (r < 0)
        return r;
    r = bus_open(p, domain, b, err);
    if (r < 0 || !live)
        return r;
    nfsroot_error scratch = { 0 };
    r = bus_show_exports(*b, live, live_required ? err : &scratch);
    return live_required ? r : 0;
}

/* What this domain had and no longer wants goes first, so its ids are free again. */
static int forget_dropped(const nfsroot_policy *p, const nfsroot_plan *plan,
                          const nfsroot_plan *old, bus *b, id_table *t, const nfsroot_log *log,
                          nfsroot_error *err)
{
    for (size_t i = t->ids.n; i-- > 0;) {
        const id_record *rec = &t->ids.v[i];
        bool ours = strcmp(rec->uuid, plan->uuid) == 0;
        /* The same name recorded under another uuid (the domain was redefined): its
         * exports are this domain's too, re-created below under the new uuid. */
        bool previous =
            !ours && old && strcmp(rec->uuid, old->uuid) == 0 && plan_has_path(old, rec->path);
        if (!(ours && !plan_has_path(plan, rec->path)) && !previous)
            continue;
        int r = forget_record(p, b, t, &t->ids.v[i], plan->domain, log, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The Export_Id every host gives each export of plan (the shared registry's), in a new array. */
static int derive_ids(const nfsroot_policy *p, const nfsroot_plan *plan, bool allocate,
                      uint16_t **ret, nfsroot_error *err)
{
    _cleanup_free_ uint16_t *ids = calloc(plan->n_exports + 1, sizeof(*ids));
    if (!ids)
        return -ENOMEM;
    int r = id_allocate_plan(p, plan, allocate, ids, err);
    if (r == 0)
        *ret = TAKE_PTR(ids);
    return r;
}

/* begin(), then the ids every host derives for plan's exports (allocated when allocate). begin()
 * checks the policy (the id range derive_ids divides by) first. */
static int begin_plan(const nfsroot_policy *p, const nfsroot_plan *plan, bool allocate, id_table *t,
                      bus **b, id_list *live, uint16_t **derived, nfsroot_error *err)
{
    int r = begin(p, plan->domain, true, t, b, live, err);
    return r < 0 ? r : derive_ids(p, plan, allocate, derived, err);
}

static int ganesha_apply(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_plan *old,
                         const nfsroot_peers *peers, const nfsroot_log *log, nfsroot_error *err)
{
    _cleanup_(id_table_donep) id_table t = { .lock_fd = -1 };
    _cleanup_(bus_closep) bus *b = NULL;
    _cleanup_(id_list_donep) id_list live = { 0 };
    _cleanup_free_ uint16_t *derived = NULL;
    int r = begin_plan(p, plan, true, &t, &b, &live, &derived, err);
    if (r < 0)
        return r;
    r = forget_dropped(p, plan, old, b, &t, log, err);
    for (size_t i = 0; r == 0 && i < plan->n_exports; i++)
        r = apply_one(p, plan, &plan->exports[i], derived[i], b, &t, &live, peers, log, err);
    return save_all(p, &t, plan->domain, r, err);
}

/* An incoming migration: ganesha answers, is not in grace (where it says), and every export
 * of the plan can have here the id every host derives for it. The table is read under its lock
 * and left as it was. */
static int ganesha_check_incoming(const nfsroot_policy *p, const nfsroot_plan *plan,
                                  const nfsroot_peers *peers, nfsroot_error *err)
{
    _cleanup_(id_table_donep) id_table t = { .lock_fd = -1 };
    _cleanup_(bus_closep) bus *b = NULL;
    _cleanup_(id_list_donep) id_list live = { 0 };
    _cleanup_free_ uint16_t *derived = NULL;
    int r = begin_plan(p, plan, false, &t, &b, &live, &derived, err);
    bool in_grace = false;
    if (r == 0)
        r = bus_in_grace(b, &in_grace, err);
    if (r < 0)
        return r;
    if (in_grace)
        return nfsroot_err(err, -EAGAIN, plan->domain, "backend", NULL, 0,
                           "NFS-Ganesha on this host is in its grace period, so the guest's "
                           "NFSv4 state would stall until it ends (about a minute); migrate "
                           "after it, or set Graceless = true in ganesha's NFSv4 block");
    for (size_t i = 0; r == 0 && i < plan->n_exports; i++)
        r = pick_id(p, plan, &plan->exports[i], derived[i], &t, &live, peers, NULL, err);
    return r;
}

static int ganesha_remove(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_log *log,
                          nfsroot_error *err)
{
    _cleanup_(id_table_donep) id_table t = { .lock_fd = -1 };
    _cleanup_(bus_closep) bus *b = NULL;
    _cleanup_(id_list_donep) id_list live = { 0 };
    int r = begin(p, plan->domain, false, &t, &b, NULL, err);
    if (r < 0)
        return r;
    /* Is every export of the plan in the table under this domain? Then the table says all
     * that is to be removed, and ganesha's list of every export on the host (ShowExports, whose
     * reply grows with them: 4,000 exports cost a removal tens of ms) is not asked for. */
    bool lost = false;
    for (size_t i = 0; i < plan->n_exports && !lost; i++) {
        const id_record *rec = id_list_find_path(&t.ids, plan->exports[i].path);
        lost = !rec || strcmp(rec->uuid, plan->uuid) != 0;
    }
    /* Ganesha not running is fine for a removal; only the lost table case needs the list. */
    nfsroot_error scratch = { 0 };
    if (lost)
        (void)bus_show_exports(b, &live, &scratch);
    for (size_t i = t.ids.n; r == 0 && i-- > 0;)
        if (strcmp(t.ids.v[i].uuid, plan->uuid) == 0)
            r = forget_record(p, b, &t, &t.ids.v[i], plan->domain, log, err);
    /* The table was lost (state dir wiped) but ganesha still serves our files. */
    for (size_t i = 0; r == 0 && lost && i < plan->n_exports; i++) {
        const id_record *le = id_list_find_path(&live, plan->exports[i].path);
        if (!le || !export_file_exists(p, plan->uuid, le->id))
            continue;
        r = id_list_add(&t.ids, le->id, plan->uuid, le->path);
        if (r == 0)
            r = forget_record(p, b, &t, &t.ids.v[t.ids.n - 1], plan->domain, log, err);
    }
    return save_all(p, &t, plan->domain, r, err);
}

static int ganesha_has(const nfsroot_policy *p, const char *path, const char *client, bool *ret,
                       nfsroot_error *err)
{
    _cleanup_(bus_closep) bus *b = NULL;
    _cleanup_(id_list_donep) id_list live = { 0 };
    int r = bus_open(p, NULL, &b, err);
    if (r == 0)
        r = bus_show_exports(b, &live, err);
    if (r < 0)
        return r;
    const id_record *le = id_list_find_path(&live, path);
    bool found = le != NULL;
    if (le && client && (r = bus_export_has_client(b, le->id, client, &found, err)) < 0)
        return r;
    *ret = found;
    return 0;
}

/* EXPORT blocks say `Protocols = 4` unless the policy turns v3 on (config.c). */
static unsigned ganesha_nfs_versions(const nfsroot_policy *p, char *why, size_t len)
{
    if (p->ganesha_nfsv3)
        return NFSROOT_NFS_V3 | NFSROOT_NFS_V4;
    snprintf(why, len, "ganesha_nfsv3 = no");
    return NFSROOT_NFS_V4;
}

/* ---- Orphans: ids of the table whose uuid no record of this backend has ------------------ */

/* One orphan per uuid, shown as its first export file. The table is only read: a host that
 * never used ganesha has none and gets no directory for it. */
static int ganesha_list_orphans(const nfsroot_policy *p, const nfsroot_peers *owners,
                                nfsroot_orphans *ret, nfsroot_error *err)
{
    _cleanup_free_ char *dir = NULL;
    if (!p->state_dir || !p->ganesha_exports_dir)
        return 0;
    if (asprintf(&dir, "%s/ganesha", p->state_dir) < 0)
        return -ENOMEM;
    if (access(dir, F_OK) < 0)
        return 0;
    _cleanup_(id_table_donep) id_table t = { .lock_fd = -1 };
    int r = id_table_load(p, NULL, &t, err);
    if (r < 0)
        return r;
    size_t first = ret->n;
    for (size_t i = 0; i < t.ids.n; i++) {
        const id_record *rec = &t.ids.v[i];
        bool listed = false;
        for (size_t k = first; k < ret->n && !listed; k++)
            listed = !strcmp(ret->v[k].uuid, rec->uuid);
        if (listed || nfsroot_peers_has_uuid(owners, rec->uuid) ||
            !nfsroot_uuid_is_valid(rec->uuid))
            continue;
        char name[128], path[4096];
        r = export_file_path(p, rec->uuid, rec->id, name, sizeof(name), path, sizeof(path));
        if (r == 0)
            r = nfsroot_orphans_push(ret, rec->uuid, path);
        if (r < 0)
            return nfsroot_err(err, r, NULL, "ganesha export ids", dir, 0,
                               "cannot list the ganesha exports no record owns: %s", strerror(-r));
    }
    return 0;
}

/* Everything the table holds for uuid goes, as for a domain's release (a plan with no exports:
 * only the table says what was made). */
static int ganesha_remove_orphan(const nfsroot_policy *p, const char *uuid,
                                 const nfsroot_peers *owners, const nfsroot_log *log,
                                 nfsroot_error *err)
{
    (void)owners; /* ids are per uuid: no other domain's id is touched */
    nfsroot_plan plan = { 0 };
    snprintf(plan.uuid, sizeof(plan.uuid), "%s", uuid);
    return ganesha_remove(p, &plan, log, err);
}

/* 4.1, not 4.2: a Linux 6.x guest mounting NFS-Ganesha 4.3 (Debian 12) with 4.2 fails every
 * exec with EIO right after switch-root ("Failed to execute /sbin/init: Input/output error",
 * trixie guest, seen here), and boots with vers=4.1. */
const nfsroot_backend nfsroot_backend_ganesha = {
    .guest_nfs_version = "4.1",
    .apply = ganesha_apply,
    .remove = ganesha_remove,
    .has = ganesha_has,
    .check_incoming = ganesha_check_incoming,
    .nfs_versions = ganesha_nfs_versions,
    .probe = ganesha_probe,
    .boot_findings = ganesha_boot_findings,
    .list_orphans = ganesha_list_orphans,
    .remove_orphan = ganesha_remove_orphan,
};
