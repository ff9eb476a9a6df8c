/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot reconcile: make the exports match the running domains. Records whose domain no
 * longer runs are removed, running domains get back what the server lost, and what a backend
 * made that no record explains (left by a reboot or a crash) is taken down. Dry run by
 * default. */
#include <string.h>

#include "cli.h"

typedef struct action {
    char *domain; /* NULL for an orphan whose domain is unknown */
    char uuid[37];
    const char *what; /* "keep", "remove", "restore", "remove-orphan", "orphan", "unreadable" */
    char *reason;
    char *detail; /* paths, or the orphan */
    int done;     /* 1 done, 0 failed, -1 not attempted (dry run / nothing to do) */
    char *error;
} action;

#define ACTIONS_MAX 4096

typedef struct actions {
    action *v;
    size_t n;
} actions;

static void actions_done(actions *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].domain);
        free(a->v[i].reason);
        free(a->v[i].detail);
        free(a->v[i].error);
    }
    free(a->v);
}

static action *push(actions *a, const char *domain, const char *uuid, const char *what)
{
    if (a->n >= ACTIONS_MAX)
        return NULL;
    action *v = realloc(a->v, (a->n + 1) * sizeof(*v));
    if (!v)
        return NULL;
    a->v = v;
    action *x = &v[a->n++];
    *x = (action){ .domain = domain ? strdup(domain) : NULL, .what = what, .done = -1 };
    snprintf(x->uuid, sizeof(x->uuid), "%s", uuid ? uuid : "");
    return x;
}

/* The library's one sentence about a failure (caller frees). */
static char *lib_error_text(const nfsroot_error *err, int r)
{
    char line[2048];
    return strdup(err->code ? nfsroot_error_format(err, line, sizeof(line)) : strerror(-r));
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
    const nfsroot_export *e;
    for (size_t i = 0; (e = nfsroot_plan_get_export(plan, i)); i++) {
        const char *const *clients = nfsroot_export_get_clients(e);
        fprintf(f, "%s%s ", i ? "; " : "", nfsroot_export_get_path(e));
        for (size_t c = 0; clients[c]; c++)
            fprintf(f, "%s%s", c ? "," : "", clients[c]);
    }
    fclose(f);
    return buf;
}

/* What a backend made that no record owns (left by a reboot or a crash): the library lists
 * and removes them under its state lock; only whether the domain runs is asked here. */
static void orphan_action(const nfsroot_policy *p, virConnectPtr conn, bool apply,
                          const nfsroot_orphan *o, actions *acts, int *failures)
{
    char why[300] = "";
    tri s = domain_state(conn, NULL, o->uuid, why, sizeof(why));
    action *a = push(acts, NULL, o->uuid, s == TRI_NO ? "remove-orphan" : "orphan");
    if (!a)
        return;
    a->detail = strdup(o->where);
    if (s != TRI_NO) {
        (void)!asprintf(&a->reason,
                        "no record for this file, but %s: restart the domain to give it one",
                        s == TRI_YES ? "its domain runs" : why);
        return;
    }
    (void)!asprintf(&a->reason, "no record for this file and %s", why);
    if (!apply)
        return;
    nfsroot_error err = { 0 };
    int r = nfsroot_orphan_remove(p, o, &cli_log, &err);
    a->done = r == 0;
    if (r < 0) {
        a->error = lib_error_text(&err, r);
        (*failures)++;
    }
}

static int orphan_actions(const nfsroot_policy *p, virConnectPtr conn, bool apply, actions *acts,
                          int *failures)
{
    nfsroot_orphan *list = NULL;
    size_t n = 0;
    nfsroot_error err = { 0 };
    int r = nfsroot_orphans_list(p, &list, &n, &err);
    if (r < 0) {
        _cleanup_free_ char *text = lib_error_text(&err, r);
        cli_warn("cannot list what no record owns: %s", text ? text : strerror(-r));
        (*failures)++;
        return r;
    }
    for (size_t i = 0; i < n; i++)
        orphan_action(p, conn, apply, &list[i], acts, failures);
    nfsroot_orphans_free(list, n);
    return 0;
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

/* Nothing is restored or removed from a record that cannot be read: a person looks. */
static void unreadable_actions(const nfsroot_state_bad *bad, size_t n_bad, bool apply,
                               actions *acts, int *failures)
{
    for (size_t i = 0; i < n_bad; i++) {
        action *a = push(acts, NULL, NULL, "unreadable");
        if (!a)
            return;
        a->reason = strdup(bad[i].reason);
        a->detail = strdup(bad[i].file);
        if (apply) {
            a->done = 0;
            a->error = strdup("left alone: check the exports it may stand for, then remove it");
            (*failures)++;
        }
    }
}

/* How many of a running domain's (path, client) pairs the backend that made them lost. */
static size_t count_lost(const nfsroot_policy *policy, const nfsroot_state *st, size_t *ret_total)
{
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *pb = NULL;
    size_t lost = 0, total = 0;
    if (nfsroot_policy_dup(policy, &pb) < 0) {
        *ret_total = 0;
        return 0;
    }
    nfsroot_policy_set_backend(pb, st->backend);
    const nfsroot_export *e;
    for (size_t i = 0; (e = nfsroot_plan_get_export(st->plan, i)); i++)
        for (const char *const *c = nfsroot_export_get_clients(e); *c; c++) {
            bool has = true;
            total++;
            if (nfsroot_backend_has(pb, nfsroot_export_get_path(e), *c, &has) == 0 && !has)
                lost++;
        }
    *ret_total = total;
    return lost;
}

static void record_action(const nfsroot_policy *policy, virConnectPtr conn, bool apply,
                          const nfsroot_state *st, actions *acts, int *failures)
{
    const nfsroot_plan *plan = st->plan;
    char why[300] = "";
    tri s = domain_state(conn, nfsroot_plan_get_domain(plan), nfsroot_plan_get_uuid(plan), why,
                         sizeof(why));
    if (s == TRI_UNKNOWN) {
        cli_warn("domain '%s': %s: left alone", nfsroot_plan_get_domain(plan), why);
        return;
    }
    size_t total = 0, lost = s == TRI_YES ? count_lost(policy, st, &total) : 0;
    const char *what = s == TRI_NO ? "remove" : lost ? "restore" : "keep";
    action *a = push(acts, nfsroot_plan_get_domain(plan), nfsroot_plan_get_uuid(plan), what);
    if (!a)
        return;
    a->detail = plan_paths(plan);
    if (s == TRI_NO)
        (void)!asprintf(&a->reason, "%s", why);
    else if (lost)
        (void)!asprintf(&a->reason,
                        "domain is running but the NFS server lost %zu of %zu export entries", lost,
                        total);
    else
        (void)!asprintf(&a->reason, "domain is running and exported");
    if (!apply || !strcmp(what, "keep"))
        return;
    nfsroot_error e = { 0 };
    int r = s == TRI_NO ? nfsroot_remove(policy, nfsroot_plan_get_domain(plan), &cli_log, &e)
                        : nfsroot_ensure(policy, nfsroot_plan_get_domain(plan), &cli_log, &e);
    a->done = r == 0;
    if (r < 0) {
        a->error = lib_error_text(&e, r);
        (*failures)++;
    }
}

/* Records first (unreadable ones, then each readable one), then orphans; print; exit status. */
static int reconcile(const nfsroot_policy *policy, virConnectPtr conn, bool apply, bool boot)
{
    _cleanup_(cli_records_done) cli_records rec = { 0 };
    if (cli_records_load(policy, &rec) < 0)
        return EXIT_FAIL;
    _cleanup_(actions_done) actions acts = { 0 };
    int failures = 0;
    unreadable_actions(rec.bad, rec.n_bad, apply, &acts, &failures);
    for (size_t i = 0; i < rec.n; i++)
        record_action(policy, conn, apply, rec.v[i], &acts, &failures);
    (void)orphan_actions(policy, conn, apply, &acts, &failures);

    if (cli.json)
        print_json(&acts, apply, boot);
    else
        print_text(&acts, apply);
    size_t changes = 0;
    for (size_t i = 0; i < acts.n; i++)
        changes += strcmp(acts.v[i].what, "keep") != 0;
    if (apply)
        return failures ? EXIT_FAIL : EXIT_OK;
    return changes || failures ? EXIT_FAIL : EXIT_OK;
}

static int cmd_reconcile(int argc, char **argv);

typedef struct reconcile_opts {
    bool apply, boot;
    const char *break_claim, *host;
} reconcile_opts;

enum { OPT_APPLY = CLI_KEY_FIRST, OPT_BOOT, OPT_BREAK_CLAIM, OPT_HOST };
const cli_command cli_cmd_reconcile = {
    CLI_COMMAND_TEXT(reconcile),
    .args = "",
    .opts =
        (const cli_opt[]){
            { "apply", OPT_APPLY, CLI_NO_ARG, NULL, "do it (needs root)", NULL },
            { "boot", OPT_BOOT, CLI_NO_ARG, NULL,
              "at host boot, before libvirtd: no domain runs, do not ask libvirt", NULL },
            { "break-claim", OPT_BREAK_CLAIM, CLI_ARG, "PATH",
              "remove the claim on export PATH left by a host that died for good", NULL },
            { "host", OPT_HOST, CLI_ARG, "ID", "with --break-claim: only if host ID holds it",
              NULL },
            { 0 } },
    .sets = (const cli_set[]){ CLI_SET_FLAG(OPT_APPLY, reconcile_opts, apply),
                               CLI_SET_FLAG(OPT_BOOT, reconcile_opts, boot),
                               CLI_SET_STRING(OPT_BREAK_CLAIM, reconcile_opts, break_claim),
                               CLI_SET_STRING(OPT_HOST, reconcile_opts, host),
                               { 0 } },
    .run = cmd_reconcile,
};

/* The claim a host that will not come back left on shared storage: root says so, by hand. */
static int break_claim(const nfsroot_policy *policy, const char *path, const char *host)
{
    nfsroot_error err = { 0 };
    char domain[256] = "";
    int r = nfsroot_claim_break(policy, path, host, domain, sizeof(domain), &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot break the claim");
    printf("Broke the claim of domain '%s' on '%s': make sure it does not run anywhere.\n",
           cli_esc(domain), cli_esc(path));
    return EXIT_OK;
}

static int cmd_reconcile(int argc, char **argv)
{
    reconcile_opts o = { 0 };
    int c = cli_parse(&cli_cmd_reconcile, argc, argv, NULL, &o, 0);
    if (c < 0)
        return cli_parse_exit(c);
    bool apply = o.apply, boot = o.boot;

    cli_log_open();
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *policy = NULL;
    nfsroot_error err = { 0 };
    int r = cli_policy_load(&policy, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot load the policy");
    if (o.host && !o.break_claim)
        return cli_usage_error("reconcile", "--host goes with --break-claim");
    if (o.break_claim)
        return break_claim(policy, o.break_claim, o.host);
    virConnectPtr conn = NULL;
    if (!boot) {
        char why[512];
        conn = cli_connect(true, why, sizeof(why));
        if (!conn) {
            cli_error("cannot connect to libvirt at %s (%s): reconcile must know which domains "
                      "run; at host boot, before libvirtd, use --boot",
                      cli.uri ? cli.uri : DEFAULT_URI, why);
            return EXIT_FAIL;
        }
    }
    r = reconcile(policy, conn, apply, boot);
    if (conn)
        virConnectClose(conn);
    return r;
}
