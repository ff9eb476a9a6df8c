#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark (not a test): how long the boot check takes to scan a large initramfs for NFS
# support, first scan and cached, against dracut's lsinitrd listing the same image and against
# plain decompression (gzip -dc / zstd -dc > /dev/null).
#
#   bench/initramfs/run.sh [BOOTCHECK_TOOL]     (default: the first build*/ of this tree that has it)
#   bench/initramfs/run.sh --fetch              only fetch lsinitrd into the cache (bench/run does,
#                                               before it enters a network namespace without a network)
#
# Images: ~110 MB of real ELF files (shared libraries of 20 KB-4 MB, like an initramfs's) plus dracut's NFS markers, packed with
# cpio -H newc and compressed the way dracut does (gzip -n -9, zstd -15), each also with an
# uncompressed early-microcode cpio in front. lsinitrd comes from the dracut-core .deb,
# unpacked into the cache (apt-get download; nothing is installed on the host).
set -euo pipefail
# first_existing PATH...: the first PATH that exists (glob order), or nothing.
first_existing() { local f; for f in "$@"; do if [ -e "$f" ]; then printf '%s\n' "$f"; break; fi; done; }
CACHE=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/bench
mkdir -p "$CACHE"
# lsinitrd without installing dracut-core (its dependencies would pull udev onto the host)
D=$CACHE/dracut
fetch_lsinitrd() {
    [ -x "$D/usr/bin/lsinitrd" ] ||
        { (cd "$CACHE" && apt-get download -q dracut-core >/dev/null 2>&1) && dpkg-deb -x "$CACHE"/dracut-core_*.deb "$D"; }
}
if [ "${1:-}" = --fetch ]; then fetch_lsinitrd; exit; fi
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOL=${1:-$(first_existing "$SRC"/build*/tests/unit/bootcheck/bootcheck-tool)}
[ -x "$TOOL" ] || { echo "usage: run.sh BOOTCHECK_TOOL (build target bootcheck-tool)"; exit 2; }
W=${BENCH_DIR:-/var/tmp/virt-nfsroot-bench-initramfs}
RUNS=${RUNS:-3}
mkdir -p "$W"
fetch_lsinitrd || echo "note: dracut-core not available (apt-get download), lsinitrd not measured"

build() {
    [ -s "$W/main.cpio" ] && return
    local T=$W/tree; rm -rf "$T"; mkdir -p "$T/usr/lib" "$T/usr/lib/dracut" "$T/usr/sbin" \
        "$T/lib/modules/6.1.0-27-amd64/kernel/fs/nfs" "$T/etc/cmdline.d"
    local total=0
    while read -r f; do
        local s; s=$(stat -c %s "$f")
        mkdir -p "$T$(dirname "$f")"; cp "$f" "$T$f"
        total=$((total + s)); [ $total -gt $((110 * 1024 * 1024)) ] && break
    done < <(find /usr/lib/x86_64-linux-gnu -type f -name '*.so*' -size +20k -size -4M | LC_ALL=C sort)
    printf '#!/bin/sh\n' > "$T/init"
    printf 'base\nnetwork-legacy\nnfs\n' > "$T/usr/lib/dracut/modules.txt"
    : > "$T/usr/sbin/mount.nfs"; : > "$T/usr/sbin/dhclient"
    for m in nfs nfsv3 nfsv4; do head -c 300000 /usr/bin/bash > "$T/lib/modules/6.1.0-27-amd64/kernel/fs/nfs/$m.ko"; done
    echo 'root=nfs4:192.168.122.1:/export/vm' > "$T/etc/cmdline.d/10-root.conf"
    (cd "$T" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$W/main.cpio"
    local E=$W/early; rm -rf "$E"; mkdir -p "$E/kernel/x86/microcode"
    head -c 3000000 /usr/lib/x86_64-linux-gnu/libc.so.6 > "$E/kernel/x86/microcode/GenuineIntel.bin"
    (cd "$E" && find . | cpio -o -H newc --quiet) > "$W/early.cpio"
    rm -rf "$T" "$E"
}
build
[ -s "$W/main.gzip" ] || gzip -n -9 -c "$W/main.cpio" > "$W/main.gzip"
[ -s "$W/main.zstd" ] || zstd -q -15 -T0 -c "$W/main.cpio" > "$W/main.zstd"
for c in gzip zstd; do [ -s "$W/ucode.$c" ] || cat "$W/early.cpio" "$W/main.$c" > "$W/ucode.$c"; done
# A real dracut-built image (nfs, network-legacy; hostonly=no) when the e2e suite cached a guest
IMAGES="main ucode"
# the newest cached guest image (ties: by name, as ls -t)
tarball=$(find "${CACHE%/bench}/e2e" -mindepth 1 -maxdepth 1 -name 'guest-linux-image-*.tar.zst' \
              -printf '%T@ %p\n' 2>/dev/null | LC_ALL=C sort -k1,1nr -k2 | head -1 | cut -d' ' -f2- || true)
if [ -n "$tarball" ] && [ ! -s "$W/dracut.gzip" ]; then
    if rm -rf "$W/x" && mkdir "$W/x"; then
        tar --zstd -xf "$tarball" -C "$W/x" --wildcards './boot/initrd.img-*' 2>/dev/null || true
    fi
    i=$(first_existing "$W"/x/boot/initrd.img-*)
    if [ -n "$i" ] && [ "$(head -c 2 "$i" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
        mv "$i" "$W/dracut.gzip"; gzip -dc "$W/dracut.gzip" | zstd -q -15 -T0 -c > "$W/dracut.zstd"
    fi
    rm -rf "$W/x"
fi
[ -s "$W/dracut.gzip" ] && IMAGES="$IMAGES dracut"

now() { date +%s.%N; }
# median and min of RUNS runs of a command (stdout discarded)
measure() {
    local -a t=()
    for _ in $(seq "$RUNS"); do
        local a b; a=$(now); "$@" >/dev/null 2>&1; b=$(now)
        t+=("$(echo "$b - $a" | bc -l)")
    done
    printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f %.3f", a[int((NR+1)/2)], a[1]}'
}
scan_uncached() { "$TOOL" bench-scan "$1" - 1; }
scan_cached() { "$TOOL" bench-scan "$1" "$W/cache" 1; }
# the library call alone, inside one process: median of RUNS cached scans
inproc_cached() { "$TOOL" bench-scan "$1" "$W/cache" "$RUNS" | awk '{print $1}' | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] * 1e6}'; }
lsinitrd_list() { dracutbasedir="$D/usr/lib/dracut" bash "$D/usr/bin/lsinitrd" "$1"; }

echo "host: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); libarchive $(dpkg-query -W -f='${Version}' libarchive13 2>/dev/null); runs=$RUNS (median / min seconds)"
echo "uncompressed payload: $(( $(stat -c %s "$W/main.cpio") / 1048576 )) MB, $(cpio -it < "$W/main.cpio" 2>/dev/null | wc -l) entries"
printf '%-11s %4s %6s %14s %14s %10s %14s %14s %11s %9s\n' image MB files "scan first" "scan cached" "cached us" lsinitrd decompress "lsinitrd/x" "scan/dec"
for c in gzip zstd; do
    for img in $IMAGES; do
        f=$W/$img.$c
        "$TOOL" bench-scan "$f" - 1 | grep -q 'nfs=1' || { echo "scan of $f did not find NFS"; exit 1; }
        rm -rf "$W/cache"; scan_cached "$f" >/dev/null   # fill the cache once
        first=$(measure scan_uncached "$f")
        cached=$(measure scan_cached "$f")
        if [ -x "$D/usr/bin/lsinitrd" ]; then ls=$(measure lsinitrd_list "$f"); else ls="nan nan"; fi
        if [ "$img" != ucode ]; then dec=$(measure sh -c "$c -dc '$f' > /dev/null"); else dec="- -"; fi
        fm=${first% *}; lm=${ls% *}; dm=${dec% *}
        r1=$(echo "$lm / $fm" | bc -l 2>/dev/null || echo nan); r2=$( [ "$dm" != - ] && echo "$fm / $dm" | bc -l || echo -)
        files=$("$TOOL" bench-scan "$f" - 1 | sed 's/.*files=\([0-9]*\).*/\1/')
        printf '%-11s %4d %6s %14s %14s %10s %14s %14s %10.1fx %9s\n' "$img.$c" $(( $(stat -c %s "$f") / 1048576 )) \
            "$files" "${first/ //}" "${cached/ //}" "$(inproc_cached "$f")" "${ls/ //}" "${dec/ //}" "$r1" \
            "$( [ "$r2" != - ] && printf '%.2fx' "$r2" || echo -)"
    done
done

# CPU seconds (user + sys, children included) of one run each: robust against a busy host
cpu() { local TIMEFORMAT='%U %S'; { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{printf "%.3f", $1 + $2}'; }
echo
printf '%-11s %10s %10s %10s %12s %10s\n' image "scan cpu" "decomp cpu" "lsinitrd" "lsinitrd/x" "scan/dec"
for c in gzip zstd; do
    for img in $IMAGES; do
        f=$W/$img.$c
        s=$(cpu scan_uncached "$f")
        [ -x "$D/usr/bin/lsinitrd" ] && l=$(cpu lsinitrd_list "$f") || l=nan
        if [ "$img" != ucode ]; then d=$(cpu sh -c "$c -dc '$f' > /dev/null"); r=$(printf '%.2fx' "$(echo "$s / $d" | bc -l)"); else d=-; r=-; fi
        printf '%-11s %10s %10s %10s %11.1fx %10s\n' "$img.$c" "$s" "$d" "$l" "$(echo "$l / $s" | bc -l)" "$r"
    done
done
