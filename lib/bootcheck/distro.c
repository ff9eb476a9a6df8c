/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the guest's distribution needs to boot from this NFS root: the profile table of
 * lib/guest/ (the one `create` writes from) read back against the tree. */
#include <dirent.h>
#include <stddef.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "bootcheck.h"
#include "guest/edit.h"
#include "guest/guest.h"

#define DRACUT_CONF_FILES_MAX 64
#define CONF_MAX (256 * 1024)

typedef struct distro_ctx {
    int root_fd;
    const char *root;
    const guest_profile_def *def;
    nfsroot_findings *f;
} distro_ctx;

static void path_of(const distro_ctx *x, const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", x->root, rel);
}

/* The guest's config file rel, its path for messages in file: 1 read, 0 unreadable, -ENOMEM. */
static int conf_text(const distro_ctx *x, const char *rel, char **text, char *file, size_t len)
{
    path_of(x, rel, file, len);
    int r = guest_read(x->root_fd, rel, CONF_MAX, text);
    return r == -ENOMEM ? r : r == 0;
}

static int check_initramfs_tools(const distro_ctx *x)
{
    if (!x->def->initramfs_tools_conflict || guest_tool_present(x->root_fd, &x->def->dracut))
        return 0;
    if (!guest_exists(x->root_fd, "usr/sbin/mkinitramfs") &&
        !guest_exists(x->root_fd, "sbin/mkinitramfs"))
        return 0;
    char file[1200];
    path_of(x, "usr/sbin/mkinitramfs", file, sizeof(file));
    return nfsroot_findings_add(x->f, F_ERROR, "distro-initramfs-tools", file,
                                "the guest builds its initramfs with initramfs-tools, whose NFS "
                                "root (klibc nfsmount) speaks only NFSv2/v3: install dracut and "
                                "%s in the guest (they replace initramfs-tools) and rebuild its "
                                "initramfs",
                                x->def->nfs_module_package);
}

/* SELINUX= of etc/selinux/config is "enforcing". */
static bool selinux_enforcing(const char *text)
{
    for (const char *l = text ? text : ""; *l;) {
        size_t n = strcspn(l, "\n");
        if (n >= 17 && strncmp(l, "SELINUX=enforcing", 17) == 0 &&
            (n == 17 || l[17] == ' ' || l[17] == '\t' || l[17] == '#'))
            return true;
        l += n;
        if (*l)
            l++;
    }
    return false;
}

static bool selinux_ok(const char *text, const char *cmdline)
{
    return !text || !selinux_enforcing(text) || words_contain(cmdline, "selinux=0", " \t\n") ||
           words_contain(cmdline, "enforcing=0", " \t\n");
}

static bool nocaps_ok(const char *text, const char *cmdline _unused_)
{
    return text && guest_dnf_has_nocaps(text);
}

static bool portage_ok(const char *text, const char *cmdline _unused_)
{
    for (const char *l = text ? text : ""; *l;) {
        char spec[256] = "", mnt[256] = "", type[64] = "";
        size_t n = strcspn(l, "\n");
        char line[1024];
        snprintf(line, sizeof(line), "%.*s", (int)n, l);
        if (line[0] != '#' && sscanf(line, "%255s %255s %63s", spec, mnt, type) == 3 &&
            strcmp(mnt, "/var/tmp/portage") == 0 && strcmp(type, "tmpfs") == 0)
            return true;
        l += n;
        if (*l)
            l++;
    }
    return false;
}

/* A config file of the guest that must say what NFS needs, when the profile's flag (a bool of
 * guest_profile_def at offset flag) asks: ok() gets its text (NULL when unreadable) and the
 * kernel command line; the finding is before, the file's path, after. */
static const struct file_check {
    size_t flag;
    const char *rel, *code;
    nfsroot_finding_level level;
    bool (*ok)(const char *text, const char *cmdline);
    const char *before, *after;
} file_checks[] = {
    { offsetof(guest_profile_def, selinux), "etc/selinux/config", "distro-selinux-enforcing",
      F_WARN, selinux_ok, "the guest enforces SELinux ('",
      "'), but this NFS export cannot store security labels: add 'selinux=0' (or 'enforcing=0') "
      "to the kernel command line" },
    { offsetof(guest_profile_def, rpm), "etc/dnf/dnf.conf", "distro-rpm-nocaps", F_WARN, nocaps_ok,
      "'",
      "' has no 'tsflags=nocaps' in [main]: NFS cannot store file capabilities, so installing "
      "packages in the guest fails with 'cap_set_file failed'; add 'tsflags=nocaps'" },
    { offsetof(guest_profile_def, portage_tmpfs), "etc/fstab", "distro-portage-tmpfs", F_INFO,
      portage_ok, "'",
      "' does not put /var/tmp/portage on tmpfs: Portage's locks fail on NFS; add "
      "'" GUEST_PORTAGE_FSTAB_LINE "'" },
};

static int check_file(const distro_ctx *x, const struct file_check *c, const char *cmdline)
{
    if (!*(const bool *)((const char *)x->def + c->flag))
        return 0;
    _cleanup_free_ char *text = NULL;
    char file[1200];
    int r = conf_text(x, c->rel, &text, file, sizeof(file));
    if (r < 0 || c->ok(r == 1 ? text : NULL, cmdline))
        return r < 0 ? r : 0;
    return nfsroot_findings_add(x->f, c->level, c->code, file, "%s%s%s", c->before, file, c->after);
}

/* The network modules any profile knows: a config naming one of them is judged. */
static bool is_network_module(const char *m)
{
    for (size_t i = 0; guest_profiles[i]; i++)
        if (guest_netmod_find(guest_profiles[i], m))
            return true;
    return false;
}

/* Append the network modules a dracut config text asks for ("add_dracutmodules+=" nfs x "")
 * to *mods. Only those: the guest writes these files (up to DRACUT_CONF_FILES_MAX of CONF_MAX
 * each), and a list of every word it names would cost the prepare hook quadratic time. */
static int dracut_conf_modules(const char *text, char **mods)
{
    static const char *const keys[] = { "add_dracutmodules", "force_add_dracutmodules",
                                        "dracutmodules" };
    for (const char *l = text; *l;) {
        size_t n = strcspn(l, "\n");
        const char *t = l + strspn(l, " \t");
        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
            size_t kl = strlen(keys[k]);
            if (strncmp(t, keys[k], kl) != 0 || (t[kl] != '+' && t[kl] != '='))
                continue;
            const char *v = memchr(t, '=', (size_t)(l + n - t));
            if (!v)
                break;
            _cleanup_free_ char *val = strndup(v + 1, (size_t)(l + n - v - 1));
            if (!val)
                return -ENOMEM;
            char *save = NULL;
            for (char *w = strtok_r(val, " \t\"'", &save); w; w = strtok_r(NULL, " \t\"'", &save))
                if (is_network_module(w) && guest_words_add(mods, w) < 0)
                    return -ENOMEM;
            break;
        }
        l += n;
        if (*l)
            l++;
    }
    return 0;
}

/* The modules etc/dracut.conf and etc/dracut.conf.d/ *.conf (in dracut's order) ask for. */
static int dracut_modules(const distro_ctx *x, char **mods)
{
    _cleanup_free_ char *text = NULL;
    int r = guest_read(x->root_fd, "etc/dracut.conf", CONF_MAX, &text);
    if (r == -ENOMEM || (r == 0 && dracut_conf_modules(text, mods) < 0))
        return -ENOMEM;
    _cleanup_strv_free_ char **names = NULL;
    if (nfsroot_list_beneath(x->root_fd, "etc/dracut.conf.d", NFSROOT_BENEATH_IN_ROOT, ".conf",
                             DRACUT_CONF_FILES_MAX, &names) < 0)
        return 0;
    r = 0;
    for (size_t i = 0; names[i]; i++) {
        char rel[512];
        snprintf(rel, sizeof(rel), "etc/dracut.conf.d/%s", names[i]);
        _cleanup_free_ char *t = NULL;
        if (r >= 0 && guest_read(x->root_fd, rel, CONF_MAX, &t) == 0)
            r = dracut_conf_modules(t, mods);
    }
    return r;
}

static int check_netmod(const distro_ctx *x, const char *module)
{
    char file[1200];
    path_of(x, "etc/dracut.conf.d", file, sizeof(file));
    const guest_netmod *m = guest_netmod_find(x->def, module);
    if (!m)
        return nfsroot_findings_add(x->f, F_ERROR, "distro-network-module", file,
                                    "the guest's dracut configuration asks for network module "
                                    "'%s', which %s does not support: use '%s'",
                                    module, x->def->name, x->def->netmods[0].module);
    _cleanup_free_ char *pkgs = NULL, *tools = NULL;
    int r = guest_netmod_missing(x->root_fd, m, &pkgs, &tools);
    if (r <= 0)
        return r;
    return nfsroot_findings_add(x->f, F_ERROR, "distro-network-module", file,
                                "the guest's dracut configuration asks for network module '%s', "
                                "but the guest lacks %s, so dracut leaves it out or it fails at "
                                "boot: install %s in the guest and rebuild its initramfs",
                                module, tools, pkgs);
}

static int check_network(const distro_ctx *x)
{
    _cleanup_free_ char *mods = NULL;
    int r = dracut_modules(x, &mods);
    if (r < 0 || !guest_tool_present(x->root_fd, &x->def->dracut))
        return r;
    for (const char *p = mods ? mods : ""; *p && r >= 0;) {
        size_t w = strcspn(p, " ");
        char m[128];
        snprintf(m, sizeof(m), "%.*s", (int)w, p);
        r = check_netmod(x, m);
        p += w;
        p += strspn(p, " ");
    }
    return r;
}

int nfsroot_bootcheck_distro(const nfsroot_plan *plan, const char *cmdline, nfsroot_findings *f)
{
    const nfsroot_export *re = bootcheck_root_export(plan);
    if (!re)
        return 0;
    _cleanup_close_ int root_fd = open(re->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return 0; /* the other checks say why the root cannot be read */
    nfsroot_os_release o;
    if (guest_os_release_read(root_fd, &o) < 0)
        return 0; /* a tree without os-release: nothing to say which rules apply */
    char file[1200];
    snprintf(file, sizeof(file), "%s/etc/os-release", re->path);
    const guest_profile_def *def = guest_profile_lookup(&o);
    if (def && def->refusal)
        return nfsroot_findings_add(f, F_ERROR, "distro-unsupported", file, "%s", def->refusal);
    if (!def) {
        char id[sizeof(o.id) * 4];
        nfsroot_escape(o.id[0] ? o.id : "(none)", NFSROOT_ESCAPE_TEXT, id, sizeof(id));
        return nfsroot_findings_add(f, F_INFO, "distro-unknown", file,
                                    "the guest's distribution '%s' has no profile, so its "
                                    "initramfs and network setup are not checked (known: %s)",
                                    id, guest_profiles_known());
    }
    distro_ctx x = { .root_fd = root_fd, .root = re->path, .def = def, .f = f };
    int r = check_initramfs_tools(&x);
    for (size_t i = 0; r >= 0 && i < ELEMENTSOF(file_checks); i++)
        r = check_file(&x, &file_checks[i], cmdline);
    if (r >= 0)
        r = check_network(&x);
    return r;
}
