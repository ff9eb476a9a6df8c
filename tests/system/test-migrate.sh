#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Live migration, one host's side, with the built hook and the real exportfs in a private mount
# namespace (the two-host run is the migration label's): `migrate begin` on the destination
# refuses in one line, printing nothing on stdout and changing nothing, whatever would keep the
# guest from its root here (export root or path, the network, its gateway address and bridge
# MAC, the server's state, a running domain holding the path); it is silent when all is well.
# `release end migrated` on the source takes down only this domain's exports, and `prepare` of
# an incoming guest with a record of an earlier stay here is idempotent.
# Usage: test-migrate.sh HOOK
set -u
HOOK=$(readlink -f "$1")
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
nfsroot_isolate "$0" "$@"

run_hook() { "$HOOK" "$1" "$2" "$3" "${4:--}"; } # NAME OP SUBOP [EXTRA] < xml
one_line() { [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] && printf '%s' "$1" | grep -qF -- "$2"; }
net_file=$W/net/default.xml
net_with_mac() { # net_with_mac MAC|"": the sandbox network, pinning MAC (none when empty)
    sandbox_network "$W/net" 52:54:00:00:00:fe 192.168.122.254
    [ -z "$1" ] || sed -i "s|<bridge name='virbr0'/>|&<mac address='$1'/>|" "$net_file"
}

mkdir -p "$W/admin"
echo "$W/admin 127.0.0.1(ro,sync,no_subtree_check)" > /etc/exports.d/admin.exports
exportfs -ra
mkdir -p "$W/export/vm1"
domain_xml vm1 > "$W/vm1.xml"
cmdline_xml() { # cmdline_xml NAME CMDLINE: vm1's domain with a kernel command line (XML text)
    local c=${2//\\/\\\\}
    c=${c//&/\\&}
    c=${c//#/\\#}
    domain_xml "$1" "path=\"$W/export/vm1\"" |
        sed "s#<os><type arch='x86_64'>hvm</type></os>#<os><type arch='x86_64'>hvm</type><cmdline>$c</cmdline></os>#"
}

# refused NAME XML-FILE EXPECTED-SUBSTRING: migrate begin exits 1 with one line, stdout empty,
# host exports and records unchanged.
records() { find "$W/state" -name '*.state' -exec cat {} + 2>/dev/null; }
refused() {
    local before out rc
    before=$(snapshot; records)
    out=$(run_hook vm1 migrate begin < "$2" 2>"$W/err"); rc=$?
    check "$1: migrate begin exits 1 ($(cat "$W/err"))" [ $rc -eq 1 ]
    check "$1: one line naming the domain, saying '$3'" sh -c "$(declare -f one_line)
        one_line \"\$1\" \"\$2\" && one_line \"\$1\" \"\$3\"" _ "$(cat "$W/err")" \
        "virt-nfsroot: domain 'vm1': " "$3"
    check "$1: nothing on stdout (libvirt would take it as the new XML)" [ -z "$out" ]
    check "$1: host exports and records unchanged" [ "$(snapshot; records)" = "$before" ]
}
accepted() { # accepted NAME XML-FILE
    local before out rc
    before=$(snapshot; records)
    out=$(run_hook vm1 migrate begin < "$2" 2>&1); rc=$?
    check "$1: migrate begin exits 0, silent ($out)" [ $rc -eq 0 -a -z "$out" ]
    check "$1: host exports and records unchanged" [ "$(snapshot; records)" = "$before" ]
}

# 1. An unannotated guest: not ours, nothing said.
printf "<domain><name>plain</name><uuid>00000000-0000-4000-8000-000000000001</uuid></domain>" > "$W/plain.xml"
out=$(run_hook plain migrate begin < "$W/plain.xml" 2>&1); rc=$?
check "unannotated guest: exit 0, silent" [ $rc -eq 0 -a -z "$out" ]

# 2. The bridge MAC: libvirt gives a network without <mac> a random one per host, so every host
# must pin the one derived from the network's name and gateway address.
net_with_mac ""
refused "network without a bridge MAC" "$W/vm1.xml" \
    "network 'default' gives its bridge MAC '(none)', not '52:54:00:"
want=$(sed -n "s/.*pin <mac address='\([0-9a-f:]*\)'.*/\1/p" "$W/err")
check "the sentence gives the MAC to pin ($want)" \
    sh -c "printf '%s' '$want' | grep -Eqx '52:54:00(:[0-9a-f]{2}){3}'"
net_with_mac 52:54:00:12:34:56
refused "network with another bridge MAC" "$W/vm1.xml" \
    "network 'default' gives its bridge MAC '52:54:00:12:34:56', not '$want', which every host derives for it"
net_with_mac "${want^^}"
accepted "the derived bridge MAC (upper case in the XML)" "$W/vm1.xml"

# 3. The export root and path.
rmdir "$W/export/vm1"
refused "export path missing here" "$W/vm1.xml" "does not exist"
mkdir -p "$W/export/vm1"
mv "$W/export" "$W/export.away"
refused "export root missing here" "$W/vm1.xml" "does not exist"
mv "$W/export.away" "$W/export"
ln -s /etc "$W/export/evil"
domain_xml vm1 "path=\"$W/export/evil\"" > "$W/evil.xml"
refused "export path a symbolic link here" "$W/evil.xml" "through a symbolic link"

# 4. The network and the guest's NFS server address (its root= on the kernel command line).
mv "$net_file" "$W/net.away"
refused "network not active here" "$W/vm1.xml" "network 'default' is not active"
mv "$W/net.away" "$net_file"
cmdline_xml vm1 "root=nfs4:192.168.122.9:$W/export/vm1 ip=dhcp" > "$W/server.xml"
refused "root= names another server" "$W/server.xml" \
    "the guest mounts its root from '192.168.122.9', but this host's address on network 'default' is '192.168.122.1'"
# The boot check's rule is the one migrate begin judges by: a root= without a server mounts
# from ip='s server (dracut's rule), so another address there is refused as well.
ip_static="192.168.122.5:192.168.122.9:192.168.122.1:255.255.255.0:vm1:eth0:none"
cmdline_xml vm1 "root=nfs4:$W/export/vm1 ip=$ip_static" > "$W/ipserver.xml"
refused "root= without a server, ip= names another" "$W/ipserver.xml" \
    "the guest mounts its root from '192.168.122.9', but this host's address on network 'default' is '192.168.122.1'"
cmdline_xml vm1 "root=nfs4:$W/export/vm1 ip=${ip_static/122.9/122.1}" > "$W/ipgw.xml"
accepted "root= without a server, ip= names the gateway" "$W/ipgw.xml"
cmdline_xml vm1 "root=nfs4:nfsserver.example:$W/export/vm1 ip=dhcp" > "$W/name.xml"
refused "root= names a host name" "$W/name.xml" \
    "the guest mounts its root from 'nfsserver.example', which is not an address"
cmdline_xml vm1 "root=nfs4:192.168.122.1:$W/export/vm1 ip=dhcp" > "$W/gw.xml"
accepted "root= names the gateway address" "$W/gw.xml"

# 4b. Hostile root= servers (the domain's editor writes the command line): refused in one
# printable line, never an address this host does not have.
long=$(printf 'a%.0s' $(seq 250))
i=0
for server in "192.168.122.9:$W/export/vm1&#10;virt-nfsroot: forged" "192.168.122.1&#127;" \
    "192.168.122.1&#x202e;" "192.168.122.1&#27;[2J" "$long" \
    "0300.0250.0172.01" "192.168.122.1/24" "0.0.0.0" "[::1]" "127.0.0.1" "192.168.122.255" \
    "'\$(reboot)'" "192.168.122.1%virbr0"; do
    i=$((i + 1))
    cmdline_xml vm1 "root=nfs4:$server:$W/export/vm1 ip=dhcp" > "$W/hostile$i.xml"
    out=$(run_hook vm1 migrate begin < "$W/hostile$i.xml" 2>"$W/err"); rc=$?
    check "hostile root= server #$i: exit 1 ($(head -c 300 "$W/err"))" [ $rc -eq 1 ]
    check "hostile root= server #$i: one printable line, stdout empty" sh -c \
        "[ \$(wc -l <'$W/err') -eq 1 ] && ! LC_ALL=C grep -q '[[:cntrl:]]' '$W/err' &&
         ! grep -q \$(printf '\342\200\256') '$W/err' && [ \$(wc -c <'$W/err') -lt 1024 ] && [ -z '$out' ]"
done

# 5. The kernel server: no threads, or in its NFSv4 grace period (a fake /proc/fs/nfsd here).
# Unchecked, a failed mount would leave these writes to the machine's own nfsd.
ns_tmpfs /proc/fs/nfsd || { fail "cannot put a tmpfs over /proc/fs/nfsd"; finish; }
echo 0 > /proc/fs/nfsd/threads
refused "nfsd runs no threads" "$W/vm1.xml" "the kernel NFS server of this host runs no threads"
echo 8 > /proc/fs/nfsd/threads
echo N > /proc/fs/nfsd/v4_end_grace
refused "nfsd in grace" "$W/vm1.xml" "the kernel NFS server of this host is in its NFSv4 grace period"
echo Y > /proc/fs/nfsd/v4_end_grace
accepted "nfsd running, grace over" "$W/vm1.xml"
umount /proc/fs/nfsd

# 6. A running domain here holding the path read-write: prepare would refuse, so this does.
domain_xml holder "path=\"$W/export/vm1\"" > "$W/holder.xml"
run_hook holder prepare begin < "$W/holder.xml"
refused "a running domain holds the path" "$W/vm1.xml" "overlaps"
run_hook holder release end < "$W/holder.xml"

# 7. The source side: release end with reason 'migrated' takes down this domain's exports only:
# another domain's and the admin's stay, and a read-only path the other still shares stays.
mkdir -p "$W/export/vm2" "$W/export/common"
with_common() { domain_xml "$1" "path=\"$W/export/$1\"" | sed "s|<nfsroot:export path=\"$W/export/$1\"/>|&<nfsroot:export path=\"$W/export/common\" readonly=\"yes\"/>|"; }
with_common vm1 > "$W/vm1c.xml"
with_common vm2 > "$W/vm2c.xml"
check "vm1 with the shared path: prepare" run_hook vm1 prepare begin < "$W/vm1c.xml"
check "vm2 with the shared path: prepare" run_hook vm2 prepare begin < "$W/vm2c.xml"
check "  ... vm1's root is exported" etab_has "$W/export/vm1" 192.168.122.0/24
check "vm1 and vm2 share the read-only path" etab_has "$W/export/common" 192.168.122.0/24
out=$(run_hook vm1 release end migrated < "$W/vm1c.xml" 2>&1); rc=$?
check "release end migrated: exit 0, silent ($out)" [ $rc -eq 0 -a -z "$out" ]
check "  ... vm1's root is no longer exported" sh -c "! grep -q '^$W/export/vm1	' /var/lib/nfs/etab"
check "  ... nor recorded" [ ! -e "$W/state/domains/vm1.state" ]
check "  ... vm2's root stays" etab_has "$W/export/vm2" 192.168.122.0/24
check "  ... the path vm2 shares stays exported" etab_has "$W/export/common" 192.168.122.0/24
check "  ... the admin's export stays" etab_has "$W/admin" 127.0.0.1
run_hook vm2 release end < "$W/vm2c.xml"

# 8. The destination side: an incoming guest whose record of an earlier stay here is still
# there (the release of that stay never ran) is prepared again, idempotently.
check "an earlier stay: prepare" run_hook vm1 prepare begin < "$W/vm1.xml"
fsid=$(sed -n "s|^$W/export/vm1	.*fsid=\([0-9a-f-]*\).*|\1|p" /var/lib/nfs/etab)
check "  ... its etab line has an fsid ($fsid)" [ -n "$fsid" ]
check "the incoming guest: prepare again with that record exits 0" \
    run_hook vm1 prepare begin < "$W/vm1.xml"
check "  ... one etab line for its root" [ "$(grep -c "^$W/export/vm1	" /var/lib/nfs/etab)" -eq 1 ]
check "  ... with the same fsid ($fsid)" grep -q "^$W/export/vm1	.*fsid=$fsid" /var/lib/nfs/etab
check "  ... and one record" [ "$(ls "$W/state/domains")" = vm1.state ]
run_hook vm1 release end migrated < "$W/vm1.xml"
check "  ... released: nothing of ours left" sh -c "! ls /etc/exports.d/virt-nfsroot-* 2>/dev/null"

finish
