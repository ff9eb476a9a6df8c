/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: client address parsing. Invariants: a parsed CIDR formats to a string that
 * parses back to the same value, and contains itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virt-nfsroot/virt-nfsroot-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[128];
    if (size >= sizeof(s))
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    nfsroot_cidr c, back;
    if (nfsroot_cidr_parse(s, &c) != 0)
        return 0;
    char buf[64];
    nfsroot_cidr_format(&c, buf, sizeof(buf));
    if (nfsroot_cidr_parse(buf, &back) != 0 || back.family != c.family || back.prefix != c.prefix ||
        memcmp(back.addr, c.addr, sizeof(c.addr)) != 0 || !nfsroot_cidr_contains(&c, &back))
        __builtin_trap();
    return 0;
}
