/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: the source checks (mirror, keyring), the tree stage (debootstrap, the
 * tree cache, a tarball or a directory) and the kernel stage. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"

/* ---- the tree stage --------------------------------------------------------------------- */

/* The host's Debian mirror, as apt uses it; else deb.debian.org. */
static char *host_mirror(void)
{
    char *m = NULL;
    nfsroot_host_apt_mirror(AT_FDCWD, &m);
    return m ? m : strdup("http://deb.debian.org/debian");
}

/* The keyring must be a regular file: debootstrap given none would take an unsigned Release. */
static int keyring_check(create_ctx *c)
{
    const char *k = secure_getenv("VIRT_NFSROOT_DEBIAN_KEYRING");
    if (!(c->keyring = strdup(k ? k : CREATE_DEBIAN_KEYRING)))
        return -ENOMEM;
    _cleanup_close_ int fd = open(c->keyring, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        cli_error("create: there is no Debian archive keyring '%s' to verify the mirror's "
                  "Release file with: install the package debian-archive-keyring",
                  c->keyring);
        return -ENOKEY;
    }
    return 0;
}

/* A mirror other than the host's (normalised: no trailing slash) builds a tree for this guest
 * alone: whoever runs it may not choose what the tree cache and the initramfs store hand every
 * later guest, so it neither fills nor takes from them. */
int create_source_check(create_ctx *c)
{
    create_opts *o = c->o;
    if (o->from_dir || o->from_tarball || o->clone_of)
        return 0;
    _cleanup_free_ char *host = host_mirror();
    if (!host || !(c->mirror = strdup(o->mirror ? o->mirror : host)))
        return -ENOMEM;
    for (size_t n = strlen(c->mirror); n > 8 && c->mirror[n - 1] == '/'; n--)
        c->mirror[n - 1] = '\0';
    c->mirror_host = !strcmp(c->mirror, host);
    if (o->cache_only && !c->mirror_host) {
        cli_error("create: --cache-only fills the tree cache from the host's mirror '%s' only, "
                  "not from '%s'",
                  host, c->mirror);
        return -EINVAL;
    }
    return keyring_check(c);
}

static int debootstrap(create_ctx *c, const char *into, const char *packages)
{
    _cleanup_free_ char *include = NULL, *keyring = NULL;
    if (asprintf(&include, "--include=%s", packages) < 0 ||
        asprintf(&keyring, "--keyring=%s", c->keyring) < 0)
        return -ENOMEM;
    /* A test puts a fake in its place (the argv it gets is what is checked). */
    const char *prog = secure_getenv("VIRT_NFSROOT_DEBOOTSTRAP");
    char *argv[] = { (char *)(prog ? prog : "/usr/sbin/debootstrap"),
                     "--variant=minbase",
                     "--force-check-gpg",
                     keyring,
                     include,
                     (char *)c->o->release,
                     (char *)into,
                     c->mirror,
                     NULL };
    if (access(argv[0], X_OK) < 0) {
        cli_error("debootstrap is not installed (apt install debootstrap), or give "
                  "--from-tarball / --from-dir");
        return -ENOENT;
    }
    return create_spawn(c, NULL, argv);
}

int create_tree(create_ctx *c, create_stage *st)
{
    create_opts *o = c->o;
    int r;
    /* --reuse: an existing tree as it is, or a staging tree whose tree stage finished. */
    if (c->reused || create_marker_has(c, "tree")) {
        st->status = "skipped";
        snprintf(st->note, sizeof(st->note), "the tree in %s as it is (--reuse)", c->target);
        return 0;
    }
    if (!o->cache_only && (r = create_marker_add(c, "started")) < 0)
        return r;
    c->tree_touched = true;
    if (o->from_dir) {
        const char *how = "";
        r = create_copy_tree(c, o->from_dir, c->target, &how);
        if (r >= 0 && o->clone_of)
            r = create_clone_identity(c);
        snprintf(st->note, sizeof(st->note), "copied from %s (%s)", o->from_dir, how);
    } else if (o->from_tarball) {
        snprintf(st->note, sizeof(st->note), "unpacked from %s", o->from_tarball);
        r = create_guest_unpack(c);
    } else {
        _cleanup_free_ char *packages = NULL;
        if ((r = create_guest_packages(o->release, o->packages, &packages, NULL)) < 0)
            return r;
        if (c->cache_dir && c->mirror_host && (r = create_tree_from_cache(c, st, packages)) != 0)
            return r < 0 ? r : 0; /* the entry's marker says tree and kernel */
        if (o->cache_only) {
            if ((r = create_cache_entry_path(c, packages, &c->cache_entry)) < 0)
                return r;
            if (asprintf(&c->target, "%s.tmp", c->cache_entry) < 0)
                return -ENOMEM;
            layout_remove_tree(c->cache_dir, c->target + strlen(c->cache_dir) + 1);
            if (mkdir(c->target, 0755) < 0)
                return -errno;
        }
        snprintf(st->note, sizeof(st->note), "debootstrap %s: %s", o->release, packages);
        r = debootstrap(c, c->target, packages);
    }
    return r < 0 ? r : create_marker_add(c, "tree");
}

/* ---- the kernel ---------------------------------------------------------------------------- */

int create_kernel(create_ctx *c, create_stage *st)
{
    int r;
    if ((c->tree_cached || create_marker_has(c, "kernel")) && create_find_kernel(c) == 0) {
        st->status = "cached";
        snprintf(st->note, sizeof(st->note), "%s", c->kver);
        return 0;
    }
    if ((r = create_guest_prepare(c)) < 0)
        return r;
    if (create_find_kernel(c) == 0) {
        st->status = "skipped";
        snprintf(st->note, sizeof(st->note), "%s, already in the tree", c->kver);
        return create_marker_add(c, "kernel");
    }
    if (c->o->from_tarball || c->o->from_dir || c->reused) {
        cli_error("the tree has no kernel (/boot/vmlinuz-VERSION with /lib/modules/VERSION): "
                  "install one in it (Debian: linux-image-amd64, Fedora: kernel-core)");
        return -ENOENT;
    }
    /* Inside the chroot, after the dracut configuration: dracut's kernel hook builds the
     * initramfs with it. */
    _cleanup_free_ char *include = NULL, *kernel = NULL;
    if ((r = create_guest_packages(c->o->release, c->o->packages, &include, &kernel)) < 0)
        return r;
    char *install[16] = { "/usr/bin/apt-get", "install", "-y", "-q", "--no-install-recommends" };
    size_t n = 5;
    for (char *save = NULL, *k = strtok_r(kernel, " ", &save); k && n + 1 < ELEMENTSOF(install);
         k = strtok_r(NULL, " ", &save))
        install[n++] = k;
    char *clean[] = { "/usr/bin/apt-get", "clean", NULL };
    if ((r = create_spawn(c, c->target, install)) < 0 ||
        (r = create_spawn(c, c->target, clean)) < 0)
        return r;
    if ((r = create_find_kernel(c)) < 0) {
        cli_error("no kernel in '%s/boot' after installing %s", c->target, install[5]);
        return r;
    }
    snprintf(st->note, sizeof(st->note), "%s %s", install[5], c->kver);
    /* dracut's kernel hook built /boot/initrd.img-KVER from this configuration. */
    char hash[17];
    if ((r = create_dracut_hash(c, hash)) < 0 || (r = create_marker_add(c, "initrd-fresh")) < 0 ||
        (r = create_marker_add(c, hash)) < 0 || (r = create_marker_add(c, "kernel")) < 0)
        return r;
    if (c->cache_dir && !c->o->reuse && c->mirror_host)
        return create_cache_store(c, st, hash);
    return 0;
}
