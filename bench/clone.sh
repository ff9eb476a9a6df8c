#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 23's instant clones: create's tree copy (cp -a --reflink=auto, tools/create-run.c) of a
# real guest tree on XFS with reflink=1 (extents shared) against the same copy with
# --reflink=never on the same XFS and on ext4 (plain copies), A B C A B C; wall seconds and the
# space each copy took. A benchmark, not a test: numbers never fail it.
#
# usage: sudo bench/clone.sh [TREE] [RUNS]   (default TREE: the e2e tests' cached trixie tree)
# Prints tab-separated rows: method, median s, min s, max s, median MiB used, runs.
set -u
export LC_ALL=C PATH="/usr/sbin:/sbin:/usr/bin:/bin:$PATH"
CACHE=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}
TREE=${1:-$(find "$CACHE/e2e/create/trees" -mindepth 1 -maxdepth 1 -type d -name 'debian-*' \
    2>/dev/null | head -n 1)}
RUNS=${2:-5}
[ "$(id -u)" = 0 ] || { echo "SKIP: bench/clone.sh needs root"; exit 77; }
if [ -z "$TREE" ] || [ ! -d "$TREE" ]; then echo "SKIP: no guest tree (run the e2e tests once)"; exit 77; fi
for p in mkfs.xfs mkfs.ext4 unshare; do
    command -v "$p" >/dev/null || { echo "SKIP: $p is not installed"; exit 77; }
done
if [ -z "${BENCH_CLONE_NS:-}" ]; then
    BENCH_CLONE_NS=1 exec unshare -m --propagation private "$0" "$TREE" "$RUNS"
fi
W=$(mktemp -d /var/tmp/virt-nfsroot-bench-clone.XXXXXX) || exit 1
trap 'umount "$W/xfs" "$W/ext4" 2>/dev/null; rm -rf "$W"' EXIT
size=$(du -sm "$TREE" | cut -f1)
img=$((size * 3 + 512))
for fs in xfs ext4; do
    mkdir "$W/$fs" && truncate -s "${img}M" "$W/$fs.img"
    if [ "$fs" = xfs ]; then mkfs.xfs -q -m reflink=1 "$W/$fs.img"; else mkfs.ext4 -q "$W/$fs.img"; fi
    mount -o loop "$W/$fs.img" "$W/$fs" && cp -a "$TREE/." "$W/$fs/src" || exit 1
done
sync
used() { df -B1M --output=used "$1" | tail -n 1; }
# one FS REFLINK: one timed copy (page cache dropped first), its seconds and MiB.
one() {
    local fs=$1 how=$2 u0 t0 t1
    sync && echo 3 >/proc/sys/vm/drop_caches
    u0=$(used "$W/$fs")
    t0=$(date +%s.%N)
    cp -a "--reflink=$how" -- "$W/$fs/src/." "$W/$fs/copy" || exit 1
    sync
    t1=$(date +%s.%N)
    printf '%s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" \
        "$(($(used "$W/$fs") - u0))"
    rm -rf "$W/$fs/copy" && sync
}
for _ in $(seq "$RUNS"); do
    one xfs auto >>"$W/xfs-reflink"
    one xfs never >>"$W/xfs-plain"
    one ext4 auto >>"$W/ext4-plain"
done
echo "# tree $TREE: $size MiB, $(find "$TREE" | wc -l) entries; $(nproc) CPUs, $(uname -r)"
for m in xfs-reflink xfs-plain ext4-plain; do
    sort -n "$W/$m" | awk -v m="$m" '{ t[NR] = $1; s[NR] = $2 }
        END { printf "%s\t%s\t%s\t%s\t%s\t%d\n", m, t[int((NR + 1) / 2)], t[1], t[NR],
              s[int((NR + 1) / 2)], NR }'
done
