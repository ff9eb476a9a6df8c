/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the ganesha backend needs from NFS-Ganesha's own configuration, read from the
 * ganesha.conf in use (policy ganesha_conf) and the files it %includes: doctor's rows (the
 * probe) and the boot check's refusal of a server whose NFSv4 owners would hang a guest. */
#include <fcntl.h>
#include <sys/stat.h>

#include "backend/ganesha/ganesha.h"

#define CONF_MAX (4u << 20)

/* Is path dir itself or below it? (By its characters: what ganesha would open.) */
static bool path_below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* ganesha.conf, then each absolute %include outside our exports dir (at most
 * GANESHA_CONF_INCLUDES in all, so a loop ends), beneath root_fd; owners_only: only until
 * numeric owners are set (a start reads no more than it needs: an include may hold thousands of
 * exports). 0, or -errno of ganesha.conf itself (an include that cannot be read is ganesha's own
 * start-up error, not ours). */
static int conf_load(const nfsroot_policy *p, int root_fd, bool owners_only, ganesha_conf *c)
{
    char index[4200];
    if (!p->ganesha_conf || !p->ganesha_exports_dir)
        return -ENOENT; /* a policy made in code, without the defaults */
    snprintf(index, sizeof(index), "%s/%s", p->ganesha_exports_dir, GANESHA_INDEX_NAME);
    _cleanup_free_ char *text = NULL;
    int r = nfsroot_host_read(root_fd, p->ganesha_conf, CONF_MAX, &text, NULL);
    if (r == 0)
        r = ganesha_config_read(text, index, c);
    for (size_t i = 0; r == 0 && c->includes && c->includes[i]; i++) {
        if (owners_only && c->numeric_owners == 1)
            break;
        _cleanup_free_ char *more = NULL;
        const char *inc = c->includes[i];
        if (inc[0] != '/' || path_below(inc, p->ganesha_exports_dir) ||
            nfsroot_host_read(root_fd, inc, CONF_MAX, &more, NULL) < 0)
            continue;
        r = ganesha_config_read(more, index, c);
    }
    return r;
}

/* The guest's kernel turns an NFSv4 owner name into a uid with an upcall (request-key, then
 * nfsidmap) whose program lives on the root being mapped: with names it hangs for good. */
static const char owners_why[] =
    "without it NFS-Ganesha sends NFSv4 owners as names, and a guest's kernel maps each one "
    "with a helper that lives on the very root it is mapping: the guest hangs before its login "
    "prompt";

static void probe_owners(const nfsroot_policy *p, const ganesha_conf *c, nfsroot_probe *ret)
{
    if (c->numeric_owners == 1) {
        nfsroot_probe_add_check(ret, "ganesha-owners", NFSROOT_PROBE_PASS, NULL,
                                "%s sets NFSv4 Only_Numeric_Owners: guests get numeric owners",
                                p->ganesha_conf);
        return;
    }
    char fix[640];
    snprintf(fix, sizeof(fix),
             "add NFSv4 { Only_Numeric_Owners = true; } to %s (or that line to its NFSv4 "
             "block), then restart NFS-Ganesha",
             p->ganesha_conf);
    nfsroot_probe_add_check(ret, "ganesha-owners", NFSROOT_PROBE_FAIL, fix,
                            "%s lacks NFSv4 Only_Numeric_Owners = true: %s", p->ganesha_conf,
                            owners_why);
}

static void probe_include(const nfsroot_policy *p, const ganesha_conf *c, nfsroot_probe *ret)
{
    char fix[640];
    if (c->includes_index) {
        nfsroot_probe_add_check(ret, "ganesha-include", NFSROOT_PROBE_PASS, NULL,
                                "%s includes %s/%s", p->ganesha_conf, p->ganesha_exports_dir,
                                GANESHA_INDEX_NAME);
        return;
    }
    snprintf(fix, sizeof(fix),
             "add the line %%include \"%s/%s\" at the end of %s (the file must exist: touch "
             "it), then restart NFS-Ganesha",
             p->ganesha_exports_dir, GANESHA_INDEX_NAME, p->ganesha_conf);
    nfsroot_probe_add_check(ret, "ganesha-include", NFSROOT_PROBE_FAIL, fix,
                            "%s does not %%include %s/%s: the exports of running guests are gone "
                            "after NFS-Ganesha restarts",
                            p->ganesha_conf, p->ganesha_exports_dir, GANESHA_INDEX_NAME);
}

/* Without rpcbind ganesha exits at start when it would register NFSv3 or RQUOTA (seen with 4.3:
 * "Cannot register NFS V3 on UDP", "... RQUOTA V1 ..."); an NFSv4-only server does not need it. */
static void probe_rpcbind(const ganesha_conf *c, nfsroot_probe *ret)
{
    bool v3 = ret->versions[1] == 1, rquota = c->rquota != 0;
    ret->rpcbind = v3 || rquota ? 2 : 0;
    if (!ret->rpcbind)
        snprintf(ret->rpcbind_reason, sizeof(ret->rpcbind_reason),
                 "NFS-Ganesha serves NFSv4 only, without RQUOTA");
    else
        snprintf(ret->rpcbind_reason, sizeof(ret->rpcbind_reason),
                 "NFS-Ganesha registers %s%s%s with rpcbind (NFS_CORE_PARAM Protocols%s and "
                 "Enable_RQUOTA%s) and exits at start without it",
                 v3 ? "NFSv3" : "", v3 && rquota ? " and " : "", rquota ? "RQUOTA" : "",
                 c->protocols < 0 ? ", default 3, 4, 9P," : "",
                 c->rquota < 0 ? ", default true" : "");
}

/* Protocols and Minor_Versions as the versions doctor judges; the backend's guests mount 4.1. */
static void probe_versions(const nfsroot_policy *p, const ganesha_conf *c, nfsroot_probe *ret)
{
    unsigned proto = c->protocols < 0 ? NFSROOT_NFS_V3 | NFSROOT_NFS_V4 : (unsigned)c->protocols;
    int minor = c->minor_versions < 0 ? 7 : c->minor_versions;
    bool v4 = proto & NFSROOT_NFS_V4;
    ret->versions[0] = 0;
    ret->versions[1] = (proto & NFSROOT_NFS_V3) != 0;
    for (int i = 0; i < 3; i++)
        ret->versions[2 + i] = v4 && (minor & (1 << i));
    ret->version_on[1] = "Protocols = 3, 4; in NFS_CORE_PARAM";
    ret->version_off[1] = "Protocols = 4; and Enable_RQUOTA = false; in NFS_CORE_PARAM";
    ret->version_on[2] = "Protocols = 4; in NFS_CORE_PARAM";
    ret->version_on[3] = ret->version_on[4] = "Minor_Versions = 0, 1, 2; in NFSv4";
    snprintf(ret->versions_where, sizeof(ret->versions_where), "of %s, then restart NFS-Ganesha",
             p->ganesha_conf);
    if (ret->versions[3] == 1)
        nfsroot_probe_add_check(ret, "ganesha-versions", NFSROOT_PROBE_PASS, NULL,
                                "NFSv4.1 is served: guests of this backend mount vers=4.1");
    else
        nfsroot_probe_add_check(ret, "ganesha-versions", NFSROOT_PROBE_FAIL,
                                "set Protocols = 4; in NFS_CORE_PARAM (3, 4 for NFSv3 guests) and "
                                "Minor_Versions = 0, 1, 2; in NFSv4, then restart NFS-Ganesha",
                                "%s does not serve NFSv4.1, which every guest of this backend "
                                "mounts (vers=4.1): no guest can mount its root",
                                p->ganesha_conf);
    probe_rpcbind(c, ret);
}

/* Ganesha's export manager is on the system bus (policy ganesha_bus: the admin's own). */
static void probe_bus(const nfsroot_policy *p, int root_fd, nfsroot_probe *ret)
{
    static const char *const names[] = { "dbus-daemon", "dbus-broker", NULL };
    static const char sock[] = "/run/dbus/system_bus_socket";
    if (p->ganesha_bus) {
        nfsroot_probe_add_check(ret, "dbus", NFSROOT_PROBE_PASS, NULL,
                                "ganesha_bus = %s: not checked", p->ganesha_bus);
        return;
    }
    struct stat st;
    _cleanup_close_ int fd = nfsroot_host_open(root_fd, sock, O_PATH);
    long pid = nfsroot_host_find_process(root_fd, names);
    if (pid > 0) {
        nfsroot_probe_add_check(ret, "dbus", NFSROOT_PROBE_PASS, NULL,
                                "the system bus is running (pid %ld)", pid);
        return;
    }
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
        nfsroot_probe_add_check(ret, "dbus", NFSROOT_PROBE_PASS, NULL,
                                "the system bus is socket-activated (%s)", sock);
        return;
    }
    nfsroot_probe_add_check(ret, "dbus", NFSROOT_PROBE_FAIL,
                            "start the system bus before NFS-Ganesha: systemctl start dbus; "
                            "without systemd: mkdir -p /run/dbus && dbus-daemon --system",
                            "no D-Bus daemon answers at %s: NFS-Ganesha's export manager is "
                            "unreachable, so every start of a guest fails",
                            sock);
}

/* ganesha.conf's NFSv4 block, for guests migrated here: without Graceless a restarted server (or
 * a destination still in grace) stalls their NFSv4 state for the grace period. */
static void probe_migration(const nfsroot_policy *p, const ganesha_conf *c, nfsroot_probe *ret)
{
    ret->migration = c->graceless == 1;
    if (ret->migration) {
        snprintf(ret->migration_reason, sizeof(ret->migration_reason),
                 "%s sets Graceless in its NFSv4 block", p->ganesha_conf);
        return;
    }
    snprintf(ret->migration_reason, sizeof(ret->migration_reason),
             "%s lacks NFSv4 Graceless = true (guests stall for the grace period, about 90 s, "
             "after a restart or a migration here)",
             p->ganesha_conf);
    snprintf(ret->migration_fix, sizeof(ret->migration_fix),
             "set Graceless = true; in the NFSv4 block of %s on every host, then restart "
             "NFS-Ganesha",
             p->ganesha_conf);
}

/* Is ganesha.nfsd running, and does ganesha.conf give what the backend and its guests need? */
int ganesha_probe(const nfsroot_policy *p, int root_fd, nfsroot_probe *ret, nfsroot_error *err)
{
    (void)err;
    static const char *const names[] = { "ganesha.nfsd", NULL };
    ret->pid = nfsroot_host_find_process(root_fd, names);
    ret->running = ret->pid > 0;
    if (ret->running)
        snprintf(ret->reason, sizeof(ret->reason), "NFS-Ganesha is running (pid %ld)", ret->pid);
    else {
        snprintf(ret->reason, sizeof(ret->reason),
                 "backend is 'ganesha' but no ganesha.nfsd process is running");
        snprintf(ret->fix, sizeof(ret->fix),
                 "start NFS-Ganesha after D-Bus (systemctl enable --now nfs-ganesha; without "
                 "systemd: ganesha.nfsd -f %s)",
                 p->ganesha_conf);
    }
    _cleanup_(ganesha_conf_done) ganesha_conf c = GANESHA_CONF_INIT;
    int r = conf_load(p, root_fd, false, &c);
    if (r == -ENOMEM)
        return r;
    probe_bus(p, root_fd, ret);
    if (r < 0) {
        snprintf(ret->versions_reason, sizeof(ret->versions_reason), "%s is not readable: %s",
                 p->ganesha_conf, strerror(-r));
        ret->versions_unreadable = true;
        nfsroot_probe_add_check(ret, "ganesha-conf", NFSROOT_PROBE_FAIL,
                                "reinstall nfs-ganesha for its default ganesha.conf, or set "
                                "ganesha_conf in the policy to the file NFS-Ganesha reads",
                                "%s is not readable (%s): what NFS-Ganesha serves is not checked",
                                p->ganesha_conf, strerror(-r));
        snprintf(ret->migration_reason, sizeof(ret->migration_reason),
                 "%s is not readable: its NFSv4 Graceless is not checked", p->ganesha_conf);
        return 0;
    }
    probe_include(p, &c, ret);
    probe_owners(p, &c, ret);
    probe_versions(p, &c, ret);
    probe_migration(p, &c, ret);
    return 0;
}

/* A guest booting from a server that sends owner names hangs: refused at prepare (and an error
 * of validate). An unreadable ganesha.conf is doctor's to report, not a start's to refuse. */
int ganesha_boot_findings(const nfsroot_policy *p, nfsroot_findings *f)
{
    _cleanup_(ganesha_conf_done) ganesha_conf c = GANESHA_CONF_INIT;
    int r = conf_load(p, AT_FDCWD, true, &c);
    if (r == -ENOMEM)
        return r;
    if (r < 0 || c.numeric_owners == 1)
        return 0;
    return nfsroot_findings_add(f, NFSROOT_FINDING_ERROR, "server-owner-names", p->ganesha_conf,
                                "NFS-Ganesha's '%s' lacks NFSv4 Only_Numeric_Owners = true: %s; "
                                "add NFSv4 { Only_Numeric_Owners = true; } to it and restart "
                                "NFS-Ganesha",
                                p->ganesha_conf, owners_why);
}
