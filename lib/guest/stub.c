/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placeholder for the guest-tree API while it is being written: every call says -ENOSYS. */
#include "internal.h"

int nfsroot_guest_profile_detect(const char *root, nfsroot_guest_profile **ret, nfsroot_error *err)
{
    (void)root, (void)ret;
    return nfsroot_err(err, -ENOSYS, NULL, "guest", NULL, 0, "not implemented yet");
}

int nfsroot_guest_profile_new(const char *id, const char *release, nfsroot_guest_profile **ret,
                              nfsroot_error *err)
{
    (void)id, (void)release, (void)ret;
    return nfsroot_err(err, -ENOSYS, NULL, "guest", NULL, 0, "not implemented yet");
}

void nfsroot_guest_profile_free(nfsroot_guest_profile *p)
{
    (void)p;
}

const char *nfsroot_guest_profile_name(const nfsroot_guest_profile *p)
{
    (void)p;
    return "";
}

const char *nfsroot_guest_profile_release(const nfsroot_guest_profile *p)
{
    (void)p;
    return "";
}

const char *nfsroot_guest_profile_osinfo(const nfsroot_guest_profile *p)
{
    (void)p;
    return NULL;
}

const char *const *nfsroot_guest_profile_packages(const nfsroot_guest_profile *p)
{
    static const char *const none[] = { NULL };
    (void)p;
    return none;
}

int nfsroot_guest_config_new(nfsroot_guest_config **ret)
{
    (void)ret;
    return -ENOSYS;
}

void nfsroot_guest_config_free(nfsroot_guest_config *c)
{
    (void)c;
}

int nfsroot_guest_config_set(nfsroot_guest_config *c, nfsroot_guest_key key, const char *value)
{
    (void)c, (void)key, (void)value;
    return -ENOSYS;
}

int nfsroot_guest_missing(const char *root, const nfsroot_guest_profile *p, char **ret,
                          nfsroot_error *err)
{
    (void)root, (void)p, (void)ret;
    return nfsroot_err(err, -ENOSYS, NULL, "guest", NULL, 0, "not implemented yet");
}

int nfsroot_guest_dracut_conf(const nfsroot_guest_profile *p, char **ret)
{
    (void)p, (void)ret;
    return -ENOSYS;
}

int nfsroot_guest_cmdline(const nfsroot_guest_profile *p, const nfsroot_guest_config *c, char **ret,
                          nfsroot_error *err)
{
    (void)p, (void)c, (void)ret;
    return nfsroot_err(err, -ENOSYS, NULL, "guest", NULL, 0, "not implemented yet");
}

int nfsroot_guest_configure(const char *root, const nfsroot_guest_profile *p,
                            const nfsroot_guest_config *c, nfsroot_findings *notes,
                            char **ret_cmdline, nfsroot_error *err)
{
    (void)root, (void)p, (void)c, (void)notes, (void)ret_cmdline;
    return nfsroot_err(err, -ENOSYS, NULL, "guest", NULL, 0, "not implemented yet");
}

int nfsroot_guest_unpack(const char *archive, const char *target, const nfsroot_guest_config *c,
                         nfsroot_guest_progress_fn fn, void *userdata, nfsroot_error *err)
{
    (void)archive, (void)target, (void)c, (void)fn, (void)userdata;
    return nfsroot_err(err, -ENOSYS, NULL, "guest", NULL, 0, "not implemented yet");
}
