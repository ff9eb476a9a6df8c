/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the boot checks that need no real images: kernel headers built in memory,
 * symlink escapes in a temporary guest root, findings and their enforcement. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <unistd.h>

#include "test.h"
#include "bootcheck-private.h"
#include "domain.h"
#include "plan.h"
#include "policy.h"

#define ELEMENTSOF_T(a) (sizeof(a) / sizeof((a)[0]))

static void put16(unsigned char *b, size_t off, unsigned v)
{
    b[off] = v & 0xff;
    b[off + 1] = (v >> 8) & 0xff;
}
static void put32(unsigned char *b, size_t off, unsigned v)
{
    put16(b, off, v & 0xffff);
    put16(b, off + 2, v >> 16);
}

static void test_kernel_headers(void)
{
    static unsigned char b[64 * 1024];
    nfsroot_kernel_info k;

    /* x86 bzImage, boot protocol 2.15, 64-bit, version string at 0x200 + 0x3000 */
    memset(b, 0, sizeof(b));
    b[0] = 'M', b[1] = 'Z';
    b[0x1f1] = 27;
    put32(b, 0x1f4, 0x10000);
    b[0x1fe] = 0x55, b[0x1ff] = 0xaa;
    memcpy(b + 0x202, "HdrS", 4);
    put16(b, 0x206, 0x020f);
    put16(b, 0x20e, 0x3000);
    b[0x211] = 0x01;
    put16(b, 0x236, 0x7f);
    strcpy((char *)b + 0x3200, "6.1.0-27-amd64 (debian-kernel@lists.debian.org) #1 SMP");
    CHECK(nfsroot_kernel_identify(b, sizeof(b), &k) == 0);
    CHECK(strcmp(k.format, "x86 bzImage") == 0);
    CHECK(strcmp(k.arch, "x86_64") == 0);
    CHECK(k.is_64bit);
    CHECK(k.boot_protocol == 0x020f);
    CHECK(strcmp(k.version, "6.1.0-27-amd64") == 0);
    CHECK(k.min_size == 28 * 512 + 0x10000 * 16ULL);
    /* The version string beyond the bytes given: identified, version unknown. */
    CHECK(nfsroot_kernel_identify(b, 0x1000, &k) == 0 && k.version[0] == '\0');
    /* Header cut inside the setup header */
    CHECK(nfsroot_kernel_identify(b, 0x210, &k) == -EBADMSG);
    /* 32-bit kernel */
    put16(b, 0x236, 0x00);
    CHECK(nfsroot_kernel_identify(b, sizeof(b), &k) == 0 && !k.is_64bit &&
          strcmp(k.arch, "x86") == 0);
    /* Version offset pointing past the buffer end */
    put16(b, 0x20e, 0xffff);
    CHECK(nfsroot_kernel_identify(b, sizeof(b), &k) == 0);

    /* arm64 Image */
    memset(b, 0, sizeof(b));
    put32(b, 0x38, 0x644d5241);
    put32(b, 0x10, 0x2000000);
    CHECK(nfsroot_kernel_identify(b, 4096, &k) == 0);
    CHECK(strcmp(k.arch, "arm64") == 0 && strcmp(k.format, "arm64 Image") == 0);
    CHECK(k.min_size == 0x2000000);

    /* EFI zboot */
    memset(b, 0, sizeof(b));
    b[0] = 'M', b[1] = 'Z';
    memcpy(b + 4, "zimg", 4);
    put32(b, 8, 0x1000), put32(b, 12, 0x5000);
    memcpy(b + 0x18, "zstd", 4);
    put32(b, 0x3c, 0x80);
    memcpy(b + 0x80, "PE\0\0", 4);
    put16(b, 0x84, 0xaa64);
    CHECK(nfsroot_kernel_identify(b, 4096, &k) == 0);
    CHECK(strcmp(k.format, "EFI zboot (zstd)") == 0 && strcmp(k.arch, "arm64") == 0);
    /* PE offset out of range in a short buffer */
    put32(b, 0x3c, 0x7fffffff);
    CHECK(nfsroot_kernel_identify(b, 4096, &k) == -EBADMSG);

    /* ELF vmlinux */
    memset(b, 0, sizeof(b));
    memcpy(b,
           "\x7f"
           "ELF",
           4);
    b[4] = 2, b[5] = 1;
    put16(b, 0x12, 62);
    CHECK(nfsroot_kernel_identify(b, 64, &k) == 0 && strcmp(k.arch, "x86_64") == 0);

    /* Not kernels */
    memset(b, 0, sizeof(b));
    memcpy(b, "\x1f\x8b\x08\x00", 4);
    CHECK(nfsroot_kernel_identify(b, 4096, &k) == -ENOEXEC);
    memcpy(b, "070701", 6);
    CHECK(nfsroot_kernel_identify(b, 4096, &k) == -ENOEXEC);
    CHECK(nfsroot_kernel_identify(b, 10, &k) == -EBADMSG);
    CHECK(nfsroot_kernel_identify(b, 0, &k) == -EBADMSG);
}

static void test_cmdline_parse(void)
{
    nfsroot_cmdline_root c;
    CHECK(nfsroot_cmdline_parse("root=nfs4:192.168.122.1:/export/vm:vers=4.1,rw ip=dhcp", &c) == 0);
    CHECK(c.kind == NFSROOT_ROOT_NFS && c.nfs_version == 4);
    CHECK(strcmp(c.server, "192.168.122.1") == 0 && strcmp(c.path, "/export/vm") == 0);
    CHECK(strcmp(c.options, "vers=4.1,rw") == 0 && c.ip_dhcp);

    CHECK(nfsroot_cmdline_parse("root=/dev/nfs nfsroot=10.0.0.1:/srv/root,vers=3,tcp", &c) == 0);
    CHECK(c.legacy_nfsroot && strcmp(c.server, "10.0.0.1") == 0);
    CHECK(strcmp(c.path, "/srv/root") == 0 && strcmp(c.options, "vers=3,tcp") == 0);
    CHECK(c.nfs_version == 3);

    CHECK(nfsroot_cmdline_parse("root=nfs:/srv/root", &c) == 0);
    CHECK(c.server[0] == '\0' && strcmp(c.path, "/srv/root") == 0);
    CHECK(nfsroot_cmdline_parse("root=nfs:srv:relative", &c) == 0 && strcmp(c.path, "error") == 0);
    CHECK(nfsroot_cmdline_parse("ip=eth0:dhcp", &c) == 0 && c.ip_dhcp && c.kind == 0);
    CHECK(nfsroot_cmdline_parse(NULL, &c) == 0 && c.kind == NFSROOT_ROOT_NONE);
    CHECK(nfsroot_cmdline_parse("root=server.example.org:/srv", &c) == 0 &&
          c.kind == NFSROOT_ROOT_OTHER && strcmp(c.form, "hostname-legacy") == 0);
}

static void test_fstab_parse(void)
{
    nfsroot_fstab_entry e;
    const char *t = "# comment\n\nUUID=x /boot ext4 defaults 0 2\n"
                    "srv:/a\\040b / nfs4 rw 0 0\n";
    CHECK(nfsroot_fstab_find_root(t, strlen(t), &e) == 0);
    CHECK(strcmp(e.spec, "srv:/a b") == 0 && strcmp(e.vfstype, "nfs4") == 0 && e.line == 4);
    t = "srv:/a /mnt nfs rw\n/dev/vda1 //";
    CHECK(nfsroot_fstab_find_root(t, strlen(t), &e) == 0 && strcmp(e.options, "defaults") == 0);
    t = "none";
    CHECK(nfsroot_fstab_find_root(t, strlen(t), &e) == -ENOENT);
}

static char tmp[] = "/tmp/test-bootcheck.XXXXXX";

#include <stdarg.h>
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    CHECKF(system(cmd) == 0, "setup failed: %s", cmd);
}

/* A guest whose root export is root, the policy's boot dir boot_dir (NULL: none): strict
 * checks, kernel command line for NFSv4 over DHCP. g points into itself: never copy it. */
typedef struct guest {
    char *clients[2], *dirs[2];
    nfsroot_export e;
    nfsroot_plan plan;
    nfsroot_policy pol;
    nfsroot_domain d;
} guest;

static void guest_init(guest *g, char *root, char *boot_dir)
{
    *g = (guest){ .clients = { "192.168.122.0/24", NULL }, .dirs = { boot_dir, NULL } };
    g->e = (nfsroot_export){ .path = root, .clients = g->clients, .is_root = true };
    g->plan = (nfsroot_plan){
        .domain = "t", .exports = &g->e, .n_exports = 1, .server = "192.168.122.1"
    };
    g->pol = (nfsroot_policy){ .validate = NFSROOT_VALIDATE_STRICT,
                               .boot_dirs = boot_dir ? g->dirs : NULL };
    g->d = (nfsroot_domain){ .name = "t", .cmdline = "root=nfs4:192.168.122.1:/x ip=dhcp" };
}

static void test_guest_root_escapes(void)
{
    if (!CHECK(mkdtemp(tmp)))
        return;
    /* The guest's etc/fstab is an absolute symlink to the host's /etc/passwd: inside the guest
     * root that is <root>/etc/passwd, which does not exist. */
    sh("mkdir -p %s/root/etc %s/root/boot && ln -s /etc/passwd %s/root/etc/fstab", tmp, tmp, tmp);
    char root[4200];
    snprintf(root, sizeof(root), "%s/root", tmp);
    guest g;
    guest_init(&g, root, NULL);
    nfsroot_findings *f;
    CHECK(nfsroot_findings_new(&f) == 0);
    CHECK(nfsroot_bootcheck_fstab(&g.plan, f) == 0);
    CHECK(nfsroot_findings_find(f, "fstab-missing") != NULL);
    nfsroot_findings_free(f);

    /* A relative escape through ".." is clamped to the root as well. */
    sh("rm %s/root/etc/fstab && ln -s ../../../../../../etc/hostname %s/root/etc/fstab", tmp, tmp);
    CHECK(nfsroot_findings_new(&f) == 0);
    CHECK(nfsroot_bootcheck_fstab(&g.plan, f) == 0);
    CHECK(nfsroot_findings_find(f, "fstab-missing") != NULL);
    nfsroot_findings_free(f);

    /* A symlink that stays inside the root is followed as the guest would. */
    sh("rm %s/root/etc/fstab && printf '192.168.1.122:/x / nfs rw 0 0\\n' > %s/root/etc/fstab.real"
       " && ln -s /etc/fstab.real %s/root/etc/fstab",
       tmp, tmp, tmp);
    CHECK(nfsroot_findings_new(&f) == 0);
    CHECK(nfsroot_bootcheck_fstab(&g.plan, f) == 0);
    CHECK(nfsroot_findings_find(f, "fstab-root-server-mismatch") != NULL);
    nfsroot_findings_free(f);

    /* <kernel> inside the export as an absolute symlink: libvirt would follow it on the host. */
    sh("ln -s /etc/hostname %s/root/boot/vmlinuz", tmp);
    char kernel[4300];
    snprintf(kernel, sizeof(kernel), "%s/boot/vmlinuz", root);
    CHECK(nfsroot_findings_new(&f) == 0);
    CHECK(nfsroot_bootcheck_kernel(NULL, kernel, &g.plan, f, NULL) == 0);
    CHECK(nfsroot_findings_find(f, "kernel-symlink-escape") != NULL);
    CHECK(nfsroot_findings_has_errors(f));
    nfsroot_findings_free(f);

    /* A regular file that is no kernel, inside the export: not-a-kernel + the chown warning. */
    sh("rm %s/root/boot/vmlinuz && head -c 8192 /dev/zero > %s/root/boot/vmlinuz", tmp, tmp);
    CHECK(nfsroot_findings_new(&f) == 0);
    CHECK(nfsroot_bootcheck_kernel(NULL, kernel, &g.plan, f, NULL) == 0);
    CHECK(nfsroot_findings_find(f, "kernel-chowned") != NULL);
    CHECK(nfsroot_findings_find(f, "kernel-not-a-kernel") != NULL);
    nfsroot_findings_free(f);

    /* Missing kernel and a directory as initrd, both inside the export */
    CHECK(nfsroot_findings_new(&f) == 0);
    snprintf(kernel, sizeof(kernel), "%s/boot/missing", root);
    CHECK(nfsroot_bootcheck_kernel(NULL, kernel, &g.plan, f, NULL) == 0);
    CHECK(nfsroot_findings_find(f, "kernel-not-found") != NULL);
    snprintf(kernel, sizeof(kernel), "%s/boot", root);
    CHECK(nfsroot_bootcheck_initramfs(NULL, kernel, &g.plan, NULL, f, NULL) == 0);
    CHECK(nfsroot_findings_find(f, "initrd-not-regular") != NULL);
    nfsroot_findings_free(f);

    sh("rm -rf %s", tmp);
}

/* <kernel>/<initrd> inside the root export pass; in a boot_dirs directory they pass with an
 * info; anywhere else the start is refused. */
static void test_boot_file_location(void)
{
    char t[] = "/tmp/test-bootcheck-location.XXXXXX";
    if (!CHECK(mkdtemp(t)))
        return;
    sh("mkdir -p %s/root/boot %s/libvirt-boot %s/elsewhere", t, t, t);
    sh("head -c 4096 /dev/zero > %s/root/boot/vmlinuz && cp %s/root/boot/vmlinuz %s/libvirt-boot/"
       " && cp %s/root/boot/vmlinuz %s/elsewhere/ && ln -s %s/elsewhere/vmlinuz "
       "%s/libvirt-boot/link",
       t, t, t, t, t, t, t);
    char root[4200], boot_dir[4200], inside[4300], in_boot[4300], outside[4300], link[4300];
    snprintf(root, sizeof(root), "%s/root", t);
    snprintf(boot_dir, sizeof(boot_dir), "%s/libvirt-boot", t);
    snprintf(inside, sizeof(inside), "%s/boot/vmlinuz", root);
    snprintf(in_boot, sizeof(in_boot), "%s/vmlinuz", boot_dir);
    snprintf(outside, sizeof(outside), "%s/elsewhere/vmlinuz", t);
    snprintf(link, sizeof(link), "%s/link", boot_dir);
    guest g;
    guest_init(&g, root, boot_dir);
    nfsroot_findings *f;
    nfsroot_error err = { 0 };

    g.d.kernel = inside;
    CHECK(nfsroot_bootcheck_run(&g.pol, &g.d, &g.plan, &f, &err) == 0);
    CHECK(!nfsroot_findings_find(f, "kernel-outside-export"));
    CHECK(!nfsroot_findings_find(f, "kernel-in-boot-dir"));
    nfsroot_findings_free(f);

    g.d.kernel = in_boot;
    g.d.initrd = outside;
    CHECK(nfsroot_bootcheck_run(&g.pol, &g.d, &g.plan, &f, &err) == 0);
    CHECK(nfsroot_findings_find(f, "kernel-in-boot-dir") != NULL);
    CHECK(!nfsroot_findings_find(f, "kernel-outside-export"));
    const nfsroot_finding *x = nfsroot_findings_find(f, "initrd-outside-export");
    CHECK(x && x->level == NFSROOT_FINDING_ERROR && strstr(x->message, boot_dir));
    nfsroot_findings_free(f);

    /* A link in a boot dir that leads elsewhere counts where it leads. */
    g.d.kernel = link;
    g.d.initrd = NULL;
    CHECK(nfsroot_bootcheck_run(&g.pol, &g.d, &g.plan, &f, &err) == 0);
    CHECK(nfsroot_findings_find(f, "kernel-outside-export") != NULL);
    nfsroot_findings_free(f);

    /* No boot_dirs at all: only the export. */
    g.pol.boot_dirs = NULL;
    g.d.kernel = in_boot;
    CHECK(nfsroot_bootcheck_run(&g.pol, &g.d, &g.plan, &f, &err) == 0);
    x = nfsroot_findings_find(f, "kernel-outside-export");
    CHECK(x && strstr(x->message, "(none)"));
    nfsroot_findings_free(f);

    sh("rm -rf %s", t);
}

/* Does the kernel check say QEMU cannot read kernel (an error)? Its message (or why not) in msg. */
static bool qemu_unreadable(guest *g, const char *kernel, char *msg, size_t len)
{
    nfsroot_findings *f;
    CHECK(nfsroot_findings_new(&f) == 0);
    CHECK(nfsroot_bootcheck_kernel(&g->pol, kernel, &g->plan, f, NULL) == 0);
    const nfsroot_finding *x = nfsroot_findings_find(f, "kernel-qemu-unreadable");
    snprintf(msg, len, "%s", x ? x->message : "no finding");
    bool found = x && x->level == NFSROOT_FINDING_ERROR;
    nfsroot_findings_free(f);
    return found;
}

/* QEMU runs as qemu.conf's user (uid and gid 4242 here: no file's owner): a boot file it cannot
 * read is an error at the boot check, not a failed start; libvirt's chown at start counted. */
static void test_qemu_unreadable(void)
{
    nfsroot_qemu_conf c;
    CHECK(nfsroot_qemu_conf_parse("#user = \"root\"\n  group = \"kvm\" # c\n"
                                  "cgroup_device_acl = [\n    \"user\",\n]\n",
                                  &c) == 0);
    CHECK(strcmp(c.user, "libvirt-qemu") == 0 && strcmp(c.group, "kvm") == 0);
    CHECK(strcmp(c.dynamic_ownership, "1") == 0);

    char t[] = "/tmp/test-bootcheck-qemu.XXXXXX";
    if (!CHECK(mkdtemp(t)))
        return;
    char boot[4200], kernel[4300], conf[4200], msg[4096];
    snprintf(boot, sizeof(boot), "%s/boot", t);
    snprintf(kernel, sizeof(kernel), "%s/vmlinuz", boot);
    sh("chmod 0755 %s && mkdir -m 0755 %s && head -c 4096 /dev/zero > %s && chmod 0644 %s", t, boot,
       kernel, kernel);
    snprintf(conf, sizeof(conf), "%s/qemu.conf", t);
    sh("printf 'user = \"+4242\"\\ngroup = \"+4242\"\\n' > %s", conf);
    guest g;
    guest_init(&g, t, boot);
    g.pol.qemu_conf = conf;
    CHECKF(!qemu_unreadable(&g, kernel, msg, sizeof(msg)), "%s", msg);

    /* A boot directory made under umask 077: libvirt chowns the file, never its directory. */
    sh("chmod 0700 %s", boot);
    CHECKF(qemu_unreadable(&g, kernel, msg, sizeof(msg)) && strstr(msg, "'+4242'") &&
               strstr(msg, boot) && strstr(msg, "mode 0700"),
           "%s", msg);

    /* A 0600 kernel: libvirt makes it QEMU's at start (dynamic_ownership), so it reads it... */
    sh("chmod 0755 %s && chmod 0600 %s", boot, kernel);
    CHECKF(!qemu_unreadable(&g, kernel, msg, sizeof(msg)), "%s", msg);
    /* ... unless libvirt leaves owners alone. */
    sh("echo 'dynamic_ownership = 0' >> %s", conf);
    CHECKF(qemu_unreadable(&g, kernel, msg, sizeof(msg)) && strstr(msg, "mode 0600"), "%s", msg);

    /* A user this host does not have: nothing can be said. */
    sh("echo 'user = \"no-such-user-of-virt-nfsroot\"' >> %s", conf);
    CHECKF(!qemu_unreadable(&g, kernel, msg, sizeof(msg)), "%s", msg);
    sh("rm -rf %s", t);
}

/* The findings of one run as text, with the kernel's path replaced by "<K>": what a domain
 * editor learns from a start. */
static void findings_text(const nfsroot_findings *f, const char *kernel, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < f->n && n < len; i++) {
        const char *m = f->items[i].message;
        n += (size_t)snprintf(out + n, len - n, "%d %s ", f->items[i].level, f->items[i].code);
        for (const char *k; n < len && (k = strstr(m, kernel)); m = k + strlen(kernel))
            n += (size_t)snprintf(out + n, len - n, "%.*s<K>", (int)(k - m), m);
        if (n < len)
            n += (size_t)snprintf(out + n, len - n, "%s\n", m);
    }
}

/* A <kernel> outside the export and boot_dirs, in a root-only directory: the start says the same
 * whether the file exists or not (no existence oracle), and reads nothing there. The same for
 * '..' out of the export and for links in the export or a boot dir that lead there. */
static void test_boot_file_no_oracle(void)
{
    char t[] = "/tmp/test-bootcheck-oracle.XXXXXX";
    if (!CHECK(mkdtemp(t)))
        return;
    sh("mkdir -p %s/root/boot %s/boot-dir %s/secret && chmod 700 %s/secret", t, t, t, t);
    sh("head -c 8192 /dev/zero > %s/secret/vmlinuz", t);
    sh("ln -s %s/secret/vmlinuz %s/root/boot/ln-have && ln -s %s/secret/missing "
       "%s/root/boot/ln-miss"
       " && ln -s ../secret/vmlinuz %s/boot-dir/ln-have && ln -s ../secret/missing "
       "%s/boot-dir/ln-miss",
       t, t, t, t, t, t);
    char root[4200], boot_dir[4200];
    snprintf(root, sizeof(root), "%s/root", t);
    snprintf(boot_dir, sizeof(boot_dir), "%s/boot-dir", t);
    guest g;
    guest_init(&g, root, boot_dir);
    static const char *const pairs[][2] = {
        { "/secret/vmlinuz", "/secret/missing" },
        { "/root/../secret/vmlinuz", "/root/../secret/missing" },
        { "/root/boot/ln-have", "/root/boot/ln-miss" },
        { "/boot-dir/ln-have", "/boot-dir/ln-miss" },
    };
    for (size_t i = 0; i < ELEMENTSOF_T(pairs); i++) {
        static char text[2][8192];
        for (int k = 0; k < 2; k++) {
            char kernel[4300];
            snprintf(kernel, sizeof(kernel), "%s%s", t, pairs[i][k]);
            g.d.kernel = kernel;
            nfsroot_findings *f = NULL;
            nfsroot_error err = { 0 };
            CHECK(nfsroot_bootcheck_run(&g.pol, &g.d, &g.plan, &f, &err) == 0);
            if (!f)
                continue;
            findings_text(f, kernel, text[k], sizeof(text[k]));
            CHECK(nfsroot_findings_has_errors(f));
            CHECK(!nfsroot_findings_find(f, "kernel-not-a-kernel"));
            CHECK(!nfsroot_findings_find(f, "kernel-identified"));
            CHECK(!nfsroot_findings_find(f, "kernel-not-found"));
            nfsroot_findings_free(f);
        }
        if (strcmp(text[0], text[1]) != 0)
            fprintf(stderr, "pair %zu differs:\n--- exists\n%s--- missing\n%s", i, text[0],
                    text[1]);
        CHECK(strcmp(text[0], text[1]) == 0);
    }
    sh("rm -rf %s", t);
}

/* A guest that is root on its export can make etc/fstab (or <kernel>) a device node: the check
 * must never open it on the host (inotify sees every open of the node, O_PATH lookups aside). */
static void test_device_node_not_opened(void)
{
    char t[] = "/tmp/test-bootcheck-dev.XXXXXX";
    if (!CHECK(mkdtemp(t)))
        return;
    char root[4200], node[4300], kernel_node[4300];
    snprintf(root, sizeof(root), "%s/root", t);
    snprintf(node, sizeof(node), "%s/etc/fstab", root);
    snprintf(kernel_node, sizeof(kernel_node), "%s/boot/vmlinuz", root);
    sh("mkdir -p %s/etc %s/boot", root, root);
    /* /dev/null's numbers: harmless if a broken build does open it. */
    if (mknod(node, S_IFCHR | 0600, makedev(1, 3)) < 0 ||
        mknod(kernel_node, S_IFCHR | 0600, makedev(1, 3)) < 0) {
        fprintf(stderr, "note: no mknod (%s), device-node case skipped\n", strerror(errno));
        sh("rm -rf %s", t);
        return;
    }
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(in >= 0);
    CHECK(inotify_add_watch(in, node, IN_OPEN) >= 0);
    CHECK(inotify_add_watch(in, kernel_node, IN_OPEN) >= 0);
    guest g;
    guest_init(&g, root, NULL);
    g.d.kernel = kernel_node;
    g.d.cmdline = "root=nfs4:x:/y ip=dhcp";
    nfsroot_findings *f = NULL;
    nfsroot_error err = { 0 };
    CHECK(nfsroot_bootcheck_run(&g.pol, &g.d, &g.plan, &f, &err) == 0);
    CHECK(f && nfsroot_findings_find(f, "kernel-not-regular") != NULL);
    nfsroot_findings_free(f);
    char ev[4096];
    ssize_t n = read(in, ev, sizeof(ev));
    CHECK(n < 0 && errno == EAGAIN); /* no IN_OPEN on either node */
    close(in);
    sh("rm -rf %s", t);
}

static int logged;
static void count_log(int prio, const char *line, void *userdata)
{
    (void)prio, (void)line, (void)userdata;
    logged++;
}

static void test_run_and_enforce(void)
{
    nfsroot_policy pol = { .validate = NFSROOT_VALIDATE_STRICT };
    nfsroot_domain d = { .name = "vm" };
    char *clients[] = { "192.168.122.0/24", NULL };
    nfsroot_export e = { .path = "/nonexistent-export/vm", .clients = clients, .is_root = true };
    nfsroot_plan plan = {
        .domain = "vm", .exports = &e, .n_exports = 1, .server = "192.168.122.1"
    };
    nfsroot_findings *f = NULL;
    nfsroot_error err = { 0 };

    /* No <kernel>: info only, fstab cannot be read (export missing) -> warning, no error. */
    CHECK(nfsroot_bootcheck_run(&pol, &d, &plan, &f, &err) == 0);
    CHECK(nfsroot_findings_find(f, "boot-not-direct") != NULL);
    CHECK(!nfsroot_findings_has_errors(f));
    nfsroot_log log = { count_log, NULL };
    CHECK(nfsroot_bootcheck_enforce(&pol, &d, f, &log, &err) == 0);
    CHECK(logged == (int)f->n);
    nfsroot_findings_free(f);

    /* A kernel that does not exist: an error, which strict turns into a refusal. */
    d.kernel = "/nonexistent/vmlinuz";
    d.initrd = "/nonexistent/initrd.img";
    d.cmdline = "root=nfs4:192.168.1.122:/nonexistent-export/vm rw ip=dhcp";
    CHECK(nfsroot_bootcheck_run(&pol, &d, &plan, &f, &err) == 0);
    CHECK(nfsroot_findings_count(f, NFSROOT_FINDING_ERROR) == 3);
    CHECK(nfsroot_findings_find(f, "initrd-outside-export") != NULL);
    CHECK(nfsroot_findings_find(f, "cmdline-server-mismatch") != NULL);
    CHECK(nfsroot_bootcheck_enforce(&pol, &d, f, NULL, &err) == -EINVAL);
    CHECK(strstr(err.message, "/nonexistent/vmlinuz") != NULL);
    CHECK(strstr(err.message, "2 more") != NULL);
    CHECK(strcmp(err.domain, "vm") == 0);
    pol.validate = NFSROOT_VALIDATE_WARN;
    nfsroot_error_clear(&err);
    CHECK(nfsroot_bootcheck_enforce(&pol, &d, f, NULL, &err) == 0 && err.code == 0);
    nfsroot_findings_free(f);

    pol.validate = NFSROOT_VALIDATE_OFF;
    CHECK(nfsroot_bootcheck_run(&pol, &d, &plan, &f, &err) == 0 && f->n == 0);
    nfsroot_findings_free(f);

    char buf[256];
    nfsroot_finding one = { .level = NFSROOT_FINDING_WARNING, .code = "x-y", .message = "m" };
    CHECK(strcmp(nfsroot_finding_format(&one, buf, sizeof(buf)), "warning: m [x-y]") == 0);
    nfsroot_findings_free(NULL);
}

int main(void)
{
    test_kernel_headers();
    test_cmdline_parse();
    test_fstab_parse();
    test_guest_root_escapes();
    test_boot_file_location();
    test_boot_file_no_oracle();
    test_qemu_unreadable();
    test_device_node_not_opened();
    test_run_and_enforce();
    return test_summary();
}
