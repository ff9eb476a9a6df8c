#include "backend/backend.h"

const char *nfsroot_backend_kind_to_string(nfsroot_backend_kind kind)
{
    switch (kind) {
    case NFSROOT_BACKEND_KERNEL:
        return "kernel";
    case NFSROOT_BACKEND_GANESHA:
        return "ganesha";
    }
    return "unknown";
}

int nfsroot_backend_kind_from_string(const char *s, nfsroot_backend_kind *ret)
{
    if (strcmp(s, "kernel") == 0)
        *ret = NFSROOT_BACKEND_KERNEL;
    else if (strcmp(s, "ganesha") == 0)
        *ret = NFSROOT_BACKEND_GANESHA;
    else
        return -EINVAL;
    return 0;
}

const nfsroot_backend *nfsroot_backend_get(nfsroot_backend_kind kind)
{
    switch (kind) {
    case NFSROOT_BACKEND_KERNEL:
        return &nfsroot_backend_kernel;
    case NFSROOT_BACKEND_GANESHA:
#ifdef NFSROOT_HAVE_GANESHA
        return &nfsroot_backend_ganesha;
#else
        return NULL;
#endif
    }
    return NULL;
}
