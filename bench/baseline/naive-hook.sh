#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The naive NFS-root hook, for comparison: what hand-written libvirt hooks and tools such as
# Vagrant's NFS synced folders do. It keeps every guest's export in ONE shared exports file,
# marked with begin/end comments, and makes the NFS server re-read everything with
# `exportfs -ra` on each change. Written honestly: it drains stdin, acts only on domains that
# carry our metadata, serialises concurrent runs with flock (without it two guests starting at
# once lose each other's lines), and is idempotent (prepare replaces a stale block first).
# It does not parse the XML or look up the network: the path and the client are fixed, as in
# the hand-written hooks it stands for.
#
# usage: naive-hook.sh DOMAIN OP SUBOP EXTRA < domain.xml        (a libvirt qemu hook)
# env:   NAIVE_EXPORTS  the shared exports file       (default /etc/exports)
#        NAIVE_ROOT     the directory of guest roots   (default /export)
#        NAIVE_CLIENT   who may mount them             (default 192.168.122.0/24)
#        NAIVE_OPTIONS  export options (default rw,async,no_root_squash,insecure,no_subtree_check)
set -u
dom=$1 op=$2
case $op in
    prepare | release) ;;
    *) exit 0 ;;
esac
exports=${NAIVE_EXPORTS:-/etc/exports}
root=${NAIVE_ROOT:-/export}
client=${NAIVE_CLIENT:-192.168.122.0/24}
options=${NAIVE_OPTIONS:-rw,async,no_root_squash,insecure,no_subtree_check}

xml=$(cat)
case $xml in
    *'http://virt-nfsroot.org/xmlns/domain/'*) ;;
    *) exit 0 ;;
esac

exec 9>>"$exports.lock"
flock 9

# Drop this domain's block (if any), like Vagrant's nfs_cleanup; then, at prepare, append it.
sed -i "/^# NAIVE-BEGIN $dom\$/,/^# NAIVE-END $dom\$/d" "$exports" || exit 1
if [ "$op" = prepare ]; then
    printf '# NAIVE-BEGIN %s\n"%s" %s(%s)\n# NAIVE-END %s\n' \
        "$dom" "$root/$dom" "$client" "$options" "$dom" >>"$exports" || exit 1
fi
/usr/sbin/exportfs -ra
rc=$?
# exportfs exits 1 when ANY entry on the host is broken; only our own failure matters at start.
[ "$op" = release ] && exit 0
exit $rc
