/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to the initramfs check (initramfs*.c): the scan's bounds, the libarchive symbols it
 * loads, the entry classifier's state, and the calls between the scan, the cache and the check. */
#ifndef NFSROOT_BOOTCHECK_INITRAMFS_H
#define NFSROOT_BOOTCHECK_INITRAMFS_H

#include <archive.h>
#include <archive_entry.h>

#include "bootcheck.h"

#define CMDLINE_FILES_MAX 32
/* The image is the guest's (it may lie in its root, and the scan runs as root in a libvirtd
 * worker at every start): bound the work a hostile one can cause (SECURITY.md, "Limits of the
 * boot check"). Unpacked content: no initramfs is near this. */
#define UNPACKED_MAX (2ULL * 1024 * 1024 * 1024)
/* The file itself: QEMU copies all of it into guest RAM below 4 GiB; distribution images are
 * 30-300 MB. A sparse file costs nothing on disk, so st_size is checked before anything. */
#define INITRD_SIZE_MAX (1ULL * 1024 * 1024 * 1024)
/* Concatenated archives: real images have one to three (microcode, firmware, the main one). */
#define SEGMENTS_MAX 64
/* Zero bytes read between archives (the kernel pads to 4 bytes; holes are skipped by SEEK_DATA
 * and not counted, this bounds zeros that are really on disk or a filesystem without it). */
#define ZEROS_MAX (16 * 1024 * 1024)
/* Archive members: dracut's generic image has about 2,000. */
#define ENTRIES_MAX 500000
/* Bytes read from the file plus bytes unpacked from compressed archives in one scan. */
#define WORK_MAX (INITRD_SIZE_MAX + UNPACKED_MAX)
#define MIB(x) ((unsigned long long)(x) >> 20)

/* libarchive, loaded by the scan itself: a cached result (the common case) never loads it. */
#define ARCHIVE_SYMS(X)                                                                            \
    LIBARCHIVE_READ_SYMS(X)                                                                        \
    X(archive_entry_size)                                                                          \
    X(archive_read_open2)                                                                          \
    X(archive_read_support_format_cpio)                                                            \
    X(archive_set_error)

typedef struct archive_api {
    void *handle;
#define X(sym) typeof(sym) *sym;
    ARCHIVE_SYMS(X)
#undef X
} archive_api;

typedef struct cmdline_file {
    char *name, *text;
} cmdline_file;

typedef struct scan_state {
    const archive_api *api;
    nfsroot_initramfs_info *info;
    cmdline_file cmdline[CMDLINE_FILES_MAX];
    size_t n_cmdline;
} scan_state;

/* Look at one entry's name (and, for the few files that matter, its contents). */
int initramfs_scan_entry(scan_state *st, struct archive *a, struct archive_entry *e);
/* dracut reads etc/cmdline.d/ *.conf in glob order, every line a run of arguments. */
void initramfs_finish_cmdline(scan_state *st);
/* Free the kept etc/cmdline.d files (a cleanup function for a scan_state). */
void initramfs_scan_state_done(scan_state *st);

/* Fill err (field "initrd") with the formatted message; returns code. */
int initramfs_scan_err(nfsroot_error *err, int code, const char *fmt, ...) _printf_(3, 4);

/* A cache directory is used only when it is an absolute path below "/". */
bool initramfs_cache_dir_usable(const char *dir);
/* Scan fd, served from / stored in cache_dir when usable (NULL: no cache). */
int initramfs_scan_cached(int fd, const char *cache_dir, nfsroot_initramfs_info *ret,
                          bool *ret_cached, nfsroot_error *err);

#endif
