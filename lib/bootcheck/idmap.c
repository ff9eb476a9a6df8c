/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NFSv4 id mapping: the host's and the guest's NFSv4 domain should agree. */
#include <ctype.h>
#include <strings.h>
#include "bootcheck.h"
#include "idmap.h"

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
    char host[512] = "", why[512] = "";
    int r = nfsroot_host_nfs4_domain(conf, host, sizeof(host), why, sizeof(why));
    if (r == -ETIMEDOUT)
        return nfsroot_findings_add(f, F_INFO, "idmap-host-slow", conf,
                                    "'%s' sets no NFSv4 domain and deriving it from DNS took "
                                    "over %d ms (the host's name is not in /etc/hosts and its "
                                    "resolver does not answer): not compared; set 'Domain =' "
                                    "in its [General] section",
                                    conf, NFSROOT_HOST_DOMAIN_TIMEOUT_MS);
    if (r < 0)
        return nfsroot_findings_add(f, F_INFO, "idmap-host-unknown", conf,
                                    "the host's NFSv4 domain cannot be determined from '%s' "
                                    "(%s): set 'Domain =' in its [General] section",
                                    conf, why[0] ? why : "no reason given");

    _cleanup_free_ char *text = NULL;
    r = bootcheck_read_in_root(re->path, "etc/idmapd.conf", 256 * 1024, &text);
    if (r == -ENOMEM)
        return r;
    char guest[512] = "";
    if (r == 0 && (r = nfsroot_idmapd_conf_domain(text, guest, sizeof(guest))) == -ENOMEM)
        return r;
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
