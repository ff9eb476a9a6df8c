/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <os><kernel>: is it really a kernel QEMU can boot, which one, and does it fit the guest? */
#include <fcntl.h>
#include <sys/stat.h>

#include "bootcheck.h"

#define KERNEL_READ_MAX (64 * 1024)

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Machine numbers of PE (IMAGE_FILE_MACHINE_*) and ELF (EM_*) headers, and their arch. */
typedef struct machine {
    uint16_t id;
    const char *arch;
} machine;
static const machine pe_machines[] = { { 0x8664, "x86_64" },     { 0x014c, "x86" },
                                       { 0xaa64, "arm64" },      { 0x01c2, "arm" },
                                       { 0x01c4, "arm" },        { 0x5064, "riscv64" },
                                       { 0x6264, "loongarch64" } };
static const machine elf_machines[] = { { 62, "x86_64" }, { 3, "x86" },       { 183, "arm64" },
                                        { 40, "arm" },    { 243, "riscv64" }, { 21, "ppc64" },
                                        { 22, "s390x" } };

static const char *machine_arch(const machine *v, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id == id)
            return v[i].arch;
    return "";
}

/* The x86 boot protocol (Documentation/arch/x86/boot.rst): "HdrS" at 0x202. */
static int identify_bzimage(const uint8_t *b, size_t len, nfsroot_kernel_info *k)
{
    if (len < 0x240)
        return -EBADMSG;
    k->boot_protocol = le16(b + 0x206);
    if (k->boot_protocol < 0x0200)
        return -EBADMSG;
    unsigned setup_sects = b[0x1f1] ? b[0x1f1] : 4;
    uint32_t syssize = le32(b + 0x1f4); /* 16-byte paragraphs, protocol >= 2.04 */
    if (k->boot_protocol >= 0x0204)
        k->min_size = (uint64_t)(setup_sects + 1) * 512 + (uint64_t)syssize * 16;
    bool big = b[0x211] & 0x01; /* LOADED_HIGH: bzImage rather than zImage */
    snprintf(k->format, sizeof(k->format), "x86 %s", big ? "bzImage" : "zImage");
    if (k->boot_protocol >= 0x020c) {
        k->is_64bit = le16(b + 0x236) & 0x0001; /* XLF_KERNEL_64 */
        snprintf(k->arch, sizeof(k->arch), "%s", k->is_64bit ? "x86_64" : "x86");
    } else {
        snprintf(k->arch, sizeof(k->arch), "x86");
    }
    uint16_t voff = le16(b + 0x20e);
    if (voff) {
        size_t at = (size_t)voff + 0x200;
        size_t n = 0;
        while (at + n < len && n + 1 < sizeof(k->version) && b[at + n] > ' ' && b[at + n] < 0x7f)
            n++;
        if (n)
            memcpy(k->version, b + at, n);
        k->version[n] = '\0';
    }
    return 0;
}

static int identify_pe(const uint8_t *b, size_t len, nfsroot_kernel_info *k)
{
    if (len < 0x40)
        return -EBADMSG;
    if (memcmp(b + 4, "zimg", 4) == 0) {
        /* EFI zboot: a PE whose payload is a compressed Image; type string at 0x18. */
        char comp[33] = "";
        size_t n = 0;
        while (n < 32 && b[0x18 + n] > ' ' && b[0x18 + n] < 0x7f)
            n++;
        memcpy(comp, b + 0x18, n);
        comp[n] = '\0';
        k->min_size = (uint64_t)le32(b + 8) + le32(b + 12);
        snprintf(k->format, sizeof(k->format), "EFI zboot (%s)", n ? comp : "unknown");
    } else {
        snprintf(k->format, sizeof(k->format), "EFI PE");
    }
    uint32_t pe = le32(b + 0x3c);
    if (pe > len || len - pe < 6)
        return len >= KERNEL_READ_MAX ? -ENOEXEC : -EBADMSG;
    if (memcmp(b + pe, "PE\0\0", 4) != 0)
        return -ENOEXEC;
    snprintf(k->arch, sizeof(k->arch), "%s",
             machine_arch(pe_machines, ELEMENTSOF(pe_machines), le16(b + pe + 4)));
    k->is_64bit = strstr(k->arch, "64") != NULL;
    return 0;
}

static int identify_elf(const uint8_t *b, size_t len, nfsroot_kernel_info *k)
{
    if (len < 0x14)
        return -EBADMSG;
    if (b[4] != 1 && b[4] != 2)
        return -EBADMSG;
    if (b[5] != 1 && b[5] != 2)
        return -EBADMSG;
    uint16_t mach = b[5] == 1 ? le16(b + 0x12) : (uint16_t)(b[0x12] << 8 | b[0x13]);
    snprintf(k->format, sizeof(k->format), "ELF%s vmlinux", b[4] == 2 ? "64" : "32");
    snprintf(k->arch, sizeof(k->arch), "%s",
             machine_arch(elf_machines, ELEMENTSOF(elf_machines), mach));
    k->is_64bit = b[4] == 2;
    return 0;
}

int nfsroot_kernel_identify(const void *buf, size_t len, nfsroot_kernel_info *ret)
{
    const uint8_t *b = buf;
    nfsroot_kernel_info k = { 0 };
    int r = -ENOEXEC;

    if (len >= 0x206 && memcmp(b + 0x202, "HdrS", 4) == 0) {
        r = identify_bzimage(b, len, &k);
    } else if (len >= 0x40 && le32(b + 0x38) == 0x644d5241) { /* "ARM\x64" */
        snprintf(k.format, sizeof(k.format), "arm64 Image");
        snprintf(k.arch, sizeof(k.arch), "arm64");
        k.is_64bit = true;
        k.min_size = le64(b + 0x10); /* image_size, 0 on old kernels */
        r = 0;
    } else if (len >= 0x40 && memcmp(b + 0x38, "RSC\x05", 4) == 0) {
        snprintf(k.format, sizeof(k.format), "riscv Image");
        snprintf(k.arch, sizeof(k.arch), "riscv64");
        k.is_64bit = true;
        r = 0;
    } else if (len >= 2 && b[0] == 'M' && b[1] == 'Z') {
        r = identify_pe(b, len, &k);
    } else if (len >= 4 && memcmp(b,
                                  "\x7f"
                                  "ELF",
                                  4) == 0) {
        r = identify_elf(b, len, &k);
    } else if (len >= 0x30 && le32(b + 0x24) == 0x016f2818) {
        snprintf(k.format, sizeof(k.format), "arm zImage");
        snprintf(k.arch, sizeof(k.arch), "arm");
        k.min_size = le32(b + 0x2c) > le32(b + 0x28) ? le32(b + 0x2c) - le32(b + 0x28) : 0;
        r = 0;
    } else if (len < 0x40) {
        r = -EBADMSG;
    }
    if (r < 0)
        return r;
    *ret = k;
    return 0;
}

/* What the first bytes are, when they are not a kernel: helps the user see the mistake. */
static const char *not_kernel_hint(const uint8_t *b, size_t len, char *buf, size_t buf_len)
{
    const char *kind = bootcheck_archive_kind(b, len);
    if (!kind)
        return "";
    if (!strncmp(kind, "cpio", 4))
        return " (it is a cpio archive: an initramfs)";
    snprintf(buf, buf_len, " (it is %s data; an initramfs?)", kind);
    return buf;
}

static bool guest_has_modules(const char *root, const char *version)
{
    _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return true; /* cannot tell: say nothing */
    char rel[256];
    snprintf(rel, sizeof(rel), "lib/modules/%s/modules.dep", version);
    _cleanup_close_ int fd = -1;
    if (bootcheck_open_in_root(root_fd, rel, &fd) == 0)
        return true;
    snprintf(rel, sizeof(rel), "lib/modules/%s/kernel", version);
    return bootcheck_open_in_root(root_fd, rel, &fd) == 0;
}

int nfsroot_bootcheck_kernel(const nfsroot_policy *p, const char *kernel, const nfsroot_plan *plan,
                             nfsroot_findings *f, nfsroot_kernel_info *ret_info)
{
    bootfile bf;
    int r = bootfile_open(&bf, p, "kernel", kernel, plan, f);
    if (r < 0 || bf.fd < 0) {
        bootfile_done(&bf);
        return r;
    }
    _cleanup_free_ uint8_t *buf = malloc(KERNEL_READ_MAX);
    struct stat st;
    if (!buf || fstat(bf.fd, &st) < 0) {
        bootfile_done(&bf);
        return -ENOMEM;
    }
    size_t len = 0;
    while (len < KERNEL_READ_MAX) {
        ssize_t n = pread(bf.fd, buf + len, KERNEL_READ_MAX - len, (off_t)len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    const nfsroot_export *re = bootcheck_root_export(plan);
    nfsroot_kernel_info k;
    r = nfsroot_kernel_identify(buf, len, &k);
    if (r == -ENOEXEC) {
        char hint[64];
        r = nfsroot_findings_add(f, F_ERROR, "kernel-not-a-kernel", kernel,
                                 "kernel '%s' is not a kernel image QEMU can boot (no x86 boot "
                                 "header, arm64/riscv Image magic, EFI PE or ELF header)%s: "
                                 "point <os><kernel> at the guest's vmlinuz",
                                 kernel, not_kernel_hint(buf, len, hint, sizeof(hint)));
    } else if (r < 0) {
        r = nfsroot_findings_add(f, F_ERROR, "kernel-truncated", kernel,
                                 "kernel '%s' has a truncated or inconsistent header: reinstall "
                                 "the guest's kernel package",
                                 kernel);
    } else if (k.min_size > (uint64_t)st.st_size) {
        r = nfsroot_findings_add(f, F_ERROR, "kernel-truncated", kernel,
                                 "kernel '%s' is %jd bytes but its header says it holds %ju: the "
                                 "file is truncated, reinstall the guest's kernel package",
                                 kernel, (intmax_t)st.st_size, (uintmax_t)k.min_size);
    } else {
        char proto[64] = "";
        if (k.boot_protocol)
            snprintf(proto, sizeof(proto), ", boot protocol %u.%02u", k.boot_protocol >> 8,
                     k.boot_protocol & 0xff);
        r = nfsroot_findings_add(f, F_INFO, "kernel-identified", kernel,
                                 "kernel '%s' is an %s (%s%s)%s%s", kernel, k.format,
                                 k.arch[0] ? k.arch : "unknown architecture", proto,
                                 k.version[0] ? ", version " : "", k.version);
        if (r >= 0 && k.version[0] && re && !guest_has_modules(re->path, k.version))
            r = nfsroot_findings_add(f, F_WARN, "kernel-modules-missing", kernel,
                                     "the guest has no /lib/modules/%s for kernel '%s': install "
                                     "the matching kernel package in the guest, or its modules "
                                     "will not load after the switch to the NFS root",
                                     k.version, kernel);
        if (r >= 0 && ret_info)
            *ret_info = k;
    }
    bootfile_done(&bf);
    return r;
}
