/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What doctor shows of the ceph backend's cluster, one row each: reachable with the policy's
 * configuration and client id, pool and namespace present (conf-nfs.<cluster>), this host's
 * ganesha node in the grace database, every node of it watching conf-nfs.<cluster>, this
 * host's node answering on D-Bus, the export roots on CephFS. Reads only (but for the notify that
 * counts the watching nodes). */
#include <sys/statfs.h>

#include "backend/ceph/ceph.h"
#include "backend/ganesha/ganesha.h"

#define CEPH_SUPER_MAGIC 0x00c36400 /* the kernel client */
#define FUSE_SUPER_MAGIC 0x65735546 /* ceph-fuse */

static void probe_grace(rados_conn *c, const nfsroot_policy *p, nfsroot_probe *ret)
{
    char fix[256];
    snprintf(fix, sizeof(fix), "ganesha-rados-grace --pool %s --ns %s add %s", p->ceph_pool,
             p->ceph_namespace, p->ceph_node_id[0] ? p->ceph_node_id : "<node>");
    if (!p->ceph_node_id[0]) {
        nfsroot_probe_add_check(ret, "ceph-grace", NFSROOT_PROBE_WARN, NULL,
                                "policy key 'ceph_node_id' is unset: claims name this host by "
                                "its hostname, and its ganesha node's grace membership is not "
                                "checked");
        return;
    }
    int r = rados_conn_grace_member(c, p->ceph_node_id);
    if (r == 1)
        nfsroot_probe_add_check(ret, "ceph-grace", NFSROOT_PROBE_PASS, NULL,
                                "node '%s' is in the grace database", p->ceph_node_id);
    else if (r == 0)
        nfsroot_probe_add_check(ret, "ceph-grace", NFSROOT_PROBE_FAIL, fix,
                                "node '%s' is not in the grace database: its ganesha does not "
                                "take part in the cluster's grace, and other hosts may take its "
                                "claims over",
                                p->ceph_node_id);
    else
        nfsroot_probe_add_check(ret, "ceph-grace", NFSROOT_PROBE_FAIL, fix,
                                "no grace database in pool '%s', namespace '%s' (%s)", p->ceph_pool,
                                p->ceph_namespace, strerror(-r));
}

/* Every ganesha node of the cluster (the grace database's members) watches conf-nfs.<cluster>:
 * one that does not never reloads the exports a prepare lists. librados' C API lists no
 * watchers, so a notify counts them (each node reloads the same list, as at every prepare);
 * which member is which watcher it cannot tell, so a shortfall names the members. */
static void probe_watch(rados_conn *c, const nfsroot_policy *p, nfsroot_probe *ret)
{
    char members[1024], fix[320];
    size_t n = 0;
    unsigned acks = 0, late = 0;
    nfsroot_error e = { 0 };
    int r = rados_conn_grace_members(c, members, sizeof(members), &n);
    if (r == 0)
        r = rados_conn_watchers(c, &acks, &late, &e);
    snprintf(fix, sizeof(fix),
             "run every node with RADOS_URLS { watch_url = \"rados://%s/%s/%s\"; } and %%url of "
             "it, or take a node gone for good out of the grace database",
             p->ceph_pool, p->ceph_namespace, rados_conn_conf_oid(c));
    if (r < 0)
        nfsroot_probe_add_check(ret, "ceph-watch", NFSROOT_PROBE_FAIL, NULL,
                                "cannot tell which ganesha nodes watch %s: %s",
                                rados_conn_conf_oid(c),
                                r == -ENOENT ? "no grace database" : strerror(-r));
    else if (acks >= n)
        nfsroot_probe_add_check(ret, "ceph-watch", NFSROOT_PROBE_PASS, NULL,
                                "%u ganesha node(s) watch %s; the grace database holds %zu (%s)",
                                acks, rados_conn_conf_oid(c), n, members);
    else
        nfsroot_probe_add_check(ret, "ceph-watch", NFSROOT_PROBE_FAIL, fix,
                                "%zu of the %zu ganesha node(s) of the grace database (%s) do "
                                "not watch %s (%u answered a notify, %u did not within 10 s): "
                                "%s never reload the exports a prepare lists (stopped, or "
                                "running without RADOS_URLS watch_url)",
                                n - acks, n, members, rados_conn_conf_oid(c), acks, late,
                                acks ? "those" : "they");
}

/* This host's own node answers on ganesha_bus: a migration's source unexports there at its
 * release (drop_node_state). Without it every start works, but a guest moving away waits for
 * its old state on this node to expire (11-17 s of its OPENs on the destination). */
static void probe_node_bus(const nfsroot_policy *p, nfsroot_probe *ret)
{
    nfsroot_error e = { 0 };
    _cleanup_(bus_closep) bus *b = NULL;
    bool in_grace = false;
    int r = bus_open(p, NULL, &b, &e);
    if (r == 0)
        r = bus_in_grace(b, &in_grace, &e);
    if (r == 0)
        nfsroot_probe_add_check(ret, "ceph-node-bus", NFSROOT_PROBE_PASS, NULL,
                                "this host's ganesha node answers on D-Bus (%s)%s",
                                p->ganesha_bus ? p->ganesha_bus : "the system bus",
                                in_grace ? ", in its grace period" : "");
    else
        nfsroot_probe_add_check(ret, "ceph-node-bus", NFSROOT_PROBE_WARN,
                                "run this host's ganesha node on the system bus, or set "
                                "policy key 'ganesha_bus' to its bus",
                                "this host's ganesha node does not answer (%s): "
                                "starts work, but a guest migrating away leaves its old state "
                                "on the node until its lease ends, and waits for it on the "
                                "destination",
                                e.message[0] ? e.message : strerror(-r));
}

static void probe_roots(const nfsroot_policy *p, nfsroot_probe *ret)
{
    for (size_t i = 0; p->export_roots && p->export_roots[i]; i++) {
        const char *root = p->export_roots[i];
        struct statfs st;
        if (statfs(root, &st) < 0)
            nfsroot_probe_add_check(ret, "ceph-export-root", NFSROOT_PROBE_FAIL, NULL,
                                    "export root '%s': %s", root, strerror(errno));
        else if ((unsigned long)st.f_type == CEPH_SUPER_MAGIC ||
                 (unsigned long)st.f_type == FUSE_SUPER_MAGIC)
            nfsroot_probe_add_check(ret, "ceph-export-root", NFSROOT_PROBE_PASS, NULL,
                                    "export root '%s' is on CephFS%s", root,
                                    st.f_type == FUSE_SUPER_MAGIC ? " (a FUSE mount: ceph-fuse)"
                                                                  : "");
        else
            nfsroot_probe_add_check(ret, "ceph-export-root", NFSROOT_PROBE_FAIL,
                                    "mount CephFS's root there on every host (ceph-fuse)",
                                    "export root '%s' is not on CephFS (filesystem type 0x%lx): "
                                    "the ganesha nodes serve the paths inside CephFS",
                                    root, (unsigned long)st.f_type);
    }
}

int ceph_probe(const nfsroot_policy *p, int root_fd, nfsroot_probe *ret, nfsroot_error *err)
{
    (void)root_fd;
    (void)err; /* what fails is a row */
    _cleanup_(rados_conn_closep) rados_conn *c = NULL;
    nfsroot_error e = { 0 };
    snprintf(ret->versions_reason, sizeof(ret->versions_reason),
             "the ganesha nodes' NFS versions are their own configuration");
    if (rados_conn_open(p, NULL, &c, &e) < 0) {
        ret->running = 0;
        snprintf(ret->reason, sizeof(ret->reason), "the Ceph cluster: %.400s", e.message);
        snprintf(ret->fix, sizeof(ret->fix),
                 "check policy keys ceph_conf, ceph_client_id and "
                 "ceph_pool, and that the cluster is up (ceph -s)");
        probe_roots(p, ret);
        return 0;
    }
    ret->running = 1;
    snprintf(ret->reason, sizeof(ret->reason),
             "the Ceph cluster of '%s' is reachable as client '%s', pool '%s' opened", p->ceph_conf,
             p->ceph_client_id, p->ceph_pool);
    _cleanup_free_ char *urls = NULL;
    int r = rados_conn_read(c, rados_conn_conf_oid(c), &urls, &e);
    if (r == 0)
        nfsroot_probe_add_check(ret, "ceph-namespace", NFSROOT_PROBE_PASS, NULL,
                                "namespace '%s' holds %s", p->ceph_namespace,
                                rados_conn_conf_oid(c));
    else
        nfsroot_probe_add_check(ret, "ceph-namespace", NFSROOT_PROBE_FAIL,
                                "create it empty, and have every ganesha node watch it",
                                "namespace '%s' of pool '%s' has no %s (%s)", p->ceph_namespace,
                                p->ceph_pool, rados_conn_conf_oid(c),
                                r == -ENOENT ? "absent" : "unreadable");
    probe_grace(c, p, ret);
    probe_watch(c, p, ret);
    probe_node_bus(p, ret);
    probe_roots(p, ret);
    return 0;
}
