/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot tools/shared/: what several commands share, DHCP pins (annotate-pin.c), the
 * records of what create and annotate made (owned.c) and where a guest's files lie on the host
 * (layout.c), for annotate, create and delete. Private. */
#ifndef NFSROOT_TOOLS_SHARED_H
#define NFSROOT_TOOLS_SHARED_H

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

/* Remove the static DHCP host of mac from network (live and config) when it gives mac exactly
 * ip (a pin this tool made, as delete and a failed create know it): 1 removed, 0 none such there,
 * -errno after printing. */
int annotate_unpin_address(virConnectPtr conn, const char *network, const char *mac,
                           const char *ip);

/* The address network pins to mac, in ret_ip: 1, or 0 when none (or no such network). */
int annotate_pinned_ip(virConnectPtr conn, const char *network, const char *mac, char *ret_ip,
                       size_t len);

/* owned.c: what create and annotate made for a domain (uuid, name), recorded root-side for
 * delete. Print their own error; 0 or -errno. */
int owned_record_pin(const char *uuid, const char *name, const char *network, const char *mac,
                     const char *ip);
/* The tree create made (made: this run made the directory; else the record an unfinished run
 * made for name at path, if any, is carried over to uuid: --reuse). */
int owned_record_tree(virConnectPtr conn, const char *uuid, const char *name, const char *path,
                      bool made);
/* Forget everything recorded for uuid (create undone); prints what fails. */
void owned_forget(const char *uuid);

/* layout.c: a guest's files on the host. */
/* The initramfs store of a boot root: <boot root>/.initramfs/<kver>-<hash>.img, each image
 * linked into the boot directory of every guest that boots it (delete removes an image no
 * directory links any more). */
#define LAYOUT_INITRAMFS_STORE ".initramfs"
/* <first boot_dirs entry>/NAME: a guest's kernel and its link to the shared initramfs; -ENOENT
 * when the policy names no boot directory. */
int layout_boot_dir(const nfsroot_policy *p, const char *name, char **ret);
/* Remove parent/name: a link or file itself, a directory with rm -rf --one-file-system
 * beneath the opened parent (never through a symbolic link). 0 (also when there is none), or
 * -errno. */
int layout_remove_tree(const char *parent, const char *name);

/* Is s a numeric IPv4 address (not 0.0.0.0)? */
bool annotate_is_ipv4(const char *s);
/* --pin-address's value: "=IP", or the next word when it is an address ("--pin-address IP",
 * optind moves past it); NULL: none given (the next free). */
const char *annotate_pin_arg(const char *arg, int argc, char **argv);

#endif
