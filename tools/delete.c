/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot delete: the reverse of create. Refuses while the guest runs; undefines the domain,
 * removes its boot files (and initramfs images no guest links any more), the DHCP pin and, with
 * --tree, the root tree that create and annotate recorded as made for this domain
 * (lib/core/owned.c) and nothing else: never what the domain's XML merely names, never what another
 * defined domain uses, and only strictly inside an export root, never through a symbolic link. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "shared.h"

typedef struct delete_opts {
    const char *name, *path;
    bool tree, dry_run;
} delete_opts;

typedef struct delete_run {
    delete_opts *o;
    nfsroot_policy *policy;
    virConnectPtr conn;
    virDomainPtr dom;
    char uuid[VIR_UUID_STRING_BUFLEN]; /* "" when no domain is defined */
    nfsroot_owned owned;               /* what create/annotate recorded for it */
    bool has_owned;
    nfsroot_owned *all; /* every record, for the trees of the others */
    size_t n_all;
    nfsroot_domain **others; /* every other defined domain (config and live), parsed */
    size_t n_others;
    char unreadable[256];       /* another domain whose XML did not parse: it may use anything */
    char *tree;                 /* the root export, resolved */
    bool root_readonly;         /* the XML marks it read-only: a shared base */
    char *boot_dir;             /* <first boot_dir>/NAME */
    char network[256], mac[18]; /* its NIC on a libvirt network, for the note on the pin */
    bool unpin;                 /* the recorded pin goes */
    char unpinned[64];          /* the address unpinned */
    char pin_kept[768];         /* why a pin stays */
    bool undefined, boot_removed, tree_removed;
    size_t shared_removed;
} delete_run;

static void run_done(delete_run *d)
{
    free(d->tree);
    free(d->boot_dir);
    free(d->all);
    for (size_t i = 0; i < d->n_others; i++)
        nfsroot_domain_free(d->others[i]);
    free(d->others);
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
    const char *path;
    bool ro, is_root;
    for (size_t i = 0; nfsroot_domain_get_export(dom, i, &path, &ro, &is_root) == 0; i++)
        d->root_readonly |= is_root && ro;
    const char *root = nfsroot_domain_get_root_path(dom);
    if (root)
        return (*ret = strdup(root)) ? 0 : -ENOMEM;
    return 0;
}

/* Do two paths overlap (one is the other or lies beneath it)? */
static bool paths_overlap(const char *a, const char *b)
{
    return !strcmp(a, b) || nfsroot_path_is_under(a, b) || nfsroot_path_is_under(b, a);
}

/* Another defined domain's XML, parsed; one that does not parse is named in d->unreadable and
 * then counts as using anything. */
static int add_other(delete_run *d, virDomainPtr dom, unsigned flags)
{
    _cleanup_free_ char *xml = virDomainGetXMLDesc(dom, flags);
    _cleanup_(nfsroot_domain_freep) nfsroot_domain *parsed = NULL;
    nfsroot_error err = { 0 };
    if (!xml || nfsroot_domain_parse(xml, strlen(xml), &parsed, &err) < 0) {
        const char *name = virDomainGetName(dom);
        snprintf(d->unreadable, sizeof(d->unreadable), "%s", name ? name : "?");
        return 0;
    }
    nfsroot_domain **v = realloc(d->others, (d->n_others + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    d->others = v;
    d->others[d->n_others++] = TAKE_PTR(parsed);
    return 0;
}

/* Every defined domain but this one (running or not, persistent or not): what they use stays. */
static int load_others(delete_run *d)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(d->conn, &doms, 0), r = 0;
    if (n < 0) {
        cli_error("delete: cannot list the defined domains: %s", cli_virt_error());
        return -EIO;
    }
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN] = "";
        if (r == 0 && virDomainGetUUIDString(doms[i], uuid) == 0 && strcmp(uuid, d->uuid)) {
            r = add_other(d, doms[i], VIR_DOMAIN_XML_INACTIVE);
            if (r == 0 && virDomainIsActive(doms[i]) == 1)
                r = add_other(d, doms[i], 0);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    return r;
}

/* Another domain with a NIC of this MAC, NULL when none. */
static const char *mac_user(const delete_run *d, const char *mac)
{
    if (d->unreadable[0])
        return d->unreadable;
    for (size_t i = 0; i < d->n_others; i++) {
        const nfsroot_nic *nic;
        for (size_t k = 0; (nic = nfsroot_domain_get_nic(d->others[i], k)); k++)
            if (!strcasecmp(nfsroot_nic_get_mac(nic), mac))
                return nfsroot_domain_get_name(d->others[i]);
    }
    return NULL;
}

/* Does the path p (as a domain's XML writes it, or resolved as the hook would) overlap tree? */
static bool names_tree(const delete_run *d, const char *p, const char *tree)
{
    nfsroot_error err = { 0 };
    _cleanup_free_ char *resolved = NULL;
    char *const *roots = (char *const *)nfsroot_policy_get_export_roots(d->policy);
    return paths_overlap(p, tree) ||
           (nfsroot_path_resolve(p, roots, &resolved, &err) == 0 && paths_overlap(resolved, tree));
}

/* Another domain whose metadata names a path overlapping tree (the one in *ret_path), NULL when
 * none. */
static const char *path_user(const delete_run *d, const char *tree, char *ret_path, size_t len)
{
    const char *const *roots = nfsroot_policy_get_export_roots(d->policy);
    snprintf(ret_path, len, "?");
    if (d->unreadable[0])
        return d->unreadable;
    for (size_t i = 0; i < d->n_others; i++) {
        const nfsroot_domain *o = d->others[i];
        const char *p;
        bool ro, is_root;
        for (size_t e = 0; nfsroot_domain_get_export(o, e, &p, &ro, &is_root) == 0; e++) {
            if (p)
                snprintf(ret_path, len, "%s", p);
            else if (roots && roots[0])
                snprintf(ret_path, len, "%s/%s", roots[0], nfsroot_domain_get_name(o));
            if ((p || (roots && roots[0])) && names_tree(d, ret_path, tree))
                return nfsroot_domain_get_name(o);
        }
    }
    return NULL;
}

/* What create/annotate recorded for this domain: by its UUID, or, when none is defined any more,
 * the record of that name whose domain is gone. */
static int load_owned(delete_run *d)
{
    nfsroot_error err = { 0 };
    int r = nfsroot_owned_load_all(d->policy, &d->all, &d->n_all, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot read what virt-nfsroot made"), r;
    for (size_t i = 0; i < d->n_all && !d->has_owned; i++) {
        const nfsroot_owned *o = &d->all[i];
        if (d->uuid[0] ? strcmp(o->uuid, d->uuid) != 0 : strcmp(o->name, d->o->name) != 0)
            continue;
        virDomainPtr gone = d->uuid[0] ? NULL : virDomainLookupByUUIDString(d->conn, o->uuid);
        if (gone) {
            virDomainFree(gone);
            continue;
        }
        d->owned = *o;
        d->has_owned = true;
    }
    return 0;
}

/* The pin goes only when it is recorded as this domain's and no other defined domain's NIC has
 * its MAC (removing it would widen that domain's clients to the subnet); else say what stays. */
static void plan_pin(delete_run *d)
{
    const nfsroot_owned *o = &d->owned;
    char ip[64];
    if (!d->has_owned || !o->has_pin) {
        if (d->mac[0] && annotate_pinned_ip(d->conn, d->network, d->mac, ip, sizeof(ip)) > 0)
            snprintf(d->pin_kept, sizeof(d->pin_kept),
                     "the pin of %s to MAC %s on network '%s' stays: create or annotate did not "
                     "record it as made for this domain",
                     ip, d->mac, d->network);
        return;
    }
    const char *user = mac_user(d, o->pin_mac);
    if (user)
        snprintf(d->pin_kept, sizeof(d->pin_kept),
                 "the pin of %s to MAC %s on network '%s' stays: domain '%s' uses that MAC too",
                 o->pin_ip, o->pin_mac, o->pin_network, user);
    else
        d->unpin = true;
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

static int _printf_(2, 3) refuse_tree(const delete_run *d, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    cli_error("delete: the tree '%s' is not removed: %s", d->tree, why);
    return -EPERM;
}

/* A claim on the tree, by any host sharing the storage (a guest that runs there: a migration
 * source's domain is inactive here and has no record, but its tree is in use). */
static int tree_claimed(const delete_run *d)
{
    char host[256], domain[256], path[4096];
    nfsroot_error err = { 0 };
    int r = nfsroot_claim_find(d->policy, d->tree, host, sizeof(host), domain, sizeof(domain), path,
                               sizeof(path), &err);
    if (r < 0)
        return refuse_tree(d, "its claims on shared storage cannot be read: %s", err.message);
    if (r > 0)
        return refuse_tree(d, "domain '%s' on host '%s' claims '%s' (it runs there)", domain, host,
                           path);
    return 0;
}

/* Whether --tree may remove d->tree: only the tree create recorded as made for this domain, the
 * very directory it made, not marked read-only, and nothing another defined domain names, another
 * record holds, a running guest exports or any host sharing the storage claims. */
static int delete_tree_allowed(const delete_run *d)
{
    const nfsroot_owned *o = &d->owned;
    char path[4096];
    struct stat st;
    if (!d->has_owned || !o->has_tree || strcmp(o->tree, d->tree))
        return refuse_tree(d, "create did not record it as the tree it made for domain '%s'",
                           d->o->name);
    if (d->root_readonly)
        return refuse_tree(d, "domain '%s' exports it read-only: a shared root, not its own",
                           d->o->name);
    _cleanup_close_ int fd = open(d->tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_dev != o->tree_dev ||
        (uint64_t)st.st_ino != o->tree_ino)
        return refuse_tree(d, "it is not the directory create made (replaced since)");
    const char *user = path_user(d, d->tree, path, sizeof(path));
    if (user)
        return refuse_tree(d, "domain '%s' names '%s' in its metadata", user, path);
    for (size_t i = 0; i < d->n_all; i++)
        if (strcmp(d->all[i].uuid, o->uuid) && d->all[i].has_tree &&
            paths_overlap(d->all[i].tree, d->tree))
            return refuse_tree(d, "it overlaps '%s', the tree create made for domain '%s'",
                               d->all[i].tree, d->all[i].name);
    int r = tree_exported_for_another(d);
    return r < 0 ? r : tree_claimed(d);
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
    return delete_tree_allowed(d);
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
    if (d->dom && virDomainGetUUIDString(d->dom, d->uuid) < 0) {
        cli_error("domain '%s': %s", name, cli_virt_error());
        return -EIO;
    }
    int r = load_others(d);
    if (r < 0 || (r = load_owned(d)) < 0)
        return r;
    if ((r = find_tree(d)) < 0)
        return r;
    plan_pin(d);
    if (layout_boot_dir(d->policy, name, &d->boot_dir) == -ENOMEM)
        return -ENOMEM;
    return 0;
}

/* Initramfs images of the store that no guest's boot directory links any more. */
static size_t prune_shared(const char *boot_root)
{
    char store[4096];
    snprintf(store, sizeof(store), "%s/" LAYOUT_INITRAMFS_STORE, boot_root);
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

/* The pin recorded as this domain's, when no other domain uses its MAC (plan_pin). */
static int unpin(delete_run *d)
{
    const nfsroot_owned *o = &d->owned;
    if (!d->unpin)
        return 0;
    int r = annotate_unpin_address(d->conn, o->pin_network, o->pin_mac, o->pin_ip);
    if (r < 0)
        return r;
    if (r > 0)
        snprintf(d->unpinned, sizeof(d->unpinned), "%s", o->pin_ip);
    else
        snprintf(d->pin_kept, sizeof(d->pin_kept),
                 "network '%s' no longer pins %s to MAC %s: nothing of it removed", o->pin_network,
                 o->pin_ip, o->pin_mac);
    return 0;
}

/* The record follows: gone with the domain and its tree; while the tree stays, it keeps the
 * tree alone (a later 'delete NAME --tree' finds it by name). */
static int settle_owned(delete_run *d)
{
    nfsroot_owned keep = d->owned;
    nfsroot_error err = { 0 };
    int r = 0;
    if (!d->has_owned || !(d->undefined || d->tree_removed || d->unpinned[0]))
        return 0;
    keep.has_pin = false;
    if (!keep.has_tree || d->tree_removed)
        r = nfsroot_owned_remove(d->policy, keep.uuid, &err);
    else
        r = nfsroot_owned_write(d->policy, &keep, &err);
    return r < 0 ? cli_lib_error(&err, r, "cannot update what virt-nfsroot made"), r : 0;
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
    }
    if ((d->undefined || !d->dom) && (r = unpin(d)) < 0)
        return r;
    const char *const *dirs = nfsroot_policy_get_boot_dirs(d->policy);
    struct stat st;
    if (d->boot_dir && lstat(d->boot_dir, &st) == 0) {
        if ((r = layout_remove_tree(dirs[0], name)) < 0) {
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
        if ((r = layout_remove_tree(parent, slash + 1)) < 0) {
            cli_error("cannot remove the tree '%s': %s", d->tree, strerror(-r));
            return r;
        }
        d->tree_removed = true;
        syslog(LOG_INFO, "domain '%s': root tree %s removed by delete", cli_esc(name),
               cli_esc(d->tree));
    }
    return settle_owned(d);
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
        json_kv_string(&j, "pin_kept", d->pin_kept[0] ? d->pin_kept : NULL);
        json_kv_int(&j, "shared_initramfs_removed", (int64_t)d->shared_removed);
        json_end_object(&j);
        json_finish(&j);
        return;
    }
    const char *name = cli_esc(d->o->name);
    if (d->undefined || (d->o->dry_run && d->dom))
        printf("%sundefine domain '%s'\n", would, name);
    if (d->unpinned[0] || (d->o->dry_run && d->unpin))
        printf("%sunpin its address %s on network '%s'\n", would, d->owned.pin_ip,
               cli_esc(d->owned.pin_network));
    if (d->pin_kept[0])
        printf("kept: %s\n", cli_esc(d->pin_kept));
    if (d->boot_removed || (d->o->dry_run && d->boot_dir && access(d->boot_dir, F_OK) == 0))
        printf("%sremove its boot files '%s'\n", would, cli_esc(d->boot_dir));
    if (d->tree_removed || (d->o->dry_run && d->tree))
        printf("%sremove its root tree '%s'\n"
               "kept: the tree cache it may have been copied from (list it with 'virt-nfsroot "
               "create --cache-list', prune it with 'virt-nfsroot create --cache-prune')\n",
               would, cli_esc(d->tree));
    if (!d->dom && !d->tree && !d->boot_removed && !d->unpinned[0] && !d->o->dry_run)
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
    .sets = (const cli_set[]){ CLI_SET_FLAG(OPT_TREE, delete_opts, tree),
                               CLI_SET_STRING(OPT_PATH, delete_opts, path),
                               CLI_SET_FLAG(OPT_DRY, delete_opts, dry_run),
                               { 0 } },
    .run = cmd_delete,
    .complete_args = "@domain",
};

static int cmd_delete(int argc, char **argv)
{
    delete_opts o = { 0 };
    int c = cli_parse(&cli_cmd_delete, argc, argv, NULL, &o, 1);
    if (c < 0)
        return cli_parse_exit(c);
    if (optind >= argc)
        return cli_usage_error("delete", "which guest? Give its NAME");
    o.name = argv[optind];
    if (!nfsroot_domain_name_ok(o.name, false))
        return cli_usage_error("delete", "'%s' is not a guest name", o.name);
    if (o.path && o.path[0] != '/')
        return cli_usage_error("delete", "--path '%s' is not an absolute path", o.path);
    return delete_guest(&o);
}
