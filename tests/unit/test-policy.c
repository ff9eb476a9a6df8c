/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy's key table (lib/core/policy.c): a file that sets every key loads into the fields
 * the keys name, and nfsroot_policy_dup() copies each of them into memory of its own, so the
 * copy outlives the original (AddressSanitizer sees a shared pointer freed twice). No root. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "policy.h"

/* Every key, none at its default. */
static const char conf_text[] = "export_roots = /srv/a, /srv/b\n"
                                "boot_dirs = /srv/boot\n"
                                "default_options = rw,sync\n"
                                "allowed_options = rw,sync,sec\n"
                                "allow_wider_clients = yes\n"
                                "allow_shared_rw = yes\n"
                                "allow_subnet_fallback = no\n"
                                "ganesha_nfsv3 = yes\n"
                                "migration = yes\n"
                                "backend = ganesha\n"
                                "validate = warn\n"
                                "ganesha_export_ids = 100-199\n"
                                "ganesha_bus = unix:path=/t/bus\n"
                                "host_id = host-7\n"
                                "exports_dir = /t/exports.d\n"
                                "state_dir = /t/state\n"
                                "exportfs = /t/exportfs\n"
                                "etab = /t/etab\n"
                                "network_dir = /t/network\n"
                                "sysfs_net_dir = /t/net\n"
                                "idmapd_conf = /t/idmapd.conf\n"
                                "qemu_conf = /t/qemu.conf\n"
                                "ganesha_exports_dir = /t/ganesha.d\n"
                                "ganesha_conf = /t/ganesha.conf\n"
                                "owned_dir = /t/owned\n"
                                "ceph_conf = /t/ceph.conf\n"
                                "ceph_client_id = nfs\n"
                                "ceph_pool = pool\n"
                                "ceph_namespace = ns\n"
                                "ceph_node_id = node1\n";

/* Each string field of a policy with the value conf_text gives it. */
#define STRINGS(X)                                                                                 \
    X(default_options, "rw,sync")                                                                  \
    X(ganesha_bus, "unix:path=/t/bus")                                                             \
    X(host_id, "host-7")                                                                           \
    X(exports_dir, "/t/exports.d")                                                                 \
    X(state_dir, "/t/state")                                                                       \
    X(exportfs, "/t/exportfs")                                                                     \
    X(etab, "/t/etab")                                                                             \
    X(network_dir, "/t/network")                                                                   \
    X(sysfs_net_dir, "/t/net")                                                                     \
    X(idmapd_conf, "/t/idmapd.conf")                                                               \
    X(qemu_conf, "/t/qemu.conf")                                                                   \
    X(ganesha_exports_dir, "/t/ganesha.d")                                                         \
    X(ganesha_conf, "/t/ganesha.conf")                                                             \
    X(owned_dir, "/t/owned")                                                                       \
    X(ceph_conf, "/t/ceph.conf")                                                                   \
    X(ceph_client_id, "nfs")                                                                       \
    X(ceph_pool, "pool")                                                                           \
    X(ceph_namespace, "ns")                                                                        \
    X(ceph_node_id, "node1")

static bool strv_is(char *const *v, const char *a, const char *b)
{
    return v && v[0] && !strcmp(v[0], a) && (b ? v[1] && !strcmp(v[1], b) && !v[2] : !v[1]);
}

/* Every field as conf_text sets it. */
static void loaded(const nfsroot_policy *p, const char *who)
{
#define CHECK_STRING(field, want)                                                                  \
    CHECKF(!strcmp(p->field, want), "%s: " #field " '%s', not '%s'", who, p->field, want);
    STRINGS(CHECK_STRING)
    CHECKF(strv_is(p->export_roots, "/srv/a", "/srv/b"), "%s: export_roots", who);
    CHECKF(strv_is(p->boot_dirs, "/srv/boot", NULL), "%s: boot_dirs", who);
    CHECKF(p->allowed_options && p->allowed_options[2] && !strcmp(p->allowed_options[2], "sec"),
           "%s: allowed_options", who);
    CHECKF(p->allow_wider_clients && p->allow_shared_rw && !p->allow_subnet_fallback &&
               p->ganesha_nfsv3 && p->migration,
           "%s: the five yes/no keys", who);
    CHECKF(p->backend == NFSROOT_BACKEND_GANESHA && p->validate == NFSROOT_VALIDATE_WARN,
           "%s: backend, validate", who);
    CHECKF(p->ganesha_export_id_min == 100 && p->ganesha_export_id_max == 199,
           "%s: ganesha_export_ids", who);
    CHECKF(p->source && strstr(p->source, "policy.conf"), "%s: source", who);
}

/* No pointer of the copy is one of the original's. */
static void apart(const nfsroot_policy *p, const nfsroot_policy *c)
{
#define CHECK_APART(field, want) CHECKF((void *)p->field != (void *)c->field, #field " is shared");
    STRINGS(CHECK_APART)
    CHECK(p->export_roots != c->export_roots && p->export_roots[0] != c->export_roots[0]);
    CHECK(p->boot_dirs != c->boot_dirs && p->allowed_options != c->allowed_options);
    CHECK(p->source != c->source);
}

int main(void)
{
    char dir[] = "/tmp/nfsroot-policy.XXXXXX";
    if (!mkdtemp(dir))
        return 99;
    char conf[64];
    snprintf(conf, sizeof(conf), "%s/policy.conf", dir);
    FILE *f = fopen(conf, "we");
    if (!f || fputs(conf_text, f) < 0 || fclose(f) != 0)
        return 99;

    nfsroot_policy *p = NULL, *c = NULL;
    nfsroot_error err = { 0 };
    int r = nfsroot_policy_load(conf, &p, &err);
    CHECKF(r == 0, "load: %s", err.message);
    unlink(conf);
    rmdir(dir);
    if (r < 0)
        return test_summary();
    loaded(p, "loaded");
    CHECK(nfsroot_policy_dup(p, &c) == 0);
    loaded(c, "copy");
    apart(p, c);
    nfsroot_policy_free(p);
    loaded(c, "copy after the original is freed");
    nfsroot_policy_free(c);
    return test_summary();
}
