/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placeholder for the guest-tree API while it is being written: every call says -ENOSYS. */
#include "internal.h"

int nfsroot_guest_unpack(const char *archive, const char *target, const nfsroot_guest_config *c,
                         nfsroot_guest_progress_fn fn, void *userdata, nfsroot_error *err)
{
    (void)archive, (void)target, (void)c, (void)fn, (void)userdata;
    return nfsroot_err(err, -ENOSYS, NULL, "guest", NULL, 0, "not implemented yet");
}
