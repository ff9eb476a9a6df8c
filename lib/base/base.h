/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* base/: the library's ground floor, helpers that know no model: strings and lists, bounded
 * file reads and atomic writes, running programs, dlopen, errors, the log, escaping, the fault
 * points (fault.h). It may include libc, the API headers (lib/include: their types stay opaque
 * here) and lib/common; never a header of formats/, core/ or another room, and no struct of the
 * model (domain, plan, policy, netinfo). Not installed. */
#ifndef NFSROOT_BASE_H
#define NFSROOT_BASE_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virt-nfsroot/virt-nfsroot-private.h"

#include "cleanup.h"
#include "macro.h"

/* An accessor of a public opaque type, on one line: DEFINE_ACCESSOR(const char *,
 * nfsroot_plan_get_domain, nfsroot_plan, x->domain) defines the function
 * const char *nfsroot_plan_get_domain(const nfsroot_plan *x) that returns x->domain. */
#define DEFINE_ACCESSOR(rtype, name, type, expr)                                                   \
    rtype name(const type *x)                                                                      \
    {                                                                                              \
        return expr;                                                                               \
    }

/* error.c: fill err once (the first failure wins); returns code so callers can
 * `return nfsroot_err(...)`. field and path may be NULL. */
int nfsroot_err(nfsroot_error *err, int code, const char *domain, const char *field,
                const char *path, int line, const char *fmt, ...) _printf_(7, 8);

/* log.c */
void nfsroot_logf(const nfsroot_log *log, int priority, const char *fmt, ...) _printf_(3, 4);

/* util.c */
char **strv_split(const char *s, const char *sep); /* empty items dropped; NULL on ENOMEM */
void strv_free(char **v);
static inline void strv_freep(char ***v)
{
    strv_free(*v);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)
size_t strv_length(char *const *v);
bool strv_contains(char *const *v, const char *s);
/* Is word one of the words of list (NULL: none) separated by runs of the bytes in blanks? */
bool words_contain(const char *list, const char *word, const char *blanks);
int strv_push(char ***v, const char *s); /* copies s */
char *strv_join(char *const *v, const char *sep);
char **strv_copy(char *const *v);
char *strstrip(char *s); /* leading and trailing white space off, in place */
bool path_is_normalised_absolute(const char *p);
bool path_is_under(const char *path, const char *root); /* strictly below root */
/* path opened for reading, a regular file only (-EINVAL otherwise): a FIFO or a device in its
 * place never blocks the open (O_NONBLOCK, cleared again for the reads). An fd or -errno. */
int open_regular(const char *path);
/* read_regular_fd() of open_regular(path). */
int read_file_all(const char *path, size_t max, char **ret, size_t *ret_len);
int read_fd_all(int fd, size_t max, char **ret, size_t *ret_len);
/* read_fd_all() of a regular file only (-EINVAL otherwise), refused early when over max. */
int read_regular_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* The same for name in dfd, not through a symbolic link (-ELOOP), never waiting on a FIFO. */
int read_regular_at(int dfd, const char *name, size_t max, char **ret, size_t *ret_len);
/* May root trust what fd holds (the policy, a program it runs)? A regular file owned by root (or
 * by the caller's own euid) and not writable by group or others: 0, else -EPERM and why says
 * "is owned by uid U with mode M" or "is not a regular file". */
int trusted_file_check(int fd, char *why, size_t len);
/* Libraries few runs need (libarchive for an initramfs scan, libdbus for the ganesha backend)
 * are dlopen()ed where they are used, not linked: every hook run would pay their relocation.
 * Fills each slot with its symbol; <0 with a one-line reason in why. dlclose() the handle. */
typedef struct nfsroot_dlsym {
    const char *name;
    void **slot;
} nfsroot_dlsym;
int nfsroot_dlopen(const char *soname, const nfsroot_dlsym *syms, size_t n, void **ret_handle,
                   char *why, size_t why_len);
/* The same with dlopen()'s flags given (RTLD_NODELETE is added): RTLD_LAZY for libxml2 (xml.c),
 * RTLD_GLOBAL for a library whose plugins resolve its symbols through the global scope
 * (libnfsidmap's nsswitch.so has no NEEDED entry for it). */
int nfsroot_dlopen_flags(const char *soname, int flags, const nfsroot_dlsym *syms, size_t n,
                         void **ret_handle, char *why, size_t why_len);
/* The libarchive calls both of its readers (the initramfs scan, the guest unpack) use; each adds
 * its own format and open call. */
#define LIBARCHIVE_READ_SYMS(X)                                                                    \
    X(archive_entry_filetype)                                                                      \
    X(archive_entry_pathname)                                                                      \
    X(archive_error_string)                                                                        \
    X(archive_filter_bytes)                                                                        \
    X(archive_read_data)                                                                           \
    X(archive_read_free)                                                                           \
    X(archive_read_new)                                                                            \
    X(archive_read_next_header)                                                                    \
    X(archive_read_support_filter_all)
/* Write data to dir/name atomically: dot-prefixed temp in dir, fsync, rename, fsync dir. */
int write_file_atomic(const char *dir, const char *name, const char *data, size_t len, mode_t mode);
/* The same without either fsync: readers see the old or the new file, never part of one, but
 * after a power loss the file may be old, new, empty or gone. For files that describe running
 * guests only (records, exports.d files): a power loss ends those guests, and the boot cleanup
 * removes whatever is left (docs/SECURITY.md, "Crashes, full disks, reboots"). */
int write_file_replace(const char *dir, const char *name, const char *data, size_t len,
                       mode_t mode);
int mkdir_p(const char *path, mode_t mode);
/* beneath.c: the one opener beneath a root. rel opened in dirfd with flags (O_CLOEXEC added);
 * ".." and symbolic links never lead out of dirfd, magic links (/proc/<pid>/fd) are refused.
 * Default (NFSROOT_BENEATH_STRICT): what would leave dirfd fails with EXDEV before its target is
 * looked up (RESOLVE_BENEATH); IN_ROOT: dirfd is the root, as a chroot sees it: ".." there stays
 * and an absolute link starts from it (RESOLVE_IN_ROOT); NO_SYMLINKS: every symbolic link is
 * ELOOP (RESOLVE_NO_SYMLINKS). Where openat2 is missing or filtered, one component walk with
 * O_NOFOLLOW gives the same answers (forced by NFSROOT_TEST_NO_OPENAT2 in a testing build). The
 * fd or -errno. */
#define NFSROOT_BENEATH_STRICT 0u
#define NFSROOT_BENEATH_IN_ROOT (1u << 0)
#define NFSROOT_BENEATH_NO_SYMLINKS (1u << 1)
int nfsroot_open_beneath(int dirfd, const char *rel, int flags, unsigned mode);
/* Turn the O_PATH fd *fd into one open for reading when it is a regular file (the same inode,
 * never the name again); anything else stays O_PATH, which fstat() can still tell apart. */
int reopen_regular(int *fd);
/* The same, looked up O_PATH: a regular file comes back open for reading (through
 * /proc/self/fd, never the name again), anything else as the O_PATH fd, so a device or FIFO
 * there is never opened. */
int nfsroot_open_beneath_reg(int dirfd, const char *rel, unsigned mode);
/* The names in the directory dir beneath dirfd that end in suffix (longer than it, no dot-file),
 * at most max, sorted as strcmp() does (the order dracut and apt read them in): a strv. */
int nfsroot_list_beneath(int dirfd, const char *dir, unsigned mode, const char *suffix, size_t max,
                         char ***ret);
/* read_regular_fd() of nfsroot_open_beneath_reg(). */
int nfsroot_read_beneath(int dirfd, const char *rel, unsigned mode, size_t max, char **ret,
                         size_t *ret_len);
/* Run argv[0] (absolute) with argv, stdin /dev/null, capture stderr (caller frees); returns the
 * exit status (>= 0) or -errno when it could not run or died by signal. The program must pass
 * trusted_file_check() on the fd it is then executed from: else -EPERM, err filled. Needs /proc. */
int run_program(char *const argv[], char **ret_stderr, nfsroot_error *err);
/* handle.c: the identity file handles carry, derived alike on every host (no record). */
/* FNV-1a 128 of the parts, each followed by a NUL; the same bytes on every architecture. */
void nfsroot_handle_key(const char *const *parts, size_t n, uint8_t ret[16]);
/* The kernel backend's fsid= for an export path: a UUID (8-4-4-4-12) from the path alone. */
void nfsroot_kernel_fsid(const char *path, char ret[static 37]);

/* The first line of s, stripped of trailing whitespace, capped to max bytes (static buffer of
 * the caller). */
void first_line(const char *s, char *buf, size_t len);

#endif
