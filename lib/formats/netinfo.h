/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the library reads of a network (nfsroot_netinfo) and of its DHCP (nfsroot_netdhcp):
 * private definitions, opaque in the installed header. Tests that build one by hand include it. */
#ifndef NFSROOT_NETINFO_H
#define NFSROOT_NETINFO_H

#include "virt-nfsroot/virt-nfsroot-private.h"

struct nfsroot_netinfo {
    char *name;            /* network or bridge name */
    nfsroot_cidr *subnets; /* the networks' subnets */
    size_t n_subnets;
    nfsroot_cidr *host_addrs; /* this host's address(es) on it (prefix = subnet's) */
    size_t n_host_addrs;
    nfsroot_cidr pinned; /* static DHCP address for the NIC's MAC (family 0 if none) */
    char bridge_mac[18]; /* the network's <mac address=> (its bridge's), lower case; "" if none */
    bool bridge_stp;     /* its <bridge> runs STP (stp= not 'off': libvirt's default is on) */
};

struct nfsroot_netdhcp {
    nfsroot_cidr subnet;      /* the <ip>'s subnet */
    nfsroot_cidr host;        /* the host's own address on it (/32) */
    nfsroot_cidr range_start; /* its first dynamic <range> (family 0 if none) */
    nfsroot_cidr range_end;
    nfsroot_cidr *hosts; /* the IPv4 addresses of its static <host> entries (/32) */
    size_t n_hosts;
    nfsroot_cidr pinned; /* the static address of the MAC asked for (family 0 if none) */
};

#endif
