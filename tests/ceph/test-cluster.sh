#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The ceph label's harness (tests/lib/ceph.sh) proven on its own: a single-node Ceph with
# CephFS and two NFS-Ganesha nodes (FSAL_CEPH, rados_cluster recovery, exports watched in
# RADOS) come up inside the test's own namespaces; an export added the way the Ceph mgr `nfs`
# module does it (object, url list, notify) is served by both nodes, and removed the other way
# round (url list, notify, object) it is gone from both; afterwards no process and no mount of
# the cluster is left. Prints the figures (cluster up, served-after-notify, down).
# Usage: test-cluster.sh   (root; exit 77 = skipped, with the reason). KEEP=1 keeps the work dir.
set -u
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
# shellcheck source=../lib/ceph.sh
. "$(dirname "$0")/../lib/ceph.sh"
ceph_prereqs
ceph_isolate "$0" "$@"
if ! ns_private || ! ns_tmpfs /run; then echo "FAIL: namespace setup"; exit 1; fi

W=$(mktemp -d /var/tmp/vnr-ceph.XXXXXX)
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    ceph_down
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
CHECK_LOG=$W/last.out

check "cluster up: mon, memstore osd, active mds, CephFS mounted, .nfs pool" ceph_up "$W/c" ||
    { tail -5 "$W"/c/log/*.out; exit 1; }
echo "cluster up in $CEPH_UP_MS ms"
mkdir -p "$W/c/mnt/one" "$W/c/mnt/two" && echo hello >"$W/c/mnt/one/hello.txt"
ceph_export_block 1001 /one 127.0.0.1 | ceph_rados put export-1001 - &&
    echo '%url "rados://.nfs/vnr/export-1001"' | ceph_rados put conf-nfs.vnr -
t=$(ceph_ms)
check "ganesha nodeA starts" ceph_ganesha nodeA 2049
check "ganesha nodeB starts" ceph_ganesha nodeB 2050
# OPEN (nfs-cat), not just READDIR: served means out of the first grace period too
for port in 2049 2050; do
    check "node on port $port serves /one from RADOS (nfs-cat)" ceph_waitfor 600 \
        bash -c "nfs-cat '$(ceph_nfs_url $port /one/hello.txt)' | grep -qx hello"
done
echo "both nodes serving $(($(ceph_ms) - t)) ms after start"

check "/two is not served yet" ceph_state_is noent 2049 /two
ceph_export_block 1002 /two 127.0.0.1 | ceph_rados put export-1002 - &&
    printf '%%url "rados://.nfs/vnr/export-%s"\n' 1001 1002 | ceph_rados put conf-nfs.vnr -
t=$(ceph_ms)
ceph_notify
for port in 2049 2050; do
    check "after the notify, node on port $port serves /two" ceph_wait_state serves $port /two
    echo "  /two served on $port $(($(ceph_ms) - t)) ms after the notify"
done
echo '%url "rados://.nfs/vnr/export-1001"' | ceph_rados put conf-nfs.vnr -
t=$(ceph_ms)
ceph_notify
for port in 2049 2050; do
    check "after the removal, node on port $port no longer serves /two" \
        ceph_wait_state noent $port /two
    echo "  /two gone on $port $(($(ceph_ms) - t)) ms after the notify"
done
ceph_rados rm export-1002
# shellcheck disable=SC2317 # run by check
both_serve() { ceph_state_is serves 2049 "$1" && ceph_state_is serves 2050 "$1"; }
check "/one still served by both" both_serve /one

pids=$(awk '{ print $2 }' "$W/c/pids")
ceph_down
echo "cluster down in $CEPH_DOWN_MS ms"
left=''
for p in $pids; do ns_pid_alive "$p" && left="$left $p"; done
check "no daemon left running ($left)" [ -z "$left" ]
check "CephFS no longer mounted" not mountpoint -q "$W/c/mnt"
summary
