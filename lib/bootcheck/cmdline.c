/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os><cmdline>: the root= the guest will really use, read the way dracut (modules.d/95nfs:
 * parse-nfsroot.sh, nfs-lib.sh), the kernel (nfsroot=) and nfs-utils' nfsroot-generator do. */
#include <ctype.h>

#include "backend/backend.h"
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

static int options_version(const char *opts)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", opts);
    char *save = NULL;
    int v = 0;
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
    }
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
        r.nfs_version = options_version(r.options);
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

static bool client_allowed(const nfsroot_export *re, const char *addr)
{
    nfsroot_cidr a;
    if (nfsroot_cidr_parse(addr, &a) < 0)
        return true; /* cannot tell */
    for (size_t i = 0; re->clients && re->clients[i]; i++) {
        nfsroot_cidr c;
        if (nfsroot_cidr_parse(re->clients[i], &c) == 0 && nfsroot_cidr_contains(&c, &a))
            return true;
    }
    return !re->clients || !re->clients[0];
}

/* What every check below reads: the parsed cmdline, the root export and the line to suggest. */
typedef struct cmdline_check {
    const nfsroot_policy *p;
    const nfsroot_plan *plan;
    const nfsroot_export *re;
    const nfsroot_initramfs_info *ii;
    const nfsroot_cmdline_root *c;
    const char *server; /* this host's address on the guest's network, or a placeholder */
    char want[1400];    /* the root= we would write */
    bool has_initrd;
    nfsroot_findings *f;
} cmdline_check;

#define ADD(level, code, ...)                                                                      \
    do {                                                                                           \
        int r_ = nfsroot_findings_add(x->f, level, code, NULL, __VA_ARGS__);                       \
        if (r_ < 0)                                                                                \
            return r_;                                                                             \
    } while (0)

/* root= that is no NFS root at all; *ret_done when nothing further applies. */
static int check_kind(const cmdline_check *x, bool *ret_done)
{
    const nfsroot_cmdline_root *c = x->c;
    *ret_done = c->kind != NFSROOT_ROOT_NFS;
    switch (c->kind) {
    case NFSROOT_ROOT_NONE:
        ADD(F_ERROR, "cmdline-no-root",
            "<cmdline> has no root=, so the guest does not know its root is on NFS: add '%s' "
            "(and 'ip=dhcp rw')",
            x->want);
        break;
    case NFSROOT_ROOT_DHCP:
        ADD(F_WARN, "cmdline-root-dhcp",
            "root=dhcp takes the NFS server and path from the DHCP root-path option, which "
            "libvirt's DHCP server does not send: write '%s'",
            x->want);
        break;
    case NFSROOT_ROOT_OTHER:
        if (c->nfsroot_without_dev_nfs)
            ADD(F_ERROR, "cmdline-nfsroot-without-dev-nfs",
                "<cmdline> has nfsroot= but root='%s': dracut stops with 'Argument nfsroot only "
                "accepted for legacy root=/dev/nfs'; write '%s' instead",
                c->root, x->want);
        else if (strcmp(c->form, "hostname-legacy") == 0)
            ADD(F_ERROR, "cmdline-root-hostname",
                "root='%s' names the server by hostname in the bare legacy form, which dracut "
                "does not treat as NFS: write '%s'",
                c->root, x->want);
        else
            ADD(F_ERROR, "cmdline-root-not-nfs",
                "root='%s' is not an NFS root, but the domain's root is the export '%s': "
                "write '%s'",
                c->root, x->re->path, x->want);
        break;
    case NFSROOT_ROOT_NFS:
        break;
    }
    return 0;
}

static int check_path(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    if (strcmp(c->path, "error") == 0)
        ADD(F_ERROR, "cmdline-bad-path",
            "root='%s' has no absolute path after the server (dracut stops with 'Argument "
            "nfsroot must contain a valid path!'): write '%s'",
            c->root, x->want);
    else if (!c->path[0])
        ADD(F_ERROR, "cmdline-no-path",
            "root=/dev/nfs without nfsroot= takes the path from DHCP or falls back to "
            "'/tftpboot/<address>', not the root export '%s': write '%s'",
            x->re->path, x->want);
    else if (strstr(c->path, "%s"))
        ADD(F_WARN, "cmdline-path-template",
            "the NFS path '%s' holds '%%s', which dracut replaces with the guest's hostname or "
            "address; make sure it becomes '%s', or write '%s'",
            c->path, x->re->path, x->want);
    else if (!bootcheck_same_path(c->path, x->re->path))
        ADD(F_ERROR, "cmdline-path-mismatch",
            "<cmdline> mounts '%s' as the root, but the root export is '%s': write '%s'", c->path,
            x->re->path, x->want);
    return 0;
}

static int check_server(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    const char *srv = c->server[0] ? c->server : c->ip_server;
    if (!srv[0]) {
        if (c->path[0])
            ADD(F_INFO, "cmdline-server-from-dhcp",
                "root='%s' names no server, so the guest uses the DHCP server's address (on a "
                "libvirt network, this host's '%s'); '%s' is explicit",
                c->root, x->server, x->want);
    } else if (!bootcheck_is_ip_literal(srv, NULL, 0)) {
        ADD(F_WARN, "cmdline-server-hostname",
            "the NFS server '%s' is a hostname the initramfs must resolve before it has the "
            "guest's resolver configured: write the address ('%s')",
            srv, x->want);
    } else if (!x->plan->server) {
        ADD(F_WARN, "cmdline-server-unverified",
            "cannot verify the NFS server '%s': this host's address on the guest's network is "
            "unknown (a bridge without a host address?)",
            srv);
    } else if (!bootcheck_same_address(srv, x->plan->server)) {
        ADD(F_ERROR, "cmdline-server-mismatch",
            "<cmdline> mounts the root from '%s', but this host's address on the guest's network "
            "is '%s': write '%s'",
            srv, x->plan->server, x->want);
    }
    return 0;
}

/* The NFS version asked for, against what the server offers and the initramfs can mount. */
/* The NFSv4 minor version the options ask for ("vers=4.1", "nfsvers=4.2", "v4.1",
 * "minorversion=1"), -1 when they leave it to negotiation. */
static int options_minor(const char *opts)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", opts);
    char *save = NULL;
    int m = -1;
    for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        const char *v = !strncmp(o, "vers=", 5) ? o + 5 : !strncmp(o, "nfsvers=", 8) ? o + 8 : o;
        if (v[0] == 'v')
            v++;
        if (v[0] == '4' && v[1] == '.' && isdigit((unsigned char)v[2]))
            m = v[2] - '0';
        else if (!strncmp(o, "minorversion=", 13) && isdigit((unsigned char)o[13]))
            m = o[13] - '0';
    }
    return m;
}

static int check_version(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    const nfsroot_initramfs_info *ii = x->ii;
    /* A server that serves 4.1 but not 4.2 correctly (NFS-Ganesha 4.3: every exec after
     * switch-root fails with EIO) needs the guest to stop the client from negotiating up. */
    const char *vers = nfsroot_backend_guest_nfs_version(x->p);
    int minor = options_minor(c->options);
    if (c->nfs_version == 4 && vers && !strncmp(vers, "4.", 2) && vers[2] < '2' &&
        (minor < 0 || minor > vers[2] - '0'))
        ADD(F_WARN, "cmdline-nfs-minor",
            "root='%s' lets the guest negotiate NFSv4.2, which this host's NFS server (%s) does "
            "not serve correctly to Linux guests (every program fails with 'Input/output error' "
            "once the root is mounted): write '%s'",
            c->root, nfsroot_backend_name(x->p->backend), x->want);
    if (c->nfs_version == 3) {
        char why[64];
        bool v3_offered = nfsroot_backend_nfs_versions(x->p, why, sizeof(why)) & NFSROOT_NFS_V3;
        bool explicit_v3 = options_version(c->options) == 3;
        if (!v3_offered)
            ADD(F_ERROR, "cmdline-nfs3-not-offered",
                "root='%s' mounts with NFSv3, which this host's NFS server does not offer "
                "(%s): write '%s'",
                c->root, why[0] ? why : "policy", x->want);
        else if (!explicit_v3 && !c->legacy_nfsroot)
            ADD(F_WARN, "cmdline-nfs3",
                "root='%s' means NFSv3 with 'nolock' to dracut, which needs rpcbind and mountd "
                "on the host: write '%s' for NFSv4",
                c->root, x->want);
    }
    if (!ii || !ii->kernel_versions[0] || ii->nfs_builtin || !ii->nfs_module)
        return 0;
    if (c->nfs_version == 4 && !ii->nfsv4_module)
        ADD(F_ERROR, "initrd-no-nfsv4-module",
            "<cmdline> asks for NFSv4 but the initramfs has no nfsv4 kernel module: add it "
            "(dracut: add_drivers+=\" nfsv4 \") and rebuild");
    if (c->nfs_version == 3 && !ii->nfsv3_module)
        ADD(F_ERROR, "initrd-no-nfsv3-module",
            "<cmdline> asks for NFSv3 but the initramfs has no nfsv3 kernel module: add it "
            "(dracut: add_drivers+=\" nfsv3 \") and rebuild, or use '%s'",
            x->want);
    return 0;
}

/* With no <initrd> the kernel mounts the root itself and reads only its own syntax. */
static int check_kernel_mounts(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    if (strcmp(c->form, "/dev/nfs") != 0)
        ADD(F_ERROR, "cmdline-needs-initramfs",
            "root='%s' is dracut syntax, but the domain has no <initrd>: the kernel only "
            "understands 'root=/dev/nfs nfsroot=%s:%s,vers=4.1 ip=dhcp'; add the guest's "
            "initramfs as <initrd>",
            c->root, x->server, x->re->path);
    ADD(F_WARN, "cmdline-kernel-nfsroot",
        "with no <initrd> the kernel mounts the NFS root itself, which needs NFS client "
        "support and IP autoconfiguration built into it (CONFIG_ROOT_NFS, CONFIG_IP_PNP; "
        "Debian's kernels have neither): prefer the guest's initramfs");
    if (!c->has_ip)
        ADD(F_ERROR, "cmdline-kernel-no-ip",
            "with no <initrd> the kernel needs 'ip=dhcp' (or a static ip=) to reach the NFS "
            "server: add it to <cmdline>");
    if (c->legacy_nfsroot && !options_version(c->options))
        ADD(F_WARN, "cmdline-nfsroot-no-vers",
            "nfsroot= has no 'vers=': the in-kernel client may try an NFS version this "
            "host does not offer; append ',vers=4.1' (or ',vers=3')");
    return 0;
}

static int check_initramfs_mounts(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    bool dracut = x->ii && x->ii->dracut;
    if (c->legacy_nfsroot)
        ADD(dracut ? F_WARN : F_INFO, "cmdline-nfsroot-by-initramfs",
            "nfsroot= is not used by the kernel when the initramfs has its own /init: the "
            "initramfs reads it%s; prefer '%s'",
            dracut ? " (dracut calls it deprecated)" : "", x->want);
    if (!c->has_ip && !c->rd_neednet)
        ADD(F_INFO, "cmdline-no-ip",
            "<cmdline> has no ip=: dracut brings the network up by DHCP for an NFS root on "
            "its own, 'ip=dhcp rd.neednet=1' makes it explicit (and is what initramfs-tools "
            "needs)");
    return 0;
}

/* The guest's address, read-only flags and the URL form. */
static int check_access(const cmdline_check *x)
{
    const nfsroot_cmdline_root *c = x->c;
    const nfsroot_export *re = x->re;
    if (c->ip_client[0] && !client_allowed(re, c->ip_client))
        ADD(F_ERROR, "cmdline-ip-not-allowed",
            "ip= gives the guest the address '%s', which the root export '%s' does not allow "
            "(clients: %s): use ip=dhcp or an allowed address",
            c->ip_client, re->path, re->clients && re->clients[0] ? re->clients[0] : "none");
    if (c->rw == 0 && !re->readonly)
        ADD(F_WARN, "cmdline-ro",
            "<cmdline> has 'ro': the root stays read-only unless the guest's fstab remounts it; "
            "write 'rw'");
    else if (bootcheck_has_option(c->options, "ro") && !re->readonly)
        ADD(F_WARN, "cmdline-ro",
            "the NFS options in root='%s' hold 'ro': the root is mounted read-only; drop it",
            c->root);
    if (strcmp(c->form, "nfs://") == 0)
        ADD(F_INFO, "cmdline-nfs-url",
            "root='%s' uses the nfs:// URL form, which dracut reads as NFSv3: '%s' is the "
            "documented form",
            c->root, x->want);
    return 0;
}
#undef ADD

int nfsroot_bootcheck_cmdline(const nfsroot_policy *p, const char *cmdline, bool has_initrd,
                              const nfsroot_initramfs_info *ii, const nfsroot_plan *plan,
                              nfsroot_findings *f)
{
    const nfsroot_export *re = bootcheck_root_export(plan);
    if (!re)
        return 0;
    const char *baked = ii && ii->cmdline[0] ? ii->cmdline : "";
    _cleanup_free_ char *all = NULL;
    if (asprintf(&all, "%s %s", baked, cmdline ? cmdline : "") < 0)
        return -ENOMEM;
    nfsroot_cmdline_root c;
    int r = nfsroot_cmdline_parse(all, &c);
    if (r < 0)
        return r;
    cmdline_check x = { .p = p,
                        .plan = plan,
                        .re = re,
                        .ii = ii,
                        .c = &c,
                        .f = f,
                        .server = plan->server ? plan->server : "<host address>",
                        .has_initrd = has_initrd };
    const char *vers = nfsroot_backend_guest_nfs_version(p);
    snprintf(x.want, sizeof(x.want), "root=nfs4:%s:%s%s%s", x.server, re->path,
             vers && strcmp(vers, "4.2") != 0 ? ":vers=" : "",
             vers && strcmp(vers, "4.2") != 0 ? vers : "");

    if (c.has_rd_ip &&
        (r = nfsroot_findings_add(f, F_WARN, "cmdline-rd-ip", NULL,
                                  "<cmdline> has 'rd.ip=', which dracut does not read (it reads "
                                  "'ip='): write 'ip=dhcp' or the static ip= form")) < 0)
        return r;
    bool done = false;
    if ((r = check_kind(&x, &done)) < 0 || done)
        return r;
    if ((r = check_path(&x)) < 0 || (r = check_server(&x)) < 0 || (r = check_version(&x)) < 0)
        return r;
    r = has_initrd ? check_initramfs_mounts(&x) : check_kernel_mounts(&x);
    if (r < 0)
        return r;
    return check_access(&x);
}
