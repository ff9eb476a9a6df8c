/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os><cmdline>: is the root= the guest will use (cmdline-parse.c) one this host exports to it? */
#include <ctype.h>

#include "backend/backend.h"
#include "bootcheck.h"
#include "guest/guest.h"

static bool client_allowed(const nfsroot_export *re, const char *addr)
{
    nfsroot_cidr a;
    if (nfsroot_cidr_parse(addr, &a) < 0)
        return true; /* cannot tell */
    for (size_t i = 0; re->clients && re->clients[i]; i++) {
        nfsroot_cidr c;
        if (nfsroot_cidr_parse(re->clients[i], &c) == 0 && nfsroot_cidr_contains(&c, &a))
            return true;
    }
    return !re->clients || !re->clients[0];
}

/* What every check below reads: the parsed cmdline, the root export and the line to suggest. */
typedef struct cmdline_check {
    const nfsroot_policy *p;
    const nfsroot_plan *plan;
    const nfsroot_export *re;
    const nfsroot_initramfs_info *ii;
    const nfsroot_cmdline_root *c;
    const char *server; /* this host's address on the guest's network, or a placeholder */
    char want[1400];    /* the root= we would write */
    bool has_initrd;
    nfsroot_findings *f;
} cmdline_check;

#define ADD(level, code, ...)                                                                      \
    do {                                                                                           \
        int r_ = nfsroot_findings_add(x->f, level, code, NULL, __VA_ARGS__);                       \
        if (r_ < 0)                                                                                \
            return r_;                                                                             \
    } while (0)

/* root= that is no NFS root at all; *ret_done when nothing further applies. */
static int check_kind(const cmdline_check *x, bool *ret_done)
{
    const nfsroot_cmdline_root *c = x->c;
    *ret_done = c->kind != NFSROOT_ROOT_NFS;
    switch (c->kind) {
    case NFSROOT_ROOT_NONE:
        ADD(F_ERROR, "cmdline-no-root",
            "<cmdline> has no root=, so the guest does not know its root is on NFS: add '%s' "
            "(and 'ip=dhcp rw')",
            x->want);
        break;
    case NFSROOT_ROOT_DHCP:
        ADD(F_WARN, "cmdline-root-dhcp",
            "root=dhcp takes the NFS server and path from the DHCP root-path option, which "
            "libvirt's DHCP server does not send: write '%s'",
            x->want);
        break;
    case NFSROOT_ROOT_OTHER:
        if (c->nfsroot_without_dev_nfs)
            ADD(F_ERROR, "cmdline-nfsroot-without-dev-nfs",
                "<cmdline> has nfsroot= but root='%s': dracut stops with 'Argument nfsroot only "
                "accepted for legacy root=/dev/nfs'; write '%s' instead",
                c->root, x->want);
        else if (strcmp(c->form, "hostname-legacy") == 0)
            ADD(F_ERROR, "cmdline-root-hostname",
                "root='%s' names the server by hostname in the bare legacy form, which dracut "
                "does not treat as NFS: write '%s'",
                c->root, x->want);
        else
            ADD(F_ERROR, "cmdline-root-not-nfs",
                "root='%s' is not an NFS root, but the domain's root is the export '%s': "
                "write '%s'",
                c->root, x->re->path, x->want);
        break;
    case NFSROOT_ROOT_NFS:
        break;
    }
    return 0;
}

static int check_path(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    if (strcmp(c->path, "error") == 0)
        ADD(F_ERROR, "cmdline-bad-path",
            "root='%s' has no absolute path after the server (dracut stops with 'Argument "
            "nfsroot must contain a valid path!'): write '%s'",
            c->root, x->want);
    else if (!c->path[0])
        ADD(F_ERROR, "cmdline-no-path",
            "root=/dev/nfs without nfsroot= takes the path from DHCP or falls back to "
            "'/tftpboot/<address>', not the root export '%s': write '%s'",
            x->re->path, x->want);
    else if (strstr(c->path, "%s"))
        ADD(F_WARN, "cmdline-path-template",
            "the NFS path '%s' holds '%%s', which dracut replaces with the guest's hostname or "
            "address; make sure it becomes '%s', or write '%s'",
            c->path, x->re->path, x->want);
    else if (!bootcheck_same_path(c->path, x->re->path))
        ADD(F_ERROR, "cmdline-path-mismatch",
            "<cmdline> mounts '%s' as the root, but the root export is '%s': write '%s'", c->path,
            x->re->path, x->want);
    return 0;
}

bootcheck_server_verdict bootcheck_server_rule(const nfsroot_cmdline_root *c,
                                               const char *host_server, const char **ret_server)
{
    const char *srv = c->server[0] ? c->server : c->ip_server;
    *ret_server = srv;
    if (!srv[0])
        return BOOTCHECK_SERVER_NONE;
    if (!bootcheck_is_ip_literal(srv, NULL, 0))
        return BOOTCHECK_SERVER_HOSTNAME;
    if (!host_server)
        return BOOTCHECK_SERVER_UNVERIFIED;
    return bootcheck_same_address(srv, host_server) ? BOOTCHECK_SERVER_OK
                                                    : BOOTCHECK_SERVER_MISMATCH;
}

static int check_server(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    const char *srv = NULL;
    bootcheck_server_verdict v = bootcheck_server_rule(c, x->plan->server, &srv);
    if (v == BOOTCHECK_SERVER_NONE) {
        if (c->path[0])
            ADD(F_INFO, "cmdline-server-from-dhcp",
                "root='%s' names no server, so the guest uses the DHCP server's address (on a "
                "libvirt network, this host's '%s'); '%s' is explicit",
                c->root, x->server, x->want);
    } else if (v == BOOTCHECK_SERVER_HOSTNAME) {
        ADD(F_WARN, "cmdline-server-hostname",
            "the NFS server '%s' is a hostname the initramfs must resolve before it has the "
            "guest's resolver configured: write the address ('%s')",
            srv, x->want);
    } else if (v == BOOTCHECK_SERVER_UNVERIFIED) {
        ADD(F_WARN, "cmdline-server-unverified",
            "cannot verify the NFS server '%s': this host's address on the guest's network is "
            "unknown (a bridge without a host address?)",
            srv);
    } else if (v == BOOTCHECK_SERVER_MISMATCH) {
        ADD(F_ERROR, "cmdline-server-mismatch",
            "<cmdline> mounts the root from '%s', but this host's address on the guest's network "
            "is '%s': write '%s'",
            srv, x->plan->server, x->want);
    }
    return 0;
}

/* The NFS version asked for, against what the server offers and the initramfs can mount. */
static int check_version(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    const nfsroot_initramfs_info *ii = x->ii;
    /* A server that serves 4.1 but not 4.2 correctly (NFS-Ganesha 4.3: every exec after
     * switch-root fails with EIO) needs the guest to stop the client from negotiating up. */
    const char *vers = nfsroot_backend_guest_nfs_version(x->p);
    int minor = -1, asked = bootcheck_options_version(c->options, &minor);
    if (c->nfs_version == 4 && vers && !strncmp(vers, "4.", 2) && vers[2] < '2' &&
        (minor < 0 || minor > vers[2] - '0'))
        ADD(F_WARN, "cmdline-nfs-minor",
            "root='%s' lets the guest negotiate NFSv4.2, which this host's NFS server (%s) does "
            "not serve correctly to Linux guests (every program fails with 'Input/output error' "
            "once the root is mounted): write '%s'",
            c->root, nfsroot_backend_name(x->p->backend), x->want);
    if (c->nfs_version == 3) {
        char why[64];
        bool v3_offered = nfsroot_backend_nfs_versions(x->p, why, sizeof(why)) & NFSROOT_NFS_V3;
        bool explicit_v3 = asked == 3;
        if (!v3_offered)
            ADD(F_ERROR, "cmdline-nfs3-not-offered",
                "root='%s' mounts with NFSv3, which this host's NFS server does not offer "
                "(%s): write '%s'",
                c->root, why[0] ? why : "policy", x->want);
        else if (!explicit_v3 && !c->legacy_nfsroot)
            ADD(F_WARN, "cmdline-nfs3",
                "root='%s' means NFSv3 with 'nolock' to dracut, which needs rpcbind and mountd "
                "on the host: write '%s' for NFSv4",
                c->root, x->want);
    }
    if (!ii || !ii->kernel_versions[0] || ii->nfs_builtin || !ii->nfs_module)
        return 0;
    if (c->nfs_version == 4 && !ii->nfsv4_module)
        ADD(F_ERROR, "initrd-no-nfsv4-module",
            "<cmdline> asks for NFSv4 but the initramfs has no nfsv4 kernel module: add it "
            "(dracut: add_drivers+=\" nfsv4 \") and rebuild");
    if (c->nfs_version == 3 && !ii->nfsv3_module)
        ADD(F_ERROR, "initrd-no-nfsv3-module",
            "<cmdline> asks for NFSv3 but the initramfs has no nfsv3 kernel module: add it "
            "(dracut: add_drivers+=\" nfsv3 \") and rebuild, or use '%s'",
            x->want);
    return 0;
}

/* With no <initrd> the kernel mounts the root itself and reads only its own syntax. */
static int check_kernel_mounts(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    if (strcmp(c->form, "/dev/nfs") != 0)
        ADD(F_ERROR, "cmdline-needs-initramfs",
            "root='%s' is dracut syntax, but the domain has no <initrd>: the kernel only "
            "understands 'root=/dev/nfs nfsroot=%s:%s,vers=4.1 ip=dhcp'; add the guest's "
            "initramfs as <initrd>",
            c->root, x->server, x->re->path);
    ADD(F_WARN, "cmdline-kernel-nfsroot",
        "with no <initrd> the kernel mounts the NFS root itself, which needs NFS client "
        "support and IP autoconfiguration built into it (CONFIG_ROOT_NFS, CONFIG_IP_PNP; "
        "Debian's kernels have neither): prefer the guest's initramfs");
    if (!c->has_ip)
        ADD(F_ERROR, "cmdline-kernel-no-ip",
            "with no <initrd> the kernel needs 'ip=dhcp' (or a static ip=) to reach the NFS "
            "server: add it to <cmdline>");
    if (c->legacy_nfsroot && !bootcheck_options_version(c->options, NULL))
        ADD(F_WARN, "cmdline-nfsroot-no-vers",
            "nfsroot= has no 'vers=': the in-kernel client may try an NFS version this "
            "host does not offer; append ',vers=4.1' (or ',vers=3')");
    return 0;
}

/* Is s a MAC written with dashes (dracut's BOOTIF form)? */
static bool is_dashed_mac(const char *s)
{
    for (size_t i = 0; i < 17; i++)
        if (i % 3 == 2 ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    return s[17] == '\0';
}

/* dracut's own init (an image without its systemd module) ends its wait for the network by
 * /tmp/net.<ip='s interface as written>.did-setup, which ifup writes under the NIC's name and
 * its MAC with colons, never with dashes (dracut 106): the guest mounts its root and stops.
 * systemd's initrd passes the same wait by another condition. */
static int check_shell_init_wait(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    const nfsroot_initramfs_info *ii = x->ii;
    if (!ii || !ii->dracut || !ii->dracut_modules[0] ||
        initramfs_has_word(ii->dracut_modules, "systemd") || !is_dashed_mac(c->ip_dev))
        return 0;
    char mac[18];
    for (size_t i = 0; i < 17; i++)
        mac[i] = c->ip_dev[i] == '-' ? ':' : (char)tolower((unsigned char)c->ip_dev[i]);
    mac[17] = '\0';
    ADD(F_ERROR, "cmdline-ip-mac-without-systemd",
        "ip= names the NIC by its MAC '%s' and the initramfs runs dracut's own init (no "
        "systemd module), which then waits for the network forever after mounting the root: "
        "name the NIC instead, ip=...::" GUEST_BOOT_IFNAME ":off ifname=" GUEST_BOOT_IFNAME ":%s",
        c->ip_dev, mac);
    return 0;
}

static int check_initramfs_mounts(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    bool dracut = x->ii && x->ii->dracut;
    if (c->legacy_nfsroot)
        ADD(dracut ? F_WARN : F_INFO, "cmdline-nfsroot-by-initramfs",
            "nfsroot= is not used by the kernel when the initramfs has its own /init: the "
            "initramfs reads it%s; prefer '%s'",
            dracut ? " (dracut calls it deprecated)" : "", x->want);
    if (!c->has_ip && !c->rd_neednet)
        ADD(F_INFO, "cmdline-no-ip",
            "<cmdline> has no ip=: dracut brings the network up by DHCP for an NFS root on "
            "its own, 'ip=dhcp rd.neednet=1' makes it explicit (and is what initramfs-tools "
            "needs)");
    return check_shell_init_wait(x);
}

/* The guest's address, read-only flags and the URL form. */
static int check_access(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    const nfsroot_export *re = x->re;
    if (c->ip_client[0] && !client_allowed(re, c->ip_client))
        ADD(F_ERROR, "cmdline-ip-not-allowed",
            "ip= gives the guest the address '%s', which the root export '%s' does not allow "
            "(clients: %s): use ip=dhcp or an allowed address",
            c->ip_client, re->path, re->clients && re->clients[0] ? re->clients[0] : "none");
    if (c->rw == 0 && !re->readonly)
        ADD(F_WARN, "cmdline-ro",
            "<cmdline> has 'ro': the root stays read-only unless the guest's fstab remounts it; "
            "write 'rw'");
    else if (bootcheck_has_option(c->options, "ro") && !re->readonly)
        ADD(F_WARN, "cmdline-ro",
            "the NFS options in root='%s' hold 'ro': the root is mounted read-only; drop it",
            c->root);
    if (strcmp(c->form, "nfs://") == 0)
        ADD(F_INFO, "cmdline-nfs-url",
            "root='%s' uses the nfs:// URL form, which dracut reads as NFSv3: '%s' is the "
            "documented form",
            c->root, x->want);
    return 0;
}
#undef ADD

int nfsroot_bootcheck_cmdline(const nfsroot_policy *p, const char *cmdline, bool has_initrd,
                              const nfsroot_initramfs_info *ii, const nfsroot_plan *plan,
                              nfsroot_findings *f)
{
    const nfsroot_export *re = bootcheck_root_export(plan);
    if (!re)
        return 0;
    const char *baked = ii && ii->cmdline[0] ? ii->cmdline : "";
    _cleanup_free_ char *all = NULL;
    if (asprintf(&all, "%s %s", baked, cmdline ? cmdline : "") < 0)
        return -ENOMEM;
    nfsroot_cmdline_root c;
    int r = nfsroot_cmdline_parse(all, &c);
    if (r < 0)
        return r;
    cmdline_check x = { .p = p,
                        .plan = plan,
                        .re = re,
                        .ii = ii,
                        .c = &c,
                        .f = f,
                        .server = plan->server ? plan->server : "<host address>",
                        .has_initrd = has_initrd };
    bootcheck_want_root(p, x.server, re->path, x.want, sizeof(x.want));

    if (c.has_rd_ip &&
        (r = nfsroot_findings_add(f, F_WARN, "cmdline-rd-ip", NULL,
                                  "<cmdline> has 'rd.ip=', which dracut does not read (it reads "
                                  "'ip='): write 'ip=dhcp' or the static ip= form")) < 0)
        return r;
    bool done = false;
    if ((r = check_kind(&x, &done)) < 0 || done)
        return r;
    if ((r = check_path(&x)) < 0 || (r = check_server(&x)) < 0 || (r = check_version(&x)) < 0)
        return r;
    r = has_initrd ? check_initramfs_mounts(&x) : check_kernel_mounts(&x);
    if (r < 0)
        return r;
    return check_access(&x);
}
