/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the fstab parser (input is not NUL-terminated on purpose). */
#include <stdint.h>
#include <string.h>

#include "bootcheck-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nfsroot_fstab_entry e;
    if (nfsroot_fstab_find_root((const char *)data, size, &e) == 0) {
        /* Whatever was found must be terminated strings within their buffers. */
        if (strnlen(e.spec, sizeof(e.spec)) == sizeof(e.spec) ||
            strnlen(e.options, sizeof(e.options)) == sizeof(e.options) || strcmp(e.file, "/") != 0)
            __builtin_trap();
    }
    return 0;
}
