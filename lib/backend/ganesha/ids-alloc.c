/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export ids from the export root's registry (lib/core/claim.c), apart from ids.c so that the
 * derivation and the id table build without the registry (tests/unit's ganesha-config). */
#include "backend/ganesha/ganesha.h"
#include "registry.h"

/* Every host asks the registry in the export root, in the same order, for the ids derived above:
 * the first one it gives the export, else the first free one (taken when allocate). Ids an
 * earlier export of the plan got are left out, as above. */
int id_allocate_plan(const nfsroot_policy *p, const nfsroot_plan *plan, bool allocate,
                     uint16_t *ret, nfsroot_error *err)
{
    for (size_t i = 0; i < plan->n_exports; i++) {
        uint16_t cand[ID_DERIVE_ATTEMPTS];
        size_t n = 0;
        for (unsigned a = 0; a < ID_DERIVE_ATTEMPTS; a++) {
            uint16_t c = id_derive_one(p, plan->uuid, plan->exports[i].path, a);
            bool dup = false;
            for (size_t j = 0; j < i && !dup; j++)
                dup = ret[j] == c;
            for (size_t j = 0; j < n && !dup; j++)
                dup = cand[j] == c;
            if (!dup)
                cand[n++] = c;
        }
        int r = n ? nfsroot_registry_export_id(p, plan->uuid, plan->exports[i].path, cand, n,
                                               allocate, &ret[i], err)
                  : -ENOSPC;
        if (r == -ENOSPC && !n)
            return id_derive_plan(p, plan, ret, err); /* names the range too narrow */
        if (r < 0) {
            if (err && !err->domain[0])
                snprintf(err->domain, sizeof(err->domain), "%s", plan->domain);
            return r;
        }
    }
    return 0;
}
