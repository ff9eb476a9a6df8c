/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configurator's settings, and the two texts that follow from a profile alone: the kernel
 * command line and the dracut configuration. */
#include <arpa/inet.h>
#include <ctype.h>

#include "profile.h"

int nfsroot_guest_config_new(nfsroot_guest_config **ret)
{
    nfsroot_guest_config *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    *ret = c;
    return 0;
}

void nfsroot_guest_config_free(nfsroot_guest_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < GUEST_KEYS; i++) {
        /* A password hash should not outlive the object in freed memory. */
        if (c->v[i])
            explicit_bzero(c->v[i], strlen(c->v[i]));
        free(c->v[i]);
    }
    free(c);
}

static bool is_number(const char *v)
{
    if (!*v || strlen(v) > 19)
        return false;
    return strspn(v, "0123456789") == strlen(v);
}

int nfsroot_guest_config_set(nfsroot_guest_config *c, nfsroot_guest_key key, const char *value)
{
    if ((unsigned)key >= GUEST_KEYS)
        return -EINVAL;
    if (value && strchr(value, '\n'))
        return -EINVAL;
    if (value && key == NFSROOT_GUEST_NFS_VERSION && strcmp(value, "4.0") != 0 &&
        strcmp(value, "4.1") != 0 && strcmp(value, "4.2") != 0)
        return -EINVAL;
    if (value && key == NFSROOT_GUEST_ASLR && strcmp(value, "on") != 0 && strcmp(value, "off") != 0)
        return -EINVAL;
    if (value &&
        (key == NFSROOT_GUEST_UNPACK_MAX_BYTES || key == NFSROOT_GUEST_UNPACK_MAX_ENTRIES) &&
        !is_number(value))
        return -EINVAL;
    char *v = NULL;
    if (value && !(v = strdup(value)))
        return -ENOMEM;
    if (c->v[key])
        explicit_bzero(c->v[key], strlen(c->v[key]));
    free(c->v[key]);
    c->v[key] = v;
    return 0;
}

/* A server and path that can stand in root= and fstab: no blanks, no controls, path absolute. */
static int check_target(const nfsroot_guest_config *c, nfsroot_error *err)
{
    const char *server = c ? c->v[NFSROOT_GUEST_SERVER] : NULL;
    const char *path = c ? c->v[NFSROOT_GUEST_EXPORT_PATH] : NULL;
    if (!server || !*server)
        return nfsroot_err(err, -EINVAL, NULL, "server", NULL, 0,
                           "the host's address on the guest's network is not known: the guest "
                           "cannot be told where its root is");
    if (!path || path[0] != '/')
        return nfsroot_err(err, -EINVAL, NULL, "export path", NULL, 0,
                           "the root export's path must be absolute");
    const char *bad = " \t\r\n#\\\"'";
    for (const char *s = server; *s; s++)
        if ((unsigned char)*s < 0x21 || *s == 0x7f || strchr(bad, *s) || *s == '/')
            return nfsroot_err(err, -EINVAL, NULL, "server", NULL, 0,
                               "the server address contains a character a kernel command line "
                               "or fstab cannot carry");
    for (const char *s = path; *s; s++)
        if ((unsigned char)*s < 0x21 || *s == 0x7f || strchr(bad, *s) || *s == ':')
            return nfsroot_err(err, -EINVAL, NULL, "export path", NULL, 0,
                               "the export path contains a blank, a quote, a colon or a control "
                               "character, which a kernel command line or fstab cannot carry");
    return 0;
}

/* "nfs4:SERVER:PATH" as dracut reads it, an IPv6 literal in brackets. */
static int root_spec(const nfsroot_guest_config *c, const char *sep, char **ret)
{
    const char *server = c->v[NFSROOT_GUEST_SERVER];
    bool v6 = strchr(server, ':') != NULL;
    return asprintf(ret, "%s%s%s%s%s", v6 ? "[" : "", server, v6 ? "]" : "", sep,
                    c->v[NFSROOT_GUEST_EXPORT_PATH]) < 0
               ? -ENOMEM
               : 0;
}

int guest_fstab_spec(const nfsroot_guest_config *c, char **ret)
{
    return root_spec(c, ":", ret);
}

static int bad_address(const char *field, const char *value, const char *why, nfsroot_error *err)
{
    char shown[256];
    nfsroot_escape(value, NFSROOT_ESCAPE_TEXT, shown, sizeof(shown));
    return nfsroot_err(err, -EINVAL, NULL, field, NULL, 0, "the %s '%s' %s", field, shown, why);
}

/* "A.B.C.D/N" on the server's subnet: its address and netmask as text. */
static int parse_address(const nfsroot_guest_config *c, char ip[static INET_ADDRSTRLEN],
                         char mask[static INET_ADDRSTRLEN], nfsroot_error *err)
{
    const char *v = c->v[NFSROOT_GUEST_ADDRESS], *slash = strchr(v, '/');
    const char *why = "is not an IPv4 address with its subnet's prefix (A.B.C.D/N, N 8-30)";
    size_t n = slash ? (size_t)(slash - v) : 0;
    nfsroot_cidr mine, server;
    if (!slash || n == 0 || n >= INET_ADDRSTRLEN || !is_number(slash + 1) || strlen(slash) > 3)
        return bad_address("guest address", v, why, err);
    memcpy(ip, v, n);
    ip[n] = '\0';
    int prefix = atoi(slash + 1);
    struct in_addr m = { htonl(prefix ? ~0u << (32 - prefix) : 0) };
    if (prefix < 8 || prefix > 30 || strchr(ip, ':') || nfsroot_cidr_subnet(ip, prefix, &mine) < 0)
        return bad_address("guest address", v, why, err);
    if (nfsroot_cidr_subnet(c->v[NFSROOT_GUEST_SERVER], prefix, &server) < 0 ||
        !nfsroot_cidr_contains(&mine, &server))
        return bad_address("guest address", v, "is not on the NFS server's subnet", err);
    inet_ntop(AF_INET, &m, mask, INET_ADDRSTRLEN);
    return 0;
}

/* "52:54:00:AB:cd:ef" -> "52:54:00:ab:cd:ef": the MAC as udev reads it (dracut's ifname=
 * compares it with the NIC's address attribute). */
static int mac_lower(const nfsroot_guest_config *c, char ret[static 18], nfsroot_error *err)
{
    const char *mac = c->v[NFSROOT_GUEST_MAC];
    for (size_t i = 0; i < 17; i++) {
        bool colon = i % 3 == 2;
        if (colon ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]))
            return bad_address("mac", mac, "is not a MAC address (xx:xx:xx:xx:xx:xx)", err);
        ret[i] = (char)tolower((unsigned char)mac[i]);
    }
    if (mac[17])
        return bad_address("mac", mac, "is not a MAC address (xx:xx:xx:xx:xx:xx)", err);
    ret[17] = '\0';
    return 0;
}

/* "ip=dhcp", or, with the guest's fixed address and its MAC, the static form dracut reads
 * (ip=<client>::<gateway>:<netmask>::<interface>:off): no DHCP round in the initramfs. The
 * interface is named by ifname=<name>:<MAC>, which makes udev give the NIC with that address
 * the name GUEST_BOOT_IFNAME whatever it would have called it (an enx<mac> name in ip= was
 * not: trixie's udev named the NIC ens2 and ifup never found it). The MAC itself in ip=, with
 * dashes, brought the NIC up too, but dracut's shell init then waits forever: its
 * "finished" test looks for /tmp/net.<MAC with dashes>.did-setup, and ifup writes the file
 * under the NIC's name and its MAC with colons (dracut 106; systemd's initrd passed it by
 * another condition). The server is the gateway, as libvirt's DHCP says on its routed and NAT
 * networks. The address and the name stay the guest's after switch_root: the tree configures
 * no network of its own. */
static int ip_arg(const nfsroot_guest_config *c, char **ret, nfsroot_error *err)
{
    char ip[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], mac[18];
    int r;
    if (!c->v[NFSROOT_GUEST_ADDRESS] || !c->v[NFSROOT_GUEST_MAC])
        return (*ret = strdup("ip=dhcp")) ? 0 : -ENOMEM;
    if ((r = parse_address(c, ip, mask, err)) < 0 || (r = mac_lower(c, mac, err)) < 0)
        return r;
    return asprintf(ret, "ip=%s::%s:%s::" GUEST_BOOT_IFNAME ":off ifname=" GUEST_BOOT_IFNAME ":%s",
                    ip, c->v[NFSROOT_GUEST_SERVER], mask, mac) < 0
               ? -ENOMEM
               : 0;
}

/* The root's caching: the guest is its export's only client (an rw export has exactly one), so
 * it may cache as a local filesystem does: no close-to-open revalidation (nocto), attributes
 * and lookups trusted for 10 minutes (actimeo=600) instead of 3-60 s, and no GETATTR only to
 * learn an atime the server moved (noatime; the server keeps atimes as before). What root on
 * the host changes in the tree while the guest runs shows up in the guest within 10 minutes (at
 * once after the guest drops its caches); docs/PERFORMANCE.md has the figures, part 8. */
#define GUEST_NFS_CACHE "nocto,actimeo=600,noatime"

#define TTY_SIZE                                                                                   \
    "systemd.tty.rows.ttyS0=24 systemd.tty.columns.ttyS0=80 systemd.tty.rows.console=24 "          \
    "systemd.tty.columns.console=80"

int nfsroot_guest_cmdline(const nfsroot_guest_profile *p, const nfsroot_guest_config *c, char **ret,
                          nfsroot_error *err)
{
    int r = check_target(c, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *spec = NULL, *ip = NULL, *s = NULL;
    if ((r = ip_arg(c, &ip, err)) == -EINVAL)
        return r;
    const char *vers = c->v[NFSROOT_GUEST_NFS_VERSION];
    /* panic=10: a kernel that panics before its pvpanic driver is loaded (the domain's
     * on_crash then stops it) reboots after 10 s instead of spinning until destroyed. The
     * console's size is given: else systemd (257) asks the terminal for it (CSI 6n) on the
     * console and again before the serial getty, and the console is only logged, never
     * answers; each probe waits out its timeout before the login prompt. norandmaps only when
     * asked (NFSROOT_GUEST_ASLR "off"): it takes address-space randomization from every
     * process in the guest, for a TCG guest's boot time. */
    bool no_aslr = c->v[NFSROOT_GUEST_ASLR] && strcmp(c->v[NFSROOT_GUEST_ASLR], "off") == 0;
    if (r < 0 || root_spec(c, ":", &spec) < 0 ||
        asprintf(&s,
                 "root=nfs4:%s:%s%s%s" GUEST_NFS_CACHE " rw %s rd.neednet=1 console=ttyS0 " TTY_SIZE
                 " panic=10%s%s",
                 spec, vers ? "vers=" : "", vers ? vers : "", vers ? "," : "", ip,
                 p->def->selinux ? " selinux=0" : "", no_aslr ? " norandmaps" : "") < 0)
        return nfsroot_err(err, -ENOMEM, NULL, "cmdline", NULL, 0, "out of memory");
    *ret = TAKE_PTR(s);
    return 0;
}

int nfsroot_guest_dracut_conf(const nfsroot_guest_profile *p, char **ret)
{
    _cleanup_free_ char *omit = NULL;
    for (size_t i = 0; i < GUEST_NETMODS_MAX && p->def->netmods[i].module; i++)
        if (&p->def->netmods[i] != p->netmod &&
            guest_words_add(&omit, p->def->netmods[i].module) < 0)
            return -ENOMEM;
    /* The network modules not chosen are left out, so dracut cannot fall back to one the tree
     * cannot run. With network-legacy, systemd is left out too: dracut's shell init mounts the
     * root and switches to it without systemd's start and teardown in the initramfs
     * (docs/PERFORMANCE.md, part 7: 'login:' about 10 s sooner under TCG). No host-only image, so
     * any virtual NIC boots it and one image serves every guest of a profile with this kernel (a
     * host-only image would also copy root's line of the tree's etc/shadow into it). What a root on
     * NFS never reads is left out too: the block, USB and input drivers (kernel-modules), udev's
     * hardware database (hwdb, 13 MB) and the other block-device modules: 51.2 MB of gzip
     * became 27.4 MB (1,018 modules 271), which the kernel inflates before /init and udev's
     * coldplug then loads, under TCG. */
    if (asprintf(ret,
                 "# Written by virt-nfsroot (profile %s): / on NFS, DHCP in the initramfs.\n"
                 "hostonly=\"no\"\n"
                 "add_dracutmodules+=\" nfs %s \"\n"
                 "omit_dracutmodules+=\" %s%s%splymouth lvm mdraid dmraid crypt iscsi nbd "
                 "multipath btrfs dmsquash-live resume kernel-modules kernel-modules-extra hwdb "
                 "qemu nvdimm lunmask virtiofs overlay-root systemd-battery-check "
                 "systemd-pcrphase \"\n"
                 "add_drivers+=\" virtio_net virtio_pci nfs nfsv3 nfsv4 \"\n"
                 "compress=\"gzip\"\n",
                 p->def->name, p->netmod->module, omit ? omit : "", omit ? " " : "",
                 p->netmod->shell_init ? "systemd systemd-initrd dracut-systemd " : "") < 0)
        return -ENOMEM;
    return 0;
}
