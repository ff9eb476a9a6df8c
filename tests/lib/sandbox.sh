# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# The sandbox the tests give the library: a policy file whose every path lies below one
# directory, and the live XML of libvirt's network 'default' that it reads the guest network from.
#   sandbox_network DIR [MAC IP]   DIR/default.xml: network 'default' (virbr0, 192.168.122.1/24,
#                                  DHCP .2 to .254), pinning MAC to IP when they are given
#   sandbox_policy ROOT [LINE...]  ROOT/policy.conf: export_roots ROOT/export, network_dir
#                                  ROOT/net, state_dir ROOT/state, then each extra LINE
#                                  ("key = value"); exported as VIRT_NFSROOT_CONFIG
#   sandbox_domain NAME [OS-EXTRA] [EXPORT-ATTRS] [TYPE]
#                                  a domain with our metadata on network 'default' with the MAC
#                                  52:54:00:00:00:05, on stdout; OS-EXTRA goes inside <os>

sandbox_network() {
    local dir=$1 host=''
    [ $# -ge 3 ] && host="<host mac='$2' ip='$3'/>"
    mkdir -p "$dir"
    cat >"$dir/default.xml" <<EON
<networkstatus><network><name>default</name><bridge name='virbr0'/>
<ip address='192.168.122.1' netmask='255.255.255.0'><dhcp>
<range start='192.168.122.2' end='192.168.122.254'/>$host</dhcp></ip></network></networkstatus>
EON
}

sandbox_policy() {
    local root=$1
    shift
    {
        printf 'export_roots = %s/export\nnetwork_dir = %s/net\nstate_dir = %s/state\n' \
            "$root" "$root" "$root"
        [ $# -eq 0 ] || printf '%s\n' "$@"
    } >"$root/policy.conf"
    export VIRT_NFSROOT_CONFIG=$root/policy.conf
}

sandbox_domain() {
    cat <<EOD
<domain type='${4:-qemu}'>
  <name>$1</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <metadata><nfsroot:nfsroot xmlns:nfsroot="http://virt-nfsroot.org/xmlns/domain/1.0"><nfsroot:export ${3:-}/></nfsroot:nfsroot></metadata>
  <memory unit='MiB'>256</memory>
  <os><type arch='x86_64'>hvm</type>${2:-}</os>
  <devices><interface type='network'><source network='default'/><mac address='52:54:00:00:00:05'/></interface></devices>
</domain>
EOD
}
