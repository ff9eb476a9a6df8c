#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The .deb: built with cpack from this build tree, checked with dpkg-deb and lintian (errors
# fail, warnings are printed), then installed and removed with dpkg for real, inside a private
# mount namespace whose /usr, /etc and /var are overlays (the host is not touched).
# Usage: deb.sh BUILD_DIR
set -u
B=$(readlink -f "$1")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount namespace, dpkg)"; exit 77; }
for p in cpack dpkg dpkg-deb unshare; do
    command -v $p >/dev/null || { echo "SKIP: $p is not installed"; exit 77; }
done
[ -f "$B/CPackConfig.cmake" ] || { echo "SKIP: cmake/Packaging.cmake is not included"; exit 77; }
grep -q 'CPACK_PACKAGING_INSTALL_PREFIX "/usr"' "$B/CPackConfig.cmake" ||
    { echo "SKIP: configure with -DCMAKE_INSTALL_PREFIX=/usr to test the .deb"; exit 77; }

if [ -z "${DEB_INSIDE:-}" ]; then
    W=$(mktemp -d /var/tmp/virt-nfsroot-deb.XXXXXX) || exit 1
    trap 'rm -rf "$W"' EXIT
    (cd "$B" && cpack -G DEB -B "$W/out" >"$W/cpack.log" 2>&1) ||
        { echo "FAIL: cpack"; cat "$W/cpack.log"; exit 1; }
    DEB=''
    for f in "$W"/out/virt-nfsroot_*.deb; do if [ -e "$f" ]; then DEB=$f; break; fi; done
    [ -n "$DEB" ] || { echo "FAIL: no .deb produced"; cat "$W/cpack.log"; exit 1; }
    DEB_INSIDE=1 W=$W DEB=$DEB unshare -m -- bash "$0" "$@"
    exit $?
fi

# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
info=$(dpkg-deb -I "$DEB")
check "control: Package" grep -q '^ Package: virt-nfsroot$' <<<"$info"
for dep in libxml2 libnfsidmap1 libvirt0 libarchive13 libdbus-1-3 'nfs-kernel-server | nfs-ganesha'; do
    check "control: Depends on $dep" grep -q "^ Depends:.*$dep" <<<"$info"
done
check "no conffiles (the hook in /etc is a symlink)" sh -c "! dpkg-deb --ctrl-tarfile '$DEB' | tar -t | grep -q conffiles"
contents=$(dpkg-deb -c "$DEB")
check "the hook: a symlink to the static front end in libexec" \
    grep -q ' ./etc/libvirt/hooks/qemu.d/virt-nfsroot -> /usr/libexec/virt-nfsroot/qemu-hook$' <<<"$contents"
for f in ./usr/bin/virt-nfsroot ./usr/libexec/virt-nfsroot/qemu-hook \
         ./usr/libexec/virt-nfsroot/qemu-hook-run \
         ./usr/share/man/man1/virt-nfsroot.1.gz ./usr/share/man/man5/virt-nfsroot.conf.5.gz \
         ./usr/share/man/man8/virt-nfsroot-hook.8.gz \
         ./usr/share/bash-completion/completions/virt-nfsroot \
         ./usr/share/doc/virt-nfsroot/virt-nfsroot.conf.example \
         ./usr/share/virt-nfsroot/schemas/virt-nfsroot.rng; do
    check "contains $f" grep -q " $f\$" <<<"$contents"
done
if command -v lintian >/dev/null; then
    lintian --tag-display-limit 0 "$DEB" >"$W/lintian.txt" 2>&1
    grep -E '^W: ' "$W/lintian.txt"
    check "lintian: no errors" sh -c "! grep -q '^E: ' '$W/lintian.txt'"
    grep '^E: ' "$W/lintian.txt"
else
    echo "note: lintian is not installed; not run"
fi

# The Cockpit page: a package of its own (packaging/cockpit-deb.sh), lintian-clean, not in the
# main one.
check "the main package has no Cockpit page" not grep -q ' ./usr/share/cockpit/' <<<"$contents"
if [ -f "$B/cockpit/virt-nfsroot/manifest.json" ]; then
    version=$(dpkg-deb -f "$DEB" Version)
    CDEB=$("$(dirname "$0")/../../packaging/cockpit-deb.sh" "$B" "$version" "$W/out" 2>"$W/cdeb.log")
    check "cockpit: the .deb is built" test -f "$CDEB" || cat "$W/cdeb.log"
    check "cockpit: Depends on cockpit-bridge, libvirt-clients (the page's virsh) and this virt-nfsroot" \
        sh -c "dpkg-deb -f '$CDEB' Depends | grep -qx 'cockpit-bridge, libvirt-clients, virt-nfsroot (>= $version)'"
    check "cockpit: the page in /usr/share/cockpit/virt-nfsroot" \
        sh -c "dpkg-deb -c '$CDEB' | grep ' ./usr/share/cockpit/virt-nfsroot/manifest.json$' >/dev/null"
    if command -v lintian >/dev/null; then
        lintian --tag-display-limit 0 "$CDEB" >"$W/clintian.txt" 2>&1
        check "cockpit: lintian: no errors, no warnings" not grep -Eq '^[EW]: ' "$W/clintian.txt" ||
            cat "$W/clintian.txt"
    fi
fi

# dpkg -i / -r for real, on overlays.
mount --make-rprivate /
for d in usr etc var; do
    mkdir -p "$W/ov/$d/up" "$W/ov/$d/work"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$W/ov/$d/up,workdir=$W/ov/$d/work" "/$d" ||
        { echo "SKIP: no overlayfs here"; exit 77; }
done
# Whatever the host has, the overlay starts with a hook copied there by hand (an older
# `cmake --install`): the package replaces it without asking (stdin is closed: a conffile
# prompt would fail the install).
mkdir -p /etc/libvirt/hooks/qemu.d
rm -f /etc/libvirt/hooks/qemu.d/virt-nfsroot
printf '#!/bin/sh\nexit 0\n' >/etc/libvirt/hooks/qemu.d/virt-nfsroot
chmod 0755 /etc/libvirt/hooks/qemu.d/virt-nfsroot
dpkg -i "$DEB" </dev/null >"$W/install.log" 2>&1
check "dpkg -i: exit 0" [ $? = 0 ] || { cat "$W/install.log"; dpkg --audit; }
check "installed: dpkg -s says so" sh -c "dpkg -s virt-nfsroot | grep -q '^Status: install ok installed'"
check "installed: the CLI runs from /usr/bin" sh -c "/usr/bin/virt-nfsroot --version | grep -q '^virt-nfsroot '"
check "installed: the hand-copied hook was replaced by the link" \
    sh -c "[ \"\$(readlink /etc/libvirt/hooks/qemu.d/virt-nfsroot)\" = /usr/libexec/virt-nfsroot/qemu-hook ]"
check "installed: the hook is executable" test -x /etc/libvirt/hooks/qemu.d/virt-nfsroot
check "installed: the hook ignores a guest without metadata" \
    sh -c "echo '<domain/>' | /etc/libvirt/hooks/qemu.d/virt-nfsroot vm prepare begin -"
# An annotated guest reaches the library through the link: the front end execs qemu-hook-run
# next to its real path. A policy with an unknown key makes the library refuse before touching
# anything, with its own message.
echo 'no_such_key = 1' >"$W/bad-policy.conf"
cat >"$W/annotated.xml" <<'XML'
<domain type='qemu'><name>deb-vm</name><uuid>8f4e3b7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b</uuid>
<metadata><nfsroot:nfsroot xmlns:nfsroot="http://virt-nfsroot.org/xmlns/domain/1.0"/></metadata>
</domain>
XML
VIRT_NFSROOT_CONFIG=$W/bad-policy.conf /etc/libvirt/hooks/qemu.d/virt-nfsroot deb-vm prepare begin - \
    <"$W/annotated.xml" >"$W/annotated.out" 2>&1
check "installed: an annotated guest reaches the library (exit 1)" [ $? = 1 ]
check "installed: ... and its message names the domain and the policy key" \
    grep -q "^virt-nfsroot: domain 'deb-vm': .*no_such_key" "$W/annotated.out" || cat "$W/annotated.out"
check "installed: man virt-nfsroot" sh -c "man -w virt-nfsroot | grep -q man1/virt-nfsroot.1.gz"
dpkg -r virt-nfsroot </dev/null >"$W/remove.log" 2>&1
check "dpkg -r: exit 0" [ $? = 0 ] || cat "$W/remove.log"
check "removed: no CLI" test ! -e /usr/bin/virt-nfsroot
check "removed: no library" sh -c "! ls /usr/lib/*/libvirt-nfsroot.so* 2>/dev/null | grep -q ."
check "removed: the hook link is gone" test ! -L /etc/libvirt/hooks/qemu.d/virt-nfsroot
check "removed: the hook programs are gone" test ! -e /usr/libexec/virt-nfsroot/qemu-hook
dpkg -P virt-nfsroot </dev/null >>"$W/remove.log" 2>&1
check "dpkg -P: nothing left in dpkg's database" sh -c "! dpkg -s virt-nfsroot >/dev/null 2>&1"
summary
