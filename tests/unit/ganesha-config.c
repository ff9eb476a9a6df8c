/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs one data-driven case of tests/data/ganesha/<case>/ against the ganesha backend's config
 * text (lib/backend/ganesha/config.c), which is pure: no bus, no files.
 *   input     "key = value" lines. kind = export (default): domain, uuid, id, path, clients
 *             (comma-separated), options, readonly (yes/no), nfsv3 (yes/no); kind = index: dir,
 *             and one "record = ID UUID PATH" line per export of ours; kind = handles: uuid,
 *             range (LOW-HIGH, default 20000-29999) and one "export = PATH" line per export of
 *             one domain: the Export_Id each derives (ids.c) and the kernel fsid (handle.c);
 *             kind = nfsv4: "conf = LINE" lines of a ganesha.conf, read as the backend reads it
 *             (config.c): NFSv4 Graceless, Only_Numeric_Owners, Minor_Versions, NFS_CORE_PARAM
 *             Protocols and Enable_RQUOTA, the %include of the index /run/ganesha/virt-nfsroot.d/
 *             virt-nfsroot-index.conf and the other %includes
 *   expected  the text, or "error: <the sentence>"
 * NFSROOT_REGENERATE=1 rewrites expected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/ganesha/ganesha.h"
#include "test.h"

typedef struct input {
    char kind[16], domain[256], uuid[37], path[1100], clients[1100], options[1100], dir[256];
    unsigned id, range_lo, range_hi;
    bool readonly, nfsv3;
    id_list records;
    char **exports;
    char *conf;
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
    else if (!strcmp(k, "range"))
        return sscanf(v, "%u-%u", &in->range_lo, &in->range_hi) == 2 ? 0 : -1;
    else if (!strcmp(k, "export"))
        return strv_push(&in->exports, v);
    else if (!strcmp(k, "conf")) {
        char *joined = NULL;
        if (asprintf(&joined, "%s%s\n", in->conf ? in->conf : "", v) < 0)
            return -1;
        free(in->conf);
        in->conf = joined;
    } else if (!strcmp(k, "record")) {
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

/* "export_id PATH ID" and "fsid PATH UUID" per export, or "error: <the sentence>". */
static char *render_handles(const input *in)
{
    nfsroot_policy p = { .ganesha_export_id_min = (uint16_t)(in->range_lo ? in->range_lo : 20000),
                         .ganesha_export_id_max = (uint16_t)(in->range_hi ? in->range_hi : 29999),
                         .source = (char *)"policy" };
    size_t n = 0;
    while (in->exports && in->exports[n])
        n++;
    nfsroot_export *e = calloc(n + 1, sizeof(*e));
    uint16_t *ids = calloc(n + 1, sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        e[i].path = in->exports[i];
    nfsroot_plan plan = { .domain = (char *)"vm", .exports = e, .n_exports = n };
    snprintf(plan.uuid, sizeof(plan.uuid), "%s", in->uuid);
    nfsroot_error err = { 0 };
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (id_derive_plan(&p, &plan, ids, &err) < 0)
        fprintf(f, "error: %s\n", err.message);
    for (size_t i = 0; i < n && !err.message[0]; i++) {
        char fsid[37];
        nfsroot_kernel_fsid(e[i].path, fsid);
        fprintf(f, "export_id %s %u\nfsid %s %s\n", e[i].path, ids[i], e[i].path, fsid);
    }
    fclose(f);
    free(e);
    free(ids);
    return out;
}

/* Settings as numbers (-1 unset; lists as bit masks: Protocols 8 = v3, 16 = v4). */
static char *render_conf(const input *in)
{
    ganesha_conf c = GANESHA_CONF_INIT;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f || ganesha_config_read(in->conf ? in->conf : "",
                                  "/run/ganesha/virt-nfsroot.d/" GANESHA_INDEX_NAME, &c) < 0) {
        if (f)
            fclose(f);
        free(out);
        ganesha_conf_done(&c);
        return NULL;
    }
    fprintf(f,
            "Graceless %d\nOnly_Numeric_Owners %d\nMinor_Versions %d\nProtocols %d\n"
            "Enable_RQUOTA %d\nincludes_index %s\n",
            c.graceless, c.numeric_owners, c.minor_versions, c.protocols, c.rquota,
            c.includes_index ? "yes" : "no");
    for (size_t i = 0; c.includes && c.includes[i]; i++)
        fprintf(f, "include %s\n", c.includes[i]);
    fclose(f);
    ganesha_conf_done(&c);
    return out;
}

static char *render(const input *in)
{
    char *out = NULL;
    if (!strcmp(in->kind, "handles"))
        return render_handles(in);
    if (!strcmp(in->kind, "nfsv4"))
        return render_conf(in);
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
    strv_free(in.exports);
    free(in.conf);
    if (!got)
        return -EINVAL;
    fputs(got, out);
    return 0;
}

int main(int argc, char **argv)
{
    return test_case_main(argc, argv, run_case);
}
