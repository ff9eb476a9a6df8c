/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot delete: the reverse of create. Refuses while the guest runs; undefines the domain,
 * removes its boot files (and initramfs images no guest links any more) and, with --tree, its
 * root tree: only strictly inside an export root, never through a symbolic link. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "create.h"

typedef struct delete_opts {
    const char *name, *path;
    bool tree, dry_run;
} delete_opts;

typedef struct delete_run {
    delete_opts *o;
    nfsroot_policy *policy;
    virConnectPtr conn;
    virDomainPtr dom;
    char *tree;                 /* the root export, resolved */
    char *boot_dir;             /* <first boot_dir>/NAME */
    char network[256], mac[18]; /* its NIC on a libvirt network, for the pin */
    char unpinned[64];          /* the address unpinned */
    bool undefined, boot_removed, tree_removed;
    size_t shared_removed;
} delete_run;

static void run_done(delete_run *d)
{
    free(d->tree);
    free(d->boot_dir);
    if (d->dom)
        virDomainFree(d->dom);
    if (d->conn)
        virConnectClose(d->conn);
    nfsroot_policy_freep(&d->policy);
}

/* The root export named in the domain's element, NULL when it has none (or no domain). */
static int domain_root(delete_run *d, char **ret)
{
    *ret = NULL;
    if (!d->dom)
        return 0;
    _cleanup_free_ char *xml = virDomainGetXMLDesc(d->dom, VIR_DOMAIN_XML_INACTIVE);
    _cleanup_(nfsroot_domain_freep) nfsroot_domain *dom = NULL;
    nfsroot_error err = { 0 };
    int r = xml ? nfsroot_domain_parse(xml, strlen(xml), &dom, &err) : -EIO;
    if (r < 0)
        return cli_lib_error(&err, r, "cannot read the domain's XML"), r;
    if (!nfsroot_domain_has_metadata(dom)) {
        cli_error("delete: domain '%s' has no virt-nfsroot metadata: it is not a guest of ours "
                  "(virsh undefine removes it)",
                  d->o->name);
        return -EPERM;
    }
    for (size_t i = 0; i < nfsroot_domain_get_n_nics(dom) && !d->mac[0]; i++) {
        const nfsroot_nic *nic = nfsroot_domain_get_nic(dom, i);
        if (nfsroot_nic_get_type(nic) == NFSROOT_NIC_NETWORK && nfsroot_nic_get_mac(nic)[0]) {
            snprintf(d->network, sizeof(d->network), "%s", nfsroot_nic_get_source(nic));
            snprintf(d->mac, sizeof(d->mac), "%s", nfsroot_nic_get_mac(nic));
        }
    }
    const char *root = nfsroot_domain_get_root_path(dom);
    if (root)
        return (*ret = strdup(root)) ? 0 : -ENOMEM;
    return 0;
}

/* Do two paths overlap (one is the other or lies beneath it)? */
static bool paths_overlap(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
    return strncmp(a, b, n) == 0 && (la == lb || (la < lb ? b[la] : a[lb]) == '/');
}

/* The tree must not hold what another domain's record exports: whatever this domain's XML names
 * (its editor need not be the host's admin), a running guest's root is not this one's to
 * remove. */
static int tree_exported_for_another(const delete_run *d)
{
    _cleanup_(cli_records_done) cli_records rec = { 0 };
    if (cli_records_load(d->policy, &rec) < 0)
        return -EIO;
    for (size_t i = 0; i < rec.n; i++) {
        const nfsroot_plan *plan = rec.v[i]->plan;
        if (!strcmp(nfsroot_plan_get_domain(plan), d->o->name))
            continue;
        for (size_t e = 0; e < nfsroot_plan_get_n_exports(plan); e++) {
            const char *path = nfsroot_export_get_path(nfsroot_plan_get_export(plan, e));
            if (paths_overlap(path, d->tree)) {
                cli_error("delete: the tree '%s' is not removed: domain '%s' exports '%s' (it "
                          "runs, or its record says so)",
                          d->tree, nfsroot_plan_get_domain(plan), path);
                return -EBUSY;
            }
        }
    }
    return 0;
}

/* Where the tree is, checked with the hook's path rules; resolved must be the very path (no
 * symbolic link on the way). */
static int find_tree(delete_run *d)
{
    const char *const *roots = nfsroot_policy_get_export_roots(d->policy);
    _cleanup_free_ char *path = NULL;
    int r = domain_root(d, &path);
    if (r < 0)
        return r;
    if (!path && d->o->path && !(path = strdup(d->o->path)))
        return -ENOMEM;
    if (!path && roots && roots[0] && asprintf(&path, "%s/%s", roots[0], d->o->name) < 0)
        return -ENOMEM;
    if (!path || !d->o->tree)
        return 0;
    struct stat st;
    if (lstat(path, &st) < 0 && errno == ENOENT)
        return 0; /* nothing to remove */
    nfsroot_error err = { 0 };
    r = nfsroot_path_resolve(path, (char *const *)roots, &d->tree, &err);
    if (r < 0) {
        cli_error("delete: the tree '%s' is not removed: %s", path, err.message);
        return r;
    }
    if (strcmp(d->tree, path)) {
        cli_error("delete: the tree '%s' is reached through a symbolic link (it is '%s'): "
                  "not removed",
                  path, d->tree);
        return -ELOOP;
    }
    return tree_exported_for_another(d);
}

static int check(delete_run *d)
{
    const char *name = d->o->name;
    d->dom = virDomainLookupByName(d->conn, name);
    if (!d->dom && !cli_virt_no_domain()) {
        cli_error("domain '%s': %s", name, cli_virt_error());
        return -EIO;
    }
    if (d->dom && virDomainIsActive(d->dom) == 1) {
        cli_error("delete: domain '%s' is running: shut it down first (virsh shutdown %s)", name,
                  name);
        return -EBUSY;
    }
    int r = find_tree(d);
    if (r < 0)
        return r;
    if (create_boot_dir_for(d->policy, name, &d->boot_dir) == -ENOMEM)
        return -ENOMEM;
    return 0;
}

/* Initramfs images of the store that no guest's boot directory links any more. */
static size_t prune_shared(const char *boot_root)
{
    char store[4096];
    snprintf(store, sizeof(store), "%s/.initramfs", boot_root);
    _cleanup_close_ int fd = open(store, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_(closedirp) DIR *dir = fd >= 0 ? fdopendir(dup(fd)) : NULL;
    size_t n = 0;
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
        struct stat st;
        if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            st.st_nlink == 1 && unlinkat(fd, e->d_name, 0) == 0)
            n++;
    }
    if (fd >= 0)
        (void)unlinkat(AT_FDCWD, store, AT_REMOVEDIR); /* only when empty */
    return n;
}

static int act(delete_run *d)
{
    const char *name = d->o->name;
    int r;
    if (d->dom) {
        if (virDomainUndefine(d->dom) < 0) {
            cli_error("domain '%s': cannot undefine it: %s", name, cli_virt_error());
            return -EIO;
        }
        d->undefined = true;
        syslog(LOG_INFO, "domain '%s': undefined by delete", cli_esc(name));
        /* The address create pinned for its MAC is free again. */
        if (d->mac[0] && annotate_unpin_address(d->conn, d->network, d->mac, d->unpinned,
                                                sizeof(d->unpinned)) < 0)
            return -EIO;
    }
    const char *const *dirs = nfsroot_policy_get_boot_dirs(d->policy);
    struct stat st;
    if (d->boot_dir && lstat(d->boot_dir, &st) == 0) {
        if ((r = create_remove_tree(dirs[0], name)) < 0) {
            cli_error("cannot remove the boot files in '%s': %s", d->boot_dir, strerror(-r));
            return r;
        }
        d->boot_removed = true;
    }
    if (dirs && dirs[0])
        d->shared_removed = prune_shared(dirs[0]);
    if (d->tree) {
        _cleanup_free_ char *parent = strdup(d->tree);
        char *slash = parent ? strrchr(parent, '/') : NULL;
        if (!slash)
            return -ENOMEM;
        *slash = '\0';
        if ((r = create_remove_tree(parent, slash + 1)) < 0) {
            cli_error("cannot remove the tree '%s': %s", d->tree, strerror(-r));
            return r;
        }
        d->tree_removed = true;
        syslog(LOG_INFO, "domain '%s': root tree %s removed by delete", cli_esc(name),
               cli_esc(d->tree));
    }
    return 0;
}

static void report(const delete_run *d)
{
    const char *would = d->o->dry_run ? "would " : "";
    if (cli.json) {
        json j;
        json_init(&j, stdout);
        json_begin_object(&j);
        json_kv_string(&j, "domain", d->o->name);
        json_kv_bool(&j, "dry_run", d->o->dry_run);
        json_kv_bool(&j, "undefined", d->undefined || (d->o->dry_run && d->dom));
        json_kv_string(&j, "boot_dir", d->boot_dir);
        json_kv_string(&j, "tree", d->tree);
        json_kv_string(&j, "unpinned_ip", d->unpinned[0] ? d->unpinned : NULL);
        json_kv_int(&j, "shared_initramfs_removed", (int64_t)d->shared_removed);
        json_end_object(&j);
        json_finish(&j);
        return;
    }
    const char *name = cli_esc(d->o->name);
    if (d->undefined || (d->o->dry_run && d->dom))
        printf("%sundefine domain '%s'\n", would, name);
    if (d->unpinned[0])
        printf("unpin its address %s on network '%s'\n", d->unpinned, cli_esc(d->network));
    if (d->boot_removed || (d->o->dry_run && d->boot_dir && access(d->boot_dir, F_OK) == 0))
        printf("%sremove its boot files '%s'\n", would, cli_esc(d->boot_dir));
    if (d->tree_removed || (d->o->dry_run && d->tree))
        printf("%sremove its root tree '%s'\n", would, cli_esc(d->tree));
    if (!d->dom && !d->tree && !d->boot_removed && !d->o->dry_run)
        printf("nothing of '%s' was left to delete\n", name);
}

static int delete_guest(delete_opts *o)
{
    cli_log_open();
    _cleanup_(run_done) delete_run d = { .o = o };
    nfsroot_error err = { 0 };
    int r = cli_policy_load(&d.policy, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot load the policy");
    char why[512];
    d.conn = cli_connect(false, why, sizeof(why));
    if (!d.conn) {
        cli_error("cannot connect to libvirt at %s: %s", cli.uri ? cli.uri : DEFAULT_URI, why);
        return EXIT_FAIL;
    }
    if (check(&d) < 0)
        return EXIT_FAIL;
    if (!o->dry_run && act(&d) < 0)
        return EXIT_FAIL;
    report(&d);
    return EXIT_OK;
}

static int cmd_delete(int argc, char **argv);

enum { OPT_TREE = CLI_KEY_FIRST, OPT_PATH, OPT_DRY };
const cli_command cli_cmd_delete = {
    CLI_COMMAND_TEXT(delete),
    .args = "NAME",
    .opts =
        (const cli_opt[]){ { "tree", OPT_TREE, CLI_NO_ARG, NULL, "remove the root tree too", NULL },
                           { "path", OPT_PATH, CLI_ARG, "DIR",
                             "the tree when no domain names it (create --path)", "@dir" },
                           { "dry-run", OPT_DRY, CLI_NO_ARG, NULL,
                             "say what would be removed, change nothing", NULL },
                           { 0 } },
    .run = cmd_delete,
    .complete_args = "@domain",
};

static int delete_opt(void *userdata, int key, const char *arg, int argc _unused_,
                      char **argv _unused_)
{
    delete_opts *o = userdata;
    if (key == OPT_TREE)
        o->tree = true;
    else if (key == OPT_PATH)
        o->path = arg;
    else if (key == OPT_DRY)
        o->dry_run = true;
    return 0;
}

static int cmd_delete(int argc, char **argv)
{
    delete_opts o = { 0 };
    int c = cli_parse(&cli_cmd_delete, argc, argv, delete_opt, &o, 1);
    if (c < 0)
        return cli_parse_exit(c);
    if (optind >= argc)
        return cli_usage_error("delete", "which guest? Give its NAME");
    o.name = argv[optind];
    if (!o.name[0] || strchr(o.name, '/') || !strcmp(o.name, ".") || !strcmp(o.name, ".."))
        return cli_usage_error("delete", "'%s' is not a guest name", o.name);
    if (o.path && o.path[0] != '/')
        return cli_usage_error("delete", "--path '%s' is not an absolute path", o.path);
    return delete_guest(&o);
}
