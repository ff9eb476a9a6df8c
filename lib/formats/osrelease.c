/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* os-release(5): the one parser, shared by the guest profiles and the boot check. */
#include <ctype.h>
#include <stdbool.h>

#include "formats.h"
#include "osrelease.h"

/* Unquote v[0..n) into out (capped): 'single' literal, "double" with \" \\ \$ \` escapes, or a
 * bare word with backslash escapes. */
static void unquote(const char *v, size_t n, char *out, size_t len)
{
    size_t o = 0;
    char q = 0;
    if (n && (v[0] == '"' || v[0] == '\'')) {
        q = v[0];
        v++, n--;
    }
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (q && c == q)
            break;
        if (c == '\\' && q != '\'' && i + 1 < n)
            c = v[++i];
        if (o + 1 < len)
            out[o++] = c;
    }
    if (len)
        out[o] = '\0';
}

static void assign(nfsroot_os_release *o, const char *k, size_t kn, const char *v, size_t vn)
{
    static const struct {
        const char *key;
        size_t off, len;
    } fields[] = {
        { "ID", offsetof(nfsroot_os_release, id), sizeof(o->id) },
        { "ID_LIKE", offsetof(nfsroot_os_release, id_like), sizeof(o->id_like) },
        { "VERSION_ID", offsetof(nfsroot_os_release, version_id), sizeof(o->version_id) },
        { "VERSION_CODENAME", offsetof(nfsroot_os_release, codename), sizeof(o->codename) },
        { "PRETTY_NAME", offsetof(nfsroot_os_release, pretty_name), sizeof(o->pretty_name) },
    };
    for (size_t i = 0; i < ELEMENTSOF(fields); i++)
        if (strlen(fields[i].key) == kn && memcmp(fields[i].key, k, kn) == 0)
            unquote(v, vn, (char *)o + fields[i].off, fields[i].len);
}

int nfsroot_os_release_parse(const char *text, size_t len, nfsroot_os_release *ret)
{
    nfsroot_os_release o = { 0 };
    const char *end = text + len;
    for (const char *l = text; l && l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        const char *le = nl ? nl : end;
        while (l < le && isspace((unsigned char)*l))
            l++;
        const char *eq = memchr(l, '=', (size_t)(le - l));
        if (l < le && *l != '#' && eq && eq > l) {
            const char *ve = le;
            while (ve > eq + 1 && isspace((unsigned char)ve[-1]))
                ve--;
            assign(&o, l, (size_t)(eq - l), eq + 1, (size_t)(ve - eq - 1));
        }
        l = nl ? nl + 1 : NULL;
    }
    /* IDs are lower case by the spec; a tree that disagrees still means the same. */
    for (char *c = o.id; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    for (char *c = o.id_like; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    *ret = o;
    return 0;
}
