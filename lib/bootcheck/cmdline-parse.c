/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os><cmdline>, parsed: the root= the guest will really use, read the way dracut (modules.d/95nfs:
 * parse-nfsroot.sh, nfs-lib.sh), the kernel (nfsroot=) and nfs-utils' nfsroot-generator do.
 * Pure (fuzzed); the checks of what it finds are in cmdline.c. */
#include <ctype.h>

#include "bootcheck.h"

#define CMDLINE_MAX (64 * 1024)

static void copy(char *dst, size_t len, const char *src, size_t n)
{
    if (n >= len)
        n = len - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The kernel splits at unquoted blanks and drops the quotes (lib/cmdline.c next_arg()). */
static char *next_arg(char **cursor)
{
    char *p = *cursor;
    while (*p && isspace((unsigned char)*p))
        p++;
    if (!*p)
        return NULL;
    char *start = p, *out = p;
    bool quoted = false;
    for (; *p; p++) {
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (!quoted && isspace((unsigned char)*p))
            break;
        *out++ = *p;
    }
    if (*p)
        p++;
    *out = '\0';
    *cursor = p;
    return start;
}

static bool is_dhcp_proto(const char *s)
{
    static const char *const protos[] = { "dhcp",    "on",          "any",   "dhcp6", "auto6",
                                          "either6", "single-dhcp", "bootp", "rarp",  "both" };
    for (size_t i = 0; i < ELEMENTSOF(protos); i++)
        if (strcmp(s, protos[i]) == 0)
            return true;
    return false;
}

/* Split an ip= value at ':' outside [ipv6] brackets. */
static size_t split_ip(const char *v, char fields[][128], size_t max)
{
    size_t n = 0, len = 0;
    int depth = 0;
    fields[0][0] = '\0';
    for (const char *p = v;; p++) {
        if (*p == '\0' || (*p == ':' && depth == 0)) {
            fields[n][len] = '\0';
            n++;
            if (*p == '\0' || n == max)
                break;
            len = 0;
            continue;
        }
        if (*p == '[')
            depth++;
        else if (*p == ']' && depth > 0)
            depth--;
        if (len + 1 < 128)
            fields[n][len++] = *p;
    }
    return n;
}

static void parse_ip(const char *v, nfsroot_cmdline_root *r)
{
    char f[8][128];
    size_t n = split_ip(v, f, ELEMENTSOF(f));
    r->has_ip = true;
    if (n == 1) {
        if (is_dhcp_proto(f[0]))
            r->ip_dhcp = true;
        return;
    }
    if (bootcheck_is_ip_literal(f[0], NULL, 0)) {
        /* <client>:<server>:<gw>:<netmask>:<hostname>:<iface>:<proto>... */
        if (!r->ip_client[0])
            bootcheck_is_ip_literal(f[0], r->ip_client, sizeof(r->ip_client));
        if (n > 1 && f[1][0] && !r->ip_server[0])
            bootcheck_is_ip_literal(f[1], r->ip_server, sizeof(r->ip_server));
        if (n > 5 && !r->ip_dev[0])
            copy(r->ip_dev, sizeof(r->ip_dev), f[5], strlen(f[5]));
        if (n > 6 && is_dhcp_proto(f[6]))
            r->ip_dhcp = true;
        return;
    }
    if (n > 6 && f[0][0] == '\0') {
        /* ::<gw>:...:<proto>: no client address, the kernel's autoconfiguration form */
        if (is_dhcp_proto(f[6]))
            r->ip_dhcp = true;
        return;
    }
    /* <interface>:<proto>[:<mtu>][:<mac>] */
    if (is_dhcp_proto(f[1]))
        r->ip_dhcp = true;
}

/* dracut's nfsroot_to_var: nfs[4]:[server:]path[:options], legacy ',options' after the path. */
static void nfsroot_to_var(const char *netroot, nfsroot_cmdline_root *r)
{
    const char *colon = strchr(netroot, ':');
    const char *arg = colon ? colon + 1 : "";
    char buf[2048];
    snprintf(buf, sizeof(buf), "%s:", arg);
    char *a = buf;
    char *sep = strstr(a, ":/");
    if (sep) {
        copy(r->server, sizeof(r->server), a, (size_t)(sep - a));
        /* ${arg##*:/}: everything after the last ":/" */
        char *last = sep;
        for (char *q = sep; (q = strstr(q + 1, ":/"));)
            last = q;
        a = last + 1; /* keeps the '/' */
    }
    size_t plen = strcspn(a, ":");
    copy(r->path, sizeof(r->path), a, plen);
    const char *opts = a + plen;
    while (*opts == ':')
        opts++;
    copy(r->options, sizeof(r->options), opts, strlen(opts));
    size_t ol = strlen(r->options);
    while (ol > 0 && r->options[ol - 1] == ':')
        r->options[--ol] = '\0';
    if (r->path[0] != '/' && r->path[0] != '\0')
        snprintf(r->path, sizeof(r->path), "error");
    char *comma = strchr(r->path, ',');
    if (comma) {
        snprintf(r->options, sizeof(r->options), "%s", comma + 1);
        *comma = '\0';
    }
}

/* RFC 2224: nfs://<server>[:<port>]/<path> */
static void rfc2224_to_var(const char *v, nfsroot_cmdline_root *r)
{
    const char *s = v + strlen("nfs://");
    size_t sl = strcspn(s, "/");
    copy(r->server, sizeof(r->server), s, sl);
    char *pc = strrchr(r->server, ':');
    if (pc && r->server[0] != '[') {
        if (pc[1])
            snprintf(r->options, sizeof(r->options), "port=%s", pc + 1);
        *pc = '\0';
    }
    snprintf(r->path, sizeof(r->path), "%s", s[sl] ? s + sl : "/");
}

/* The shell pattern [0-9]*\.[0-9]*\.[0-9]*[!:] from parse-nfsroot.sh. */
static bool legacy_dotted(const char *v)
{
    if (!isdigit((unsigned char)v[0]))
        return false;
    size_t n = strlen(v);
    if (n < 2 || v[n - 1] == ':')
        return false;
    const char *d1 = strchr(v + 1, '.');
    if (!d1)
        return false;
    const char *d2 = strchr(d1 + 1, '.');
    return d2 && d2[1] != '\0';
}

int bootcheck_options_version(const char *opts, int *ret_minor)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", opts);
    char *save = NULL;
    int v = 0, m = -1;
    for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        const char *val = NULL;
        if (strncmp(o, "vers=", 5) == 0)
            val = o + 5;
        else if (strncmp(o, "nfsvers=", 8) == 0)
            val = o + 8;
        if (val && isdigit((unsigned char)val[0]))
            v = val[0] - '0';
        if (strcmp(o, "v4") == 0 || strncmp(o, "v4.", 3) == 0)
            v = 4;
        if (strcmp(o, "v3") == 0)
            v = 3;
        const char *s = val ? val : o;
        if (s[0] == 'v')
            s++;
        if (s[0] == '4' && s[1] == '.' && isdigit((unsigned char)s[2]))
            m = s[2] - '0';
        else if (!strncmp(o, "minorversion=", 13) && isdigit((unsigned char)o[13]))
            m = o[13] - '0';
    }
    if (ret_minor)
        *ret_minor = m;
    return v;
}

/* The arguments that matter, last one wins as in the kernel and dracut. */
static void parse_args(char *buf, nfsroot_cmdline_root *r, char *nfsroot, size_t nfsroot_len,
                       bool *have_root)
{
    char *cur = buf, *arg;
    while ((arg = next_arg(&cur))) {
        if (strncmp(arg, "root=", 5) == 0) {
            snprintf(r->root, sizeof(r->root), "%s", arg + 5);
            *have_root = true;
        } else if (strncmp(arg, "nfsroot=", 8) == 0) {
            snprintf(nfsroot, nfsroot_len, "%s", arg + 8);
        } else if (strncmp(arg, "ip=", 3) == 0) {
            parse_ip(arg + 3, r);
        } else if (strncmp(arg, "rd.ip=", 6) == 0) {
            r->has_rd_ip = true;
        } else if (strcmp(arg, "rd.neednet") == 0 || strcmp(arg, "rd.neednet=1") == 0) {
            r->rd_neednet = true;
        } else if (strcmp(arg, "rd.neednet=0") == 0) {
            r->rd_neednet = false;
        } else if (strcmp(arg, "rw") == 0) {
            r->rw = 1;
        } else if (strcmp(arg, "ro") == 0) {
            r->rw = 0;
        }
    }
}

static bool is_block_root(const char *root)
{
    static const char *const prefixes[] = { "/dev/", "UUID=", "LABEL=", "PARTUUID=", "block:" };
    for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
        if (strncmp(root, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

static void set_kind(nfsroot_cmdline_root *r, nfsroot_root_kind kind, const char *form)
{
    r->kind = kind;
    snprintf(r->form, sizeof(r->form), "%s", form);
}

/* Which root= form this is, and for NFS its server, path and options; true when it is NFS. */
static bool classify_root(nfsroot_cmdline_root *r, const char *nfsroot)
{
    const char *root = r->root;
    char netroot[2048];
    if (nfsroot[0] && strcmp(root, "/dev/nfs") != 0) {
        /* dracut: "Argument nfsroot only accepted for legacy root=/dev/nfs" */
        r->nfsroot_without_dev_nfs = true;
        set_kind(r, NFSROOT_ROOT_OTHER, "nfsroot=");
        return false;
    }
    if (strcmp(root, "/dev/nfs") == 0) {
        set_kind(r, NFSROOT_ROOT_NFS, "/dev/nfs");
        r->legacy_nfsroot = nfsroot[0] != '\0';
        if (!r->legacy_nfsroot)
            return false; /* server and path from DHCP, else /tftpboot/%s */
        snprintf(netroot, sizeof(netroot), "nfs:%s", nfsroot);
        nfsroot_to_var(netroot, r);
        return true;
    }
    if (strcmp(root, "dhcp") == 0 || strcmp(root, "dhcp6") == 0) {
        set_kind(r, NFSROOT_ROOT_DHCP, "dhcp");
        return false;
    }
    if (is_block_root(root)) {
        set_kind(r, NFSROOT_ROOT_OTHER, "block");
        return false;
    }
    if (strncmp(root, "nfs://", 6) == 0) {
        set_kind(r, NFSROOT_ROOT_NFS, "nfs://");
        rfc2224_to_var(root, r);
        return true;
    }
    if (strncmp(root, "nfs:", 4) == 0 || strncmp(root, "nfs4:", 5) == 0) {
        set_kind(r, NFSROOT_ROOT_NFS, root[3] == '4' ? "nfs4:" : "nfs:");
        nfsroot_to_var(root, r);
        return true;
    }
    if ((isdigit((unsigned char)root[0]) && strstr(root, ":/")) || legacy_dotted(root) ||
        root[0] == '/') {
        /* LEGACY: root=<server-ip>:/<path> (and dracut's other legacy shapes) */
        set_kind(r, NFSROOT_ROOT_NFS, "legacy");
        snprintf(netroot, sizeof(netroot), "nfs:%s", root);
        nfsroot_to_var(netroot, r);
        return true;
    }
    set_kind(r, NFSROOT_ROOT_OTHER, strstr(root, ":/") ? "hostname-legacy" : "other");
    return false;
}

int nfsroot_cmdline_parse(const char *cmdline, nfsroot_cmdline_root *ret)
{
    nfsroot_cmdline_root r = { .rw = -1 };
    size_t len = cmdline ? strnlen(cmdline, CMDLINE_MAX) : 0;
    _cleanup_free_ char *buf = malloc(len + 1);
    if (!buf)
        return -ENOMEM;
    if (len)
        memcpy(buf, cmdline, len);
    buf[len] = '\0';

    char nfsroot[1024] = "";
    bool have_root = false;
    parse_args(buf, &r, nfsroot, sizeof(nfsroot), &have_root);
    if (!have_root && !nfsroot[0])
        r.kind = NFSROOT_ROOT_NONE;
    else if (classify_root(&r, nfsroot)) {
        r.nfs_version = bootcheck_options_version(r.options, NULL);
        if (!r.nfs_version)
            r.nfs_version = strcmp(r.form, "nfs4:") == 0 ? 4 : 3;
    }
    *ret = r;
    return 0;
}

/* Is name one of the comma-separated options in opts (exact match)? Used for fstab too. */
bool bootcheck_has_option(const char *opts, const char *name)
{
    size_t n = strlen(name);
    for (const char *o = opts; o && *o;) {
        size_t l = strcspn(o, ",");
        if (l == n && strncmp(o, name, n) == 0)
            return true;
        o += l + (o[l] == ',');
    }
    return false;
}
