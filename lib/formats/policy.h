/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy's definition: private to the library (the installed header keeps it opaque so a
 * new key does not change the ABI). Tests that build a policy by hand include it too. */
#ifndef NFSROOT_POLICY_H
#define NFSROOT_POLICY_H

#include "virt-nfsroot/virt-nfsroot-private.h"

struct nfsroot_policy {
    char **export_roots;        /* NULL-terminated, absolute, normalised; default { "/export" } */
    char **boot_dirs;           /* where <kernel>/<initrd> may lie besides the root export; default
                                 * { "/var/lib/libvirt/boot" }; may be empty */
    char *default_options;      /* "rw,async,no_root_squash,insecure,no_subtree_check" */
    char **allowed_options;     /* NULL-terminated option names a domain may request */
    bool allow_wider_clients;   /* clients outside the domain's network */
    bool allow_shared_rw;       /* two running domains exporting one path read-write */
    bool allow_subnet_fallback; /* export to the whole subnet when no DHCP host pins the MAC */
    nfsroot_backend_kind backend;
    nfsroot_validate_mode validate;
    char *exports_dir;         /* /etc/exports.d */
    char *state_dir;           /* /run/virt-nfsroot */
    char *exportfs;            /* /usr/sbin/exportfs */
    char *etab;                /* /var/lib/nfs/etab */
    char *network_dir;         /* /run/libvirt/network */
    char *idmapd_conf;         /* the host's idmapd.conf for libnfsidmap, NULL: its default */
    char *qemu_conf;           /* libvirt's qemu.conf (QEMU's user), NULL: /etc/libvirt/ */
    char *ganesha_exports_dir; /* /run/ganesha/virt-nfsroot.d */
    char *ganesha_bus;         /* D-Bus address, NULL = system bus */
    char *ganesha_conf;        /* /etc/ganesha/ganesha.conf: read, never written */
    uint16_t ganesha_export_id_min, ganesha_export_id_max;
    bool ganesha_nfsv3;
    bool migration;      /* this host takes live-migrated guests: migration findings are warnings */
    char *source;        /* file it was loaded from, NULL for built-in defaults */
    char *sysfs_net_dir; /* /sys/class/net: which interfaces are bridges */
    char *owned_dir;     /* /var/lib/virt-nfsroot/owned: what create and annotate made */
    char *host_id;       /* this host in claims on shared storage; NULL: /etc/machine-id */
    /* The ceph backend's cluster (lib/backend/ceph/); fixed size, copied with the struct. */
    char ceph_conf[256];     /* /etc/ceph/ceph.conf */
    char ceph_client_id[65]; /* admin: librados' and ganesha's FSAL_CEPH client */
    char ceph_pool[65];      /* .nfs */
    char ceph_namespace[65]; /* the NFS cluster: RADOS namespace, object conf-nfs.<it> */
    char ceph_node_id[65];   /* this host's ganesha node in the grace database */
};

#endif
