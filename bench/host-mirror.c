/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's apt mirror as create takes it (nfsroot_host_apt_mirror): part 2t's debootstrap
 * fetches from the same mirror, not a fixed host name. Prints it, or nothing. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include <virt-nfsroot/virt-nfsroot-private.h>
#include <virt-nfsroot/virt-nfsroot.h>

int main(void)
{
    char *m = NULL;
    if (nfsroot_host_apt_mirror(AT_FDCWD, &m) < 0 || !m)
        return 1;
    printf("%s\n", m);
    free(m);
    return 0;
}
