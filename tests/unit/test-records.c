/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state record reader over crafted records: what reads back exactly is listed, anything else
 * is skipped with a reason, and one bad record never hides the others. No root needed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "virt-nfsroot/virt-nfsroot-private.h"

#define UUID "4b1c2d3e-1111-2222-3333-444455556666"
#define HEAD(name, magic)                                                                          \
    magic "\ndomain " name "\nuuid " UUID "\nbackend kernel\nsince 1764000000\nserver "            \
          "192.168.122.1\nsubnet_wide 0\n"
#define V2(name) HEAD(name, "virt-nfsroot-state 2")
#define V1(name) HEAD(name, "virt-nfsroot-state 1")
#define OPTS "rw,async,no_root_squash,insecure,no_subtree_check"

static char dir[4096];

static void write_record(const char *name, const char *text, size_t len)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/domains/%s.state", dir, name);
    FILE *f = fopen(path, "we");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(99);
    }
}

static char *repeat(const char *s, size_t n, const char *sep)
{
    size_t l = strlen(s) + strlen(sep);
    char *out = calloc(1, l * n + 1);
    for (size_t i = 0; out && i < n; i++) {
        strcat(out, i ? sep : "");
        strcat(out, s);
    }
    return out;
}

/* List the state dir: `want_ok` records readable, `want_bad` skipped; the skipped one named
 * `bad_name` (if any) has a reason containing `why`. */
static void expect(const char *what, const nfsroot_policy *p, size_t want_ok, size_t want_bad,
                   const char *bad_name, const char *why)
{
    nfsroot_state **list = NULL;
    nfsroot_state_bad *bad = NULL;
    size_t n = 0, n_bad = 0;
    nfsroot_error err = { 0 };
    int r = nfsroot_state_list_all(p, &list, &n, &bad, &n_bad, &err);
    bool ok = r == 0 && n == want_ok && n_bad == want_bad;
    for (size_t i = 0; ok && bad_name && i < n_bad; i++)
        if (!strcmp(bad[i].file, bad_name) && !strstr(bad[i].reason, why))
            ok = false;
    if (ok)
        test_report(true, "%s", what);
    else {
        test_report(false, "%s: r=%d (%s), %zu listed (want %zu), %zu skipped (want %zu)", what, r,
                    err.message, n, want_ok, n_bad, want_bad);
        for (size_t i = 0; i < n_bad; i++)
            printf("  skipped %s: %s\n", bad[i].file, bad[i].reason);
    }
    nfsroot_state_list_free(list, n);
    nfsroot_state_bad_free(bad, n_bad);
}

/* The record `name` alone next to a good one: it must be skipped for `why`. */
static void refused(const char *what, const nfsroot_policy *p, const char *name, const char *text,
                    size_t len, const char *why)
{
    char file[300], path[sizeof(dir) + 320];
    snprintf(file, sizeof(file), "%s.state", name);
    write_record(name, text, len);
    expect(what, p, 1, 1, file, why);
    snprintf(path, sizeof(path), "%s/domains/%s", dir, file);
    unlink(path);
}
#define REFUSED(what, p, name, text, why) refused(what, p, name, text, strlen(text), why)
#define REFUSED_EXPORT(what, name, line, why)                                                      \
    REFUSED(what, p, name, V2(name) "export root rw " line "\nend\n", why)

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/nfsroot-records.XXXXXX");
    if (!mkdtemp(dir))
        return 99;
    char sub[4200];
    snprintf(sub, sizeof(sub), "%s/domains", dir);
    if (mkdir(sub, 0755) < 0)
        return 99;
    nfsroot_policy *p = NULL;
    nfsroot_error err = { 0 };
    if (nfsroot_policy_new_default(&p, &err) < 0)
        return 99;
    if (nfsroot_policy_set_state_dir(p, dir) < 0)
        return 99;

    /* A good record of each version: read back field by field. */
    const char good[] =
        V2("good") "export root rw /export/good " OPTS " 192.168.122.7/32,fd00::/64\n"
                   "export extra ro /export/data ro 192.168.122.7/32\nend\n";
    write_record("good", good, strlen(good));
    expect("a version 2 record is read", p, 1, 0, NULL, NULL);
    nfsroot_state **list = NULL;
    size_t n = 0;
    if (nfsroot_state_list(p, &list, &n, &err) == 0 && n == 1) {
        const nfsroot_plan *pl = list[0]->plan;
        const nfsroot_export *e0 = nfsroot_plan_get_export(pl, 0);
        const nfsroot_export *e1 = nfsroot_plan_get_export(pl, 1);
        bool same = !strcmp(nfsroot_plan_get_domain(pl), "good") &&
                    !strcmp(nfsroot_plan_get_uuid(pl), UUID) &&
                    !strcmp(nfsroot_plan_get_server(pl), "192.168.122.1") &&
                    nfsroot_plan_get_n_exports(pl) == 2 && !nfsroot_plan_get_export(pl, 2) &&
                    nfsroot_export_is_root(e0) && !nfsroot_export_is_readonly(e0) &&
                    !strcmp(nfsroot_export_get_options(e0), OPTS) &&
                    !strcmp(nfsroot_export_get_clients(e0)[1], "fd00::/64") &&
                    !nfsroot_export_get_clients(e0)[2] && nfsroot_export_is_readonly(e1);
        test_report(same, "the fields read back exactly");
    }
    nfsroot_state_list_free(list, n);
    const char v1[] = V1("old") "export root rw /export/old " OPTS " 192.168.122.8/32\n";
    write_record("old", v1, strlen(v1));
    expect("a version 1 record is read by the same rules", p, 2, 0, NULL, NULL);
    snprintf(sub, sizeof(sub), "%s/domains/old.state", dir);
    unlink(sub);

    /* The old reader's fixed widths: an option of 1,100 characters spilled into the client
     * field, a client list over 4,099 characters was cut into a wider CIDR. */
    char *zeros = repeat("0", 1064, "");
    char *spill = NULL, *wide = NULL, *many = NULL;
    if (asprintf(&spill,
                 V1("spill") "export root rw /export/spill "
                             "rw,no_root_squash,insecure,anonuid=%s2130706433 "
                             "192.168.122.7/32\n",
                 zeros) < 0)
        return 99;
    REFUSED("an option string of 1,109 characters", p, "spill", spill, "options of 1109 char");
    char *clients = repeat("192.168.122.100/32", 216, ",");
    if (asprintf(&wide, V2("wide") "export root rw /export/wide " OPTS " %s\nend\n", clients) < 0)
        return 99;
    REFUSED("216 clients", p, "wide", wide, "more than 16 clients");
    char *line = repeat("export extra ro /export/x ro 192.168.122.9/32", 33, "\n");
    if (asprintf(&many, V2("many") "%s\nend\n", line) < 0)
        return 99;
    REFUSED("33 exports", p, "many", many, "more than 32 exports");

    /* Cut, garbled, doubled or shifted lines: refused whole, never read in part. */
    REFUSED("no end line (cut short)", p, "cut",
            V2("cut") "export root rw /export/cut " OPTS " 192.168.122.7/32\n", "end line");
    REFUSED("text after the end line", p, "after",
            V2("after") "end\nexport root rw /export/a rw 192.168.122.7/32\n", "after the end");
    REFUSED("garbage", p, "garbled", "hello\n", "not a virt-nfsroot record");
    REFUSED("no final newline", p, "nonl", V2("nonl") "end", "newline");
    REFUSED("another domain's name", p, "alias", V2("good") "end\n", "names another domain");
    REFUSED("a key twice", p, "twice", V2("twice") "uuid " UUID "\nend\n", "appears twice");
    REFUSED("an unknown key", p, "unknown", V2("unknown") "fsid 0\nend\n", "unknown key");
    /* One export line after a good head: the line is what is wrong. */
    REFUSED_EXPORT("a double space", "space", "/export/s  rw 192.168.122.7/32", "6 fields");
    REFUSED_EXPORT("a seventh field", "seven", "/export/s rw 192.168.122.7/32 x", "6 fields");
    REFUSED_EXPORT("a wildcard client", "star", "/export/s rw *", "canonical CIDR");
    REFUSED_EXPORT("a client with host bits", "bits", "/export/s rw 192.168.122.0/2",
                   "canonical CIDR");
    REFUSED_EXPORT("an empty client", "empty", "/export/s rw 192.168.122.7/32,", "empty");
    REFUSED_EXPORT("a relative path", "rel", "export/s rw 10.0.0.1/32", "absolute");
    REFUSED_EXPORT("an option with a parenthesis", "paren", "/export/s rw)*(rw 10.0.0.1/32",
                   "options of");
    REFUSED("a bad uuid", p, "uuid",
            "virt-nfsroot-state 2\ndomain uuid\nuuid ../../x\nbackend kernel\nsince 1\n"
            "subnet_wide 0\nend\n",
            "not a UUID");
    REFUSED("a missing key", p, "nokey", "virt-nfsroot-state 2\ndomain nokey\nend\n", "missing");
    const char nul[] = V2("nul") "end\n\0x\n";
    refused("a NUL byte", p, "nul", nul, sizeof(nul) - 1, "NUL");

    /* Over 1 MiB: skipped by its size, the others still listed. */
    char *big = repeat("export extra rw /export/x rw 192.168.122.9/32", 30000, "\n");
    char *huge = NULL;
    if (asprintf(&huge, V2("huge") "%s\nend\n", big) < 0)
        return 99;
    REFUSED("a record over 1 MiB", p, "huge", huge, "more than any record can be");

    /* Not a regular file: never followed, never waited on. */
    snprintf(sub, sizeof(sub), "%s/domains/link.state", dir);
    if (symlink("good.state", sub) < 0)
        return 99;
    expect("a symlinked record", p, 1, 1, "link.state", "symbolic links");
    unlink(sub);
    snprintf(sub, sizeof(sub), "%s/domains/fifo.state", dir);
    if (mkfifo(sub, 0600) < 0)
        return 99;
    expect("a FIFO record", p, 1, 1, "fifo.state", "Invalid argument");
    unlink(sub);

    free(zeros);
    free(spill);
    free(clients);
    free(wide);
    free(line);
    free(many);
    free(big);
    free(huge);
    nfsroot_policy_free(p);
    snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
    CHECK(system(sub) == 0);
    return test_summary();
}
