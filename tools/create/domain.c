/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: the guest's configuration (which needs the host's address on its
 * network, from the same plan the hook builds), the domain defined through libvirt, the boot
 * check validate runs, and the start. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>

#include "ctx.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree)

/* Is the connection's URI this host's (qemu:///system, a socket path after '?'), not a remote
 * one (qemu+ssh://HOST/system)? */
static bool uri_is_local(const char *uri)
{
    const char *p = strstr(uri, "://");
    return !p || p[3] == '/' || p[3] == '\0' || p[3] == '?';
}

/* No --virt-type: kvm where libvirt has domain capabilities for it and, for this host's libvirt,
 * KVM runs a guest here (libvirt looks only for /dev/kvm; a nested hypervisor without
 * virtualisation extensions has one that runs nothing), else qemu, said in one line, so create
 * does not fail at its last stage. A driver that cannot say (libvirt's test driver) gets qemu. */
static void pick_virt_type(create_ctx *c)
{
    if (c->o->virt_type)
        return;
    _cleanup_free_ char *caps =
        virConnectGetDomainCapabilities(c->conn, NULL, NULL, NULL, "kvm", 0);
    char why[256] = "";
    if (!caps)
        snprintf(why, sizeof(why), "libvirt cannot run KVM guests here (%s)", cli_virt_error());
    else if (uri_is_local(cli.uri ? cli.uri : DEFAULT_URI))
        (void)nfsroot_host_kvm_check(AT_FDCWD, why, sizeof(why));
    c->o->virt_type = why[0] ? "qemu" : "kvm";
    if (why[0])
        cli_error("create: %s: domain '%s' gets type 'qemu' (TCG, much slower; --virt-type kvm "
                  "once KVM works)",
                  why, c->o->name);
}

int create_domain_precheck(create_ctx *c)
{
    char why[512];
    c->conn = cli_connect(false, why, sizeof(why));
    if (!c->conn) {
        cli_error("cannot connect to libvirt at %s: %s", cli.uri ? cli.uri : DEFAULT_URI, why);
        return -ECONNREFUSED;
    }
    virDomainPtr dom = virDomainLookupByName(c->conn, c->o->name);
    if (dom) {
        virDomainFree(dom);
        cli_error("create: domain '%s' already exists: give another NAME, or remove it first "
                  "with 'virt-nfsroot delete %s'",
                  c->o->name, c->o->name);
        return -EEXIST;
    }
    pick_virt_type(c);
    /* norandmaps buys a TCG guest its boot time (QEMU translates each process's code anew at
     * its randomized addresses); a KVM guest runs the code as it is and would only lose ASLR. */
    if (c->o->no_aslr && strcmp(c->o->virt_type, "kvm") == 0)
        cli_warn("create: --no-aslr with type 'kvm': domain '%s' loses ASLR and boots no "
                 "faster (the gain is TCG's, type 'qemu')",
                 c->o->name);
    return c->o->clone_of ? create_clone_source(c) : 0;
}

/* The MAC (QEMU's prefix) and the uuid (version 4) are chosen here: the plan, the pin and the
 * export records need them before libvirt has the domain. */
static int make_ids(create_ctx *c)
{
    unsigned char b[19];
    if (getrandom(b, sizeof(b), 0) != sizeof(b))
        return -EIO;
    snprintf(c->mac, sizeof(c->mac), "52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]);
    unsigned char *u = b + 3;
    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;
    snprintf(c->uuid, sizeof(c->uuid),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    return 0;
}

/* The domain: no disk, direct kernel boot, one virtio NIC, a serial console logged to a file,
 * ACPI (without it poweroff halts and the domain stays running), our element, the OS id.
 * A kernel panic reaches libvirt through the pvpanic device and on_crash destroys the domain:
 * it stops (state crashed, the hook releases its exports, the oops stays in the console log)
 * rather than restarting into the same panic; the cmdline's panic= covers a panic before the
 * guest's pvpanic driver is loaded. No USB controller (libvirt adds a UHCI one to a pc machine
 * unless told not to): nothing is plugged into it, and its driver stack is what the root's udev
 * loaded over NFS after switch_root. */
static char *domain_xml(const create_ctx *c, const char *metadata)
{
    const create_opts *o = c->o;
    _cleanup_free_ char *name = nfsroot_xml_escape(o->name), *net = nfsroot_xml_escape(o->network);
    _cleanup_free_ char *kernel = nfsroot_xml_escape(c->kernel ? c->kernel : "/nonexistent");
    _cleanup_free_ char *initrd = nfsroot_xml_escape(c->initrd ? c->initrd : "/nonexistent");
    _cleanup_free_ char *cmdline = nfsroot_xml_escape(c->cmdline ? c->cmdline : "");
    _cleanup_free_ char *os = c->osinfo ? nfsroot_xml_escape(c->osinfo) : NULL;
    _cleanup_free_ char *libosinfo = NULL;
    char *xml = NULL;
    if (!name || !net || !kernel || !initrd || !cmdline || (c->osinfo && !os))
        return NULL;
    if (os && asprintf(&libosinfo,
                       "<libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/"
                       "domain/1.0'><libosinfo:os id='%s'/></libosinfo:libosinfo>",
                       os) < 0)
        return NULL;
    if (asprintf(&xml,
                 "<domain type='%s'>\n"
                 "  <name>%s</name>\n"
                 "  <uuid>%s</uuid>\n"
                 "  <metadata>%s%s</metadata>\n"
                 "  <memory unit='MiB'>%lu</memory>\n"
                 "  <vcpu>%lu</vcpu>\n"
                 "  <os><type arch='x86_64'>hvm</type><kernel>%s</kernel><initrd>%s</initrd>"
                 "<cmdline>%s</cmdline></os>\n"
                 "  <features><acpi/><apic/></features>\n"
                 "  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot>"
                 "<on_crash>destroy</on_crash>\n"
                 "  <devices>\n"
                 "    <interface type='network'><source network='%s'/><mac address='%s'/>"
                 "<model type='virtio'/></interface>\n"
                 "    <serial type='pty'><log file='/var/log/libvirt/qemu/%s-console.log' "
                 "append='off'/><target port='0'/></serial>\n"
                 "    <console type='pty'><target type='serial' port='0'/></console>\n"
                 "    <channel type='unix'><target type='virtio' "
                 "name='org.qemu.guest_agent.0'/></channel>\n"
                 "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
                 "    <panic model='isa'/>\n"
                 "    <controller type='usb' model='none'/>\n"
                 "  </devices>\n"
                 "</domain>\n",
                 o->virt_type, name, c->uuid, metadata, libosinfo ? libosinfo : "", o->memory_mib,
                 o->vcpus, kernel, initrd, cmdline, net, c->mac, name) < 0)
        return NULL;
    return xml;
}

/* Our element for the tree: the root export at its path. */
static char *metadata(const create_ctx *c)
{
    _cleanup_(nfsroot_domain_freep) nfsroot_domain *d = NULL;
    if (nfsroot_domain_new(c->o->name, &d) < 0 ||
        nfsroot_domain_add_export(d, c->export_path, false, NULL, NULL) < 0)
        return NULL;
    return nfsroot_metadata_format(d);
}

static void log_to_stderr(int priority, const char *line, void *userdata)
{
    (void)userdata;
    if (priority <= LOG_WARNING)
        cli_warn("%s", line);
    else
        cli_debug("%s", line);
}

/* The plan the hook will build at start: its server address is what the guest mounts. */
static int plan_for(create_ctx *c, const char *xml, nfsroot_domain **ret_d, nfsroot_plan **ret)
{
    nfsroot_error err = { 0 };
    int r = nfsroot_domain_parse(xml, strlen(xml), ret_d, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot parse the generated domain XML"), r;
    if (c->o->pin && !c->pin.ip[0] &&
        (r = annotate_pin_address(c->conn, *ret_d, c->o->pin_ip, false, &c->pin)) < 0)
        return r;
    nfsroot_log log = { .fn = log_to_stderr };
    nfsroot_error_clear(&err);
    r = nfsroot_plan_build(c->policy, *ret_d, &log, ret, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot plan the export"), r;
    if (!nfsroot_plan_get_server(*ret)) {
        cli_error("network '%s' gives no address of this host for the guest to mount from "
                  "(is it active? virsh net-start %s)",
                  c->o->network, c->o->network);
        return -EADDRNOTAVAIL;
    }
    return 0;
}

/* The address the network pins to the guest's MAC, with its subnet's prefix ("A.B.C.D/N"), as
 * the live network says it (what its DHCP server would give): the guest's static ip=. "" when
 * nothing is pinned (--no-pin-address), the server is not IPv4 or the network cannot tell:
 * DHCP then. */
static void pinned_address(create_ctx *c, const nfsroot_domain *d, const char *server)
{
    const nfsroot_nic *nic = nfsroot_domain_get_nic(d, 0);
    _cleanup_(nfsroot_netinfo_freep) nfsroot_netinfo *ni = NULL;
    nfsroot_error err = { 0 };
    c->guest_addr[0] = '\0';
    if (!c->pin.ip[0] || !nic || strchr(server, ':') ||
        nfsroot_netinfo_load(c->policy, d, nic, &ni, &err) < 0)
        return;
    const nfsroot_cidr *pin = nfsroot_netinfo_get_pinned(ni), *s;
    char ip[INET_ADDRSTRLEN];
    for (size_t i = 0; pin->family == AF_INET && (s = nfsroot_netinfo_get_subnet(ni, i)); i++)
        if (nfsroot_cidr_contains(s, pin) && inet_ntop(AF_INET, pin->addr, ip, sizeof(ip))) {
            snprintf(c->guest_addr, sizeof(c->guest_addr), "%s/%u", ip, s->prefix);
            return;
        }
}

int create_configure(create_ctx *c, create_stage *st)
{
    int r;
    if (!c->mac[0] && (r = make_ids(c)) < 0)
        return r;
    _cleanup_free_ char *meta = metadata(c);
    _cleanup_free_ char *draft = meta ? domain_xml(c, meta) : NULL;
    if (!draft)
        return -ENOMEM;
    _cleanup_(nfsroot_domain_freep) nfsroot_domain *d = NULL;
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *plan = NULL;
    if ((r = plan_for(c, draft, &d, &plan)) < 0)
        return r;
    pinned_address(c, d, nfsroot_plan_get_server(plan));
    if ((r = create_guest_configure(c, nfsroot_plan_get_server(plan))) < 0)
        return r;
    snprintf(st->note, sizeof(st->note), "server %s%s%s", nfsroot_plan_get_server(plan),
             c->pin.ip[0] ? ", guest pinned to " : "", c->pin.ip);
    return 0;
}

int create_define(create_ctx *c, create_stage *st)
{
    _cleanup_free_ char *meta = metadata(c);
    _cleanup_free_ char *xml = meta ? domain_xml(c, meta) : NULL;
    if (!xml)
        return -ENOMEM;
    _cleanup_(virDomainFreep) virDomainPtr dom = virDomainDefineXML(c->conn, xml);
    if (!dom) {
        cli_error("domain '%s': libvirt refuses the definition: %s", c->o->name, cli_virt_error());
        return -EIO;
    }
    c->defined = true;
    syslog(LOG_INFO, "domain '%s': defined by create (root tree %s)", cli_esc(c->o->name),
           cli_esc(c->target));
    snprintf(st->note, sizeof(st->note), "uuid %s, %s, %lu MiB", c->uuid, c->o->virt_type,
             c->o->memory_mib);
    return 0;
}

static void print_findings(const nfsroot_findings *f)
{
    for (size_t i = 0; !cli.json && i < nfsroot_findings_get_n(f); i++) {
        const nfsroot_finding *x = nfsroot_findings_get(f, i);
        char raw[4096];
        if (nfsroot_finding_get_level(x) == NFSROOT_FINDING_INFO && !cli.verbose)
            continue;
        fprintf(stderr, "  %s\n", cli_esc(nfsroot_finding_format(x, raw, sizeof(raw))));
    }
}

/* validate's checks on what libvirt stored, strictly: an error is never a success. */
int create_validate(create_ctx *c, create_stage *st)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByName(c->conn, c->o->name);
    _cleanup_free_ char *xml = dom ? virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE) : NULL;
    if (!xml) {
        cli_error("domain '%s': cannot read it back: %s", c->o->name, cli_virt_error());
        return -EIO;
    }
    _cleanup_(nfsroot_domain_freep) nfsroot_domain *d = NULL;
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *plan = NULL;
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *strict = NULL;
    nfsroot_error err = { 0 };
    int r = nfsroot_domain_parse(xml, strlen(xml), &d, &err);
    if (r >= 0)
        r = nfsroot_plan_build(c->policy, d, NULL, &plan, &err);
    if (r >= 0 && (r = nfsroot_policy_dup(c->policy, &strict)) >= 0) {
        nfsroot_policy_set_validate(strict, NFSROOT_VALIDATE_STRICT);
        r = nfsroot_policy_set_state_dir(strict, NULL); /* no scan cache written */
    }
    if (r >= 0)
        r = nfsroot_bootcheck_run(strict, d, plan, &c->findings, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "the boot check failed"), r;
    size_t counts[3] = { 0 };
    for (size_t i = 0; i < nfsroot_findings_get_n(c->findings); i++) {
        nfsroot_finding_level l = nfsroot_finding_get_level(nfsroot_findings_get(c->findings, i));
        if ((unsigned)l < 3)
            counts[l]++;
    }
    snprintf(st->note, sizeof(st->note), "%zu errors, %zu warnings", counts[NFSROOT_FINDING_ERROR],
             counts[NFSROOT_FINDING_WARNING]);
    print_findings(c->findings);
    if (nfsroot_findings_has_errors(c->findings)) {
        cli_error("domain '%s' would not boot (the errors above): it is not kept defined",
                  c->o->name);
        return -EINVAL;
    }
    return 0;
}

int create_start(create_ctx *c, create_stage *st)
{
    if (!c->o->start) {
        st->status = "skipped";
        return 0;
    }
    _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByName(c->conn, c->o->name);
    if (!dom || virDomainCreate(dom) < 0) {
        cli_error("domain '%s': cannot start it: %s", c->o->name, cli_virt_error());
        return -EIO;
    }
    return 0;
}

void create_undefine(create_ctx *c)
{
    if (c->pin.added && c->conn &&
        annotate_unpin_address(c->conn, c->pin.network, c->pin.mac, c->pin.ip) > 0) {
        c->pin.added = false;
        owned_forget(c->uuid); /* the pin was all it held: the tree is recorded at the end */
    }
    if (!c->defined || !c->conn)
        return;
    _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByName(c->conn, c->o->name);
    if (dom && virDomainIsActive(dom) == 1)
        (void)virDomainDestroy(dom);
    if (dom && virDomainUndefine(dom) == 0) {
        c->defined = false;
        syslog(LOG_INFO, "domain '%s': undefined again (create did not finish)",
               cli_esc(c->o->name));
    } else
        cli_error("domain '%s': cannot undefine it: %s (virsh undefine %s)", c->o->name,
                  cli_virt_error(), c->o->name);
}
