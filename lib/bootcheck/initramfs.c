/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os><initrd>: what the initramfs holds, read with libarchive, and whether it can bring the
 * network up and mount an NFS root. Scan results are cached by the image's identity. */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stddef.h>
#include <sys/stat.h>

#include "bootcheck.h"

#define READ_BLOCK (1024 * 1024)
#define SMALL_FILE_MAX (256 * 1024)
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
    X(archive_entry_filetype)                                                                      \
    X(archive_entry_pathname)                                                                      \
    X(archive_entry_size)                                                                          \
    X(archive_error_string)                                                                        \
    X(archive_filter_bytes)                                                                        \
    X(archive_read_data)                                                                           \
    X(archive_read_free)                                                                           \
    X(archive_read_new)                                                                            \
    X(archive_read_next_header)                                                                    \
    X(archive_read_open2)                                                                          \
    X(archive_read_support_filter_all)                                                             \
    X(archive_read_support_format_cpio)                                                            \
    X(archive_set_error)

typedef struct archive_api {
    void *handle;
#define X(sym) typeof(sym) *sym;
    ARCHIVE_SYMS(X)
#undef X
} archive_api;

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

/* The first bytes of a segment say what it is (the kernel's own list, init/initramfs.c). */
static const char *segment_kind(const uint8_t *m, size_t n)
{
    if (n >= 6 && (memcmp(m, "070701", 6) == 0 || memcmp(m, "070702", 6) == 0))
        return "cpio";
    if (n >= 6 && memcmp(m, "070707", 6) == 0)
        return "cpio-odc";
    if (n >= 2 && m[0] == 0x1f && (m[1] == 0x8b || m[1] == 0x9e))
        return "gzip";
    if (n >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0)
        return "zstd";
    if (n >= 6 && memcmp(m,
                         "\xfd"
                         "7zXZ\0",
                         6) == 0)
        return "xz";
    if (n >= 3 && m[0] == 0x5d && m[1] == 0x00 && m[2] == 0x00)
        return "lzma";
    if (n >= 4 && (memcmp(m, "\x02\x21\x4c\x18", 4) == 0 || memcmp(m, "\x04\x22\x4d\x18", 4) == 0))
        return "lz4";
    if (n >= 3 && memcmp(m, "BZh", 3) == 0)
        return "bzip2";
    if (n >= 4 && memcmp(m, "\x89LZO", 4) == 0)
        return "lzop";
    return NULL;
}

static void append_word(char *dst, size_t len, const char *word)
{
    size_t n = strlen(dst);
    if (n + strlen(word) + 2 > len)
        return;
    snprintf(dst + n, len - n, "%s%s", n ? " " : "", word);
}

static bool has_word(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += wl) {
        bool start = p == list || p[-1] == ' ';
        bool end = p[wl] == '\0' || p[wl] == ' ';
        if (start && end)
            return true;
    }
    return false;
}

typedef struct cmdline_file {
    char *name, *text;
} cmdline_file;

typedef struct scan_state {
    const archive_api *api;
    nfsroot_initramfs_info *info;
    cmdline_file cmdline[CMDLINE_FILES_MAX];
    size_t n_cmdline;
} scan_state;

static int read_entry_data(const archive_api *api, struct archive *a, struct archive_entry *e,
                           char **ret)
{
    la_int64_t size = api->archive_entry_size(e);
    if (size < 0 || size > SMALL_FILE_MAX)
        return -EFBIG;
    char *buf = malloc((size_t)size + 1);
    if (!buf)
        return -ENOMEM;
    la_ssize_t n = api->archive_read_data(a, buf, (size_t)size);
    if (n < 0) {
        free(buf);
        return -EBADMSG;
    }
    buf[n] = '\0';
    *ret = buf;
    return 0;
}

static void note_modules_txt(nfsroot_initramfs_info *info, char *text)
{
    char *save = NULL;
    for (char *w = strtok_r(text, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save))
        if (!has_word(info->dracut_modules, w))
            append_word(info->dracut_modules, sizeof(info->dracut_modules), w);
    if (has_word(info->dracut_modules, "nfs"))
        info->nfs_scripts = true;
    static const char *const net[] = { "network", "network-legacy", "network-manager",
                                       "systemd-networkd", "network-wicked" };
    for (size_t i = 0; i < ELEMENTSOF(net); i++)
        if (has_word(info->dracut_modules, net[i]))
            info->network = true;
}

static void note_builtin(nfsroot_initramfs_info *info, const char *text)
{
    info->nfs_builtin_known = true;
    for (const char *p = text; (p = strstr(p, "kernel/fs/nfs/nfs.ko")); p++)
        if ((p == text || p[-1] == '\n') && (p[20] == '\n' || p[20] == '\0'))
            info->nfs_builtin = true;
}

static void note_dhcp(nfsroot_initramfs_info *info, const char *name)
{
    info->dhcp_client = true;
    if (!info->dhcp_client_name[0])
        snprintf(info->dhcp_client_name, sizeof(info->dhcp_client_name), "%s", name);
}

/* Look at one entry's name (and, for the few files that matter, its contents). */
static int scan_entry(scan_state *st, struct archive *a, struct archive_entry *e, unsigned segment)
{
    nfsroot_initramfs_info *info = st->info;
    const archive_api *api = st->api;
    const char *name = api->archive_entry_pathname(e);
    if (!name)
        return 0;
    while (name[0] == '.' && name[1] == '/')
        name += 2;
    while (name[0] == '/')
        name++;
    info->n_files++;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    bool reg = api->archive_entry_filetype(e) == AE_IFREG;

    if (strcmp(name, "init") == 0)
        info->has_init = true;
    if (strncmp(name, "kernel/x86/microcode/", 21) == 0 && reg)
        info->microcode = true;
    if (strncmp(name, "usr/lib/dracut/", 15) == 0 || strncmp(name, "lib/dracut/", 11) == 0)
        info->dracut = true;
    if (strcmp(name, "conf/initramfs.conf") == 0 || strncmp(name, "scripts/init-top", 16) == 0)
        info->initramfs_tools = true;

    if (strcmp(name, "scripts/nfs") == 0 || fnmatch("*parse-nfsroot.sh", base, 0) == 0 ||
        strcmp(base, "nfs-lib.sh") == 0 || strcmp(name, "sbin/nfsroot") == 0 ||
        strcmp(name, "usr/sbin/nfsroot") == 0)
        info->nfs_scripts = true;
    if (strcmp(base, "mount.nfs") == 0 || strcmp(base, "mount.nfs4") == 0 ||
        strcmp(base, "nfsmount") == 0)
        info->mount_nfs = true;

    const char *mods = NULL;
    if (strncmp(name, "lib/modules/", 12) == 0)
        mods = name + 12;
    else if (strncmp(name, "usr/lib/modules/", 16) == 0)
        mods = name + 16;
    if (mods && *mods) {
        char ver[128];
        size_t vl = strcspn(mods, "/");
        /* Versions start with a digit; dracut also ships lib/modules/keys/ (modsign). */
        if (vl < sizeof(ver) && isdigit((unsigned char)mods[0])) {
            memcpy(ver, mods, vl);
            ver[vl] = '\0';
            if (!has_word(info->kernel_versions, ver))
                append_word(info->kernel_versions, sizeof(info->kernel_versions), ver);
        }
        if (strstr(mods, "/fs/nfs/")) {
            if (fnmatch("nfs.ko*", base, 0) == 0)
                info->nfs_module = true;
            else if (fnmatch("nfsv3.ko*", base, 0) == 0)
                info->nfsv3_module = true;
            else if (fnmatch("nfsv4.ko*", base, 0) == 0)
                info->nfsv4_module = true;
        }
    }

    if (strcmp(base, "ifup") == 0 || strcmp(base, "net-lib.sh") == 0)
        info->network = true;
    if (strcmp(base, "nm-initrd-generator") == 0 || strcmp(base, "NetworkManager") == 0) {
        info->network = true;
        note_dhcp(info, "NetworkManager");
    }
    if (strcmp(base, "systemd-networkd") == 0) {
        info->network = true;
        note_dhcp(info, "systemd-networkd");
    }
    if (strcmp(base, "ipconfig") == 0 && strstr(name, "bin/")) {
        info->network = true;
        note_dhcp(info, "ipconfig");
    }
    if (strcmp(base, "dhclient") == 0 || strcmp(base, "dhcpcd") == 0 || strcmp(base, "udhcpc") == 0)
        note_dhcp(info, base);

    if (!reg)
        return 0;
    int r = 0;
    if (strcmp(name, "usr/lib/dracut/modules.txt") == 0 ||
        strcmp(name, "lib/dracut/modules.txt") == 0) {
        _cleanup_free_ char *text = NULL;
        r = read_entry_data(api, a, e, &text);
        if (r == 0)
            note_modules_txt(info, text);
    } else if (mods && strcmp(base, "modules.builtin") == 0) {
        _cleanup_free_ char *text = NULL;
        r = read_entry_data(api, a, e, &text);
        if (r == 0)
            note_builtin(info, text);
    } else if (strncmp(name, "etc/cmdline.d/", 14) == 0 && fnmatch("*.conf", base, 0) == 0 &&
               !strchr(name + 14, '/') && st->n_cmdline < CMDLINE_FILES_MAX) {
        char *text = NULL;
        r = read_entry_data(api, a, e, &text);
        if (r == 0) {
            st->cmdline[st->n_cmdline].text = text;
            st->cmdline[st->n_cmdline].name = strdup(name);
            if (!st->cmdline[st->n_cmdline++].name)
                r = -ENOMEM;
        }
    }
    (void)segment;
    return r == -EFBIG ? 0 : r;
}

static int cmp_cmdline_file(const void *a, const void *b)
{
    return strcmp(((const cmdline_file *)a)->name, ((const cmdline_file *)b)->name);
}

/* dracut reads etc/cmdline.d/ *.conf in glob order, every line a run of arguments. */
static void finish_cmdline(scan_state *st)
{
    qsort(st->cmdline, st->n_cmdline, sizeof(st->cmdline[0]), cmp_cmdline_file);
    for (size_t i = 0; i < st->n_cmdline; i++) {
        char *save = NULL;
        for (char *l = strtok_r(st->cmdline[i].text, "\r\n", &save); l;
             l = strtok_r(NULL, "\r\n", &save)) {
            l += strspn(l, " \t");
            if (*l)
                append_word(st->info->cmdline, sizeof(st->info->cmdline), l);
        }
    }
}

static void scan_state_done(scan_state *st)
{
    for (size_t i = 0; i < st->n_cmdline; i++) {
        free(st->cmdline[i].name);
        free(st->cmdline[i].text);
    }
}

static int scan_err(nfsroot_error *err, int code, const char *fmt, ...) _printf_(3, 4);
static int scan_err(nfsroot_error *err, int code, const char *fmt, ...)
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
            return scan_err(err, -EFBIG,
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
    const char *kind = segment_kind(magic, mn > 0 ? (size_t)mn : 0);
    if (!kind)
        return scan_err(err, -EBADMSG,
                        "unknown data at offset %jd%s (neither cpio nor a compression the "
                        "kernel knows)",
                        (intmax_t)pos, info->n_segments ? " after the last archive" : "");
    if (strcmp(kind, "cpio-odc") == 0)
        return scan_err(err, -EBADMSG,
                        "the cpio archive at offset %jd is in the old 'odc' format; the kernel "
                        "only unpacks 'newc' (cpio -H newc)",
                        (intmax_t)pos);
    if (info->n_segments >= SEGMENTS_MAX)
        return scan_err(err, -EFBIG,
                        "it holds more than %d concatenated archives, the boot check's limit",
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

/* Every bound an archive member can hit, checked before the member is looked at. */
static int check_entry_bounds(scan_ctx *c, struct archive *a, struct archive_entry *e,
                              bool uncompressed, nfsroot_error *err)
{
    la_int64_t esize = c->api->archive_entry_size(e);
    c->unpacked += esize > 0 ? (uint64_t)esize : 0;
    if (c->unpacked > UNPACKED_MAX)
        return scan_err(err, -EFBIG,
                        "the image unpacks to more than %llu MiB; no initramfs is that large",
                        MIB(UNPACKED_MAX));
    if (++c->entries > ENTRIES_MAX)
        return scan_err(err, -EFBIG, "it holds more than %d files, the boot check's limit",
                        ENTRIES_MAX);
    /* Unpacked bytes so far in this segment; an uncompressed one is counted as it is read. */
    la_int64_t out = uncompressed ? 0 : c->api->archive_filter_bytes(a, 0);
    if (c->work + (uint64_t)(out > 0 ? out : 0) > WORK_MAX)
        return scan_err(err, -EFBIG,
                        "scanning it reads and unpacks more than %llu MiB, the boot check's "
                        "limit",
                        MIB(WORK_MAX));
    return 0;
}

/* Read one archive starting at pos; *ret_consumed: its length when it is uncompressed. */
static int scan_segment(scan_ctx *c, off_t pos, bool uncompressed, const char *part,
                        la_int64_t *ret_consumed, nfsroot_error *ret_err)
{
    /* A read refused by the work bound surfaces in libarchive as damage: say which it was. */
    nfsroot_error seg_err = { 0 }, *err = &seg_err;
    const archive_api *api = c->api;
    struct archive *a = api->archive_read_new();
    if (!a)
        return -ENOMEM;
    api->archive_read_support_filter_all(a);
    api->archive_read_support_format_cpio(a);
    c->seg.pos = pos;
    int r = 0;
    unsigned entries = 0;
    if (api->archive_read_open2(a, &c->seg, NULL, seg_read, seg_skip, NULL) != ARCHIVE_OK)
        r = scan_err(err, -EBADMSG, "%s segment at offset %jd cannot be opened: %s", part,
                     (intmax_t)pos, api->archive_error_string(a));
    while (r == 0) {
        struct archive_entry *e;
        int ar = api->archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar != ARCHIVE_OK) {
            const char *why = api->archive_error_string(a);
            r = scan_err(err, -EBADMSG, "%s segment at offset %jd is damaged after %u entries: %s",
                         part, (intmax_t)pos, entries, why ? why : "bad header");
            break;
        }
        entries++;
        r = check_entry_bounds(c, a, e, uncompressed, err);
        if (r == 0)
            r = scan_entry(c->st, a, e, c->st->info->n_segments);
        if (r == -EBADMSG)
            r = scan_err(err, -EBADMSG, "%s segment at offset %jd is damaged in '%s': %s", part,
                         (intmax_t)pos, api->archive_entry_pathname(e),
                         api->archive_error_string(a));
        /* libarchive skips unread data itself; for an uncompressed segment that is a seek. */
    }
    if (!uncompressed) {
        la_int64_t out = api->archive_filter_bytes(a, 0);
        c->work += out > 0 ? (uint64_t)out : 0;
    }
    *ret_consumed = api->archive_filter_bytes(a, 0);
    api->archive_read_free(a);
    if (c->seg.over_work)
        return scan_err(ret_err, -EFBIG,
                        "scanning it reads and unpacks more than %llu MiB, the boot check's "
                        "limit",
                        MIB(WORK_MAX));
    if (r < 0 && seg_err.code && ret_err && !ret_err->code)
        *ret_err = seg_err;
    return r;
}

int nfsroot_initramfs_scan_fd(int fd, nfsroot_initramfs_info *ret, nfsroot_error *err)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return -errno;
    if ((uint64_t)sb.st_size > INITRD_SIZE_MAX)
        return scan_err(err, -EFBIG,
                        "it is %jd bytes, more than the boot check's limit of %llu MiB for an "
                        "initramfs",
                        (intmax_t)sb.st_size, MIB(INITRD_SIZE_MAX));
    nfsroot_initramfs_info info = { 0 };
    _cleanup_(archive_api_close) archive_api api = { 0 };
    char why[512];
    if (archive_api_open(&api, why, sizeof(why)) < 0)
        return scan_err(err, -ENOPKG, "cannot load libarchive to read the image: %s", why);
    scan_state st = { .api = &api, .info = &info };
    _cleanup_free_ uint8_t *buf = malloc(READ_BLOCK);
    if (!buf)
        return -ENOMEM;
    scan_ctx c = { .api = &api, .st = &st, .size = sb.st_size };
    c.seg =
        (segment_reader){ .api = &api, .fd = fd, .end = sb.st_size, .buf = buf, .work = &c.work };
    off_t pos = 0;
    int r = 0;
    while (r == 0) {
        r = skip_zeros(&c, &pos, err);
        if (r < 0 || pos >= sb.st_size)
            break;
        bool uncompressed = false;
        char part[32];
        r = segment_start(&c, pos, &uncompressed, part, sizeof(part), err);
        if (r < 0)
            break;
        la_int64_t consumed = 0;
        r = scan_segment(&c, pos, uncompressed, part, &consumed, err);
        info.n_segments++;
        if (r < 0)
            break;
        /* The end of a compressed stream inside the file is not exposed by libarchive; what
         * follows a compressed segment is, in practice, padding. */
        if (!uncompressed)
            break;
        if (consumed <= 0) {
            r = scan_err(err, -EBADMSG, "cpio segment at offset %jd is empty", (intmax_t)pos);
            break;
        }
        pos += consumed;
    }
    if (r == 0 && info.n_segments == 0)
        r = scan_err(err, -EBADMSG, "the file holds only zero bytes");
    if (r == 0) {
        info.early_cpio = info.early_cpio && c.compressed_seen;
        finish_cmdline(&st);
        *ret = info;
    }
    scan_state_done(&st);
    return r;
}

/* ---- cache: one small text file per image, keyed by the image's identity ---- */

/* A scan's result as cached: the facts, or the refusal. Only refusals that depend on the
 * image's bytes alone are cached (a damaged or oversized image); a missing libarchive, a read
 * error or ENOMEM is not, so it is retried at the next start. */
typedef struct scan_result {
    int code; /* 0, -EBADMSG or -EFBIG */
    char message[sizeof(((nfsroot_error *)0)->message)];
    nfsroot_initramfs_info info;
} scan_result;

#define CACHE_FILE_MAX (16 * 1024)

typedef enum { FT_BOOL, FT_UINT, FT_U64, FT_STR } field_type;
static const struct {
    const char *key;
    field_type type;
    size_t off, size;
    uint64_t max; /* numbers */
} fields[] = {
#define B(f)                                                                                       \
    {                                                                                              \
#f, FT_BOOL, offsetof(nfsroot_initramfs_info, f), 0, 1                                     \
    }
#define S(f)                                                                                       \
    {                                                                                              \
#f, FT_STR, offsetof(nfsroot_initramfs_info, f), sizeof(((nfsroot_initramfs_info *)0)->f), \
            0                                                                                      \
    }
    S(format),
    { "n_segments", FT_UINT, offsetof(nfsroot_initramfs_info, n_segments), 0, SEGMENTS_MAX },
    B(early_cpio),
    B(microcode),
    B(has_init),
    B(dracut),
    B(initramfs_tools),
    B(nfs_scripts),
    B(mount_nfs),
    B(nfs_module),
    B(nfsv3_module),
    B(nfsv4_module),
    B(nfs_builtin_known),
    B(nfs_builtin),
    B(network),
    B(dhcp_client),
    S(dhcp_client_name),
    S(kernel_versions),
    S(dracut_modules),
    S(cmdline),
    { "n_files", FT_U64, offsetof(nfsroot_initramfs_info, n_files), 0, ENTRIES_MAX },
#undef B
#undef S
};

/* Not ctime: libvirt's DAC driver chowns <initrd> at every start and back at every stop, which
 * would make every start a cache miss. */
static void cache_key(const struct stat *sb, char *buf, size_t len)
{
    snprintf(buf, len, "virt-nfsroot initramfs-cache 2 %ju %ju %jd %jd.%09ld",
             (uintmax_t)sb->st_dev, (uintmax_t)sb->st_ino, (intmax_t)sb->st_size,
             (intmax_t)sb->st_mtim.tv_sec, sb->st_mtim.tv_nsec);
}

/* A cached string: shorter than its field, printable (bytes below 0x20 and DEL refused). */
static bool cache_str_ok(const char *v, size_t size)
{
    size_t n = strlen(v);
    if (n >= size)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return false;
    return true;
}

/* A cached number: decimal digits only, no sign, no leading zero, at most max. */
static bool cache_num(const char *v, uint64_t max, uint64_t *ret)
{
    size_t n = strlen(v);
    if (n == 0 || n > 20 || (n > 1 && v[0] == '0') || strspn(v, "0123456789") != n)
        return false;
    errno = 0;
    unsigned long long x = strtoull(v, NULL, 10);
    if (errno || x > max)
        return false;
    *ret = x;
    return true;
}

static int cache_set_field(nfsroot_initramfs_info *info, size_t i, const char *v)
{
    char *p = (char *)info + fields[i].off;
    uint64_t x;
    switch (fields[i].type) {
    case FT_BOOL:
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
            return -EBADMSG;
        *(bool *)p = v[0] == '1';
        return 0;
    case FT_UINT:
        if (!cache_num(v, fields[i].max, &x))
            return -EBADMSG;
        *(unsigned *)p = (unsigned)x;
        return 0;
    case FT_U64:
        if (!cache_num(v, fields[i].max, &x))
            return -EBADMSG;
        *(uint64_t *)p = x;
        return 0;
    case FT_STR:
        if (!cache_str_ok(v, fields[i].size))
            return -EBADMSG;
        memcpy(p, v, strlen(v) + 1);
        return 0;
    }
    return -EBADMSG;
}

/* "result=ok" then every field exactly once, nothing else. */
static int cache_parse_ok(char **save, nfsroot_initramfs_info *ret)
{
    nfsroot_initramfs_info info = { 0 };
    bool seen[ELEMENTSOF(fields)] = { false };
    size_t n_seen = 0;
    char *line;
    while ((line = strtok_r(NULL, "\n", save))) {
        char *eq = strchr(line, '=');
        if (!eq)
            return -EBADMSG;
        *eq = '\0';
        size_t i;
        for (i = 0; i < ELEMENTSOF(fields); i++)
            if (strcmp(fields[i].key, line) == 0)
                break;
        if (i == ELEMENTSOF(fields) || seen[i] || cache_set_field(&info, i, eq + 1) < 0)
            return -EBADMSG;
        seen[i] = true;
        n_seen++;
    }
    if (n_seen != ELEMENTSOF(fields) || info.n_segments == 0)
        return -EBADMSG;
    *ret = info;
    return 0;
}

/* "result=error", "code=EBADMSG|EFBIG", "message=<one printable line>", nothing else: a cached
 * refusal has no facts, so it can never be read back as a scan that passed. */
static int cache_parse_error(char **save, scan_result *ret)
{
    char *code = strtok_r(NULL, "\n", save);
    char *msg = strtok_r(NULL, "\n", save);
    if (!code || !msg || strtok_r(NULL, "\n", save))
        return -EBADMSG;
    if (strcmp(code, "code=EBADMSG") == 0)
        ret->code = -EBADMSG;
    else if (strcmp(code, "code=EFBIG") == 0)
        ret->code = -EFBIG;
    else
        return -EBADMSG;
    if (strncmp(msg, "message=", 8) != 0 || !msg[8] || !cache_str_ok(msg + 8, sizeof(ret->message)))
        return -EBADMSG;
    snprintf(ret->message, sizeof(ret->message), "%s", msg + 8);
    return 0;
}

/* Read the entry name in dir (no symbolic link, a regular file of at most CACHE_FILE_MAX bytes,
 * no NUL, ending in a newline). */
static int cache_read(const char *dir, const char *name, char **ret)
{
    _cleanup_close_ int dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return -errno;
    _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > CACHE_FILE_MAX)
        return -EBADMSG;
    _cleanup_free_ char *buf = malloc(CACHE_FILE_MAX + 1);
    if (!buf)
        return -ENOMEM;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, CACHE_FILE_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0 || (len += (size_t)n) > CACHE_FILE_MAX)
            break;
    }
    if (len == 0 || len > CACHE_FILE_MAX || buf[len - 1] != '\n' || memchr(buf, '\0', len))
        return -EBADMSG;
    buf[len] = '\0';
    if (strstr(buf, "\n\n")) /* strtok_r would skip an empty line: refuse it instead */
        return -EBADMSG;
    *ret = TAKE_PTR(buf);
    return 0;
}

static int cache_load(const char *dir, const char *name, const char *key, scan_result *ret)
{
    _cleanup_free_ char *text = NULL;
    int r = cache_read(dir, name, &text);
    if (r < 0)
        return r;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, key) != 0)
        return -ESTALE;
    scan_result res = { 0 };
    line = strtok_r(NULL, "\n", &save);
    if (line && strcmp(line, "result=ok") == 0)
        r = cache_parse_ok(&save, &res.info);
    else if (line && strcmp(line, "result=error") == 0)
        r = cache_parse_error(&save, &res);
    else
        r = -EBADMSG;
    if (r < 0)
        return r;
    *ret = res;
    return 0;
}

/* Append one "key=value" line; false when it does not fit. Values are made one printable line
 * whatever they hold (guest data). */
static bool cache_put(char *out, size_t cap, size_t *len, const char *key, const char *value)
{
    size_t start = *len + strlen(key) + 1;
    int n = snprintf(out + *len, cap - *len, "%s=%s\n", key, value);
    if (n < 0 || (size_t)n >= cap - *len)
        return false;
    *len += (size_t)n;
    for (size_t j = start; j + 1 < *len; j++)
        if ((unsigned char)out[j] < 0x20 || out[j] == 0x7f)
            out[j] = ' ';
    return true;
}

static int cache_store(const char *dir, const char *name, const char *key, const scan_result *res)
{
    size_t cap = CACHE_FILE_MAX, len = 0;
    _cleanup_free_ char *out = malloc(cap);
    if (!out)
        return -ENOMEM;
    int n = snprintf(out, cap, "%s\n", key);
    if (n < 0 || (size_t)n >= cap)
        return -E2BIG;
    len = (size_t)n;
    bool ok = true;
    if (res->code) {
        ok = ok && cache_put(out, cap, &len, "result", "error") &&
             cache_put(out, cap, &len, "code", res->code == -EFBIG ? "EFBIG" : "EBADMSG") &&
             cache_put(out, cap, &len, "message", res->message);
        return ok ? write_file_atomic(dir, name, out, len, 0600) : -E2BIG;
    }
    ok = ok && cache_put(out, cap, &len, "result", "ok");
    for (size_t i = 0; i < ELEMENTSOF(fields) && ok; i++) {
        const char *p = (const char *)&res->info + fields[i].off;
        char num[32];
        const char *v = num;
        if (fields[i].type == FT_BOOL)
            snprintf(num, sizeof(num), "%d", *(const bool *)p);
        else if (fields[i].type == FT_UINT)
            snprintf(num, sizeof(num), "%u", *(const unsigned *)p);
        else if (fields[i].type == FT_U64)
            snprintf(num, sizeof(num), "%ju", (uintmax_t) * (const uint64_t *)p);
        else
            v = p;
        ok = cache_put(out, cap, &len, fields[i].key, v);
    }
    return ok ? write_file_atomic(dir, name, out, len, 0600) : -E2BIG;
}

static int ensure_cache_dir(const char *dir)
{
    _cleanup_free_ char *parent = strdup(dir);
    if (!parent)
        return -ENOMEM;
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        int r = mkdir_p(parent, 0700);
        if (r < 0)
            return r;
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* A cache directory is used only when it is an absolute path below "/": an empty or relative
 * one (an unset state_dir) means no cache, never a directory relative to the cwd or "/". */
static bool cache_dir_usable(const char *dir)
{
    return dir && dir[0] == '/' && dir[strspn(dir, "/")] != '\0';
}

static int scan_result_return(const scan_result *res, nfsroot_initramfs_info *ret,
                              nfsroot_error *err)
{
    if (res->code)
        return scan_err(err, res->code, "%s", res->message);
    *ret = res->info;
    return 0;
}

/* Scan fd, served from / stored in cache_dir when usable. A cache that cannot be used is never
 * an error: the image is simply scanned. A refusal is cached like a result, so a hostile image
 * costs its scan once, not at every start. */
static int scan_cached(int fd, const char *cache_dir, nfsroot_initramfs_info *ret, bool *ret_cached,
                       nfsroot_error *err)
{
    struct stat before, after;
    if (fstat(fd, &before) < 0)
        return -errno;
    if (!cache_dir_usable(cache_dir))
        cache_dir = NULL;
    char key[256], name[64];
    cache_key(&before, key, sizeof(key));
    snprintf(name, sizeof(name), "%jx-%jx", (uintmax_t)before.st_dev, (uintmax_t)before.st_ino);
    scan_result res = { 0 };
    if (ret_cached)
        *ret_cached = false;
    if (cache_dir && cache_load(cache_dir, name, key, &res) == 0) {
        if (ret_cached)
            *ret_cached = true;
        return scan_result_return(&res, ret, err);
    }
    nfsroot_error e = { 0 };
    res.code = nfsroot_initramfs_scan_fd(fd, &res.info, &e);
    if (res.code < 0 && res.code != -EBADMSG && res.code != -EFBIG) {
        if (err && e.code)
            *err = e;
        return res.code;
    }
    snprintf(res.message, sizeof(res.message), "%s", e.message);
    if (cache_dir && fstat(fd, &after) == 0) {
        char key2[256];
        cache_key(&after, key2, sizeof(key2));
        if (strcmp(key, key2) == 0 && ensure_cache_dir(cache_dir) == 0)
            (void)cache_store(cache_dir, name, key, &res);
    }
    return scan_result_return(&res, ret, err);
}

int nfsroot_initramfs_scan(const char *path, const char *cache_dir, nfsroot_initramfs_info *ret,
                           bool *ret_cached, nfsroot_error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return nfsroot_err(err, -errno, NULL, "initrd", path, 0, "cannot open '%s': %s", path,
                           strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return -errno;
    if (!S_ISREG(sb.st_mode))
        return nfsroot_err(err, -EINVAL, NULL, "initrd", path, 0, "'%s' is not a regular file",
                           path);
    return scan_cached(fd, cache_dir, ret, ret_cached, err);
}

/* ---- the check ---- */

int nfsroot_bootcheck_initramfs(const nfsroot_policy *p, const char *initrd,
                                const nfsroot_plan *plan, const nfsroot_kernel_info *kernel,
                                nfsroot_findings *f, nfsroot_initramfs_info *ret_info)
{
    bootfile bf;
    int r = bootfile_open(&bf, p, "initrd", initrd, plan, f);
    if (r < 0 || bf.fd < 0) {
        bootfile_done(&bf);
        return r;
    }
    /* No state_dir (or not an absolute one): no cache, rather than one relative to "/". */
    _cleanup_free_ char *cache_dir = NULL;
    if (p && cache_dir_usable(p->state_dir) &&
        asprintf(&cache_dir, "%s/initramfs-cache", p->state_dir) < 0) {
        bootfile_done(&bf);
        return -ENOMEM;
    }
    nfsroot_initramfs_info info;
    nfsroot_error e = { 0 };
    bool cached = false;
    r = scan_cached(bf.fd, cache_dir, &info, &cached, &e);
    bootfile_done(&bf);
    if (r == -ENOMEM)
        return r;
    if (r == -EFBIG)
        return nfsroot_findings_add(f, F_ERROR, "initrd-too-large", initrd,
                                    "initrd '%s' is not scanned: %s; rebuild it or point "
                                    "<os><initrd> at the guest's real initramfs",
                                    initrd, e.message[0] ? e.message : strerror(-r));
    if (r < 0)
        return nfsroot_findings_add(f, F_ERROR, "initrd-corrupt", initrd,
                                    "initrd '%s' is not a readable initramfs (%s): rebuild it "
                                    "(dracut --force, or update-initramfs -u in the guest)",
                                    initrd, e.message[0] ? e.message : strerror(-r));

    const char *builder = info.dracut            ? "dracut"
                          : info.initramfs_tools ? "initramfs-tools"
                                                 : "unknown tool";
    r = nfsroot_findings_add(f, F_INFO, "initrd-identified", initrd,
                             "initrd '%s' is %s (%ju files, built by %s%s%s)%s", initrd,
                             info.format, (uintmax_t)info.n_files, builder,
                             info.kernel_versions[0] ? ", modules for " : "", info.kernel_versions,
                             cached ? " [cached scan]" : "");
    if (r >= 0 && !info.has_init)
        r = nfsroot_findings_add(f, F_WARN, "initrd-no-init", initrd,
                                 "initrd '%s' has no /init: the kernel will try to mount the "
                                 "root itself, which needs NFS and IP autoconfiguration built "
                                 "into it (Debian's kernels have neither); rebuild the initramfs",
                                 initrd);
    if (r >= 0 && !info.nfs_scripts && !info.mount_nfs)
        r = nfsroot_findings_add(f, F_ERROR, "initrd-no-nfs", initrd,
                                 "initrd '%s' cannot mount an NFS root: it has neither dracut's "
                                 "nfs module, initramfs-tools' NFS script nor mount.nfs; rebuild "
                                 "it with NFS support (dracut: add_dracutmodules+=\" nfs \", "
                                 "needs nfs-common in the guest)",
                                 initrd);
    bool modules_known = info.nfs_builtin_known || info.kernel_versions[0];
    if (r >= 0 && !info.nfs_module && !info.nfs_builtin && modules_known)
        r = nfsroot_findings_add(f, F_ERROR, "initrd-no-nfs-module", initrd,
                                 "initrd '%s' has no nfs kernel module (fs/nfs/nfs.ko) and its "
                                 "kernel does not have NFS built in: add it (dracut: "
                                 "add_drivers+=\" nfs nfsv3 nfsv4 \"; initramfs-tools: list nfs "
                                 "and nfsv4 in /etc/initramfs-tools/modules) and rebuild",
                                 initrd);
    else if (r >= 0 && !info.nfs_module && !info.nfs_builtin)
        r = nfsroot_findings_add(f, F_WARN, "initrd-nfs-module-unknown", initrd,
                                 "initrd '%s' holds no kernel modules, so NFS must be built into "
                                 "the kernel; if it is not, add the nfs modules to the initramfs",
                                 initrd);
    if (r >= 0 && !info.network && !info.dhcp_client)
        r = nfsroot_findings_add(f, F_ERROR, "initrd-no-network", initrd,
                                 "initrd '%s' cannot bring the network up: rebuild it with "
                                 "dracut's network module (add_dracutmodules+=\" network-legacy "
                                 "\" or network-manager) and a DHCP client",
                                 initrd);
    else if (r >= 0 && !info.dhcp_client)
        r = nfsroot_findings_add(f, F_WARN, "initrd-no-dhcp-client", initrd,
                                 "initrd '%s' has network scripts but no DHCP client (dhclient, "
                                 "dhcpcd, udhcpc): only a static ip= will work; install "
                                 "isc-dhcp-client in the guest and rebuild",
                                 initrd);
    if (r >= 0 && kernel && kernel->version[0] && info.kernel_versions[0] &&
        !has_word(info.kernel_versions, kernel->version))
        r = nfsroot_findings_add(f, F_ERROR, "initrd-kernel-mismatch", initrd,
                                 "initrd '%s' holds modules for '%s' but the kernel is '%s': "
                                 "rebuild the initramfs for '%s' (dracut --kver %s)",
                                 initrd, info.kernel_versions, kernel->version, kernel->version,
                                 kernel->version);
    if (r >= 0 && info.cmdline[0])
        r = nfsroot_findings_add(f, F_INFO, "initrd-cmdline", initrd,
                                 "initrd '%s' carries a built-in command line '%s' "
                                 "(etc/cmdline.d); the domain's <cmdline> is read after it and "
                                 "wins",
                                 initrd, info.cmdline);
    if (r >= 0 && ret_info)
        *ret_info = info;
    return r;
}
