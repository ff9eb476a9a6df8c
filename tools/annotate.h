/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot annotate: what annotate.c and annotate-pin.c share. Private. */
#ifndef NFSROOT_ANNOTATE_H
#define NFSROOT_ANNOTATE_H

#include "cli.h"

typedef struct pin_result {
    bool requested, added;
    char network[256];
    char mac[18];
    char ip[64];
} pin_result;

/* --pin-address: a static DHCP host for the domain's MAC on its libvirt network, want_ip or
 * the next free address (NULL). Prints its own error; 0 or -errno. */
int annotate_pin_address(virConnectPtr conn, const nfsroot_domain *d, const char *want_ip,
                         bool dry_run, pin_result *pin);

/* Remove the static DHCP host of mac from network (live and config), as delete and a failed
 * create do. 1 removed (its address in ret_ip), 0 none there, -errno after printing. */
int annotate_unpin_address(virConnectPtr conn, const char *network, const char *mac, char *ret_ip,
                           size_t len);

/* Is s a numeric IPv4 address (not 0.0.0.0)? */
bool annotate_is_ipv4(const char *s);

#endif
