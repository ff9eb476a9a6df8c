/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Run one data-driven guest case: tests/data/guest/<case>/ holds "tree/" (the guest tree as
 * found), "case" (key = value: server, hostname, ssh_key, password_hash, password_file,
 * host_idmapd_conf, address and mac (a pinned guest: a static ip=); files relative to the case;
 * shadow_owner UID:GID, checked as root) and
 * "expected": the profile or the refusal, the notes, the command line, every file the
 * configurator wrote or changed, and what the boot checks (cmdline, fstab, idmap, distro) then
 * say about the tree. The tree is configured in a
 * copy; a sibling directory "outside" must stay empty. NFSROOT_REGENERATE=1 rewrites
 * "expected". */
#include <crypt.h>
#include <dirent.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bootcheck-private.h"
#include "plan.h"
#include "policy.h"
#include "test.h"

extern char **environ;

static const char *setting(const char *conf, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    for (const char *l = conf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) != 0 || (l[kl] != ' ' && l[kl] != '='))
            continue;
        const char *p = l + kl + strspn(l + kl, " ");
        if (*p++ != '=')
            continue;
        p += strspn(p, " ");
        snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
        return out;
    }
    return NULL;
}

static int run(char *const argv[])
{
    pid_t pid;
    int st;
    if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print what differs between the input tree in/ and the output out/, below rel. */
static void dump(FILE *o, const char *in, const char *out, const char *rel)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", out, rel);
    _cleanup_(closedirp) DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[512];
    size_t n = 0;
    for (struct dirent *e; n < 512 && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        char r[4096], po[8300], pi[8300];
        snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", names[i]);
        snprintf(po, sizeof(po), "%s/%s", out, r);
        snprintf(pi, sizeof(pi), "%s/%s", in, r);
        struct stat so, si;
        bool had = lstat(pi, &si) == 0;
        lstat(po, &so);
        if (S_ISDIR(so.st_mode)) {
            if (!had)
                fprintf(o, "== %s/ (dir %04o)\n", r, so.st_mode & 07777);
            dump(o, in, out, r);
        } else if (S_ISLNK(so.st_mode)) {
            char t[4096] = "", ti[4096] = "";
            ssize_t l = readlink(po, t, sizeof(t) - 1);
            t[l > 0 ? l : 0] = '\0';
            l = had ? readlink(pi, ti, sizeof(ti) - 1) : -1;
            ti[l > 0 ? l : 0] = '\0';
            if (!had || strcmp(t, ti) != 0)
                fprintf(o, "== %s -> %s\n", r, t);
        } else {
            _cleanup_free_ char *co = slurp(po, NULL), *ci = had ? slurp(pi, NULL) : NULL;
            if (!had || !ci || strcmp(co, ci) != 0 || (si.st_mode & 07777) != (so.st_mode & 07777))
                fprintf(o, "== %s (%04o)\n%s%s", r, so.st_mode & 07777, co,
                        *co && co[strlen(co) - 1] != '\n' ? "\n" : "");
        }
        free(names[i]);
    }
}

/* A fresh "$y$..." hash cannot be golden: check it against the password (when given), print
 * its method. */
static char *mask_hash(char *shadow, const char *password)
{
    char *p = strstr(shadow, "root:$");
    if (!p)
        return shadow;
    char *h = p + 5, *e = strchr(h, ':');
    char hash[512];
    snprintf(hash, sizeof(hash), "%.*s", (int)(e - h), h);
    const char *again = password ? crypt(password, hash) : hash;
    CHECKF(again && strcmp(again, hash) == 0, "the root hash does not verify the password");
    char method[8];
    snprintf(method, sizeof(method), "%.*s", (int)(strchr(h + 1, '$') - h + 1), h);
    char masked[64];
    snprintf(masked, sizeof(masked), "%s<hash of the password file>", method);
    char *r = test_replace(shadow, hash, masked);
    free(shadow);
    return r;
}

/* etc/.updated and var/.updated, where the configurator wrote them, carry /usr's time, as their
 * mtime and in the text, which cannot be golden (a checkout's time): checked here, printed as
 * <usr's mtime>. A stamp the tree had stays as it was (its text says so in "expected"). */
static char *mask_stamps(char *text, const char *root)
{
    char path[4200], ns[64], line[96];
    struct stat usr, st;
    snprintf(path, sizeof(path), "%s/usr", root);
    if (stat(path, &usr) < 0)
        return text;
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s/.updated", root, i ? "var" : "etc");
        _cleanup_free_ char *stamp = slurp_in(root, i ? "var/.updated" : "etc/.updated", NULL);
        if (lstat(path, &st) < 0 || !stamp || !strstr(stamp, "virt-nfsroot"))
            continue;
        CHECKF(st.st_mtim.tv_sec == usr.st_mtim.tv_sec && st.st_mtim.tv_nsec == usr.st_mtim.tv_nsec,
               "%s does not have /usr's mtime", path);
    }
    snprintf(ns, sizeof(ns), "TIMESTAMP_NSEC=%llu",
             (unsigned long long)usr.st_mtim.tv_sec * 1000000000ULL +
                 (unsigned long long)usr.st_mtim.tv_nsec);
    snprintf(line, sizeof(line), "TIMESTAMP_NSEC=<usr's mtime>");
    char *r = test_replace(text, ns, line);
    free(text);
    return r;
}

/* "shadow_owner = UID:GID": etc/shadow's owner after configuring, as root (unprivileged, the
 * configurator cannot chown and the file stays the caller's; its mode is in "expected"). */
static void shadow_owner(const char *conf, const char *root)
{
    char v[64], path[256];
    struct stat st;
    if (!setting(conf, "shadow_owner", v, sizeof(v)) || geteuid() != 0)
        return;
    snprintf(path, sizeof(path), "%s/etc/shadow", root);
    CHECKF(lstat(path, &st) == 0, "no %s", path);
    char got[64];
    snprintf(got, sizeof(got), "%u:%u", (unsigned)st.st_uid, (unsigned)st.st_gid);
    CHECKF(strcmp(got, v) == 0, "etc/shadow is owned by %s, not %s", got, v);
}

static void print_findings(FILE *o, const nfsroot_findings *f, const char *prefix)
{
    for (size_t i = 0; i < f->n; i++) {
        fprintf(o, "%s: %s %s\n", prefix, nfsroot_finding_level_name(f->items[i].level),
                f->items[i].code);
        fprintf(o, "  %s\n", f->items[i].message);
    }
}

/* What validate says about the configured tree: create's output must pass its own checks. */
static void bootchecks(FILE *o, const char *root, const char *server, const char *cmdline,
                       const char *hostconf, bool distro_only)
{
    char *clients[] = { "192.168.122.0/24", NULL };
    nfsroot_export e = { .path = (char *)root, .clients = clients, .is_root = true };
    nfsroot_plan plan = {
        .domain = "case", .exports = &e, .n_exports = 1, .server = (char *)server
    };
    nfsroot_policy pol = { .backend = NFSROOT_BACKEND_KERNEL };
    nfsroot_findings *f = NULL;
    nfsroot_findings_new(&f);
    if (cmdline && !distro_only)
        CHECK(nfsroot_bootcheck_cmdline(&pol, cmdline, true, NULL, &plan, f) >= 0);
    if (cmdline && !distro_only)
        CHECK(nfsroot_bootcheck_fstab(&plan, f) >= 0);
    if (cmdline && hostconf && !distro_only)
        CHECK(nfsroot_bootcheck_idmap(hostconf, &plan, f) >= 0);
    CHECK(nfsroot_bootcheck_distro(&plan, cmdline, f) >= 0);
    print_findings(o, f, "check");
    nfsroot_findings_free(f);
}

static int configure(FILE *o, const char *dir, const char *conf, const char *root,
                     const char *hostconf, char **ret_cmdline)
{
    char v[1024], file[4200];
    nfsroot_error err = NFSROOT_ERROR_INIT;
    nfsroot_guest_profile *p = NULL;
    if (nfsroot_guest_profile_detect(root, &p, &err) < 0) {
        fprintf(o, "refused (%s): %s\n", strerror(-err.code), err.message);
        return -1;
    }
    const char *osinfo = nfsroot_guest_profile_osinfo(p);
    fprintf(o, "profile: %s release '%s' osinfo %s\n", nfsroot_guest_profile_name(p),
            nfsroot_guest_profile_release(p), osinfo ? osinfo : "(none)");
    nfsroot_guest_config *c = NULL;
    CHECK(nfsroot_guest_config_new(&c) == 0);
    /* Only versions a guest's root= can ask for (the backend's choice, see lib/backend). */
    CHECK(nfsroot_guest_config_set(c, NFSROOT_GUEST_NFS_VERSION, "4.3") == -EINVAL);
    CHECK(nfsroot_guest_config_set(c, NFSROOT_GUEST_NFS_VERSION, "4.1 rw,x") == -EINVAL);
    CHECK(nfsroot_guest_config_set(c, NFSROOT_GUEST_ASLR, "no") == -EINVAL);
    CHECK(nfsroot_guest_config_set(c, NFSROOT_GUEST_ASLR, "off norandmaps") == -EINVAL);
    const char *server = setting(conf, "server", v, sizeof(v));
    nfsroot_guest_config_set(c, NFSROOT_GUEST_SERVER, server ? server : "192.168.122.1");
    nfsroot_guest_config_set(c, NFSROOT_GUEST_EXPORT_PATH, root);
    nfsroot_guest_config_set(c, NFSROOT_GUEST_HOST_IDMAPD_CONF, hostconf);
    static const struct {
        const char *key;
        nfsroot_guest_key k;
    } keys[] = { { "hostname", NFSROOT_GUEST_HOSTNAME },
                 { "ssh_key", NFSROOT_GUEST_SSH_KEY },
                 { "password_hash", NFSROOT_GUEST_ROOT_PASSWORD_HASH },
                 { "nfs_version", NFSROOT_GUEST_NFS_VERSION },
                 { "address", NFSROOT_GUEST_ADDRESS },
                 { "mac", NFSROOT_GUEST_MAC } };
    for (size_t i = 0; i < ELEMENTSOF(keys); i++)
        if (setting(conf, keys[i].key, v, sizeof(v)))
            nfsroot_guest_config_set(c, keys[i].k, v);
    if (setting(conf, "password_file", v, sizeof(v))) {
        snprintf(file, sizeof(file), "%s/%s", dir, v);
        nfsroot_guest_config_set(c, NFSROOT_GUEST_ROOT_PASSWORD_FILE, file);
    }
    nfsroot_findings *notes = NULL;
    nfsroot_findings_new(&notes);
    int r = nfsroot_guest_configure(root, p, c, notes, ret_cmdline, &err);
    if (r < 0)
        fprintf(o, "refused (%s): %s\n", strerror(-r), err.message);
    else {
        fprintf(o, "cmdline: %s\n", *ret_cmdline);
        /* ASLR off (create --no-aslr) adds norandmaps to this cmdline and changes nothing else. */
        _cleanup_free_ char *off = NULL, *want = NULL;
        CHECK(nfsroot_guest_config_set(c, NFSROOT_GUEST_ASLR, "off") == 0);
        CHECK(nfsroot_guest_cmdline(p, c, &off, &err) == 0);
        CHECK(asprintf(&want, "%s norandmaps", *ret_cmdline) > 0);
        CHECK(off && want && strcmp(off, want) == 0);
    }
    print_findings(o, notes, "note");
    nfsroot_findings_free(notes);
    nfsroot_guest_config_free(c);
    nfsroot_guest_profile_free(p);
    return r;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return fprintf(stderr, "usage: guest-case CASE_DIR\n"), 2;
    const char *dir = argv[1];
    _cleanup_free_ char *conf = slurp_in(dir, "case", NULL);
    char base[] = "/tmp/guest-case.XXXXXX";
    if (!mkdtemp(base))
        return perror("mkdtemp"), 1;
    char in[64], root[64], outside[64], tree[4200], hostconf[4200], v[1024];
    snprintf(in, sizeof(in), "%s/in", base);
    snprintf(root, sizeof(root), "%s/root", base);
    snprintf(outside, sizeof(outside), "%s/outside", base);
    snprintf(tree, sizeof(tree), "%s/tree", dir);
    mkdir(outside, 0755);
    char *cp1[] = { "cp", "-a", tree, in, NULL }, *cp2[] = { "cp", "-a", tree, root, NULL };
    if (run(cp1) != 0 || run(cp2) != 0)
        return fprintf(stderr, "cannot copy %s\n", tree), 1;
    const char *hc = setting(conf, "host_idmapd_conf", v, sizeof(v));
    snprintf(hostconf, sizeof(hostconf), "%s/%s", dir, hc ? hc : "../_host-idmapd.conf");

    char *text = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&text, &len);
    _cleanup_free_ char *cmdline = NULL;
    bool validate_only = setting(conf, "validate_only", v, sizeof(v)) != NULL;
    if (validate_only)
        cmdline = setting(conf, "cmdline", v, sizeof(v)) ? strdup(v) : NULL;
    else if (configure(o, dir, conf, root, hostconf, &cmdline) == 0) {
        dump(o, in, root, "");
        /* A second run (create --reuse) writes the same files again, nothing more. */
        char *once = NULL, *twice = NULL, *c2 = NULL;
        size_t l1 = 0, l2 = 0;
        FILE *m1 = open_memstream(&once, &l1), *m2 = open_memstream(&twice, &l2);
        dump(m1, in, root, "");
        fclose(m1);
        FILE *dev_null = fopen("/dev/null", "we");
        CHECK(configure(dev_null, dir, conf, root, hostconf, &c2) == 0);
        fclose(dev_null);
        dump(m2, in, root, "");
        fclose(m2);
        once = mask_hash(once, NULL), twice = mask_hash(twice, NULL);
        CHECKF(strcmp(once, twice) == 0, "configuring twice differs:\n%s---\n%s", once, twice);
        free(once), free(twice), free(c2);
        shadow_owner(conf, root);
    } else {
        dump(o, in, root, ""); /* a refusal writes nothing: this prints nothing */
    }
    char srv[256];
    bootchecks(o, root, setting(conf, "server", srv, sizeof(srv)) ? srv : "192.168.122.1", cmdline,
               hostconf, validate_only);
    fclose(o);

    _cleanup_(closedirp) DIR *d = opendir(outside);
    int entries = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        entries++;
    CHECKF(entries == 2, "something was written outside the tree, into %s", outside);

    char pw[256] = "";
    if (setting(conf, "password_file", v, sizeof(v))) {
        _cleanup_free_ char *t = slurp_in(dir, v, NULL);
        snprintf(pw, sizeof(pw), "%.*s", t ? (int)strcspn(t, "\n") : 0, t ? t : "");
    }
    if (pw[0])
        text = mask_hash(text, pw);
    text = mask_stamps(text, root);
    _cleanup_free_ char *got = test_replace(text, root, "@ROOT@");
    free(text);
    char exp[4200];
    snprintf(exp, sizeof(exp), "%s/expected", dir);
    test_golden(exp, got, "NFSROOT_REGENERATE");
    char *rm[] = { "rm", "-rf", base, NULL };
    run(rm);
    return test_summary();
}
