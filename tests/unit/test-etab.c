/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel backend's etab reader (nfsroot_backend_has), over etab files made here: lines that
 * cross the reader's 64 KiB blocks, a line longer than a block, a last line without a newline,
 * clients that only start like ours, and the bound on one client's entries (65536: every export
 * of the host to the guest's subnet is one), read in linear time. No root needed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "virt-nfsroot/virt-nfsroot-private.h"

#define CLIENT "192.168.122.0/24"
#define OPTS "(rw,async,wdelay,no_root_squash,insecure,no_subtree_check,sec=sys,secure)"

static char dir[4096], etab[4200];

static void write_etab(const char *text, size_t len)
{
    FILE *f = fopen(etab, "we");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        perror(etab);
        exit(99);
    }
}

/* text + n lines of other clients, each about 110 bytes, so n = 600 is a 64 KiB block. */
static char *others(size_t n, size_t *len)
{
    char *out = malloc(n * 160 + 1);
    size_t off = 0;
    for (size_t i = 0; out && i < n; i++)
        off += (size_t)sprintf(out + off, "/srv/other/%zu\t10.%zu.%zu.%zu" OPTS "\n", i,
                               i / 62500 % 250 + 1, i / 250 % 250 + 1, i % 250 + 1);
    *len = off;
    return out;
}

static int has(const nfsroot_policy *p, const char *path, const char *client)
{
    bool yes = false;
    int r = nfsroot_backend_has(p, path, client, &yes);
    return r < 0 ? r : yes;
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/nfsroot-etab.XXXXXX");
    if (!mkdtemp(dir))
        return 99;
    snprintf(etab, sizeof(etab), "%s/etab", dir);
    char conf[4300];
    snprintf(conf, sizeof(conf), "%s/policy.conf", dir);
    FILE *f = fopen(conf, "we");
    if (!f || fprintf(f, "etab = %s\n", etab) < 0 || fclose(f) != 0)
        return 99;
    nfsroot_policy *p = NULL;
    nfsroot_error err = { 0 };
    if (nfsroot_policy_load(conf, &p, &err) < 0) {
        fprintf(stderr, "policy: %s\n", err.message);
        return 99;
    }

    CHECKF(has(p, "/export/a", CLIENT) == 0, "no etab at all: nothing exported");
    write_etab("", 0);
    CHECKF(has(p, "/export/a", CLIENT) == 0, "an empty etab: nothing exported");

    /* Ours at every offset around the first and second block boundary. */
    size_t base_len = 0;
    _cleanup_free_ char *base = others(590, &base_len);
    size_t cap = base_len + 70 * 1024 + 4096;
    _cleanup_free_ char *text = malloc(cap);
    if (!base || !text)
        return 99;
    int misses = 0;
    for (size_t pad = 0; pad < 2048; pad += 7) {
        size_t len = base_len;
        memcpy(text, base, base_len);
        len += (size_t)sprintf(text + len, "/srv/pad/%0*d\t10.9.9.9" OPTS "\n", (int)pad + 1, 0);
        len += (size_t)sprintf(text + len, "/export/a\t" CLIENT OPTS "\n");
        write_etab(text, len);
        misses += has(p, "/export/a", CLIENT) != 1;
    }
    CHECKF(misses == 0, "our line across a block boundary: found at every offset (%d misses)",
           misses);

    /* Clients that only start like ours; a path only in another client's line. */
    size_t len = (size_t)sprintf(text, "/export/b\t" CLIENT "0" OPTS "\n"
                                       "/export/c\t192.168.122.0/2" OPTS "\n"
                                       "/export/d\t10.0.0.1" OPTS "\n"
                                       "/export/e\t" CLIENT "\n");
    write_etab(text, len);
    CHECKF(has(p, "/export/b", CLIENT) == 0, "client " CLIENT "0 is not " CLIENT);
    CHECKF(has(p, "/export/c", CLIENT) == 0, "client 192.168.122.0/2 is not " CLIENT);
    CHECKF(has(p, "/export/d", CLIENT) == 0, "another client's path");
    CHECKF(has(p, "/export/e", CLIENT) == 0, "a line without options");

    /* A line longer than a block: skipped whole, the lines around it still read. */
    len = (size_t)sprintf(text, "/export/before\t" CLIENT OPTS "\n/export/");
    memset(text + len, 'x', 70 * 1024);
    len += 70 * 1024;
    len += (size_t)sprintf(text + len, "\t" CLIENT OPTS "\n/export/after\t" CLIENT OPTS);
    write_etab(text, len); /* and no newline at the end */
    CHECKF(has(p, "/export/before", CLIENT) == 1, "the line before an over-long one");
    CHECKF(has(p, "/export/after", CLIENT) == 1,
           "the line after an over-long one, without a newline at the end of etab");
    CHECKF(has(p, "/export/xxxxxxxx", CLIENT) == 0, "no piece of the over-long line is read");

    /* Every export on the host to the guest's subnet is an entry of that client: up to 65536 are
     * read, in time linear in their number (a reader comparing each with those before it takes
     * minutes at this size), and found whole, never by a prefix. */
    enum { MANY = 65536 };
    _cleanup_free_ char *many = malloc((MANY + 1) * 140);
    if (!many)
        return 99;
    len = 0;
    for (int i = 0; i <= MANY; i++)
        len += (size_t)sprintf(many + len, "/export/m%d\t" CLIENT OPTS "\n", i);
    write_etab(many, len);
    CHECKF(has(p, "/export/m0", CLIENT) == -E2BIG, "%d entries of one client: refused (%d)",
           MANY + 1, has(p, "/export/m0", CLIENT));
    len = 0;
    for (int i = 0; i < MANY; i++)
        len += (size_t)sprintf(many + len, "/export/m%d\t" CLIENT OPTS "\n", i);
    len += (size_t)sprintf(many + len, "/export/m0\t" CLIENT OPTS "\n"); /* twice: one entry */
    write_etab(many, len);
    clock_t t0 = clock();
    int found = has(p, "/export/m0", CLIENT) == 1;
    double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
    found += has(p, "/export/m32768", CLIENT) == 1;
    found += has(p, "/export/m65535", CLIENT) == 1;
    CHECKF(found == 3, "%d entries of one client: read, the first, middle and last found (%d of 3)",
           MANY, found);
    CHECKF(cpu < 10.0, "%d entries of one client read in %.2f s of CPU time (< 10 s)", MANY, cpu);
    CHECKF(has(p, "/export/m6553", CLIENT) == 1 && has(p, "/export/m655", CLIENT) == 1 &&
               has(p, "/export/m65536", CLIENT) == 0 && has(p, "/export/m", CLIENT) == 0 &&
               has(p, "/export/m65535/", CLIENT) == 0,
           "among %d entries: only whole paths are found", MANY);

    nfsroot_policy_free(p);
    unlink(etab);
    unlink(conf);
    rmdir(dir);
    return test_summary();
}
