/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Between kernel.c and kernel-etab.c only: the etab reader and its table of paths. */
#ifndef NFSROOT_BACKEND_KERNEL_ETAB_H
#define NFSROOT_BACKEND_KERNEL_ETAB_H

#include "backend/backend.h"

/* At most this many etab entries for one client are looked at. Not only ours: every export on
 * the host to the guest's subnet is one of them, so the bound is the host's, not the guest's
 * handful (about 100 bytes each, 6 MiB at the bound). */
#define MAX_CLIENT_ENTRIES 65536
#define ETAB_BLOCK 65536

/* The paths of one client's etab entries, each once, in a hash table: a read, and the
 * comparison of the reads before and after an exportfs run, stay linear in the entries of that
 * client, however many other exports on the host name it too (each one to the guest's subnet
 * does). A path is found by its whole string; the hash only spreads them over the slots. */
typedef struct {
    char *text; /* the paths, each NUL-terminated, one after the other */
    size_t len, text_cap;
    size_t *at; /* where each path starts in text */
    uint64_t *hash;
    size_t n;
    uint32_t *slot; /* open addressing: 1 + the index of a path, 0 for none; mask + 1 slots */
    size_t mask;
} etab_set;

/* Free *s (NULL is fine); for _cleanup_ and the places that drop one read for the next. */
void etab_set_freep(etab_set **s);
static inline const char *etab_set_path(const etab_set *s, size_t i)
{
    return s->text + s->at[i];
}
/* Does s hold path (whose path hash is h)? s may be NULL. */
bool etab_set_has_hashed(const etab_set *s, const char *path, uint64_t h);
bool etab_set_has(const etab_set *s, const char *path);

/* The paths etab holds for client, as exportfs wrote them; -E2BIG past MAX_CLIENT_ENTRIES. */
int etab_paths(const nfsroot_policy *p, const char *client, etab_set **ret);
/* Is (path, client) in etab? */
int etab_has(const nfsroot_policy *p, const char *path, const char *client, bool *ret);
/* r (from the two above) as the error naming etab, domain and client. */
int etab_error(const nfsroot_policy *p, const char *domain, const char *client, int r,
               nfsroot_error *err);

#endif
