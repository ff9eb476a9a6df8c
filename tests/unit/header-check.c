/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public header alone, as a program outside this tree includes it: nothing else before it,
 * strict C99 and C11 (tests/unit/CMakeLists.txt compiles this with -pedantic-errors). */
#include "virt-nfsroot/virt-nfsroot.h"

int main(void)
{
    nfsroot_error err = NFSROOT_ERROR_INIT; /* must stay warning-free under -Wextra */
    nfsroot_error_clear(&err);
    /* The types that grow are opaque: a caller holds pointers and asks the getters. */
    const nfsroot_domain *d = 0;
    const nfsroot_plan *plan = 0;
    const nfsroot_findings *f = 0;
    (void)d, (void)plan;
    int ok =
        nfsroot_version() && err.version == NFSROOT_ERROR_VERSION && nfsroot_findings_get_n(f) == 0;
    return ok ? 0 : 1;
}
