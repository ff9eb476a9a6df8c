/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot's private interface: what the hook runner, the CLI and the tests share with the
 * library beyond the public header. NOT installed: its symbols are in the version node
 * VIRT_NFSROOT_PRIVATE_<version> (lib/libvirt-nfsroot_private.syms), so a program built against
 * it loads only the library of that exact version. The public header's conventions hold here
 * too. Include this one, never virt-nfsroot-guest.h or virt-nfsroot-owned.h alone. */
#ifndef VIRT_NFSROOT_PRIVATE_H
#define VIRT_NFSROOT_PRIVATE_H

#include "virt-nfsroot/virt-nfsroot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Backend probes (doctor) */

/* What the NFS server of policy p's backend says about itself, as data (doctor prints it):
 * opaque, so a backend with more to say keeps the ABI. */
typedef struct nfsroot_probe nfsroot_probe;
#define NFSROOT_PROBE_VERSIONS 5 /* versions: 0 = NFSv2, 1 = v3, 2 = v4.0, 3 = v4.1, 4 = v4.2 */
/* What the backend needs from its server's own configuration (ganesha.conf's %include of the
 * index, its NFSv4 owners...): rows with a stable id, a verdict, one sentence, and the fix
 * (NULL when none). nfsroot_probe_get_check() returns the verdict, -1 past the last row. */
typedef enum {
    NFSROOT_PROBE_PASS,
    NFSROOT_PROBE_WARN,
    NFSROOT_PROBE_FAIL,
} nfsroot_probe_status;

/* ------------------------------------------------------------------------------------------ */
/* Addresses */

typedef struct nfsroot_cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    uint8_t prefix; /* 0..32 or 0..128 */
} nfsroot_cidr;

/* What the host knows of the network a NIC is on. */
/* What the host knows of a NIC's network: opaque (a network with more to say keeps the ABI). */
typedef struct nfsroot_netinfo nfsroot_netinfo;

/* ------------------------------------------------------------------------------------------ */
/* exports(5) files (/etc/exports, exports.d), read as nfs-utils reads them */

typedef struct nfsroot_exports_entry {
    char *path;    /* the exported directory, quotes and \ooo escapes undone */
    char *client;  /* as written ("*", "host", "10.0.0.0/8", "@netgroup"); "" = everyone */
    char *options; /* the line's "-defaults", then the client's own options; "" when none */
    int line;      /* where the entry's line starts */
} nfsroot_exports_entry;

/* A libvirt network's first IPv4 <ip> with <dhcp>, for pinning a guest's address. */
/* A network's DHCP: opaque. */
typedef struct nfsroot_netdhcp nfsroot_netdhcp;

/* ------------------------------------------------------------------------------------------ */
/* Host configuration files other programs own, read as those programs read them (doctor) */

/* nfs-utils' configuration files, nfs.conf(5) and idmapd.conf(5): opaque settings. */
typedef struct nfsroot_conffile nfsroot_conffile;

/* ------------------------------------------------------------------------------------------ */
/* Paths, records, orphans */

/* The directory directly below an export root where create builds trees before renaming them
 * into place: root's alone, and no export path may name it or anything below it. */
#define NFSROOT_STAGING_DIR ".virt-nfsroot-staging"

/* Something a backend made for a domain that no record owns any more (left by a crash or a host
 * reboot): for the kernel backend a file of ours in the exports directory. */
typedef struct nfsroot_orphan {
    nfsroot_backend_kind backend;
    char uuid[37]; /* the domain it was made for */
    char *where;   /* for the user: the file, or the server's entry */
} nfsroot_orphan;

/* ------------------------------------------------------------------------------------------ */
/* The hook (libvirt's qemu hook contract), as one call so the hook binary stays libc-only */

/* The layout of nfsroot_hook_args this header describes: the caller sets .version to it (a
 * zero version counts as 1), so that a later library, whose struct has grown, reads the fields
 * after version 1's only from callers that have them. */
#define NFSROOT_HOOK_ARGS_VERSION 1

typedef struct nfsroot_hook_args {
    unsigned version;   /* NFSROOT_HOOK_ARGS_VERSION (0 means 1) */
    const char *domain; /* argv[1] */
    const char *op;     /* argv[2] */
    const char *subop;  /* argv[3] */
    const char *extra;  /* argv[4] */
    const char *xml;    /* stdin */
    size_t xml_len;
    const nfsroot_log *log;
} nfsroot_hook_args;

typedef int (*nfsroot_hook_run_fn)(const nfsroot_hook_args *a, nfsroot_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Functions of the private node, in the order the public header had them */

/* Does policy p's backend offer NFSv3 (what rpcbind is for)? When not, why names the setting
 * that turns it off. */
NFSROOT_API bool nfsroot_backend_offers_nfsv3(const nfsroot_policy *p, char *why, size_t len);
/* migration = yes: this host takes live-migrated guests (what they need is a warning). */
NFSROOT_API bool nfsroot_policy_get_migration(const nfsroot_policy *p);
NFSROOT_API const char *const *nfsroot_policy_get_boot_dirs(const nfsroot_policy *p);
/* Where what create and annotate made is recorded (persistent, root-only). */
NFSROOT_API const char *nfsroot_policy_get_owned_dir(const nfsroot_policy *p);
NFSROOT_API const char *nfsroot_policy_get_exports_dir(const nfsroot_policy *p);
NFSROOT_API const char *nfsroot_policy_get_network_dir(const nfsroot_policy *p);
/* The NFS version ("4.2", "4.1") a guest's root should mount from policy p's backend: the newest
 * it serves correctly to Linux guests; NULL: any (let the client negotiate). */
NFSROOT_API const char *nfsroot_backend_guest_nfs_version(const nfsroot_policy *p);
/* A deep copy of p into *ret, to change with the setters below without touching p. 0 or
 * -ENOMEM. */
NFSROOT_API int nfsroot_policy_dup(const nfsroot_policy *p, nfsroot_policy **ret);
NFSROOT_API void nfsroot_policy_set_backend(nfsroot_policy *p, nfsroot_backend_kind backend);
NFSROOT_API void nfsroot_policy_set_validate(nfsroot_policy *p, nfsroot_validate_mode mode);
/* Copy value (NULL: unset) into the setting. 0 or -ENOMEM (then it is unchanged). */
NFSROOT_API int nfsroot_policy_set_state_dir(nfsroot_policy *p, const char *value);
NFSROOT_API int nfsroot_policy_set_source(nfsroot_policy *p, const char *value);
/* Probe policy p's backend into a new *ret, reading every host file beneath root_fd (an O_PATH
 * directory: symbolic links resolve inside it, ".." stops at it; fixture hosts), or the host's
 * own files with AT_FDCWD. Never changes anything. A backend without a probe gives running =
 * -1 and the reasons. 0, or -errno with err filled. Free with nfsroot_probe_free(). */
NFSROOT_API int nfsroot_backend_probe(const nfsroot_policy *p, int root_fd, nfsroot_probe **ret,
                                      nfsroot_error *err);
NFSROOT_API void nfsroot_probe_free(nfsroot_probe *pr);
/* What a backend with a store shared by several hosts (the ceph backend: its cluster) holds of
 * one export of a record, for status: up to NFSROOT_VIEW_FACTS facts (key, then a string, a
 * boolean, or null for absent), the same in one line for people, and how this host's record and
 * the shared store disagree ("" when they agree). n = 0: the backend keeps no shared store. */
#define NFSROOT_VIEW_FACTS 4
typedef enum { NFSROOT_VIEW_NULL, NFSROOT_VIEW_BOOL, NFSROOT_VIEW_STRING } nfsroot_view_kind;
typedef struct nfsroot_view_fact {
    const char *key; /* static */
    nfsroot_view_kind kind;
    bool b;
    char s[80];
} nfsroot_view_fact;
typedef struct nfsroot_export_view {
    size_t n;
    nfsroot_view_fact facts[NFSROOT_VIEW_FACTS];
    char text[256];
    char disagree[256];
} nfsroot_export_view;
/* Fill ret[i] for each export i of plan (ret holds its n_exports; all n = 0 when policy p's
 * backend has no shared store). Reads only. 0, or -errno with err filled. */
NFSROOT_API int nfsroot_backend_view(const nfsroot_policy *p, const nfsroot_plan *plan,
                                     nfsroot_export_view *ret, nfsroot_error *err);
/* For validate: what a start of plan on this host needs from policy p's backend's shared store
 * (the ceph backend: the cluster reachable, pool and namespace present, no other host holding
 * the claim of a read-write export), one finding each. Reads only. 0 or -ENOMEM. */
NFSROOT_API int nfsroot_backend_start_findings(const nfsroot_policy *p, const nfsroot_plan *plan,
                                               nfsroot_findings *f);
/* 1 running, 0 not (the reason says why, the fix how to start it), -1 unknown. */
NFSROOT_API int nfsroot_probe_get_running(const nfsroot_probe *pr);
/* Its process when found (else 0); its server threads when known (else -1). */
NFSROOT_API long nfsroot_probe_get_pid(const nfsroot_probe *pr);
NFSROOT_API long nfsroot_probe_get_threads(const nfsroot_probe *pr);
/* One sentence: what runs ("... running with 8 threads") or why not. */
NFSROOT_API const char *nfsroot_probe_get_reason(const nfsroot_probe *pr);
/* How to start it; NULL when running or unknown. */
NFSROOT_API const char *nfsroot_probe_get_fix(const nfsroot_probe *pr);
/* Version i (NFSROOT_PROBE_VERSIONS above): 1 served, 0 off, -1 unknown (also for a NULL probe
 * or i out of range). */
NFSROOT_API int nfsroot_probe_get_version(const nfsroot_probe *pr, size_t i);
/* Why the versions are unknown, NULL when known; unreadable: although the server should say
 * (a warning rather than a skip). */
NFSROOT_API const char *nfsroot_probe_get_versions_reason(const nfsroot_probe *pr,
                                                          bool *ret_unreadable);
/* The setting that turns version i on (or off: "vers2=n"), NULL when unknown; where those
 * settings go and how to apply them ("in [nfsd] of ..."). */
NFSROOT_API const char *nfsroot_probe_get_version_setting(const nfsroot_probe *pr, size_t i,
                                                          bool on);
NFSROOT_API const char *nfsroot_probe_get_versions_where(const nfsroot_probe *pr);
/* A program the backend runs as root (NULL: none), where the server records what it exported,
 * and how to install it. */
NFSROOT_API const char *nfsroot_probe_get_helper(const nfsroot_probe *pr);
NFSROOT_API const char *nfsroot_probe_get_helper_records(const nfsroot_probe *pr);
NFSROOT_API const char *nfsroot_probe_get_helper_fix(const nfsroot_probe *pr);
/* What the server's configuration means for guests live-migrated here: 1 fine, 0 a warning
 * (reason: what a moved guest would suffer; fix: what to set on every host), -1 not checked. */
NFSROOT_API int nfsroot_probe_get_migration(const nfsroot_probe *pr, const char **ret_reason,
                                            const char **ret_fix);
/* Does the server need rpcbind? 2: it does not start without it (it serves NFSv3), 1: NFSv3
 * guests need it, 0: not needed, -1: not known. The reason: one clause saying why. */
NFSROOT_API int nfsroot_probe_get_rpcbind(const nfsroot_probe *pr, const char **ret_reason);
NFSROOT_API size_t nfsroot_probe_get_n_checks(const nfsroot_probe *pr);
NFSROOT_API int nfsroot_probe_get_check(const nfsroot_probe *pr, size_t i, const char **ret_id,
                                        const char **ret_reason, const char **ret_fix);
/* A host's files beneath root_fd as above (AT_FDCWD: this host's own). An fd or -errno. */
NFSROOT_API int nfsroot_host_open(int root_fd, const char *path, int flags);
/* A regular file of at most max bytes, NUL-terminated; ret_len may be NULL. 0 or -errno. */
NFSROOT_API int nfsroot_host_read(int root_fd, const char *path, size_t max, char **ret,
                                  size_t *ret_len);
/* The pid of a running process whose /proc/PID/comm is one of names (NULL-terminated), or 0. */
NFSROOT_API long nfsroot_host_find_process(int root_fd, const char *const *names);
/* The Debian mirror the host's apt uses (the first http(s) URL ending in /debian of
 * etc/apt/sources.list.d/ *.sources, deb822 "URIs:", in name order, then of the one-line
 * etc/apt/sources.list), trailing slashes cut, in *ret; NULL when none names one. 0 or -ENOMEM. */
NFSROOT_API int nfsroot_host_apt_mirror(int root_fd, char **ret);
/* Does KVM run guests here: root_fd's /dev/kvm opens read-write, makes a VM, and a vCPU in it
 * runs to a halt (x86: BMI2's shlx where the CPU has it, then hlt, in flat 32-bit protected
 * mode; a nested hypervisor that makes VMs can fail the shlx). 0, or -errno with why (may be
 * NULL) saying what failed. Leaves nothing behind. */
NFSROOT_API int nfsroot_host_kvm_check(int root_fd, char *why, size_t len);
/* Replace what d's element asks for by an element without exports (what `annotate` writes then
 * adds); has_metadata becomes true. */
NFSROOT_API void nfsroot_domain_clear_exports(nfsroot_domain *d);
/* Ask for one more export, as its attributes would: path NULL means the policy's export root
 * plus the domain's name; clients and options may be NULL. The first export is the root one.
 * 0 or -ENOMEM (then d is unchanged). */
NFSROOT_API int nfsroot_domain_add_export(nfsroot_domain *d, const char *path, bool readonly,
                                          const char *clients, const char *options);
/* Parse "192.168.122.0/24", "192.168.122.7" (= /32), "fd00::/64". Numeric only; host bits
 * set under the mask are an error. */
NFSROOT_API int nfsroot_cidr_parse(const char *s, nfsroot_cidr *ret);
/* "192.168.122.0/24"; a full-length prefix is still written with its prefix ("/32"). */
NFSROOT_API const char *nfsroot_cidr_format(const nfsroot_cidr *c, char *buf, size_t len);
/* Is inner entirely inside outer? */
NFSROOT_API bool nfsroot_cidr_contains(const nfsroot_cidr *outer, const nfsroot_cidr *inner);
/* "255.255.255.0" -> 24; -EINVAL unless a contiguous IPv4 netmask. The one netmask rule. */
NFSROOT_API int nfsroot_netmask_prefix(const char *netmask);
/* Address + prefix -> the subnet it is on (host bits cleared). 0, or -EINVAL when the address
 * is not numeric or the prefix out of range for its family. */
NFSROOT_API int nfsroot_cidr_subnet(const char *addr, int prefix, nfsroot_cidr *ret);
/* The prefix of a libvirt network <ip family= netmask= prefix=> (attributes may be NULL):
 * netmask (IPv4 only, contiguous) or prefix (decimal, up to 32 or 128), else 24 or 64. 0, or
 * -EINVAL. */
NFSROOT_API int nfsroot_ip_prefix(const char *family, const char *netmask, const char *prefix,
                                  int *ret);
/* Close every TCP connection of this host (its network namespace) whose local port is port and
 * whose remote address is remote (one IPv4 or IPv6 address; an IPv4 peer of a dual-stack
 * listener included): SOCK_DESTROY over NETLINK_SOCK_DIAG, the peer gets RST. closed counts
 * them. 0; -EINVAL (not one address), -EOPNOTSUPP (no CONFIG_INET_DIAG_DESTROY), -E2BIG (more
 * than 64: the first 64 closed), another -errno (-EPERM without CAP_NET_ADMIN). */
NFSROOT_API int nfsroot_tcp_close_from(const char *remote, uint16_t port, unsigned *closed,
                                       nfsroot_error *err);
/* Find what the host knows of a NIC's network without calling libvirt: the live network XML
 * in policy->network_dir, or the bridge's addresses from the kernel. */
NFSROOT_API int nfsroot_netinfo_load(const nfsroot_policy *p, const nfsroot_domain *d,
                                     const nfsroot_nic *nic, nfsroot_netinfo **ret,
                                     nfsroot_error *err);
NFSROOT_API void nfsroot_netinfo_free(nfsroot_netinfo *n);
/* The network or bridge name. */
NFSROOT_API const char *nfsroot_netinfo_get_name(const nfsroot_netinfo *n);
/* Its subnets, and this host's address(es) on it (prefix = the subnet's): the i-th, NULL past
 * the last. */
NFSROOT_API size_t nfsroot_netinfo_get_n_subnets(const nfsroot_netinfo *n);
NFSROOT_API const nfsroot_cidr *nfsroot_netinfo_get_subnet(const nfsroot_netinfo *n, size_t i);
NFSROOT_API size_t nfsroot_netinfo_get_n_host_addrs(const nfsroot_netinfo *n);
NFSROOT_API const nfsroot_cidr *nfsroot_netinfo_get_host_addr(const nfsroot_netinfo *n, size_t i);
/* The static DHCP address for the NIC's MAC (family 0 if none). */
NFSROOT_API const nfsroot_cidr *nfsroot_netinfo_get_pinned(const nfsroot_netinfo *n);
/* The network's <mac address=> (its bridge's), lower case; "" if none. */
NFSROOT_API const char *nfsroot_netinfo_get_bridge_mac(const nfsroot_netinfo *n);
/* The bridge MAC every host should pin for network `name` whose gateway (the host's address on
 * it, the guests' NFS server) is `gateway`: 52:54:00 and three bytes derived from both. libvirt
 * gives a network defined without <mac> a random one, different on each host, and a guest
 * migrated between them stalls until its ARP entry for the gateway expires; a MAC every host
 * derives alike needs no record passed between them. */
NFSROOT_API void nfsroot_network_mac_derive(const char *name, const char *gateway, char ret[18]);
/* Read one libvirt network XML (or the <networkstatus> libvirt keeps around a live one) as the
 * hook reads a NIC's network: name and the subnets of its <ip> elements (host_addrs too);
 * ret_n_dhcp_hosts (may be NULL) counts its static DHCP <host> entries. path names the file in
 * errors. No libvirt connection, no bridge lookup: a network without <ip> has no subnets. */
NFSROOT_API int nfsroot_network_xml_parse(const char *xml, size_t len, const char *path,
                                          nfsroot_netinfo **ret, size_t *ret_n_dhcp_hosts,
                                          nfsroot_error *err);
/* Parse an exports file: one entry per (path, client) pair, in file order; '#' comments, '\'
 * continuations, double-quoted paths, "-options" defaults after the path, and a path without
 * a client (exported to everyone: client ""). Bounded: 4 MiB of text, 65536 entries, words
 * of 4095 bytes. -EINVAL with err (line set) on a malformed line. Free with
 * nfsroot_exports_free(). */
NFSROOT_API int nfsroot_exports_parse(const char *text, size_t len, nfsroot_exports_entry **ret,
                                      size_t *ret_n, nfsroot_error *err);
NFSROOT_API void nfsroot_exports_free(nfsroot_exports_entry *v, size_t n);
/* The addresses an exports client names when it is numeric: "10.0.0.7", "10.0.0.0/8",
 * "10.0.0.0/255.0.0.0", "fd00::/64", "[fd00::]/64" (host bits cleared, as exportfs does).
 * -EINVAL for host names, wildcards and netgroups, which cannot be judged offline. */
NFSROOT_API int nfsroot_exports_client_cidr(const char *client, nfsroot_cidr *ret);
/* Parse a network XML string (libvirt's virNetworkGetXMLDesc, or a live file's
 * <networkstatus>); mac (may be NULL) selects `pinned`. -ENOENT when no IPv4 <ip> has <dhcp>,
 * -EINVAL when that <ip> or its <range> cannot be read (a non-contiguous netmask), -E2BIG
 * beyond 65536 static hosts. Size capped at 4 MiB. */
NFSROOT_API int nfsroot_netdhcp_parse(const char *xml, size_t len, const char *mac,
                                      nfsroot_netdhcp **ret, nfsroot_error *err);
NFSROOT_API void nfsroot_netdhcp_free(nfsroot_netdhcp *n);
/* The <ip>'s subnet, the host's own address on it (/32), the static address of the MAC asked
 * for (family 0 if none). */
NFSROOT_API const nfsroot_cidr *nfsroot_netdhcp_get_subnet(const nfsroot_netdhcp *n);
NFSROOT_API const nfsroot_cidr *nfsroot_netdhcp_get_host(const nfsroot_netdhcp *n);
NFSROOT_API const nfsroot_cidr *nfsroot_netdhcp_get_pinned(const nfsroot_netdhcp *n);
/* Is addr the host's own address or a static host's? */
NFSROOT_API bool nfsroot_netdhcp_is_taken(const nfsroot_netdhcp *n, const nfsroot_cidr *addr);
/* The next address to pin: outside the dynamic range first, then inside it, never the host's,
 * a static host's or one of leased (the leases of other MACs). 0, or -ENOSPC when none. */
NFSROOT_API int nfsroot_netdhcp_next_free(const nfsroot_netdhcp *n, const nfsroot_cidr *leased,
                                          size_t n_leased, nfsroot_cidr *ret);
NFSROOT_API void nfsroot_conffile_free(nfsroot_conffile *c);
/* Read one file's text into *settings (NULL: a new set), as nfs-utils' conffile does: [section]
 * headers, "key = value" lines, '#' and ';' comment lines. A later value replaces an earlier one
 * (parse nfs.conf, then each nfs.conf.d file). A line it cannot read is skipped, as nfs-utils skips
 * it (after a section header without ']' every key up to the next header), and the first such line
 * is reported once the rest is read: -EINVAL with err (path named by path, line; field "section
 * header" or "line"). -EFBIG beyond 4 MiB, -E2BIG beyond 512 settings, -ENOMEM. */
NFSROOT_API int nfsroot_conffile_parse(nfsroot_conffile **settings, const char *text, size_t len,
                                       const char *path, nfsroot_error *err);
/* The value of key in section (both without case), NULL when unset. */
NFSROOT_API const char *nfsroot_conffile_get(const nfsroot_conffile *c, const char *section,
                                             const char *key);
/* nsswitch.conf(5) as glibc reads it: the services of database's first line ("hosts" ->
 * "files", "libvirt", "dns"), in order, [STATUS=action] items left out, NULL-terminated (free
 * with nfsroot_strv_free). -ENOENT with err when no line names database; -EFBIG beyond 1 MiB,
 * -E2BIG beyond 64 services. */
NFSROOT_API int nfsroot_nsswitch_services(const char *text, size_t len, const char *database,
                                          char ***ret, nfsroot_error *err);
/* Resolve an export path on the real filesystem: absolute, no "." or ".." components, inside
 * one of roots (strictly below it) after following symlinks, an existing directory, not in the
 * root's NFSROOT_STAGING_DIR. */
NFSROOT_API int nfsroot_path_resolve(const char *path, char *const *roots, char **ret_resolved,
                                     nfsroot_error *err);
/* Export everything in the plan (replacing what this domain had), under the state lock. */
NFSROOT_API int nfsroot_apply(const nfsroot_policy *p, const nfsroot_plan *plan,
                              const nfsroot_log *log, nfsroot_error *err);
/* Remove what the state dir records for this domain. Idempotent: nothing recorded is success. */
NFSROOT_API int nfsroot_remove(const nfsroot_policy *p, const char *domain_name,
                               const nfsroot_log *log, nfsroot_error *err);
/* Re-create whatever the state dir records for this domain and the backend lacks. */
NFSROOT_API int nfsroot_ensure(const nfsroot_policy *p, const char *domain_name,
                               const nfsroot_log *log, nfsroot_error *err);
/* Every orphan of every backend built in, listed under the state lock (a start writes its record
 * before the backend makes anything, so what no record owns then is no start in progress). */
NFSROOT_API int nfsroot_orphans_list(const nfsroot_policy *p, nfsroot_orphan **ret, size_t *ret_n,
                                     nfsroot_error *err);
/* Take one orphan down under the state lock; entries a record holds stay. -EBUSY (nothing done)
 * when a record for its uuid has appeared since it was listed. */
NFSROOT_API int nfsroot_orphan_remove(const nfsroot_policy *p, const nfsroot_orphan *o,
                                      const nfsroot_log *log, nfsroot_error *err);
NFSROOT_API void nfsroot_orphans_free(nfsroot_orphan *list, size_t n);
/* Claims on shared storage (docs/SECURITY.md, "Hosts sharing the storage"): a running domain's
 * read-write export is claimed in its export root's registry, seen by every host mounting it.
 * Is path (an export path, resolved) claimed by any host, itself, an export above it or one
 * below it? 1 with the claim's host id, domain name and path copied into the buffers (each
 * NUL-terminated, cut to its length), 0 if not, or -errno. */
NFSROOT_API int nfsroot_claim_find(const nfsroot_policy *p, const char *path, char *ret_host,
                                   size_t host_len, char *ret_domain, size_t domain_len,
                                   char *ret_path, size_t path_len, nfsroot_error *err);
/* Remove the claim on path (root only): the recovery for a host that died for good. With host
 * not NULL, only if that host holds it (-EPERM otherwise). The holder's domain name goes into
 * ret_domain. */
NFSROOT_API int nfsroot_claim_break(const nfsroot_policy *p, const char *path, const char *host,
                                    char *ret_domain, size_t domain_len, nfsroot_error *err);
/* Returns 0 when libvirt may go on, <0 with err filled when the operation must fail. Never
 * fails for reconnect (it logs instead). */
NFSROOT_API int nfsroot_hook_run(const nfsroot_hook_args *a, nfsroot_error *err);
/* The version and a hash of the public headers this library was built from: a program built
 * against other headers must not call it (the hook runner checks before anything else). */
NFSROOT_API const char *nfsroot_abi_id(void);
NFSROOT_API int nfsroot_findings_add(nfsroot_findings *f, nfsroot_finding_level level,
                                     const char *code, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
NFSROOT_API int nfsroot_migration_findings(const nfsroot_policy *p, const nfsroot_domain *d,
                                           const nfsroot_plan *plan, nfsroot_findings *f);
/* The [General] Domain of an idmapd.conf text into ret ("" when unset): what libnfsidmap
 * reads, without its fallback to DNS. 0 or -ENOMEM. */
NFSROOT_API int nfsroot_idmapd_conf_domain(const char *text, char *ret, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* Helpers the programs share with the library rather than copy */

/* Read all of fd (a pipe, stdin) into a NUL-terminated *ret, at most max bytes (-EFBIG beyond);
 * ret_len may be NULL. 0 or -errno. */
NFSROOT_API int nfsroot_read_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* Is path strictly beneath root (a component boundary; "/" holds every other absolute path)? */
NFSROOT_API bool nfsroot_path_is_under(const char *path, const char *root);
/* s with XML's specials (< > & ' " and CR) as entities, for an attribute quoted either way or
 * text. NULL on ENOMEM. Caller frees. */
NFSROOT_API char *nfsroot_xml_escape(const char *s);
/* A domain named name with no NICs and no exports yet (add them with nfsroot_domain_add_export),
 * to render our element for a domain still to be defined. 0 or -ENOMEM. */
NFSROOT_API int nfsroot_domain_new(const char *name, nfsroot_domain **ret);
/* The one domain-name rule. Always: 1 to 200 bytes, no '/', not starting with '.' (a record is
 * named after the domain: the name is a plain file name, never "." or ".." or hidden). strict
 * (a guest `create` makes, whose name is also its host name): one DNS label (RFC 1123), letters,
 * digits and inner hyphens, at most 63. */
NFSROOT_API bool nfsroot_domain_name_ok(const char *name, bool strict);
/* nfsroot_metadata_format() without the prefix and the namespace declaration: what libvirt's
 * virDomainSetMetadata() takes (it puts the element in our namespace itself). Caller frees. */
NFSROOT_API char *nfsroot_metadata_format_bare(const nfsroot_domain *d);
/* The host's NFSv4 domain as libnfsidmap derives it from conf (idmapd.conf, else DNS): what the
 * boot check compares, what `create` writes into a guest and what doctor reports. 0, or -ENOENT
 * with why (may be NULL) saying what failed (libnfsidmap not loaded, the file, no domain), or
 * -ETIMEDOUT when the file sets no domain and DNS did not answer within 1 s. */
NFSROOT_API int nfsroot_host_nfs4_domain(const char *conf, char *ret, size_t len, char *why,
                                         size_t why_len);

#ifdef __cplusplus
}
#endif

/* The rooms with an API of their own, in their own files (as libvirt splits libvirt.h). */
#include "virt-nfsroot-guest.h"
#include "virt-nfsroot-owned.h"

#endif
