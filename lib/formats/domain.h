/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parsed domain's definition: private to the library (the installed header keeps it opaque
 * so a new metadata attribute does not change the ABI). Tests that read or build a domain by
 * hand include it too. */
#ifndef NFSROOT_DOMAIN_H
#define NFSROOT_DOMAIN_H

#include "virt-nfsroot/virt-nfsroot-private.h"

struct nfsroot_nic {
    nfsroot_nic_type type;
    char *source; /* network or bridge name */
    char mac[18]; /* lower-case aa:bb:cc:dd:ee:ff, "" when absent */
};

struct nfsroot_export_req {
    char *path; /* as written; NULL: <export root>/<domain name> */
    bool readonly;
    bool is_root;  /* role='root' or the first export */
    char *clients; /* as written, NULL when absent */
    char *options; /* as written, NULL when absent */
};

struct nfsroot_domain {
    char *name;
    char uuid[37];
    char *kernel, *initrd, *cmdline; /* <os>, NULL when absent */
    nfsroot_nic *nics;
    size_t n_nics;
    bool has_metadata; /* our element is present */
    nfsroot_export_req *exports;
    size_t n_exports;
};

#endif
