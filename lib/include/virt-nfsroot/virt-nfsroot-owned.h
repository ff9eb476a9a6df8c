/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot: what `create` and `annotate --pin-address` made for a domain, recorded root-side
 * so that `delete` removes only that. Part of <virt-nfsroot/virt-nfsroot-private.h> (not
 * installed): include that one, never this file alone. */
#ifndef VIRT_NFSROOT_OWNED_H
#define VIRT_NFSROOT_OWNED_H

#ifndef VIRT_NFSROOT_PRIVATE_H
#error "include <virt-nfsroot/virt-nfsroot-private.h>, not <virt-nfsroot/virt-nfsroot-owned.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Ownership records (lib/core/owned.c): one file per domain UUID, <owned_dir>/<UUID>.owned, in a
 * root-only directory of the host (the policy's owned_dir). Nothing a domain's XML says can make
 * or change one: a domain editor can clone a MAC or name a path, never this record. Read back
 * strictly (a record that does not read back exactly as written is refused whole). */

/* The longest domain name, network name and tree path a record holds. */
#define NFSROOT_OWNED_NAME_MAX 256
#define NFSROOT_OWNED_PATH_MAX 4096

/* What one record says. has_pin: a static DHCP host this tool added (network, MAC, address);
 * has_tree: the root tree `create` made, with the device and inode of its top directory when it
 * was made (a directory swapped in at that path is not it). */
typedef struct nfsroot_owned {
    char uuid[37];
    char name[NFSROOT_OWNED_NAME_MAX];
    bool has_pin;
    char pin_network[NFSROOT_OWNED_NAME_MAX];
    char pin_mac[18];
    char pin_ip[16];
    bool has_tree;
    char tree[NFSROOT_OWNED_PATH_MAX];
    uint64_t tree_dev, tree_ino;
} nfsroot_owned;

/* An empty record for the domain (uuid, name); -EINVAL with err filled when either cannot be
 * recorded (not a UUID; a name with a control character or over the bound). */
NFSROOT_API int nfsroot_owned_init(nfsroot_owned *o, const char *uuid, const char *name,
                                   nfsroot_error *err);
/* Set the pin (-EINVAL, err filled, o unchanged, when a field cannot be recorded). */
NFSROOT_API int nfsroot_owned_set_pin(nfsroot_owned *o, const char *network, const char *mac,
                                      const char *ip, nfsroot_error *err);
/* Set the tree from the directory fd (its device and inode) at path. */
NFSROOT_API int nfsroot_owned_set_tree(nfsroot_owned *o, const char *path, int dir_fd,
                                       nfsroot_error *err);
/* The record's text (caller frees) and its strict reader: -EBADMSG with err filled for anything
 * that would not be written exactly so. */
NFSROOT_API int nfsroot_owned_format(const nfsroot_owned *o, char **ret);
NFSROOT_API int nfsroot_owned_parse(const char *text, size_t len, nfsroot_owned *ret,
                                    nfsroot_error *err);
/* The record of the domain uuid: 0, -ENOENT when there is none, -EBADMSG/-EPERM (a file or a
 * directory anyone but root could have written) with err filled. */
NFSROOT_API int nfsroot_owned_load(const nfsroot_policy *p, const char *uuid, nfsroot_owned *ret,
                                   nfsroot_error *err);
/* Every record (at most NFSROOT_OWNED_MAX; unreadable ones are refused: -EBADMSG, err filled),
 * in *ret (caller frees) and *ret_n; none: 0 with *ret NULL. */
#define NFSROOT_OWNED_MAX 4096
NFSROOT_API int nfsroot_owned_load_all(const nfsroot_policy *p, nfsroot_owned **ret, size_t *ret_n,
                                       nfsroot_error *err);
/* Write o as its domain's record (temp, fsync, rename; the directory made 0700). */
NFSROOT_API int nfsroot_owned_write(const nfsroot_policy *p, const nfsroot_owned *o,
                                    nfsroot_error *err);
/* Remove the domain's record; 0 also when there was none. */
NFSROOT_API int nfsroot_owned_remove(const nfsroot_policy *p, const char *uuid, nfsroot_error *err);

#ifdef __cplusplus
}
#endif

#endif
