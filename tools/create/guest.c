/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: the library's guest room (lib/guest) as create uses it. What a tree needs
 * is the library's knowledge (one table per profile, read by the boot check as well); this file
 * only passes the options in and the results on. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"

/* A kernel release as kernels name themselves ("6.12.48+deb13-amd64"): the tree names its files,
 * and the version goes into paths and onto the terminal. */
static bool kernel_release_ok(const char *v)
{
    return v[0] && v[0] != '.' &&
           strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789._+~-") == strlen(v);
}

/* The newest /boot/vmlinuz-VERSION of the tree that has /lib/modules/VERSION. */
int create_find_kernel(create_ctx *c)
{
    _cleanup_free_ char *boot = NULL;
    if (asprintf(&boot, "%s/boot", c->target) < 0)
        return -ENOMEM;
    _cleanup_(closedirp) DIR *d = opendir(boot);
    if (!d)
        return -ENOENT;
    struct dirent *e;
    char best[256] = "";
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "vmlinuz-", 8) || strlen(e->d_name) >= sizeof(best) + 8)
            continue;
        const char *v = e->d_name + 8;
        if (!kernel_release_ok(v))
            continue;
        char mod[4096];
        struct stat st;
        snprintf(mod, sizeof(mod), "%s/lib/modules/%s", c->target, v);
        if (stat(mod, &st) == 0 && S_ISDIR(st.st_mode) && strverscmp(v, best) > 0)
            snprintf(best, sizeof(best), "%s", v);
    }
    if (!best[0])
        return -ENOENT;
    free(c->kver);
    c->kver = strdup(best);
    return c->kver ? 0 : -ENOMEM;
}

static void profile_freep(nfsroot_guest_profile **p)
{
    nfsroot_guest_profile_free(*p);
}

static void config_freep(nfsroot_guest_config **c)
{
    nfsroot_guest_config_free(*c);
}

/* The kernel is installed after the dracut configuration, inside the chroot: in debootstrap's
 * --include its resolver picks initramfs-tools (which conflicts with dracut), and an initramfs
 * built then would lack the NFS configuration. */
static bool is_kernel(const char *pkg)
{
    return !strncmp(pkg, "linux-image-", 12);
}

int create_guest_packages(const char *release, const char *extra, char **ret_include,
                          char **ret_kernel)
{
    nfsroot_error err = { 0 };
    _cleanup_(profile_freep) nfsroot_guest_profile *p = NULL;
    int r = nfsroot_guest_profile_new("debian", release, &p, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "no Debian profile"), r;
    const char *const *pk = nfsroot_guest_profile_packages(p);
    size_t n = extra ? strlen(extra) + 2 : 1;
    for (size_t i = 0; pk && pk[i]; i++)
        n += strlen(pk[i]) + 1;
    _cleanup_free_ char *inc = calloc(1, n), *kern = calloc(1, n);
    if (!inc || !kern)
        return -ENOMEM;
    char *a = inc, *b = kern;
    for (size_t i = 0; pk && pk[i]; i++) {
        if (is_kernel(pk[i]))
            b += sprintf(b, "%s%s", b == kern ? "" : " ", pk[i]);
        else
            a += sprintf(a, "%s%s", a == inc ? "" : ",", pk[i]);
    }
    if (extra && extra[0])
        sprintf(a, "%s%s", a == inc ? "" : ",", extra);
    if (!kern[0]) {
        cli_error("the Debian profile names no kernel package");
        return -EINVAL;
    }
    *ret_include = TAKE_PTR(inc);
    if (ret_kernel)
        *ret_kernel = TAKE_PTR(kern);
    return 0;
}

int create_guest_profile(create_ctx *c)
{
    if (c->profile)
        return 0;
    nfsroot_error err = { 0 };
    int r = nfsroot_guest_profile_detect(c->target, &c->profile, &err);
    if (r < 0)
        cli_lib_error(&err, r, "cannot tell the tree's distribution");
    return r;
}

int create_guest_prepare(create_ctx *c)
{
    int r = create_guest_profile(c);
    if (r < 0)
        return r;
    nfsroot_error err = { 0 };
    _cleanup_free_ char *missing = NULL;
    if ((r = nfsroot_guest_missing(c->target, c->profile, &missing, &err)) < 0)
        return cli_lib_error(&err, r, "cannot check the tree's packages"), r;
    if (missing) {
        cli_error("the tree lacks what root on NFS needs: install %s in it", missing);
        return -ENOPKG;
    }
    /* Before the kernel: its dracut hook builds the initramfs from this file. */
    if ((r = nfsroot_guest_write_dracut_conf(c->target, c->profile, &err)) < 0)
        cli_lib_error(&err, r, "cannot write the tree's dracut configuration");
    return r;
}

/* The first line of the --ssh-key file: one authorized_keys line. */
static int read_key(const char *path, char **ret)
{
    _cleanup_free_ char *text = NULL;
    int r = cli_read_file(path, 16384, &text, NULL);
    if (r < 0) {
        cli_error("cannot read the --ssh-key file '%s': %s", path,
                  r == -EINVAL ? "not a regular file" : strerror(-r));
        return r;
    }
    text[strcspn(text, "\n")] = '\0';
    if (!text[0] || strstr(text, "PRIVATE KEY")) {
        cli_error("--ssh-key '%s' is not a public key line", path);
        return -EINVAL;
    }
    *ret = TAKE_PTR(text);
    return 0;
}

/* 20 letters and digits from getrandom(2): 119 bits, unbiased (bytes >= 248 are drawn again). */
static int make_password(char ret[21])
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char b[64];
    size_t n = 0;
    while (n < 20) {
        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
            return errno == EINTR ? -EINTR : -EIO;
        for (size_t i = 0; i < sizeof(b) && n < 20; i++)
            if (b[i] < 248)
                ret[n++] = set[b[i] % 62];
    }
    ret[20] = '\0';
    explicit_bzero(b, sizeof(b));
    return 0;
}

/* No way in given and root has no password in the tree (create's own trees: locked): a one-time
 * password, hashed into the tree by the library, shown once by create.c. */
static int way_in(create_ctx *c, nfsroot_guest_config *g)
{
    if (c->o->ssh_key || c->o->root_password_file)
        return 0;
    nfsroot_error err = { 0 };
    int r = nfsroot_guest_root_password_usable(c->target, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot tell whether root has a password"), r;
    if (r > 0)
        return 0;
    if ((r = make_password(c->root_password)) < 0) {
        cli_error("no random bytes for root's password: %s", strerror(-r));
        return r;
    }
    return nfsroot_guest_config_set(g, NFSROOT_GUEST_ROOT_PASSWORD, c->root_password);
}

static int fill_config(create_ctx *c, const char *server, nfsroot_guest_config *g)
{
    _cleanup_free_ char *key = NULL;
    int r;
    if (c->o->ssh_key && (r = read_key(c->o->ssh_key, &key)) < 0)
        return r;
    const char *idmapd = secure_getenv("VIRT_NFSROOT_IDMAPD_CONF");
    if ((r = nfsroot_guest_config_set(g, NFSROOT_GUEST_HOSTNAME, c->o->name)) < 0 ||
        (r = nfsroot_guest_config_set(g, NFSROOT_GUEST_SERVER, server)) < 0 ||
        (r = nfsroot_guest_config_set(g, NFSROOT_GUEST_EXPORT_PATH, c->export_path)) < 0 ||
        (r = nfsroot_guest_config_set(g, NFSROOT_GUEST_ADDRESS,
                                      c->guest_addr[0] ? c->guest_addr : NULL)) < 0 ||
        (r = nfsroot_guest_config_set(g, NFSROOT_GUEST_MAC, c->mac)) < 0 ||
        (r = nfsroot_guest_config_set(g, NFSROOT_GUEST_ASLR, c->o->no_aslr ? "off" : NULL)) < 0 ||
        (r = nfsroot_guest_config_set(g, NFSROOT_GUEST_NFS_VERSION,
                                      nfsroot_backend_guest_nfs_version(c->policy))) < 0 ||
        (r = nfsroot_guest_config_set(g, NFSROOT_GUEST_SSH_KEY, key)) < 0 ||
        (r = nfsroot_guest_config_set(g, NFSROOT_GUEST_ROOT_PASSWORD_FILE,
                                      c->o->root_password_file)) < 0 ||
        (idmapd && (r = nfsroot_guest_config_set(g, NFSROOT_GUEST_HOST_IDMAPD_CONF, idmapd)) < 0))
        cli_error("cannot pass the guest's settings on: %s", strerror(-r));
    return r < 0 ? r : way_in(c, g);
}

/* A tree copied from the cache (or the one that filled it) has the entry's ssh host keys, if
 * it has an sshd: every guest of that entry would share them, and one guest's root could
 * impersonate the others. Its own keys instead: the old ones unlinked, ssh-keygen -A in it. */
static int own_host_keys(create_ctx *c)
{
    _cleanup_free_ char *dir = NULL, *keygen = NULL;
    if (asprintf(&dir, "%s/etc/ssh", c->target) < 0 ||
        asprintf(&keygen, "%s/usr/bin/ssh-keygen", c->target) < 0)
        return -ENOMEM;
    _cleanup_(closedirp) DIR *d = c->tree_shared ? opendir(dir) : NULL;
    struct stat st;
    if (!d || lstat(keygen, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    bool had = false;
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, "ssh_host_", 9) && unlinkat(dirfd(d), e->d_name, 0) == 0)
            had = true;
    char *const argv[] = { "/usr/bin/ssh-keygen", "-A", NULL };
    return had ? create_spawn(c, c->target, argv) : 0;
}

int create_guest_configure(create_ctx *c, const char *server)
{
    int r = create_guest_profile(c);
    if (r < 0)
        return r;
    _cleanup_(config_freep) nfsroot_guest_config *g = NULL;
    _cleanup_(nfsroot_findings_freep) nfsroot_findings *notes = NULL;
    if (nfsroot_guest_config_new(&g) < 0 || nfsroot_findings_new(&notes) < 0)
        return -ENOMEM;
    if ((r = fill_config(c, server, g)) < 0)
        return r;
    nfsroot_error err = { 0 };
    c->tree_touched = true;
    r = nfsroot_guest_configure(c->target, c->profile, g, notes, &c->cmdline, &err);
    if (r < 0) {
        explicit_bzero(c->root_password, sizeof(c->root_password));
        return cli_lib_error(&err, r, "cannot configure the tree"), r;
    }
    _cleanup_free_ char *lsm = NULL, *cmdline = NULL;
    if ((c->kver || create_find_kernel(c) == 0) &&
        (r = nfsroot_guest_lsm_arg(c->target, c->kver, &lsm)) < 0)
        return r;
    if (lsm) {
        if (asprintf(&cmdline, "%s%s", c->cmdline, lsm) < 0)
            return -ENOMEM;
        free(c->cmdline);
        c->cmdline = TAKE_PTR(cmdline);
    }
    if ((r = own_host_keys(c)) < 0)
        return r;
    /* What create.c says about --ssh-key (only a hint: the lstat follows no final link). */
    _cleanup_free_ char *sshd = NULL;
    struct stat sb;
    if (asprintf(&sshd, "%s/usr/sbin/sshd", c->target) < 0)
        return -ENOMEM;
    c->has_sshd = lstat(sshd, &sb) == 0 && S_ISREG(sb.st_mode);
    for (size_t i = 0; !cli.json && i < nfsroot_findings_get_n(notes); i++) {
        char line[4096];
        fprintf(
            stderr, "  %s\n",
            cli_esc(nfsroot_finding_format(nfsroot_findings_get(notes, i), line, sizeof(line))));
    }
    const char *os = nfsroot_guest_profile_osinfo(c->profile);
    if (os && !(c->osinfo = strdup(os)))
        return -ENOMEM;
    return 0;
}

/* A bar for the unpack, on a terminal only. */
static void unpack_progress(uint64_t done, uint64_t total, void *userdata)
{
    (void)userdata;
    if (cli.json || !isatty(2) || total == 0)
        return;
    int pct = (int)(done * 100 / total), fill = pct * 30 / 100;
    fprintf(stderr, "\r      unpack [%.*s%*s] %3d%%", fill, "##############################",
            30 - fill, "", pct);
    if (done >= total)
        fputc('\n', stderr);
}

int create_guest_unpack(create_ctx *c)
{
    nfsroot_error err = { 0 };
    int r = nfsroot_guest_unpack(c->o->from_tarball, c->target, NULL, unpack_progress, NULL, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot unpack the tarball"), r;
    /* The tree stage's note (the stage running now) says what the unpack left out. */
    create_stage *st = c->n_stages ? &c->stages[c->n_stages - 1] : NULL;
    size_t n = st ? strlen(st->note) : 0;
    if (r > 0 && st && n < sizeof(st->note))
        snprintf(st->note + n, sizeof(st->note) - n,
                 "%s%d setuid/setgid bits dropped (kept only on a nosuid mount)", n ? "; " : "", r);
    return 0;
}
