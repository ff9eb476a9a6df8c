/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest's /etc/fstab entry for "/": systemd remounts the root as it says. */
#include <ctype.h>

#include "bootcheck.h"

#define FSTAB_MAX (1024 * 1024)

/* fstab(5) fields escape blanks as octal (\040). */
static void unescape(char *dst, size_t len, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        if (src[i] == '\\' && i + 3 < n && src[i + 1] >= '0' && src[i + 1] <= '3' &&
            src[i + 2] >= '0' && src[i + 2] <= '7' && src[i + 3] >= '0' && src[i + 3] <= '7') {
            int v = (src[i + 1] - '0') * 64 + (src[i + 2] - '0') * 8 + (src[i + 3] - '0');
            if (v == 0)
                break;
            dst[o++] = (char)v;
            i += 3;
            continue;
        }
        dst[o++] = src[i];
    }
    dst[o] = '\0';
}

int nfsroot_fstab_find_root(const char *text, size_t len, nfsroot_fstab_entry *ret)
{
    int found = -ENOENT;
    int lineno = 0;
    const char *end = text + len;
    for (const char *l = text; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        const char *le = nl ? nl : end;
        lineno++;
        const char *fld[4] = { 0 };
        size_t fl[4] = { 0 };
        size_t n = 0;
        const char *p = l;
        while (p < le && n < 4) {
            while (p < le && (*p == ' ' || *p == '\t' || *p == '\r'))
                p++;
            if (p >= le || (n == 0 && *p == '#'))
                break;
            fld[n] = p;
            while (p < le && !isspace((unsigned char)*p))
                p++;
            fl[n] = (size_t)(p - fld[n]);
            n++;
        }
        if (n >= 2) {
            char file[1024];
            unescape(file, sizeof(file), fld[1], fl[1]);
            size_t flen = strlen(file);
            while (flen > 1 && file[flen - 1] == '/')
                file[--flen] = '\0';
            if (strcmp(file, "/") == 0) {
                nfsroot_fstab_entry e = { .line = lineno };
                unescape(e.spec, sizeof(e.spec), fld[0], fl[0]);
                snprintf(e.file, sizeof(e.file), "/");
                if (n > 2)
                    unescape(e.vfstype, sizeof(e.vfstype), fld[2], fl[2]);
                if (n > 3)
                    unescape(e.options, sizeof(e.options), fld[3], fl[3]);
                else
                    snprintf(e.options, sizeof(e.options), "defaults");
                *ret = e; /* the last entry wins, as for mount(8) */
                found = 0;
            }
        }
        if (!nl)
            break;
        l = nl + 1;
    }
    return found;
}

/* "server:/path" or "[v6]:/path". */
static bool split_spec(const char *spec, char *server, size_t slen, const char *path_out[])
{
    const char *sep;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':')
            return false;
        sep = close + 1;
    } else {
        sep = strchr(spec, ':');
        if (!sep)
            return false;
    }
    size_t n = (size_t)(sep - spec);
    if (n == 0 || n >= slen)
        return false;
    memcpy(server, spec, n);
    server[n] = '\0';
    *path_out = sep + 1;
    return true;
}

int nfsroot_bootcheck_fstab(const nfsroot_plan *plan, nfsroot_findings *f)
{
    const nfsroot_export *re = bootcheck_root_export(plan);
    if (!re)
        return 0;
    char file[1100];
    snprintf(file, sizeof(file), "%s/etc/fstab", re->path);
    const char *server = plan->server ? plan->server : "<host address>";
    char want[1400];
    snprintf(want, sizeof(want), "%s:%s / nfs4 defaults 0 0", server, re->path);

    _cleanup_free_ char *text = NULL;
    int r = bootcheck_read_in_root(re->path, "etc/fstab", FSTAB_MAX, &text);
    if (r == -ENOMEM)
        return r;
    if (r == -ENOENT)
        return nfsroot_findings_add(f, F_WARN, "fstab-missing", file,
                                    "the guest has no /etc/fstab ('%s'): systemd keeps the root "
                                    "as the initramfs mounted it; add '%s'",
                                    file, want);
    if (r < 0)
        return nfsroot_findings_add(f, F_WARN, "fstab-unreadable", file,
                                    "the guest's /etc/fstab ('%s') cannot be read inside the "
                                    "guest's root (%s): make it a regular file",
                                    file, strerror(-r));
    nfsroot_fstab_entry e;
    if (nfsroot_fstab_find_root(text, strlen(text), &e) < 0)
        return nfsroot_findings_add(f, F_WARN, "fstab-no-root", file,
                                    "the guest's '%s' has no entry for '/': add '%s' so the "
                                    "guest remounts its root as intended",
                                    file, want);

    bool nfs = strcmp(e.vfstype, "nfs") == 0 || strcmp(e.vfstype, "nfs4") == 0;
    if (!nfs)
        return nfsroot_findings_add(f, F_ERROR, "fstab-root-not-nfs", file,
                                    "'%s' line %d mounts '%s' (type '%s') on '/', but the "
                                    "guest's root is on NFS: systemd waits for that device and "
                                    "ends in emergency mode; replace the line with '%s'",
                                    file, e.line, e.spec, e.vfstype[0] ? e.vfstype : "none", want);
    char srv[256];
    const char *path = NULL;
    if (!split_spec(e.spec, srv, sizeof(srv), &path))
        return nfsroot_findings_add(f, F_ERROR, "fstab-root-bad-spec", file,
                                    "'%s' line %d mounts '%s' on '/', which is not "
                                    "'server:/path': write '%s'",
                                    file, e.line, e.spec, want);
    if (!bootcheck_is_ip_literal(srv, NULL, 0))
        r = nfsroot_findings_add(f, F_WARN, "fstab-root-server-hostname", file,
                                 "'%s' line %d names the NFS server by hostname '%s': make sure "
                                 "the guest resolves it to '%s', or write '%s'",
                                 file, e.line, srv, server, want);
    else if (!plan->server)
        r = nfsroot_findings_add(f, F_WARN, "fstab-root-server-unverified", file,
                                 "cannot verify the NFS server '%s' in '%s' line %d: this "
                                 "host's address on the guest's network is unknown",
                                 srv, file, e.line);
    else if (!bootcheck_same_address(srv, plan->server))
        r = nfsroot_findings_add(f, F_ERROR, "fstab-root-server-mismatch", file,
                                 "'%s' line %d mounts '/' from '%s', but this host's address on "
                                 "the guest's network is '%s': write '%s'",
                                 file, e.line, srv, plan->server, want);
    if (r >= 0 && !bootcheck_same_path(path, re->path))
        r = nfsroot_findings_add(f, F_ERROR, "fstab-root-path-mismatch", file,
                                 "'%s' line %d mounts '%s' on '/', but the root export is '%s': "
                                 "write '%s'",
                                 file, e.line, path, re->path, want);
    if (r >= 0 && bootcheck_has_option(e.options, "ro") && !re->readonly)
        r = nfsroot_findings_add(f, F_ERROR, "fstab-root-ro", file,
                                 "'%s' line %d mounts '/' read-only ('ro'): the guest's services "
                                 "fail on a read-only root; use 'rw' or 'defaults'",
                                 file, e.line);
    return r;
}
