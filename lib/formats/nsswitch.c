/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsswitch.conf(5), as glibc reads it: "database: service [STATUS=action] service", '#' to the
 * end of a line is a comment, the first line of a database counts. The one reader of that
 * format (doctor asks it which services resolve host names). */
#include "formats.h"

#define NSSWITCH_TEXT_MAX (1u << 20)
#define NSSWITCH_SERVICES_MAX 64 /* glibc knows a dozen services */

/* The services of one line's list, [STATUS=action] items (spaces allowed inside) left out. */
static int services_of(char *list, char ***ret)
{
    _cleanup_strv_free_ char **v = calloc(1, sizeof(char *));
    if (!v)
        return -ENOMEM;
    for (char *t = list; *t;) {
        t += strspn(t, " \t");
        size_t n = *t == '[' ? strcspn(t, "]") : strcspn(t, " \t[");
        if (*t == '[')
            n += t[n] == ']';
        else if (n > 0) {
            if (strv_length(v) >= NSSWITCH_SERVICES_MAX)
                return -E2BIG;
            _cleanup_free_ char *s = strndup(t, n);
            if (!s || strv_push(&v, s) < 0)
                return -ENOMEM;
        }
        t += n;
    }
    *ret = TAKE_PTR(v);
    return 0;
}

int nfsroot_nsswitch_services(const char *text, size_t len, const char *database, char ***ret,
                              nfsroot_error *err)
{
    if (len > NSSWITCH_TEXT_MAX)
        return nfsroot_err(err, -EFBIG, NULL, "nsswitch.conf", NULL, 0,
                           "nsswitch.conf is larger than 1 MiB");
    _cleanup_free_ char *copy = strndup(text, len);
    if (!copy)
        return -ENOMEM;
    size_t dl = strlen(database);
    for (char *next = copy; next;) {
        char *l = strsep(&next, "\n");
        l[strcspn(l, "#")] = '\0';
        l = strstrip(l);
        if (strncmp(l, database, dl) || strstrip(l + dl)[0] != ':')
            continue;
        int r = services_of(strchr(l + dl, ':') + 1, ret);
        if (r == -E2BIG)
            return nfsroot_err(err, r, NULL, database, NULL, 0,
                               "the %s line of nsswitch.conf names more than %d services", database,
                               NSSWITCH_SERVICES_MAX);
        return r;
    }
    return nfsroot_err(err, -ENOENT, NULL, database, NULL, 0, "nsswitch.conf has no %s line",
                       database);
}

void nfsroot_strv_free(char **v)
{
    strv_free(v);
}
