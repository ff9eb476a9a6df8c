/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs one data-driven case of tests/data/plan/<case>/:
 *   domain.xml   the domain (with @ROOT@ standing for a fresh temporary root)
 *   policy.conf  optional extra policy lines (export_roots, network_dir and state_dir are set)
 *   setup        optional lines "dir PATH", "link PATH TARGET", "file PATH", "chown PATH UID",
 *                "chmod PATH OCTAL-MODE" under @ROOT@ (chown needs root)
 *   network/     optional live network XMLs (default: tests/data/plan/_network/)
 *   expected     what the plan renders, or "error: <the user's sentence>"; @UID@ stands for the
 *                uid running the case, which owns the files it made
 * NFSROOT_REGENERATE=1 rewrites expected. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "virt-nfsroot/virt-nfsroot-private.h"

static void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "setup failed: %s: %s\n", what, strerror(errno));
        exit(99);
    }
}

static void run_setup(const char *casedir, const char *root)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/setup", casedir);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *s = test_replace(line, "@ROOT@", root);
        char kind[16], a[2048], b[2048] = "";
        if (sscanf(s, "%15s %2047s %2047s", kind, a, b) < 2) {
            free(s);
            continue;
        }
        char full[PATH_MAX * 2];
        snprintf(full, sizeof(full), "%s/%s", root, a);
        if (!strcmp(kind, "dir")) {
            char cmd[PATH_MAX * 3];
            snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", full);
            must(system(cmd) == 0, full);
        } else if (!strcmp(kind, "link"))
            must(symlink(b, full) == 0, full);
        else if (!strcmp(kind, "chown"))
            must(lchown(full, (uid_t)strtoul(b, NULL, 10), (gid_t)-1) == 0, full);
        else if (!strcmp(kind, "chmod"))
            must(chmod(full, (mode_t)strtoul(b, NULL, 8)) == 0, full);
        else if (!strcmp(kind, "file")) {
            FILE *o = fopen(full, "we");
            must(o != NULL, full);
            fclose(o);
        }
        free(s);
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: plan-case CASEDIR DATADIR\n");
        return 2;
    }
    const char *casedir = argv[1], *datadir = argv[2];
    char tmpl[] = "/tmp/nfsroot-case.XXXXXX";
    must(mkdtemp(tmpl) != NULL, "mkdtemp");
    char root[PATH_MAX];
    must(realpath(tmpl, root) != NULL, "realpath");
    char path[PATH_MAX * 2], buf[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/export", root);
    must(mkdir(path, 0755) == 0, path);
    run_setup(casedir, root);

    /* network dir: the case's own, or the shared default */
    char netdir[PATH_MAX];
    snprintf(netdir, sizeof(netdir), "%s/network", casedir);
    struct stat st;
    if (stat(netdir, &st) != 0)
        snprintf(netdir, sizeof(netdir), "%s/_network", datadir);

    snprintf(path, sizeof(path), "%s/policy.conf", casedir);
    char *extra = slurp(path, NULL);
    char *extra_s = test_replace(extra ? extra : "", "@ROOT@", root);
    snprintf(path, sizeof(path), "%s/policy.conf", root);
    FILE *pf = fopen(path, "we");
    must(pf != NULL, path);
    if (!strstr(extra_s, "export_roots"))
        fprintf(pf, "export_roots = %s/export\n", root);
    if (!strstr(extra_s, "network_dir"))
        fprintf(pf, "network_dir = %s\n", netdir);
    fprintf(pf, "state_dir = %s/state\n%s", root, extra_s);
    fclose(pf);

    snprintf(buf, sizeof(buf), "%s/domain.xml", casedir);
    size_t xml_len = 0;
    char *xml_raw = slurp(buf, &xml_len);
    must(xml_raw != NULL, buf);
    /* Only substitute in textual inputs: binary cases keep their bytes. */
    char *xml = memchr(xml_raw, '\0', xml_len) ? xml_raw : test_replace(xml_raw, "@ROOT@", root);
    if (xml != xml_raw)
        xml_len = strlen(xml);

    char *out = NULL;
    size_t out_len = 0;
    FILE *m = open_memstream(&out, &out_len);
    nfsroot_error err = { 0 };
    nfsroot_policy *p = NULL;
    nfsroot_domain *d = NULL;
    nfsroot_plan *plan = NULL;
    int r = nfsroot_policy_load(path, &p, &err);
    if (r >= 0)
        r = nfsroot_domain_parse(xml, xml_len, &d, &err);
    if (r >= 0 && !nfsroot_domain_has_metadata(d))
        fprintf(m, "no metadata\n");
    else if (r >= 0)
        r = nfsroot_plan_build(p, d, NULL, &plan, &err);
    if (r < 0) {
        char line[2048];
        fprintf(m, "error: %s\n", nfsroot_error_format(&err, line, sizeof(line)));
    } else if (plan) {
        const char *server = nfsroot_plan_get_server(plan);
        fprintf(m, "server %s\nsubnet_wide %s\n", server ? server : "-",
                nfsroot_plan_is_subnet_wide(plan) ? "yes" : "no");
        const nfsroot_export *e;
        for (size_t i = 0; (e = nfsroot_plan_get_export(plan, i)); i++) {
            char *line = nfsroot_export_format_line(e);
            fprintf(m, "%s %s\n", nfsroot_export_is_root(e) ? "root" : "extra", line);
            free(line);
        }
    }
    fclose(m);
    char *got1 = test_replace(out, root, "@ROOT@");
    char *got2 = test_replace(got1, datadir, "@DATA@");
    /* Files the case made belong to whoever runs it (root in CI's main pass, nobody in its
     * unprivileged one): their owner reads as @UID@. */
    char owner[64];
    snprintf(owner, sizeof(owner), "owned by uid %u ", (unsigned)geteuid());
    char *got = test_replace(got2, owner, "owned by uid @UID@ ");
    free(got2);
    free(got1);

    snprintf(buf, sizeof(buf), "%s/expected", casedir);
    int rc = 0;
    if (!test_golden(buf, got, "NFSROOT_REGENERATE"))
        rc = 1;
    snprintf(buf, sizeof(buf), "rm -rf '%s'", root);
    if (system(buf) != 0)
        rc = rc ? rc : 99;
    nfsroot_plan_free(plan);
    nfsroot_domain_free(d);
    nfsroot_policy_free(p);
    if (xml != xml_raw)
        free(xml);
    free(xml_raw);
    free(extra);
    free(extra_s);
    free(out);
    free(got);
    return rc;
}
