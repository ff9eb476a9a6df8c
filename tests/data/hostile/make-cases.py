#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the hostile corpus: one folder per case under tests/data/hostile/.

Each case is a domain XML a guest's owner could hand to libvirt, and what the host must say when
it refuses it (see tests/unit/plan-case.c for the folder format). Run it after changing a case,
then `NFSROOT_REGENERATE=1 ctest -R '^hostile\\.'` and read every `expected`.
Optional per-case files beyond plan-case's:
  hook-exit   the hook's expected exit status at `prepare begin` when it is not 1 (0: the hook
              must see no metadata of ours and touch nothing)
The 50 MB case is generated at test time (tests/fault/make-huge-case.sh), not kept here.
"""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NS = "http://virt-nfsroot.org/xmlns/domain/1.0"
EXP = "@ROOT@/export"

NIC = ("<interface type='network'><mac address='52:54:00:aa:bb:01'/>"
       "<source network='default'/></interface>")


def domain(meta, name="vm1", uuid="4b1c2d3e-1111-2222-3333-444455556666", devices=NIC,
           prolog="", root_open="<domain type='qemu'>", extra=""):
    uuid_el = f"  <uuid>{uuid}</uuid>\n" if uuid is not None else ""
    name_el = f"  <name>{name}</name>\n" if name is not None else ""
    return (f"{prolog}{root_open}\n{name_el}{uuid_el}  <memory unit='MiB'>512</memory>\n"
            f"  <metadata>\n{meta}\n  </metadata>\n{extra}"
            "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n  </os>\n"
            f"  <devices>\n    {devices}\n  </devices>\n</domain>\n")


def ours(body="", attrs=""):
    if not body:
        return f'    <nfsroot:nfsroot xmlns:nfsroot="{NS}"{attrs}/>'
    return f'    <nfsroot:nfsroot xmlns:nfsroot="{NS}"{attrs}>\n{body}\n    </nfsroot:nfsroot>'


def export(attrs):
    return f"      <nfsroot:export {attrs}/>"


CASES = {}


def case(name, xml, setup=("dir export/vm1",), policy=None, network=None, hook_exit=None):
    assert name not in CASES, name
    CASES[name] = dict(xml=xml, setup=setup, policy=policy, network=network,
                       hook_exit=hook_exit)


def path_case(name, path, setup=("dir export/vm1",), policy=None):
    case(name, domain(ours(export(f'path="{path}"'))), setup, policy)


def clients_case(name, clients, network=None):
    case(name, domain(ours(export(f'clients="{clients}"'))), network=network)


def options_case(name, options, policy=None):
    case(name, domain(ours(export(f'options="{options}"'))), policy=policy)


# ---- export paths: traversal, relative, symlinks ------------------------------------------
path_case("path-dotdot-to-etc", f"{EXP}/vm1/../../../../etc")
path_case("path-dotdot-trailing", f"{EXP}/vm1/..")
path_case("path-dot-component", f"{EXP}/./vm1")
path_case("path-double-slash", f"{EXP}//vm1")
path_case("path-trailing-slash", f"{EXP}/vm1/")
path_case("path-relative-plain", "export/vm1")
path_case("path-relative-dot", "./vm1")
path_case("path-relative-dotdot", "../../etc")
path_case("path-absolute-etc", "/etc")
path_case("path-slash", "/")
path_case("path-proc-self-root", "/proc/self/root/etc")
path_case("path-export-root-itself", EXP)
path_case("path-prefix-sibling", "@ROOT@/exportevil/vm1", setup=("dir exportevil/vm1",))
path_case("path-symlink-absolute-etc", f"{EXP}/evil", setup=("link export/evil /etc",))
path_case("path-symlink-relative-up", f"{EXP}/up", setup=("link export/up ../..",))
path_case("path-symlink-chain-to-root", f"{EXP}/a",
          setup=("link export/a b", "link export/b c", "link export/c /"))
path_case("path-symlink-intermediate", f"{EXP}/lnk/share", setup=("link export/lnk /usr",))
path_case("path-symlink-loop", f"{EXP}/loop", setup=("link export/loop loop",))
path_case("path-symlink-to-root-itself", f"{EXP}/self", setup=("link export/self .",))
path_case("path-symlink-absolute-inside", f"{EXP}/abs",
          setup=("dir export/vm1", "link export/abs @ROOT@/export/vm1"))
path_case("path-symlink-dangling", f"{EXP}/gone", setup=("link export/gone nowhere",))
path_case("path-symlink-proc", f"{EXP}/p", setup=("link export/p /proc/self/root",))
path_case("path-through-file", f"{EXP}/f/sub", setup=("file export/f",))
path_case("path-is-a-file", f"{EXP}/f", setup=("file export/f",))
path_case("path-empty", "")
path_case("path-state-dir", "@ROOT@/state/domains",
          setup=("dir state/domains",), policy="export_roots = @ROOT@\n")
path_case("path-contains-exports-dir", "@ROOT@/run",
          setup=("dir run/exports.d",),
          policy="export_roots = @ROOT@\nexports_dir = @ROOT@/run/exports.d\n")
path_case("path-forbidden-etc-root", "/etc/default", policy="export_roots = /etc\n")
path_case("path-forbidden-var-lib-nfs", "/var/lib/nfs",
          policy="export_roots = /var/lib\n")
path_case("path-duplicate-through-symlink", f"{EXP}/vm1",
          setup=("dir export/vm1", "link export/alias vm1"))
# (the duplicate needs two exports: rewrite that case's XML)
CASES["path-duplicate-through-symlink"]["xml"] = domain(ours(
    export(f'path="{EXP}/vm1"') + "\n" + export(f'path="{EXP}/alias" role="extra"')))
path_case("path-too-long", "/export/" + "a" * 2000)
path_case("path-component-too-long", f"{EXP}/" + "b" * 300)
path_case("path-percent-dotdot", f"{EXP}/%2e%2e/%2e%2e/etc")

# ---- export paths: characters exports(5) or a shell would read differently ------------------
path_case("path-newline-injection", f"{EXP}/vm1&#10;/ *(rw,no_root_squash)")
path_case("path-carriage-return", f"{EXP}/vm1&#13;")
path_case("path-space", f"{EXP}/vm1 *(rw)")
path_case("path-tab", f"{EXP}/vm1&#9;*(rw)")
path_case("path-parenthesis", f"{EXP}/vm1(rw)")
path_case("path-comma", f"{EXP}/vm1,rw")
path_case("path-hash", f"{EXP}/vm1#comment")
path_case("path-double-quote", f"{EXP}/&quot;vm1&quot;")
path_case("path-single-quote", f"{EXP}/vm1'")
path_case("path-backslash", f"{EXP}/vm1\\040")
path_case("path-dollar", f"{EXP}/$(reboot)")
path_case("path-glob", f"{EXP}/*")
path_case("path-nul-entity", f"{EXP}/vm1&#0;/etc")
path_case("path-control-entity", f"{EXP}/vm1&#1;")
path_case("path-del-char", f"{EXP}/vm1&#127;")
path_case("path-utf8-non-ascii", f"{EXP}/vm\u00e9")
path_case("path-fullwidth-solidus", f"{EXP}/vm1\uff0f..\uff0fetc")
path_case("path-bidi-override", f"{EXP}/\u202evm1")

# ---- clients ---------------------------------------------------------------------------------
clients_case("clients-star", "*")
clients_case("clients-any-v4", "0.0.0.0/0")
clients_case("clients-any-v6", "::/0")
clients_case("clients-any-both", "192.168.122.5,::/0")
clients_case("clients-hostname", "evil.example.com")
clients_case("clients-localhost", "localhost")
clients_case("clients-wildcard-host", "*.example.com")
clients_case("clients-netgroup", "@trusted")
clients_case("clients-gss", "gss/krb5")
clients_case("clients-space-injection", "192.168.122.5 *(rw)")
clients_case("clients-parenthesis", "192.168.122.5(rw,no_root_squash)")
clients_case("clients-newline", "192.168.122.5&#10;/ *(rw)")
clients_case("clients-tab", "192.168.122.5&#9;*")
clients_case("clients-hash", "192.168.122.5#x")
clients_case("clients-quote", "&quot;192.168.122.5&quot;")
clients_case("clients-empty", "")
clients_case("clients-empty-item", "192.168.122.5,,192.168.122.6")
clients_case("clients-trailing-comma", "192.168.122.5,")
clients_case("clients-host-bits", "192.168.122.5/24")
clients_case("clients-prefix-33", "192.168.122.0/33")
clients_case("clients-prefix-leading-zero", "192.168.122.0/024")
clients_case("clients-prefix-negative", "192.168.122.0/-1")
clients_case("clients-prefix-double", "192.168.122.0/24/24")
clients_case("clients-octal-v4", "0300.0250.0172.05")
clients_case("clients-short-v4", "192.168.122")
clients_case("clients-hex-v4", "0xc0.0xa8.0x7a.0x05")
clients_case("clients-wider-v4", "192.168.0.0/16")
clients_case("clients-loopback", "127.0.0.1")
clients_case("clients-other-subnet", "10.0.0.0/8")
clients_case("clients-v6-zone", "fe80::1%eth0")
clients_case("clients-v6-brackets", "[fd77::5]")
clients_case("clients-v4-mapped-v6", "::ffff:192.168.122.5")
clients_case("clients-v4-compat-v6", "::192.168.122.5")
clients_case("clients-v6-loopback", "::1")
clients_case("clients-v6-outside", "fd78::/64")
clients_case("clients-v6-too-long", "fd77:0:0:0:0:0:0:0:5")
clients_case("clients-v6-triple-colon", "fd77:::5")
PINNED_NIC = ("<interface type='network'><mac address='52:54:00:00:77:02'/>"
              "<source network='pinned'/></interface>")
case("clients-v6-wider-than-network",
     domain(ours(export('clients="fd77::/48"')), devices=PINNED_NIC))

# ---- options ---------------------------------------------------------------------------------
options_case("options-fsid-root", "rw,fsid=0")
options_case("options-crossmnt", "crossmnt")
options_case("options-nohide", "nohide")
options_case("options-insecure-locks", "insecure_locks")
options_case("options-mountpoint", "mountpoint=/x")
options_case("options-refer", "refer=/etc@10.0.0.1")
options_case("options-newline-injection", "rw&#10;/ *(rw,no_root_squash)")
options_case("options-space", "rw, sync")
options_case("options-paren-injection", "rw) *(rw")
options_case("options-hash", "rw#x")
options_case("options-uppercase", "RW")
options_case("options-unknown", "bogus")
options_case("options-empty-value", "sec=")
options_case("options-value-slash", "sec=sys/../../x")
options_case("options-no-root-squash-not-allowed", "no_root_squash",
             policy="allowed_options = ro, rw, sync\n")
options_case("options-rw-contradicts-readonly", "rw")
CASES["options-rw-contradicts-readonly"]["xml"] = domain(ours(
    export('readonly="yes" options="rw"')))

# ---- our element: structure, duplicates, namespaces ------------------------------------------
case("dup-nfsroot-element", domain(ours() + "\n" + ours()))
case("dup-attribute", domain(ours(export(f'path="{EXP}/vm1" path="/etc"'))))
case("unknown-element", domain(ours("      <nfsroot:mount path=\"/etc\"/>")))
case("unknown-attribute", domain(ours(export('fsid="0"'))))
case("namespaced-attribute", domain(ours(export('nfsroot:path="/etc"'))))
case("foreign-element-inside", domain(ours(
    '      <evil:export xmlns:evil="http://evil.example/ns" path="/etc"/>')))
case("unqualified-export", domain(ours('      <export path="/etc"/>')))
case("export-with-child", domain(ours(
    f'      <nfsroot:export path="{EXP}/vm1"><nfsroot:export path="/etc"/></nfsroot:export>')))
case("export-with-text", domain(ours(
    f'      <nfsroot:export path="{EXP}/vm1">/etc</nfsroot:export>')))
case("export-with-cdata", domain(ours(
    f'      <nfsroot:export path="{EXP}/vm1"><![CDATA[/etc]]></nfsroot:export>')))
case("nfsroot-with-attribute", domain(ours(attrs=' path="/etc"')))
case("nfsroot-with-text", domain(
    f'    <nfsroot:nfsroot xmlns:nfsroot="{NS}">/etc</nfsroot:nfsroot>'))
case("nfsroot-processing-instruction", domain(ours("      <?exportfs /etc *(rw)?>")))
case("xinclude-inside", domain(ours(
    '      <xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/>')))
case("too-many-exports", domain(ours("\n".join(
    export(f'path="{EXP}/vm1" clients="192.168.122.{i}" role="extra"') for i in range(1, 70)))))
case("two-root-roles", domain(ours(
    export(f'path="{EXP}/vm1" role="root"') + "\n" + export(f'path="{EXP}/vm2" role="root"'))),
    setup=("dir export/vm1", "dir export/vm2"))
case("role-unknown", domain(ours(export('role="admin"'))))
case("readonly-not-yes-no", domain(ours(export('readonly="true"'))))
case("namespace-version-2", domain(
    '    <nfsroot:nfsroot xmlns:nfsroot="http://virt-nfsroot.org/xmlns/domain/2.0"/>'))
case("namespace-version-1.1", domain(
    '    <nfsroot:nfsroot xmlns:nfsroot="http://virt-nfsroot.org/xmlns/domain/1.1"/>'))
case("namespace-version-0.9", domain(
    '    <nfsroot:nfsroot xmlns:nfsroot="http://virt-nfsroot.org/xmlns/domain/0.9"/>'))
case("namespace-suffix-trick", domain(
    f'    <nfsroot:nfsroot xmlns:nfsroot="{NS}/"/>'))
case("namespace-wrong-local-name", domain(
    f'    <nfsroot:root xmlns:nfsroot="{NS}"/>'))
case("namespace-default-ns", domain(
    f'    <nfsroot xmlns="{NS}"><export path="/etc"/></nfsroot>'))
case("metadata-outside-metadata", domain(
    "", extra=f'  <nfsroot:nfsroot xmlns:nfsroot="{NS}"/>\n'), hook_exit=0)
case("namespace-mentioned-in-comment", domain(f"    <!-- {NS} -->"), hook_exit=0)

# ---- the domain's own fields ------------------------------------------------------------------
case("name-too-long", domain(ours(), name="n" * 300))
case("name-empty", domain(ours(), name=""))
case("name-missing", domain(ours(), name=None))
case("name-slash", domain(ours(), name="../../etc"))
case("name-dot", domain(ours(), name=".hidden"))
case("name-newline", domain(ours(), name="vm1&#10;/ *(rw)"))
case("name-quote", domain(ours(), name="vm1'"))
case("name-default-path-escape", domain(ours(), name=".."))
case("uuid-path-traversal", domain(ours(), uuid="../../../../etc/exports.d/x.exports"))
case("uuid-not-hex", domain(ours(), uuid="zzzzzzzz-1111-2222-3333-444455556666"))
case("uuid-missing", domain(ours(), uuid=None))
case("root-element-not-domain", f'<nfsroot:nfsroot xmlns:nfsroot="{NS}"/>\n')
case("root-element-namespaced", domain(ours(),
     root_open="<domain xmlns='http://evil.example/ns' type='qemu'>"))
case("nic-network-path-traversal", domain(ours(), devices=(
    "<interface type='network'><mac address='52:54:00:aa:bb:01'/>"
    "<source network='../../../etc/passwd'/></interface>")))
# (a sysfs where 'lo' is a bridge, so the loopback refusal itself is what answers)
case("nic-bridge-loopback", domain(ours(), devices=(
    "<interface type='bridge'><mac address='52:54:00:aa:bb:01'/>"
    "<source bridge='lo'/></interface>")),
    setup=("dir export/vm1", "dir sys/lo/bridge"), policy="sysfs_net_dir = @ROOT@/sys\n")
case("nic-direct-only", domain(ours(), devices=(
    "<interface type='direct'><mac address='52:54:00:aa:bb:01'/>"
    "<source dev='eth0' mode='bridge'/></interface>")))
case("nic-network-prefix-zero", domain(ours(), devices=(
    "<interface type='network'><mac address='52:54:00:aa:bb:01'/>"
    "<source network='world'/></interface>")), network="world")

# ---- XML attacks --------------------------------------------------------------------------------
LAUGHS = "".join(
    f'  <!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">\n' for i in range(1, 10))
case("billion-laughs", domain(ours(export('path="&lol9;"')),
     prolog='<?xml version="1.0"?>\n<!DOCTYPE domain [\n  <!ENTITY lol0 "lol">\n'
     + LAUGHS + "]>\n"))
case("quadratic-blowup", domain(ours(export('path="' + "&big;" * 2000 + '"')),
     prolog='<!DOCTYPE domain [<!ENTITY big "' + "x" * 20000 + '">]>\n'))
case("xxe-file-passwd", domain(ours(export('path="&xxe;"')),
     prolog='<!DOCTYPE domain [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'))
case("xxe-http", domain(ours(export('path="&xxe;"')),
     prolog='<!DOCTYPE domain [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>\n'))
case("xxe-parameter-entity", domain(ours(),
     prolog='<!DOCTYPE domain [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n'))
case("xxe-external-dtd", domain(ours(),
     prolog='<!DOCTYPE domain SYSTEM "http://127.0.0.1:9/evil.dtd">\n'))
case("doctype-harmless", domain(ours(), prolog="<!DOCTYPE domain>\n"))
case("entity-in-text", domain(ours(), name="&n;",
     prolog='<!DOCTYPE domain [<!ENTITY n "vm1">]>\n'))
case("undefined-entity", domain(ours(export('path="&nope;"'))))
case("deep-nesting", domain(ours(), extra="<a>" * 5000 + "</a>" * 5000 + "\n"))
case("unclosed-element", domain(ours()).replace("</domain>", ""))
case("two-root-elements", domain(ours()) + "<domain/>\n")
case("attribute-1mb", domain(ours(export('clients="' + "1" * (1024 * 1024) + '"'))))
case("xml-1-1-control-char", domain(ours(export(f'path="{EXP}/vm1&#x1;"')),
     prolog='<?xml version="1.1"?>\n'))
case("encoding-latin1-declared", domain(ours(export(f'path="{EXP}/vm\u00e9"')),
     prolog='<?xml version="1.0" encoding="ISO-8859-1"?>\n'))

# --- issue 10: nested exports and directories above an export ---
# Inside its rw export the guest is root: a second export below it can become a link to "/".
case("path-nested-rw-root-and-sub", domain(ours(
    export(f'path="{EXP}/vm1"') + "\n" + export(f'path="{EXP}/vm1/data" role="extra"'))),
    setup=("dir export/vm1/data",))
case("path-nested-default-root-and-ro-sub", domain(ours(
    export("") + "\n" + export(f'path="{EXP}/vm1/data" readonly="yes" role="extra"'))),
    setup=("dir export/vm1/data",))
case("path-nested-rw-inside-ro", domain(ours(
    export(f'path="{EXP}/vm1/data"') + "\n" + export(f'path="{EXP}/vm1" readonly="yes" '
                                                       'role="extra"'))),
    setup=("dir export/vm1/data",))
# Whoever can write a directory between the export root and the export can swap the export.
path_case("path-intermediate-user-owned", f"{EXP}/vm1/home/alice/proj",
          setup=("dir export/vm1/home/alice/proj", "chown export/vm1/home/alice 1000"))
path_case("path-intermediate-group-writable", f"{EXP}/grp/vm1",
          setup=("dir export/grp/vm1", "chmod export/grp 0775"))
path_case("path-intermediate-sticky-world-writable", f"{EXP}/tmp/vm1",
          setup=("dir export/tmp/vm1", "chmod export/tmp 1777"))
path_case("path-intermediate-user-owned-via-link", f"{EXP}/alias",
          setup=("dir export/a/vm1", "chown export/a 1000", "link export/alias a/vm1"))

# --- issue 10: limits that keep records exact and the lock hold short ---
# The 1,100-character option whose tail the old record reader took for the client 2130706433.
options_case("limits-option-1100-chars",
             "rw,no_root_squash,insecure,anonuid=" + "0" * (1099 - 35) + "2130706433")
options_case("limits-option-65-chars", "anonuid=" + "0" * 56 + "5")
options_case("limits-options-total-over-200",
             "anonuid=" + "0" * 55 + "5,anongid=" + "0" * 55 + "5,sec=" + "sys:" * 14 + "sys")
clients_case("limits-clients-17", ",".join(f"192.168.122.{i}" for i in range(10, 27)))
clients_case("limits-clients-222", ",".join(f"192.168.122.{i % 250 + 1}" for i in range(222)))
case("limits-exports-17", domain(ours("\n".join(
    export(f'path="{EXP}/vm{i}" role="extra"') for i in range(1, 18)))))
case("limits-pairs-33", domain(ours("\n".join(
    export(f'path="{EXP}/vm{i}" clients="' +
           ",".join(f"192.168.122.{10 * i + j}" for j in range(11)) + '"')
    for i in range(1, 4)))), setup=("dir export/vm1", "dir export/vm2", "dir export/vm3"))

# --- found by the domain fuzzer: anonuser/anongroup without a name crashed the hook ---
options_case("options-anonuser-without-name", "rw,anonuser")
options_case("options-anongroup-without-name", "anongroup")

# Byte-level cases: written raw below.
RAW = {}
RAW["non-utf8-byte-in-path"] = domain(ours(export(f'path="{EXP}/vm1XX"'))).encode().replace(
    b"XX", b"\xff\xfe")
RAW["non-utf8-overlong-slash"] = domain(ours(export(f'path="{EXP}/XX..XXetc"'))).encode().replace(
    b"XX", b"\xc0\xaf")
RAW["non-utf8-byte-in-name"] = domain(ours(), name="vmXX").encode().replace(b"XX", b"\xe9")
RAW["nul-byte-in-path"] = domain(ours(export(f'path="{EXP}/vm1XX/etc"'))).encode().replace(
    b"XX", b"\x00")
RAW["utf16-with-bom"] = ("\ufeff" + domain(ours(export('path="/etc"')))).encode("utf-16-le")
for k in RAW:
    CASES[k] = dict(xml=None, setup=("dir export/vm1",), policy=None, network=None,
                    hook_exit=None)
# UTF-16 hides our namespace from the hook's byte-level fast path: nothing is exported.
CASES["utf16-with-bom"]["hook_exit"] = 0

NETWORKS = {
    "world": ("<networkstatus><network><name>world</name><bridge name='virbr9'/>"
              "<ip address='10.9.0.1' prefix='0'/></network></networkstatus>\n"),
}


# --- issue 10: trust (bridges, DHCP hosts, UUIDs) ---
BRIDGE_NIC = ("<interface type='bridge'><mac address='52:54:00:aa:bb:01'/>"
              "<source bridge='{}'/></interface>")
# An interface that exists but is no bridge: its subnet is not the guest's network.
case("nic-bridge-not-a-bridge", domain(ours(), devices=BRIDGE_NIC.format("lo")))
case("nic-bridge-not-a-bridge-fake-sysfs", domain(ours(), devices=BRIDGE_NIC.format("lo")),
     setup=("dir export/vm1", "dir sys/lo"), policy="sysfs_net_dir = @ROOT@/sys\n")
# A network without <ip> whose <bridge> names a non-bridge interface.
case("nic-network-bridge-not-a-bridge", domain(ours(), devices=(
    "<interface type='network'><mac address='52:54:00:aa:bb:01'/>"
    "<source network='uplink'/></interface>")), network="uplink")
NETWORKS["uplink"] = ("<network><name>uplink</name><forward mode='bridge'/>"
                      "<bridge name='lo'/></network>\n")


def dhcp_host_case(name, ip):
    net = "pin-" + name
    NETWORKS[net] = ("<networkstatus><network><name>" + net + "</name><bridge name='virbr9'/>"
                     "<ip address='192.168.122.1' netmask='255.255.255.0'><dhcp>"
                     "<range start='192.168.122.2' end='192.168.122.254'/>"
                     "<host mac='52:54:00:aa:bb:01' ip='" + ip + "'/>"
                     "</dhcp></ip></network></networkstatus>\n")
    case("dhcp-host-" + name, domain(ours(), devices=(
        "<interface type='network'><mac address='52:54:00:aa:bb:01'/>"
        "<source network='" + net + "'/></interface>")), network=net)


# A static DHCP host address is the export's only client: the checks a subnet gets.
dhcp_host_case("loopback", "127.0.0.1")
dhcp_host_case("unspecified", "0.0.0.0")
dhcp_host_case("outside-subnet", "10.0.0.5")
dhcp_host_case("v6-in-v4", "fd00::5")
# UUIDs: what libvirt's virUUIDParse() refuses (32 hex digits, '-' or ' ' only between pairs).
case("uuid-all-dashes", domain(ours(), uuid="-" * 36))
case("uuid-dash-inside-pair", domain(ours(), uuid="4-b1c2d3e1111222233334444555566667"))
case("uuid-31-digits", domain(ours(), uuid="4b1c2d3e-1111-2222-3333-44445555666"))
case("uuid-33-digits", domain(ours(), uuid="4b1c2d3e-1111-2222-3333-4444555566667"))
case("uuid-trailing-garbage", domain(ours(), uuid="4b1c2d3e-1111-2222-3333-444455556666x"))


def main():
    keep = set(CASES)
    for d in os.listdir(HERE):
        p = os.path.join(HERE, d)
        if os.path.isdir(p) and d not in keep and not d.startswith("_"):
            shutil.rmtree(p)
    for name, c in CASES.items():
        d = os.path.join(HERE, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "domain.xml"), "wb") as f:
            f.write(RAW[name] if name in RAW else c["xml"].encode())
        for fname, content in (("setup", "\n".join(c["setup"]) + "\n" if c["setup"] else None),
                               ("policy.conf", c["policy"]),
                               ("hook-exit", None if c["hook_exit"] is None
                                else f"{c['hook_exit']}\n")):
            p = os.path.join(d, fname)
            if content is None:
                if os.path.exists(p):
                    os.unlink(p)
            else:
                with open(p, "w") as f:
                    f.write(content)
        if c["network"]:
            nd = os.path.join(d, "network")
            os.makedirs(nd, exist_ok=True)
            with open(os.path.join(nd, c["network"] + ".xml"), "w") as f:
                f.write(NETWORKS[c["network"]])
    print(f"{len(CASES)} cases", file=sys.stderr)


main()
