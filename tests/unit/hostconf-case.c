/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs one data-driven case of the readers of other programs' host files against the library:
 * tests/data/conffile/<case>/ (nfs-utils' format, lib/formats/conffile.c):
 *   nfs.conf, dropin.conf  read in this order (dropin.conf may be absent)
 *   queries               one "section key" a line ("-" for the keys before any section)
 *   expected              "error: <sentence> (field F line L)" when a file has an unreadable
 *                         line, then "[section] key = value" or "[section] key unset" a query
 * tests/data/nsswitch/<case>/ (glibc's format, lib/formats/nsswitch.c):
 *   nsswitch.conf         the file
 *   expected              "hosts: s1 s2 ..." and "passwd: ..." or "<db>: error: <sentence>"
 * tests/data/aptsources/<case>/ (apt's sources, lib/host/host.c):
 *   root/                 a host root: etc/apt/sources.list.d/ *.sources, etc/apt/sources.list
 *   expected              "mirror: <url>" or "mirror: none"
 * NFSROOT_REGENERATE=1 rewrites expected. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virt-nfsroot/virt-nfsroot-private.h"

#include "cleanup.h"
#include "test.h"

static void conffile_file(FILE *out, nfsroot_conffile **c, const char *dir, const char *name)
{
    size_t len = 0;
    _cleanup_free_ char *text = slurp_in(dir, name, &len);
    nfsroot_error err = NFSROOT_ERROR_INIT;
    if (text && nfsroot_conffile_parse(c, text, len, name, &err) < 0)
        fprintf(out, "error: %s (field %s line %d)\n", err.message, err.field, err.line);
}

static void conffile_render(FILE *out, const char *dir, char *queries)
{
    _cleanup_(nfsroot_conffile_freep) nfsroot_conffile *c = NULL;
    conffile_file(out, &c, dir, "nfs.conf");
    conffile_file(out, &c, dir, "dropin.conf");
    char *save = NULL;
    for (char *q = strtok_r(queries, "\n", &save); q; q = strtok_r(NULL, "\n", &save)) {
        char section[256], key[256];
        if (sscanf(q, "%255s %255s", section, key) != 2)
            continue;
        const char *v = nfsroot_conffile_get(c, strcmp(section, "-") ? section : "", key);
        fprintf(out, v ? "[%s] %s = %s\n" : "[%s] %s unset\n", section, key, v ? v : "");
    }
}

static void nsswitch_render(FILE *out, const char *text, size_t len)
{
    static const char *const databases[] = { "hosts", "passwd" };
    for (size_t i = 0; i < sizeof(databases) / sizeof(databases[0]); i++) {
        char **v = NULL;
        nfsroot_error err = NFSROOT_ERROR_INIT;
        if (nfsroot_nsswitch_services(text, len, databases[i], &v, &err) < 0)
            fprintf(out, "%s: error: %s\n", databases[i], err.message);
        else {
            fprintf(out, "%s:", databases[i]);
            for (char **s = v; *s; s++)
                fprintf(out, " %s", *s);
            fputc('\n', out);
        }
        nfsroot_strv_free(v);
    }
}

static int apt_render(FILE *out, int root_fd)
{
    _cleanup_free_ char *m = NULL;
    int r = nfsroot_host_apt_mirror(root_fd, &m);
    if (r >= 0)
        fprintf(out, "mirror: %s\n", m ? m : "none");
    return r;
}

static int render(const char *dir, FILE *out)
{
    char root[4096];
    snprintf(root, sizeof(root), "%s/root", dir);
    int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd >= 0) {
        int r = apt_render(out, root_fd);
        close(root_fd);
        return r;
    }
    size_t len = 0;
    _cleanup_free_ char *nss = slurp_in(dir, "nsswitch.conf", &len);
    _cleanup_free_ char *queries = nss ? NULL : slurp_in(dir, "queries", NULL);
    if (!nss && !queries)
        return -ENOENT;
    if (nss)
        nsswitch_render(out, nss, len);
    else
        conffile_render(out, dir, queries);
    return 0;
}

int main(int argc, char **argv)
{
    return test_case_main(argc, argv, render);
}
