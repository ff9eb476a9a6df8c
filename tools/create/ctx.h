/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: what its files share. The options, the context a run carries from
 * stage to stage, and each file's functions. The files stand in floors, each calling only the
 * ones below it:
 *   command.c (the options)
 *   create.c (the run: the stages in order)
 *   tree.c (source, tree and kernel stages)
 *   cache.c (the tree cache)  domain.c (libvirt)
 *   target.c (target, staging tree)  boot.c (initramfs, boot files)
 *   guest.c (lib/guest, the tree's kernel)
 *   clone.c (--clone-of)
 *   run.c (programs, copies)
 *   copy.c (how a copy is made)
 *   ctx.c (signals, clock, stage markers, hash)
 * Private. */
#ifndef NFSROOT_CREATE_CTX_H
#define NFSROOT_CREATE_CTX_H

#include "shared.h"
#include "cli.h"

/* Where the tree cache and the logs live unless $VIRT_NFSROOT_CACHE_DIR says otherwise. */
#define CREATE_CACHE_DIR "/var/cache/virt-nfsroot"
/* Where debootstrap finds the keys the mirror's Release file is checked against, unless
 * $VIRT_NFSROOT_DEBIAN_KEYRING says otherwise (tests). */
#define CREATE_DEBIAN_KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"
/* How many earlier logs of one name are kept (create-NAME.log.1 the newest). */
#define CREATE_LOG_KEEP 3
/* --cache-prune removes complete entries older than this (their packages are that old). */
#define CREATE_CACHE_MAX_DAYS 30
/* Bumped when what a cached tree holds changes: older entries are then not used. */
#define CREATE_CACHE_RECIPE "3"

typedef struct create_opts {
    const char *name;
    const char *release, *mirror, *from_tarball, *from_dir, *network, *pin_ip, *virt_type;
    const char *ssh_key, *root_password_file, *packages, *path;
    const char *clone_of; /* --clone-of: a stopped guest create made; from_dir is its tree */
    unsigned long memory_mib, vcpus;
    bool pin, no_pin, reuse, boot_in_export, start, dry_run, cache_only;
    bool no_aslr; /* --no-aslr: norandmaps on the cmdline (docs/PERFORMANCE.md, part 7) */
    bool cache_list, cache_prune, cache_prune_all;
} create_opts;

/* One stage's outcome, for the progress lines and --json. */
typedef struct create_stage {
    const char *name;
    double seconds;
    const char *status; /* "done", "cached", "skipped", "failed" */
    char note[256];
} create_stage;

typedef struct create_ctx {
    create_opts *o;
    nfsroot_policy *policy;
    nfsroot_guest_profile *profile; /* the tree's, once it exists */
    char *cache_dir;                /* NULL: no tree cache */
    char *log_path;                 /* programs' output */
    int log_fd;
    char *target;      /* the tree the stages work in: staging until it is placed */
    char *final;       /* where the staging tree goes (resolved); NULL once placed, or none */
    char *staging;     /* <export root>/.virt-nfsroot-staging: root's, never exported */
    char *stages_path; /* <staging>/<key>.stages, beside the staging tree <staging>/<key> */
    int stages_fd;     /* that file, locked: the stages done (--reuse resumes) */
    bool reused;       /* --reuse of a tree that existed: configured as it is, never filled */
    bool placed;       /* the staging tree is at the target now */
    bool target_made;  /* this run made the directory (a placeholder until the tree is placed) */
    bool tree_touched; /* this run wrote into it */
    char *cache_entry; /* the cached tree used or made, NULL: none */
    bool tree_cached;  /* the tree is (a copy of) a complete cache entry */
    bool tree_shared;  /* this run's staging tree is the cache entry's (copy or source) */
    char *mirror;      /* debootstrap's mirror, trailing slashes cut */
    bool mirror_host;  /* it is the host's: only then the cache and the initramfs store */
    char *keyring;     /* what debootstrap checks the Release file against */
    uint64_t bar_total, bar_free; /* a copy's bar: its size, the free space when it began */
    char *kver;                   /* the guest's kernel version */
    char *boot_dir; /* <first boot_dir>/NAME, or <target>/boot with --boot-in-export */
    bool boot_dir_made;
    char *kernel, *initrd; /* what the domain boots */
    char *cmdline;
    char *osinfo;      /* libosinfo id, NULL: unknown */
    char *export_path; /* for the metadata: target */
    char mac[18];
    char uuid[37];
    virConnectPtr conn;
    bool defined;
    pin_result pin;
    char guest_addr[64];        /* the pinned address with its subnet's prefix, "" if none */
    nfsroot_findings *findings; /* validate's */
    char root_password[21];     /* generated at configure (no way in given): shown once, never
                                   logged; wiped with the context */
    bool has_sshd;              /* the tree has an sshd (--ssh-key's way in) */
    create_stage stages[8];
    size_t n_stages;
    double t0;
} create_ctx;

/* ctx.c */
/* Ctrl-C / SIGTERM seen: stages stop at the next program or step. */
bool create_interrupted(void);
/* From now on SIGINT, SIGTERM and SIGHUP only set what create_interrupted() reads. */
void create_catch_signals(void);
double create_now(void);
/* The stage markers (--reuse resumes): in the locked .stages file, never in a tree. */
bool create_marker_has(const create_ctx *c, const char *what);
int create_marker_add(const create_ctx *c, const char *what);
uint64_t create_fnv1a(uint64_t h, const void *data, size_t n);

/* create.c: the stages in order, with their progress, failure and summary output. */
int create_run(create_opts *o);

/* target.c */
int create_target_check(create_ctx *c);
/* The staging tree the stages build in (or, --reuse, the existing tree itself). */
int create_target_make(create_ctx *c);
/* The finished staging tree renamed into place (never over anything but an empty directory). */
int create_tree_place(create_ctx *c);
/* A run that failed before its tree was placed: the empty placeholder at the target goes. */
void create_tree_abandon(create_ctx *c);
/* After the last stage: the tree becomes enterable for libvirt-qemu. */
void create_tree_finish(const create_ctx *c);

/* tree.c */
/* The mirror (only the host's fills the tree cache) and the keyring debootstrap verifies it
 * with; refusals that change nothing. */
int create_source_check(create_ctx *c);
int create_tree(create_ctx *c, create_stage *st);
int create_kernel(create_ctx *c, create_stage *st);

/* cache.c */
/* <cache>/trees/debian-<release>-<hash of recipe, package set>. */
int create_cache_entry_path(create_ctx *c, const char *packages, char **ret);
/* A complete entry for packages copied into the staging tree (--cache-only: the entry is the
 * tree): 1; 0 when there is none (or the cache is not usable). */
int create_tree_from_cache(create_ctx *c, create_stage *st, const char *packages);
/* The finished tree stored as the entry, its record naming the initramfs hash. */
int create_cache_store(create_ctx *c, create_stage *st, const char *hash);
/* --cache-list, --cache-prune[=all]: the tree cache's entries, under create's cache lock. */
int create_cache_cmd(create_ctx *c);

/* boot.c */
int create_initramfs(create_ctx *c, create_stage *st);
/* (kernel version, dracut configuration) of the tree as 16 hex digits. */
int create_dracut_hash(create_ctx *c, char ret[17]);

/* run.c */
/* cp -a of a tree's contents into the directory to (a bar when c->bar_total is set); *ret_how
 * (may be NULL): "reflink" or "plain copy". */
int create_copy_tree(create_ctx *c, const char *from, const char *to, const char **ret_how);
/* Run argv (a program, with a private mount namespace; inside root with private /proc /sys
 * /dev when root is not NULL), its output to the log. 0, or -errno / -ECHILD after printing. */
int create_spawn(create_ctx *c, const char *root, char *const argv[]);

/* copy.c: from and to opened without following a link; *ret_how as create_copy_tree's. */
int create_copy_check(const char *from, const char *to, const char **ret_how);
/* After a failed copy into the directory to: when its file system stores no POSIX ACLs
 * (ceph-fuse without client_acl_type = posix_acl), say so and how to mount it; true if it did. */
bool create_copy_explain_acls(const char *to);

/* clone.c: --clone-of's guest (stopped, its tree recorded by create) as from_dir, and
 * what in its tree copy must not be the original's (ssh host keys). */
int create_clone_source(create_ctx *c);
int create_clone_identity(create_ctx *c);

/* domain.c */
int create_domain_precheck(create_ctx *c);
int create_configure(create_ctx *c, create_stage *st);
int create_define(create_ctx *c, create_stage *st);
int create_validate(create_ctx *c, create_stage *st);
int create_start(create_ctx *c, create_stage *st);
void create_undefine(create_ctx *c);

/* guest.c: the library's guest room (lib/guest), as create needs it. */
/* Packages for a Debian release: debootstrap's --include (the profile's and extra "a,b",
 * comma-separated) and, apart, the kernel's (space-separated; ret_kernel may be NULL). */
int create_guest_packages(const char *release, const char *extra, char **ret_include,
                          char **ret_kernel);
/* The tree's distribution profile into c->profile (once). */
int create_guest_profile(create_ctx *c);
/* The configuration a tree needs before its kernel is installed (dracut's). */
int create_guest_prepare(create_ctx *c);
/* The whole per-guest configuration; sets c->cmdline and c->osinfo, and c->root_password when
 * neither --ssh-key nor --root-password-file was given and root has no usable password. */
int create_guest_configure(create_ctx *c, const char *server);
/* Unpack c->o->from_tarball into c->target. */
int create_guest_unpack(create_ctx *c);
/* The newest /boot/vmlinuz-VERSION of the tree with /lib/modules/VERSION into c->kver. */
int create_find_kernel(create_ctx *c);

#endif
