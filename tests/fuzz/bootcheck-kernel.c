/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the kernel header reader (bzImage, arm64/riscv Image, PE/zboot, ELF). */
#include <stdint.h>
#include <string.h>

#include "bootcheck-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nfsroot_kernel_info k;
    if (nfsroot_kernel_identify(data, size, &k) == 0) {
        if (strnlen(k.version, sizeof(k.version)) == sizeof(k.version) ||
            strnlen(k.format, sizeof(k.format)) == sizeof(k.format) ||
            strnlen(k.arch, sizeof(k.arch)) == sizeof(k.arch))
            __builtin_trap();
    }
    return 0;
}
