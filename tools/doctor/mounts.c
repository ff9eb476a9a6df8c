/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount options of the export roots. A guest is root on its tree: it can put setuid-root
 * programs and device nodes there, and a tarball can bring them. Only a filesystem mounted
 * nosuid,nodev keeps a local user of the host from using them (docs/SECURITY.md). */
#include <limits.h>
#include <string.h>

#include "doctor.h"

typedef struct mount_opts {
    char point[PATH_MAX];
    bool nosuid, nodev;
} mount_opts;

/* A mountinfo(5) field: space, tab, newline and backslash come as \ooo. */
static void unescape(const char *s, size_t n, char *out, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < len; o++) {
        bool oct = s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
                   s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7';
        out[o] =
            oct ? (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')) : s[i];
        i += oct ? 4 : 1;
    }
    out[o] = '\0';
}

static bool has_option(const char *opts, size_t n, const char *name)
{
    size_t k = strlen(name);
    for (const char *p = opts, *end = opts + n; p < end;) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        size_t w = c ? (size_t)(c - p) : (size_t)(end - p);
        if (w == k && memcmp(p, name, k) == 0)
            return true;
        p += w + 1;
    }
    return false;
}

/* One mountinfo line's mount point (field 5) and per-mount options (field 6); false if short. */
static bool parse_line(const char *l, size_t n, mount_opts *ret)
{
    const char *f[6];
    size_t len[6], k = 0;
    for (const char *p = l, *end = l + n; k < 6 && p < end; k++) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        f[k] = p;
        len[k] = sp ? (size_t)(sp - p) : (size_t)(end - p);
        p += len[k] + 1;
    }
    if (k < 6)
        return false;
    unescape(f[4], len[4], ret->point, sizeof(ret->point));
    ret->nosuid = has_option(f[5], len[5], "nosuid");
    ret->nodev = has_option(f[5], len[5], "nodev");
    return true;
}

/* The mount holding path: the longest mount point at or above it; of equal ones the last,
 * which covers the earlier. */
static bool mount_of(const char *mountinfo, const char *path, mount_opts *ret)
{
    size_t best = 0;
    bool found = false;
    for (const char *l = mountinfo; *l;) {
        size_t n = strcspn(l, "\n");
        mount_opts m;
        if (parse_line(l, n, &m)) {
            size_t pl = strlen(m.point);
            bool covers = !strcmp(m.point, "/") ||
                          (!strncmp(path, m.point, pl) && (path[pl] == '/' || !path[pl]));
            if (covers && (!found || pl >= best)) {
                best = pl, found = true;
                *ret = m;
            }
        }
        l += n + (l[n] ? 1 : 0);
    }
    return found;
}

/* One export root: true when its mount is nosuid,nodev, else the problem and its fix. */
static bool judge_mount(const char *mountinfo, const char *r, char *why, size_t wlen, char *fix,
                        size_t flen)
{
    mount_opts m;
    if (!mount_of(mountinfo, r, &m) || (m.nosuid && m.nodev))
        return true;
    const char *missing = !m.nosuid && !m.nodev ? "nosuid,nodev" : !m.nosuid ? "nosuid" : "nodev";
    snprintf(why, wlen,
             "export root '%s' is on the mount '%s' without %s: a local user can run a "
             "setuid-root program or open a device node a guest or a tarball put in a tree",
             r, m.point, missing);
    if (!strcmp(m.point, r))
        snprintf(fix, flen,
                 "mount -o remount,nosuid,nodev %s, and add nosuid,nodev to its options in "
                 "/etc/fstab",
                 r);
    else
        snprintf(fix, flen,
                 "bind-mount it onto itself with them: mount --bind %s %s && mount -o "
                 "remount,bind,nosuid,nodev %s, and in /etc/fstab: %s %s none bind,nosuid,nodev "
                 "0 0",
                 r, r, r, r, r);
    return false;
}

void check_export_mounts(doctor *d)
{
    _cleanup_free_ char *mountinfo = NULL;
    int r = doctor_read(d, "/proc/self/mountinfo", &mountinfo, NULL);
    if (r < 0) {
        doctor_add(d, "export-mounts", ST_WARN, "mount proc on /proc",
                   "cannot read /proc/self/mountinfo (%s): the export roots' mount options are "
                   "not known",
                   strerror(-r));
        return;
    }
    char why[PATH_MAX + 1024] = "", fix[2048] = ""; /* why quotes a mount point */
    size_t n = 0, bad = 0;
    for (const char *const *e = nfsroot_policy_get_export_roots(d->policy); e && *e; e++, n++) {
        char w[sizeof(why)], f[sizeof(fix)];
        if (!judge_mount(mountinfo, *e, w, sizeof(w), f, sizeof(f)) && bad++ == 0) {
            snprintf(why, sizeof(why), "%s", w);
            snprintf(fix, sizeof(fix), "%s", f);
        }
    }
    if (bad)
        doctor_add(d, "export-mounts", ST_FAIL, fix, "%s%s", why,
                   bad > 1 ? " (and other export roots)" : "");
    else
        doctor_add(d, "export-mounts", ST_PASS, NULL,
                   "%zu export root(s) on mounts with nosuid,nodev", n);
}
