/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain's getters and the element annotate writes (nfsroot_domain_clear_exports,
 * nfsroot_domain_add_export, nfsroot_metadata_format), read back by the parser. */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "virt-nfsroot/virt-nfsroot-private.h"

#define DOMAIN_HEAD                                                                                \
    "<domain type='kvm'><name>vm</name><uuid>6f1a7c0e-3b2d-4c5e-8f9a-0b1c2d3e4f50</uuid>"          \
    "<devices><interface type='network'><mac address='52:54:00:AA:bb:01'/>"                        \
    "<source network='default'/></interface><interface type='bridge'>"                             \
    "<source bridge='br0'/></interface></devices><metadata>"

static nfsroot_domain *parse(const char *xml)
{
    nfsroot_error err = NFSROOT_ERROR_INIT;
    nfsroot_domain *d = NULL;
    int r = nfsroot_domain_parse(xml, strlen(xml), &d, &err);
    CHECKF(r == 0, "parse: %d %s", r, err.message);
    return d;
}

static void getters(void)
{
    nfsroot_domain *d = parse(DOMAIN_HEAD "</metadata></domain>");
    if (!d)
        return;
    CHECK(!strcmp(nfsroot_domain_get_name(d), "vm"));
    CHECK(!strcmp(nfsroot_domain_get_uuid(d), "6f1a7c0e-3b2d-4c5e-8f9a-0b1c2d3e4f50"));
    CHECK(!nfsroot_domain_has_metadata(d));
    CHECK(nfsroot_domain_get_n_nics(d) == 2 && !nfsroot_domain_get_nic(d, 2));
    const nfsroot_nic *n0 = nfsroot_domain_get_nic(d, 0), *n1 = nfsroot_domain_get_nic(d, 1);
    CHECK(n0 && nfsroot_nic_get_type(n0) == NFSROOT_NIC_NETWORK &&
          !strcmp(nfsroot_nic_get_source(n0), "default") &&
          !strcmp(nfsroot_nic_get_mac(n0), "52:54:00:aa:bb:01"));
    CHECK(n1 && nfsroot_nic_get_type(n1) == NFSROOT_NIC_BRIDGE &&
          !strcmp(nfsroot_nic_get_source(n1), "br0") && !nfsroot_nic_get_mac(n1)[0]);
    nfsroot_domain_free(d);
}

/* What annotate writes: the root export (its path left to the policy), then read-only ones;
 * the parser reads the same requests back. */
static void build_and_format(void)
{
    nfsroot_domain *d = parse(DOMAIN_HEAD "<nfsroot:nfsroot xmlns:nfsroot='" NFSROOT_XMLNS "'>"
                                          "<nfsroot:export path='/export/old'/></nfsroot:nfsroot>"
                                          "</metadata></domain>");
    if (!d)
        return;
    CHECK(nfsroot_domain_has_metadata(d));
    nfsroot_domain_clear_exports(d);
    CHECK(nfsroot_domain_add_export(d, NULL, false, NULL, "sync") == 0);
    CHECK(nfsroot_domain_add_export(d, "/export/a&b", true, "192.168.122.0/24", NULL) == 0);
    char *meta = nfsroot_metadata_format(d);
    const char *want = "<nfsroot:nfsroot xmlns:nfsroot=\"" NFSROOT_XMLNS "\">\n"
                       "  <nfsroot:export options=\"sync\"/>\n"
                       "  <nfsroot:export path=\"/export/a&amp;b\" readonly=\"yes\" "
                       "clients=\"192.168.122.0/24\"/>\n"
                       "</nfsroot:nfsroot>";
    CHECKF(meta && !strcmp(meta, want), "formatted:\n%s", meta ? meta : "(null)");
    nfsroot_domain_free(d);

    char xml[4096];
    snprintf(xml, sizeof(xml), "%s%s</metadata></domain>", DOMAIN_HEAD, meta ? meta : "");
    nfsroot_domain *back = parse(xml);
    char *again = back ? nfsroot_metadata_format(back) : NULL;
    CHECKF(again && meta && !strcmp(again, meta), "read back:\n%s", again ? again : "(null)");
    nfsroot_domain_free(back);
    free(again);
    free(meta);
}

int main(void)
{
    getters();
    build_and_format();
    return test_summary();
}
