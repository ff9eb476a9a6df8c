/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What create and annotate --pin-address made for a domain, recorded root-side through the
 * library (lib/core/owned.c) so that delete removes that and nothing another domain's XML names. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared.h"

/* The domain's record as it stands, or a new one; the policy with it. */
static int owned_open(const char *uuid, const char *name, nfsroot_policy **ret_policy,
                      nfsroot_owned *ret)
{
    nfsroot_error err = { 0 };
    int r = cli_policy_load(ret_policy, &err);
    if (r >= 0 && (r = nfsroot_owned_load(*ret_policy, uuid, ret, &err)) == -ENOENT)
        r = nfsroot_owned_init(ret, uuid, name, &err);
    return r < 0 ? cli_lib_error(&err, r, "cannot read what virt-nfsroot made"), r : 0;
}

static int owned_save(const nfsroot_policy *p, const nfsroot_owned *o)
{
    nfsroot_error err = { 0 };
    int r = nfsroot_owned_write(p, o, &err);
    return r < 0 ? cli_lib_error(&err, r, "cannot record what virt-nfsroot made"), r : 0;
}

int owned_record_pin(const char *uuid, const char *name, const char *network, const char *mac,
                     const char *ip)
{
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *p = NULL;
    nfsroot_owned o;
    nfsroot_error err = { 0 };
    int r = owned_open(uuid, name, &p, &o);
    if (r < 0)
        return r;
    if ((r = nfsroot_owned_set_pin(&o, network, mac, ip, &err)) < 0)
        return cli_lib_error(&err, r, "cannot record the pin"), r;
    return owned_save(p, &o);
}

/* The record of name's tree at path (the directory fd) that an unfinished run made for a domain
 * that is gone, now carried over to uuid: 1, 0 when there is none. */
static int take_over(virConnectPtr conn, const nfsroot_policy *p, const char *uuid,
                     const char *name, const char *path, int fd, nfsroot_owned *o)
{
    _cleanup_free_ nfsroot_owned *all = NULL;
    size_t n = 0;
    struct stat st;
    nfsroot_error err = { 0 };
    if (!conn)
        return 0; /* which domains are gone is libvirt's to say */
    int r = nfsroot_owned_load_all(p, &all, &n, &err);
    if (r < 0 || fstat(fd, &st) < 0)
        return r < 0 ? cli_lib_error(&err, r, "cannot read what virt-nfsroot made"), r : -errno;
    for (size_t i = 0; i < n; i++) {
        const nfsroot_owned *x = &all[i];
        if (strcmp(x->name, name) || !strcmp(x->uuid, uuid) || !x->has_tree ||
            strcmp(x->tree, path) || x->tree_dev != (uint64_t)st.st_dev ||
            x->tree_ino != (uint64_t)st.st_ino)
            continue;
        virDomainPtr dom = virDomainLookupByUUIDString(conn, x->uuid);
        if (dom) {
            virDomainFree(dom);
            continue;
        }
        o->has_tree = true;
        snprintf(o->tree, sizeof(o->tree), "%s", x->tree);
        o->tree_dev = x->tree_dev;
        o->tree_ino = x->tree_ino;
        if ((r = owned_save(p, o)) < 0 || (r = nfsroot_owned_remove(p, x->uuid, &err)) < 0)
            return r < 0 && err.code ? cli_lib_error(&err, r, "cannot move the record"), r : r;
        return 1;
    }
    return 0;
}

int owned_record_tree(virConnectPtr conn, const char *uuid, const char *name, const char *path,
                      bool made)
{
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *p = NULL;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    nfsroot_owned o;
    nfsroot_error err = { 0 };
    if (fd < 0) {
        int e = errno;
        cli_error("domain '%s': cannot open its tree '%s': %s", name, path, strerror(e));
        return -e;
    }
    int r = owned_open(uuid, name, &p, &o);
    if (r < 0 || !made) {
        if (r >= 0 && (r = take_over(conn, p, uuid, name, path, fd, &o)) == 0)
            cli_warn("domain '%s': create did not make '%s' (it existed before): 'virt-nfsroot "
                     "delete --tree' will not remove it",
                     name, path);
        return r;
    }
    if ((r = nfsroot_owned_set_tree(&o, path, fd, &err)) < 0)
        return cli_lib_error(&err, r, "cannot record the tree"), r;
    return owned_save(p, &o);
}

void owned_forget(const char *uuid)
{
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *p = NULL;
    nfsroot_error err = { 0 };
    int r = cli_policy_load(&p, &err);
    if (r >= 0)
        r = nfsroot_owned_remove(p, uuid, &err);
    if (r < 0)
        cli_lib_error(&err, r, "cannot remove the record of what virt-nfsroot made");
}
