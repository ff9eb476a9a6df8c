/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Does KVM run a guest on this host? /dev/kvm can exist, open and make a VM and still run
 * nothing: a nested hypervisor without virtualisation extensions answers KVM_RUN with an
 * internal error (seen on the CI's machines: "KVM internal error. Suberror: 1"), and libvirt,
 * which only looks for the device, then offers type 'kvm' for a guest QEMU cannot start (there,
 * the guest kernel's decompressor stopped at its first BMI2 instruction, shlx, which this
 * host's CPU advertises). So the probe runs, in a one-page flat 32-bit guest, that instruction
 * where the CPU has BMI2, then hlt, and expects KVM to stop at the hlt. Everything it makes is
 * closed before it returns. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "host.h"

#define GUEST_PAGE 0x1000UL

static int fail(char *why, size_t len, int r, const char *what)
{
    if (why && len)
        snprintf(why, len, "%s: %s", what, strerror(-r));
    return r;
}

typedef struct {
    void *p;
    size_t len;
} mapping;

static void unmapp(mapping *m)
{
    if (m->p && m->p != MAP_FAILED)
        munmap(m->p, m->len);
}

#if defined(__x86_64__) || defined(__i386__)
/* At guest address 0x1000, flat 32-bit protected mode: shlx eax, eax, ecx (VEX-encoded; only
 * where the CPU has BMI2, as a guest kernel uses it), then hlt: KVM_EXIT_HLT when KVM runs
 * guests. */
static int run_hlt(int kvm, int vm, char *why, size_t len)
{
    _cleanup_(unmapp) mapping mem = { mmap(NULL, GUEST_PAGE, PROT_READ | PROT_WRITE,
                                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                                      GUEST_PAGE };
    if (mem.p == MAP_FAILED)
        return fail(why, len, -errno, "no memory for a guest page");
    static const unsigned char shlx_hlt[] = { 0xc4, 0xe2, 0x71, 0xf7, 0xc0, 0xf4 };
    __builtin_cpu_init();
    bool bmi2 = __builtin_cpu_supports("bmi2");
    memcpy(mem.p, bmi2 ? shlx_hlt : shlx_hlt + 5, bmi2 ? sizeof(shlx_hlt) : 1);
    struct kvm_userspace_memory_region region = { .slot = 0,
                                                  .guest_phys_addr = GUEST_PAGE,
                                                  .memory_size = GUEST_PAGE,
                                                  .userspace_addr = (unsigned long)mem.p };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return fail(why, len, -errno, "KVM gives a VM no memory");
    _cleanup_close_ int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (cpu < 0)
        return fail(why, len, -errno, "KVM makes no vCPU");
    int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(struct kvm_run))
        return fail(why, len, size < 0 ? -errno : -EIO, "KVM shares no vCPU state");
    _cleanup_(unmapp)
        mapping run = { mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0),
                        (size_t)size };
    if (run.p == MAP_FAILED)
        return fail(why, len, -errno, "KVM shares no vCPU state");
    struct kvm_sregs sregs;
    if (ioctl(cpu, KVM_GET_SREGS, &sregs) < 0)
        return fail(why, len, -errno, "KVM reads no vCPU registers");
    struct kvm_segment flat = { .base = 0,
                                .limit = 0xffffffff,
                                .selector = 8,
                                .type = 11,
                                .present = 1,
                                .db = 1,
                                .s = 1,
                                .g = 1 };
    sregs.cs = flat;
    flat.type = 3; /* data, read-write */
    flat.selector = 16;
    sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = flat;
    sregs.cr0 |= 1; /* PE */
    struct kvm_regs regs = { .rip = GUEST_PAGE, .rflags = 0x2 };
    if (ioctl(cpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(cpu, KVM_SET_REGS, &regs) < 0)
        return fail(why, len, -errno, "KVM sets no vCPU registers");
    if (ioctl(cpu, KVM_RUN, 0) < 0)
        return fail(why, len, -errno, "KVM runs no vCPU");
    const struct kvm_run *r = run.p;
    if (r->exit_reason == KVM_EXIT_HLT)
        return 0;
    if (why && len)
        snprintf(why, len,
                 "KVM makes a VM but runs no guest in it (%s: exit reason %u%s instead of a halt)",
                 bmi2 ? "shlx, then hlt" : "hlt", r->exit_reason,
                 r->exit_reason == KVM_EXIT_INTERNAL_ERROR ? ", an internal error" : "");
    return -ENOTSUP;
}
#else
static int run_hlt(int kvm, int vm, char *why, size_t len)
{
    (void)kvm, (void)vm, (void)why, (void)len;
    return 0; /* making a VM is all this probe checks on other architectures */
}
#endif

int nfsroot_host_kvm_check(int root_fd, char *why, size_t len)
{
    if (why && len)
        why[0] = '\0';
    _cleanup_close_ int kvm = nfsroot_host_open(root_fd, "/dev/kvm", O_RDWR | O_NOCTTY);
    if (kvm == -ENOENT)
        return fail(why, len, kvm, "there is no /dev/kvm");
    if (kvm < 0)
        return fail(why, len, kvm, "/dev/kvm does not open");
    struct stat st;
    if (fstat(kvm, &st) < 0 || !S_ISCHR(st.st_mode))
        return fail(why, len, -ENODEV, "/dev/kvm is not a device");
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
        return fail(why, len, -ENOTSUP, "/dev/kvm does not speak KVM's API");
    _cleanup_close_ int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return fail(why, len, -errno, "/dev/kvm exists but makes no VM");
    return run_hlt(kvm, vm, why, len);
}
