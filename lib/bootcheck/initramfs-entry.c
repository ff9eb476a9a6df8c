/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What an initramfs's members say: each entry's name (and the few small files that matter) turned
 * into the facts of nfsroot_initramfs_info. */
#include <ctype.h>
#include <fnmatch.h>

#include "initramfs-private.h"

/* The files whose contents are read (modules.txt, modules.builtin, cmdline.d): larger ones are
 * passed over. */
#define SMALL_FILE_MAX (256 * 1024)

static void append_word(char *dst, size_t len, const char *word)
{
    size_t n = strlen(dst);
    if (n + strlen(word) + 2 > len)
        return;
    snprintf(dst + n, len - n, "%s%s", n ? " " : "", word);
}

static int read_entry_data(const archive_api *api, struct archive *a, struct archive_entry *e,
                           char **ret)
{
    la_int64_t size = api->archive_entry_size(e);
    if (size < 0 || size > SMALL_FILE_MAX)
        return -EFBIG;
    _cleanup_free_ char *buf = malloc((size_t)size + 1);
    if (!buf)
        return -ENOMEM;
    la_ssize_t n = api->archive_read_data(a, buf, (size_t)size);
    if (n < 0)
        return -EBADMSG;
    buf[n] = '\0';
    *ret = TAKE_PTR(buf);
    return 0;
}

static void note_modules_txt(nfsroot_initramfs_info *info, char *text)
{
    char *save = NULL;
    for (char *w = strtok_r(text, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save))
        if (!initramfs_has_word(info->dracut_modules, w))
            append_word(info->dracut_modules, sizeof(info->dracut_modules), w);
    if (initramfs_has_word(info->dracut_modules, "nfs"))
        info->nfs_scripts = true;
    static const char *const net[] = { "network", "network-legacy", "network-manager",
                                       "systemd-networkd", "network-wicked" };
    for (size_t i = 0; i < ELEMENTSOF(net); i++)
        if (initramfs_has_word(info->dracut_modules, net[i]))
            info->network = true;
}

static void note_builtin(nfsroot_initramfs_info *info, const char *text)
{
    info->nfs_builtin_known = true;
    for (const char *p = text; (p = strstr(p, "kernel/fs/nfs/nfs.ko")); p++)
        if ((p == text || p[-1] == '\n') && (p[20] == '\n' || p[20] == '\0'))
            info->nfs_builtin = true;
}

static void note_dhcp(nfsroot_initramfs_info *info, const char *name)
{
    info->dhcp_client = true;
    if (!info->dhcp_client_name[0])
        snprintf(info->dhcp_client_name, sizeof(info->dhcp_client_name), "%s", name);
}

/* The name without the "./" and "/" an archive may put in front. */
static const char *entry_name(const char *name)
{
    while (name[0] == '.' && name[1] == '/')
        name += 2;
    while (name[0] == '/')
        name++;
    return name;
}

/* Which tool built the image and whether it holds NFS mount scripts or programs. */
static void note_layout(nfsroot_initramfs_info *info, const char *name, const char *base, bool reg)
{
    if (strcmp(name, "init") == 0)
        info->has_init = true;
    if (strncmp(name, "kernel/x86/microcode/", 21) == 0 && reg)
        info->microcode = true;
    if (strncmp(name, "usr/lib/dracut/", 15) == 0 || strncmp(name, "lib/dracut/", 11) == 0)
        info->dracut = true;
    if (strcmp(name, "conf/initramfs.conf") == 0 || strncmp(name, "scripts/init-top", 16) == 0)
        info->initramfs_tools = true;

    if (strcmp(name, "scripts/nfs") == 0 || fnmatch("*parse-nfsroot.sh", base, 0) == 0 ||
        strcmp(base, "nfs-lib.sh") == 0 || strcmp(name, "sbin/nfsroot") == 0 ||
        strcmp(name, "usr/sbin/nfsroot") == 0)
        info->nfs_scripts = true;
    if (strcmp(base, "mount.nfs") == 0 || strcmp(base, "mount.nfs4") == 0 ||
        strcmp(base, "nfsmount") == 0)
        info->mount_nfs = true;
}

/* The path below lib/modules/ (or usr/lib/modules/), NULL for anything else. */
static const char *modules_path(const char *name)
{
    if (strncmp(name, "lib/modules/", 12) == 0)
        return name + 12;
    if (strncmp(name, "usr/lib/modules/", 16) == 0)
        return name + 16;
    return NULL;
}

/* mods: a path below lib/modules/; its first component is a kernel version, and fs/nfs/ below
 * it holds the NFS modules. */
static void note_modules(nfsroot_initramfs_info *info, const char *mods, const char *base)
{
    char ver[128];
    size_t vl = strcspn(mods, "/");
    /* Versions start with a digit; dracut also ships lib/modules/keys/ (modsign). */
    if (vl < sizeof(ver) && isdigit((unsigned char)mods[0])) {
        memcpy(ver, mods, vl);
        ver[vl] = '\0';
        if (!initramfs_has_word(info->kernel_versions, ver))
            append_word(info->kernel_versions, sizeof(info->kernel_versions), ver);
    }
    if (strstr(mods, "/fs/nfs/")) {
        if (fnmatch("nfs.ko*", base, 0) == 0)
            info->nfs_module = true;
        else if (fnmatch("nfsv3.ko*", base, 0) == 0)
            info->nfsv3_module = true;
        else if (fnmatch("nfsv4.ko*", base, 0) == 0)
            info->nfsv4_module = true;
    }
}

/* Network scripts and the DHCP client that comes with them. */
static void note_network(nfsroot_initramfs_info *info, const char *name, const char *base)
{
    if (strcmp(base, "ifup") == 0 || strcmp(base, "net-lib.sh") == 0)
        info->network = true;
    if (strcmp(base, "nm-initrd-generator") == 0 || strcmp(base, "NetworkManager") == 0) {
        info->network = true;
        note_dhcp(info, "NetworkManager");
    }
    if (strcmp(base, "systemd-networkd") == 0) {
        info->network = true;
        note_dhcp(info, "systemd-networkd");
    }
    if (strcmp(base, "ipconfig") == 0 && strstr(name, "bin/")) {
        info->network = true;
        note_dhcp(info, "ipconfig");
    }
    if (strcmp(base, "dhclient") == 0 || strcmp(base, "dhcpcd") == 0 || strcmp(base, "udhcpc") == 0)
        note_dhcp(info, base);
}

/* Keep an etc/cmdline.d/ *.conf file (at most CMDLINE_FILES_MAX) for initramfs_finish_cmdline. */
static int keep_cmdline_file(scan_state *st, struct archive *a, struct archive_entry *e,
                             const char *name)
{
    char *text = NULL;
    int r = read_entry_data(st->api, a, e, &text);
    if (r == 0) {
        st->cmdline[st->n_cmdline].text = text;
        st->cmdline[st->n_cmdline].name = strdup(name);
        if (!st->cmdline[st->n_cmdline++].name)
            r = -ENOMEM;
    }
    return r;
}

/* The few regular files whose contents matter; one too large to read is passed over. */
static int read_small_files(scan_state *st, struct archive *a, struct archive_entry *e,
                            const char *name, const char *base, const char *mods)
{
    _cleanup_free_ char *text = NULL;
    int r = 0;
    if (strcmp(name, "usr/lib/dracut/modules.txt") == 0 ||
        strcmp(name, "lib/dracut/modules.txt") == 0) {
        r = read_entry_data(st->api, a, e, &text);
        if (r == 0)
            note_modules_txt(st->info, text);
    } else if (mods && strcmp(base, "modules.builtin") == 0) {
        r = read_entry_data(st->api, a, e, &text);
        if (r == 0)
            note_builtin(st->info, text);
    } else if (strncmp(name, "etc/cmdline.d/", 14) == 0 && fnmatch("*.conf", base, 0) == 0 &&
               !strchr(name + 14, '/') && st->n_cmdline < CMDLINE_FILES_MAX)
        r = keep_cmdline_file(st, a, e, name);
    return r == -EFBIG ? 0 : r;
}

int initramfs_scan_entry(scan_state *st, struct archive *a, struct archive_entry *e)
{
    const char *name = st->api->archive_entry_pathname(e);
    if (!name)
        return 0;
    name = entry_name(name);
    st->info->n_files++;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    bool reg = st->api->archive_entry_filetype(e) == AE_IFREG;

    note_layout(st->info, name, base, reg);
    const char *mods = modules_path(name);
    if (mods && *mods)
        note_modules(st->info, mods, base);
    note_network(st->info, name, base);
    return reg ? read_small_files(st, a, e, name, base, mods) : 0;
}

static int cmp_cmdline_file(const void *a, const void *b)
{
    return strcmp(((const cmdline_file *)a)->name, ((const cmdline_file *)b)->name);
}

/* dracut reads etc/cmdline.d/ *.conf in glob order, every line a run of arguments. */
void initramfs_finish_cmdline(scan_state *st)
{
    qsort(st->cmdline, st->n_cmdline, sizeof(st->cmdline[0]), cmp_cmdline_file);
    for (size_t i = 0; i < st->n_cmdline; i++) {
        char *save = NULL;
        for (char *l = strtok_r(st->cmdline[i].text, "\r\n", &save); l;
             l = strtok_r(NULL, "\r\n", &save)) {
            l += strspn(l, " \t");
            if (*l)
                append_word(st->info->cmdline, sizeof(st->info->cmdline), l);
        }
    }
}

void initramfs_scan_state_done(scan_state *st)
{
    for (size_t i = 0; i < st->n_cmdline; i++) {
        free(st->cmdline[i].name);
        free(st->cmdline[i].text);
    }
}
