/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot annotate: write (or remove) our <metadata> element through libvirt, after checking
 * it against the host policy the way the hook will at start; optionally pin the guest's address
 * with a static DHCP host so that the export goes to that one guest, not the whole subnet. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <syslog.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cli.h"

typedef struct pin_result {
    bool requested, added;
    char network[256];
    char mac[18];
    char ip[64];
} pin_result;

typedef struct warnings {
    char *v[16];
    size_t n;
} warnings;

static void warn_add(warnings *w, const char *fmt, ...) _printf_(2, 3);
static void warn_add(warnings *w, const char *fmt, ...)
{
    if (w->n >= ELEMENTSOF(w->v))
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&w->v[w->n], fmt, ap) >= 0)
        w->n++;
    va_end(ap);
}

static void usage(void)
{
    printf("Usage: virt-nfsroot annotate DOMAIN [--path P] [--readonly-export P]...\n"
           "                             [--clients CIDR] [--options OPTS] [--pin-address [IP]]\n"
           "                             [--connect URI] [--force] [--dry-run] [--json]\n"
           "       virt-nfsroot annotate DOMAIN --remove [--connect URI]\n"
           "\n"
           "Write DOMAIN's virt-nfsroot metadata with libvirt (persistent config, and the live\n"
           "definition when it runs), keeping everything else in the domain. The element is\n"
           "first checked against the host policy as the hook will check it at start; what the\n"
           "policy refuses is not written (--force writes it anyway).\n"
           "\n"
           "  --path P             the root export (default: <first export root>/DOMAIN)\n"
           "  --readonly-export P  an extra read-only export (repeatable)\n"
           "  --clients CIDR       who may mount (default: the pinned address, else the subnet)\n"
           "  --options OPTS       exports(5) options for the root export (policy-checked)\n"
           "  --pin-address [IP]   add a static DHCP host for the domain's MAC on its libvirt\n"
           "                       network (live and config), IP or the next free address\n"
           "  --remove             remove the element from the persistent config (a running\n"
           "                       guest keeps its exports until it stops)\n"
           "  --dry-run            print what would be written, change nothing\n"
           "\n"
           "A running domain's exports change at its next start.\n");
}

/* libvirt's SetMetadata wants the element without prefix: it puts every node of it in the
 * namespace itself. */
static char *strip_namespace(const char *xml)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return NULL;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr n = root; n;) {
        if (n->type == XML_ELEMENT_NODE) {
            n->ns = NULL;
            if (n->nsDef) {
                xmlFreeNsList(n->nsDef);
                n->nsDef = NULL;
            }
        }
        if (n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            continue;
        }
        while (n && !n->next && n != root)
            n = n->parent;
        if (!n || n == root)
            break;
        n = n->next;
    }
    xmlBufferPtr buf = xmlBufferCreate();
    char *out = NULL;
    if (buf && xmlNodeDump(buf, doc, root, 0, 0) >= 0)
        out = strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    xmlFreeDoc(doc);
    return out;
}

/* ---------------------------------------------------------------------------------------- */
/* --pin-address */

typedef struct netxml {
    nfsroot_cidr subnet; /* first IPv4 <ip> with <dhcp> */
    uint32_t gateway;    /* its address (host order) */
    uint32_t range_lo, range_hi;
    uint32_t used[1024]; /* static host addresses */
    size_t n_used;
    char mac_ip[64]; /* the static address already given to our MAC, if any */
    bool active;
} netxml;

static bool elem_is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, (const xmlChar *)name);
}

static uint32_t ip4(const char *s)
{
    struct in_addr a;
    return s && inet_pton(AF_INET, s, &a) == 1 ? ntohl(a.s_addr) : 0;
}

static int parse_netxml(const char *xml, const char *mac, netxml *ret)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return -EINVAL;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    int r = -ENOENT;
    for (xmlNodePtr ip = root ? root->children : NULL; ip && r < 0; ip = ip->next) {
        if (!elem_is(ip, "ip"))
            continue;
        xmlChar *fam = xmlGetProp(ip, (const xmlChar *)"family");
        xmlChar *addr = xmlGetProp(ip, (const xmlChar *)"address");
        xmlChar *prefix = xmlGetProp(ip, (const xmlChar *)"prefix");
        xmlChar *mask = xmlGetProp(ip, (const xmlChar *)"netmask");
        bool v4 = (!fam || !xmlStrcmp(fam, (const xmlChar *)"ipv4")) && ip4((char *)addr);
        int pl = prefix ? atoi((char *)prefix) : mask ? cli_netmask_prefix((char *)mask) : 24;
        xmlNodePtr dhcp = NULL;
        for (xmlNodePtr c = ip->children; c; c = c->next)
            if (elem_is(c, "dhcp"))
                dhcp = c;
        if (v4 && dhcp && cli_make_subnet((char *)addr, pl, &ret->subnet)) {
            ret->gateway = ip4((char *)addr);
            r = 0;
            for (xmlNodePtr h = dhcp->children; h; h = h->next) {
                if (elem_is(h, "range")) {
                    xmlChar *s = xmlGetProp(h, (const xmlChar *)"start");
                    xmlChar *e = xmlGetProp(h, (const xmlChar *)"end");
                    if (!ret->range_lo) {
                        ret->range_lo = ip4((char *)s);
                        ret->range_hi = ip4((char *)e);
                    }
                    xmlFree(s);
                    xmlFree(e);
                } else if (elem_is(h, "host")) {
                    xmlChar *hm = xmlGetProp(h, (const xmlChar *)"mac");
                    xmlChar *hi = xmlGetProp(h, (const xmlChar *)"ip");
                    if (hi && ret->n_used < ELEMENTSOF(ret->used))
                        ret->used[ret->n_used++] = ip4((char *)hi);
                    if (hm && hi && !strcasecmp((char *)hm, mac))
                        snprintf(ret->mac_ip, sizeof(ret->mac_ip), "%s", (char *)hi);
                    xmlFree(hm);
                    xmlFree(hi);
                }
            }
        }
        xmlFree(fam);
        xmlFree(addr);
        xmlFree(prefix);
        xmlFree(mask);
    }
    xmlFreeDoc(doc);
    return r;
}

static bool addr_taken(const netxml *n, uint32_t a, virNetworkDHCPLeasePtr *leases, int n_leases,
                       const char *mac)
{
    if (a == n->gateway)
        return true;
    for (size_t i = 0; i < n->n_used; i++)
        if (n->used[i] == a)
            return true;
    for (int i = 0; i < n_leases; i++)
        if (leases[i]->type == VIR_IP_ADDR_TYPE_IPV4 && ip4(leases[i]->ipaddr) == a &&
            (!leases[i]->mac || strcasecmp(leases[i]->mac, mac)))
            return true;
    return false;
}

/* Next free address: outside the dynamic range first, then inside it (skipping leases). */
static uint32_t next_free(const netxml *n, virNetworkPtr net, const char *mac)
{
    virNetworkDHCPLeasePtr *leases = NULL;
    int n_leases = net ? virNetworkGetDHCPLeases(net, NULL, &leases, 0) : 0;
    if (n_leases < 0)
        n_leases = 0;
    uint32_t base, pick = 0;
    memcpy(&base, n->subnet.addr, 4);
    base = ntohl(base);
    uint32_t size = n->subnet.prefix >= 31 ? 0 : (1u << (32 - n->subnet.prefix));
    for (int pass = 0; pass < 2 && !pick; pass++)
        for (uint32_t a = base + 1; size && a < base + size - 1 && !pick; a++) {
            bool in_range = n->range_lo && a >= n->range_lo && a <= n->range_hi;
            if (in_range != (pass == 1))
                continue;
            if (!addr_taken(n, a, leases, n_leases, mac))
                pick = a;
        }
    for (int i = 0; i < n_leases; i++)
        virNetworkDHCPLeaseFree(leases[i]);
    free(leases);
    return pick;
}

static bool hostname_ok(const char *s)
{
    if (!*s || strlen(s) > 63)
        return false;
    for (const char *p = s; *p; p++)
        if (!(*p == '-' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

static int pin_address(virConnectPtr conn, const nfsroot_domain *d, const char *want_ip,
                       bool dry_run, pin_result *pin)
{
    const nfsroot_nic *nic = NULL;
    for (size_t i = 0; i < d->n_nics && !nic; i++)
        if (d->nics[i].type == NFSROOT_NIC_NETWORK && d->nics[i].mac[0])
            nic = &d->nics[i];
    if (!nic) {
        cli_error("domain '%s': --pin-address needs an <interface type='network'> with a MAC "
                  "address; a bridge has no libvirt DHCP to pin with",
                  d->name);
        return -EINVAL;
    }
    snprintf(pin->network, sizeof(pin->network), "%s", nic->source);
    snprintf(pin->mac, sizeof(pin->mac), "%s", nic->mac);
    virNetworkPtr net = virNetworkLookupByName(conn, nic->source);
    if (!net) {
        cli_error("domain '%s': network '%s': %s", d->name, nic->source, cli_virt_error());
        return -ENOENT;
    }
    int r = 0;
    netxml n = { 0 };
    n.active = virNetworkIsActive(net) == 1;
    char *xml = virNetworkGetXMLDesc(net, n.active ? 0 : VIR_NETWORK_XML_INACTIVE);
    if (!xml || parse_netxml(xml, nic->mac, &n) < 0) {
        cli_error("domain '%s': network '%s' has no IPv4 <ip> with <dhcp>: nothing to pin an "
                  "address in (give the guest a static address in its own configuration)",
                  d->name, nic->source);
        r = -EINVAL;
        goto out;
    }
    uint32_t a = 0;
    if (want_ip) {
        nfsroot_cidr c;
        a = ip4(want_ip);
        if (!a || !cli_make_subnet(want_ip, 32, &c) || !nfsroot_cidr_contains(&n.subnet, &c)) {
            char sub[64];
            cli_error("domain '%s': --pin-address '%s' is not an IPv4 address in network '%s' "
                      "(%s)",
                      d->name, want_ip, nic->source,
                      nfsroot_cidr_format(&n.subnet, sub, sizeof(sub)));
            r = -EINVAL;
            goto out;
        }
    }
    if (n.mac_ip[0]) {
        if (!want_ip || ip4(n.mac_ip) == a) {
            snprintf(pin->ip, sizeof(pin->ip), "%s", n.mac_ip);
            goto out; /* already pinned: nothing to do */
        }
        cli_error("domain '%s': MAC %s is already pinned to %s on network '%s'; remove that "
                  "first: virsh net-update %s delete ip-dhcp-host \"<host mac='%s'/>\" --live "
                  "--config",
                  d->name, nic->mac, n.mac_ip, nic->source, nic->source, nic->mac);
        r = -EEXIST;
        goto out;
    }
    if (want_ip) {
        for (size_t i = 0; i < n.n_used; i++)
            if (n.used[i] == a) {
                cli_error("domain '%s': %s is already pinned to another MAC on network '%s'",
                          d->name, want_ip, nic->source);
                r = -EEXIST;
                goto out;
            }
        if (a == n.gateway) {
            cli_error("domain '%s': %s is the host's own address on network '%s'", d->name, want_ip,
                      nic->source);
            r = -EINVAL;
            goto out;
        }
    } else if (!(a = next_free(&n, net, nic->mac))) {
        cli_error("domain '%s': network '%s' has no free address left to pin", d->name,
                  nic->source);
        r = -ENOSPC;
        goto out;
    }
    struct in_addr ia = { .s_addr = htonl(a) };
    inet_ntop(AF_INET, &ia, pin->ip, sizeof(pin->ip));
    char host[512];
    if (hostname_ok(d->name))
        snprintf(host, sizeof(host), "<host mac='%s' name='%s' ip='%s'/>", nic->mac, d->name,
                 pin->ip);
    else
        snprintf(host, sizeof(host), "<host mac='%s' ip='%s'/>", nic->mac, pin->ip);
    if (dry_run) {
        pin->added = true;
        goto out;
    }
    unsigned flags = VIR_NETWORK_UPDATE_AFFECT_CONFIG;
    if (n.active)
        flags |= VIR_NETWORK_UPDATE_AFFECT_LIVE;
    if (virNetworkIsPersistent(net) != 1)
        flags = VIR_NETWORK_UPDATE_AFFECT_LIVE;
    if (virNetworkUpdate(net, VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, VIR_NETWORK_SECTION_IP_DHCP_HOST,
                         -1, host, flags) < 0) {
        cli_error("domain '%s': cannot add %s to network '%s': %s", d->name, host, nic->source,
                  cli_virt_error());
        r = -EIO;
        goto out;
    }
    pin->added = true;
    syslog(LOG_INFO, "domain '%s': pinned %s to MAC %s on network '%s'", cli_esc(d->name), pin->ip,
           nic->mac, cli_esc(nic->source));
    cli_debug("domain '%s': pinned %s to MAC %s on network '%s'", d->name, pin->ip, nic->mac,
              nic->source);
out:
    free(xml);
    virNetworkFree(net);
    return r;
}

/* ---------------------------------------------------------------------------------------- */

/* The plan's own warnings (e.g. a subnet-wide export) become annotate's warnings. */
static void collect_warning(int priority, const char *line, void *userdata)
{
    if (priority <= LOG_WARNING)
        warn_add(userdata, "%s", line);
    else
        cli_debug("%s", line);
}

/* Check the new element as the hook will at start: same parse, same policy, same plan. Errors
 * the host can still fix before the start (a missing directory, an inactive network) are
 * warnings; the rest refuse. */
static int check_plan(nfsroot_domain *d, nfsroot_export_req *reqs, size_t n, warnings *w,
                      nfsroot_plan **ret_plan)
{
    nfsroot_error err = { 0 };
    nfsroot_policy *policy = NULL;
    int r = cli_policy_load(&policy, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot load the policy"), r;
    nfsroot_export_req *saved = d->exports;
    size_t saved_n = d->n_exports;
    bool saved_has = d->has_metadata;
    d->exports = reqs;
    d->n_exports = n;
    d->has_metadata = true;
    nfsroot_log log = { .fn = collect_warning, .userdata = w };
    r = nfsroot_plan_build(policy, d, &log, ret_plan, &err);
    d->exports = saved;
    d->n_exports = saved_n;
    d->has_metadata = saved_has;
    nfsroot_policy_free(policy);
    if (r == -ENOENT || r == -ENONET || r == -ENODEV || r == -EADDRNOTAVAIL) {
        char line[2048];
        warn_add(w, "%s (the hook checks again at start)",
                 nfsroot_error_format(&err, line, sizeof(line)));
        return 0;
    }
    if (r < 0) {
        char line[2048];
        cli_error("%s", nfsroot_error_format(&err, line, sizeof(line)));
        return r;
    }
    return 0;
}

/* Multi-line text (the metadata element as libvirt returns it), each line escaped: XML 1.0
 * allows C1 controls in attribute values. */
static void print_lines(const char *text)
{
    for (const char *l = text; *l;) {
        size_t n = strcspn(l, "\n");
        _cleanup_free_ char *one = strndup(l, n);
        printf("%s\n", one ? cli_esc(one) : "?");
        l += n + (l[n] == '\n');
    }
}

static void print_result(const nfsroot_domain *d, const char *action, const char *metadata,
                         bool live, bool config, const pin_result *pin, const nfsroot_plan *plan,
                         const warnings *w, bool dry_run)
{
    if (cli.json) {
        json j;
        json_init(&j, stdout);
        json_begin_object(&j);
        json_kv_string(&j, "domain", d->name);
        json_kv_string(&j, "uuid", d->uuid[0] ? d->uuid : NULL);
        json_kv_string(&j, "action", action);
        json_kv_bool(&j, "dry_run", dry_run);
        json_key(&j, "affected");
        json_begin_array(&j);
        if (config)
            json_string(&j, "config");
        if (live && strcmp(action, "remove"))
            json_string(&j, "live");
        json_end_array(&j);
        json_kv_string(&j, "metadata", metadata);
        json_key(&j, "pin");
        if (pin->requested) {
            json_begin_object(&j);
            json_kv_string(&j, "network", pin->network);
            json_kv_string(&j, "mac", pin->mac);
            json_kv_string(&j, "ip", pin->ip[0] ? pin->ip : NULL);
            json_kv_bool(&j, "added", pin->added);
            json_end_object(&j);
        } else
            json_null(&j);
        json_key(&j, "exports");
        json_begin_array(&j);
        for (size_t i = 0; plan && i < plan->n_exports; i++) {
            json_begin_object(&j);
            json_kv_string(&j, "path", plan->exports[i].path);
            json_key(&j, "clients");
            json_begin_array(&j);
            for (char **c = plan->exports[i].clients; c && *c; c++)
                json_string(&j, *c);
            json_end_array(&j);
            json_kv_string(&j, "options", plan->exports[i].options);
            json_end_object(&j);
        }
        json_end_array(&j);
        json_key(&j, "warnings");
        json_begin_array(&j);
        for (size_t i = 0; i < w->n; i++)
            json_string(&j, w->v[i]);
        json_end_array(&j);
        json_end_object(&j);
        json_finish(&j);
        return;
    }
    for (size_t i = 0; i < w->n; i++)
        cli_warn("%s", w->v[i]);
    const char *pre = dry_run ? "would " : "";
    if (pin->requested && pin->ip[0])
        printf("%s%s %s to MAC %s on network '%s'\n", dry_run ? "would pin" : "pinned",
               pin->added ? "" : " (already)", pin->ip, pin->mac, cli_esc(pin->network));
    if (!strcmp(action, "remove"))
        printf("%s the virt-nfsroot metadata of domain '%s' from its persistent config%s\n",
               dry_run ? "would remove" : "removed", cli_esc(d->name),
               live ? "; the running guest keeps its exports until it stops" : "");
    else if (!strcmp(action, "set")) {
        printf("%s%s domain '%s' (%s%s%s):\n", pre, dry_run ? "annotate" : "annotated",
               cli_esc(d->name), config ? "persistent config" : "", config && live ? " and " : "",
               live ? "live, effective at next start" : "");
        print_lines(metadata ? metadata : "");
        for (size_t i = 0; plan && i < plan->n_exports; i++) {
            _cleanup_free_ char *line = nfsroot_export_format_line(&plan->exports[i]);
            printf("at start it exports: %s\n", cli_esc(line ? line : plan->exports[i].path));
        }
    }
}

int cmd_annotate(int argc, char **argv)
{
    enum {
        OPT_PATH = OPT_FIRST_LOCAL,
        OPT_RO,
        OPT_CLIENTS,
        OPT_OPTIONS,
        OPT_REMOVE,
        OPT_PIN,
        OPT_FORCE,
        OPT_DRY,
    };
    static const struct option opts[] = {
        CLI_COMMON_LONGOPTS,
        { "path", required_argument, NULL, OPT_PATH },
        { "readonly-export", required_argument, NULL, OPT_RO },
        { "clients", required_argument, NULL, OPT_CLIENTS },
        { "options", required_argument, NULL, OPT_OPTIONS },
        { "remove", no_argument, NULL, OPT_REMOVE },
        { "pin-address", optional_argument, NULL, OPT_PIN },
        { "force", no_argument, NULL, OPT_FORCE },
        { "dry-run", no_argument, NULL, OPT_DRY },
        {},
    };
    const char *path = NULL, *clients = NULL, *options = NULL, *pin_ip = NULL;
    const char *ro[32];
    size_t n_ro = 0;
    bool remove = false, force = false, dry_run = false, shaped = false;
    pin_result pin = { 0 };
    int c;
    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts, NULL)) != -1) {
        int r = cli_common_opt(c, optarg, "annotate");
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        switch (c) {
        case 'h':
            usage();
            return EXIT_OK;
        case OPT_PATH:
            path = optarg;
            shaped = true;
            break;
        case OPT_RO:
            if (n_ro >= ELEMENTSOF(ro))
                return cli_usage_error("annotate", "at most %zu --readonly-export", ELEMENTSOF(ro));
            ro[n_ro++] = optarg;
            shaped = true;
            break;
        case OPT_CLIENTS:
            clients = optarg;
            shaped = true;
            break;
        case OPT_OPTIONS:
            options = optarg;
            shaped = true;
            break;
        case OPT_REMOVE:
            remove = true;
            break;
        case OPT_PIN:
            pin.requested = true;
            pin_ip = optarg;
            /* "--pin-address IP" as well as "--pin-address=IP". */
            if (!pin_ip && optind < argc && ip4(argv[optind]))
                pin_ip = argv[optind++];
            break;
        case OPT_FORCE:
            force = true;
            break;
        case OPT_DRY:
            dry_run = true;
            break;
        default:
            return cli_usage_error("annotate", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("annotate", "which domain? Give its name");
    if (optind + 1 < argc)
        return cli_usage_error("annotate", "unexpected argument '%s'", argv[optind + 1]);
    const char *name = argv[optind];
    if (remove && (shaped || pin.requested))
        return cli_usage_error("annotate", "--remove takes no export or pin options");
    if (path && path[0] != '/')
        return cli_usage_error("annotate", "--path '%s' is not an absolute path", path);
    for (size_t i = 0; i < n_ro; i++)
        if (ro[i][0] != '/')
            return cli_usage_error("annotate", "--readonly-export '%s' is not an absolute path",
                                   ro[i]);

    cli_log_open();
    char why[512];
    virConnectPtr conn = cli_connect(false, why, sizeof(why));
    if (!conn) {
        cli_error("cannot connect to libvirt at %s: %s", cli.uri ? cli.uri : DEFAULT_URI, why);
        return EXIT_FAIL;
    }
    int rc = EXIT_FAIL;
    nfsroot_domain *d = NULL;
    nfsroot_plan *plan = NULL;
    char *xml = NULL, *element = NULL, *stripped = NULL, *readback = NULL;
    warnings w = { 0 };
    virDomainPtr dom = virDomainLookupByName(conn, name);
    if (!dom) {
        cli_error("domain '%s': %s", name,
                  cli_virt_no_domain() ? "no such domain (virsh list --all shows the names)"
                                       : cli_virt_error());
        goto out;
    }
    bool running = virDomainIsActive(dom) == 1;
    bool persistent = virDomainIsPersistent(dom) == 1;
    xml = virDomainGetXMLDesc(dom, persistent ? VIR_DOMAIN_XML_INACTIVE : 0);
    nfsroot_error err = { 0 };
    int r = xml ? nfsroot_domain_parse(xml, strlen(xml), &d, &err) : -EIO;
    if (r < 0) {
        if (!xml)
            cli_error("domain '%s': cannot read its XML: %s", name, cli_virt_error());
        else
            cli_lib_error(&err, r, "cannot parse the domain XML");
        goto out;
    }

    if (remove) {
        if (!persistent) {
            cli_error("domain '%s' is transient (no persistent config to remove the element "
                      "from); it goes away when it stops",
                      name);
            goto out;
        }
        if (!dry_run && virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, NULL, NULL,
                                             NFSROOT_XMLNS, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
            cli_error("domain '%s': cannot remove the metadata: %s", name, cli_virt_error());
            goto out;
        }
        if (!dry_run)
            syslog(LOG_INFO, "domain '%s': metadata removed from the persistent config",
                   cli_esc(name));
        print_result(d, "remove", NULL, running, true, &pin, NULL, &w, dry_run);
        rc = EXIT_OK;
        goto out;
    }

    if (pin.requested && pin_address(conn, d, pin_ip, dry_run, &pin) < 0)
        goto out;

    if (!shaped && d->has_metadata && pin.requested) {
        /* Only a pin asked for: the element stays as it is. */
        print_result(d, "pin", NULL, false, false, &pin, NULL, &w, dry_run);
        rc = EXIT_OK;
        goto out;
    }

    nfsroot_export_req reqs[1 + ELEMENTSOF(ro)];
    memset(reqs, 0, sizeof(reqs));
    reqs[0] = (nfsroot_export_req){ .path = (char *)path,
                                    .is_root = true,
                                    .clients = (char *)clients,
                                    .options = (char *)options };
    for (size_t i = 0; i < n_ro; i++)
        reqs[1 + i] = (nfsroot_export_req){ .path = (char *)ro[i],
                                            .readonly = true,
                                            .clients = (char *)clients };
    size_t n_reqs = 1 + n_ro;

    r = check_plan(d, reqs, n_reqs, &w, &plan);
    if (r < 0 && !force)
        goto out;
    if (r < 0)
        warn_add(&w, "written despite the policy (--force): the hook will refuse the start");

    /* Without --path the root export is written as <export/>: it follows the policy's export
     * root, as the hook resolves it at start. */
    element = nfsroot_metadata_format(reqs, n_reqs);
    stripped = element ? strip_namespace(element) : NULL;
    if (!stripped) {
        cli_error("domain '%s': cannot render the metadata element", name);
        goto out;
    }
    unsigned flags = 0;
    if (persistent)
        flags |= VIR_DOMAIN_AFFECT_CONFIG;
    if (running)
        flags |= VIR_DOMAIN_AFFECT_LIVE;
    if (!dry_run) {
        if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, stripped, "nfsroot",
                                 NFSROOT_XMLNS, flags) < 0) {
            cli_error("domain '%s': cannot write the metadata: %s", name, cli_virt_error());
            goto out;
        }
        syslog(LOG_INFO, "domain '%s': metadata written (%s%s)", cli_esc(name),
               persistent ? "config" : "", running ? (persistent ? "+live" : "live") : "");
        readback =
            virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, NFSROOT_XMLNS,
                                 persistent ? VIR_DOMAIN_AFFECT_CONFIG : VIR_DOMAIN_AFFECT_LIVE);
    }
    print_result(d, "set", readback ? readback : stripped, running, persistent, &pin, plan, &w,
                 dry_run);
    rc = EXIT_OK;
out:
    for (size_t i = 0; i < w.n; i++)
        free(w.v[i]);
    free(readback);
    free(stripped);
    free(element);
    free(xml);
    nfsroot_plan_free(plan);
    nfsroot_domain_free(d);
    if (dom)
        virDomainFree(dom);
    virConnectClose(conn);
    return rc;
}
