/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a domain XML through nfsroot_domain_parse() and, when it carries our
 * metadata, nfsroot_plan_build() against a policy in a temporary root (export root with a few
 * directories and symlinks, the default network of tests/data/plan/_network). "@ROOT@" in the
 * input stands for that root, so the hostile and plan corpora work as seeds unchanged.
 * Invariants checked: a refusal always carries a message; a plan only exports normalised paths
 * strictly below the export root, to clients that are canonical CIDRs of no /0, with options
 * that hold nothing exports(5) reads as syntax. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virt-nfsroot/virt-nfsroot-private.h"

static char root[PATH_MAX], export_root[PATH_MAX + 16];
static nfsroot_policy *policy;

static void must(int ok, const char *what)
{
    if (!ok) {
        perror(what);
        abort();
    }
}

static void put(const char *rel, const char *text)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "we");
    must(f != NULL, p);
    fputs(text, f);
    fclose(f);
}

static void mk(const char *rel)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    must(mkdir(p, 0755) == 0, p);
}

static void ln(const char *target, const char *rel)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    must(symlink(target, p) == 0, p);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(p);
}
static void cleanup(void)
{
    nfsroot_policy_free(policy);
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char tmpl[] = "/tmp/nfsroot-fuzz.XXXXXX";
    must(mkdtemp(tmpl) != NULL, "mkdtemp");
    must(realpath(tmpl, root) != NULL, "realpath");
    snprintf(export_root, sizeof(export_root), "%s/export", root);
    mk("export");
    mk("export/vm1");
    mk("export/vm2");
    mk("export/vm1/home");
    mk("net");
    ln("/etc", "export/evil");
    ln("vm1", "export/alias");
    put("export/file", "");
    put("net/default.xml",
        "<networkstatus><network><name>default</name><bridge name='virbr0'/>"
        "<ip address='192.168.122.1' netmask='255.255.255.0'><dhcp>"
        "<host mac='52:54:00:aa:bb:02' ip='192.168.122.50'/></dhcp></ip>"
        "<ip family='ipv6' address='fd00::1' prefix='64'/></network></networkstatus>\n");
    char text[PATH_MAX * 4];
    snprintf(text, sizeof(text),
             "export_roots = %s/export\nnetwork_dir = %s/net\nstate_dir = %s/state\n"
             "exports_dir = %s/exports.d\n",
             root, root, root, root);
    put("policy.conf", text);
    char path[PATH_MAX * 2];
    snprintf(path, sizeof(path), "%s/policy.conf", root);
    nfsroot_error err = { 0 };
    must(nfsroot_policy_load(path, &policy, &err) == 0, err.message);
    /* The temp root goes when the fuzzer ends normally; a crash leaves it for inspection. */
    atexit(cleanup);
    return 0;
}

/* Replace every "@ROOT@" in the input by the temporary root. */
static char *substitute(const uint8_t *data, size_t size, size_t *ret_len)
{
    size_t rl = strlen(root), cap = size + 1, n = 0;
    for (size_t i = 0; i + 6 <= size; i++)
        if (!memcmp(data + i, "@ROOT@", 6))
            cap += rl;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (size_t i = 0; i < size;) {
        if (i + 6 <= size && !memcmp(data + i, "@ROOT@", 6)) {
            memcpy(out + n, root, rl);
            n += rl;
            i += 6;
        } else
            out[n++] = (char)data[i++];
    }
    out[n] = '\0';
    *ret_len = n;
    return out;
}

static void check_plan(const nfsroot_plan *plan)
{
    const nfsroot_export *e;
    for (size_t i = 0; (e = nfsroot_plan_get_export(plan, i)); i++) {
        const char *path = nfsroot_export_get_path(e), *options = nfsroot_export_get_options(e);
        const char *const *clients = nfsroot_export_get_clients(e);
        size_t el = strlen(export_root);
        if (strncmp(path, export_root, el) != 0 || path[el] != '/' || !path[el + 1] ||
            strstr(path, "/../") || strstr(path, "/./") || strstr(path, "//"))
            __builtin_trap(); /* exported outside the root */
        for (const char *c = path; *c; c++)
            if (isspace((unsigned char)*c) || strchr("()\"',#*\\", *c) || (unsigned char)*c < 0x20)
                __builtin_trap();
        if (!clients || !clients[0])
            __builtin_trap();
        for (size_t c = 0; clients[c]; c++) {
            nfsroot_cidr cidr;
            char buf[64];
            if (nfsroot_cidr_parse(clients[c], &cidr) != 0 || cidr.prefix == 0 ||
                strcmp(nfsroot_cidr_format(&cidr, buf, sizeof(buf)), clients[c]) != 0)
                __builtin_trap(); /* a client that is not a canonical, non-/0 CIDR */
        }
        /* exports(5) option names are lower case; values may hold letters of either case
         * (plan.c's syntax check), never a blank, quote, parenthesis or control character. */
        for (const char *o = options; *o; o++)
            if (!(isalnum((unsigned char)*o) || strchr("_=,.:@-", *o)))
                __builtin_trap();
        char *line = nfsroot_export_format_line(e);
        if (!line || strchr(line, '\n'))
            __builtin_trap();
        free(line);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = 0;
    char *xml = substitute(data, size, &len);
    if (!xml)
        return 0;
    (void)nfsroot_xml_mentions_namespace(xml, len);
    nfsroot_error err = { 0 };
    nfsroot_domain *d = NULL;
    int r = nfsroot_domain_parse(xml, len, &d, &err);
    if (r < 0 && r != -ENOMEM && !err.message[0])
        __builtin_trap(); /* a refusal without a sentence */
    if (r == 0 && nfsroot_domain_has_metadata(d)) {
        nfsroot_plan *plan = NULL;
        nfsroot_error_clear(&err);
        r = nfsroot_plan_build(policy, d, NULL, &plan, &err);
        if (r < 0 && r != -ENOMEM && !err.message[0])
            __builtin_trap();
        if (r == 0)
            check_plan(plan);
        char line[4096];
        if (r < 0 && strchr(nfsroot_error_format(&err, line, sizeof(line)), '\n'))
            __builtin_trap(); /* the hook's one stderr line must stay one line */
        nfsroot_plan_free(plan);
        char *meta = nfsroot_metadata_format(d);
        free(meta);
    }
    nfsroot_domain_free(d);
    free(xml);
    return 0;
}
