/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export options: the exports(5) option syntax, the groups of options that exclude each other,
 * the policy's defaults and allowed list, anonuser/anongroup mapped to ids. */
#include <ctype.h>

#include "idmap.h"
#include "core.h"
#include "options.h"

/* Options that exclude each other: asking for one replaces the other. */
static const char *const groups[][4] = {
    { "rw", "ro", NULL },
    { "sync", "async", NULL },
    { "root_squash", "no_root_squash", NULL },
    { "all_squash", "no_all_squash", NULL },
    { "secure", "insecure", NULL },
    { "wdelay", "no_wdelay", NULL },
    { "subtree_check", "no_subtree_check", NULL },
    { "hide", "nohide", NULL },
    { "crossmnt", "nocrossmnt", NULL },
};

static size_t opt_name_len(const char *o)
{
    return strcspn(o, "=");
}

static bool same_slot(const char *a, const char *b)
{
    size_t na = opt_name_len(a), nb = opt_name_len(b);
    if (na == nb && !strncmp(a, b, na))
        return true;
    for (size_t g = 0; g < ELEMENTSOF(groups); g++) {
        bool ina = false, inb = false;
        for (size_t i = 0; groups[g][i]; i++) {
            ina |= strlen(groups[g][i]) == na && !strncmp(groups[g][i], a, na);
            inb |= strlen(groups[g][i]) == nb && !strncmp(groups[g][i], b, nb);
        }
        if (ina && inb)
            return true;
    }
    return false;
}

static int check_option_syntax(const char *name, const char *field, const char *o,
                               nfsroot_error *err)
{
    if (strlen(o) > NFSROOT_OPTION_MAX)
        return nfsroot_err(err, -E2BIG, name, field, NULL, 0,
                           "option '%.40s...' is %zu characters long; an option may have at "
                           "most %d",
                           o, strlen(o), NFSROOT_OPTION_MAX);
    size_t n = opt_name_len(o);
    bool ok = n > 0;
    for (size_t i = 0; i < n; i++)
        ok &= islower((unsigned char)o[i]) || o[i] == '_';
    if (o[n] == '=') {
        const char *v = o + n + 1;
        ok &= *v != '\0';
        for (; *v; v++)
            ok &= isalnum((unsigned char)*v) || strchr("._:@-", *v) != NULL;
    }
    if (!ok)
        return nfsroot_err(err, -EINVAL, name, field, NULL, 0,
                           "option '%.100s' is not of the form name or name=value (letters, "
                           "digits, '._:@-')",
                           o);
    return 0;
}

/* anonuser=NAME / anongroup=NAME -> anonuid/anongid through the NFSv4 id mapper. */
static int map_anon(const char *name, const char *o, char **ret, nfsroot_error *err)
{
    bool user = !strncmp(o, "anonuser", 8);
    const char *eq = strchr(o, '=');
    if (!eq)
        return nfsroot_err(err, -EINVAL, name, "options", NULL, 0,
                           "option '%s' needs a name: %s=NAME", user ? "anonuser" : "anongroup",
                           user ? "anonuser" : "anongroup");
    const char *who = eq + 1;
    _cleanup_free_ char *copy = strdup(who);
    if (!copy)
        return -ENOMEM;
    char why[512];
    _cleanup_(nfsroot_idmap_close) nfsroot_idmap api = { 0 };
    if (nfsroot_idmap_open(&api, why, sizeof(why)) < 0)
        return nfsroot_err(err, -ENOENT, name, "options", NULL, 0,
                           "%s '%s' needs the NFSv4 id mapper: %s", user ? "anonuser" : "anongroup",
                           who, why);
    (void)api.init_name_mapping(NULL);
    unsigned long id;
    int r;
    if (user) {
        uid_t uid;
        r = api.name_to_uid(copy, &uid);
        id = uid;
    } else {
        gid_t gid;
        r = api.name_to_gid(copy, &gid);
        id = gid;
    }
    if (r != 0)
        return nfsroot_err(err, -ENOENT, name, "options", NULL, 0,
                           "%s '%s' is not known to the NFSv4 id mapper (libnfsidmap)",
                           user ? "anonuser" : "anongroup", who);
    char buf[64];
    snprintf(buf, sizeof(buf), "%s=%lu", user ? "anonuid" : "anongid", id);
    *ret = strdup(buf);
    return *ret ? 0 : -ENOMEM;
}

static int set_option(char ***opts, const char *o)
{
    for (size_t i = 0; (*opts)[i]; i++)
        if (same_slot((*opts)[i], o)) {
            char *n = strdup(o);
            if (!n)
                return -ENOMEM;
            free((*opts)[i]);
            (*opts)[i] = n;
            return 0;
        }
    return strv_push(opts, o);
}

/* One option the XML asks for, into opts: syntax, the allowed list, no 'rw' when read-only,
 * anonuser/anongroup mapped; 'ro' makes the export read-only. */
static int ask_option(const nfsroot_policy *p, const char *name, const nfsroot_export_req *req,
                      const char *o, char ***opts, bool *readonly, nfsroot_error *err)
{
    int r = check_option_syntax(name, "options", o, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *optname = strndup(o, opt_name_len(o));
    if (!optname)
        return -ENOMEM;
    if (!strv_contains(p->allowed_options, optname)) {
        _cleanup_free_ char *allowed = strv_join(p->allowed_options, ",");
        return nfsroot_err(err, -EPERM, name, "options", NULL, 0,
                           "option '%s' is not allowed by the host policy (allowed: %s)", optname,
                           allowed ? allowed : "");
    }
    if (!strcmp(optname, "rw") && req->readonly)
        return nfsroot_err(err, -EINVAL, name, "options", NULL, 0,
                           "option 'rw' contradicts readonly='yes'");
    if (!strcmp(optname, "ro"))
        *readonly = true;
    _cleanup_free_ char *mapped = NULL;
    if (!strcmp(optname, "anonuser") || !strcmp(optname, "anongroup")) {
        r = map_anon(name, o, &mapped, err);
        if (r < 0)
            return r;
    }
    return set_option(opts, mapped ? mapped : o);
}

int nfsroot_options_build(const nfsroot_policy *p, const char *name, const nfsroot_export_req *req,
                          bool *ret_readonly, char **ret, nfsroot_error *err)
{
    _cleanup_strv_free_ char **opts = strv_split(p->default_options, ",");
    if (!opts)
        return -ENOMEM;
    for (char **o = opts; *o; o++) {
        int r = check_option_syntax(name, "policy default_options", *o, err);
        if (r < 0)
            return r;
    }
    _cleanup_strv_free_ char **asked = strv_split(req->options ? req->options : "", ",");
    if (!asked)
        return -ENOMEM;
    bool readonly = req->readonly;
    for (char **o = asked; *o; o++) {
        int r = ask_option(p, name, req, *o, &opts, &readonly, err);
        if (r < 0)
            return r;
    }
    if (readonly && set_option(&opts, "ro") < 0)
        return -ENOMEM;
    _cleanup_free_ char *joined = strv_join(opts, ",");
    if (!joined)
        return -ENOMEM;
    if (strlen(joined) > NFSROOT_OPTIONS_MAX)
        return nfsroot_err(err, -E2BIG, name, "options", NULL, 0,
                           "options '%.60s...' come to %zu characters with the host's defaults; "
                           "an export may have at most %d",
                           joined, strlen(joined), NFSROOT_OPTIONS_MAX);
    *ret_readonly = readonly;
    *ret = TAKE_PTR(joined);
    return 0;
}

/* May an option of this name stand in a built export's options? The names of the policy's
 * defaults and allowed list, "ro" (readonly='yes') and the ids anonuser/anongroup map to. */
static bool option_name_permitted(const nfsroot_policy *p, const char *o)
{
    size_t n = opt_name_len(o);
    _cleanup_free_ char *optname = strndup(o, n);
    if (!optname)
        return false;
    if (strv_contains(p->allowed_options, optname) || !strcmp(optname, "ro") ||
        (!strcmp(optname, "anonuid") && strv_contains(p->allowed_options, "anonuser")) ||
        (!strcmp(optname, "anongid") && strv_contains(p->allowed_options, "anongroup")))
        return true;
    _cleanup_strv_free_ char **defaults = strv_split(p->default_options, ",");
    for (char **d = defaults; d && *d; d++)
        if (opt_name_len(*d) == n && !strncmp(*d, o, n))
            return true;
    return false;
}

int nfsroot_options_check(const nfsroot_policy *p, const char *name, const nfsroot_export *e,
                          nfsroot_error *err)
{
    size_t len = strlen(e->options);
    if (len == 0 || len > NFSROOT_OPTIONS_MAX)
        return nfsroot_err(err, -E2BIG, name, "options", NULL, 0,
                           "options '%.60s...' of export path '%.200s' are %zu characters long; "
                           "an export may have 1 to %d",
                           e->options, e->path, len, NFSROOT_OPTIONS_MAX);
    _cleanup_strv_free_ char **opts = strv_split(e->options, ",");
    if (!opts)
        return -ENOMEM;
    bool ro = false, rw = false;
    for (size_t i = 0; opts[i]; i++) {
        int r = check_option_syntax(name, "options", opts[i], err);
        if (r < 0)
            return r;
        if (!option_name_permitted(p, opts[i]))
            return nfsroot_err(err, -EPERM, name, "options", NULL, 0,
                               "option '%s' is not allowed by the host policy", opts[i]);
        for (size_t j = 0; j < i; j++)
            if (same_slot(opts[j], opts[i]))
                return nfsroot_err(err, -EINVAL, name, "options", NULL, 0,
                                   "options '%s' and '%s' contradict each other", opts[j], opts[i]);
        ro |= !strcmp(opts[i], "ro");
        rw |= !strcmp(opts[i], "rw");
    }
    if (e->readonly && (!ro || rw))
        return nfsroot_err(err, -EINVAL, name, "options", NULL, 0,
                           "export path '%.200s' is read-only but its options '%.60s' lack 'ro'",
                           e->path, e->options);
    return 0;
}
