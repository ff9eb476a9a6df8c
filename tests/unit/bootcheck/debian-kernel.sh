#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The kernel header reader and the initramfs scan against a real Debian kernel: the package
# that linux-image-amd64 depends on, fetched with apt-get download and cached in
# ${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/bootcheck.
set -euo pipefail
TOOL=${1:?usage: debian-kernel.sh BOOTCHECK_TOOL}
skip() { echo "SKIP: $*"; exit 77; }
if ! command -v apt-cache >/dev/null || ! command -v dpkg-deb >/dev/null; then
    skip "not a Debian system"
fi
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$KPKG" ] || skip "apt-cache does not know linux-image-amd64 (no package lists?)"
KVER=${KPKG#linux-image-}
C=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/bootcheck
mkdir -p "$C" 2>/dev/null || skip "cannot create the cache $C"
K=$C/$KPKG
# Only a run that fills the cache takes its lock: a filled cache is only read, which an
# unprivileged run (CI's unit pass as nobody) can do without write access to it.
[ -s "$K/vmlinuz-$KVER" ] || (
    flock 9
    if [ ! -s "$K/vmlinuz-$KVER" ]; then
        ls "$C"/"${KPKG}"_*.deb >/dev/null 2>&1 || (cd "$C" && apt-get download -q "$KPKG" >/dev/null 2>&1) ||
            { echo "cannot download $KPKG"; exit 77; }
        rm -rf "$K.tmp" && mkdir -p "$K.tmp"
        dpkg-deb --fsys-tarfile "$C"/"${KPKG}"_*.deb |
            tar -x -C "$K.tmp" --wildcards "./boot/vmlinuz-*" "./lib/modules/*/kernel/fs/nfs/*" \
                "./lib/modules/*/kernel/net/sunrpc/*" "./lib/modules/*/modules.builtin"
        mv "$K.tmp/boot/vmlinuz-$KVER" "$K.tmp/vmlinuz-$KVER"
        rm -rf "$K" && mv "$K.tmp" "$K"
        rm -f "$C"/"${KPKG}"_*.deb
    fi
) 9>"$C/.lock" || { rc=$?; [ $rc = 77 ] && skip "cannot download $KPKG"; exit $rc; }

W=$(mktemp -d /tmp/bootcheck-kernel.XXXXXX)
trap 'rm -rf "$W"' EXIT
# shellcheck source=../../lib/check.sh
. "$(dirname "$0")/../../lib/check.sh"
VMLINUZ=$K/vmlinuz-$KVER

out=$("$TOOL" kernel "$VMLINUZ")
for kv in "format=x86 bzImage" arch=x86_64 "version=$KVER" is_64bit=1; do
    grep -qxF "$kv" <<<"$out" || { fail "$KPKG: expected '$kv'"; echo "$out"; }
done
proto=$(sed -n 's/^boot_protocol=//p' <<<"$out")
[ $((proto)) -ge $((0x020c)) ] || fail "boot protocol $proto"

out=$("$TOOL" check-kernel "$VMLINUZ")
if ! grep -qx "info kernel-identified" <<<"$out" || grep -q '^error' <<<"$out"; then
    fail "check-kernel on the real kernel"; echo "$out"
fi

head -c 1000000 "$VMLINUZ" > "$W"/truncated-vmlinuz
out=$("$TOOL" check-kernel "$W"/truncated-vmlinuz)
grep -qx "error kernel-truncated" <<<"$out" || { fail "truncated kernel"; echo "$out"; }

# An initramfs holding the real NFS modules and modules.builtin of this kernel
T=$W/tree; mkdir -p "$T"/usr/lib/dracut "$T"/usr/sbin "$T"/lib
cp -a "$K/lib/modules" "$T"/lib/
printf '#!/bin/sh\n' > "$T"/init
printf 'nfs\nnetwork-legacy\n' > "$T"/usr/lib/dracut/modules.txt
: > "$T"/usr/sbin/mount.nfs; : > "$T"/usr/sbin/dhclient
(cd "$T" && find . | cpio -o -H newc --quiet) | gzip -c > "$W"/initrd.img
out=$("$TOOL" initramfs "$W"/initrd.img)
for kv in nfs_module=1 nfsv3_module=1 nfsv4_module=1 nfs_builtin_known=1 nfs_builtin=0 "kernel_versions=$KVER"; do
    grep -qxF "$kv" <<<"$out" || { fail "initrd with $KPKG modules: expected '$kv'"; echo "$out"; }
done
# The scan cache goes to a state dir of the sandbox (an empty one would mean no cache at all).
out=$("$TOOL" check-initramfs "$W"/initrd.img "" "$W/state" "$KVER")
! grep -q '^error' <<<"$out" || { fail "errors for a matching initrd"; echo "$out"; }
out=$("$TOOL" check-initramfs "$W"/initrd.img "" "$W/state" "5.10.0-99-amd64")
grep -qx "error initrd-kernel-mismatch" <<<"$out" || { fail "no mismatch"; echo "$out"; }

# The vmlinuz given as initrd and the other way round: both say what the file really is
out=$("$TOOL" check-initramfs "$VMLINUZ")
grep -qx "error initrd-corrupt" <<<"$out" || { fail "kernel as initrd"; echo "$out"; }
out=$(BOOTCHECK_VERBOSE=1 "$TOOL" check-kernel "$W"/initrd.img)
grep -q "gzip data; an initramfs" <<<"$out" || { fail "initrd as kernel"; echo "$out"; }

[ "$bad" = 0 ] && pass "real kernel $KPKG checks passed"
summary
