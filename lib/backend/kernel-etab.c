/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel backend's reading of etab (kernel.c runs exportfs, this file reads what it did):
 * one client's exported paths, read in blocks and kept in a hash table, so a read and the
 * comparison of two reads stay linear in that client's entries however many the host has. */
#include <fcntl.h>

#include "backend/kernel-etab.h"

static void etab_set_free(etab_set *s)
{
    if (!s)
        return;
    free(s->text);
    free(s->at);
    free(s->hash);
    free(s->slot);
    free(s);
}

void etab_set_freep(etab_set **s)
{
    etab_set_free(*s);
}

/* Eight bytes at a time (a byte at a time was most of a read's cost), then murmur3's finaliser,
 * so the low bits the slots use depend on every byte. */
static uint64_t path_hash(const char *path, size_t len)
{
    uint64_t h = len * 0x9e3779b97f4a7c15ULL, w;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, path + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, path + i, len - i);
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

/* The slot holding path (hash h), or the empty one where it would go. At most half the slots
 * are taken, so there is always an empty one. */
static uint32_t *etab_set_slot(const etab_set *s, const char *path, uint64_t h)
{
    for (size_t i = h & s->mask;; i = (i + 1) & s->mask) {
        uint32_t k = s->slot[i];
        if (k == 0 || (s->hash[k - 1] == h && !strcmp(etab_set_path(s, k - 1), path)))
            return &s->slot[i];
    }
}

bool etab_set_has_hashed(const etab_set *s, const char *path, uint64_t h)
{
    return s && s->n > 0 && *etab_set_slot(s, path, h) != 0;
}

bool etab_set_has(const etab_set *s, const char *path)
{
    return etab_set_has_hashed(s, path, path_hash(path, strlen(path)));
}

/* Twice the slots (64 at first), the paths' indexes put in again. */
static int etab_set_grow(etab_set *s)
{
    size_t slots = s->slot ? (s->mask + 1) * 2 : 64;
    size_t *at = reallocarray(s->at, slots / 2, sizeof(*at));
    if (!at)
        return -ENOMEM;
    s->at = at;
    uint64_t *hash = reallocarray(s->hash, slots / 2, sizeof(*hash));
    if (!hash)
        return -ENOMEM;
    s->hash = hash;
    uint32_t *slot = calloc(slots, sizeof(*slot));
    if (!slot)
        return -ENOMEM;
    free(s->slot);
    s->slot = slot;
    s->mask = slots - 1;
    for (size_t k = 0; k < s->n; k++) {
        size_t i = s->hash[k] & s->mask;
        while (s->slot[i])
            i = (i + 1) & s->mask;
        s->slot[i] = (uint32_t)(k + 1);
    }
    return 0;
}

/* Add the len bytes at path (no NUL needed), unless s holds that path already; -E2BIG for a
 * path more than MAX_CLIENT_ENTRIES. */
static int etab_set_add(etab_set *s, const char *path, size_t len)
{
    if (s->len + len + 1 > s->text_cap) {
        size_t cap = s->text_cap ? s->text_cap : 4096;
        while (cap < s->len + len + 1)
            cap *= 2;
        char *text = realloc(s->text, cap);
        if (!text)
            return -ENOMEM;
        s->text = text;
        s->text_cap = cap;
    }
    char *copy = s->text + s->len;
    memcpy(copy, path, len);
    copy[len] = '\0';
    uint64_t h = path_hash(copy, len);
    if (etab_set_has_hashed(s, copy, h))
        return 0;
    if (s->n >= MAX_CLIENT_ENTRIES)
        return -E2BIG;
    if (s->n == (s->slot ? (s->mask + 1) / 2 : 0) && etab_set_grow(s) < 0)
        return -ENOMEM;
    s->at[s->n] = s->len;
    s->hash[s->n] = h;
    s->len += len + 1;
    *etab_set_slot(s, copy, h) = (uint32_t)++s->n;
    return 0;
}

/* One etab line (without its newline): its path is added when its client is `client`. */
static int etab_line(const char *line, size_t len, const char *client, size_t clen, etab_set *out)
{
    const char *tab = memchr(line, '\t', len);
    if (!tab || (size_t)(line + len - tab) < clen + 2 || memcmp(tab + 1, client, clen) != 0 ||
        tab[1 + clen] != '(')
        return 0;
    return etab_set_add(out, line, (size_t)(tab - line));
}

/* The paths etab holds for client, as exportfs wrote them. etab lines are
 * "path<TAB>client(options)". Every exportfs run rewrites etab with each path it reads passed
 * through realpath() (nfs-utils' getexportent), so a path holding a symbolic link at that moment
 * is there under the link's target: etab, not the path we asked for, says what is exported.
 * etab grows with every export on the host (about 150 bytes each): it is read in 64 KiB blocks
 * and scanned with memchr(), not line by line through stdio. A line longer than the block
 * (nfs-utils writes none: a path is at most PATH_MAX) cannot be ours and is skipped. */
int etab_paths(const nfsroot_policy *p, const char *client, etab_set **ret)
{
    _cleanup_(etab_set_freep) etab_set *out = calloc(1, sizeof(*out));
    if (!out)
        return -ENOMEM;
    _cleanup_close_ int fd = open(p->etab, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 && errno != ENOENT)
        return -errno;
    _cleanup_free_ char *buf = fd >= 0 ? malloc(ETAB_BLOCK) : NULL;
    if (fd >= 0 && !buf)
        return -ENOMEM;
    size_t have = 0, clen = strlen(client);
    bool skipping = false, eof = fd < 0;
    while (!eof) {
        ssize_t got = read(fd, buf + have, ETAB_BLOCK - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -errno;
        eof = got == 0;
        size_t end = have + (size_t)got, start = 0;
        for (char *nl; (nl = memchr(buf + start, '\n', end - start));
             start = (size_t)(nl - buf) + 1) {
            int r = skipping
                        ? 0
                        : etab_line(buf + start, (size_t)(nl - buf) - start, client, clen, out);
            if (r < 0)
                return r;
            skipping = false;
        }
        if (eof && start < end && !skipping) {
            int r = etab_line(buf + start, end - start, client, clen, out);
            if (r < 0)
                return r;
        }
        have = end - start;
        if (have == ETAB_BLOCK) { /* no newline in a whole block: drop it to the next one */
            skipping = true;
            have = 0;
        } else if (start > 0 && have > 0)
            memmove(buf, buf + start, have);
    }
    *ret = TAKE_PTR(out);
    return 0;
}

/* Is (path, client) in etab? */
int etab_has(const nfsroot_policy *p, const char *path, const char *client, bool *ret)
{
    _cleanup_(etab_set_freep) etab_set *paths = NULL;
    int r = etab_paths(p, client, &paths);
    if (r < 0)
        return r;
    *ret = etab_set_has(paths, path);
    return 0;
}

int etab_error(const nfsroot_policy *p, const char *domain, const char *client, int r,
               nfsroot_error *err)
{
    if (r == -E2BIG)
        return nfsroot_err(err, r, domain, "etab", p->etab, 0,
                           "'%s' lists more than %d exports to '%s': not read", p->etab,
                           MAX_CLIENT_ENTRIES, client);
    return nfsroot_err(err, r, domain, "etab", p->etab, 0, "cannot read '%s': %s", p->etab,
                       strerror(-r));
}
