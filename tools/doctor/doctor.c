/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot doctor: the host checks a root-on-NFS guide makes people do by hand, each with a
 * verdict and the fix. Every file it reads is taken below --root, so tests run it on fixture
 * hosts; it never changes anything. This file is the runner: the table of checks, their
 * verdicts, and the text and JSON reports. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"

static const char *const status_names[ST_MAX] = { "pass", "warn", "fail", "skip" };
static const char *const status_labels[ST_MAX] = { "PASS", "WARN", "FAIL", "SKIP" };

/* In the order they run: later checks use what earlier ones found (the policy, nfsd's
 * versions, the hook's time). */
static void (*const checks[])(doctor *d) = {
    check_policy,        /* host.c */
    check_nfs_server,    /* nfs-server.c */
    check_nfs_conf,      /* nfs-server.c */
    check_rpcbind,       /* nfs-server.c */
    check_exportfs,      /* nfs-server.c */
    check_export_roots,  /* exports.c */
    check_export_mounts, /* mounts.c */
    check_exports_scope, /* exports.c */
    check_hook,          /* libvirt.c */
    check_daemon_order,  /* libvirt.c */
    check_networks,      /* libvirt.c */
    check_migration,     /* libvirt.c */
    check_kvm,           /* libvirt.c */
    check_nss,           /* host.c */
    check_idmap,         /* host.c */
    check_clock,         /* host.c */
};

void doctor_add(doctor *d, const char *id, status st, const char *fix, const char *fmt, ...)
{
    if (d->n_checks >= ELEMENTSOF(d->checks))
        return;
    check *c = &d->checks[d->n_checks++];
    c->id = id;
    c->st = st;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&c->summary, fmt, ap) < 0)
        c->summary = NULL;
    va_end(ap);
    c->fix = fix ? strdup(fix) : NULL;
}

static void print_text(const doctor *d, const size_t counts[ST_MAX])
{
    size_t w = 0;
    for (size_t i = 0; i < d->n_checks; i++)
        if (strlen(d->checks[i].id) > w)
            w = strlen(d->checks[i].id);
    static const char *const colors[ST_MAX] = { "green", "yellow", "red", "bold" };
    for (size_t i = 0; i < d->n_checks; i++) {
        const check *c = &d->checks[i];
        printf("%s%s%s  %-*s  %s\n", cli_color(stdout, colors[c->st]), status_labels[c->st],
               cli_color(stdout, "reset"), (int)w, c->id, c->summary ? cli_esc(c->summary) : "");
        /* Summaries quote files, paths and network names: escaped, one line each. */
        if (c->fix && c->st != ST_PASS)
            printf("      %-*s  fix: %s\n", (int)w, "", cli_esc(c->fix));
        else if (c->fix && cli.verbose)
            printf("      %-*s  hint: %s\n", (int)w, "", cli_esc(c->fix));
    }
    printf("\n%zu passed, %zu warning%s, %zu failed", counts[ST_PASS], counts[ST_WARN],
           counts[ST_WARN] == 1 ? "" : "s", counts[ST_FAIL]);
    if (counts[ST_SKIP])
        printf(", %zu skipped", counts[ST_SKIP]);
    printf("\n");
}

static void print_json(const doctor *d, const size_t counts[ST_MAX])
{
    json j;
    json_init(&j, stdout);
    json_begin_object(&j);
    json_kv_string(&j, "root", d->root);
    json_kv_string(&j, "policy", d->policy ? nfsroot_policy_get_source(d->policy) : NULL);
    json_key(&j, "checks");
    json_begin_array(&j);
    for (size_t i = 0; i < d->n_checks; i++) {
        const check *c = &d->checks[i];
        json_begin_object(&j);
        json_kv_string(&j, "id", c->id);
        json_kv_string(&j, "status", status_names[c->st]);
        json_kv_string(&j, "summary", c->summary);
        json_kv_string(&j, "fix", c->fix);
        json_end_object(&j);
    }
    json_end_array(&j);
    json_key(&j, "counts");
    json_begin_object(&j);
    for (int s = 0; s < ST_MAX; s++)
        json_kv_int(&j, status_names[s], (int64_t)counts[s]);
    json_end_object(&j);
    json_kv_bool(&j, "ok", counts[ST_FAIL] == 0);
    json_end_object(&j);
    json_finish(&j);
}

/* Open --root; below a fixture root every file is opened inside it (nfsroot_host_open: openat2
 * RESOLVE_IN_ROOT, or the library's walk where openat2 is missing). */
static int open_root(doctor *d)
{
    struct stat rst;
    d->root_fd = open(d->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (d->root_fd < 0 || fstat(d->root_fd, &rst) < 0)
        return cli_usage_error("doctor", "--root '%s': %s", d->root, strerror(errno));
    d->root_uid = rst.st_uid;
    return 0;
}

static int run(doctor *d)
{
    for (size_t i = 0; i < ELEMENTSOF(checks); i++)
        checks[i](d);
    size_t counts[ST_MAX] = { 0 };
    for (size_t i = 0; i < d->n_checks; i++)
        counts[d->checks[i].st]++;
    if (cli.json)
        print_json(d, counts);
    else
        print_text(d, counts);
    return counts[ST_FAIL] ? EXIT_FAIL : EXIT_OK;
}

/* _cleanup_(doctor_done): what the checks collected. */
static void doctor_done(doctor **dp)
{
    doctor *d = *dp;
    for (size_t i = 0; i < d->n_checks; i++) {
        free(d->checks[i].summary);
        free(d->checks[i].fix);
    }
    for (size_t i = 0; i < d->n_nets; i++)
        nfsroot_netinfo_free(d->nets[i].info);
    nfsroot_policy_free(d->policy);
    nfsroot_probe_free(d->probe);
    if (d->root_fd >= 0)
        close(d->root_fd);
}

static int cmd_doctor(int argc, char **argv);

enum { OPT_ROOT = CLI_KEY_FIRST };
const cli_command cli_cmd_doctor = {
    CLI_COMMAND_TEXT(doctor),
    .args = "",
    .opts = (const cli_opt[]){ { "root", OPT_ROOT, CLI_ARG, "DIR",
                                 "read every host file below DIR instead of / (fixture hosts)",
                                 "@dir" },
                               { 0 } },
    .run = cmd_doctor,
};

/* --root DIR, resolved now: every check reads below it. */
static int doctor_opt(void *userdata, int key, const char *arg, int argc _unused_,
                      char **argv _unused_)
{
    char *rootbuf = userdata; /* PATH_MAX bytes */
    if (key == OPT_ROOT && !realpath(arg, rootbuf))
        return cli_usage_error("doctor", "--root '%s': %s", arg, strerror(errno));
    return 0;
}

static int cmd_doctor(int argc, char **argv)
{
    doctor d = { .root = "/", .root_fd = -1 };
    char rootbuf[PATH_MAX] = "";
    int c = cli_parse(&cli_cmd_doctor, argc, argv, doctor_opt, rootbuf, 0);
    if (c < 0)
        return cli_parse_exit(c);
    if (rootbuf[0])
        d.root = rootbuf;

    _cleanup_(doctor_done) doctor *dp = &d;
    int r = open_root(dp);
    return r != 0 ? r : run(dp);
}
