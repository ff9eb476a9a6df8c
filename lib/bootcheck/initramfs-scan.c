/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading an initramfs with libarchive (loaded by the scan itself): its concatenated segments,
 * the padding between them, and every bound a hostile image can hit. */
#include <dlfcn.h>
#include <sys/stat.h>

#include "initramfs-private.h"

/* What one pread() hands libarchive. */
#define READ_BLOCK (1024 * 1024)

static int archive_api_open(archive_api *api, char *why, size_t why_len)
{
    const nfsroot_dlsym syms[] = {
#define X(sym) { #sym, (void **)&api->sym },
        ARCHIVE_SYMS(X)
#undef X
    };
    return nfsroot_dlopen(NFSROOT_LIBARCHIVE_SONAME, syms, ELEMENTSOF(syms), &api->handle, why,
                          why_len);
}

static void archive_api_close(archive_api *api)
{
    if (api->handle)
        dlclose(api->handle);
}

/* A window [pos, end) of the image handed to libarchive: each concatenated segment gets its own
 * archive reader starting at its offset. */
typedef struct segment_reader {
    const archive_api *api;
    int fd;
    off_t pos, end;
    void *buf;
    uint64_t *work; /* the scan's bytes read + unpacked */
    bool over_work; /* a read was refused because *work passed WORK_MAX */
} segment_reader;

static la_ssize_t seg_read(struct archive *a, void *data, const void **out)
{
    segment_reader *s = data;
    size_t want = READ_BLOCK;
    if (s->end - s->pos < (off_t)want)
        want = (size_t)(s->end - s->pos);
    for (;;) {
        ssize_t n = pread(s->fd, s->buf, want, s->pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s->api->archive_set_error(a, errno, "read failed: %s", strerror(errno));
            return -1;
        }
        *s->work += (uint64_t)n;
        if (*s->work > WORK_MAX) {
            s->over_work = true;
            s->api->archive_set_error(a, EFBIG, "work limit");
            return -1;
        }
        s->pos += n;
        *out = s->buf;
        return n;
    }
}

static la_int64_t seg_skip(struct archive *a, void *data, la_int64_t request)
{
    segment_reader *s = data;
    if (request > s->end - s->pos)
        request = s->end - s->pos;
    s->pos += request;
    return request;
}

int initramfs_scan_err(nfsroot_error *err, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return nfsroot_err(err, code, NULL, "initrd", NULL, 0, "%s", msg);
}

/* One scan's reading position and what it has cost so far. */
typedef struct scan_ctx {
    const archive_api *api;
    scan_state *st;
    segment_reader seg;
    off_t size;
    uint64_t work, zeros, unpacked, entries;
    bool compressed_seen;
} scan_ctx;

static bool all_zero(const uint8_t *b, size_t n, size_t *ret_first)
{
    for (size_t i = 0; i < n; i++)
        if (b[i]) {
            *ret_first = i;
            return false;
        }
    return true;
}

/* Skip the zero padding the kernel allows between segments: holes with SEEK_DATA (a sparse
 * file's holes cost nothing), zeros on disk by reading, at most ZEROS_MAX of them. */
static int skip_zeros(scan_ctx *c, off_t *pos, nfsroot_error *err)
{
    int fd = c->seg.fd;
    uint8_t *buf = c->seg.buf;
    while (*pos < c->size) {
        off_t data = lseek(fd, *pos, SEEK_DATA);
        if (data < 0 && errno == ENXIO) {
            *pos = c->size; /* only a hole up to the end */
            return 0;
        }
        if (data > *pos)
            *pos = data;
        if (*pos >= c->size)
            return 0;
        size_t want = 64 * 1024;
        if (c->size - *pos < (off_t)want)
            want = (size_t)(c->size - *pos);
        ssize_t n = pread(fd, buf, want, *pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        c->work += (uint64_t)n;
        size_t first;
        if (!all_zero(buf, (size_t)n, &first)) {
            c->zeros += first;
            *pos += (off_t)first;
            return 0;
        }
        c->zeros += (uint64_t)n;
        *pos += n;
        if (c->zeros > ZEROS_MAX)
            return initramfs_scan_err(
                err, -EFBIG,
                "it holds more than %llu MiB of zero bytes between its archives, "
                "the boot check's limit",
                MIB(ZEROS_MAX));
    }
    return 0;
}

/* The format of the segment at pos, added to info->format; <0 with err filled when the kernel
 * would not unpack it. */
static int segment_start(scan_ctx *c, off_t pos, bool *ret_uncompressed, char *part, size_t len,
                         nfsroot_error *err)
{
    nfsroot_initramfs_info *info = c->st->info;
    uint8_t magic[8] = { 0 };
    ssize_t mn = pread(c->seg.fd, magic, sizeof(magic), pos);
    const char *kind = bootcheck_archive_kind(magic, mn > 0 ? (size_t)mn : 0);
    if (!kind)
        return initramfs_scan_err(
            err, -EBADMSG,
            "unknown data at offset %jd%s (neither cpio nor a compression the "
            "kernel knows)",
            (intmax_t)pos, info->n_segments ? " after the last archive" : "");
    if (strcmp(kind, "cpio-odc") == 0)
        return initramfs_scan_err(
            err, -EBADMSG,
            "the cpio archive at offset %jd is in the old 'odc' format; the kernel "
            "only unpacks 'newc' (cpio -H newc)",
            (intmax_t)pos);
    if (info->n_segments >= SEGMENTS_MAX)
        return initramfs_scan_err(
            err, -EFBIG, "it holds more than %d concatenated archives, the boot check's limit",
            SEGMENTS_MAX);
    bool uncompressed = strcmp(kind, "cpio") == 0;
    snprintf(part, len, uncompressed ? "%s" : "cpio.%s", kind);
    if (strlen(info->format) + strlen(part) + 4 < sizeof(info->format))
        snprintf(info->format + strlen(info->format), sizeof(info->format) - strlen(info->format),
                 "%s%s", info->format[0] ? " + " : "", part);
    if (!uncompressed)
        c->compressed_seen = true;
    else if (!c->compressed_seen && info->n_segments == 0)
        info->early_cpio = true; /* confirmed below when a compressed segment follows */
    *ret_uncompressed = uncompressed;
    return 0;
}

static int work_limit_err(nfsroot_error *err)
{
    return initramfs_scan_err(err, -EFBIG,
                              "scanning it reads and unpacks more than %llu MiB, the boot "
                              "check's limit",
                              MIB(WORK_MAX));
}

/* Every bound an archive member can hit, checked before the member is looked at. */
static int check_entry_bounds(scan_ctx *c, struct archive *a, struct archive_entry *e,
                              bool uncompressed, nfsroot_error *err)
{
    la_int64_t esize = c->api->archive_entry_size(e);
    c->unpacked += esize > 0 ? (uint64_t)esize : 0;
    if (c->unpacked > UNPACKED_MAX)
        return initramfs_scan_err(
            err, -EFBIG, "the image unpacks to more than %llu MiB; no initramfs is that large",
            MIB(UNPACKED_MAX));
    if (++c->entries > ENTRIES_MAX)
        return initramfs_scan_err(
            err, -EFBIG, "it holds more than %d files, the boot check's limit", ENTRIES_MAX);
    /* Unpacked bytes so far in this segment; an uncompressed one is counted as it is read. */
    la_int64_t out = uncompressed ? 0 : c->api->archive_filter_bytes(a, 0);
    if (c->work + (uint64_t)(out > 0 ? out : 0) > WORK_MAX)
        return work_limit_err(err);
    return 0;
}

/* The members of the open archive a (the segment at pos), each checked against the bounds, then
 * looked at. */
static int scan_entries(scan_ctx *c, struct archive *a, off_t pos, bool uncompressed,
                        const char *part, nfsroot_error *err)
{
    const archive_api *api = c->api;
    unsigned entries = 0;
    for (;;) {
        struct archive_entry *e;
        int ar = api->archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF)
            return 0;
        if (ar != ARCHIVE_OK) {
            const char *why = api->archive_error_string(a);
            return initramfs_scan_err(err, -EBADMSG,
                                      "%s segment at offset %jd is damaged after %u entries: %s",
                                      part, (intmax_t)pos, entries, why ? why : "bad header");
        }
        entries++;
        int r = check_entry_bounds(c, a, e, uncompressed, err);
        if (r == 0)
            r = initramfs_scan_entry(c->st, a, e);
        if (r == -EBADMSG)
            r = initramfs_scan_err(err, -EBADMSG, "%s segment at offset %jd is damaged in '%s': %s",
                                   part, (intmax_t)pos, api->archive_entry_pathname(e),
                                   api->archive_error_string(a));
        if (r < 0)
            return r;
        /* libarchive skips unread data itself; for an uncompressed segment that is a seek. */
    }
}

/* Read one archive starting at pos; *ret_consumed: its length when it is uncompressed. */
static int scan_segment(scan_ctx *c, off_t pos, bool uncompressed, const char *part,
                        la_int64_t *ret_consumed, nfsroot_error *ret_err)
{
    /* A read refused by the work bound surfaces in libarchive as damage: say which it was. */
    nfsroot_error seg_err = { 0 };
    const archive_api *api = c->api;
    struct archive *a = api->archive_read_new();
    if (!a)
        return -ENOMEM;
    api->archive_read_support_filter_all(a);
    api->archive_read_support_format_cpio(a);
    c->seg.pos = pos;
    int r;
    if (api->archive_read_open2(a, &c->seg, NULL, seg_read, seg_skip, NULL) != ARCHIVE_OK)
        r = initramfs_scan_err(&seg_err, -EBADMSG, "%s segment at offset %jd cannot be opened: %s",
                               part, (intmax_t)pos, api->archive_error_string(a));
    else
        r = scan_entries(c, a, pos, uncompressed, part, &seg_err);
    la_int64_t out = api->archive_filter_bytes(a, 0);
    if (!uncompressed)
        c->work += out > 0 ? (uint64_t)out : 0;
    *ret_consumed = out;
    api->archive_read_free(a);
    if (c->seg.over_work)
        return work_limit_err(ret_err);
    if (r < 0 && seg_err.code && ret_err && !ret_err->code)
        *ret_err = seg_err;
    return r;
}

/* Every segment from offset 0 on: cpio archives one after the other with padding between them,
 * the compressed one last. */
static int scan_segments(scan_ctx *c, nfsroot_error *err)
{
    off_t pos = 0;
    for (;;) {
        int r = skip_zeros(c, &pos, err);
        if (r < 0 || pos >= c->size)
            return r;
        bool uncompressed = false;
        char part[32];
        r = segment_start(c, pos, &uncompressed, part, sizeof(part), err);
        if (r < 0)
            return r;
        la_int64_t consumed = 0;
        r = scan_segment(c, pos, uncompressed, part, &consumed, err);
        c->st->info->n_segments++;
        /* The end of a compressed stream inside the file is not exposed by libarchive; what
         * follows a compressed segment is, in practice, padding. */
        if (r < 0 || !uncompressed)
            return r;
        if (consumed <= 0)
            return initramfs_scan_err(err, -EBADMSG, "cpio segment at offset %jd is empty",
                                      (intmax_t)pos);
        pos += consumed;
    }
}

int nfsroot_initramfs_scan_fd(int fd, nfsroot_initramfs_info *ret, nfsroot_error *err)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return -errno;
    if ((uint64_t)sb.st_size > INITRD_SIZE_MAX)
        return initramfs_scan_err(err, -EFBIG,
                                  "it is %jd bytes, more than the boot check's limit of %llu MiB "
                                  "for an initramfs",
                                  (intmax_t)sb.st_size, MIB(INITRD_SIZE_MAX));
    _cleanup_(archive_api_close) archive_api api = { 0 };
    char why[512];
    if (archive_api_open(&api, why, sizeof(why)) < 0)
        return initramfs_scan_err(err, -ENOPKG, "cannot load libarchive to read the image: %s",
                                  why);
    _cleanup_free_ uint8_t *buf = malloc(READ_BLOCK);
    if (!buf)
        return -ENOMEM;
    nfsroot_initramfs_info info = { 0 };
    _cleanup_(initramfs_scan_state_done) scan_state st = { .api = &api, .info = &info };
    scan_ctx c = { .api = &api, .st = &st, .size = sb.st_size };
    c.seg =
        (segment_reader){ .api = &api, .fd = fd, .end = sb.st_size, .buf = buf, .work = &c.work };
    int r = scan_segments(&c, err);
    if (r == 0 && info.n_segments == 0)
        r = initramfs_scan_err(err, -EBADMSG, "the file holds only zero bytes");
    if (r < 0)
        return r;
    info.early_cpio = info.early_cpio && c.compressed_seen;
    initramfs_finish_cmdline(&st);
    *ret = info;
    return 0;
}
