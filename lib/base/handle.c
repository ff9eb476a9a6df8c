/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the NFS servers put into a guest's file handles to name its export: the kernel's fsid,
 * ganesha's Export_Id. Both are derived here from what every host knows alike (the export path,
 * the domain's UUID), never from what one host happens to hold, so a guest migrated to another
 * host sharing the storage keeps working handles without any record passing between the hosts.
 * The hash is FNV-1a 128 over bytes, so it is the same on every architecture; the values are
 * pinned by tests/data/ganesha/handles-*. */
#include "base.h"

/* FNV-1a 128: offset basis 0x6c62272e07bb014262b821756295c58d, prime 2^88 + 0x13b. */
#define FNV128_BASIS_HI UINT64_C(0x6c62272e07bb0142)
#define FNV128_BASIS_LO UINT64_C(0x62b821756295c58d)
#define FNV128_PRIME_LOW 0x13bu

static void fnv128_byte(uint64_t *hi, uint64_t *lo, unsigned char c)
{
    *lo ^= c;
    /* (hi:lo) * (2^88 + 0x13b) mod 2^128, with 64-bit words only (32-bit hosts too). */
    uint64_t t0 = (*lo & UINT32_MAX) * FNV128_PRIME_LOW;
    uint64_t t1 = (*lo >> 32) * FNV128_PRIME_LOW + (t0 >> 32);
    uint64_t new_lo = (t1 << 32) | (t0 & UINT32_MAX);
    uint64_t new_hi = *hi * FNV128_PRIME_LOW + (t1 >> 32) + (*lo << 24);
    *hi = new_hi;
    *lo = new_lo;
}

void nfsroot_handle_key(const char *const *parts, size_t n, uint8_t ret[16])
{
    uint64_t hi = FNV128_BASIS_HI, lo = FNV128_BASIS_LO;
    for (size_t i = 0; i < n; i++) {
        /* each part ends in a NUL: ("ab", "c") and ("a", "bc") differ */
        for (const char *c = parts[i]; *c; c++)
            fnv128_byte(&hi, &lo, (unsigned char)*c);
        fnv128_byte(&hi, &lo, 0);
    }
    for (int i = 0; i < 8; i++) {
        ret[i] = (uint8_t)(hi >> (56 - 8 * i));
        ret[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
}

/* Keyed by the path alone, not the domain: a (path, client) that several running domains share
 * read-only is one knfsd export, and the sharers add it with `exportfs -o` in turn, so every
 * sharer must ask for the same fsid or the last one would change the handles under the others.
 * The path is the same on every host that mounts the shared storage at the same place. */
void nfsroot_kernel_fsid(const char *path, char ret[static 37])
{
    const char *parts[] = { "virt-nfsroot kernel fsid", path };
    uint8_t k[16];
    nfsroot_handle_key(parts, ELEMENTSOF(parts), k);
    k[6] = (uint8_t)((k[6] & 0x0f) | 0x80); /* RFC 9562 version 8: a custom UUID */
    k[8] = (uint8_t)((k[8] & 0x3f) | 0x80); /* variant 10 */
    snprintf(ret, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", k[0],
             k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], k[9], k[10], k[11], k[12], k[13],
             k[14], k[15]);
}
