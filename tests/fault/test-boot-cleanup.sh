#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# After a reboot no managed export may come back before its guest runs again: the tmpfiles.d
# rule (packaging/virt-nfsroot.tmpfiles.conf.in) run as systemd-tmpfiles-setup does at boot
# removes our exports files and nothing else, and not outside boot; the reconcile unit
# (packaging/virt-nfsroot-reconcile.service.in) passes `systemd-analyze verify` and is ordered
# before nfs-server and libvirtd. In a private mount namespace with the real exportfs.
# Usage: test-boot-cleanup.sh SOURCE_DIR
set -u
SRC=$(readlink -f "$1")
# shellcheck source=../system/lib.sh
. "$SRC/tests/system/lib.sh"
command -v systemd-tmpfiles >/dev/null || { echo "SKIP: systemd-tmpfiles is not installed"; exit 77; }
nfsroot_isolate "$0" "$@"

mkdir -p "$W/admin" "$W/export/a" "$W/export/b"
echo "$W/admin 127.0.0.1(ro,sync,no_subtree_check)" > /etc/exports.d/admin.exports
echo "$W/export/a 192.168.122.0/24(rw,no_subtree_check)" > /etc/exports.d/virt-nfsroot-00000000-0000-4000-8000-00000000000a.exports
echo "$W/export/b 192.168.122.0/24(rw,no_subtree_check)" > /etc/exports.d/virt-nfsroot-00000000-0000-4000-8000-00000000000b.exports
echo "$W/export/b 192.168.122.9(rw,no_subtree_check)" > /etc/exports.d/.virt-nfsroot-00000000-0000-4000-8000-00000000000b.exports.77.tmp
sed "s|@NFSROOT_STATE_DIR@|$W/run-state|g" "$SRC/packaging/virt-nfsroot.tmpfiles.conf.in" > "$W/tmpfiles.conf"

systemd-tmpfiles --create --remove "$W/tmpfiles.conf" 2> "$W/err"
check "outside boot: tmpfiles runs cleanly ($(cat "$W/err"))" [ ! -s "$W/err" ]
check "outside boot: the state dir is created" [ -d "$W/run-state" ]
check "outside boot: running guests' exports files are kept" \
    [ "$(find /etc/exports.d -mindepth 1 -maxdepth 1 -name 'virt-nfsroot-*' | wc -l)" -eq 2 ]

systemd-tmpfiles --create --remove --boot "$W/tmpfiles.conf" 2> "$W/err"
check "at boot: tmpfiles runs cleanly ($(cat "$W/err"))" [ ! -s "$W/err" ]
check "at boot: every managed exports file is gone" sh -c "! ls /etc/exports.d/virt-nfsroot-* 2>/dev/null"
check "at boot: the admin's exports file is kept" [ -s /etc/exports.d/admin.exports ]
exportfs -ra 2> "$W/err"
check "exportfs -r at nfs-server start: only the admin's export" \
    sh -c "[ ! -s '$W/err' ] && grep -q '^$W/admin	' /var/lib/nfs/etab && ! grep -q '^$W/export/' /var/lib/nfs/etab"

# The unit: valid, and ordered where it must be.
sed -e "s|@CMAKE_INSTALL_FULL_BINDIR@/virt-nfsroot|/bin/true|" -e "s|@[A-Z_]*@|/usr|g" \
    "$SRC/packaging/virt-nfsroot-reconcile.service.in" > "$W/virt-nfsroot-reconcile.service"
if command -v systemd-analyze >/dev/null; then
    # Units it names that this machine lacks, and the man page (installed elsewhere), are fine.
    systemd-analyze verify "$W/virt-nfsroot-reconcile.service" 2>&1 |
        grep -v -e 'not found' -e 'No such' -e 'Failed to prepare filename' \
                -e 'Cannot add dependency' -e "Command 'man " > "$W/verify"
    check "systemd-analyze verify is clean ($(head -3 "$W/verify"))" [ ! -s "$W/verify" ]
fi
u=$W/virt-nfsroot-reconcile.service
check "unit runs before nfs-server, ganesha and libvirtd" \
    sh -c "grep -q '^Before=.*nfs-server.service' '$u' && grep -q '^Before=.*nfs-ganesha.service' '$u' && grep -q '^Before=.*libvirtd.service' '$u'"
check "unit is a oneshot running reconcile --boot --apply" \
    sh -c "grep -q '^Type=oneshot' '$u' && grep -q 'reconcile --boot --apply' '$SRC/packaging/virt-nfsroot-reconcile.service.in'"
finish
