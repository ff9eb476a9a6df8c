/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plan's data (plan.h) ends here: freeing one, which whoever holds a plan needs (a record
 * read back carries one). Making a plan from a domain and the policy is core/plan.c's. */
#include "formats.h"

void nfsroot_plan_free(nfsroot_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->n_exports; i++) {
        free(plan->exports[i].path);
        strv_free(plan->exports[i].clients);
        free(plan->exports[i].options);
    }
    free(plan->exports);
    free(plan->domain);
    free(plan->server);
    free(plan->network);
    free(plan);
}
