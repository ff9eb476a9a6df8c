/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plan's data (plan.h) ends here: freeing one, which whoever holds a plan needs (a record
 * read back carries one), whether it exports a path to a client, one export as an exports(5)
 * line (the kernel backend's files). Making a plan from a domain and a policy is core/plan.c's. */
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

bool nfsroot_plan_has(const nfsroot_plan *plan, const char *path, const char *client)
{
    for (size_t i = 0; plan && i < plan->n_exports; i++)
        if (!strcmp(plan->exports[i].path, path) && strv_contains(plan->exports[i].clients, client))
            return true;
    return false;
}

char *nfsroot_export_format_line(const nfsroot_export *e)
{
    size_t len = strlen(e->path) + 2;
    for (size_t i = 0; e->clients[i]; i++)
        len += strlen(e->clients[i]) + strlen(e->options) + 4;
    char *out = malloc(len);
    if (!out)
        return NULL;
    char *q = stpcpy(out, e->path);
    for (size_t i = 0; e->clients[i]; i++)
        q += sprintf(q, " %s(%s)", e->clients[i], e->options);
    return out;
}
