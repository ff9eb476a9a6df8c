/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Run one data-driven boot-check case: tests/data/bootcheck/<case>/ holds "case" (key = value
 * settings), the input ("cmdline", "fstab", "idmapd.conf", "baked"; for check = distro a
 * "tree/" copied in as the guest's root) and "expected", the findings as "level code" lines.
 * NFSROOT_REGENERATE=1 rewrites "expected". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "bootcheck-private.h"
#include "plan.h"
#include "policy.h"

static void chomp(char *s)
{
    size_t n = s ? strlen(s) : 0;
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* "key = value" from the case file, or def. Returned storage is static per call site key. */
static const char *setting(const char *conf, const char *key, const char *def, char *out,
                           size_t len)
{
    if (!conf)
        return def;
    size_t kl = strlen(key);
    for (const char *l = conf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) != 0)
            continue;
        const char *p = l + kl;
        while (*p == ' ')
            p++;
        if (*p != '=')
            continue;
        p++;
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, "\n");
        snprintf(out, len, "%.*s", (int)n, p);
        return out;
    }
    return def;
}

extern char **environ;

/* Run a program (cp, rm) and wait: 0 when it exited 0. */
static int run(char *const argv[])
{
    pid_t pid;
    int st;
    if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int write_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "we");
    if (!f)
        return -errno;
    fputs(data, f);
    return fclose(f) == 0 ? 0 : -errno;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bootcheck-case CASE_DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    char *conf = slurp_in(dir, "case", NULL);
    char *cmdline = slurp_in(dir, "cmdline", NULL);
    char *fstab = slurp_in(dir, "fstab", NULL);
    char *idmapd = slurp_in(dir, "idmapd.conf", NULL);
    char *baked = slurp_in(dir, "baked", NULL);
    chomp(cmdline);
    chomp(baked);

    char s_check[64], s_server[128], s_export[1024], s_clients[256], s_initrd[64], s_backend[64],
        s_ro[8], s_hostconf[1024];
    const char *check = setting(conf, "check",
                                cmdline ? "cmdline"
                                : fstab ? "fstab"
                                        : "idmap",
                                s_check, sizeof(s_check));
    const char *server = setting(conf, "server", "192.168.122.1", s_server, sizeof(s_server));
    if (strcmp(server, "none") == 0)
        server = NULL;
    const char *export = setting(conf, "export", "/export/vm", s_export, sizeof(s_export));
    const char *clients =
        setting(conf, "clients", "192.168.122.0/24", s_clients, sizeof(s_clients));
    const char *initrd = setting(conf, "initrd", "dracut", s_initrd, sizeof(s_initrd));
    const char *backend = setting(conf, "backend", "kernel", s_backend, sizeof(s_backend));
    bool readonly = strcmp(setting(conf, "readonly", "0", s_ro, sizeof(s_ro)), "1") == 0;

    /* Guest files go into a temporary root that becomes the root export. */
    char root[] = "/tmp/bootcheck-case.XXXXXX";
    bool made_root = false;
    if (fstab || idmapd || strcmp(check, "cmdline") != 0) {
        if (!mkdtemp(root))
            return perror("mkdtemp"), 1;
        made_root = true;
        char p[4200];
        snprintf(p, sizeof(p), "%s/etc", root);
        mkdir(p, 0755);
        if (strcmp(check, "distro") == 0) {
            char tree[4200];
            snprintf(tree, sizeof(tree), "%s/tree/.", dir);
            char *cp[] = { "cp", "-a", tree, root, NULL };
            if (run(cp) < 0)
                return fprintf(stderr, "cannot copy %s\n", tree), 1;
        }
        if (fstab) {
            /* "@EXPORT@" stands for the root export, a temporary directory. */
            char *text = NULL;
            size_t tl = 0;
            FILE *m = open_memstream(&text, &tl);
            for (const char *q = fstab; *q;) {
                if (strncmp(q, "@EXPORT@", 8) == 0) {
                    fputs(root, m);
                    q += 8;
                } else {
                    fputc(*q++, m);
                }
            }
            fclose(m);
            snprintf(p, sizeof(p), "%s/etc/fstab", root);
            write_file(p, text);
            free(text);
        }
        if (idmapd) {
            snprintf(p, sizeof(p), "%s/etc/idmapd.conf", root);
            write_file(p, idmapd);
        }
        export = root;
    }

    char *cl = strdup(clients);
    char *client_list[2] = { cl, NULL };
    nfsroot_export e = {
        .path = (char *)export, .clients = client_list, .is_root = true, .readonly = readonly
    };
    nfsroot_plan plan = {
        .domain = "case", .exports = &e, .n_exports = 1, .server = (char *)server
    };
    nfsroot_policy pol = { .backend = strcmp(backend, "ganesha-v4") == 0 ? NFSROOT_BACKEND_GANESHA
                                                                         : NFSROOT_BACKEND_KERNEL,
                           .ganesha_nfsv3 = false };

    /* An initramfs with everything a root on NFS needs; the case takes some of it away. */
    nfsroot_initramfs_info ii = { .kernel_versions = "6.1.0-27-amd64" };
    ii.has_init = ii.nfs_scripts = ii.mount_nfs = ii.network = ii.dhcp_client = true;
    ii.nfs_module = ii.nfsv3_module = ii.nfsv4_module = true;
    bool has_initrd = strcmp(initrd, "none") != 0;
    const nfsroot_initramfs_info *iip = &ii;
    if (strcmp(initrd, "dracut") == 0 || strncmp(initrd, "dracut-", 7) == 0) {
        ii.dracut = true;
        snprintf(ii.dracut_modules, sizeof(ii.dracut_modules), "%s",
                 "systemd systemd-initrd network-legacy nfs dracut-systemd base");
    }
    /* dracut's own init: an image made without its systemd modules (create's for Debian) */
    if (strcmp(initrd, "dracut-shell") == 0)
        snprintf(ii.dracut_modules, sizeof(ii.dracut_modules), "%s",
                 "dash network-legacy nfs base");
    if (strcmp(initrd, "dracut-no-nfsv4") == 0)
        ii.nfsv4_module = false;
    if (strcmp(initrd, "initramfs-tools") == 0)
        ii.initramfs_tools = true;
    if (strcmp(initrd, "unknown") == 0 || !has_initrd)
        iip = NULL;
    if (baked)
        snprintf(ii.cmdline, sizeof(ii.cmdline), "%s", baked);

    nfsroot_findings *f = NULL;
    nfsroot_findings_new(&f);
    int r;
    if (strcmp(check, "cmdline") == 0) {
        r = nfsroot_bootcheck_cmdline(&pol, cmdline, has_initrd, iip, &plan, f);
    } else if (strcmp(check, "fstab") == 0) {
        r = nfsroot_bootcheck_fstab(&plan, f);
    } else if (strcmp(check, "distro") == 0) {
        r = nfsroot_bootcheck_distro(&plan, cmdline, f);
    } else if (strcmp(check, "idmap") == 0) {
        const char *hc = setting(conf, "host_idmapd_conf", NULL, s_hostconf, sizeof(s_hostconf));
        char hostconf[4200];
        if (hc && hc[0] != '/')
            snprintf(hostconf, sizeof(hostconf), "%s/%s", dir, hc);
        else
            snprintf(hostconf, sizeof(hostconf), "%s", hc ? hc : "/etc/idmapd.conf");
        r = nfsroot_bootcheck_idmap(hostconf, &plan, f);
    } else {
        fprintf(stderr, "unknown check '%s'\n", check);
        return 2;
    }
    if (r < 0) {
        fprintf(stderr, "check failed: %s\n", strerror(-r));
        return 1;
    }

    char *got = NULL;
    size_t got_len = 0;
    FILE *m = open_memstream(&got, &got_len);
    for (size_t i = 0; i < f->n; i++)
        fprintf(m, "%s %s\n", nfsroot_finding_level_name(f->items[i].level), f->items[i].code);
    fclose(m);
    for (size_t i = 0; i < f->n; i++) {
        char line[2048];
        fprintf(stderr, "%s\n", nfsroot_finding_format(&f->items[i], line, sizeof(line)));
    }

    int ret = 0;
    char exp_path[4096];
    snprintf(exp_path, sizeof(exp_path), "%s/expected", dir);
    if (!test_golden(exp_path, got, "NFSROOT_REGENERATE"))
        ret = 1;
    if (made_root && strcmp(check, "distro") == 0) {
        char *rm[] = { "rm", "-rf", root, NULL };
        run(rm);
    } else if (made_root) {
        char p[4200];
        snprintf(p, sizeof(p), "%s/etc/fstab", root);
        unlink(p);
        snprintf(p, sizeof(p), "%s/etc/idmapd.conf", root);
        unlink(p);
        snprintf(p, sizeof(p), "%s/etc", root);
        rmdir(p);
        rmdir(root);
    }
    nfsroot_findings_free(f);
    free(conf), free(cmdline), free(fstab), free(idmapd), free(baked), free(cl), free(got);
    return ret;
}
