/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: from nothing to a defined (and started) root-on-NFS guest. This file is
 * the top of create/: the order of the stages, their progress lines and what is said on failure
 * (command.c reads the options). The stages live in target.c, tree.c, boot.c and domain.c, the
 * guest knowledge in lib/guest. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"

static void ctx_done(create_ctx *c)
{
    free(c->cache_dir);
    free(c->log_path);
    if (c->log_fd >= 0)
        close(c->log_fd);
    free(c->target);
    free(c->final);
    free(c->staging);
    free(c->stages_path);
    if (c->stages_fd >= 0)
        close(c->stages_fd);
    free(c->mirror);
    free(c->keyring);
    free(c->cache_entry);
    free(c->kver);
    free(c->boot_dir);
    free(c->kernel);
    free(c->initrd);
    free(c->cmdline);
    free(c->osinfo);
    free(c->export_path);
    explicit_bzero(c->root_password, sizeof(c->root_password));
    nfsroot_findings_freep(&c->findings);
    nfsroot_guest_profile_free(c->profile);
    nfsroot_policy_freep(&c->policy);
    if (c->conn)
        virConnectClose(c->conn);
}

/* With --json, one line per stage as it begins and ends on stderr, for a progress bar (the
 * Cockpit page): {"progress":{"stage":"kernel","index":2,"total":7,"status":"running"}}. */
static void stage_json(const create_stage *st, size_t i, size_t n)
{
    json j;
    json_init(&j, stderr);
    j.pretty = false;
    json_begin_object(&j);
    json_key(&j, "progress");
    json_begin_object(&j);
    json_kv_string(&j, "stage", st->name);
    json_kv_int(&j, "index", (int64_t)i + 1);
    json_kv_int(&j, "total", (int64_t)n);
    json_kv_string(&j, "status", st->status);
    json_key(&j, "seconds");
    json_double(&j, st->seconds);
    json_end_object(&j);
    json_end_object(&j);
    json_finish(&j);
}

/* "[2/6] kernel ... 61.2 s" on stderr (stdout stays for --json). */
static void stage_line(const create_ctx *c, const create_stage *st, size_t i, size_t n)
{
    if (cli.json) {
        stage_json(st, i, n);
        return;
    }
    fprintf(stderr, "[%zu/%zu] %-10s %-7s %6.1f s%s%s\n", i + 1, n, st->name, st->status,
            st->seconds, st->note[0] ? "  " : "", st->note[0] ? cli_esc(st->note) : "");
    (void)c;
}

typedef int (*stage_fn)(create_ctx *c, create_stage *st);

static const struct {
    const char *name;
    stage_fn fn;
} stages[] = {
    { "tree", create_tree },           { "kernel", create_kernel },
    { "configure", create_configure }, { "initramfs", create_initramfs },
    { "domain", create_define },       { "validate", create_validate },
    { "start", create_start },
};

static int run_stages(create_ctx *c)
{
    size_t n = c->o->cache_only ? 2 : ELEMENTSOF(stages); /* the cache: tree + kernel */
    for (size_t i = 0; i < n; i++) {
        create_stage *st = &c->stages[c->n_stages++];
        *st = (create_stage){ .name = stages[i].name, .status = "running" };
        if (cli.json)
            stage_json(st, i, n);
        st->status = "done";
        double t = create_now();
        int r = create_interrupted() ? -EINTR : stages[i].fn(c, st);
        /* The tree is built: from staging into place before the domain names it. */
        if (r == 0 && stages[i].fn == create_initramfs)
            r = create_tree_place(c);
        if (r == 0 && create_interrupted())
            r = -EINTR;
        st->seconds = create_now() - t;
        if (r < 0)
            st->status = "failed";
        stage_line(c, st, i, n);
        if (r < 0)
            return r;
    }
    return 0;
}

/* What a failed or interrupted run leaves, and the two ways on. */
static void say_leftovers(const create_ctx *c, int r)
{
    const char *name = c->o->name;
    if (r == -EINTR)
        cli_error("interrupted; %s",
                  c->o->cache_only ? "the tree cache is unchanged" : "no domain is defined");
    if (c->o->cache_only) {
        if (c->target && !c->tree_cached)
            cli_error("the unfinished cache entry '%s' is removed by the next --cache-only",
                      c->target);
        return;
    }
    if (c->pin.added)
        cli_error("the guest's address %s stays pinned to MAC %s on network '%s': virsh "
                  "net-update %s delete ip-dhcp-host \"<host mac='%s'/>\" --live --config",
                  c->pin.ip, c->pin.mac, c->pin.network, c->pin.network, c->pin.mac);
    if (c->final && c->stages_fd >= 0) /* not placed: nothing at the target */
        cli_error("the unfinished tree stays in '%s', where no guest can reach it: resume with "
                  "'virt-nfsroot create %s --reuse' (same options); a create without --reuse "
                  "starts afresh",
                  c->target, name);
    if (!c->target_made && !(c->tree_touched && !c->final) && !c->boot_dir_made)
        return;
    if (c->target_made || (c->tree_touched && !c->final))
        cli_error("left on disk: the root tree '%s'", c->target);
    if (c->boot_dir_made)
        cli_error("left on disk: the boot files in '%s'", c->boot_dir);
    if (c->log_path)
        cli_error("the programs' output is in '%s'", c->log_path);
    cli_error("resume with 'virt-nfsroot create %s --reuse' (same options), or remove it all "
              "with 'virt-nfsroot delete %s --tree'",
              name, name);
}

static void print_json(const create_ctx *c, int r)
{
    json j;
    json_init(&j, stdout);
    json_begin_object(&j);
    json_kv_string(&j, "domain", c->o->name);
    json_kv_bool(&j, "ok", r == 0);
    json_kv_bool(&j, "dry_run", c->o->dry_run);
    json_kv_string(&j, "uuid", c->uuid[0] ? c->uuid : NULL);
    json_kv_string(&j, "tree", c->target);
    json_kv_string(&j, "cached_tree", c->cache_entry);
    json_kv_string(&j, "kernel_version", c->kver);
    json_kv_string(&j, "kernel", c->kernel);
    json_kv_string(&j, "initrd", c->initrd);
    json_kv_string(&j, "cmdline", c->cmdline);
    json_kv_string(&j, "os", c->osinfo);
    json_kv_string(&j, "mac", c->mac[0] ? c->mac : NULL);
    json_kv_string(&j, "pinned_ip", c->pin.ip[0] ? c->pin.ip : NULL);
    json_kv_string(&j, "log", c->log_path);
    json_kv_string(&j, "root_password", c->root_password[0] ? c->root_password : NULL);
    json_key(&j, "stages");
    json_begin_array(&j);
    for (size_t i = 0; i < c->n_stages; i++) {
        json_begin_object(&j);
        json_kv_string(&j, "name", c->stages[i].name);
        json_kv_string(&j, "status", c->stages[i].status);
        json_key(&j, "seconds");
        json_double(&j, c->stages[i].seconds);
        json_kv_string(&j, "note", c->stages[i].note[0] ? c->stages[i].note : NULL);
        json_end_object(&j);
    }
    json_end_array(&j);
    json_key(&j, "findings");
    json_begin_array(&j);
    for (size_t i = 0; c->findings && i < nfsroot_findings_get_n(c->findings); i++) {
        const nfsroot_finding *x = nfsroot_findings_get(c->findings, i);
        json_begin_object(&j);
        json_kv_string(&j, "level", nfsroot_finding_level_name(nfsroot_finding_get_level(x)));
        json_kv_string(&j, "code", nfsroot_finding_get_code(x));
        json_kv_string(&j, "message", nfsroot_finding_get_message(x));
        json_end_object(&j);
    }
    json_end_array(&j);
    json_end_object(&j);
    json_finish(&j);
}

/* How to log in, on stdout only: never into the log or syslog (docs/SECURITY.md). A generated
 * password is shown here once, in the line scripts and the README parse. */
static void print_way_in(const create_ctx *c)
{
    const char *name = cli_esc(c->o->name);
    if (c->root_password[0])
        printf("root password (shown once): %s\n", c->root_password);
    if (c->o->ssh_key && c->has_sshd)
        printf("log in: ssh root@%s%s%s, with the key of --ssh-key\n",
               c->pin.ip[0] ? c->pin.ip : "ADDRESS (virsh domifaddr ", c->pin.ip[0] ? "" : name,
               c->pin.ip[0] ? "" : ")");
    else if (c->o->ssh_key)
        printf("log in: not by ssh: the tree has no sshd (add --packages openssh-server, or give "
               "--root-password-file for virsh console %s)\n",
               name);
    if (c->root_password[0] || c->o->root_password_file)
        printf("log in: virsh console %s, user root\n", name);
    else if (!c->o->ssh_key)
        printf("log in: virsh console %s, user root, with the tree's own root password\n", name);
}

static void print_done(const create_ctx *c)
{
    const char *name = cli_esc(c->o->name);
    if (c->o->cache_only) {
        printf("cached tree ready: %s (kernel %s)\n",
               cli_esc(c->cache_entry ? c->cache_entry : "?"), cli_esc(c->kver ? c->kver : "?"));
        return;
    }
    printf("%s domain '%s' (%.0f s): root '%s', kernel %s\n",
           c->o->dry_run ? "would define" : "defined", name, create_now() - c->t0,
           cli_esc(c->target), cli_esc(c->kver ? c->kver : "?"));
    if (c->o->start && !c->o->dry_run)
        printf("started; its console: virsh console %s\n", name);
    else if (!c->o->dry_run)
        printf("start it with: virsh start %s --console\n", name);
    if (!c->o->dry_run)
        print_way_in(c);
}

/* create-NAME.log.(N-1) -> .N, ..., create-NAME.log -> .1: the last CREATE_LOG_KEEP runs of a
 * name keep their output (a rerun no longer overwrote the log of the run that failed). */
static void rotate_logs(const char *logdir, const char *name)
{
    _cleanup_close_ int dfd = open(logdir, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return;
    for (int i = CREATE_LOG_KEEP - 1; i >= 0; i--) {
        char from[128], to[128];
        snprintf(from, sizeof(from), i ? "create-%s.log.%d" : "create-%s.log", name, i);
        snprintf(to, sizeof(to), "create-%s.log.%d", name, i + 1);
        (void)renameat(dfd, from, dfd, to);
    }
}

static int open_log(create_ctx *c)
{
    const char *dir = c->cache_dir ? c->cache_dir : "/var/tmp";
    if (asprintf(&c->log_path, "%s/log/create-%s.log", dir, c->o->name) < 0)
        return -ENOMEM;
    char logdir[4096];
    snprintf(logdir, sizeof(logdir), "%s/log", dir);
    (void)mkdir(dir, 0755);
    (void)mkdir(logdir, 0700);
    rotate_logs(logdir, c->o->name);
    c->log_fd = open(c->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (c->log_fd < 0) {
        int e = errno;
        cli_error("cannot write the log '%s': %s", c->log_path, strerror(e));
        return -e;
    }
    return 0;
}

static int create_prepare(create_ctx *c)
{
    nfsroot_error err = { 0 };
    int r = cli_policy_load(&c->policy, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot load the policy"), r;
    const char *cache = secure_getenv("VIRT_NFSROOT_CACHE_DIR");
    if (!cache)
        cache = CREATE_CACHE_DIR;
    if (cache[0] && !(c->cache_dir = strdup(cache)))
        return -ENOMEM;
    /* Every refusal that changes nothing comes first: source, target, then the domain. */
    if ((r = create_source_check(c)) < 0 || (r = create_target_check(c)) < 0)
        return r;
    if (!c->o->cache_only && (r = create_domain_precheck(c)) < 0)
        return r;
    if (c->o->dry_run)
        return 0;
    if ((r = create_target_make(c)) < 0)
        return r;
    return open_log(c);
}

/* --cache-list, --cache-prune: the tree cache alone. */
static int cache_cmd(create_opts *o)
{
    _cleanup_(ctx_done) create_ctx c = { .o = o, .log_fd = -1, .stages_fd = -1 };
    const char *cache = secure_getenv("VIRT_NFSROOT_CACHE_DIR");
    if (!cache)
        cache = CREATE_CACHE_DIR;
    if (cache[0] && !(c.cache_dir = strdup(cache)))
        return EXIT_FAIL;
    return create_cache_cmd(&c) < 0 ? EXIT_FAIL : EXIT_OK;
}

int create_run(create_opts *o)
{
    if (o->cache_list || o->cache_prune)
        return cache_cmd(o);
    cli_log_open();
    _cleanup_(ctx_done)
        create_ctx c = { .o = o, .log_fd = -1, .stages_fd = -1, .t0 = create_now() };
    create_catch_signals();
    int r = create_prepare(&c);
    if (r < 0) {
        create_tree_abandon(&c);
        if (cli.json)
            print_json(&c, r);
        return EXIT_FAIL;
    }
    if (o->dry_run) {
        if (cli.json)
            print_json(&c, 0);
        else if (o->cache_only)
            printf("would fill the tree cache in '%s'\n",
                   cli_esc(c.cache_dir ? c.cache_dir : "(none)"));
        else
            printf("would create domain '%s' with its root tree in '%s'\n", cli_esc(o->name),
                   cli_esc(c.target));
        return EXIT_OK;
    }
    r = run_stages(&c);
    /* A guest that is complete but did not start (the hook refused, say) stays defined. */
    bool start_failed = r < 0 && r != -EINTR && c.n_stages == ELEMENTSOF(stages);
    if ((r == 0 || start_failed) && !o->cache_only)
        create_tree_finish(&c);
    if (start_failed) {
        cli_error("domain '%s' is defined but did not start: fix the above, then 'virsh start "
                  "%s'",
                  o->name, o->name);
        if (!cli.json)
            print_way_in(&c);
    } else if (r < 0) {
        create_undefine(&c);
        create_tree_abandon(&c);
        say_leftovers(&c, r);
        /* The tree kept for --reuse has the password already: a resumed run would not show
         * it again. */
        if (c.cmdline && !cli.json)
            print_way_in(&c);
    }
    /* The tree this run made (or an unfinished run made for NAME: --reuse) is recorded as the
     * domain's, done or not: delete --tree removes that alone. */
    if (!o->cache_only && c.uuid[0] && (c.target_made || o->reuse) &&
        owned_record_tree(c.conn, c.uuid, o->name, c.target, c.target_made) < 0)
        cli_warn("domain '%s': 'virt-nfsroot delete --tree' will not remove '%s'", o->name,
                 c.target);
    if (cli.json)
        print_json(&c, r);
    else if (r == 0)
        print_done(&c);
    return r < 0 ? EXIT_FAIL : EXIT_OK;
}
