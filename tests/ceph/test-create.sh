#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ceph.create: `virt-nfsroot create` puts a guest's tree on CephFS, through the ceph-fuse mount
# at the export root (tests/lib/ceph.sh's cluster, no ganesha needed), with `backend = ceph` in
# the policy. The tree is the e2e guest image (create's tree cache, built once by
# tests/e2e/guest.sh and shared with e2e.boot and the migration tests); every stage runs for
# real: the copy (no reflink across file systems: "plain copy"), kernel, configure, the
# initramfs, the domain defined (libvirt's test driver) and validate, which reads the domain XML
# back from libvirt and plans from its metadata. Then: the tree is on CephFS with owners, modes
# and device nodes as in the image, the ownership record names it by device and inode, and the
# metadata names the tree on CephFS.
# Usage: test-create.sh HOOK CLI   (root; exit 77 = skipped, with the reason). KEEP=1 keeps W.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../libvirt/harness.sh
. "$HERE/../libvirt/harness.sh"
# shellcheck source=../e2e/guest.sh
. "$HERE/../e2e/guest.sh"
# shellcheck source=../lib/ceph.sh
. "$HERE/../lib/ceph.sh"
# shellcheck source=../lib/sandbox.sh
. "$HERE/../lib/sandbox.sh"
[ $# -eq 2 ] || { echo "usage: $0 HOOK-BINARY CLI-BINARY" >&2; exit 2; }
CLI=$(readlink -f "$2")
E2E_CACHE=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/e2e
VM=cephguest
ceph_prereqs
virsh -c test:///default list >/dev/null 2>&1 || skip "libvirt test driver unusable"
if [ -z "${NFSROOT_CEPH_INSIDE:-}" ]; then
    # The image, outside the namespaces (debootstrap needs the mirror the first time).
    e2e_image_or_exit ceph-create "$CLI"
    rm -rf "$E2E_STAGE"
    export E2E_CREATE_CACHE E2E_KVER E2E_IMAGE
fi
ceph_isolate "$0" "$@"
if ! ns_private || ! ns_tmpfs /run; then echo "FAIL: namespace setup"; exit 1; fi

ceph_test_sandbox vnr-ceph-create

# The image is ~430 MB: the memstore OSD needs room for it (and ~3x that in RSS).
CEPH_MEMSTORE_BYTES=$((2 * 1024 * 1024 * 1024)) ceph_test_up
echo "timing: cluster up in $CEPH_UP_MS ms"
# The export root is CephFS's root, as ceph-fuse mounts it on every host (with ACLs).
mkdir -p "$W/export" "$W/net" "$W/state" "$W/boot" || exit 1
mkdir -m 0700 "$W/owned"
sandbox_network "$W/net"
sandbox_policy "$W" "backend = ceph" "boot_dirs = $W/boot" "ceph_conf = $CEPH_CONF" \
    "ceph_namespace = $CEPH_NS"

# CephFS through ceph-fuse without ACLs (its default): the copy cannot keep the tree's, and
# create says so and how to mount, nothing at the target.
if ! mkdir -p "$W/noacl" || ! ceph-fuse --id admin "$W/noacl" >"$W/noacl.out" 2>&1 ||
    ! mount --bind "$W/noacl" "$W/export"; then
    echo "FAIL: a second ceph-fuse mount"
    exit 1
fi
VIRT_NFSROOT_CACHE_DIR=$E2E_CREATE_CACHE timeout 1200 "$CLI" --connect test:///default \
    create "$VM" --no-pin-address >"$W/out" 2>"$W/err"
rc=$?
check "ceph-fuse without ACLs: create fails (exit $rc)" [ "$rc" = 1 ]
check "ceph-fuse without ACLs: says the file system stores no ACLs, and how to mount it" \
    grep -q "^virt-nfsroot: '$W/export/.virt-nfsroot-staging/$VM-[0-9a-f]*' is on a file system that stores no POSIX ACLs, and the tree has some: mount it with them (CephFS: client_acl_type = posix_acl for ceph-fuse" "$W/err" ||
    sed 's/^/    | /' "$W/err"
check "ceph-fuse without ACLs: nothing at the target" [ ! -e "$W/export/$VM" ]
umount "$W/export" && umount "$W/noacl" && mount --bind "$W/c/mnt" "$W/export" || exit 1

t=$(lv_now)
VIRT_NFSROOT_CACHE_DIR=$E2E_CREATE_CACHE timeout 1200 "$CLI" --connect test:///default --json \
    create "$VM" --no-pin-address >"$W/out" 2>"$W/err"
rc=$?
echo "timing: create onto CephFS $(lv_elapsed "$t") s"
check "create on CephFS: exit 0 (exit $rc)" [ "$rc" = 0 ] ||
    grep -v '"progress"' "$W/err" | tail -n 20 | sed 's/^/    | /'
stages() {
    python3 -c 'import json, sys
for s in json.load(open(sys.argv[1]))["stages"]:
    print(s["name"], s["status"], s.get("note") or "")' "$W/out" 2>/dev/null
}
stages | sed 's/^/    stage: /'
# (tree and kernel "cached": copied from the image, the kernel as the image has it)
for s in tree kernel configure initramfs domain validate; do
    check "stage $s done" grep -Eq "^$s (done|cached)" <(stages)
done
check "the tree stage copied (no reflink from the cache's file system onto CephFS)" \
    grep -Eq "^tree (done|cached) .*\(plain copy\)" <(stages)
check "validate read the domain XML back: 0 errors" grep -q "^validate done 0 errors" <(stages)
T=$W/export/$VM
check "the tree is on CephFS (ceph-fuse)" \
    [ "$(findmnt -no FSTYPE -T "$T")" = fuse.ceph-fuse ]
check "the tree has the image's kernel" test -s "$T/boot/vmlinuz-$E2E_KVER"
check "owners and modes as in the image" \
    [ "$(stat -c '%u:%g %a' "$T/etc/shadow" "$T/tmp")" = "$(stat -c '%u:%g %a' "$E2E_IMAGE/etc/shadow" "$E2E_IMAGE/tmp")" ]
check "fstab mounts / from the tree's path" grep -q ":$T / nfs" "$T/etc/fstab"
check "the guest's initramfs in boot_dirs" test -s "$W/boot/$VM/initrd.img"
rec=$(find "$W/owned" -name '*.owned' | head -n 1)
check "the ownership record names the tree by device and inode" \
    grep -qx "tree $(stat -c '%d %i' "$T") $T" "$rec"
# (the failed run's went too: a create without --reuse starts afresh)
check "no staging tree of $VM left on CephFS" \
    [ -z "$(find "$W/export/.virt-nfsroot-staging" -mindepth 1 -maxdepth 1 -name "$VM-*")" ]
summary
