/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A plan's definition: private to the library (the installed header keeps it opaque so a new
 * export attribute does not change the ABI). Tests that build a plan by hand include it too. */
#ifndef NFSROOT_PLAN_H
#define NFSROOT_PLAN_H

#include "virt-nfsroot/virt-nfsroot-private.h"

struct nfsroot_export {
    char *path;     /* resolved, canonical, verified directory */
    char **clients; /* NULL-terminated, canonical CIDR strings */
    char *options;  /* canonical comma-separated exports(5) options */
    bool readonly;
    bool is_root;
};

struct nfsroot_plan {
    char *domain; /* name */
    char uuid[37];
    nfsroot_export *exports;
    size_t n_exports;
    char *server;        /* the host's address on the guest's network (for boot checks), or NULL */
    char *network;       /* the guest's (first) network or bridge, as loaded for the plan */
    char bridge_mac[18]; /* that network's bridge MAC ("" if none): migrate begin's check */
    bool bridge_stp;     /* that network's bridge runs STP: validate's migration warning */
    bool subnet_wide;    /* clients fell back to the whole subnet */
};

#endif
