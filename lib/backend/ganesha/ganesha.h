/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The NFS-Ganesha backend's rooms, private to lib/backend/ganesha/:
 *   ids.c     export ids: the table under the state dir that gives each path its Export_Id
 *   dbus.c    the D-Bus calls to ganesha's ExportMgr (libdbus dlopen()ed when a bus opens)
 *   config.c  the text ganesha reads: EXPORT blocks and the %include index (pure, golden-tested)
 *   probe.c   what it needs from ganesha.conf: doctor's probe, the boot check's findings
 *   ganesha.c apply, remove and has: the backend interface, built from the three above
 */
#ifndef NFSROOT_GANESHA_H
#define NFSROOT_GANESHA_H

#include "backend/backend.h"

/* ---- ids.c ------------------------------------------------------------------------------ */

/* One export id: ours (from the table, with the domain's uuid) or live (uuid empty). */
typedef struct id_record {
    uint16_t id;
    char uuid[37];
    char *path;
} id_record;

/* A list of ids and paths: the table of ours, or what ganesha serves (ShowExports). */
typedef struct id_list {
    id_record *v;
    size_t n;
} id_list;

void id_list_done(id_list *l);
id_record *id_list_find_path(const id_list *l, const char *path);
bool id_list_has_id(const id_list *l, uint16_t id);
int id_list_add(id_list *l, uint16_t id, const char *uuid, const char *path); /* copies path */
void id_list_drop(id_list *l, id_record *r);

/* <state_dir>/ganesha/export-ids, locked while loaded: "<id> <domain uuid> <path>" lines. */
typedef struct id_table {
    id_list ids;
    char *dir; /* <state_dir>/ganesha */
    int lock_fd;
} id_table;

int id_table_load(const nfsroot_policy *p, const char *domain, id_table *t, nfsroot_error *err);
int id_table_save(const id_table *t, const char *domain, nfsroot_error *err);
void id_table_done(id_table *t); /* also drops the lock */

/* The Export_Id of each export of plan (ret: plan->n_exports of them), derived from the domain's
 * UUID and the export path into the policy's range: the same on every host with the same
 * policy, so a migrated guest's handles name an export the destination has. */
int id_derive_plan(const nfsroot_policy *p, const nfsroot_plan *plan, uint16_t *ret,
                   nfsroot_error *err);
/* How many ids are derived for one export, in order: the candidates of id_allocate_plan(). */
#define ID_DERIVE_ATTEMPTS 64
/* The attempt-th id derived for (uuid, path) in the policy's range (the same on every host). */
uint16_t id_derive_one(const nfsroot_policy *p, const char *uuid, const char *path,
                       unsigned attempt);
/* The Export_Id of each export of plan as the registry in its export root gives it (claim.h):
 * the derived ids above are the candidates, in order; no two exports on the shared storage get
 * one id, and every host sharing it gets the same. allocate: take a free one (prepare); else
 * only say which it would be (`migrate begin`). */
int id_allocate_plan(const nfsroot_policy *p, const nfsroot_plan *plan, bool allocate,
                     uint16_t *ret, nfsroot_error *err);

/* ---- dbus.c ----------------------------------------------------------------------------- */

typedef struct bus bus; /* a private connection to ganesha's bus */

int bus_open(const nfsroot_policy *p, const char *domain, bus **ret, nfsroot_error *err);
void bus_close(bus *b); /* NULL-safe */
DEFINE_TRIVIAL_CLEANUP_FUNC(bus *, bus_close)
/* ShowExports: the ids and paths ganesha serves now. */
int bus_show_exports(bus *b, id_list *ret, nfsroot_error *err);
/* AddExport or UpdateExport of one EXPORT file: 0, -EEXIST when AddExport found the id live, or
 * an error (err filled; -EHOSTUNREACH when nobody answers). */
int bus_load_file(bus *b, const char *method, const char *file, uint16_t id, nfsroot_error *err);
/* RemoveExport; an unknown id is fine. *ret_not_running: ganesha is not on the bus at all. */
int bus_remove_export(bus *b, uint16_t id, bool *ret_not_running, nfsroot_error *err);
/* DisplayExport: does export id list client (or a subnet holding it)? */
int bus_export_has_client(bus *b, uint16_t id, const char *client, bool *ret, nfsroot_error *err);

/* admin.get_grace: is ganesha in its grace period? *ret_known false when it cannot say (a
 * release without the method). */
int bus_in_grace(bus *b, bool *ret_in_grace, nfsroot_error *err);

/* ---- config.c --------------------------------------------------------------------------- */

#define GANESHA_INDEX_NAME "virt-nfsroot-index.conf"

/* virt-nfsroot-<uuid>-<id>.conf */
int ganesha_export_file_name(const char *uuid, uint16_t id, char *buf, size_t len);
/* The EXPORT block for e with the given id (caller frees); refusals in err. */
int ganesha_format_export(const nfsroot_policy *p, const nfsroot_plan *plan,
                          const nfsroot_export *e, uint16_t id, char **ret, nfsroot_error *err);
/* The same with another FSAL: Path = fsal_path (the export as that FSAL names it), FSAL {
 * fsal } (e.g. "Name = CEPH; User_Id = \"admin\";": the caller's checked text). */
int ganesha_format_export_fsal(const nfsroot_policy *p, const nfsroot_plan *plan,
                               const nfsroot_export *e, uint16_t id, const char *fsal_path,
                               const char *fsal, char **ret, nfsroot_error *err);
/* The index file: one %include of dir/<file> per id of ours (caller frees). */
int ganesha_format_index(const char *dir, const id_list *ours, char **ret);

/* What the backend and its guests need from ganesha.conf, as read from its text (and the files
 * it %includes, read by the caller: ganesha_config_read() once per file, later settings win). */
typedef struct ganesha_conf {
    int graceless;       /* NFSv4 { Graceless }: 1, 0, -1 unset (or not a boolean) */
    int numeric_owners;  /* NFSv4 { Only_Numeric_Owners }: 1, 0, -1 likewise */
    int minor_versions;  /* NFSv4 { Minor_Versions }: bit i for 4.i, -1 unset (ganesha: 0, 1, 2) */
    int protocols;       /* NFS_CORE_PARAM { Protocols } (or NFS_Protocols): NFSROOT_NFS_V3/V4
                          * bits, -1 unset (ganesha: 3, 4, 9P) */
    int rquota;          /* NFS_CORE_PARAM { Enable_RQUOTA }: 1, 0, -1 unset (ganesha: true) */
    bool includes_index; /* a top-level %include of the index file */
    char **includes;     /* the other top-level %include paths, at most GANESHA_CONF_INCLUDES */
} ganesha_conf;
#define GANESHA_CONF_INIT                                                                          \
    {                                                                                              \
        .graceless = -1, .numeric_owners = -1, .minor_versions = -1, .protocols = -1, .rquota = -1 \
    }
#define GANESHA_CONF_INCLUDES 16

/* Read one file's text into c (index: the path of our index file, whose %include is noted).
 * Pure; 0 or -ENOMEM. */
int ganesha_config_read(const char *text, const char *index, ganesha_conf *c);
void ganesha_conf_done(ganesha_conf *c);

/* ---- probe.c ---------------------------------------------------------------------------- */

int ganesha_probe(const nfsroot_policy *p, int root_fd, nfsroot_probe *ret, nfsroot_error *err);
int ganesha_boot_findings(const nfsroot_policy *p, nfsroot_findings *f);

#endif
