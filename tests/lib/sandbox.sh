# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# The sandbox the tests give the library: a policy file whose every path lies below one
# directory, and the live XML of libvirt's network 'default' that it reads the guest network from.
#   sandbox_network DIR [MAC IP]   DIR/default.xml: network 'default' (virbr0, 192.168.122.1/24,
#                                  DHCP .2 to .254), pinning MAC to IP when they are given
#   sandbox_policy ROOT [LINE...]  ROOT/policy.conf: export_roots ROOT/export, network_dir
#                                  ROOT/net, state_dir ROOT/state, owned_dir ROOT/owned,
#                                  qemu_conf ROOT/qemu.conf (QEMU runs as the test's user),
#                                  then each extra LINE
#                                  ("key = value"); exported as VIRT_NFSROOT_CONFIG
#   domain_xml_gen KEY=VALUE...   a domain on stdout, the one generator of the tests' domains:
#       name=NAME                 (required)
#       uuid=UUID type=qemu memory=MIB vcpu=N
#       export=ATTRS              one <nfsroot:export ATTRS/> in our metadata, on its own line;
#                                 repeat it for more; no export= key, no metadata
#       mac=MAC network=default model=MODEL   the one interface (no mac=, no interface)
#       os=XML                    inside <os>, after <type>
#       kernel=PATH initrd=PATH cmdline=TEXT  direct kernel boot of a bootable guest (machine
#                                 pc, ACPI, no memory balloon)
#       serial=FILE               a pty serial port logged to FILE
#       destroy_on="EVENT..."     <on_EVENT>destroy</on_EVENT> (poweroff, reboot, crash)
#       devices=XML               more devices
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
    # QEMU runs as the test's own user: the sandbox's boot files are its to read.
    printf 'user = "+%s"\ngroup = "+%s"\n' "$(id -u)" "$(id -g)" >"$root/qemu.conf"
    {
        printf 'export_roots = %s/export\nnetwork_dir = %s/net\nstate_dir = %s/state\n' \
            "$root" "$root" "$root"
        printf 'owned_dir = %s/owned\n' "$root"
        printf 'qemu_conf = %s/qemu.conf\n' "$root"
        [ $# -eq 0 ] || printf '%s\n' "$@"
    } >"$root/policy.conf"
    export VIRT_NFSROOT_CONFIG=$root/policy.conf
}

# sandbox_hostile_guest ROOT FSTAB_SOURCE: a policy over ROOT whose guest vm1 (MAC
# 52:54:00:00:00:05, 192.168.122.5 on ROOT/net) has an etc/fstab mounting FSTAB_SOURCE (as is:
# fstab(5) octal escapes) on / and an etc/idmapd.conf with a raw ESC in its domain; the host's
# idmapd.conf (ROOT/idmapd.conf) says example.org.
sandbox_hostile_guest() {
    local root=$1 source=$2
    mkdir -p "$root/export/vm1/etc" "$root/net"
    sandbox_network "$root/net" 52:54:00:00:00:05 192.168.122.5
    sandbox_policy "$root" "idmapd_conf = $root/idmapd.conf"
    printf '[General]\nDomain = example.org\n' >"$root/idmapd.conf"
    printf '%s / nfs4 defaults 0 0\n' "$source" >"$root/export/vm1/etc/fstab"
    printf '[General]\nDomain = evil\033]0;owned\007.org\n' >"$root/export/vm1/etc/idmapd.conf"
}

domain_xml_gen() {
    local kv k v name='' uuid='' type=qemu memory='' vcpu='' mac='' network=default model=''
    local os='' kernel='' initrd='' cmdline='' serial='' destroy_on='' devices='' exports=()
    for kv in "$@"; do
        k=${kv%%=*} v=${kv#*=}
        case $k in
            export) exports+=("$v") ;;
            name | uuid | type | memory | vcpu | mac | network | model | os | kernel | initrd | \
                cmdline | serial | destroy_on | devices) printf -v "$k" '%s' "$v" ;;
            *) echo "domain_xml_gen: unknown key '$k'" >&2; return 2 ;;
        esac
    done
    echo "<domain type='$type'>"
    echo "  <name>$name</name>"
    [ -z "$uuid" ] || echo "  <uuid>$uuid</uuid>"
    if [ ${#exports[@]} -gt 0 ]; then
        echo "  <metadata>"
        echo '    <nfsroot:nfsroot xmlns:nfsroot="http://virt-nfsroot.org/xmlns/domain/1.0">'
        printf '      <nfsroot:export %s/>\n' "${exports[@]}"
        echo "    </nfsroot:nfsroot>"
        echo "  </metadata>"
    fi
    [ -z "$memory" ] || echo "  <memory unit='MiB'>$memory</memory>"
    [ -z "$vcpu" ] || echo "  <vcpu>$vcpu</vcpu>"
    if [ -n "$kernel" ]; then
        echo "  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$kernel</kernel>"
        echo "    <initrd>$initrd</initrd><cmdline>$cmdline</cmdline>$os</os>"
        echo "  <features><acpi/><apic/></features>"
        devices+="<memballoon model='none'/>"
    else
        echo "  <os><type arch='x86_64'>hvm</type>$os</os>"
    fi
    for v in $destroy_on; do echo "  <on_$v>destroy</on_$v>"; done
    printf '  <devices>'
    [ -z "$model" ] || model="<model type='$model'/>"
    [ -z "$mac" ] || printf "<interface type='network'><mac address='%s'/><source network='%s'/>%s</interface>" \
        "$mac" "$network" "$model"
    [ -z "$serial" ] || printf "<serial type='pty'><log file='%s' append='off'/></serial>" "$serial"
    printf '%s</devices>\n</domain>\n' "$devices"
}

sandbox_domain() {
    domain_xml_gen name="$1" uuid=11111111-2222-3333-4444-555555555555 type="${4:-qemu}" \
        export="${3:-}" memory=256 os="${2:-}" mac=52:54:00:00:00:05
}
