/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot: libvirt guests whose root filesystem is a host directory served over NFS.
 *
 * The one installed header of libvirt-nfsroot: it declares the public version node
 * (lib/libvirt-nfsroot_public.syms, VIRT_NFSROOT_0), nothing else. What the hook runner and the
 * CLI share with the library is in virt-nfsroot-private.h, which is not installed. Conventions:
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

/* The layout of nfsroot_error this header describes. A caller initialises its error with
 * NFSROOT_ERROR_INIT so that a later library, whose struct has grown, knows how much of it the
 * caller has; a zero-initialised error ({ 0 }) counts as version 1. */
#define NFSROOT_ERROR_VERSION 1
/* clang-format off */
#define NFSROOT_ERROR_INIT { .version = NFSROOT_ERROR_VERSION }
/* clang-format on */

typedef struct nfsroot_error {
    unsigned version;   /* NFSROOT_ERROR_VERSION (0 means 1); kept by nfsroot_error_clear */
    int code;           /* negative errno, 0 when unset */
    char domain[256];   /* domain name, when known */
    char field[64];     /* e.g. "export path", "clients", "policy key 'export_roots'" */
    char path[1024];    /* file the error is about (policy file, network XML, ...) */
    int line;           /* line in that file, 0 when not applicable */
    char message[1536]; /* one sentence, no trailing newline, values quoted */
} nfsroot_error;

/* Clear an error object for reuse (its version stays). */
NFSROOT_API void nfsroot_error_clear(nfsroot_error *err);
/* Format the error as the one line a user sees, without the "virt-nfsroot: " prefix:
 * "domain 'x': export path '/a' escapes the allowed roots ('/export')". */
NFSROOT_API const char *nfsroot_error_format(const nfsroot_error *err, char *buf, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* Escaping: anything a guest or an XML author controls, before it is printed or logged */

typedef enum nfsroot_escape_style {
    /* One printable line for a terminal or syslog: \n, \t, \x1b for C0 and DEL, \u009b for
     * C1, line separators and format characters (bidi controls and marks, zero-width ones;
     * \U000e0001 above U+FFFF), \xff for bytes that are not UTF-8. Backslashes stay as they
     * are, so escaping twice changes nothing. */
    NFSROOT_ESCAPE_TEXT = 0,
    /* The inside of a JSON string (RFC 8259): \" \\ \n \t \r, \u001b for the other controls
     * and \u0080..\u009f for C1 and the format characters too (legal raw in JSON, not on a
     * terminal showing it; above U+FFFF as a surrogate pair); a byte that is not UTF-8 becomes
     * the text \xff (written \\xff). */
    NFSROOT_ESCAPE_JSON,
} nfsroot_escape_style;

/* Escape s (NULL: "") into buf, like snprintf: returns the length the whole escaped form needs
 * (without the NUL) and writes what fits, cut only between characters. Printable UTF-8 (é, CJK)
 * is kept as is. Also usable with len 0 to measure. */
NFSROOT_API size_t nfsroot_escape(const char *s, nfsroot_escape_style style, char *buf, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* Logging: the library reports actions and warnings through this callback (syslog in the hook).
 * Every line it hands over is escaped (NFSROOT_ESCAPE_TEXT) as a whole: one line, no controls. */

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
    NFSROOT_BACKEND_CEPH,       /* NFS-Ganesha nodes on CephFS, exports in RADOS */
} nfsroot_backend_kind;
/* The backend's name as the policy's `backend =` and the records spell it ("kernel", …). */
NFSROOT_API const char *nfsroot_backend_name(nfsroot_backend_kind kind);

typedef enum nfsroot_validate_mode {
    NFSROOT_VALIDATE_STRICT = 0, /* boot-check errors refuse the start */
    NFSROOT_VALIDATE_WARN,       /* boot-check errors are logged only */
    NFSROOT_VALIDATE_OFF,        /* no boot check */
} nfsroot_validate_mode;

/* The policy (/etc/virt-nfsroot/virt-nfsroot.conf): opaque, so new keys keep the ABI. Read it
 * with the nfsroot_policy_get_* calls below. */
typedef struct nfsroot_policy nfsroot_policy;

/* The compiled-in location of the policy file (the env var VIRT_NFSROOT_CONFIG overrides it). */
NFSROOT_API const char *nfsroot_policy_default_path(void);
/* Built-in defaults. */
NFSROOT_API int nfsroot_policy_new_default(nfsroot_policy **ret, nfsroot_error *err);
/* Load path (NULL: $VIRT_NFSROOT_CONFIG, else the default path). A missing default file means
 * built-in defaults; a missing file that was named explicitly is an error. Unknown keys are
 * errors. */
NFSROOT_API int nfsroot_policy_load(const char *path, nfsroot_policy **ret, nfsroot_error *err);
NFSROOT_API void nfsroot_policy_free(nfsroot_policy *p);
/* The policy's settings (strings owned by p, NULL when unset). */
NFSROOT_API nfsroot_backend_kind nfsroot_policy_get_backend(const nfsroot_policy *p);
NFSROOT_API nfsroot_validate_mode nfsroot_policy_get_validate(const nfsroot_policy *p);
/* The file it was loaded from, NULL for built-in defaults. */
NFSROOT_API const char *nfsroot_policy_get_source(const nfsroot_policy *p);
NFSROOT_API const char *const *nfsroot_policy_get_export_roots(const nfsroot_policy *p);
NFSROOT_API const char *nfsroot_policy_get_state_dir(const nfsroot_policy *p);

/* ------------------------------------------------------------------------------------------ */
/* Domain XML */

typedef enum nfsroot_nic_type {
    NFSROOT_NIC_OTHER = 0,
    NFSROOT_NIC_NETWORK, /* <interface type='network'><source network='default'/> */
    NFSROOT_NIC_BRIDGE,  /* <interface type='bridge'><source bridge='br0'/> */
} nfsroot_nic_type;

/* A parsed domain, its <interface>s and the exports our element asks for: opaque, so a new
 * metadata attribute keeps the ABI. NICs and export requests belong to their domain. */
typedef struct nfsroot_domain nfsroot_domain;
typedef struct nfsroot_nic nfsroot_nic;
typedef struct nfsroot_export_req nfsroot_export_req;

/* Cheap test used before any parsing: does this buffer mention our namespace at all? */
NFSROOT_API bool nfsroot_xml_mentions_namespace(const char *xml, size_t len);
/* Parse a libvirt domain XML (live or config). No network access, entity expansion off, size
 * capped. A domain without our element parses with has_metadata = false. */
NFSROOT_API int nfsroot_domain_parse(const char *xml, size_t len, nfsroot_domain **ret,
                                     nfsroot_error *err);
NFSROOT_API void nfsroot_domain_free(nfsroot_domain *d);
/* Render d's <nfsroot:nfsroot> element (for `annotate`); NULL on ENOMEM. Caller frees. */
NFSROOT_API char *nfsroot_metadata_format(const nfsroot_domain *d);
/* The domain's name, and its uuid ("" when absent). */
NFSROOT_API const char *nfsroot_domain_get_name(const nfsroot_domain *d);
NFSROOT_API const char *nfsroot_domain_get_uuid(const nfsroot_domain *d);
/* Is our element present? */
NFSROOT_API bool nfsroot_domain_has_metadata(const nfsroot_domain *d);
/* Its NICs in document order: the i-th, NULL past the last. */
NFSROOT_API size_t nfsroot_domain_get_n_nics(const nfsroot_domain *d);
NFSROOT_API const nfsroot_nic *nfsroot_domain_get_nic(const nfsroot_domain *d, size_t i);
NFSROOT_API nfsroot_nic_type nfsroot_nic_get_type(const nfsroot_nic *nic);
/* The network or bridge name (NULL when absent), the lower-case MAC ("" when absent). */
NFSROOT_API const char *nfsroot_nic_get_source(const nfsroot_nic *nic);
NFSROOT_API const char *nfsroot_nic_get_mac(const nfsroot_nic *nic);
/* The path d's root export asks for; NULL when there is none or it names no path (then the
 * policy's first export root plus the domain's name). */
NFSROOT_API const char *nfsroot_domain_get_root_path(const nfsroot_domain *d);
/* The i-th export the element asks for: its path as written (NULL: the policy's first export
 * root plus the domain's name), whether read-only, whether the root one; -ENOENT past the last
 * (`delete` asks which paths other domains name). */
NFSROOT_API int nfsroot_domain_get_export(const nfsroot_domain *d, size_t i, const char **ret_path,
                                          bool *ret_readonly, bool *ret_is_root);

/* Free a NULL-terminated list of strings the library returned. */
NFSROOT_API void nfsroot_strv_free(char **v);

/* ------------------------------------------------------------------------------------------ */
/* Plan: what to export for one domain */

/* The exports to create for one domain, and one of them: opaque, so a new attribute keeps the
 * ABI. Exports belong to their plan. */
typedef struct nfsroot_plan nfsroot_plan;
typedef struct nfsroot_export nfsroot_export;

/* Metadata + policy + network -> the exports to create, or one precise error. Touches nothing
 * on the host (it only reads). */
NFSROOT_API int nfsroot_plan_build(const nfsroot_policy *p, const nfsroot_domain *d,
                                   const nfsroot_log *log, nfsroot_plan **ret, nfsroot_error *err);
NFSROOT_API void nfsroot_plan_free(nfsroot_plan *plan);
/* One exports(5) line for an export: "/export/vm 192.168.122.5/32(rw,...)". Caller frees. */
NFSROOT_API char *nfsroot_export_format_line(const nfsroot_export *e);
/* The domain's name and uuid ("" when unknown), the host's address on the guest's network
 * (NULL when unknown), whether the clients fell back to the whole subnet. */
NFSROOT_API const char *nfsroot_plan_get_domain(const nfsroot_plan *plan);
NFSROOT_API const char *nfsroot_plan_get_uuid(const nfsroot_plan *plan);
NFSROOT_API const char *nfsroot_plan_get_server(const nfsroot_plan *plan);
NFSROOT_API bool nfsroot_plan_is_subnet_wide(const nfsroot_plan *plan);
/* Its exports in the order the element lists them: the i-th, NULL past the last. */
NFSROOT_API size_t nfsroot_plan_get_n_exports(const nfsroot_plan *plan);
NFSROOT_API const nfsroot_export *nfsroot_plan_get_export(const nfsroot_plan *plan, size_t i);
/* The resolved directory, its clients (canonical CIDRs, NULL-terminated), its canonical
 * exports(5) options; is it read-only, is it the guest's root. */
NFSROOT_API const char *nfsroot_export_get_path(const nfsroot_export *e);
NFSROOT_API const char *const *nfsroot_export_get_clients(const nfsroot_export *e);
NFSROOT_API const char *nfsroot_export_get_options(const nfsroot_export *e);
NFSROOT_API bool nfsroot_export_is_readonly(const nfsroot_export *e);
NFSROOT_API bool nfsroot_export_is_root(const nfsroot_export *e);

/* ------------------------------------------------------------------------------------------ */
/* Applying a plan: the state dir records what we exported, the backend makes it real */

/* One record of the state dir. */
typedef struct nfsroot_state {
    nfsroot_plan *plan; /* what was exported */
    nfsroot_backend_kind backend;
    int64_t since; /* unix time of the export */
} nfsroot_state;

/* A record that could not be read (garbled, oversized, not a regular file): skipped. */
typedef struct nfsroot_state_bad {
    char *file;   /* its name in <state_dir>/domains */
    char *reason; /* one sentence */
} nfsroot_state_bad;

/* Load every readable record (for `status`/`reconcile`); the list is also NULL-terminated. An
 * unreadable record never fails the listing: it is skipped (see nfsroot_state_list_all). */
NFSROOT_API int nfsroot_state_list(const nfsroot_policy *p, nfsroot_state ***ret, size_t *ret_n,
                                   nfsroot_error *err);
/* The same, and the records it skipped with the reason (ret_bad may be NULL). */
NFSROOT_API int nfsroot_state_list_all(const nfsroot_policy *p, nfsroot_state ***ret, size_t *ret_n,
                                       nfsroot_state_bad **ret_bad, size_t *ret_n_bad,
                                       nfsroot_error *err);
NFSROOT_API void nfsroot_state_list_free(nfsroot_state **list, size_t n);
NFSROOT_API void nfsroot_state_bad_free(nfsroot_state_bad *bad, size_t n);
/* Does the NFS server currently export path to client? (etab for the kernel backend) */
NFSROOT_API int nfsroot_backend_has(const nfsroot_policy *p, const char *path, const char *client,
                                    bool *ret);

/* The library's version ("0.1.0"), as the installed package names it. */
NFSROOT_API const char *nfsroot_version(void);

/* ------------------------------------------------------------------------------------------ */
/* Boot check (lib/bootcheck/): can this guest boot with its root on our export?
 * Every check adds findings (error / warning / info) instead of failing: a finding is a fact
 * about the guest, a negative return is a failure of the check itself (ENOMEM, ...). */

typedef enum nfsroot_finding_level {
    NFSROOT_FINDING_INFO = 0,
    NFSROOT_FINDING_WARNING,
    NFSROOT_FINDING_ERROR,
} nfsroot_finding_level;

/* A list of findings and one of them: opaque, so a finding may grow without an ABI change. A
 * finding belongs to its list. */
typedef struct nfsroot_finding nfsroot_finding;
typedef struct nfsroot_findings nfsroot_findings;

/* A new, empty list of findings; nfsroot_findings_free() frees it (NULL is fine). */
NFSROOT_API int nfsroot_findings_new(nfsroot_findings **ret);
NFSROOT_API void nfsroot_findings_free(nfsroot_findings *f);
NFSROOT_API bool nfsroot_findings_has_errors(const nfsroot_findings *f);
NFSROOT_API size_t nfsroot_findings_count(const nfsroot_findings *f, nfsroot_finding_level level);
/* The first finding with this code, or NULL (for tests and callers that react to one). */
NFSROOT_API const nfsroot_finding *nfsroot_findings_find(const nfsroot_findings *f,
                                                         const char *code);
/* How many findings f holds, and the i-th in the order they were added (NULL past the last). */
NFSROOT_API size_t nfsroot_findings_get_n(const nfsroot_findings *f);
NFSROOT_API const nfsroot_finding *nfsroot_findings_get(const nfsroot_findings *f, size_t i);
/* Its level; its stable code ("kernel-not-found"); the file it is about (NULL when none); its
 * one sentence, values quoted, including the fix. */
NFSROOT_API nfsroot_finding_level nfsroot_finding_get_level(const nfsroot_finding *x);
NFSROOT_API const char *nfsroot_finding_get_code(const nfsroot_finding *x);
NFSROOT_API const char *nfsroot_finding_get_file(const nfsroot_finding *x);
NFSROOT_API const char *nfsroot_finding_get_message(const nfsroot_finding *x);
/* "error", "warning", "info". */
NFSROOT_API const char *nfsroot_finding_level_name(nfsroot_finding_level level);
/* "error: <message> [<code>]" (the message names the file). */
NFSROOT_API const char *nfsroot_finding_format(const nfsroot_finding *f, char *buf, size_t len);

/* Run every check for a domain (nothing when policy->validate is OFF). Returns 0 when the
 * checks ran, whatever they found (see nfsroot_findings_has_errors), <0 with err filled only
 * when they could not run. Reads only; may write the initramfs cache under p->state_dir. */
NFSROOT_API int nfsroot_bootcheck_run(const nfsroot_policy *p, const nfsroot_domain *d,
                                      const nfsroot_plan *plan, nfsroot_findings **ret,
                                      nfsroot_error *err);
/* What the hook does with findings: log every one through log (errors and warnings as
 * LOG_WARNING/LOG_ERR, infos as LOG_INFO); when policy->validate is STRICT and there are
 * errors, fill err with the first error (field "boot check") and return -EINVAL; else 0. */
NFSROOT_API int nfsroot_bootcheck_enforce(const nfsroot_policy *p, const nfsroot_domain *d,
                                          const nfsroot_findings *f, const nfsroot_log *log,
                                          nfsroot_error *err);

#ifdef __cplusplus
}
#endif

#endif
