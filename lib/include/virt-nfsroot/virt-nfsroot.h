/* virt-nfsroot: libvirt guests whose root filesystem is a host directory served over NFS.
 *
 * The one public header of libvirt-nfsroot. Conventions:
 *  - functions return 0 or a negative errno; on failure they fill the caller's nfsroot_error
 *    (when one is passed) with the domain, field, value and a one-sentence reason;
 *  - ret_ outputs come last and are left untouched on failure;
 *  - _free() functions accept NULL;
 *  - the library never prints and never exits; it logs through the optional nfsroot_log.
 */
#ifndef VIRT_NFSROOT_H
#define VIRT_NFSROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NFSROOT_BUILDING_LIBRARY)
#define NFSROOT_API __attribute__((visibility("default")))
#else
#define NFSROOT_API
#endif

/* The namespace of our <metadata> element. Its last component is the schema version. */
#define NFSROOT_XMLNS "http://virt-nfsroot.org/xmlns/domain/1.0"
/* Every version of our namespace starts with this; used by the hook's fast path. */
#define NFSROOT_XMLNS_PREFIX "http://virt-nfsroot.org/xmlns/domain/"

/* ------------------------------------------------------------------------------------------ */
/* Errors */

typedef struct nfsroot_error {
    int code;          /* negative errno, 0 when unset */
    char domain[256];  /* domain name, when known */
    char field[64];    /* e.g. "export path", "clients", "policy key 'export_roots'" */
    char path[1024];   /* file the error is about (policy file, network XML, ...) */
    int line;          /* line in that file, 0 when not applicable */
    char message[1536];/* one sentence, no trailing newline, values quoted */
} nfsroot_error;

/* Clear an error object for reuse. */
NFSROOT_API void nfsroot_error_clear(nfsroot_error *err);
/* Format the error as the one line a user sees, without the "virt-nfsroot: " prefix:
 * "domain 'x': export path '/a' escapes the allowed roots ('/export')". */
NFSROOT_API const char *nfsroot_error_format(const nfsroot_error *err, char *buf, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* Logging: the library reports actions and warnings through this callback (syslog in the hook). */

typedef void (*nfsroot_log_fn)(int priority /* LOG_* */, const char *line, void *userdata);
typedef struct nfsroot_log {
    nfsroot_log_fn fn;
    void *userdata;
} nfsroot_log;

/* ------------------------------------------------------------------------------------------ */
/* Host policy (/etc/virt-nfsroot.conf) */

typedef enum nfsroot_backend_kind {
    NFSROOT_BACKEND_KERNEL = 0, /* nfs-utils exportfs + /etc/exports.d */
    NFSROOT_BACKEND_GANESHA,    /* NFS-Ganesha over D-Bus */
} nfsroot_backend_kind;

typedef enum nfsroot_validate_mode {
    NFSROOT_VALIDATE_STRICT = 0, /* boot-check errors refuse the start */
    NFSROOT_VALIDATE_WARN,       /* boot-check errors are logged only */
    NFSROOT_VALIDATE_OFF,        /* no boot check */
} nfsroot_validate_mode;

typedef struct nfsroot_policy {
    char **export_roots;   /* NULL-terminated, absolute, normalised; default { "/export" } */
    char *default_options; /* "rw,async,no_root_squash,insecure,no_subtree_check" */
    char **allowed_options;/* NULL-terminated option names a domain may request */
    bool allow_wider_clients; /* clients outside the domain's network */
    bool allow_shared_rw;     /* two running domains exporting one path read-write */
    bool allow_subnet_fallback; /* export to the whole subnet when no DHCP host pins the MAC */
    nfsroot_backend_kind backend;
    nfsroot_validate_mode validate;
    char *exports_dir;     /* /etc/exports.d */
    char *state_dir;       /* /run/virt-nfsroot */
    char *exportfs;        /* /usr/sbin/exportfs */
    char *etab;            /* /var/lib/nfs/etab */
    char *network_dir;     /* /run/libvirt/network */
    char *ganesha_exports_dir;  /* /etc/ganesha/virt-nfsroot.d */
    char *ganesha_bus;          /* D-Bus address, NULL = system bus */
    uint16_t ganesha_export_id_min, ganesha_export_id_max;
    bool ganesha_nfsv3;
    char *source;          /* file it was loaded from, NULL for built-in defaults */
} nfsroot_policy;

/* The compiled-in location of the policy file (the env var VIRT_NFSROOT_CONFIG overrides it). */
NFSROOT_API const char *nfsroot_policy_default_path(void);
/* Built-in defaults. */
NFSROOT_API int nfsroot_policy_new_default(nfsroot_policy **ret, nfsroot_error *err);
/* Load path (NULL: $VIRT_NFSROOT_CONFIG, else the default path). A missing default file means
 * built-in defaults; a missing file that was named explicitly is an error. Unknown keys are
 * errors. */
NFSROOT_API int nfsroot_policy_load(const char *path, nfsroot_policy **ret, nfsroot_error *err);
NFSROOT_API void nfsroot_policy_free(nfsroot_policy *p);

/* ------------------------------------------------------------------------------------------ */
/* Domain XML */

typedef enum nfsroot_nic_type {
    NFSROOT_NIC_OTHER = 0,
    NFSROOT_NIC_NETWORK, /* <interface type='network'><source network='default'/> */
    NFSROOT_NIC_BRIDGE,  /* <interface type='bridge'><source bridge='br0'/> */
} nfsroot_nic_type;

typedef struct nfsroot_nic {
    nfsroot_nic_type type;
    char *source; /* network or bridge name */
    char mac[18]; /* lower-case aa:bb:cc:dd:ee:ff, "" when absent */
} nfsroot_nic;

typedef struct nfsroot_export_req {
    char *path;     /* as written; NULL: <export root>/<domain name> */
    bool readonly;
    bool is_root;   /* role='root' or the first export */
    char *clients;  /* as written, NULL when absent */
    char *options;  /* as written, NULL when absent */
} nfsroot_export_req;

typedef struct nfsroot_domain {
    char *name;
    char uuid[37];
    char *kernel, *initrd, *cmdline; /* <os>, NULL when absent */
    nfsroot_nic *nics;
    size_t n_nics;
    bool has_metadata;  /* our element is present */
    nfsroot_export_req *exports;
    size_t n_exports;
} nfsroot_domain;

/* Cheap test used before any parsing: does this buffer mention our namespace at all? */
NFSROOT_API bool nfsroot_xml_mentions_namespace(const char *xml, size_t len);
/* Parse a libvirt domain XML (live or config). No network access, entity expansion off, size
 * capped. A domain without our element parses with has_metadata = false. */
NFSROOT_API int nfsroot_domain_parse(const char *xml, size_t len, nfsroot_domain **ret,
                                     nfsroot_error *err);
NFSROOT_API void nfsroot_domain_free(nfsroot_domain *d);
/* Render our <nfsroot:nfsroot> element (for `annotate`). Caller frees. */
NFSROOT_API char *nfsroot_metadata_format(const nfsroot_export_req *exports, size_t n);

/* ------------------------------------------------------------------------------------------ */
/* Addresses */

typedef struct nfsroot_cidr {
    int family;      /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    uint8_t prefix;  /* 0..32 or 0..128 */
} nfsroot_cidr;

/* Parse "192.168.122.0/24", "192.168.122.7" (= /32), "fd00::/64". Numeric only; host bits
 * set under the mask are an error. */
NFSROOT_API int nfsroot_cidr_parse(const char *s, nfsroot_cidr *ret);
/* "192.168.122.0/24"; a full-length prefix is still written with its prefix ("/32"). */
NFSROOT_API const char *nfsroot_cidr_format(const nfsroot_cidr *c, char *buf, size_t len);
/* Is inner entirely inside outer? */
NFSROOT_API bool nfsroot_cidr_contains(const nfsroot_cidr *outer, const nfsroot_cidr *inner);

/* What the host knows of the network a NIC is on. */
typedef struct nfsroot_netinfo {
    char *name;              /* network or bridge name */
    nfsroot_cidr *subnets;   /* the networks' subnets */
    size_t n_subnets;
    nfsroot_cidr *host_addrs;/* this host's address(es) on it (prefix = subnet's) */
    size_t n_host_addrs;
    nfsroot_cidr pinned;     /* static DHCP address for the NIC's MAC (family 0 if none) */
} nfsroot_netinfo;

/* Find what the host knows of a NIC's network without calling libvirt: the live network XML
 * in policy->network_dir, or the bridge's addresses from the kernel. */
NFSROOT_API int nfsroot_netinfo_load(const nfsroot_policy *p, const nfsroot_domain *d,
                                     const nfsroot_nic *nic, nfsroot_netinfo **ret,
                                     nfsroot_error *err);
NFSROOT_API void nfsroot_netinfo_free(nfsroot_netinfo *n);

/* ------------------------------------------------------------------------------------------ */
/* Plan: what to export for one domain */

typedef struct nfsroot_export {
    char *path;      /* resolved, canonical, verified directory */
    char **clients;  /* NULL-terminated, canonical CIDR strings */
    char *options;   /* canonical comma-separated exports(5) options */
    bool readonly;
    bool is_root;
} nfsroot_export;

typedef struct nfsroot_plan {
    char *domain;    /* name */
    char uuid[37];
    nfsroot_export *exports;
    size_t n_exports;
    char *server;    /* the host's address on the guest's network (for boot checks), or NULL */
    bool subnet_wide;/* clients fell back to the whole subnet */
} nfsroot_plan;

/* Metadata + policy + network -> the exports to create, or one precise error. Touches nothing
 * on the host (it only reads). */
NFSROOT_API int nfsroot_plan_build(const nfsroot_policy *p, const nfsroot_domain *d,
                                   const nfsroot_log *log, nfsroot_plan **ret,
                                   nfsroot_error *err);
NFSROOT_API void nfsroot_plan_free(nfsroot_plan *plan);
/* One exports(5) line for an export: "/export/vm 192.168.122.5/32(rw,...)". Caller frees. */
NFSROOT_API char *nfsroot_export_format_line(const nfsroot_export *e);

/* Resolve an export path on the real filesystem: absolute, no "." or ".." components, inside
 * one of roots (strictly below it) after following symlinks, an existing directory. */
NFSROOT_API int nfsroot_path_resolve(const char *path, char *const *roots, char **ret_resolved,
                                     nfsroot_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Applying a plan: the state dir records what we exported, the backend makes it real */

/* Export everything in the plan (replacing what this domain had), under the state lock. */
NFSROOT_API int nfsroot_apply(const nfsroot_policy *p, const nfsroot_plan *plan,
                              const nfsroot_log *log, nfsroot_error *err);
/* Remove what the state dir records for this domain. Idempotent: nothing recorded is success. */
NFSROOT_API int nfsroot_remove(const nfsroot_policy *p, const char *domain_name,
                               const nfsroot_log *log, nfsroot_error *err);
/* Re-create whatever the state dir records for this domain and the backend lacks. */
NFSROOT_API int nfsroot_ensure(const nfsroot_policy *p, const char *domain_name,
                               const nfsroot_log *log, nfsroot_error *err);

/* One record of the state dir. */
typedef struct nfsroot_state {
    nfsroot_plan *plan;  /* what was exported */
    nfsroot_backend_kind backend;
    int64_t since;       /* unix time of the export */
} nfsroot_state;

/* Load every record (for `status`/`reconcile`); the list is also NULL-terminated. */
NFSROOT_API int nfsroot_state_list(const nfsroot_policy *p, nfsroot_state ***ret, size_t *ret_n,
                                   nfsroot_error *err);
NFSROOT_API void nfsroot_state_list_free(nfsroot_state **list, size_t n);
/* Does the NFS server currently export path to client? (etab for the kernel backend) */
NFSROOT_API int nfsroot_backend_has(const nfsroot_policy *p, const char *path, const char *client,
                                    bool *ret);

/* ------------------------------------------------------------------------------------------ */
/* The hook (libvirt's qemu hook contract), as one call so the hook binary stays libc-only */

typedef struct nfsroot_hook_args {
    const char *domain; /* argv[1] */
    const char *op;     /* argv[2] */
    const char *subop;  /* argv[3] */
    const char *extra;  /* argv[4] */
    const char *xml;    /* stdin */
    size_t xml_len;
    const nfsroot_log *log;
} nfsroot_hook_args;

/* Returns 0 when libvirt may go on, <0 with err filled when the operation must fail. Never
 * fails for reconnect (it logs instead). */
NFSROOT_API int nfsroot_hook_run(const nfsroot_hook_args *a, nfsroot_error *err);
typedef int (*nfsroot_hook_run_fn)(const nfsroot_hook_args *a, nfsroot_error *err);

NFSROOT_API const char *nfsroot_version(void);

#ifdef __cplusplus
}
#endif
#endif
