/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public header alone, as a program outside this tree includes it: nothing else before it,
 * strict C99 and C11 (tests/unit/CMakeLists.txt compiles this with -pedantic-errors). */
#include "virt-nfsroot/virt-nfsroot.h"

int main(void)
{
    nfsroot_error err = NFSROOT_ERROR_INIT; /* must stay warning-free under -Wextra */
    nfsroot_error_clear(&err);
    return nfsroot_version() && err.version == NFSROOT_ERROR_VERSION ? 0 : 1;
}
