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

/* Is s a numeric IPv4 address (not 0.0.0.0)? */
bool annotate_is_ipv4(const char *s);

#endif
