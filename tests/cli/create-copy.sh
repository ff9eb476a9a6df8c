#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# create's tree copy (--from-dir; the tree cache's copy is the same function) on XFS (reflink=1)
# and btrfs, where it shares extents, and on ext4 and tmpfs, where it copies: the tree stage says
# which ("reflink" / "plain copy", in its line and --json), and a reflink copy of 64 MiB costs
# next to no space. The source is hostile (a guest's tree): links pointing out stay links, a
# FIFO is made, not read, a 1 TiB sparse file stays sparse, hard links, owners, modes, xattrs and
# a device node are kept; a source that is itself a symbolic link is refused, nothing copied.
# Each filesystem is a loop file in the test's directory, mounted in a private mount namespace.
# libvirt's test driver; an Alpine tree, so create stops after the tree stage (its kernel stage
# refuses Alpine) and the copy stays in create's staging directory.
set -u
BIN=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (loop mounts)"; exit 77; }
virsh -c test:///default list >/dev/null 2>&1 || { echo "SKIP: libvirt test driver unusable"; exit 77; }
for p in mkfs.xfs mkfs.btrfs mkfs.ext4 unshare python3; do
    command -v "$p" >/dev/null || { echo "SKIP: $p missing (scripts/packages.sh)"; exit 77; }
done
if [ -z "${CREATE_COPY_NS:-}" ]; then
    CREATE_COPY_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/create-copy.XXXXXX") || exit 1
trap 'umount -l "$T/export" 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/export" "$T/net" "$T/state" "$T/boot" "$T/cache"
mkdir -m 0700 "$T/owned"
# shellcheck source=../lib/sandbox.sh
. "$(dirname "$0")/../lib/sandbox.sh"
sandbox_network "$T/net"
sandbox_policy "$T" "boot_dirs = $T/boot"
export VIRT_NFSROOT_CACHE_DIR=$T/cache
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

# hostile_tree DIR: what a guest could leave in its tree.
hostile_tree() {
    local d=$1
    mkdir -p "$d/etc" "$d/data" "$d/dev"
    printf 'ID=alpine\nVERSION_ID=3.20.0\n' >"$d/etc/os-release"
    head -c 64M /dev/urandom >"$d/data/big"
    ln "$d/data/big" "$d/data/big-link"
    ln -s /etc/shadow "$d/etc/out-abs"
    ln -s ../../../../../../../../etc "$d/etc/out-rel"
    mkfifo "$d/data/fifo"
    truncate -s 1T "$d/data/sparse"
    printf 'x\n' >"$d/data/owned" && chown 1234:5678 "$d/data/owned" && chmod 0640 "$d/data/owned"
    python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.guest", b"v")' "$d/data/owned"
    mknod "$d/dev/null2" c 1 3
}

# copy_case FS WANT MKFS...: FS mounted on the export root; WANT the method the stage names.
copy_case() {
    local fs=$1 want=$2 name=cp-$1 st used0 used1 rc
    shift 2
    if [ "$fs" = tmpfs ]; then
        mount -t tmpfs -o size=256m,mode=0755 none "$T/export"
    else
        truncate -s 400M "$T/$fs.img"
        "$@" "$T/$fs.img" >/dev/null 2>&1 || { fail "$fs: $1 failed"; return; }
        mount -o loop "$T/$fs.img" "$T/export" || { fail "$fs: mount failed"; return; }
    fi
    hostile_tree "$T/export/src"
    sync
    used0=$(df -B1M --output=used "$T/export" | tail -n 1)
    timeout 120 "$BIN" --connect test:///default --json create "$name" --from-dir "$T/export/src" \
        >"$T/out" 2>"$T/err"; rc=$?
    sync
    used1=$(df -B1M --output=used "$T/export" | tail -n 1)
    check "$fs: create stops at the kernel stage, not before (exit $rc)" [ "$rc" = 1 ]
    local note
    note=$(python3 -c 'import json, sys
print([s["note"] for s in json.load(open(sys.argv[1]))["stages"] if s["name"] == "tree"][0])' \
        "$T/out" 2>/dev/null)
    check "$fs: the tree stage says '$want' ($note)" grep -q "^copied from $T/export/src ($want)\$" <<<"$note"
    for st in "$T"/export/.virt-nfsroot-staging/"$name"-*; do [ -d "$st" ] && break; done
    if [ "$want" = reflink ]; then
        check "$fs: a reflink copy of 64 MiB costs under 16 MiB ($((used1 - used0)) MiB)" \
            [ $((used1 - used0)) -lt 16 ]
    else
        check "$fs: a plain copy of 64 MiB costs its size ($((used1 - used0)) MiB)" \
            [ $((used1 - used0)) -ge 60 ]
    fi
    check "$fs: data equal" cmp -s "$T/export/src/data/big" "$st/data/big"
    check "$fs: hard link kept" [ "$st/data/big" -ef "$st/data/big-link" ]
    check "$fs: absolute link copied as a link" [ "$(readlink "$st/etc/out-abs")" = /etc/shadow ]
    check "$fs: relative link copied as a link" [ "$(readlink "$st/etc/out-rel")" = ../../../../../../../../etc ]
    check "$fs: FIFO made, not read" [ -p "$st/data/fifo" ]
    check "$fs: 1 TiB sparse file kept sparse ($(du -k "$st/data/sparse" | cut -f1) KiB)" \
        [ "$(stat -c %s "$st/data/sparse") $(du -k "$st/data/sparse" | cut -f1)" = "1099511627776 0" ]
    check "$fs: owner and mode exact" [ "$(stat -c '%u:%g %a' "$st/data/owned")" = "1234:5678 640" ]
    check "$fs: xattr kept" python3 -c 'import os, sys
assert os.getxattr(sys.argv[1], "user.guest") == b"v"' "$st/data/owned"
    check "$fs: device node kept" [ "$(stat -c '%F %t:%T' "$st/dev/null2")" = "character special file 1:3" ]
    # A source that is a symbolic link (to the tree) is refused before anything is copied.
    ln -s src "$T/export/srclink"
    timeout 60 "$BIN" --connect test:///default create "$name-l" --from-dir "$T/export/srclink" \
        >"$T/out" 2>"$T/err"; rc=$?
    check "$fs: a source through a symbolic link refused (exit $rc)" \
        grep -q "'$T/export/srclink' cannot be copied: .*a symbolic link is never followed" "$T/err"
    check "$fs: nothing copied from it" [ -z "$(find "$T/export/.virt-nfsroot-staging" \
        -path "*/$name-l-*/etc" -print -quit)" ]
    umount "$T/export" || umount -l "$T/export"
}

copy_case xfs reflink mkfs.xfs -q -m reflink=1
copy_case btrfs reflink mkfs.btrfs -q
copy_case ext4 "plain copy" mkfs.ext4 -q
copy_case tmpfs "plain copy"
finish
