/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a bootable NFS root needs, per distribution: written once, read by the configurator
 * (lib/guest/configure.c) and by the boot check (lib/bootcheck/distro.c). */
#include "guest.h"

/* clang-format off */
#define BIN(x) { "usr/sbin/" x, "usr/bin/" x, "sbin/" x, "bin/" x }
#define TOOL(name, pkg) { name, BIN(name), pkg }
#define DRACUT(pkg) TOOL("dracut", pkg)
/* dracut's nfs module requires mount.nfs and rpcbind (or portmap). */
#define MOUNT_NFS(pkg) TOOL("mount.nfs", pkg)
#define RPCBIND(pkg) TOOL("rpcbind", pkg)
#define DBUS(pkg)                                                                                  \
    { "dbus", { "usr/bin/dbus-broker", "usr/bin/dbus-daemon", "bin/dbus-daemon" }, pkg }
/* network-legacy's check() requires ip, dhclient, pgrep and arping (or arping2); without them
 * dracut quietly falls back to another network module (seen: systemd-networkd, then no dbus).
 * It is dracut's shell init's own network: the only one of these that needs no systemd. */
#define LEGACY(dracut_pkg, dhclient, procps, iputils, iproute)                                     \
    { "network-legacy", dracut_pkg, {                                                              \
        TOOL("dhclient", dhclient),                                                                \
        TOOL("pgrep", procps),                                                                     \
        { "arping", { "usr/sbin/arping", "usr/bin/arping", "sbin/arping", "bin/arping",            \
                      "usr/bin/arping2", "usr/sbin/arping2" }, iputils },                          \
        TOOL("ip", iproute),                                                                       \
    }, true }
/* systemd-networkd's check() requires these programs, and it depends on dracut's dbus module. */
#define NETWORKD(dracut_pkg, networkd, iproute, dbus)                                              \
    { "systemd-networkd", dracut_pkg, {                                                            \
        { "systemd-networkd", { "usr/lib/systemd/systemd-networkd",                                \
                                "lib/systemd/systemd-networkd" }, networkd },                      \
        TOOL("networkctl", networkd),                                                              \
        TOOL("ip", iproute),                                                                       \
        DBUS(dbus),                                                                                \
    }, false }
/* network-manager installs NetworkManager and nm-initrd-generator; it depends on dbus. */
#define NM(dracut_pkg, nm, dbus)                                                                   \
    { "network-manager", dracut_pkg, {                                                             \
        TOOL("NetworkManager", nm),                                                                \
        { "nm-initrd-generator", { "usr/libexec/nm-initrd-generator",                              \
                                   "usr/lib/nm-initrd-generator",                                  \
                                   "usr/lib/NetworkManager/nm-initrd-generator" }, nm },           \
        DBUS(dbus),                                                                                \
    }, false }
/* clang-format on */

#if defined(__aarch64__)
#define DEBIAN_KERNEL "linux-image-arm64"
#else
#define DEBIAN_KERNEL "linux-image-amd64"
#endif

static const char *const debian_ids[] = { "debian", NULL };
/* dracut first: it provides linux-initramfs-tool, so the kernel does not pull initramfs-tools. */
static const char *const debian_packages[] = {
    "systemd-sysv",     "udev",   "dracut",         "dracut-network", "nfs-common", "rpcbind",
    "isc-dhcp-client",  "procps", "iputils-arping", "iproute2",       "kmod",       DEBIAN_KERNEL,
    "qemu-guest-agent", NULL,
};
static const guest_profile_def debian = {
    .name = "debian",
    .ids = debian_ids,
    .osinfo_fmt = "http://debian.org/debian/%s",
    .dracut = DRACUT("dracut"),
    .nfs = MOUNT_NFS("nfs-common"),
    .rpcbind = RPCBIND("rpcbind"),
    .nfs_module_package = "dracut-network",
    .netmods = { LEGACY("dracut-network", "isc-dhcp-client", "procps", "iputils-arping",
                        "iproute2"),
                 NETWORKD("dracut-network", "systemd", "iproute2", "dbus") },
    .packages = debian_packages,
    .initramfs_tools_conflict = true,
};

static const char *const fedora_ids[] = { "fedora", "rhel", "centos", NULL };
/* Fedora dropped network-legacy (dhclient is gone): NetworkManager or networkd. */
static const guest_profile_def fedora = {
    .name = "fedora",
    .ids = fedora_ids,
    .osinfo_fmt = "http://fedoraproject.org/fedora/%s",
    .dracut = DRACUT("dracut"),
    .nfs = MOUNT_NFS("nfs-utils"),
    .rpcbind = RPCBIND("rpcbind"),
    .nfs_module_package = "dracut-network",
    .netmods = { NM("dracut-network", "NetworkManager", "dbus-broker"),
                 NETWORKD("dracut-network", "systemd-networkd", "iproute", "dbus-broker") },
    .rpm = true,
    .selinux = true,
    .authselect = true,
};

static const char *const arch_ids[] = { "arch", "archlinux", NULL };
static const guest_profile_def arch = {
    .name = "arch",
    .ids = arch_ids,
    .osinfo_fmt = "http://archlinux.org/archlinux/rolling",
    .dracut = DRACUT("dracut"),
    .nfs = MOUNT_NFS("nfs-utils"),
    .rpcbind = RPCBIND("rpcbind"),
    .nfs_module_package = "dracut",
    .netmods = { NETWORKD("dracut", "systemd", "iproute2", "dbus"),
                 NM("dracut", "networkmanager", "dbus") },
    .mkinitcpio_note = true,
};

static const char *const gentoo_ids[] = { "gentoo", NULL };
static const guest_profile_def gentoo = {
    .name = "gentoo",
    .ids = gentoo_ids,
    .osinfo_fmt = "http://gentoo.org/gentoo/rolling",
    .dracut = DRACUT("sys-kernel/dracut"),
    .nfs = MOUNT_NFS("net-fs/nfs-utils"),
    .rpcbind = RPCBIND("net-nds/rpcbind"),
    .nfs_module_package = "sys-kernel/dracut",
    .netmods = { LEGACY("sys-kernel/dracut", "net-misc/dhcp", "sys-process/procps",
                        "net-misc/iputils", "sys-apps/iproute2"),
                 NETWORKD("sys-kernel/dracut", "sys-apps/systemd", "sys-apps/iproute2",
                          "sys-apps/dbus"),
                 NM("sys-kernel/dracut", "net-misc/networkmanager", "sys-apps/dbus") },
    .portage_tmpfs = true,
};

static const char *const alpine_ids[] = { "alpine", NULL };
static const guest_profile_def alpine = {
    .name = "alpine",
    .ids = alpine_ids,
    .refusal = "Alpine cannot boot from this NFS root: every dracut network module needs "
               "dhclient (network-legacy), NetworkManager or systemd-networkd, and Alpine ships "
               "none of them",
};

const guest_profile_def *const guest_profiles[] = {
    &debian, &fedora, &arch, &gentoo, &alpine, NULL
};

const char *guest_profiles_known(void)
{
    return "Debian (and derivatives), Fedora and RPM distributions of its family, Arch, Gentoo";
}

static const guest_profile_def *lookup_word(const char *word)
{
    for (size_t i = 0; guest_profiles[i]; i++)
        for (const char *const *id = guest_profiles[i]->ids; *id; id++)
            if (strcmp(*id, word) == 0)
                return guest_profiles[i];
    return NULL;
}

const guest_profile_def *guest_profile_lookup(const nfsroot_os_release *o)
{
    const guest_profile_def *d = o->id[0] ? lookup_word(o->id) : NULL;
    if (d)
        return d;
    char like[sizeof(o->id_like)];
    snprintf(like, sizeof(like), "%s", o->id_like);
    char *save = NULL;
    for (char *w = strtok_r(like, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
        if ((d = lookup_word(w)))
            return d;
    return NULL;
}

const guest_netmod *guest_netmod_find(const guest_profile_def *def, const char *module)
{
    for (size_t i = 0; i < GUEST_NETMODS_MAX && def->netmods[i].module; i++)
        if (strcmp(def->netmods[i].module, module) == 0)
            return &def->netmods[i];
    return NULL;
}
