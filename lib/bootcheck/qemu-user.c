/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Can the QEMU process read <kernel> and <initrd>? It runs as qemu.conf's user and group (with
 * the user's supplementary groups). libvirt's DAC driver chowns the two files to that user at
 * each start when dynamic_ownership is on (the default), so the file needs its owner's read bit;
 * the directories above are never chowned: each must let that user search it. */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "bootcheck.h"

#define QEMU_CONF_DEFAULT "/etc/libvirt/qemu.conf"
#define QEMU_CONF_MAX (1 << 20)
#define QEMU_GROUPS_MAX 64

/* One "key = value" of qemu.conf (libvirt's virconf: '#' comments, strings in double quotes).
 * A key must start its line: the entries of a list value spanning lines never do. */
static void conf_value(const char *line, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    line += strspn(line, " \t");
    if (strncmp(line, key, kl) != 0)
        return;
    const char *p = line + kl;
    p += strspn(p, " \t");
    if (*p != '=')
        return;
    p += 1 + strspn(p + 1, " \t");
    size_t n = *p == '"' ? strcspn(++p, "\"\n") : strcspn(p, " \t#\n");
    snprintf(out, len, "%.*s", (int)n, p);
}

int nfsroot_qemu_conf_parse(const char *text, nfsroot_qemu_conf *ret)
{
    nfsroot_qemu_conf c = { .user = NFSROOT_QEMU_USER_DEFAULT,
                            .group = NFSROOT_QEMU_USER_DEFAULT,
                            .dynamic_ownership = "1" };
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        conf_value(l, "user", c.user, sizeof(c.user));
        conf_value(l, "group", c.group, sizeof(c.group));
        conf_value(l, "dynamic_ownership", c.dynamic_ownership, sizeof(c.dynamic_ownership));
    }
    *ret = c;
    return 0;
}

/* "+N" is a number for libvirt, anything else a name. */
static int qemu_ids(const nfsroot_qemu_conf *c, qemu_identity *id)
{
    char buf[4096];
    struct passwd pw, *pwp = NULL;
    struct group gr, *grp = NULL;
    if (c->user[0] == '+')
        id->uid = (uid_t)strtoul(c->user + 1, NULL, 10);
    else if (getpwnam_r(c->user, &pw, buf, sizeof(buf), &pwp) == 0 && pwp)
        id->uid = pwp->pw_uid;
    else
        return -ENOENT;
    if (c->group[0] == '+')
        id->gids[0] = (gid_t)strtoul(c->group + 1, NULL, 10);
    else if (getgrnam_r(c->group, &gr, buf, sizeof(buf), &grp) == 0 && grp)
        id->gids[0] = grp->gr_gid;
    else
        return -ENOENT;
    id->n_gids = 1;
    return 0;
}

/* The user's supplementary groups, as libvirt gives them to QEMU (virGetGroupList): asked only
 * when the primary group is not enough (getgrouplist() may enumerate every NSS source). */
static void qemu_groups(qemu_identity *id)
{
    char buf[4096];
    struct passwd pw, *pwp = NULL;
    int n = QEMU_GROUPS_MAX - 1;
    if (getpwuid_r(id->uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp &&
        getgrouplist(pwp->pw_name, id->gids[0], id->gids + 1, &n) >= 0)
        id->n_gids = 1 + n;
}

int bootcheck_qemu_identity(const nfsroot_policy *p, qemu_identity *ret)
{
    const char *path = p->qemu_conf ? p->qemu_conf : QEMU_CONF_DEFAULT;
    _cleanup_free_ char *text = NULL;
    *ret = (qemu_identity){ 0 };
    /* No qemu.conf: libvirt's QEMU driver is not installed here, nothing to say. */
    int r = read_regular_at(AT_FDCWD, path, QEMU_CONF_MAX, &text, NULL);
    if (r < 0)
        return r;
    r = nfsroot_qemu_conf_parse(text, &ret->conf);
    if (r < 0)
        return r;
    ret->relabel = strcmp(ret->conf.dynamic_ownership, "0") != 0;
    return qemu_ids(&ret->conf, ret);
}

/* Does the mode of st grant bit (4 read, 1 search) to that uid and groups? POSIX's classes:
 * owner, else group, else other; QEMU runs without CAP_DAC_OVERRIDE, even as root. */
bool bootcheck_qemu_may(const qemu_identity *id, const struct stat *st, mode_t bit)
{
    if (st->st_uid == id->uid)
        return st->st_mode & (bit << 6);
    for (int i = 0; i < id->n_gids; i++)
        if (st->st_gid == id->gids[i])
            return st->st_mode & (bit << 3);
    return st->st_mode & bit;
}

/* An ACL may grant what the mode bits seem to deny: then nothing is said. */
static bool has_acl(const char *path)
{
    return getxattr(path, "system.posix_acl_access", NULL, 0) > 0;
}

static int unreadable(const qemu_identity *id, const char *what, const char *path, const char *why,
                      nfsroot_findings *f)
{
    char code[48];
    snprintf(code, sizeof(code), "%s-qemu-unreadable", what);
    return nfsroot_findings_add(f, F_ERROR, code, path,
                                "QEMU, running as user '%s' group '%s' (qemu.conf), cannot read "
                                "%s '%s': %s",
                                id->conf.user, id->conf.group, what, path, why);
}

/* Does st grant bit to the QEMU process? With id NULL: to every class of user, so that who QEMU
 * is does not matter (the usual 0755 directories and 0644 files: no qemu.conf, no NSS lookup). */
static bool may(const qemu_identity *id, const struct stat *st, mode_t bit)
{
    mode_t all = bit << 6 | bit << 3 | bit;
    return id ? bootcheck_qemu_may(id, st, bit) : (st->st_mode & all) == all;
}

/* 0 when QEMU can open path; 1 when directory ret_dir (stat in ret_st) above it does not let it
 * through; 2 when the file's mode, as libvirt leaves it at start, does not let it read. */
static int first_denied(const qemu_identity *id, const char *path, const struct stat *file_st,
                        char ret_dir[PATH_MAX], struct stat *ret_st)
{
    snprintf(ret_dir, PATH_MAX, "%s", path);
    for (char *s = strchr(ret_dir + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (stat(ret_dir, ret_st) == 0 && !may(id, ret_st, 1) && !has_acl(ret_dir))
            return 1;
        *s = '/';
    }
    /* Relabelled, the file is QEMU's own: only its owner's read bit counts. */
    struct stat as_qemu = *file_st;
    if (id && id->relabel)
        as_qemu.st_uid = id->uid;
    return may(id, &as_qemu, 4) || has_acl(path) ? 0 : 2;
}

int bootcheck_qemu_access(const nfsroot_policy *p, const char *what, const char *path,
                          const struct stat *file_st, nfsroot_findings *f)
{
    char dir[PATH_MAX], why[PATH_MAX + 256];
    struct stat st;
    qemu_identity id;
    if (!p || path[0] != '/' || first_denied(NULL, path, file_st, dir, &st) == 0 ||
        bootcheck_qemu_identity(p, &id) < 0)
        return 0; /* anyone may, or no policy, no qemu.conf or no such user: nothing to say */
    int r = first_denied(&id, path, file_st, dir, &st);
    if (r != 0) {
        qemu_groups(&id);
        r = first_denied(&id, path, file_st, dir, &st);
    }
    if (r == 1)
        snprintf(why, sizeof(why),
                 "directory '%s' (mode %04o, owner %u:%u) does not let it through: chmod o+x it "
                 "(or 0755)",
                 dir, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
    else if (r == 2)
        snprintf(why, sizeof(why),
                 "the file's mode %04o (owner %u:%u%s) does not let it read: chmod 0644 it",
                 (unsigned)(file_st->st_mode & 07777), (unsigned)file_st->st_uid,
                 (unsigned)file_st->st_gid, id.relabel ? ", chowned to QEMU's user at start" : "");
    return r ? unreadable(&id, what, path, why, f) : 0;
}
