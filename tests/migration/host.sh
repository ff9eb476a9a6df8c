#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One simulated host of the migration test: the init of its own mount, network, UTS and PID
# namespaces (started by host_start in hosts.sh, never by hand).  It sets the host up the way the
# e2e test sets up its one host (tests/libvirt/harness.sh, tests/lib/ganesha.sh), with what
# migration needs on top:
#   - /export is the export directory every host shares (MIG_SHARED), not a private one;
#   - libvirtd has its own host_uuid and listens on TCP without auth (for `virsh migrate --p2p`);
#   - network 'default' pins the bridge MAC (MIG_BRIDGE_MAC) and the guest's address, the same
#     definition on every host;
#   - the hook's policy (backend ganesha) is /etc/virt-nfsroot.conf through an overlay on /etc
#     private to this host.
# Then it writes MIG_WORK/NAME/ready (or .../failed) and waits; SIGTERM destroys its guests and
# stops its daemons.
#
# Usage: host.sh NAME HOST-UUID HOOK     (environment: MIG_WORK, MIG_SHARED, MIG_BRIDGE_MAC)
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../libvirt/harness.sh
. "$HERE/../libvirt/harness.sh"
# shellcheck source=../lib/ganesha.sh
. "$HERE/../lib/ganesha.sh"
# shellcheck source=../lib/ceph.sh
. "$HERE/../lib/ceph.sh"

NAME=$1 HOST_UUID=$2 HOOK=$3
LV_WORK=$MIG_WORK/$NAME LV_INSIDE=1
export LV_WORK LV_INSIDE
G=$LV_WORK/ganesha

# MIG_BACKEND=ceph (tests/ceph/CMakeLists.txt's ceph.migration): this host is a client of the
# test's Ceph cluster (tests/lib/ceph.sh, on MIG_CEPH_ADDR, reached through the link the test
# gives this host as ceph0 right after it starts): /export is CephFS (ceph-fuse, with ACLs),
# its ganesha is node$NAME of the cluster (FSAL_CEPH, rados_cluster), the policy's backend ceph.
ceph_host() {
    local _
    for _ in $(seq 600); do
        ip -4 -o addr show dev ceph0 2>/dev/null | grep -q inet && break
        sleep 0.1
    done
    umount /export || return 1
    ceph-fuse -c "$CEPH_CONF" --id admin --client_acl_type=posix_acl /export \
        >"$LV_WORK/ceph-fuse.out" 2>&1 || return 1
    ceph_ganesha_conf "node$NAME" 2049 >"$G/ganesha.conf" || return 1
    cat >"$LV_WORK/policy.conf" <<EOF
# virt-nfsroot policy of migration test host $NAME (Ceph)
backend = ceph
validate = strict
export_roots = /export
state_dir = /run/virt-nfsroot
owned_dir = $G/owned
ceph_conf = $CEPH_CONF
ceph_namespace = $CEPH_NS
ceph_node_id = node$NAME
ganesha_bus = unix:path=$G/bus
EOF
    [ -e /etc/virt-nfsroot.conf ] || : >/etc/virt-nfsroot.conf # in the overlay's upper layer
    mount --bind "$LV_WORK/policy.conf" /etc/virt-nfsroot.conf
}

failed() {
    lv_log "host $NAME: $*"
    echo "$*" >"$LV_WORK/failed"
    exit 1
}

hostname "host-$NAME" || failed "cannot set the host name in the new UTS namespace"
mkdir -p "$LV_WORK/etc-upper" "$LV_WORK/etc-work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$LV_WORK/etc-upper,workdir=$LV_WORK/etc-work" \
    /etc || failed "cannot mount an overlay over /etc"
lv_setup_namespace
ganesha_config "$G" "$G/exports.d"
if [ "${MIG_BACKEND:-ganesha}" = ceph ]; then
    ceph_host || failed "cannot join the Ceph cluster (see $LV_WORK/ceph-fuse.out)"
elif ! umount /export || ! mount --bind "$MIG_SHARED" /export; then
    failed "cannot bind the shared /export"
fi
[ "${MIG_BACKEND:-ganesha}" = ceph ] ||
    ganesha_policy "$LV_WORK/policy.conf" "of migration test host $NAME" ||
    failed "cannot bind the policy"
# Both simulated hosts see one /etc/machine-id: the claims on the shared /export need each its own.
printf 'host_id = host-%s\n' "$NAME" >>"$LV_WORK/policy.conf"

# Written in place (the overlay copies them up): a host of its own, reachable by its peer's
# libvirtd for --p2p; two daemons cannot share one cgroup path (what they log about it is harmless).
printf 'host_uuid = "%s"\nlisten_tls = 0\nlisten_tcp = 1\nauth_tcp = "none"\n' "$HOST_UUID" \
    >>/etc/libvirt/libvirtd.conf
printf 'cgroup_controllers = [ ]\n' >>/etc/libvirt/qemu.conf
# The same definition on every host: gateway address AND bridge MAC, else the guest talks to the
# old MAC until its ARP entry expires (~60 s). No STP (MIG_STP=on: libvirt's default, to measure
# it): its bridge holds the migrated guest's new port ~4 s before it forwards (validate's
# migration-bridge-stp).
cat >/etc/libvirt/qemu/networks/default.xml <<EOF
<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='${MIG_STP:-off}' delay='0'/>
  <mac address='$MIG_BRIDGE_MAC'/>
  <ip address='$LV_NET_ADDR' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
EOF
lv_install_hook "$HOOK"

if ! ganesha_start_bus || ! ganesha_start; then
    failed "ganesha did not come up; see $G/ganesha.log"
fi
LV_LIBVIRTD_OPTS=--listen lv_start_daemons || failed "libvirtd/virtlogd did not start"
lv_net_start || failed "virsh net-start default failed"

stop() {
    lv_stop_daemons # guests first, while ganesha still answers the release hook
    ganesha_stop_all
    exit 0
}
trap stop TERM INT
: >"$LV_WORK/ready"
# As init, bash also reaps what the daemons leave behind.
while :; do
    sleep 1 &
    wait $!
done
