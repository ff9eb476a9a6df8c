/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where guests' roots are exported from (the policy's export roots), and to whom: exports files
 * whose clients reach beyond the VM networks. The files are read by the library's parser. */
#include <string.h>

#include "doctor.h"

/* One export root: ST_PASS, or the problem in why and its fix. */
static status judge_root(const doctor *d, const char *r, char *why, size_t wlen, char *fix,
                         size_t flen)
{
    struct stat st;
    if (doctor_stat(d, r, false, &st) < 0) {
        snprintf(why, wlen, "export root '%s' does not exist", r);
        snprintf(fix, flen, "mkdir -p -m 0755 %s (and create /%s/<domain> for each guest)", r,
                 r + 1);
    } else if (S_ISLNK(st.st_mode)) {
        snprintf(why, wlen, "export root '%s' is a symbolic link", r);
        snprintf(fix, flen, "name the real directory in export_roots of the policy");
    } else if (!S_ISDIR(st.st_mode)) {
        snprintf(why, wlen, "export root '%s' is not a directory", r);
        snprintf(fix, flen, "make '%s' a directory or change export_roots", r);
    } else if (st.st_mode & S_IWOTH) {
        snprintf(why, wlen,
                 "export root '%s' is world-writable (mode %04o): any local user can plant a "
                 "guest root or a symlink in it",
                 r, (unsigned)(st.st_mode & 07777));
        snprintf(fix, flen, "chmod 0755 %s", r);
    } else if ((st.st_mode & S_IWGRP) || st.st_uid != d->root_uid) {
        snprintf(why, wlen, "export root '%s' is writable by %s (mode %04o, uid %u)", r,
                 st.st_uid != d->root_uid ? "a non-root owner" : "its group",
                 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
        snprintf(fix, flen, "chown root:root %s && chmod 0755 %s", r, r);
        return ST_WARN;
    } else
        return ST_PASS;
    return ST_FAIL;
}

void check_export_roots(doctor *d)
{
    status worst = ST_PASS;
    char msg[2048] = "", fix[1024] = "";
    size_t n = 0;
    for (const char *const *r = nfsroot_policy_get_export_roots(d->policy); r && *r; r++, n++) {
        char why[1024] = "", f[512] = "";
        status s = judge_root(d, *r, why, sizeof(why), f, sizeof(f));
        if (s > worst || (s == worst && s != ST_PASS && !msg[0])) {
            worst = s;
            snprintf(msg, sizeof(msg), "%s", why);
            snprintf(fix, sizeof(fix), "%s", f);
        }
    }
    if (worst == ST_PASS)
        doctor_add(d, "export-roots", ST_PASS, NULL,
                   "%zu export root(s) exist, writable by root only", n);
    else
        doctor_add(d, "export-roots", worst, fix, "%s", msg);
}

/* ---------------------------------------------------------------------------------------- */
/* Exports wider than the VM networks */

typedef struct scope {
    status worst;
    char msg[2200];
    size_t n, n_files, n_bad;
} scope;

/* The first of the worst problems is the one shown. */
static void scope_note(scope *s, bool ours, const char *why)
{
    status st = ours ? ST_FAIL : ST_WARN;
    s->n_bad++;
    if (st < s->worst || (st == s->worst && s->msg[0]))
        return;
    s->worst = st;
    snprintf(s->msg, sizeof(s->msg), "%s%s", why,
             ours ? " (a file of ours: the policy should have refused it)" : "");
}

static bool client_within_networks(const doctor *d, const char *client, bool *ret_judged)
{
    nfsroot_cidr c;
    *ret_judged = nfsroot_exports_client_cidr(client, &c) == 0;
    for (size_t i = 0; *ret_judged && i < d->n_nets; i++)
        for (size_t k = 0; k < nfsroot_netinfo_get_n_subnets(d->nets[i].info); k++)
            if (nfsroot_cidr_contains(nfsroot_netinfo_get_subnet(d->nets[i].info, k), &c))
                return true;
    return false;
}

static void scope_entry(const doctor *d, scope *s, const char *file, const nfsroot_exports_entry *e,
                        bool ours)
{
    const char *client = e->client;
    bool judged = false, everyone = !client[0] || !strcmp(client, "*");
    s->n++;
    if (!everyone && client_within_networks(d, client, &judged))
        return;
    _cleanup_free_ char *why = NULL;
    int n;
    if (everyone)
        n = asprintf(&why, "%s exports '%s' to everyone%s", file, e->path,
                     client[0] ? "" : " (no client given)");
    else if (!judged)
        n = asprintf(&why,
                     "%s exports '%s' to '%s', a name that cannot be checked against the VM "
                     "networks",
                     file, e->path, client);
    else
        n = asprintf(&why, "%s exports '%s' to '%s', outside every VM network", file, e->path,
                     client);
    if (n < 0)
        why = NULL;
    scope_note(s, ours, why ? why : "out of memory");
}

static void scan_exports_file(doctor *d, scope *s, const char *host_file, bool ours)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    char file[4096], why[4096];
    if (doctor_read(d, host_file, &text, &len) < 0)
        return;
    doctor_at(d, host_file, file, sizeof(file));
    s->n_files++;
    nfsroot_exports_entry *v = NULL;
    size_t n = 0;
    nfsroot_error err = { 0 };
    if (nfsroot_exports_parse(text, len, &v, &n, &err) < 0) {
        snprintf(why, sizeof(why), "%.2000s cannot be read as exports(5): %.1500s", file,
                 err.message);
        scope_note(s, ours, why);
        return;
    }
    for (size_t i = 0; i < n; i++)
        scope_entry(d, s, file, &v[i], ours);
    nfsroot_exports_free(v, n);
}

void check_exports_scope(doctor *d)
{
    doctor_load_networks(d);
    scope s = { .worst = ST_PASS };
    scan_exports_file(d, &s, "/etc/exports", false);
    _cleanup_(nfsroot_strv_freep) char **files =
        doctor_list(d, nfsroot_policy_get_exports_dir(d->policy), "*.exports");
    for (size_t i = 0; files && files[i]; i++) {
        const char *base = strrchr(files[i], '/') + 1;
        scan_exports_file(d, &s, files[i], !strncmp(base, "virt-nfsroot-", 13));
    }
    if (s.worst == ST_PASS)
        doctor_add(d, "exports-scope", ST_PASS, NULL,
                   "%zu export entr%s in %zu file(s), all within the VM networks", s.n,
                   s.n == 1 ? "y" : "ies", s.n_files);
    else
        doctor_add(d, "exports-scope", s.worst,
                   s.worst == ST_FAIL
                       ? "run 'virt-nfsroot reconcile' and check the policy's allow_wider_clients"
                       : "restrict the client to the subnet that needs it (root on NFS trusts the "
                         "client's root: an export is only as safe as its client list)",
                   "%s%s", s.msg, s.n_bad > 1 ? " (and other entries: read the files)" : "");
}
