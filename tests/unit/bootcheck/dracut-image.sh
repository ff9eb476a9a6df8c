#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real dracut-built initramfs (nfs + network-legacy modules): the image of the e2e guest, which
# e2e.boot makes with `create --cache-only` and publishes world-readable (create's cache is
# root-only; this test also runs as nobody) in
# ${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/e2e/dracut-image (tests/e2e/guest.sh
# e2e_publish_initrd).  Skipped when the e2e suite has not run on this machine; CI runs e2e.boot
# first (DEPENDS here) and refuses a skip.
set -euo pipefail
TOOL=${1:?usage: dracut-image.sh BOOTCHECK_TOOL}
D=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/e2e/dracut-image
# the newest published image (ties: by name)
img=$(find "$D" -mindepth 1 -maxdepth 1 -type f -name 'initrd.img-*' -printf '%T@ %p\n' \
          2>/dev/null | LC_ALL=C sort -k1,1nr -k2 | head -1 | cut -d' ' -f2- || true)
[ -n "$img" ] || { echo "SKIP: no dracut image in $D (e2e.boot publishes one)"; exit 77; }
[ -r "$img" ] || { echo "FAIL: $img is not readable by $(id -un)"; exit 1; }
kver=${img##*/initrd.img-}
# shellcheck source=../../lib/check.sh
. "$(dirname "$0")/../../lib/check.sh"
out=$("$TOOL" initramfs "$img")
for kv in has_init=1 dracut=1 nfs_scripts=1 mount_nfs=1 nfs_module=1 nfsv4_module=1 network=1 \
          dhcp_client=1 "kernel_versions=$kver"; do
    grep -qxF "$kv" <<<"$out" || fail "$img: expected '$kv'"
done
grep -q '^dracut_modules=.*\bnfs\b' <<<"$out" || fail "dracut modules.txt not read"
# create's Debian image boots with dracut's own init: network-legacy, no systemd module (the boot
# check's cmdline-ip-mac-without-systemd rests on reading that from modules.txt).
mods=" $(sed -n 's/^dracut_modules=//p' <<<"$out") "
if [[ $mods == *" network-legacy "* && $mods != *" systemd "* ]]; then
    pass "the image runs dracut's own init (network-legacy, no systemd module)"
else
    fail "the image's dracut modules are '$mods': expected network-legacy and no systemd"
fi
out2=$("$TOOL" check-initramfs "$img" "" "" "$kver")
! grep -q '^error' <<<"$out2" || { fail "errors for a good dracut image"; echo "$out2"; }
[ "$bad" = 0 ] && pass "real dracut image $(basename "$img") ($(grep ^n_files= <<<"$out")) passes" || echo "$out"
summary
