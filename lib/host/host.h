/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* host/: what this host and its export roots hold, read through base/'s one opener: a host's
 * files beneath a root and the host's apt mirror (host.c), whether KVM runs guests (kvm.c),
 * export paths resolved and verified (paths.c), the host's NFSv4 domain through libnfsidmap
 * (idmap.c, idmap.h), the registry in each export root with this host's id and the Export_Ids
 * (registry.c, registry.h). It may include base/ and formats/; the backends, the boot check, guest/
 * and core/ call it, never the other way. Not installed. */
#ifndef NFSROOT_HOST_H
#define NFSROOT_HOST_H

#include "formats.h"

/* paths.c: the resolved path is still a directory reached without symbolic links. */
int nfsroot_path_verify(const char *resolved, nfsroot_error *err);

#endif
