/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot status: what the state dir says we export, checked against libvirt (is the domain
 * running?) and the NFS server (does it really export it?). */
#include <string.h>
#include <time.h>

#include "cli.h"

typedef struct row {
    const nfsroot_state *s;
    const nfsroot_export *e;
    tri running;
    tri *served; /* one per client */
    size_t n_served_yes, n_served_no;
    const char *state; /* "ok", "missing", "stale", "disagrees" */
    char note[256];
    nfsroot_export_view view; /* what a shared store (the ceph backend's cluster) holds */
} row;

static const char *tri_str(tri t)
{
    return t == TRI_YES ? "yes" : t == TRI_NO ? "no" : "unknown";
}

static void format_since(int64_t since, char *buf, size_t len)
{
    time_t t = (time_t)since;
    struct tm tm;
    if (since <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "unknown");
}

/* "cluster": the shared store's facts and the disagreement; null for a backend without. */
static void json_view(json *j, const nfsroot_export_view *v)
{
    json_key(j, "cluster");
    if (!v->n && !v->text[0]) {
        json_null(j);
        return;
    }
    json_begin_object(j);
    for (size_t i = 0; i < v->n; i++) {
        const nfsroot_view_fact *f = &v->facts[i];
        if (f->kind == NFSROOT_VIEW_STRING)
            json_kv_string(j, f->key, f->s);
        else if (f->kind == NFSROOT_VIEW_BOOL)
            json_kv_bool(j, f->key, f->b);
        else
            json_kv_string(j, f->key, NULL);
    }
    json_kv_string(j, "text", v->text);
    json_kv_string(j, "disagree", v->disagree[0] ? v->disagree : NULL);
    json_end_object(j);
}

static void json_row(json *j, const row *w)
{
    char since[64];
    format_since(w->s->since, since, sizeof(since));
    json_begin_object(j);
    json_kv_string(j, "domain", nfsroot_plan_get_domain(w->s->plan));
    const char *uuid = nfsroot_plan_get_uuid(w->s->plan);
    json_kv_string(j, "uuid", uuid[0] ? uuid : NULL);
    json_kv_string(j, "path", nfsroot_export_get_path(w->e));
    json_kv_string(j, "role", nfsroot_export_is_root(w->e) ? "root" : "extra");
    json_kv_bool(j, "readonly", nfsroot_export_is_readonly(w->e));
    json_key(j, "clients");
    json_begin_array(j);
    for (size_t c = 0; nfsroot_export_get_clients(w->e)[c]; c++)
        json_string(j, nfsroot_export_get_clients(w->e)[c]);
    json_end_array(j);
    json_kv_string(j, "options", nfsroot_export_get_options(w->e));
    json_kv_string(j, "backend", nfsroot_backend_name(w->s->backend));
    json_kv_int(j, "since", w->s->since);
    json_kv_string(j, "since_utc", since);
    json_key(j, "running");
    if (w->running == TRI_UNKNOWN)
        json_null(j);
    else
        json_bool(j, w->running == TRI_YES);
    json_key(j, "served");
    json_begin_object(j);
    for (size_t c = 0; nfsroot_export_get_clients(w->e)[c]; c++) {
        json_key(j, nfsroot_export_get_clients(w->e)[c]);
        if (w->served[c] == TRI_UNKNOWN)
            json_null(j);
        else
            json_bool(j, w->served[c] == TRI_YES);
    }
    json_end_object(j);
    json_view(j, &w->view);
    json_kv_string(j, "state", w->state);
    json_kv_string(j, "note", w->note[0] ? w->note : NULL);
    json_end_object(j);
}

/* libvirt's domain state as virsh words it. */
static const char *domain_state_str(int st)
{
    static const char *const names[] = {
        [VIR_DOMAIN_RUNNING] = "running",         [VIR_DOMAIN_BLOCKED] = "idle",
        [VIR_DOMAIN_PAUSED] = "paused",           [VIR_DOMAIN_SHUTDOWN] = "in shutdown",
        [VIR_DOMAIN_SHUTOFF] = "shut off",        [VIR_DOMAIN_CRASHED] = "crashed",
        [VIR_DOMAIN_PMSUSPENDED] = "pmsuspended",
    };
    return st >= 0 && (size_t)st < ELEMENTSOF(names) && names[st] ? names[st] : "unknown";
}

/* Every domain libvirt defines or runs with our element, running or not (the page starts and
 * stops them): name, uuid, libvirt's state. null when libvirt is not reachable. */
static void json_domains(json *j, virConnectPtr conn)
{
    json_key(j, "domains");
    virDomainPtr *doms = NULL;
    int n = conn ? virConnectListAllDomains(conn, &doms, 0) : -1;
    if (n < 0) {
        json_null(j);
        return;
    }
    json_begin_array(j);
    for (int i = 0; i < n; i++) {
        _cleanup_free_ char *md =
            virDomainGetMetadata(doms[i], VIR_DOMAIN_METADATA_ELEMENT, NFSROOT_XMLNS, 0);
        char uuid[VIR_UUID_STRING_BUFLEN] = "";
        int st = -1;
        if (md && virDomainGetUUIDString(doms[i], uuid) == 0 &&
            virDomainGetState(doms[i], &st, NULL, 0) == 0) {
            json_begin_object(j);
            json_kv_string(j, "name", virDomainGetName(doms[i]));
            json_kv_string(j, "uuid", uuid);
            json_kv_string(j, "state", domain_state_str(st));
            json_kv_bool(j, "running", virDomainIsActive(doms[i]) == 1);
            json_end_object(j);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    json_end_array(j);
}

static void print_json(row *rows, size_t n, bool reachable, const char *why, size_t problems,
                       const nfsroot_state_bad *bad, size_t n_bad, virConnectPtr conn)
{
    json j;
    json_init(&j, stdout);
    json_begin_object(&j);
    json_key(&j, "libvirt");
    json_begin_object(&j);
    json_kv_string(&j, "uri", cli.uri ? cli.uri : DEFAULT_URI);
    json_kv_bool(&j, "reachable", reachable);
    json_kv_string(&j, "error", reachable ? NULL : why);
    json_end_object(&j);
    json_key(&j, "exports");
    json_begin_array(&j);
    for (size_t i = 0; i < n; i++)
        json_row(&j, &rows[i]);
    json_end_array(&j);
    json_key(&j, "unreadable");
    json_begin_array(&j);
    for (size_t i = 0; i < n_bad; i++) {
        json_begin_object(&j);
        json_kv_string(&j, "file", bad[i].file);
        json_kv_string(&j, "error", bad[i].reason);
        json_end_object(&j);
    }
    json_end_array(&j);
    json_domains(&j, conn);
    json_kv_int(&j, "problems", (int64_t)problems);
    json_end_object(&j);
    json_finish(&j);
}

static void served_text(const row *w, char *buf, size_t len)
{
    size_t n = 0;
    while (nfsroot_export_get_clients(w->e)[n])
        n++;
    if (w->n_served_yes == n)
        snprintf(buf, len, "yes");
    else if (w->n_served_no == n)
        snprintf(buf, len, "no");
    else if (w->n_served_yes + w->n_served_no < n && w->n_served_no == 0)
        snprintf(buf, len, "unknown");
    else
        snprintf(buf, len, "%zu/%zu", w->n_served_yes, n);
}

enum { NCOL = 9 };
static const char *const head[NCOL] = { "DOMAIN", "PATH",    "CLIENTS", "OPTIONS", "BACKEND",
                                        "SINCE",  "RUNNING", "SERVED",  "STATE" };

static char *join_clients(const char *const *clients)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    for (size_t c = 0; clients[c]; c++)
        fprintf(f, "%s%s", c ? "," : "", clients[c]);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* One row's cells, escaped where a guest's XML shaped them ("?" when out of memory). */
static void row_cells(const row *w, char *cells[NCOL])
{
    char since[64], served[32];
    format_since(w->s->since, since, sizeof(since));
    served_text(w, served, sizeof(served));
    _cleanup_free_ char *clients = join_clients(nfsroot_export_get_clients(w->e));
    cells[0] = strdup(cli_esc(nfsroot_plan_get_domain(w->s->plan)));
    cells[1] = strdup(cli_esc(nfsroot_export_get_path(w->e)));
    cells[2] = strdup(clients ? cli_esc(clients) : "?");
    cells[3] = strdup(cli_esc(nfsroot_export_get_options(w->e)));
    cells[4] = strdup(nfsroot_backend_name(w->s->backend));
    cells[5] = strdup(since);
    cells[6] = strdup(tri_str(w->running));
    cells[7] = strdup(served);
    cells[8] = strdup(w->state);
    for (size_t c = 0; c < NCOL; c++)
        if (!cells[c])
            cells[c] = strdup("?");
}

static void print_row(char *const cells[NCOL], const size_t width[NCOL])
{
    for (size_t c = 0; c < NCOL; c++) {
        const char *v = cells[c] ? cells[c] : "?";
        if (c + 1 < NCOL) {
            printf("%-*s  ", (int)width[c], v);
            continue;
        }
        const char *col = !strcmp(v, "ok") ? "green" : "red";
        printf("%s%s%s", cli_color(stdout, col), v, cli_color(stdout, "reset"));
    }
    printf("\n");
}

static void print_table(row *rows, size_t n)
{
    if (n == 0) {
        printf("No managed exports.\n");
        return;
    }
    char *cells[n][NCOL];
    size_t width[NCOL];
    for (size_t c = 0; c < NCOL; c++)
        width[c] = strlen(head[c]);
    for (size_t i = 0; i < n; i++) {
        row_cells(&rows[i], cells[i]);
        for (size_t c = 0; c < NCOL; c++)
            if (cells[i][c] && strlen(cells[i][c]) > width[c])
                width[c] = strlen(cells[i][c]);
    }
    printf("%s", cli_color(stdout, "bold"));
    for (size_t c = 0; c < NCOL; c++)
        printf("%-*s%s", c + 1 < NCOL ? (int)width[c] : 0, head[c], c + 1 < NCOL ? "  " : "");
    printf("%s\n", cli_color(stdout, "reset"));
    for (size_t i = 0; i < n; i++) {
        print_row(cells[i], width);
        for (size_t c = 0; c < NCOL; c++)
            free(cells[i][c]);
    }
    for (size_t i = 0; i < n; i++)
        if (rows[i].view.text[0])
            printf("%s %s: cluster: %s\n", cli_esc(nfsroot_plan_get_domain(rows[i].s->plan)),
                   cli_esc(nfsroot_export_get_path(rows[i].e)), cli_esc(rows[i].view.text));
    for (size_t i = 0; i < n; i++)
        if (rows[i].note[0] && strcmp(rows[i].state, "ok"))
            printf("%s %s: %s\n", cli_esc(nfsroot_plan_get_domain(rows[i].s->plan)),
                   cli_esc(nfsroot_export_get_path(rows[i].e)), cli_esc(rows[i].note));
}

static void rows_free(row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].served);
    free(rows);
}

/* Ask the backend that made the record, whatever the policy says today. */
static void check_served(const nfsroot_policy *policy, const nfsroot_state *st, row *w)
{
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *pb = NULL;
    size_t nc = 0;
    while (nfsroot_export_get_clients(w->e)[nc])
        nc++;
    int dq = nfsroot_policy_dup(policy, &pb);
    if (pb)
        nfsroot_policy_set_backend(pb, st->backend);
    w->served = calloc(nc + 1, sizeof(*w->served));
    for (size_t cl = 0; cl < nc; cl++) {
        bool has = false;
        int q = !pb ? dq
                    : nfsroot_backend_has(pb, nfsroot_export_get_path(w->e),
                                          nfsroot_export_get_clients(w->e)[cl], &has);
        tri t = q < 0 ? TRI_UNKNOWN : has ? TRI_YES : TRI_NO;
        if (w->served)
            w->served[cl] = t;
        if (t == TRI_YES)
            w->n_served_yes++;
        else if (t == TRI_NO)
            w->n_served_no++;
        if (q < 0 && !w->note[0])
            snprintf(w->note, sizeof(w->note), "cannot ask the %s backend: %s",
                     nfsroot_backend_name(st->backend), strerror(-q));
    }
    if (w->running == TRI_NO)
        w->state = "stale";
    else if (w->n_served_no > 0) {
        w->state = "missing";
        if (!w->note[0])
            snprintf(w->note, sizeof(w->note),
                     "the NFS server does not export it to %zu of %zu client(s)", w->n_served_no,
                     nc);
    } else
        w->state = "ok";
}

/* The record's rows (one per export) with what its backend's shared store holds, if it has one:
 * a row whose record the store contradicts "disagrees" (unless already worse). */
static void check_view(const nfsroot_policy *policy, const nfsroot_state *st, row *rows)
{
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *pb = NULL;
    size_t n = nfsroot_plan_get_n_exports(st->plan);
    _cleanup_free_ nfsroot_export_view *v = calloc(n + 1, sizeof(*v));
    nfsroot_error err = { 0 };
    int r = v ? nfsroot_policy_dup(policy, &pb) : -ENOMEM;
    if (r == 0) {
        nfsroot_policy_set_backend(pb, st->backend);
        r = nfsroot_backend_view(pb, st->plan, v, &err);
    }
    for (size_t i = 0; i < n; i++) {
        row *w = &rows[i];
        if (r < 0)
            snprintf(w->view.text, sizeof(w->view.text), "cannot ask: %.240s",
                     err.message[0] ? err.message : strerror(-r));
        else
            w->view = v[i];
        if (w->view.disagree[0] && !strcmp(w->state, "ok")) {
            w->state = "disagrees";
            snprintf(w->note, sizeof(w->note), "%s", w->view.disagree);
        }
    }
}

/* One row per export of every record; returns how many are not "ok". */
static size_t fill_rows(const nfsroot_policy *policy, virConnectPtr conn, nfsroot_state **list,
                        size_t n_list, row *rows)
{
    size_t k = 0, problems = 0;
    for (size_t i = 0; i < n_list; i++) {
        char note[256] = "";
        tri running = cli_domain_running(conn, nfsroot_plan_get_domain(list[i]->plan),
                                         nfsroot_plan_get_uuid(list[i]->plan), note, sizeof(note));
        for (size_t e = 0; e < nfsroot_plan_get_n_exports(list[i]->plan); e++, k++) {
            row *w = &rows[k];
            w->s = list[i];
            w->e = nfsroot_plan_get_export(list[i]->plan, e);
            w->running = running;
            snprintf(w->note, sizeof(w->note), "%s", note);
            check_served(policy, list[i], w);
        }
        size_t n = nfsroot_plan_get_n_exports(list[i]->plan);
        check_view(policy, list[i], &rows[k - n]);
        for (size_t e = k - n; e < k; e++)
            problems += strcmp(rows[e].state, "ok") != 0;
    }
    return problems;
}

static void print_status(row *rows, size_t n_rows, bool reachable, const char *why, size_t problems,
                         const nfsroot_state_bad *bad, size_t n_bad, virConnectPtr conn)
{
    if (!reachable)
        cli_warn("cannot reach libvirt at %s (%s): whether domains run is unknown",
                 cli.uri ? cli.uri : DEFAULT_URI, why);
    if (cli.json) {
        print_json(rows, n_rows, reachable, why, problems, bad, n_bad, conn);
        return;
    }
    print_table(rows, n_rows);
    for (size_t i = 0; i < n_bad; i++)
        printf("%sunreadable%s %s\n", cli_color(stdout, "red"), cli_color(stdout, "reset"),
               bad[i].reason);
}

/* The records, checked against libvirt and the NFS server, printed; the exit status. */
static int status(const nfsroot_policy *policy)
{
    _cleanup_(cli_records_done) cli_records rec = { 0 };
    if (cli_records_load(policy, &rec) < 0)
        return EXIT_FAIL;
    cli_debug("state dir %s: %zu record(s)", nfsroot_policy_get_state_dir(policy), rec.n);

    char why[512] = "";
    /* --json also lists the annotated domains (running or not): it asks libvirt always. */
    virConnectPtr conn = rec.n || cli.json ? cli_connect(true, why, sizeof(why)) : NULL;
    bool reachable = conn || rec.n == 0;
    size_t n_rows = 0, problems = rec.n_bad;
    for (size_t i = 0; i < rec.n; i++)
        n_rows += nfsroot_plan_get_n_exports(rec.v[i]->plan);
    row *rows = calloc(n_rows ? n_rows : 1, sizeof(*rows));
    if (rows) {
        problems += fill_rows(policy, conn, rec.v, rec.n, rows);
        print_status(rows, n_rows, reachable, why, problems, rec.bad, rec.n_bad, conn);
    } else
        cli_error("out of memory");
    rows_free(rows, n_rows);
    if (conn)
        virConnectClose(conn);
    return !rows || problems ? EXIT_FAIL : EXIT_OK;
}

static int cmd_status(int argc, char **argv);

const cli_command cli_cmd_status = {
    CLI_COMMAND_TEXT(status),
    .args = "",
    .opts = (const cli_opt[]){ { 0 } },
    .run = cmd_status,
};

static int cmd_status(int argc, char **argv)
{
    int c = cli_parse(&cli_cmd_status, argc, argv, NULL, NULL, 0);
    if (c < 0)
        return cli_parse_exit(c);

    _cleanup_(nfsroot_policy_freep) nfsroot_policy *policy = NULL;
    nfsroot_error err = { 0 };
    int r = cli_policy_load(&policy, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot load the policy");
    return status(policy);
}
