/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Configure a tree for / on NFS, from its profile: each step one function, every file reached
 * beneath the tree's root. */
#include <fcntl.h>
#include <sys/stat.h>

#include "edit.h"
#include "profile.h"

#define GUEST_FILE_MAX (4 * 1024 * 1024)

typedef struct ctx {
    int root_fd;
    const char *root;
    const nfsroot_guest_profile *p;
    const nfsroot_guest_config *c;
    nfsroot_findings *notes;
    nfsroot_error *err;
} ctx;

static const char *get(const ctx *x, nfsroot_guest_key k)
{
    return x->c->v[k];
}

static int fail(const ctx *x, int r, const char *rel, const char *what)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", x->root, rel);
    return nfsroot_err(x->err, r, NULL, "guest tree", path, 0, "cannot %s '%s' in the guest: %s",
                       what, path, strerror(-r));
}

static int note(const ctx *x, const char *code, const char *msg)
{
    if (!x->notes)
        return 0;
    return nfsroot_findings_add(x->notes, NFSROOT_FINDING_INFO, code, NULL, "%s", msg);
}

/* A file's text, or NULL when it does not exist. */
static int read_opt(const ctx *x, const char *rel, char **ret)
{
    int r = guest_read(x->root_fd, rel, GUEST_FILE_MAX, ret);
    if (r == -ENOENT) {
        *ret = NULL;
        return 0;
    }
    return r < 0 ? fail(x, r, rel, "read") : 0;
}

static int write_text(const ctx *x, const char *rel, const char *text, mode_t mode)
{
    int r = guest_write(x->root_fd, rel, text, strlen(text), mode);
    return r < 0 ? fail(x, r, rel, "write") : 0;
}

static int step_dracut(const ctx *x)
{
    _cleanup_free_ char *conf = NULL;
    if (nfsroot_guest_dracut_conf(x->p, &conf) < 0)
        return -ENOMEM;
    return write_text(x, "etc/dracut.conf.d/90-virt-nfsroot.conf", conf, 0644);
}

static int step_fstab(const ctx *x)
{
    _cleanup_free_ char *old = NULL, *spec = NULL, *text = NULL;
    int r = read_opt(x, "etc/fstab", &old);
    if (r < 0)
        return r;
    if (guest_fstab_spec(x->c, &spec) < 0 ||
        guest_edit_fstab(old, spec, x->p->def->portage_tmpfs, &text) < 0)
        return -ENOMEM;
    return write_text(x, "etc/fstab", text, 0644);
}

/* The guest's NFSv4 domain: the host's, as libnfsidmap derives it (what validate compares). */
static int step_idmapd(const ctx *x)
{
    const char *conf = get(x, NFSROOT_GUEST_HOST_IDMAPD_CONF);
    char domain[512];
    if (nfsroot_host_nfs4_domain(conf ? conf : "/etc/idmapd.conf", domain, sizeof(domain), NULL,
                                 0) < 0)
        return note(x, "guest-idmap-host-unknown",
                    "the host's NFSv4 domain is unknown (no 'Domain =' in its idmapd.conf and no "
                    "DNS domain): the guest's etc/idmapd.conf was left as it is");
    _cleanup_free_ char *old = NULL, *line = NULL, *text = NULL;
    int r = read_opt(x, "etc/idmapd.conf", &old);
    if (r < 0)
        return r;
    if (asprintf(&line, "Domain = %s", domain) < 0 ||
        guest_edit_ini(old, "[General]", "Domain", line, &text) < 0)
        return -ENOMEM;
    return write_text(x, "etc/idmapd.conf", text, 0644);
}

/* RFC 1123 host names: letters, digits, '-' and '.', 1-253 bytes, no label starting or ending
 * with '-' or empty. */
static bool hostname_is_valid(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i <= n; i++) {
        char c = s[i];
        if (c == '.' || c == '\0') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   (c == '-' && label > 0)) {
            label++;
        } else {
            return false;
        }
    }
    return true;
}

/* What the caller gave, checked before anything is written. */
static int check_inputs(const ctx *x)
{
    const char *name = get(x, NFSROOT_GUEST_HOSTNAME);
    if (name && !hostname_is_valid(name)) {
        char shown[1100];
        nfsroot_escape(name, NFSROOT_ESCAPE_TEXT, shown, sizeof(shown));
        return nfsroot_err(x->err, -EINVAL, NULL, "hostname", NULL, 0,
                           "'%s' is not a host name: use letters, digits, '-' and '.'", shown);
    }
    const char *given = get(x, NFSROOT_GUEST_ROOT_PASSWORD_HASH);
    if (given && (!*given || strpbrk(given, ": \t")))
        return nfsroot_err(x->err, -EINVAL, NULL, "root password hash", NULL, 0,
                           "the root password hash is empty or contains ':' or a blank: give a "
                           "crypt(3) hash such as '$y$...'");
    return 0;
}

static int step_hostname(const ctx *x)
{
    const char *name = get(x, NFSROOT_GUEST_HOSTNAME);
    if (!name)
        return 0;
    _cleanup_free_ char *text = NULL, *old = NULL, *line = NULL;
    if (asprintf(&text, "%s\n", name) < 0 || asprintf(&line, "127.0.1.1\t%s", name) < 0)
        return -ENOMEM;
    int r = write_text(x, "etc/hostname", text, 0644);
    if (r >= 0)
        r = read_opt(x, "etc/hosts", &old);
    if (r < 0 || guest_text_has_line(old, line))
        return r;
    free(text);
    text = NULL;
    if (asprintf(&text, "%s%s%s%s\n", old ? old : "127.0.0.1\tlocalhost\n",
                 old && *old && old[strlen(old) - 1] != '\n' ? "\n" : "", line, "") < 0)
        return -ENOMEM;
    return write_text(x, "etc/hosts", text, 0644);
}

/* Units a root on NFS never needs, masked: dracut-shutdown (else every shutdown unpacks the
 * initramfs again, over NFS: +40 s measured); the pNFS block-layout daemon (it waits for
 * rpc_pipefs and serves block devices the guest has none of); ext4's scrubbers and fstrim (no
 * local file system, nothing to trim); Debian's getty-static (gettys on tty2-6 where there is
 * no dbus: the domain has no display to show them, and getty.target waited 42 s for it). */
static const char *const masked_units[] = {
    "dracut-shutdown.service", "nfs-blkmap.service", "e2scrub_reap.service",
    "e2scrub_all.timer",       "fstrim.timer",       "getty-static.service",
};

/* Generators a guest with an NFS root and no disk, TPM, swap or offline update never needs,
 * masked (systemd.generator(7): a link to /dev/null in /etc/systemd/system-generators). PID 1
 * runs every generator at once and gives them 90 s in all; a TCG guest loading each from its
 * root over NFS has been seen to take longer, and then systemd freezes ("Failed to fork off
 * sandboxing environment for executing generators"). Five fewer of the tree's twelve. */
static const char *const masked_generators[] = {
    "systemd-gpt-auto-generator",      "systemd-hibernate-resume-generator",
    "systemd-system-update-generator", "systemd-tpm2-generator",
    "systemd-ssh-generator",
};

static int mask_in(const ctx *x, const char *dir, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char rel[256];
        snprintf(rel, sizeof(rel), "%s/%s", dir, names[i]);
        int r = guest_symlink(x->root_fd, "/dev/null", rel);
        if (r < 0)
            return fail(x, r, rel, "link");
    }
    return 0;
}

/* Does the tree have a unit file (or a mask) named name, where systemd looks for the system's? */
static bool has_unit(const ctx *x, const char *name)
{
    static const char *const dirs[] = { "etc/systemd/system", "usr/local/lib/systemd/system",
                                        "usr/lib/systemd/system", "lib/systemd/system" };
    for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
        char rel[512];
        snprintf(rel, sizeof(rel), "%s/%s.service", dirs[i], name);
        _cleanup_close_ int fd =
            nfsroot_open_beneath(x->root_fd, rel, O_PATH | O_NOFOLLOW, NFSROOT_BENEATH_IN_ROOT);
        if (fd >= 0)
            return true;
    }
    return false;
}

#define INIT_SCRIPTS_MAX 512

/* Has every etc/init.d script a unit of its own (or none is there)? */
static bool init_scripts_have_units(const ctx *x)
{
    _cleanup_strv_free_ char **scripts = NULL;
    int r = nfsroot_list_beneath(x->root_fd, "etc/init.d", NFSROOT_BENEATH_IN_ROOT, "",
                                 INIT_SCRIPTS_MAX, &scripts);
    if (r == -ENOENT)
        return true;
    if (r < 0)
        return false;
    size_t n = 0;
    for (; scripts[n]; n++)
        if (!has_unit(x, scripts[n]))
            return false;
    return n < INIT_SCRIPTS_MAX;
}

/* The sysv generator makes a unit only for an etc/init.d script without a unit of its own, the
 * rc-local one only for an etc/rc.local: where the tree has neither, they have nothing to do
 * and are masked (trixie's four scripts, nfs-common, procps, qemu-guest-agent and rpcbind, all
 * have units). Fewer generators for PID 1's 90 s. A tree with such a script keeps its
 * generator; one installed in the guest later is not run at boot until the link is removed
 * (docs/GUEST-SETUP.md). */
static int mask_legacy_generators(const ctx *x)
{
    const char *const sysv[] = { "systemd-sysv-generator" };
    const char *const rc_local[] = { "systemd-rc-local-generator" };
    int r = 0;
    if (init_scripts_have_units(x))
        r = mask_in(x, "etc/systemd/system-generators", sysv, 1);
    if (r >= 0 && !guest_exists(x->root_fd, "etc/rc.local"))
        r = mask_in(x, "etc/systemd/system-generators", rc_local, 1);
    return r;
}

static int mask_units(const ctx *x)
{
    int r = mask_in(x, "etc/systemd/system", masked_units, ELEMENTSOF(masked_units));
    if (r >= 0)
        r = mask_in(x, "etc/systemd/system-generators", masked_generators,
                    ELEMENTSOF(masked_generators));
    return r < 0 ? r : mask_legacy_generators(x);
}

/* systemd's ConditionNeedsUpdate=/etc and /var hold while dir/.updated is older than /usr: the
 * first boot of a tree without them ran ldconfig, the journal catalog's update and
 * systemd-update-done, on the critical chain before sysinit.target (10-42 s under load). The
 * tree is made with its /etc and /var up to date (dpkg's triggers ran ldconfig), so each gets
 * the stamp systemd-update-done writes: the file, with /usr's time as its own. A directory the
 * tree lacks gets none, and a stamp the tree has (systemd's own, perhaps older than its /usr:
 * an update still to run) is left as it is. */
static int write_updated(const ctx *x, const char *dir, const struct timespec *usr)
{
    char rel[64], text[384];
    snprintf(rel, sizeof(rel), "%s/.updated", dir);
    if (!guest_exists(x->root_fd, dir) || guest_exists(x->root_fd, rel))
        return 0;
    snprintf(text, sizeof(text),
             "# Written by virt-nfsroot when it made the tree, as systemd-update-done does: the\n"
             "# time of /usr/ for which /%s is up to date (systemd-update-done.service(8)).\n"
             "TIMESTAMP_NSEC=%llu\n",
             dir,
             (unsigned long long)usr->tv_sec * 1000000000ULL + (unsigned long long)usr->tv_nsec);
    int r = write_text(x, rel, text, 0644);
    if (r < 0)
        return r;
    _cleanup_close_ int fd = nfsroot_open_beneath_reg(x->root_fd, rel, NFSROOT_BENEATH_IN_ROOT);
    const struct timespec times[2] = { *usr, *usr };
    if (fd < 0 || futimens(fd, times) < 0)
        return fail(x, fd < 0 ? fd : -errno, rel, "set the time of");
    return 0;
}

static int write_update_stamps(const ctx *x)
{
    struct stat usr;
    _cleanup_close_ int fd =
        nfsroot_open_beneath(x->root_fd, "usr", O_PATH | O_DIRECTORY, NFSROOT_BENEATH_IN_ROOT);
    if (fd < 0 || fstat(fd, &usr) < 0)
        return 0;
    int r = write_updated(x, "etc", &usr.st_mtim);
    return r < 0 ? r : write_updated(x, "var", &usr.st_mtim);
}

/* The serial getty's device: systemd waits 90 s for a device unit, and a guest whose udev
 * started late (169 s after PID 1 under load) lost its login prompt ("Timed out waiting for
 * device dev-ttyS0.device"). The domain always has the serial port: wait for it longer. */
static int write_tty_timeout(const ctx *x)
{
    return write_text(x, "etc/systemd/system/dev-ttyS0.device.d/90-virt-nfsroot.conf",
                      "# Written by virt-nfsroot: a slow boot keeps its serial getty.\n"
                      "[Unit]\nJobRunningTimeoutSec=10min\n",
                      0644);
}

/* systemd units: a getty on the serial console (and its device waited for longer), masked_units
 * and generators, the update stamps. */
static int step_systemd(const ctx *x)
{
    const char *unitdir = guest_exists(x->root_fd, "usr/lib/systemd/system/serial-getty@.service")
                              ? "/usr/lib/systemd/system"
                          : guest_exists(x->root_fd, "lib/systemd/system/serial-getty@.service")
                              ? "/lib/systemd/system"
                              : NULL;
    if (!unitdir)
        return note(x, "guest-no-systemd",
                    "the tree has no systemd serial-getty@.service: start a getty on ttyS0 and "
                    "keep the initramfs from being unpacked at shutdown with its own init system");
    char target[256];
    snprintf(target, sizeof(target), "%s/serial-getty@.service", unitdir);
    const char *getty = "etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service";
    int r = guest_symlink(x->root_fd, target, getty);
    if (r < 0)
        return fail(x, r, getty, "link");
    if ((r = mask_units(x)) < 0 || (r = write_tty_timeout(x)) < 0)
        return r;
    return write_update_stamps(x);
}

/* Empty: systemd makes one at first boot, so guests made from one tree differ. */
static int step_machine_id(const ctx *x)
{
    return write_text(x, "etc/machine-id", "", 0444);
}

static int step_ssh(const ctx *x)
{
    const char *key = get(x, NFSROOT_GUEST_SSH_KEY);
    if (!key)
        return 0;
    const char *rel = "root/.ssh/authorized_keys";
    int r = guest_mkdir(x->root_fd, "root/.ssh", 0700);
    if (r < 0)
        return fail(x, r, "root/.ssh", "create");
    _cleanup_free_ char *old = NULL, *text = NULL;
    if ((r = read_opt(x, rel, &old)) < 0 || guest_text_has_line(old, key))
        return r;
    if (asprintf(&text, "%s%s%s\n", old ? old : "",
                 old && *old && old[strlen(old) - 1] != '\n' ? "\n" : "", key) < 0)
        return -ENOMEM;
    if ((r = write_text(x, rel, text, 0600)) < 0)
        return r;
    if (!guest_exists(x->root_fd, "usr/sbin/sshd") && !guest_exists(x->root_fd, "sbin/sshd"))
        return note(x, "guest-no-sshd",
                    "root's authorized key was written but the tree has no sshd: install the "
                    "OpenSSH server in the guest to use it");
    return 0;
}

/* The shadow group of the tree's own etc/group (never the host's), when it is a system group
 * (1..999): an id in the users' range may be a host user's group, which would then read the
 * hash. An unreadable etc/group (a link out, a FIFO) counts as none. */
static bool shadow_gid(const ctx *x, unsigned *ret)
{
    _cleanup_free_ char *group = NULL;
    unsigned gid = 0;
    if (guest_read(x->root_fd, "etc/group", GUEST_FILE_MAX, &group) < 0 ||
        guest_group_gid(group, "shadow", &gid) < 0 || gid == 0 || gid >= 1000)
        return false;
    *ret = gid;
    return true;
}

static int step_password(const ctx *x)
{
    const char *given = get(x, NFSROOT_GUEST_ROOT_PASSWORD_HASH);
    const char *file = get(x, NFSROOT_GUEST_ROOT_PASSWORD_FILE);
    const char *clear = get(x, NFSROOT_GUEST_ROOT_PASSWORD);
    if (!given && !file && !clear)
        return 0;
    _cleanup_free_ char *hash = NULL;
    int r = 0;
    if (given) {
        if (!(hash = strdup(given)))
            return -ENOMEM;
    } else if ((r = guest_password_hash(clear, file, &hash, x->err)) < 0) {
        return r;
    }
    _cleanup_free_ char *old = NULL, *text = NULL;
    if ((r = read_opt(x, "etc/shadow", &old)) < 0)
        return r;
    if (guest_edit_shadow(old, hash, &text) < 0)
        return -ENOMEM;
    /* Whatever mode the tree had (a 0644 shadow is readable by every local user through the
     * 0755 tree): root:shadow 0640 with the tree's own shadow group, else root 0600. */
    unsigned gid = 0;
    bool group = shadow_gid(x, &gid);
    r = guest_write_as(x->root_fd, "etc/shadow", text, strlen(text), group ? 0640 : 0600, 0, gid);
    explicit_bzero(text, strlen(text));
    return r < 0 ? fail(x, r, "etc/shadow", "write") : 0;
}

int nfsroot_guest_root_password_usable(const char *root, nfsroot_error *err)
{
    _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return nfsroot_err(err, -errno, NULL, "guest tree", root, 0,
                           "the guest tree '%s' cannot be opened: %s", root, strerror(errno));
    _cleanup_free_ char *shadow = NULL;
    int r = guest_read(root_fd, "etc/shadow", GUEST_FILE_MAX, &shadow);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return nfsroot_err(err, r, NULL, "guest tree", root, 0,
                           "cannot read '%s/etc/shadow' in the guest: %s", root, strerror(-r));
    r = guest_shadow_root_usable(shadow);
    explicit_bzero(shadow, strlen(shadow));
    return r;
}

/* RPM trees: file capabilities cannot be stored over NFS (rpm fails with "cap_set_file
 * failed"); SELinux labels neither; authselect must have picked a profile for logins. */
static int step_rpm(const ctx *x)
{
    int r = 0;
    if (x->p->def->rpm) {
        _cleanup_free_ char *old = NULL, *text = NULL;
        if ((r = read_opt(x, "etc/dnf/dnf.conf", &old)) < 0)
            return r;
        if (!guest_dnf_has_nocaps(old)) {
            if (guest_edit_dnf(old, &text) < 0)
                return -ENOMEM;
            if ((r = write_text(x, "etc/dnf/dnf.conf", text, 0644)) < 0)
                return r;
        }
        r = note(x, "guest-rpm-nocaps",
                 "dnf is set to install without file capabilities (tsflags=nocaps in "
                 "/etc/dnf/dnf.conf): NFS cannot store them");
    }
    if (r >= 0 && x->p->def->selinux)
        r = note(x, "guest-selinux-off",
                 "SELinux is off in the guest (selinux=0 on the kernel command line): this NFS "
                 "export cannot store security labels");
    if (r >= 0 && x->p->def->authselect && guest_exists(x->root_fd, "usr/bin/authselect") &&
        !guest_exists(x->root_fd, "etc/authselect/authselect.conf"))
        r = note(x, "guest-authselect",
                 "the tree has authselect but no profile selected: run 'authselect select "
                 "minimal' in the guest if logins fail");
    return r;
}

static int step_notes(const ctx *x)
{
    const struct {
        bool on;
        const char *code, *msg;
    } notes[] = {
        { x->p->def->mkinitcpio_note, "guest-dracut-not-mkinitcpio",
          "the initramfs is built with dracut, not mkinitcpio, which has no NFS root hook" },
        /* Only where the tree has initramfs-tools (a given tree): create's own trees never do,
         * and a note on every create taught people to skip notes (issue 22). */
        { x->p->def->initramfs_tools_conflict &&
              (guest_exists(x->root_fd, "usr/sbin/mkinitramfs") ||
               guest_exists(x->root_fd, "sbin/mkinitramfs")),
          "guest-dracut-not-initramfs-tools",
          "the tree has initramfs-tools, but its initramfs is built with dracut: initramfs-tools "
          "mounts NFS roots only with NFSv2/v3" },
    };
    int r = 0;
    for (size_t i = 0; r >= 0 && i < ELEMENTSOF(notes); i++)
        if (notes[i].on)
            r = note(x, notes[i].code, notes[i].msg);
    return r;
}

/* Refuse, before writing anything, a tree that lacks what its profile needs. */
static int check_packages(const ctx *x)
{
    _cleanup_free_ char *pkgs = NULL, *tools = NULL;
    int r = guest_missing(x->root_fd, x->p, &pkgs, &tools);
    if (r < 0)
        return r;
    if (!pkgs)
        return 0;
    return nfsroot_err(x->err, -ENOPKG, NULL, "guest tree", x->root, 0,
                       "the %s tree '%s' lacks %s (for dracut's nfs and %s modules): "
                       "install the packages %s in it",
                       x->p->def->name, x->root, tools, x->p->netmod->module, pkgs);
}

/* The tree at root, opened for the steps (O_PATH: every file is reached beneath it). */
static int open_root(const char *root, nfsroot_error *err)
{
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return nfsroot_err(err, -errno, NULL, "guest tree", root, 0,
                           "the guest tree '%s' cannot be opened: %s", root, strerror(errno));
    return fd;
}

int nfsroot_guest_write_dracut_conf(const char *root, const nfsroot_guest_profile *p,
                                    nfsroot_error *err)
{
    _cleanup_close_ int root_fd = open_root(root, err);
    if (root_fd < 0)
        return root_fd;
    ctx x = { .root_fd = root_fd, .root = root, .p = p, .err = err };
    int r = step_dracut(&x);
    return r < 0 ? nfsroot_err(err, r, NULL, "guest tree", root, 0,
                               "cannot write the dracut configuration of '%s': %s", root,
                               strerror(-r))
                 : 0;
}

int nfsroot_guest_configure(const char *root, const nfsroot_guest_profile *p,
                            const nfsroot_guest_config *c, nfsroot_findings *notes,
                            char **ret_cmdline, nfsroot_error *err)
{
    _cleanup_free_ char *cmdline = NULL;
    int r = nfsroot_guest_cmdline(p, c, &cmdline, err);
    if (r < 0)
        return r;
    _cleanup_close_ int root_fd = open_root(root, err);
    if (root_fd < 0)
        return root_fd;
    ctx x = { .root_fd = root_fd, .root = root, .p = p, .c = c, .notes = notes, .err = err };
    int (*const steps[])(const ctx *) = {
        check_inputs, check_packages,  step_dracut, step_fstab,    step_idmapd, step_hostname,
        step_systemd, step_machine_id, step_ssh,    step_password, step_rpm,    step_notes,
    };
    for (size_t i = 0; i < ELEMENTSOF(steps); i++)
        if ((r = steps[i](&x)) < 0)
            return nfsroot_err(err, r, NULL, "guest tree", root, 0,
                               "configuring the guest tree '%s' failed: %s", root, strerror(-r));
    *ret_cmdline = TAKE_PTR(cmdline);
    return 0;
}
