/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public face of the profiles: detection from a tree's os-release, the profile of a tree
 * still to be made, and what a tree lacks. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>

#include "guest.h"
#include "profile.h"

int guest_os_release_read(int root_fd, nfsroot_os_release *ret)
{
    _cleanup_free_ char *text = NULL;
    int r = guest_read(root_fd, "etc/os-release", NFSROOT_OS_RELEASE_MAX, &text);
    if (r == -ENOENT)
        r = guest_read(root_fd, "usr/lib/os-release", NFSROOT_OS_RELEASE_MAX, &text);
    if (r < 0)
        return r;
    return nfsroot_os_release_parse(text, strlen(text), ret);
}

bool guest_tool_present(int root_fd, const guest_tool *t)
{
    for (size_t i = 0; i < GUEST_PATHS_MAX && t->paths[i]; i++)
        if (guest_exists(root_fd, t->paths[i]))
            return true;
    return false;
}

static int list_add(char **list, const char *word, const char *sep)
{
    if (!list)
        return 0;
    size_t n = strlen(word), sl = strlen(sep);
    for (const char *p = *list ? *list : ""; *p;) {
        const char *e = strstr(p, sep);
        size_t w = e ? (size_t)(e - p) : strlen(p);
        if (w == n && memcmp(p, word, n) == 0)
            return 0;
        p += w;
        if (e)
            p += sl;
    }
    char *s = NULL;
    if (asprintf(&s, "%s%s%s", *list ? *list : "", *list ? sep : "", word) < 0)
        return -ENOMEM;
    free(*list);
    *list = s;
    return 0;
}

int guest_words_add(char **list, const char *word)
{
    return list_add(list, word, " ");
}

int guest_items_add(char **list, const char *item)
{
    return list_add(list, item, ", ");
}

bool guest_dracut_has_module(int root_fd, const char *module)
{
    static const char *const dirs[] = { "usr/lib/dracut/modules.d", "lib/dracut/modules.d" };
    for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
        int dfd =
            nfsroot_open_beneath(root_fd, dirs[i], O_RDONLY | O_DIRECTORY, NFSROOT_BENEATH_IN_ROOT);
        _cleanup_(closedirp) DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (!d) {
            if (dfd >= 0)
                close(dfd);
            continue;
        }
        size_t n = strlen(module);
        for (struct dirent *e; (e = readdir(d));) {
            /* "35network-legacy": two digits, then the name. */
            size_t l = strlen(e->d_name);
            if (l == n + 2 && e->d_name[0] >= '0' && e->d_name[0] <= '9' && e->d_name[1] >= '0' &&
                e->d_name[1] <= '9' && strcmp(e->d_name + 2, module) == 0)
                return true;
        }
    }
    return false;
}

int guest_netmod_missing(int root_fd, const guest_netmod *m, char **pkgs, char **tools)
{
    int n = 0, r = 0;
    if (!guest_dracut_has_module(root_fd, m->module)) {
        n++;
        char what[96];
        snprintf(what, sizeof(what), "dracut's %s module", m->module);
        if ((r = guest_words_add(pkgs, m->package)) < 0 || (r = guest_items_add(tools, what)) < 0)
            return r;
    }
    for (size_t i = 0; i < GUEST_TOOLS_MAX && m->tools[i].name; i++) {
        if (guest_tool_present(root_fd, &m->tools[i]))
            continue;
        n++;
        if ((r = guest_words_add(pkgs, m->tools[i].package)) < 0 ||
            (r = guest_items_add(tools, m->tools[i].name)) < 0)
            return r;
    }
    return n;
}

/* The first network module the tree can run, else the profile's first. */
static const guest_netmod *choose_netmod(int root_fd, const guest_profile_def *def)
{
    for (size_t i = 0; root_fd >= 0 && i < GUEST_NETMODS_MAX && def->netmods[i].module; i++)
        if (guest_netmod_missing(root_fd, &def->netmods[i], NULL, NULL) == 0)
            return &def->netmods[i];
    return &def->netmods[0];
}

static int profile_make(const guest_profile_def *def, const guest_netmod *nm, const char *release,
                        const char *version, nfsroot_guest_profile **ret)
{
    nfsroot_guest_profile *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->def = def;
    p->netmod = nm;
    snprintf(p->release, sizeof(p->release), "%s", release);
    snprintf(p->version, sizeof(p->version), "%s", version);
    /* A version libosinfo would not know ("") gives no id rather than a wrong one. */
    const char *hole = def->osinfo_fmt ? strstr(def->osinfo_fmt, "%s") : NULL;
    if (def->osinfo_fmt && (!hole || version[0]) &&
        asprintf(&p->osinfo, "%.*s%s%s", hole ? (int)(hole - def->osinfo_fmt) : INT_MAX,
                 def->osinfo_fmt, hole ? version : "", hole ? hole + 2 : "") < 0) {
        free(p);
        return -ENOMEM;
    }
    *ret = p;
    return 0;
}

int nfsroot_guest_profile_detect(const char *root, nfsroot_guest_profile **ret, nfsroot_error *err)
{
    _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return nfsroot_err(err, -errno, NULL, "guest tree", root, 0,
                           "the guest tree '%s' cannot be opened: %s", root, strerror(errno));
    nfsroot_os_release o;
    int r = guest_os_release_read(root_fd, &o);
    if (r < 0)
        return nfsroot_err(err, r, NULL, "guest tree", root, 0,
                           "the guest tree '%s' has no readable etc/os-release (%s): it is not "
                           "the root of an installed distribution",
                           root, strerror(-r));
    const guest_profile_def *def = guest_profile_lookup(&o);
    if (def && def->refusal)
        return nfsroot_err(err, -EOPNOTSUPP, NULL, "guest tree", root, 0, "%s", def->refusal);
    if (!def) {
        char id[sizeof(o.id) * 4];
        nfsroot_escape(o.id[0] ? o.id : "(none)", NFSROOT_ESCAPE_TEXT, id, sizeof(id));
        return nfsroot_err(err, -EOPNOTSUPP, NULL, "guest tree", root, 0,
                           "the guest tree '%s' is of distribution '%s', which has no profile: "
                           "known are %s",
                           root, id, guest_profiles_known());
    }
    return profile_make(def, choose_netmod(root_fd, def), o.codename[0] ? o.codename : o.version_id,
                        o.version_id, ret);
}

/* Debian releases create installs, newest (the default) first. */
static const struct {
    const char *codename, *version;
} debian_releases[] = { { "trixie", "13" }, { "bookworm", "12" } };

int nfsroot_guest_profile_new(const char *id, const char *release, nfsroot_guest_profile **ret,
                              nfsroot_error *err)
{
    if (!id || strcmp(id, "debian") != 0)
        return nfsroot_err(err, -EOPNOTSUPP, NULL, "distribution", NULL, 0,
                           "only Debian trees can be installed here; bring other distributions "
                           "as a tarball or a directory");
    for (size_t i = 0; i < ELEMENTSOF(debian_releases); i++) {
        if (release && strcmp(release, debian_releases[i].codename) != 0)
            continue;
        const guest_profile_def *def = guest_profiles[0];
        return profile_make(def, &def->netmods[0], debian_releases[i].codename,
                            debian_releases[i].version, ret);
    }
    char rel[256];
    nfsroot_escape(release, NFSROOT_ESCAPE_TEXT, rel, sizeof(rel));
    return nfsroot_err(err, -EOPNOTSUPP, NULL, "release", NULL, 0,
                       "Debian release '%s' is not one create installs: use 'trixie' or "
                       "'bookworm'",
                       rel);
}

void nfsroot_guest_profile_free(nfsroot_guest_profile *p)
{
    if (!p)
        return;
    free(p->osinfo);
    free(p);
}

const char *nfsroot_guest_profile_name(const nfsroot_guest_profile *p)
{
    return p->def->name;
}

const char *nfsroot_guest_profile_release(const nfsroot_guest_profile *p)
{
    return p->release;
}

const char *nfsroot_guest_profile_osinfo(const nfsroot_guest_profile *p)
{
    return p->osinfo;
}

const char *const *nfsroot_guest_profile_packages(const nfsroot_guest_profile *p)
{
    static const char *const none[] = { NULL };
    return p->def->packages ? p->def->packages : none;
}

int guest_missing(int root_fd, const nfsroot_guest_profile *p, char **pkgs, char **tools)
{
    int r = 0;
    const guest_tool *base[] = { &p->def->dracut, &p->def->nfs, &p->def->rpcbind };
    for (size_t i = 0; i < ELEMENTSOF(base); i++)
        if (!guest_tool_present(root_fd, base[i]) &&
            ((r = guest_words_add(pkgs, base[i]->package)) < 0 ||
             (r = guest_items_add(tools, base[i]->name)) < 0))
            return r;
    if (!guest_dracut_has_module(root_fd, "nfs") &&
        ((r = guest_words_add(pkgs, p->def->nfs_module_package)) < 0 ||
         (r = guest_items_add(tools, "dracut's nfs module")) < 0))
        return r;
    r = guest_netmod_missing(root_fd, p->netmod, pkgs, tools);
    return r < 0 ? r : 0;
}

int nfsroot_guest_missing(const char *root, const nfsroot_guest_profile *p, char **ret,
                          nfsroot_error *err)
{
    _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return nfsroot_err(err, -errno, NULL, "guest tree", root, 0,
                           "the guest tree '%s' cannot be opened: %s", root, strerror(errno));
    _cleanup_free_ char *pkgs = NULL;
    int r = guest_missing(root_fd, p, &pkgs, NULL);
    if (r < 0)
        return nfsroot_err(err, r, NULL, "guest tree", root, 0, "out of memory");
    *ret = TAKE_PTR(pkgs);
    return 0;
}

int nfsroot_guest_dracut_path(const char *root, const nfsroot_guest_profile *p, const char **ret,
                              nfsroot_error *err)
{
    _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return nfsroot_err(err, -errno, NULL, "guest tree", root, 0,
                           "the guest tree '%s' cannot be opened: %s", root, strerror(errno));
    const guest_tool *t = &p->def->dracut;
    for (size_t i = 0; i < GUEST_PATHS_MAX && t->paths[i]; i++)
        if (guest_exists(root_fd, t->paths[i]))
            return *ret = t->paths[i], 0;
    return nfsroot_err(err, -ENOENT, NULL, "guest tree", root, 0,
                       "the tree '%s' has no dracut (/%s): install %s and %s in it", root,
                       t->paths[0], t->package, p->def->nfs_module_package);
}

/* The tree kernel's security modules (CONFIG_LSM of boot/config-KVER) in their order, less the
 * BPF LSM. With it active, systemd (PID 1, in the initramfs and again in the root) loads its
 * RestrictFileSystems= program at start-up and the kernel verifies it before any unit starts,
 * which under TCG soft-locked the CPU for up to 80 s (docs/PERFORMANCE.md, part 7). The config
 * is the tree's, read in its root and bounded; a list that is not as a kernel writes it is no
 * list. */
int nfsroot_guest_lsm_arg(const char *root, const char *kver, char **ret)
{
    *ret = NULL;
    _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *text = NULL;
    char path[512], val[256], list[256] = "";
    size_t len = 0;
    if (root_fd < 0 || strchr(kver, '/') ||
        snprintf(path, sizeof(path), "boot/config-%s", kver) >= (int)sizeof(path) ||
        nfsroot_read_beneath(root_fd, path, NFSROOT_BENEATH_IN_ROOT, 1 << 20, &text, &len) < 0 ||
        strlen(text) != len)
        return 0;
    const char *v = strstr(text, "\nCONFIG_LSM=\"");
    size_t n = v ? strcspn(v += 13, "\"") : 0;
    if (!n || n >= sizeof(val) || v[n] != '"' ||
        strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_,") < n)
        return 0;
    memcpy(val, v, n);
    val[n] = '\0';
    bool bpf = false;
    char *save = NULL;
    for (char *w = strtok_r(val, ",", &save); w; w = strtok_r(NULL, ",", &save))
        if (!strcmp(w, "bpf"))
            bpf = true;
        else
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", list[0] ? "," : "",
                     w);
    if (!bpf || !list[0])
        return 0;
    return asprintf(ret, " lsm=%s", list) < 0 ? -ENOMEM : 0;
}
