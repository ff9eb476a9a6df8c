/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs one data-driven case of tests/data/ganesha/<case>/ against the ganesha backend's config
 * text (lib/backend/ganesha/config.c), which is pure: no bus, no files.
 *   input     "key = value" lines. kind = export (default): domain, uuid, id, path, clients
 *             (comma-separated), options, readonly (yes/no), nfsv3 (yes/no); kind = index: dir,
 *             and one "record = ID UUID PATH" line per export of ours
 *   expected  the text, or "error: <the sentence>"
 * NFSROOT_REGENERATE=1 rewrites expected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ganesha/ganesha.h"
#include "test.h"

typedef struct input {
    char kind[16], domain[256], uuid[37], path[1100], clients[1100], options[1100], dir[256];
    unsigned id;
    bool readonly, nfsv3;
    id_list records;
} input;

static int parse_line(input *in, const char *k, const char *v)
{
    struct {
        const char *key;
        char *dst;
        size_t len;
    } strs[] = {
        { "kind", in->kind, sizeof(in->kind) },
        { "domain", in->domain, sizeof(in->domain) },
        { "uuid", in->uuid, sizeof(in->uuid) },
        { "path", in->path, sizeof(in->path) },
        { "clients", in->clients, sizeof(in->clients) },
        { "options", in->options, sizeof(in->options) },
        { "dir", in->dir, sizeof(in->dir) },
    };
    for (size_t i = 0; i < ELEMENTSOF(strs); i++)
        if (!strcmp(k, strs[i].key)) {
            snprintf(strs[i].dst, strs[i].len, "%s", v);
            return 0;
        }
    if (!strcmp(k, "id"))
        in->id = (unsigned)strtoul(v, NULL, 10);
    else if (!strcmp(k, "readonly"))
        in->readonly = !strcmp(v, "yes");
    else if (!strcmp(k, "nfsv3"))
        in->nfsv3 = !strcmp(v, "yes");
    else if (!strcmp(k, "record")) {
        char uuid[64], path[1100];
        unsigned id;
        if (sscanf(v, "%u %63s %1099s", &id, uuid, path) != 3)
            return -1;
        return id_list_add(&in->records, (uint16_t)id, uuid, path);
    } else
        return -1;
    return 0;
}

static int parse_input(char *text, input *in)
{
    snprintf(in->kind, sizeof(in->kind), "export");
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strstr(line, " = ");
        if (line[0] == '#')
            continue;
        if (!eq) {
            fprintf(stderr, "bad input line '%s'\n", line);
            return -1;
        }
        *eq = '\0';
        if (parse_line(in, line, eq + 3) < 0) {
            fprintf(stderr, "bad input key '%s'\n", line);
            return -1;
        }
    }
    return 0;
}

static char *render(const input *in)
{
    char *out = NULL;
    if (!strcmp(in->kind, "index"))
        return ganesha_format_index(in->dir, &in->records, &out) < 0 ? NULL : out;
    nfsroot_policy p = { .ganesha_nfsv3 = in->nfsv3 };
    char **clients = strv_split(in->clients, ",");
    nfsroot_export e = { .path = (char *)in->path,
                         .clients = clients,
                         .options = (char *)in->options,
                         .readonly = in->readonly };
    nfsroot_plan plan = { .domain = (char *)in->domain, .exports = &e, .n_exports = 1 };
    snprintf(plan.uuid, sizeof(plan.uuid), "%s", in->uuid);
    nfsroot_error err = { 0 };
    int r = ganesha_format_export(&p, &plan, &e, (uint16_t)in->id, &out, &err);
    strv_free(clients);
    if (r < 0 && asprintf(&out, "error: %s\n", err.message) < 0)
        return NULL;
    return out;
}

static int run_case(const char *dir, FILE *out)
{
    _cleanup_free_ char *text = slurp_in(dir, "input", NULL);
    input in = { 0 };
    _cleanup_free_ char *got = text && parse_input(text, &in) == 0 ? render(&in) : NULL;
    id_list_done(&in.records);
    if (!got)
        return -EINVAL;
    fputs(got, out);
    return 0;
}

int main(int argc, char **argv)
{
    return test_case_main(argc, argv, run_case);
}
