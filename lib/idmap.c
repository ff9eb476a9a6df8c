/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnfsidmap through dlopen() (idmap.h says why). */
#include <dlfcn.h>

#include "idmap.h"

/* libnfsidmap logs through syslog by default; the library never prints or logs on its own. */
static void quiet_logger(const char *fmt, ...)
{
    (void)fmt;
}

int nfsroot_idmap_open(nfsroot_idmap *api, char *why, size_t why_len)
{
    *api = (nfsroot_idmap){ 0 };
    const nfsroot_dlsym syms[] = {
        { "nfs4_init_name_mapping", (void **)&api->init_name_mapping },
        { "nfs4_get_default_domain", (void **)&api->get_default_domain },
        { "nfs4_set_debug", (void **)&api->set_debug },
        { "nfs4_name_to_uid", (void **)&api->name_to_uid },
        { "nfs4_name_to_gid", (void **)&api->name_to_gid },
    };
    /* RTLD_GLOBAL: its translation plugins (nsswitch.so, static.so, ...) are dlopen()ed by it
     * and find its symbols (idmap_verbosity, nfs4_get_default_domain...) in the global scope. */
    int r = nfsroot_dlopen_flags(NFSROOT_LIBNFSIDMAP_SONAME, RTLD_NOW | RTLD_GLOBAL, syms,
                                 ELEMENTSOF(syms), &api->handle, why, why_len);
    if (r < 0)
        return r;
    api->set_debug(0, quiet_logger);
    return 0;
}

void nfsroot_idmap_close(nfsroot_idmap *api)
{
    if (api->handle)
        dlclose(api->handle);
    *api = (nfsroot_idmap){ 0 };
}

int nfsroot_host_nfs4_domain(const char *conf, char *ret, size_t len, char *why, size_t why_len)
{
    char path[4096], reason[512] = "";
    snprintf(path, sizeof(path), "%s", conf);
    _cleanup_(nfsroot_idmap_close) nfsroot_idmap api = { 0 };
    int r = nfsroot_idmap_open(&api, reason, sizeof(reason));
    if (r == 0 && (r = api.init_name_mapping(path)) != 0)
        snprintf(reason, sizeof(reason), "libnfsidmap cannot read '%s' (error %d)", conf, r);
    else if (r == 0 && (r = api.get_default_domain(NULL, ret, len)) != 0)
        snprintf(reason, sizeof(reason), "libnfsidmap finds no domain (error %d)", r);
    else if (r == 0 && !ret[0])
        snprintf(reason, sizeof(reason), "libnfsidmap settles on an empty domain");
    else if (r == 0)
        return 0;
    if (why)
        snprintf(why, why_len, "%s", reason);
    return -ENOENT;
}
