/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot reconcile: make the exports match the running domains. Records whose domain no
 * longer runs are removed, running domains get back what the server lost, and exports.d files
 * of ours that no record explains (left by a reboot or a crash) are taken down. Dry run by
 * default. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <syslog.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

typedef struct action {
    char *domain; /* NULL for an orphan file whose domain is unknown */
    char uuid[37];
    const char *what; /* "keep", "remove", "restore", "remove-orphan", "orphan", "unreadable" */
    char *reason;
    char *detail; /* paths, or the orphan file */
    int done;     /* 1 done, 0 failed, -1 not attempted (dry run / nothing to do) */
    char *error;
} action;

typedef struct actions {
    action v[1024];
    size_t n;
} actions;

static action *push(actions *a, const char *domain, const char *uuid, const char *what)
{
    if (a->n >= ELEMENTSOF(a->v))
        return NULL;
    action *x = &a->v[a->n++];
    memset(x, 0, sizeof(*x));
    x->domain = domain ? strdup(domain) : NULL;
    snprintf(x->uuid, sizeof(x->uuid), "%s", uuid ? uuid : "");
    x->what = what;
    x->done = -1;
    return x;
}

static void usage(void)
{
    printf("Usage: virt-nfsroot reconcile [--apply] [--boot] [--json] [--connect URI]\n"
           "\n"
           "Compare what virt-nfsroot exports (its state records and its files in the\n"
           "exports directory) with the domains libvirt runs, and say what is out of step:\n"
           "  remove         a record whose domain is not running: its exports go\n"
           "  restore        a running domain whose exports the NFS server lost\n"
           "  remove-orphan  a file of ours with no record, whose domain is not running\n"
           "  orphan         such a file whose domain runs (left alone: restart the domain)\n"
           "  unreadable     a record that cannot be read (left alone: check it by hand)\n"
           "Nothing changes without --apply.\n"
           "\n"
           "  --apply   do it (needs root)\n"
           "  --boot    at host boot, before libvirtd: no domain runs, do not ask libvirt\n"
           "\n"
           "Exit status: dry run: 0 in step, 1 changes pending; --apply: 0 done, 1 something\n"
           "failed; 2 usage error.\n");
}

/* At host boot (no connection) no domain runs; otherwise libvirt says. */
static tri domain_state(virConnectPtr conn, const char *name, const char *uuid, char *why,
                        size_t len)
{
    if (!conn) {
        snprintf(why, len, "at boot no domain runs");
        return TRI_NO;
    }
    return cli_domain_running(conn, name, uuid, why, len);
}

static char *plan_paths(const nfsroot_plan *plan)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; i < plan->n_exports; i++) {
        fprintf(f, "%s%s ", i ? "; " : "", plan->exports[i].path);
        for (size_t c = 0; plan->exports[i].clients[c]; c++)
            fprintf(f, "%s%s", c ? "," : "", plan->exports[i].clients[c]);
    }
    fclose(f);
    return buf;
}

/* --------------------------------------------------------------------------------------------
 * Orphan files: "virt-nfsroot-<uuid>.exports" in exports_dir with no record. */

static int run_exportfs(const char *exportfs, const char *client, const char *path)
{
    char arg[4200];
    if (strchr(client, ':'))
        snprintf(arg, sizeof(arg), "[%s]:%s", client, path);
    else
        snprintf(arg, sizeof(arg), "%s:%s", client, path);
    char *argv[] = { (char *)exportfs, (char *)"-u", arg, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int r = posix_spawn(&pid, exportfs, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        return -r;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -EINTR;
}

/* Take down one orphan file: the file first (so `exportfs -ra` cannot bring it back), then each
 * of its entries the server still has. */
static int remove_orphan(const nfsroot_policy *p, const char *file, char **ret_error)
{
    _cleanup_free_ char *text = NULL;
    int r = cli_read_file(file, 1024 * 1024, &text, NULL);
    if (r < 0) {
        (void)!asprintf(ret_error, "cannot read '%s': %s", file, strerror(-r));
        return r;
    }
    if (unlink(file) < 0 && errno != ENOENT) {
        (void)!asprintf(ret_error, "cannot remove '%s': %s", file, strerror(errno));
        return -errno;
    }
    int result = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] != '/')
            continue;
        char *tsave = NULL;
        char *path = strtok_r(line, " \t", &tsave);
        for (char *t = strtok_r(NULL, " \t", &tsave); path && t;
             t = strtok_r(NULL, " \t", &tsave)) {
            char client[256];
            snprintf(client, sizeof(client), "%.*s", (int)strcspn(t, "("), t);
            bool has = false;
            if (nfsroot_backend_has(p, path, client, &has) == 0 && !has)
                continue;
            (void)run_exportfs(p->exportfs, client, path);
            if (nfsroot_backend_has(p, path, client, &has) == 0 && has && result == 0) {
                (void)!asprintf(ret_error, "'exportfs -u %s:%s' did not remove the export", client,
                                path);
                result = -EIO;
            }
        }
    }
    if (result == 0)
        syslog(LOG_INFO, "reconcile: removed orphan '%s'", cli_esc(file));
    return result;
}

static bool uuid_recorded(nfsroot_state **list, size_t n, const char *uuid)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(list[i]->plan->uuid, uuid))
            return true;
    return false;
}

/* Under the state lock (the hook writes its record before its file: a file without a record
 * cannot be a start in progress while we hold it). */
static int scan_orphans(const nfsroot_policy *p, virConnectPtr conn, bool apply, actions *acts,
                        int *failures)
{
    if (p->backend != NFSROOT_BACKEND_KERNEL)
        return 0;
    DIR *dir = opendir(p->exports_dir);
    if (!dir)
        return errno == ENOENT ? 0 : -errno;
    int lock = -1;
    char lockpath[4200];
    snprintf(lockpath, sizeof(lockpath), "%s/lock", p->state_dir);
    lock = open(lockpath, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (lock >= 0)
        while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
            ;
    nfsroot_state **list = NULL;
    size_t n = 0;
    nfsroot_error err = { 0 };
    int r = nfsroot_state_list(p, &list, &n, &err);
    struct dirent *de;
    while (r == 0 && (de = readdir(dir))) {
        const char *name = de->d_name;
        size_t l = strlen(name);
        if (strncmp(name, "virt-nfsroot-", 13) || l != 13 + 36 + 8 ||
            strcmp(name + l - 8, ".exports"))
            continue;
        char uuid[37];
        snprintf(uuid, sizeof(uuid), "%.36s", name + 13);
        if (uuid_recorded(list, n, uuid))
            continue;
        char why[300] = "", file[4400];
        snprintf(file, sizeof(file), "%s/%s", p->exports_dir, name);
        tri s = domain_state(conn, NULL, uuid, why, sizeof(why));
        action *a = push(acts, NULL, uuid, s == TRI_NO ? "remove-orphan" : "orphan");
        if (!a)
            break;
        a->detail = strdup(file);
        if (s == TRI_NO) {
            (void)!asprintf(&a->reason, "no record for this file and %s", why);
            if (apply) {
                a->done = remove_orphan(p, file, &a->error) == 0;
                *failures += !a->done;
            }
        } else
            (void)!asprintf(&a->reason,
                            "no record for this file, but %s: restart the domain "
                            "to give it one",
                            s == TRI_YES ? "its domain runs" : why);
    }
    nfsroot_state_list_free(list, n);
    closedir(dir);
    if (lock >= 0)
        close(lock);
    return r;
}

/* ---------------------------------------------------------------------------------------- */

static void print_text(const actions *acts, bool apply)
{
    size_t changes = 0;
    for (size_t i = 0; i < acts->n; i++) {
        const action *a = &acts->v[i];
        bool keep = !strcmp(a->what, "keep");
        if (keep && !cli.verbose)
            continue;
        changes += !keep;
        const char *col = a->done == 0 ? "red" : keep || a->done == 1 ? "green" : "yellow";
        /* Names, paths and reasons come from records and files a guest's XML shaped. */
        printf("%s%-13s%s  %s%s: %s", cli_color(stdout, col), a->what, cli_color(stdout, "reset"),
               a->domain    ? "domain "
               : a->uuid[0] ? "uuid "
                            : "record",
               cli_esc(a->domain ? a->domain : a->uuid), a->reason ? cli_esc(a->reason) : "");
        if (a->detail)
            printf(" [%s]", cli_esc(a->detail));
        if (a->done == 1)
            printf(": done");
        else if (a->done == 0)
            printf(": FAILED: %s", a->error ? cli_esc(a->error) : "unknown error");
        printf("\n");
    }
    if (!changes)
        printf("In step: every managed export belongs to a running domain.\n");
    else if (!apply)
        printf("Dry run: 'virt-nfsroot reconcile --apply' does this.\n");
}

static void print_json(const actions *acts, bool apply, bool boot)
{
    json j;
    json_init(&j, stdout);
    json_begin_object(&j);
    json_kv_bool(&j, "apply", apply);
    json_kv_bool(&j, "boot", boot);
    json_key(&j, "actions");
    json_begin_array(&j);
    size_t changes = 0;
    for (size_t i = 0; i < acts->n; i++) {
        const action *a = &acts->v[i];
        changes += strcmp(a->what, "keep") != 0;
        json_begin_object(&j);
        json_kv_string(&j, "domain", a->domain);
        json_kv_string(&j, "uuid", a->uuid[0] ? a->uuid : NULL);
        json_kv_string(&j, "action", a->what);
        json_kv_string(&j, "reason", a->reason);
        json_kv_string(&j, "detail", a->detail);
        json_key(&j, "done");
        if (a->done < 0)
            json_null(&j);
        else
            json_bool(&j, a->done == 1);
        json_kv_string(&j, "error", a->error);
        json_end_object(&j);
    }
    json_end_array(&j);
    json_kv_int(&j, "changes", (int64_t)changes);
    json_end_object(&j);
    json_finish(&j);
}

int cmd_reconcile(int argc, char **argv)
{
    enum { OPT_APPLY = OPT_FIRST_LOCAL, OPT_BOOT };
    static const struct option opts[] = {
        CLI_COMMON_LONGOPTS,
        { "apply", no_argument, NULL, OPT_APPLY },
        { "boot", no_argument, NULL, OPT_BOOT },
        {},
    };
    bool apply = false, boot = false;
    int c;
    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts, NULL)) != -1) {
        int r = cli_common_opt(c, optarg, "reconcile");
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        if (c == 'h') {
            usage();
            return EXIT_OK;
        }
        if (c == OPT_APPLY) {
            apply = true;
            continue;
        }
        if (c == OPT_BOOT) {
            boot = true;
            continue;
        }
        return cli_usage_error("reconcile", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage_error("reconcile", "unexpected argument '%s'", argv[optind]);

    cli_log_open();
    nfsroot_error err = { 0 };
    nfsroot_policy *policy = NULL;
    int r = cli_policy_load(&policy, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot load the policy");
    virConnectPtr conn = NULL;
    if (!boot) {
        char why[512];
        conn = cli_connect(true, why, sizeof(why));
        if (!conn) {
            cli_error("cannot connect to libvirt at %s (%s): reconcile must know which domains "
                      "run; at host boot, before libvirtd, use --boot",
                      cli.uri ? cli.uri : DEFAULT_URI, why);
            nfsroot_policy_free(policy);
            return EXIT_FAIL;
        }
    }
    nfsroot_state **list = NULL;
    nfsroot_state_bad *bad = NULL;
    size_t n = 0, n_bad = 0;
    r = nfsroot_state_list_all(policy, &list, &n, &bad, &n_bad, &err);
    if (r < 0) {
        if (conn)
            virConnectClose(conn);
        nfsroot_policy_free(policy);
        return cli_lib_error(&err, r, "cannot read the state directory");
    }
    static actions acts;
    int failures = 0;
    /* Nothing is restored or removed from a record that cannot be read: a person looks. */
    for (size_t i = 0; i < n_bad; i++) {
        action *a = push(&acts, NULL, NULL, "unreadable");
        if (!a)
            break;
        a->reason = strdup(bad[i].reason);
        a->detail = strdup(bad[i].file);
        if (apply) {
            a->done = 0;
            a->error = strdup("left alone: check the exports it may stand for, then remove it");
            failures++;
        }
    }
    nfsroot_state_bad_free(bad, n_bad);
    for (size_t i = 0; i < n; i++) {
        const nfsroot_plan *plan = list[i]->plan;
        char why[300] = "";
        tri s = domain_state(conn, plan->domain, plan->uuid, why, sizeof(why));
        if (s == TRI_UNKNOWN) {
            cli_warn("domain '%s': %s: left alone", plan->domain, why);
            continue;
        }
        nfsroot_policy pb = *policy;
        pb.backend = list[i]->backend;
        size_t lost = 0, total = 0;
        for (size_t e = 0; s == TRI_YES && e < plan->n_exports; e++)
            for (size_t cl = 0; plan->exports[e].clients[cl]; cl++) {
                bool has = true;
                total++;
                if (nfsroot_backend_has(&pb, plan->exports[e].path, plan->exports[e].clients[cl],
                                        &has) == 0 &&
                    !has)
                    lost++;
            }
        const char *what = s == TRI_NO ? "remove" : lost ? "restore" : "keep";
        action *a = push(&acts, plan->domain, plan->uuid, what);
        if (!a)
            break;
        a->detail = plan_paths(plan);
        if (s == TRI_NO)
            (void)!asprintf(&a->reason, "%s", why);
        else if (lost)
            (void)!asprintf(&a->reason,
                            "domain is running but the NFS server lost %zu of %zu "
                            "export entries",
                            lost, total);
        else
            (void)!asprintf(&a->reason, "domain is running and exported");
        if (!apply || !strcmp(what, "keep"))
            continue;
        nfsroot_error e = { 0 };
        r = s == TRI_NO ? nfsroot_remove(policy, plan->domain, &cli_log, &e)
                        : nfsroot_ensure(policy, plan->domain, &cli_log, &e);
        a->done = r == 0;
        if (r < 0) {
            char line[2048];
            a->error = strdup(e.code ? nfsroot_error_format(&e, line, sizeof(line)) : strerror(-r));
            failures++;
        }
    }
    nfsroot_state_list_free(list, n);
    r = scan_orphans(policy, conn, apply, &acts, &failures);
    if (r < 0) {
        cli_warn("cannot scan '%s' for orphan files: %s", policy->exports_dir, strerror(-r));
        failures++;
    }

    if (cli.json)
        print_json(&acts, apply, boot);
    else
        print_text(&acts, apply);
    size_t changes = 0;
    for (size_t i = 0; i < acts.n; i++) {
        changes += strcmp(acts.v[i].what, "keep") != 0;
        free(acts.v[i].domain);
        free(acts.v[i].reason);
        free(acts.v[i].detail);
        free(acts.v[i].error);
    }
    if (conn)
        virConnectClose(conn);
    nfsroot_policy_free(policy);
    if (apply)
        return failures ? EXIT_FAIL : EXIT_OK;
    return changes || failures ? EXIT_FAIL : EXIT_OK;
}
