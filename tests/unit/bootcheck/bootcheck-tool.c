/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test and benchmark driver for the boot checks: one subcommand per library entry point,
 * results printed as "key=value" or "level code" lines that shell tests compare. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bootcheck-private.h"
#include "plan.h"
#include "policy.h"

static int usage(void)
{
    fprintf(stderr, "usage: bootcheck-tool kernel FILE\n"
                    "       bootcheck-tool initramfs FILE [CACHE_DIR]\n"
                    "       bootcheck-tool check-kernel FILE [EXPORT]\n"
                    "         (no EXPORT: FILE's directory is the one boot_dirs entry)\n"
                    "       bootcheck-tool check-initramfs FILE [EXPORT [STATE_DIR [KERNEL]]]\n"
                    "       bootcheck-tool cmdline CMDLINE\n"
                    "       bootcheck-tool idmap HOST_IDMAPD_CONF GUEST_ROOT\n"
                    "       bootcheck-tool bench-scan FILE CACHE_DIR N\n");
    return 2;
}

static void print_findings(const nfsroot_findings *f, bool verbose)
{
    for (size_t i = 0; i < f->n; i++) {
        printf("%s %s\n", nfsroot_finding_level_name(f->items[i].level), f->items[i].code);
        if (verbose)
            printf("    %s\n", f->items[i].message);
    }
}

static nfsroot_plan *fake_plan(const char *export_path, const char *server)
{
    if (export_path && !export_path[0])
        export_path = NULL;
    static nfsroot_export e;
    static nfsroot_plan plan;
    static char *clients[] = { "192.168.122.0/24", NULL };
    e = (nfsroot_export){ .path = (char *)export_path, .clients = clients, .is_root = true };
    plan = (nfsroot_plan){
        .domain = "test", .exports = &e, .n_exports = export_path ? 1 : 0, .server = (char *)server
    };
    return &plan;
}

/* Bytes this process has read so far (/proc/self/io rchar): the scan's work, for tests that
 * must tell "skipped" from "read" without timing anything. */
static unsigned long long rchar(void)
{
    FILE *io = fopen("/proc/self/io", "re");
    unsigned long long v = 0;
    char line[128];
    while (io && fgets(line, sizeof(line), io))
        if (sscanf(line, "rchar: %llu", &v) == 1)
            break;
    if (io)
        fclose(io);
    return v;
}

/* What the images are, not who may read them (test-bootcheck's): no qemu.conf, no QEMU user. */
#define NO_QEMU_CONF "/nonexistent/qemu.conf"

/* Without an export the file's own directory is the policy's boot dir, so the location rule
 * lets it through; the path is made absolute because that rule reads it as written. */
static const char *boot_file(const char *file, const char *export_path, nfsroot_policy *pol)
{
    static char abs[8192], dir[4096];
    static char *dirs[2];
    if (export_path && export_path[0])
        return file;
    const char *slash = strrchr(file, '/');
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - file) : 1, slash ? file : ".");
    char *real = realpath(dir[0] ? dir : "/", NULL);
    if (!real)
        return file;
    snprintf(dir, sizeof(dir), "%s", real);
    free(real);
    snprintf(abs, sizeof(abs), "%s/%s", strcmp(dir, "/") ? dir : "", slash ? slash + 1 : file);
    dirs[0] = dir;
    pol->boot_dirs = dirs;
    return abs;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *cmd = argv[1];
    bool verbose = getenv("BOOTCHECK_VERBOSE") != NULL;
    nfsroot_error err = { 0 };
    char buf[2048];

    if (strcmp(cmd, "kernel") == 0) {
        int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return perror(argv[2]), 1;
        static unsigned char data[64 * 1024];
        ssize_t n = read(fd, data, sizeof(data));
        close(fd);
        nfsroot_kernel_info k;
        int r = nfsroot_kernel_identify(data, n > 0 ? (size_t)n : 0, &k);
        if (r < 0) {
            printf("error=%s\n", strerror(-r));
            return 1;
        }
        printf("format=%s\narch=%s\nversion=%s\nboot_protocol=0x%04x\nis_64bit=%d\n"
               "min_size=%ju\n",
               k.format, k.arch, k.version, k.boot_protocol, k.is_64bit, (uintmax_t)k.min_size);
        return 0;
    }
    if (strcmp(cmd, "initramfs") == 0) {
        nfsroot_initramfs_info i;
        bool cached = false;
        unsigned long long read0 = rchar();
        int r = nfsroot_initramfs_scan(argv[2], argc > 3 ? argv[3] : NULL, &i, &cached, &err);
        unsigned long long read1 = rchar();
        if (r < 0) {
            printf("error=%s\ncode=%d\ncached=%d\nrchar=%llu\n",
                   nfsroot_error_format(&err, buf, sizeof(buf)), r, cached, read1 - read0);
            return 1;
        }
        printf("rchar=%llu\n", read1 - read0);
        printf("format=%s\nn_segments=%u\nearly_cpio=%d\nmicrocode=%d\nhas_init=%d\n"
               "dracut=%d\ninitramfs_tools=%d\nnfs_scripts=%d\nmount_nfs=%d\nnfs_module=%d\n"
               "nfsv3_module=%d\nnfsv4_module=%d\nnfs_builtin_known=%d\nnfs_builtin=%d\n"
               "network=%d\ndhcp_client=%d\ndhcp_client_name=%s\nkernel_versions=%s\n"
               "dracut_modules=%s\ncmdline=%s\nn_files=%ju\ncached=%d\n",
               i.format, i.n_segments, i.early_cpio, i.microcode, i.has_init, i.dracut,
               i.initramfs_tools, i.nfs_scripts, i.mount_nfs, i.nfs_module, i.nfsv3_module,
               i.nfsv4_module, i.nfs_builtin_known, i.nfs_builtin, i.network, i.dhcp_client,
               i.dhcp_client_name, i.kernel_versions, i.dracut_modules, i.cmdline,
               (uintmax_t)i.n_files, cached);
        return 0;
    }
    if (strcmp(cmd, "bench-scan") == 0 && argc > 4) {
        int n = atoi(argv[4]);
        for (int k = 0; k < n; k++) {
            nfsroot_initramfs_info i;
            bool cached = false;
            double t0 = now();
            int r = nfsroot_initramfs_scan(argv[2], strcmp(argv[3], "-") ? argv[3] : NULL, &i,
                                           &cached, &err);
            double t1 = now();
            if (r < 0) {
                fprintf(stderr, "%s\n", nfsroot_error_format(&err, buf, sizeof(buf)));
                return 1;
            }
            printf("%.6f cached=%d files=%ju nfs=%d\n", t1 - t0, cached, (uintmax_t)i.n_files,
                   i.nfs_scripts && i.nfs_module);
        }
        return 0;
    }
    nfsroot_findings *f = NULL;
    if (nfsroot_findings_new(&f) < 0)
        return 1;
    int r = 0;
    const char *export_path = argc > 3 ? argv[3] : NULL;
    if (strcmp(cmd, "check-kernel") == 0) {
        nfsroot_kernel_info k;
        nfsroot_policy pol = { .qemu_conf = NO_QEMU_CONF };
        const char *file = boot_file(argv[2], export_path, &pol);
        r = nfsroot_bootcheck_kernel(&pol, file, fake_plan(export_path, NULL), f, &k);
    } else if (strcmp(cmd, "check-initramfs") == 0) {
        nfsroot_policy pol = { .state_dir = argc > 4 ? argv[4] : NULL, .qemu_conf = NO_QEMU_CONF };
        nfsroot_kernel_info k = { 0 };
        if (argc > 5)
            snprintf(k.version, sizeof(k.version), "%s", argv[5]);
        nfsroot_initramfs_info i;
        const char *file = boot_file(argv[2], export_path, &pol);
        r = nfsroot_bootcheck_initramfs(&pol, file, fake_plan(export_path, NULL),
                                        argc > 5 ? &k : NULL, f, &i);
    } else if (strcmp(cmd, "cmdline") == 0) {
        nfsroot_cmdline_root c;
        r = nfsroot_cmdline_parse(argv[2], &c);
        printf("kind=%d\nform=%s\nroot=%s\nnfs_version=%d\nserver=%s\npath=%s\noptions=%s\n"
               "legacy_nfsroot=%d\nnfsroot_without_dev_nfs=%d\nhas_ip=%d\nip_dhcp=%d\n"
               "ip_client=%s\nip_server=%s\nhas_rd_ip=%d\nrd_neednet=%d\nrw=%d\n",
               c.kind, c.form, c.root, c.nfs_version, c.server, c.path, c.options, c.legacy_nfsroot,
               c.nfsroot_without_dev_nfs, c.has_ip, c.ip_dhcp, c.ip_client, c.ip_server,
               c.has_rd_ip, c.rd_neednet, c.rw);
    } else if (strcmp(cmd, "idmap") == 0 && argc > 3) {
        r = nfsroot_bootcheck_idmap(argv[2], fake_plan(argv[3], NULL), f);
    } else {
        nfsroot_findings_free(f);
        return usage();
    }
    if (r < 0) {
        fprintf(stderr, "check failed: %s\n", strerror(-r));
        nfsroot_findings_free(f);
        return 1;
    }
    print_findings(f, verbose);
    nfsroot_findings_free(f);
    return 0;
}
