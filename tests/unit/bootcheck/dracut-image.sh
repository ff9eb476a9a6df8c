#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real dracut-built initramfs (nfs + network-legacy modules) from the e2e guest tarball that
# tests/e2e caches in ${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/e2e; skipped
# when the e2e suite has not built one on this machine.
set -euo pipefail
TOOL=${1:?usage: dracut-image.sh BOOTCHECK_TOOL}
E=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/e2e
# the newest cached guest image (ties: by name, as ls -t)
tarball=$(find "$E" -mindepth 1 -maxdepth 1 -name 'guest-linux-image-*.tar.zst' -printf '%T@ %p\n' \
              2>/dev/null | LC_ALL=C sort -k1,1nr -k2 | head -1 | cut -d' ' -f2- || true)
[ -n "$tarball" ] || { echo "SKIP: no e2e guest tarball in $E (run the e2e suite once)"; exit 77; }
W=$(mktemp -d /tmp/bootcheck-dracut.XXXXXX)
trap 'rm -rf "$W"' EXIT
tar --zstd -xf "$tarball" -C "$W" --wildcards './boot/initrd.img-*' 2>/dev/null ||
    tar --zstd -xf "$tarball" -C "$W" --wildcards 'boot/initrd.img-*' 2>/dev/null || true
img=''
for f in "$W"/boot/initrd.img-*; do if [ -e "$f" ]; then img=$f; break; fi; done
[ -n "$img" ] || { echo "SKIP: $tarball holds no boot/initrd.img-*"; exit 77; }
kver=${img##*/initrd.img-}
# shellcheck source=../../lib/check.sh
. "$(dirname "$0")/../../lib/check.sh"
out=$("$TOOL" initramfs "$img")
for kv in has_init=1 dracut=1 nfs_scripts=1 mount_nfs=1 nfs_module=1 nfsv4_module=1 network=1 \
          dhcp_client=1 "kernel_versions=$kver"; do
    grep -qxF "$kv" <<<"$out" || fail "$img: expected '$kv'"
done
grep -q '^dracut_modules=.*\bnfs\b' <<<"$out" || fail "dracut modules.txt not read"
out2=$("$TOOL" check-initramfs "$img" "" "" "$kver")
! grep -q '^error' <<<"$out2" || { fail "errors for a good dracut image"; echo "$out2"; }
[ "$bad" = 0 ] && pass "real dracut image $(basename "$img") ($(grep ^n_files= <<<"$out")) passes" || echo "$out"
summary
