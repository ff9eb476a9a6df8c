/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs one data-driven case of tests/data/network/<case>/: the library's two readers of a
 * libvirt network XML over the same file.
 *   network.xml  the network (as libvirt's API returns it, or a live <networkstatus> file)
 *   mac          optional: the guest's MAC (default 52:54:00:00:00:01)
 *   leases       optional: addresses leased to other MACs, one a line
 *   expected     what both readers make of it:
 *                "hook ..." lines from nfsroot_netinfo_load (what the hook exports to),
 *                "dhcp ..." lines from nfsroot_netdhcp_parse/_next_free (annotate --pin-address)
 * NFSROOT_REGENERATE=1 rewrites expected. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "formats.h"
#include "test.h"

static const char *cidr(const nfsroot_cidr *c, char *buf, size_t len)
{
    return c->family ? nfsroot_cidr_format(c, buf, len) : "none";
}

/* The hook's reader: the live file <network_dir>/network.xml for a NIC on network 'network'. */
static void run_hook(FILE *out, const char *casedir, const char *mac)
{
    char nosys[PATH_MAX];
    snprintf(nosys, sizeof(nosys), "%s/no-sysfs", casedir);
    nfsroot_policy p = { .network_dir = (char *)casedir, .sysfs_net_dir = nosys };
    nfsroot_nic nic = { .type = NFSROOT_NIC_NETWORK, .source = (char *)"network" };
    snprintf(nic.mac, sizeof(nic.mac), "%s", mac);
    nfsroot_domain d = { .name = (char *)"guest", .nics = &nic, .n_nics = 1 };
    _cleanup_(nfsroot_netinfo_freep) nfsroot_netinfo *n = NULL;
    nfsroot_error err = { 0 };
    char buf[128];
    if (nfsroot_netinfo_load(&p, &d, &nic, &n, &err) < 0) {
        /* The case's folder differs between checkouts: @CASE@ in expected. */
        const char *at = strstr(err.message, casedir);
        if (at)
            fprintf(out, "hook error: %.*s@CASE@%s\n", (int)(at - err.message), err.message,
                    at + strlen(casedir));
        else
            fprintf(out, "hook error: %s\n", err.message);
        return;
    }
    for (size_t i = 0; i < n->n_subnets; i++)
        fprintf(out, "hook subnet %s\n", cidr(&n->subnets[i], buf, sizeof(buf)));
    for (size_t i = 0; i < n->n_host_addrs; i++)
        fprintf(out, "hook host %s\n", cidr(&n->host_addrs[i], buf, sizeof(buf)));
    fprintf(out, "hook pinned %s\n", cidr(&n->pinned, buf, sizeof(buf)));
    if (n->bridge_mac[0] && n->n_host_addrs > 0) {
        /* the MAC every host should pin for this network and gateway (migration) */
        char gw[64], want[18];
        cidr(&n->host_addrs[0], gw, sizeof(gw));
        gw[strcspn(gw, "/")] = '\0';
        nfsroot_network_mac_derive("default", gw, want);
        fprintf(out, "hook bridge-mac %s (derived for 'default' and %s: %s)\n", n->bridge_mac, gw,
                want);
    }
}

static size_t read_leases(const char *casedir, nfsroot_cidr *v, size_t max)
{
    _cleanup_free_ char *text = slurp_in(casedir, "leases", NULL);
    size_t n = 0;
    for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l && n < max;
         l = strtok_r(NULL, "\n", &save))
        if (nfsroot_cidr_parse(l, &v[n]) == 0)
            n++;
    return n;
}

/* annotate's reader: the XML string, then the address --pin-address would pick. */
static void run_dhcp(FILE *out, const char *casedir, const char *xml, size_t len, const char *mac)
{
    _cleanup_(nfsroot_netdhcp_freep) nfsroot_netdhcp *n = NULL;
    nfsroot_error err = { 0 };
    char buf[128], buf2[128];
    if (nfsroot_netdhcp_parse(xml, len, mac, &n, &err) < 0) {
        fprintf(out, "dhcp error: %s\n", err.message);
        return;
    }
    fprintf(out, "dhcp subnet %s\n", cidr(&n->subnet, buf, sizeof(buf)));
    fprintf(out, "dhcp host %s\n", cidr(&n->host, buf, sizeof(buf)));
    fprintf(out, "dhcp range %s %s\n", cidr(&n->range_start, buf, sizeof(buf)),
            cidr(&n->range_end, buf2, sizeof(buf2)));
    for (size_t i = 0; i < n->n_hosts; i++)
        fprintf(out, "dhcp static %s\n", cidr(&n->hosts[i], buf, sizeof(buf)));
    fprintf(out, "dhcp pinned %s\n", cidr(&n->pinned, buf, sizeof(buf)));
    nfsroot_cidr leased[64], next = { 0 };
    size_t n_leased = read_leases(casedir, leased, 64);
    int r = nfsroot_netdhcp_next_free(n, leased, n_leased, &next);
    fprintf(out, "dhcp next-free %s\n", r < 0 ? "none" : cidr(&next, buf, sizeof(buf)));
}

static int render(const char *casedir, FILE *out)
{
    size_t len = 0;
    _cleanup_free_ char *xml = slurp_in(casedir, "network.xml", &len);
    _cleanup_free_ char *mac_text = slurp_in(casedir, "mac", NULL);
    if (!xml)
        return -ENOENT;
    const char *mac = mac_text ? strtok(mac_text, "\n") : "52:54:00:00:00:01";
    run_hook(out, casedir, mac ? mac : "");
    run_dhcp(out, casedir, xml, len, mac);
    return 0;
}

int main(int argc, char **argv)
{
    return test_case_main(argc, argv, render);
}
