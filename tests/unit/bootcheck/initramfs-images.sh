#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build real initramfs images with cpio and every compressor the kernel knows, with and without
# an early-microcode prefix, with and without NFS bits, truncated and corrupt, and check what
# the library's scan (and its cache) says about each.
set -euo pipefail
TOOL=${1:?usage: initramfs-images.sh BOOTCHECK_TOOL}
for p in cpio gzip; do
    command -v $p >/dev/null || { echo "SKIP: $p not installed"; exit 77; }
done
W=$(mktemp -d /tmp/bootcheck-initramfs.XXXXXX)
trap 'rm -rf "$W"' EXIT
# shellcheck source=../../lib/check.sh
. "$(dirname "$0")/../../lib/check.sh"
indent() { printf '%s\n' "$1" | while IFS= read -r l; do printf '    %s\n' "$l"; done; }
KVER=6.1.0-27-amd64

expect() { # image key=value...
    local img=$1; shift
    local out; out=$("$TOOL" initramfs "$img" || true)
    for kv in "$@"; do
        if ! grep -qxF -- "$kv" <<<"$out"; then
            fail "$(basename "$img"): expected '$kv'"; indent "$out"
        fi
    done
}
expect_finding() { # image level code [extra args]
    local img=$1 want="$2 $3"; shift 3
    local out; out=$("$TOOL" check-initramfs "$img" "$@")
    grep -qxF -- "$want" <<<"$out" || { fail "$(basename "$img"): no '$want'"; indent "$out"; }
}
expect_no_finding() {
    local img=$1 level=$2; shift 2
    local out; out=$("$TOOL" check-initramfs "$img" "$@")
    if grep -q "^$level " <<<"$out"; then fail "$(basename "$img"): unexpected $level"; indent "$out"; fi
}
mkcpio() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet); }

# A dracut-like tree with NFS and network support
T=$W/nfs; mkdir -p "$T"/usr/lib/dracut/hooks/cmdline "$T"/usr/sbin "$T"/usr/bin "$T"/etc/cmdline.d \
    "$T"/lib/modules/$KVER/kernel/fs/nfs "$T"/lib/modules/$KVER/kernel/net/sunrpc
printf '#!/bin/sh\nexec /usr/lib/systemd/systemd\n' > "$T"/init; chmod +x "$T"/init
printf 'systemd\nnetwork-legacy\nnetwork\nnfs\nbase\n' > "$T"/usr/lib/dracut/modules.txt
echo '# parse' > "$T"/usr/lib/dracut/hooks/cmdline/90-parse-nfsroot.sh
echo '# lib' > "$T"/usr/lib/nfs-lib.sh
head -c 20000 /dev/urandom > "$T"/usr/sbin/mount.nfs
head -c 20000 /dev/urandom > "$T"/usr/sbin/dhclient
echo '#!/bin/sh' > "$T"/usr/sbin/ifup
for m in nfs nfsv3 nfsv4; do head -c 50000 /dev/urandom > "$T"/lib/modules/$KVER/kernel/fs/nfs/$m.ko.xz; done
head -c 50000 /dev/urandom > "$T"/lib/modules/$KVER/kernel/net/sunrpc/sunrpc.ko.zst
printf 'kernel/fs/ext4/ext4.ko\nkernel/lib/zlib_inflate/zlib_inflate.ko\n' > "$T"/lib/modules/$KVER/modules.builtin
mkdir -p "$T"/lib/modules/keys; : > "$T"/lib/modules/keys/signing_key.x509   # dracut's modsign
printf 'root=nfs4:192.168.122.1:/export/vm\n' > "$T"/etc/cmdline.d/20-root.conf
printf 'ip=dhcp\nrd.neednet=1\n' > "$T"/etc/cmdline.d/10-net.conf
mkcpio "$T" > "$W"/nfs.cpio

# No NFS, no network: a disk initramfs
N=$W/nonfs; mkdir -p "$N"/usr/lib/dracut "$N"/lib/modules/$KVER/kernel/fs/ext4
cp "$T"/init "$N"/init
printf 'systemd\nbase\nrootfs-block\n' > "$N"/usr/lib/dracut/modules.txt
head -c 50000 /dev/urandom > "$N"/lib/modules/$KVER/kernel/fs/ext4/ext4.ko.zst
printf 'kernel/fs/ext4/ext4.ko\n' > "$N"/lib/modules/$KVER/modules.builtin
mkcpio "$N" > "$W"/nonfs.cpio

# Early microcode
E=$W/early; mkdir -p "$E"/kernel/x86/microcode
head -c 30000 /dev/urandom > "$E"/kernel/x86/microcode/GenuineIntel.bin
mkcpio "$E" > "$W"/early.cpio

declare -A COMP=([gzip]="gzip -9c" [zstd]="zstd -q -c -19" [xz]="xz -c --check=crc32"
                 [lzma]="xz -c --format=lzma" [lz4]="lz4 -q -l -c" [bzip2]="bzip2 -c")
for kind in gzip zstd xz lzma lz4 bzip2; do
    read -r -a comp <<<"${COMP[$kind]}"
    if ! command -v "${comp[0]}" >/dev/null; then echo "note: ${comp[0]} missing, $kind not tested"; continue; fi
    "${comp[@]}" < "$W"/nfs.cpio > "$W"/nfs.$kind
    expect "$W"/nfs.$kind "format=cpio.$kind" n_segments=1 early_cpio=0 has_init=1 dracut=1 \
        nfs_scripts=1 mount_nfs=1 nfs_module=1 nfsv3_module=1 nfsv4_module=1 nfs_builtin_known=1 \
        nfs_builtin=0 network=1 dhcp_client=1 dhcp_client_name=dhclient "kernel_versions=$KVER" \
        "cmdline=ip=dhcp rd.neednet=1 root=nfs4:192.168.122.1:/export/vm"
    expect_no_finding "$W"/nfs.$kind error
    cat "$W"/early.cpio "$W"/nfs.$kind > "$W"/ucode-nfs.$kind
    expect "$W"/ucode-nfs.$kind "format=cpio + cpio.$kind" n_segments=2 early_cpio=1 microcode=1 \
        nfs_scripts=1 nfs_module=1
    "${comp[@]}" < "$W"/nonfs.cpio > "$W"/nonfs.$kind
    expect "$W"/nonfs.$kind "format=cpio.$kind" nfs_scripts=0 mount_nfs=0 nfs_module=0 network=0
done

# Plain uncompressed cpio, and two uncompressed ones back to back
expect "$W"/nfs.cpio format=cpio n_segments=1 early_cpio=0 nfs_module=1
cat "$W"/early.cpio "$W"/nfs.cpio > "$W"/two.cpio
expect "$W"/two.cpio "format=cpio + cpio" n_segments=2 microcode=1 nfs_module=1

# What the check says about the broken ones
cat "$W"/early.cpio "$W"/nonfs.gzip > "$W"/ucode-nonfs.gzip
expect_finding "$W"/ucode-nonfs.gzip error initrd-no-nfs
expect_finding "$W"/ucode-nonfs.gzip error initrd-no-nfs-module
expect_finding "$W"/ucode-nonfs.gzip error initrd-no-network
expect_finding "$W"/nfs.gzip error initrd-kernel-mismatch "" "" 6.9.9-other
expect_finding "$W"/nfs.gzip info initrd-cmdline

sz=$(stat -c %s "$W"/nfs.zstd)
head -c $((sz / 2)) "$W"/nfs.zstd > "$W"/truncated.zstd
expect_finding "$W"/truncated.zstd error initrd-corrupt
head -c $(( $(stat -c %s "$W"/nfs.gzip) - 100 )) "$W"/nfs.gzip > "$W"/truncated.gzip
expect_finding "$W"/truncated.gzip error initrd-corrupt
cp "$W"/nfs.gzip "$W"/corrupt.gzip
printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' | dd of="$W"/corrupt.gzip bs=1 seek=30 conv=notrunc status=none
expect_finding "$W"/corrupt.gzip error initrd-corrupt
cp "$W"/nfs.zstd "$W"/corrupt.zstd
printf XXXXXXXXXXXXXXXX | dd of="$W"/corrupt.zstd bs=1 seek=$((sz / 2)) conv=notrunc status=none
expect_finding "$W"/corrupt.zstd error initrd-corrupt
{ cat "$W"/early.cpio; printf 'JUNKJUNK'; } > "$W"/junk-after.cpio
expect_finding "$W"/junk-after.cpio error initrd-corrupt
(cd "$T" && find . | cpio -o -H odc --quiet) > "$W"/odc.cpio
expect_finding "$W"/odc.cpio error initrd-corrupt
head -c 70000 /dev/urandom > "$W"/random.img
expect_finding "$W"/random.img error initrd-corrupt
head -c 4096 /dev/zero > "$W"/zeros.img
expect_finding "$W"/zeros.img error initrd-corrupt
# A hostile image that claims a 2.4 GB member: refused from its header, nothing is unpacked
{ printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' 1 33188 0 0 1 0 $((0x90000000)) 0 0 0 0 4 0
  printf 'big\0\0\0'; head -c 1000 /dev/zero; } | gzip -c > "$W"/bomb.gzip
out=$(BOOTCHECK_VERBOSE=1 "$TOOL" check-initramfs "$W"/bomb.gzip)
grep -q "unpacks to more than" <<<"$out" || { fail "bomb"; echo "$out"; }
head -c 3000 "$W"/nfs.cpio > "$W"/truncated.cpio
expect_finding "$W"/truncated.cpio error initrd-corrupt

# The cache: a missing state dir is created 0700; an unchanged image is not rescanned; a
# changed one is.
S=$W/state/deeper
cp "$W"/ucode-nfs.zstd "$W"/cached.zstd
expect "$W"/cached.zstd cached=0
"$TOOL" initramfs "$W"/cached.zstd "$S"/initramfs-cache | grep -qx cached=0 || fail "first scan cached"
if [ "$(stat -c %a "$S")" != 700 ] || [ "$(stat -c %a "$S"/initramfs-cache)" != 700 ]; then
    fail "cache dir modes"; ls -la "$S"
fi
expect_cached() {
    local out; out=$("$TOOL" initramfs "$W"/cached.zstd "$S"/initramfs-cache)
    grep -qx "cached=$1" <<<"$out" || fail "cached is not $1 ($2)"
    grep -qx nfs_module=1 <<<"$out" || { fail "cached result differs ($2)"; echo "$out"; }
}
expect_cached 1 "unchanged"
touch -d '2001-01-01' "$W"/cached.zstd
expect_cached 0 "mtime changed"
expect_cached 1 "unchanged again"
chown 64055:64055 "$W"/cached.zstd 2>/dev/null && expect_cached 1 "chowned as libvirt does at start"
cat "$W"/early.cpio "$W"/nfs.zstd > "$W"/cached.zstd.new && mv "$W"/cached.zstd.new "$W"/cached.zstd
expect_cached 0 "replaced (new inode)"
# A cache entry that was tampered with is ignored, not trusted
for f in "$S"/initramfs-cache/*; do sed -i 's/^nfs_module=1/nfs_module=0/; s/^n_files=.*/bogus/' "$f"; done
expect_cached 0 "corrupt cache entry"
# The check uses policy->state_dir/initramfs-cache
"$TOOL" check-initramfs "$W"/cached.zstd "" "$W"/state2 >/dev/null
out=$(BOOTCHECK_VERBOSE=1 "$TOOL" check-initramfs "$W"/cached.zstd "" "$W"/state2)
grep -q 'cached scan' <<<"$out" || { fail "check did not use the cache"; echo "$out"; }

[ "$bad" = 0 ] && pass "all initramfs image checks passed"
summary
