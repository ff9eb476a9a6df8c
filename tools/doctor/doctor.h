/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot doctor, private: the context every check gets, the host files it reads below
 * --root, and the checks, one file per seam (nfs-server.c, exports.c, mounts.c, libvirt.c,
 * host.c). */
#ifndef NFSROOT_DOCTOR_H
#define NFSROOT_DOCTOR_H

#include <sys/stat.h>
#include <time.h>

#include "cli.h"

#ifndef NFSROOT_HOOK_PATH
#define NFSROOT_HOOK_PATH "/etc/libvirt/hooks/qemu.d/virt-nfsroot"
#endif

typedef enum { ST_PASS, ST_WARN, ST_FAIL, ST_SKIP, ST_MAX } status;

typedef struct check {
    const char *id;
    status st;
    char *summary;
    char *fix; /* NULL when nothing to do */
} check;

/* A libvirt network as doctor lists it. */
typedef struct network {
    nfsroot_netinfo *info; /* name and subnets, read by the library */
    bool active;
    size_t n_hosts; /* static DHCP hosts */
} network;

typedef struct doctor {
    const char *root; /* "/" or a fixture root without trailing slash */
    int root_fd;      /* root, opened O_PATH: every host file is opened beneath it */
    uid_t root_uid;   /* the owner of root stands for uid 0 (fixture trees belong to a user) */
    nfsroot_policy *policy;
    check checks[32];
    size_t n_checks;
    network nets[64];
    size_t n_nets;
    bool nets_loaded;
    char net_error[1600]; /* why the first unreadable network XML was skipped */
    nfsroot_probe *probe; /* what the NFS server says (check_nfs_server), NULL: unknown */
    time_t hook_time;     /* when the hook appeared (check_hook), 0 when not installed */
} doctor;

/* doctor.c: record a check's verdict (summary and fix are copied). */
void doctor_add(doctor *d, const char *id, status st, const char *fix, const char *fmt, ...)
    _printf_(5, 6);

/* files.c: the host below --root. Symbolic links resolve inside it, ".." stops at it. */
const char *doctor_at(const doctor *d, const char *path, char *buf, size_t len);
int doctor_root_fd(const doctor *d); /* for the library's nfsroot_host_*(): AT_FDCWD for / */
int doctor_open(const doctor *d, const char *path, int flags);
int doctor_stat(const doctor *d, const char *path, bool follow, struct stat *st);
/* A regular file of at most 4 MiB, NUL-terminated; ret_len may be NULL. */
int doctor_read(const doctor *d, const char *path, char **ret, size_t *ret_len);
/* Host paths "dir/NAME" whose NAME matches pattern, sorted; NULL-terminated (free with
 * nfsroot_strv_free), NULL if no dir. */
char **doctor_list(const doctor *d, const char *dir, const char *pattern);
/* The pid of a running process with one of these comm names, or 0. */
long doctor_find_process(const doctor *d, const char *const *names);

/* The checks (doctor.c's table says in which order they run and where each lives). */
void check_policy(doctor *d);
void check_nfs_server(doctor *d);
void check_nfs_conf(doctor *d);
void check_rpcbind(doctor *d);
void check_exportfs(doctor *d);
void check_export_roots(doctor *d);
void check_export_mounts(doctor *d);
void check_exports_scope(doctor *d);
void check_hook(doctor *d);
void check_daemon_order(doctor *d);
void check_networks(doctor *d);
void check_migration(doctor *d);
void check_kvm(doctor *d);
void check_nss(doctor *d);
void check_idmap(doctor *d);
void check_clock(doctor *d);

/* libvirt.c: the libvirt networks of the host, read once. */
void doctor_load_networks(doctor *d);

#endif
