/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NFSv4 id mapping: the host's and the guest's NFSv4 domain should agree. */
#include <ctype.h>
#include <strings.h>
#include <sys/types.h>

#include <nfsidmap.h>

#include "bootcheck.h"

/* The [General] Domain of an idmapd.conf text, "" when unset. */
static void idmapd_domain(char *text, char *out, size_t len)
{
    out[0] = '\0';
    bool general = false;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        while (isspace((unsigned char)*l))
            l++;
        size_t n = strlen(l);
        while (n && isspace((unsigned char)l[n - 1]))
            l[--n] = '\0';
        if (*l == '#' || *l == ';' || !*l)
            continue;
        if (*l == '[') {
            general = strncasecmp(l, "[General]", 9) == 0;
            continue;
        }
        if (!general || strncasecmp(l, "Domain", 6) != 0)
            continue;
        char *v = l + 6;
        while (isspace((unsigned char)*v))
            v++;
        if (*v != '=')
            continue;
        v++;
        while (isspace((unsigned char)*v))
            v++;
        snprintf(out, len, "%s", v);
    }
}

int nfsroot_idmapd_conf_domain(const char *text, char *ret, size_t len)
{
    _cleanup_free_ char *copy = strdup(text);
    if (!copy)
        return -ENOMEM;
    idmapd_domain(copy, ret, len);
    return 0;
}

/* libnfsidmap logs through syslog by default; the library never prints or logs on its own. */
static void quiet_logger(const char *fmt, ...)
{
    (void)fmt;
}

int bootcheck_host_nfs4_domain(const char *conf, char *ret, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", conf);
    nfs4_set_debug(0, quiet_logger);
    if (nfs4_init_name_mapping(path) != 0 || nfs4_get_default_domain(NULL, ret, len) != 0 ||
        !ret[0])
        return -ENOENT;
    return 0;
}

int nfsroot_bootcheck_idmap(const char *host_idmapd_conf, const nfsroot_plan *plan,
                            nfsroot_findings *f)
{
    const nfsroot_export *re = bootcheck_root_export(plan);
    if (!re)
        return 0;
    char file[1100];
    snprintf(file, sizeof(file), "%s/etc/idmapd.conf", re->path);

    char conf[4096];
    snprintf(conf, sizeof(conf), "%s", host_idmapd_conf ? host_idmapd_conf : "/etc/idmapd.conf");
    char host[512] = "";
    if (bootcheck_host_nfs4_domain(conf, host, sizeof(host)) < 0)
        return nfsroot_findings_add(f, F_INFO, "idmap-host-unknown", conf,
                                    "the host's NFSv4 domain cannot be determined from '%s': "
                                    "set 'Domain =' in its [General] section",
                                    conf);

    _cleanup_free_ char *text = NULL;
    int r = bootcheck_read_in_root(re->path, "etc/idmapd.conf", 256 * 1024, &text);
    if (r == -ENOMEM)
        return r;
    char guest[512] = "";
    if (r == 0)
        idmapd_domain(text, guest, sizeof(guest));
    if (!guest[0])
        return nfsroot_findings_add(f, F_INFO, "idmap-guest-default", file,
                                    "the guest sets no NFSv4 domain in '%s', so it derives one "
                                    "from its DNS domain: set 'Domain = %s' in its [General] "
                                    "section to match the host",
                                    file, host);
    if (strcasecmp(guest, host) != 0)
        return nfsroot_findings_add(f, F_WARN, "idmap-domain-mismatch", file,
                                    "the guest's NFSv4 domain '%s' ('%s') differs from the "
                                    "host's '%s': with names on the wire files show as owned by "
                                    "'nobody'; set 'Domain = %s' in the guest's [General] section",
                                    guest, file, host, host);
    return 0;
}
