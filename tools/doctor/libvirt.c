/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's side: the hook installed where libvirtd looks, libvirtd started after it, and the
 * networks guests are on (read from their XML files by the library: no libvirt connection, so
 * it works on fixture hosts). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doctor.h"

/* Mode and owner of one hook program (what libvirtd runs as root). */
static bool hook_file_ok(doctor *d, const char *what, const char *host_path, const struct stat *st)
{
    char fix[2 * 4096 + 64];
    unsigned mode = (unsigned)(st->st_mode & 07777);
    if (!S_ISREG(st->st_mode)) {
        doctor_add(d, "hook", ST_FAIL, "reinstall virt-nfsroot", "%s %s is not a regular file",
                   what, host_path);
        return false;
    }
    if (st->st_uid != d->root_uid || (st->st_mode & (S_IWGRP | S_IWOTH))) {
        snprintf(fix, sizeof(fix), "chown root:root %s; chmod 0755 %s", host_path, host_path);
        doctor_add(d, "hook", ST_FAIL, fix,
                   "%s %s (uid %u, mode %04o) can be changed by someone other than root, and "
                   "libvirtd runs it as root",
                   what, host_path, (unsigned)st->st_uid, mode);
        return false;
    }
    if (!(st->st_mode & S_IXUSR)) {
        snprintf(fix, sizeof(fix), "chmod 0755 %s, then restart libvirtd", host_path);
        doctor_add(d, "hook", ST_FAIL, fix, "%s %s is not executable (mode %04o): libvirt skips it",
                   what, host_path, mode);
        return false;
    }
    return true;
}

/* Where the hook entry leads: itself, or the absolute target of its symlink. */
static bool hook_target(doctor *d, const struct stat *st, char *target, size_t len)
{
    snprintf(target, len, "%s", NFSROOT_HOOK_PATH);
    if (!S_ISLNK(st->st_mode))
        return true;
    _cleanup_close_ int fd = doctor_open(d, NFSROOT_HOOK_PATH, O_PATH | O_NOFOLLOW);
    ssize_t n = fd < 0 ? -1 : readlinkat(fd, "", target, len - 1);
    if (n <= 0 || target[0] != '/') {
        doctor_add(d, "hook", ST_FAIL, "reinstall virt-nfsroot (its link is absolute)",
                   "the hook %s is a symlink that does not name an absolute path",
                   NFSROOT_HOOK_PATH);
        return false;
    }
    target[n] = '\0';
    return true;
}

/* The front end runs qemu-hook-run from its own directory. */
static bool hook_second_stage(doctor *d, const char *target, char *run, size_t len)
{
    struct stat st;
    const char *slash = strrchr(target, '/');
    if ((size_t)snprintf(run, len, "%.*s/qemu-hook-run", (int)(slash - target), target) >= len)
        run[0] = '\0';
    if (!run[0] || doctor_stat(d, run, true, &st) < 0) {
        doctor_add(d, "hook", ST_FAIL,
                   "install the hook with cmake --install or the .deb (a symlink to its "
                   "directory), not by copying one file",
                   "the hook's second stage %s is missing: every annotated domain would fail to "
                   "start",
                   run);
        return false;
    }
    return hook_file_ok(d, "the hook's second stage", run, &st);
}

/* The hook in libvirt's directory is a symlink to the front end in libexec (or, installed by
 * hand, a copy of it). */
void check_hook(doctor *d)
{
    char target[4096], run[4096];
    struct stat st, tst;
    d->hook_time = 0;
    if (doctor_stat(d, NFSROOT_HOOK_PATH, false, &st) < 0) {
        doctor_add(d, "hook", ST_FAIL,
                   "install virt-nfsroot (cmake --install, or the .deb), then restart libvirtd",
                   "the hook %s is not installed: libvirt never calls virt-nfsroot",
                   NFSROOT_HOOK_PATH);
        return;
    }
    /* libvirt finds hooks when it starts: what counts is when the entry appeared. */
    d->hook_time = st.st_ctime;
    if (!hook_target(d, &st, target, sizeof(target)))
        return;
    /* Below --root, any further links of the target resolve inside it too. */
    if (doctor_stat(d, target, true, &tst) < 0) {
        doctor_add(d, "hook", ST_FAIL,
                   "reinstall virt-nfsroot (cmake --install, or the .deb), then restart libvirtd",
                   "the hook %s points to %s, which does not exist: libvirt skips it",
                   NFSROOT_HOOK_PATH, target);
        return;
    }
    if (!hook_file_ok(d, "the hook", target, &tst) || !hook_second_stage(d, target, run, 4096))
        return;
    if (!strcmp(target, NFSROOT_HOOK_PATH))
        doctor_add(d, "hook", ST_PASS, NULL, "%s installed, root-owned, mode %04o",
                   NFSROOT_HOOK_PATH, (unsigned)(st.st_mode & 07777));
    else
        doctor_add(d, "hook", ST_PASS, NULL, "%s installed (-> %s, root-owned, with %s)",
                   NFSROOT_HOOK_PATH, target, run);
}

/* ---------------------------------------------------------------------------------------- */
/* libvirt looks for hooks once, when the daemon starts. */

/* The running libvirtd or virtqemud: from its pid file, else by name. 0 when none. */
static long find_daemon(const doctor *d, const char **ret_name)
{
    static const struct {
        const char *pidfile, *comm;
    } daemons[] = {
        { "/run/libvirtd.pid", "libvirtd" },
        { "/run/virtqemud.pid", "virtqemud" },
    };
    for (size_t i = 0; i < ELEMENTSOF(daemons); i++) {
        _cleanup_free_ char *t = NULL, *stat_text = NULL;
        char rel[64];
        if (doctor_read(d, daemons[i].pidfile, &t, NULL) < 0)
            continue;
        long pid = strtol(t, NULL, 10); /* skips leading white space */
        snprintf(rel, sizeof(rel), "/proc/%ld/stat", pid);
        if (pid > 0 && doctor_read(d, rel, &stat_text, NULL) == 0) {
            *ret_name = daemons[i].comm;
            return pid;
        }
    }
    static const char *const names[] = { "libvirtd", "virtqemud", NULL };
    *ret_name = "libvirtd";
    return doctor_find_process(d, names);
}

/* When process pid started (boot time + field 22 of /proc/PID/stat), or -1. */
static time_t start_time(const doctor *d, long pid)
{
    char rel[64];
    snprintf(rel, sizeof(rel), "/proc/%ld/stat", pid);
    _cleanup_free_ char *st = NULL, *ps = NULL;
    long long btime = -1;
    unsigned long long ticks = 0;
    if (doctor_read(d, rel, &st, NULL) == 0) {
        char *rp = strrchr(st, ')'); /* comm may contain spaces */
        int field = 2;
        for (char *q = rp ? rp + 1 : NULL; q && *q; q++)
            if (*q == ' ' && ++field == 22) {
                ticks = strtoull(q + 1, NULL, 10);
                break;
            }
    }
    if (doctor_read(d, "/proc/stat", &ps, NULL) == 0) {
        char *b = strstr(ps, "\nbtime ");
        if (b)
            btime = strtoll(b + 7, NULL, 10);
    }
    if (btime < 0 || !ticks)
        return -1;
    return (time_t)(btime + (long long)(ticks / (unsigned long long)sysconf(_SC_CLK_TCK)));
}

void check_daemon_order(doctor *d)
{
    const char *name = NULL;
    long pid = find_daemon(d, &name);
    if (!pid) {
        doctor_add(d, "libvirtd", ST_WARN, "start libvirtd (systemctl enable --now libvirtd)",
                   "libvirtd (or virtqemud) is not running");
        return;
    }
    if (!d->hook_time) {
        doctor_add(d, "libvirtd", ST_SKIP, NULL, "%s runs (pid %ld); no hook to compare with", name,
                   pid);
        return;
    }
    time_t started = start_time(d, pid);
    if (started < 0) {
        doctor_add(d, "libvirtd", ST_WARN,
                   "restart libvirtd if the hook was installed after it started",
                   "%s runs (pid %ld) but its start time cannot be read", name, pid);
        return;
    }
    char a[64], b[64];
    struct tm tm;
    strftime(a, sizeof(a), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&started, &tm));
    strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&d->hook_time, &tm));
    if (started + 1 < d->hook_time)
        doctor_add(d, "libvirtd", ST_FAIL,
                   "restart libvirtd (systemctl restart libvirtd): running guests keep running",
                   "%s (pid %ld) started at %s, before the hook was installed or changed at %s: "
                   "it does not know the hook",
                   name, pid, a, b);
    else
        doctor_add(d, "libvirtd", ST_PASS, NULL, "%s (pid %ld) started at %s, after the hook (%s)",
                   name, pid, a, b);
}

/* ---------------------------------------------------------------------------------------- */
/* libvirt networks, read from their XML files */

static void load_network(doctor *d, const char *file, bool active)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0, hosts = 0;
    _cleanup_(nfsroot_netinfo_freep) nfsroot_netinfo *info = NULL;
    nfsroot_error err = { 0 };
    char shown[4096];
    if (d->n_nets >= ELEMENTSOF(d->nets) || doctor_read(d, file, &text, &len) < 0)
        return;
    if (nfsroot_network_xml_parse(text, len, doctor_at(d, file, shown, sizeof(shown)), &info,
                                  &hosts, &err) < 0) {
        if (!d->net_error[0])
            snprintf(d->net_error, sizeof(d->net_error), "%s", err.message);
        return;
    }
    /* The live copy wins over the defined one. */
    for (size_t i = 0; i < d->n_nets; i++)
        if (!strcmp(nfsroot_netinfo_get_name(d->nets[i].info), nfsroot_netinfo_get_name(info)))
            return;
    d->nets[d->n_nets++] = (network){ .info = TAKE_PTR(info), .active = active, .n_hosts = hosts };
}

void doctor_load_networks(doctor *d)
{
    if (d->nets_loaded)
        return;
    d->nets_loaded = true;
    const char *live = nfsroot_policy_get_network_dir(d->policy);
    if (!live)
        live = "/run/libvirt/network";
    for (int pass = 0; pass < 2; pass++) {
        _cleanup_(nfsroot_strv_freep) char **files =
            doctor_list(d, pass == 0 ? live : "/etc/libvirt/qemu/networks", "*.xml");
        for (size_t i = 0; files && files[i]; i++)
            load_network(d, files[i], pass == 0);
    }
}

/* "default (active, 192.168.122.0/24, 2 static DHCP host(s))" into f; IPv4 subnets of active
 * networks are counted in *with_v4. */
static void describe_network(FILE *f, const network *n, bool first, size_t *with_v4)
{
    fprintf(f, "%s%s (%s", first ? "" : "; ", nfsroot_netinfo_get_name(n->info),
            n->active ? "active" : "inactive");
    for (size_t s = 0; s < nfsroot_netinfo_get_n_subnets(n->info); s++) {
        char buf[64];
        fprintf(f, ", %s",
                nfsroot_cidr_format(nfsroot_netinfo_get_subnet(n->info, s), buf, sizeof(buf)));
        if (n->active && nfsroot_netinfo_get_subnet(n->info, s)->family == AF_INET)
            (*with_v4)++;
    }
    if (!nfsroot_netinfo_get_n_subnets(n->info))
        fprintf(f, ", no <ip>: bridged or routed elsewhere");
    if (n->n_hosts)
        fprintf(f, ", %zu static DHCP host(s)", n->n_hosts);
    fprintf(f, ")");
}

void check_networks(doctor *d)
{
    doctor_load_networks(d);
    _cleanup_free_ char *text = NULL;
    size_t len = 0, active = 0, with_v4 = 0;
    FILE *f = open_memstream(&text, &len);
    for (size_t i = 0; f && i < d->n_nets; i++) {
        active += d->nets[i].active;
        describe_network(f, &d->nets[i], i == 0, &with_v4);
    }
    if (f)
        fclose(f);
    if (d->n_nets == 0)
        doctor_add(
            d, "libvirt-networks", ST_WARN,
            "define a NAT network (virsh net-define /usr/share/libvirt/networks/default.xml; "
            "virsh net-start default; virsh net-autostart default), or give guests a bridge "
            "with an address on this host",
            "no libvirt network found in %s or /etc/libvirt/qemu/networks",
            nfsroot_policy_get_network_dir(d->policy));
    else if (active == 0)
        doctor_add(d, "libvirt-networks", ST_WARN,
                   "virsh net-start NAME && virsh net-autostart NAME: the hook reads the live "
                   "network to find the guest's address",
                   "no libvirt network is active: %s", text ? text : "");
    else if (d->net_error[0])
        doctor_add(d, "libvirt-networks", ST_WARN,
                   "correct that network's XML (virsh net-edit NAME): the hook cannot read it "
                   "either",
                   "%s; skipped: %s", text ? text : "", d->net_error);
    else
        doctor_add(d, "libvirt-networks", with_v4 ? ST_PASS : ST_WARN,
                   with_v4 ? NULL : "give the guests' network an IPv4 <ip> with DHCP", "%s",
                   text ? text : "");
}

/* ---------------------------------------------------------------------------------------- */
/* Live migration: what every host must have alike for a guest moved here */

/* The first IPv4 address this host has on the network (its gateway), without the prefix. */
static bool network_gateway(const nfsroot_netinfo *n, char *buf, size_t len)
{
    for (size_t i = 0; i < nfsroot_netinfo_get_n_host_addrs(n); i++)
        if (nfsroot_netinfo_get_host_addr(n, i)->family == AF_INET) {
            nfsroot_cidr_format(nfsroot_netinfo_get_host_addr(n, i), buf, len);
            buf[strcspn(buf, "/")] = '\0';
            return true;
        }
    return false;
}

/* Each active network with an IPv4 gateway must pin the bridge MAC every host derives for it
 * (the hook refuses an incoming migration otherwise: a moved guest would stall until its ARP
 * entry for the gateway expires), and the NFS server's own settings must suit (its probe). */
void check_migration(doctor *d)
{
    if (d->policy && !nfsroot_policy_get_migration(d->policy)) {
        doctor_add(d, "migration", ST_SKIP, NULL,
                   "migration = no in the policy: this host takes no live-migrated guests");
        return;
    }
    doctor_load_networks(d);
    _cleanup_free_ char *why = NULL, *fix = NULL;
    size_t why_len = 0, fix_len = 0, checked = 0;
    FILE *w = open_memstream(&why, &why_len), *f = open_memstream(&fix, &fix_len);
    if (!w || !f) {
        if (w)
            fclose(w);
        if (f)
            fclose(f);
        return;
    }
    for (size_t i = 0; i < d->n_nets; i++) {
        const nfsroot_netinfo *n = d->nets[i].info;
        char gw[64], want[18];
        if (!d->nets[i].active || !network_gateway(n, gw, sizeof(gw)))
            continue;
        checked++;
        nfsroot_network_mac_derive(nfsroot_netinfo_get_name(n), gw, want);
        const char *mac = nfsroot_netinfo_get_bridge_mac(n), *name = nfsroot_netinfo_get_name(n);
        if (!strcmp(mac, want))
            continue;
        fprintf(w, "%snetwork '%s' has bridge MAC '%s', not the '%s' every host derives for it",
                ftell(w) ? "; " : "", name, mac[0] ? mac : "none", want);
        fprintf(f,
                "%spin <mac address='%s'/> in network '%s' on every host (virsh net-edit %s; "
                "virsh net-destroy %s; virsh net-start %s)",
                ftell(f) ? "; " : "", want, name, name, name, name);
    }
    const char *mreason = "", *mfix = "";
    int mig = d->probe ? nfsroot_probe_get_migration(d->probe, &mreason, &mfix) : -1;
    if (mig == 0) {
        fprintf(w, "%s%s", ftell(w) ? "; " : "", mreason);
        fprintf(f, "%s%s", ftell(f) ? "; " : "", mfix);
    }
    bool warn = ftell(w) > 0;
    fclose(w);
    fclose(f);
    if (warn)
        doctor_add(d, "migration", ST_WARN, fix, "guests live-migrated here would stall: %s", why);
    else if (checked == 0 && mig < 0)
        doctor_add(d, "migration", ST_SKIP, NULL, "no active network with an IPv4 gateway, and %s",
                   mreason[0] ? mreason : "the NFS server not checked");
    else
        doctor_add(d, "migration", ST_PASS, NULL,
                   "%zu network(s) pin the bridge MAC every host derives; %s", checked,
                   mreason[0] ? mreason : "the NFS server not checked");
}

/* What create gives its guests: kvm where KVM runs a guest here (the library's probe, which
 * create asks too), else qemu (TCG). */
void check_kvm(doctor *d)
{
    char why[256];
    if (nfsroot_host_kvm_check(doctor_root_fd(d), why, sizeof(why)) == 0)
        doctor_add(d, "kvm", ST_PASS, NULL, "KVM works: create gives guests type 'kvm'");
    else
        doctor_add(d, "kvm", ST_WARN,
                   "turn on hardware virtualisation (VT-x/AMD-V; nested virtualisation in a VM), "
                   "load kvm_intel or kvm_amd, and let libvirt's qemu user open /dev/kvm",
                   "%s: create gives guests type 'qemu' (TCG, many times slower)", why);
}
