/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Root's password for create: hashed with the system's crypt(3), the clear text wiped. */
#include <dlfcn.h>

#include "guest.h"

#define PASSWORD_MAX 4096

typedef struct crypt_api {
    char *(*crypt_gensalt_ra)(const char *, unsigned long, const char *, int);
    char *(*crypt_ra)(const char *, const char *, void **, int *);
} crypt_api;

static void dlclosep(void **h)
{
    if (*h)
        dlclose(*h);
}

/* crypt(3) with the system's preferred method (yescrypt on Debian), else SHA-512. libcrypt is
 * dlopen()ed here: linking it would load it at every hook run, which never hashes anything.
 * -ENOENT: libcrypt cannot be loaded; -ENOTSUP: neither method hashes. */
static int hash_password(const char *pw, char **ret)
{
    static const char *const prefixes[] = { "$y$", "$6$" };
    crypt_api api = { 0 };
    _cleanup_(dlclosep) void *handle = NULL;
    const nfsroot_dlsym syms[] = { { "crypt_gensalt_ra", (void **)&api.crypt_gensalt_ra },
                                   { "crypt_ra", (void **)&api.crypt_ra } };
    char why[512];
    int r =
        nfsroot_dlopen(NFSROOT_LIBCRYPT_SONAME, syms, ELEMENTSOF(syms), &handle, why, sizeof(why));
    if (r < 0)
        return r;
    for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
        _cleanup_free_ char *salt = api.crypt_gensalt_ra(prefixes[i], 0, NULL, 0);
        if (!salt)
            continue;
        void *data = NULL;
        int size = 0;
        const char *h = api.crypt_ra(pw, salt, &data, &size);
        if (h && h[0] != '*') {
            *ret = strdup(h);
            explicit_bzero(data, (size_t)size);
            free(data);
            return *ret ? 0 : -ENOMEM;
        }
        free(data);
    }
    return -ENOTSUP;
}

/* hash_password() with its failure said: of "root password" or of the file it came from. */
static int hash_or_fail(const char *pw, const char *file, char **ret, nfsroot_error *err)
{
    int r = hash_password(pw, ret);
    if (r >= 0 || r == -ENOMEM)
        return r;
    return nfsroot_err(err, r, NULL, file ? "root password file" : "root password", file, 0,
                       r == -ENOENT ? "libcrypt (" NFSROOT_LIBCRYPT_SONAME
                                      ") cannot be loaded to hash root's password: install "
                                      "libcrypt1"
                                    : "crypt(3) can hash neither with yescrypt nor with SHA-512");
}

int guest_password_hash(const char *clear, const char *file, char **ret, nfsroot_error *err)
{
    if (!file)
        return hash_or_fail(clear, NULL, ret, err);
    _cleanup_free_ char *pw = NULL;
    size_t len = 0;
    int r = read_file_all(file, PASSWORD_MAX, &pw, &len);
    if (r == -EINVAL)
        return nfsroot_err(err, r, NULL, "root password file", file, 0,
                           "the root password file '%s' is not a regular file", file);
    if (r < 0)
        return nfsroot_err(err, r, NULL, "root password file", file, 0,
                           "cannot read the root password file '%s': %s", file, strerror(-r));
    pw[strcspn(pw, "\r\n")] = '\0';
    if (!pw[0])
        r = nfsroot_err(err, -EINVAL, NULL, "root password file", file, 0,
                        "the root password file '%s' has an empty first line", file);
    else
        r = hash_or_fail(pw, file, ret, err);
    explicit_bzero(pw, len);
    return r;
}
