/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text NFS-Ganesha reads: one EXPORT block per export and the index file of %includes.
 * Pure: no files, no bus; tests/unit/ganesha-config.c holds it against golden files. */
#include "backend/ganesha/ganesha.h"

/* Ganesha's config strings have no escapes: refuse what would end or break one. */
static bool ganesha_string_ok(const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f || *c == '"' || *c == '\\')
            return false;
    return true;
}

static bool client_ok(const char *s)
{
    if (!*s)
        return false;
    for (const char *c = s; *c; c++)
        if (!strchr("0123456789abcdefABCDEF.:/", *c))
            return false;
    return true;
}

int ganesha_export_file_name(const char *uuid, uint16_t id, char *buf, size_t len)
{
    if (snprintf(buf, len, "virt-nfsroot-%s-%u.conf", uuid, id) >= (int)len)
        return -ENAMETOOLONG;
    return 0;
}

/* The value of name=... in a comma-separated option list, or NULL. */
static const char *option_value(char *const *opts, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; opts && opts[i]; i++)
        if (strncmp(opts[i], name, n) == 0 && opts[i][n] == '=')
            return opts[i] + n + 1;
    return NULL;
}

static bool uint_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 10)
        return false;
    for (const char *c = s; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    return true;
}

/* exports(5) sec=sys:krb5p → "sys, krb5p"; only flavours ganesha knows. */
static int sec_types(const char *sec, char *buf, size_t len)
{
    if (!sec) {
        snprintf(buf, len, "sys");
        return 0;
    }
    _cleanup_strv_free_ char **v = strv_split(sec, ":");
    if (!v)
        return -ENOMEM;
    static const char *const known[] = { "sys", "krb5", "krb5i", "krb5p", "none" };
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; v[i]; i++) {
        bool ok = false;
        for (size_t k = 0; k < ELEMENTSOF(known); k++)
            ok = ok || strcmp(v[i], known[k]) == 0;
        if (!ok)
            return -EINVAL;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", v[i]);
        if (w < 0 || (size_t)w >= len - used)
            return -ENAMETOOLONG;
        used += (size_t)w;
    }
    return used ? 0 : -EINVAL;
}

/* What ganesha's config cannot hold or would read differently: refused, never written. */
static int check_strings(const nfsroot_plan *plan, const nfsroot_export *e, nfsroot_error *err)
{
    if (!ganesha_string_ok(e->path))
        return nfsroot_err(err, -EINVAL, plan->domain, "export path", NULL, 0,
                           "export path '%s' contains a quote, backslash or control character "
                           "that NFS-Ganesha's configuration cannot hold; rename the directory",
                           e->path);
    if (!e->clients || !e->clients[0])
        return nfsroot_err(err, -EINVAL, plan->domain, "clients", NULL, 0,
                           "export '%s' has no clients", e->path);
    for (size_t i = 0; e->clients[i]; i++)
        if (!client_ok(e->clients[i]))
            return nfsroot_err(err, -EINVAL, plan->domain, "clients", NULL, 0,
                               "client '%s' of export '%s' is not an address or subnet that "
                               "NFS-Ganesha accepts",
                               e->clients[i], e->path);

    return 0;
}

int ganesha_format_export(const nfsroot_policy *p, const nfsroot_plan *plan,
                          const nfsroot_export *e, uint16_t id, char **ret, nfsroot_error *err)
{
    return ganesha_format_export_fsal(p, plan, e, id, e->path, "Name = VFS;", ret, err);
}

int ganesha_format_export_fsal(const nfsroot_policy *p, const nfsroot_plan *plan,
                               const nfsroot_export *e, uint16_t id, const char *fsal_path,
                               const char *fsal, char **ret, nfsroot_error *err)
{
    int r = check_strings(plan, e, err);
    if (r < 0)
        return r;
    _cleanup_strv_free_ char **opts = strv_split(e->options ? e->options : "", ",");
    if (!opts)
        return -ENOMEM;
    bool ro = e->readonly || strv_contains(opts, "ro");
    const char *squash = strv_contains(opts, "all_squash")       ? "All_Squash"
                         : strv_contains(opts, "no_root_squash") ? "No_Root_Squash"
                                                                 : "Root_Squash";
    /* exports(5) defaults to "secure" (privileged source port) unless "insecure" is given. */
    bool privileged = !strv_contains(opts, "insecure");
    char sec[64];
    if (sec_types(option_value(opts, "sec"), sec, sizeof(sec)) < 0)
        return nfsroot_err(err, -EINVAL, plan->domain, "options", NULL, 0,
                           "option 'sec=%s' of export '%s' names a flavour NFS-Ganesha does not "
                           "know (use sys, krb5, krb5i, krb5p)",
                           option_value(opts, "sec"), e->path);
    const char *anonuid = option_value(opts, "anonuid");
    const char *anongid = option_value(opts, "anongid");
    if ((anonuid && !uint_ok(anonuid)) || (anongid && !uint_ok(anongid)))
        return nfsroot_err(err, -EINVAL, plan->domain, "options", NULL, 0,
                           "options '%s' of export '%s': anonuid/anongid must be numbers",
                           e->options, e->path);
    _cleanup_free_ char *clients = strv_join(e->clients, ", ");
    if (!clients)
        return -ENOMEM;

    bool domain_ok = plan->domain && ganesha_string_ok(plan->domain);
    char *out = NULL;
    int n = asprintf(&out,
                     "# Written by virt-nfsroot for domain '%s' (%s); do not edit: it is\n"
                     "# replaced when the domain starts and deleted when it stops.\n"
                     "EXPORT {\n"
                     "    Export_Id = %u;\n"
                     "    Path = \"%s\";\n"
                     "    Pseudo = \"%s\";\n"
                     "    Access_Type = None;\n"
                     "    Squash = %s;\n"
                     "    Protocols = %s;\n"
                     "    Transports = TCP;\n"
                     "    SecType = %s;\n"
                     "    PrivilegedPort = %s;\n"
                     "%s%s%s%s%s%s"
                     "    FSAL { %s }\n"
                     "    CLIENT {\n"
                     "        Clients = %s;\n"
                     "        Access_Type = %s;\n"
                     "    }\n"
                     "}\n",
                     domain_ok ? plan->domain : "?", plan->uuid, id, fsal_path, e->path, squash,
                     p->ganesha_nfsv3 ? "3, 4" : "4", sec, privileged ? "true" : "false",
                     anonuid ? "    Anonymous_Uid = " : "", anonuid ? anonuid : "",
                     anonuid ? ";\n" : "", anongid ? "    Anonymous_Gid = " : "",
                     anongid ? anongid : "", anongid ? ";\n" : "", fsal, clients, ro ? "RO" : "RW");
    if (n < 0)
        return -ENOMEM;
    *ret = out;
    return 0;
}

int ganesha_format_index(const char *dir, const id_list *ours, char **ret)
{
    size_t len = 0;
    FILE *f = open_memstream(ret, &len);
    if (!f)
        return -ENOMEM;
    fprintf(f, "# Written by virt-nfsroot: the exports of running domains.\n"
               "# Include this file from ganesha.conf; do not edit.\n");
    for (size_t i = 0; i < ours->n; i++) {
        char name[128];
        if (ganesha_export_file_name(ours->v[i].uuid, ours->v[i].id, name, sizeof(name)) == 0)
            fprintf(f, "%%include \"%s/%s\"\n", dir, name);
    }
    if (fclose(f) != 0) {
        free(*ret);
        *ret = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* ---- Reading ganesha.conf: what the backend and its guests depend on ---------------------- */

/* One token of ganesha's config syntax: a word, a quoted string, or one of "{}=;,". Comments
 * run from '#' to the end of the line. Returns the next position; *ret_len 0 at the end. */
static const char *conf_token(const char *s, const char **ret, size_t *ret_len)
{
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        if (*s != '#')
            break;
        s += strcspn(s, "\n");
    }
    *ret = s;
    if (!*s)
        *ret_len = 0;
    else if (strchr("{}=;,", *s))
        *ret_len = 1;
    else if (*s == '"') {
        const char *end = strchr(s + 1, '"');
        *ret_len = end ? (size_t)(end - s) + 1 : strlen(s);
    } else
        *ret_len = strcspn(s, " \t\r\n{}=;,#\"");
    return s + *ret_len;
}

static bool word_is(const char *w, size_t len, const char *name)
{
    return len == strlen(name) && !strncasecmp(w, name, len);
}

/* Ganesha's booleans: true/false, yes/no, on/off, 1/0 (any case); -1 for anything else. */
static int conf_bool(const char *w, size_t len)
{
    static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no",
                                                                                   "off", "0" };
    for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
        if (word_is(w, len, yes[i]))
            return 1;
        if (word_is(w, len, no[i]))
            return 0;
    }
    return -1;
}

#define CONF_MAX_DEPTH 16

/* "3", "NFS4", "v4", "NFSv3"... → NFSROOT_NFS_V3/V4; 0 for 9P and anything else. */
static unsigned conf_protocol(const char *w, size_t len)
{
    static const char *const v3[] = { "3", "NFS3", "V3", "NFSv3" }, *const v4[] = { "4", "NFS4",
                                                                                    "V4", "NFSv4" };
    for (size_t i = 0; i < ELEMENTSOF(v3); i++) {
        if (word_is(w, len, v3[i]))
            return NFSROOT_NFS_V3;
        if (word_is(w, len, v4[i]))
            return NFSROOT_NFS_V4;
    }
    return 0;
}

/* One value of "key = v1, v2;" at the top level of block: into c. first: v1 (a list restarts). */
static void conf_value(ganesha_conf *c, const char *block, size_t block_len, const char *key,
                       size_t key_len, const char *v, size_t len, bool first)
{
    if (word_is(block, block_len, "NFSv4")) {
        if (first && word_is(key, key_len, "Graceless"))
            c->graceless = conf_bool(v, len);
        else if (first && word_is(key, key_len, "Only_Numeric_Owners"))
            c->numeric_owners = conf_bool(v, len);
        else if (word_is(key, key_len, "Minor_Versions")) {
            if (first)
                c->minor_versions = 0;
            if (len == 1 && *v >= '0' && *v <= '2')
                c->minor_versions |= 1 << (*v - '0');
        }
    } else if (!word_is(block, block_len, "NFS_CORE_PARAM"))
        return;
    else if (first && word_is(key, key_len, "Enable_RQUOTA"))
        c->rquota = conf_bool(v, len);
    else if (word_is(key, key_len, "Protocols") || word_is(key, key_len, "NFS_Protocols")) {
        if (first)
            c->protocols = 0;
        c->protocols |= (int)conf_protocol(v, len);
    }
}

/* "%include PATH" at the top level: the index, or one more file to read. */
static int conf_include(ganesha_conf *c, const char *index, const char *t, size_t n)
{
    if (n >= 2 && t[0] == '"')
        t++, n -= 2;
    if (index && strlen(index) == n && !strncmp(t, index, n)) {
        c->includes_index = true;
        return 0;
    }
    if (strv_length(c->includes) >= GANESHA_CONF_INCLUDES)
        return 0;
    _cleanup_free_ char *path = strndup(t, n);
    return path ? strv_push(&c->includes, path) : -ENOMEM;
}

int ganesha_config_read(const char *text, const char *index, ganesha_conf *c)
{
    const char *block = "", *key = "", *prev = "";
    size_t block_len = 0, key_len = 0, prev_len = 0, values = 0;
    int depth = 0;
    bool in_value = false, include = false;
    for (const char *s = text;;) {
        const char *t;
        size_t n;
        s = conf_token(s, &t, &n);
        if (n == 0)
            return 0;
        if (include) {
            include = false;
            int r = conf_include(c, index, t, n);
            if (r < 0)
                return r;
        } else if (*t == '{') {
            if (depth == 0)
                block = prev, block_len = prev_len;
            if (++depth > CONF_MAX_DEPTH)
                return 0;
            in_value = false;
        } else if (*t == '}' || *t == ';') {
            if (*t == '}' && depth > 0 && --depth == 0)
                block = "", block_len = 0;
            in_value = false;
        } else if (*t == '=') {
            in_value = depth == 1;
            key = prev, key_len = prev_len, values = 0;
        } else if (in_value && *t != ',')
            conf_value(c, block, block_len, key, key_len, t, n, values++ == 0);
        else if (depth == 0 && word_is(t, n, "%include"))
            include = true;
        prev = t, prev_len = n;
    }
}

void ganesha_conf_done(ganesha_conf *c)
{
    strv_free(c->includes);
    c->includes = NULL;
}
