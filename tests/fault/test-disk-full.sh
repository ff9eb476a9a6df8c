#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A full or read-only exports dir, state dir or /var/lib/nfs: the built hook refuses the start in
# one clear line, leaves no partial file (not even a dot-temp), no state record, and the host's
# other exports untouched; once the disk is fixed the next run works. In a private mount
# namespace (tmpfs with size=, remount ro) with the real exportfs.
# Usage: test-disk-full.sh HOOK SOURCE_DIR
set -u
HOOK=$(readlink -f "$1")
SRC=$(readlink -f "$2")
# shellcheck source=../system/lib.sh
. "$SRC/tests/system/lib.sh"
nfsroot_isolate "$0" "$@"

mkdir -p "$W/admin" "$W/export/keep" "$W/export/vm1"
echo "$W/admin 127.0.0.1(ro,sync,no_subtree_check)" > /etc/exports.d/admin.exports
exportfs -ra
domain_xml keep > "$W/keep.xml"
domain_xml vm1 > "$W/vm1.xml"
"$HOOK" keep prepare begin - < "$W/keep.xml"
check "'keep' exported" etab_has "$W/export/keep" 192.168.122.0/24

listing() { ls -A /etc/exports.d "$W/state/domains" "$W/state" 2>&1; cat /var/lib/nfs/etab; exportfs -v 2>&1; }

# refuse WHAT EXPECTED-SUBSTRING: prepare vm1 must fail in one line and change nothing.
refuse() {
    local what=$1 want=$2 before after
    before=$(listing)
    "$HOOK" vm1 prepare begin - < "$W/vm1.xml" > /dev/null 2> "$W/err"
    local rc=$?
    after=$(listing)
    check "$what: prepare exits 1" [ $rc -eq 1 ]
    # shellcheck disable=SC2016 # the inner sh expands $1 and $2 (its own arguments)
    check "$what: one line '$(cat "$W/err")' saying '$want'" \
        sh -c '[ "$(wc -l < "$1")" -eq 1 ] && grep -q "^virt-nfsroot: domain '"'vm1'"': " "$1" && grep -qF -- "$2" "$1"' \
        _ "$W/err" "$want"
    check "$what: no file, no temp file, no record, exports unchanged" [ "$before" = "$after" ]
    check "$what: 'keep' still exported" etab_has "$W/export/keep" 192.168.122.0/24
}
# works WHAT: after the fix, vm1 starts and stops normally.
works() {
    "$HOOK" vm1 prepare begin - < "$W/vm1.xml"
    check "$1: prepare works again" etab_has "$W/export/vm1" 192.168.122.0/24
    "$HOOK" vm1 release end - < "$W/vm1.xml"
    check "$1: release works again" sh -c "! grep -q '^$W/export/vm1	' /var/lib/nfs/etab && [ ! -e '$W/state/domains/vm1.state' ]"
}

# 1. exports.d full: a tmpfs with no page left (the filler is a dot-file, which exportfs skips)
mount -o remount,size=64k /etc/exports.d
dd if=/dev/zero of=/etc/exports.d/.filler bs=4k count=1000 2>/dev/null
refuse "exports.d full" "No space left on device"
rm /etc/exports.d/.filler
works "exports.d no longer full"

# 2. exports.d read-only
mount -o remount,ro /etc/exports.d
refuse "exports.d read-only" "Read-only file system"
"$HOOK" keep release end - < "$W/keep.xml" 2> "$W/err"
rc=$?
# shellcheck disable=SC2016 # the inner sh expands $0 and $1 (its own arguments)
check "release on a read-only exports.d fails in one line ($(cat "$W/err"))" \
    sh -c '[ $0 -eq 1 ] && [ "$(wc -l < "$1")" -eq 1 ] && grep -qF "Read-only file system" "$1"' $rc "$W/err"
check "... and keeps the record, so a later release can finish" [ -e "$W/state/domains/keep.state" ]
mount -o remount,rw /etc/exports.d
"$HOOK" keep release end - < "$W/keep.xml"
check "release after the remount removes 'keep'" \
    sh -c "! grep -q '^$W/export/keep	' /var/lib/nfs/etab && ! ls /etc/exports.d/virt-nfsroot-* 2>/dev/null && [ ! -e '$W/state/domains/keep.state' ]"
"$HOOK" keep prepare begin - < "$W/keep.xml"
works "exports.d writable again"

# 3. the state dir full, then read-only
mount -t tmpfs -o size=64k tmpfs "$W/state"
"$HOOK" keep prepare begin - < "$W/keep.xml"   # re-record 'keep' in the new state dir
dd if=/dev/zero of="$W/state/filler" bs=4k count=1000 2>/dev/null
refuse "state dir full" "No space left on device"
rm "$W/state/filler"
works "state dir no longer full"
mount -o remount,ro "$W/state"
refuse "state dir read-only" "Read-only file system"
mount -o remount,rw "$W/state"
works "state dir writable again"

# 4. /var/lib/nfs read-only: exportfs cannot record the export; our file must go again
mount -o remount,ro /var/lib/nfs
refuse "/var/lib/nfs read-only" "exportfs did not export"
mount -o remount,rw /var/lib/nfs
works "/var/lib/nfs writable again"

exportfs -ra 2> "$W/ra.err"
check "exportfs -ra parses everything at the end" [ ! -s "$W/ra.err" ]
check "the admin's export is intact" etab_has "$W/admin" 127.0.0.1
"$HOOK" keep release end - < "$W/keep.xml"
umount "$W/state"
finish
