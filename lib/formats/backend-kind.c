/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend kinds' names: the public enum nfsroot_backend_kind as text, as the policy's
 * `backend =` and the records spell it (record.c reads and writes it). Which kinds this library
 * has built in, and their implementations, is backend/backend.c's registry. */
#include "formats.h"

static const char *const names[] = {
    [NFSROOT_BACKEND_KERNEL] = "kernel",
    [NFSROOT_BACKEND_GANESHA] = "ganesha",
    [NFSROOT_BACKEND_CEPH] = "ceph",
};

const char *nfsroot_backend_kind_to_string(nfsroot_backend_kind kind)
{
    if ((size_t)kind < ELEMENTSOF(names) && names[kind])
        return names[kind];
    return "unknown";
}

int nfsroot_backend_kind_from_string(const char *s, nfsroot_backend_kind *ret)
{
    for (size_t i = 0; i < ELEMENTSOF(names); i++)
        if (names[i] && strcmp(s, names[i]) == 0) {
            *ret = (nfsroot_backend_kind)i;
            return 0;
        }
    return -EINVAL;
}

const char *nfsroot_backend_name(nfsroot_backend_kind kind)
{
    return nfsroot_backend_kind_to_string(kind);
}

size_t nfsroot_backend_count(void)
{
    return ELEMENTSOF(names);
}

void nfsroot_backend_names(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ELEMENTSOF(names) && used < len; i++)
        if (names[i])
            used += (size_t)snprintf(buf + used, len - used, "%s'%s'", used ? ", " : "", names[i]);
}
