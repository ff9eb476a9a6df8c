#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Cockpit page, as a person sees it: the page installed (cmake --install --component cockpit)
# into the test's own prefix, Cockpit's real web server (cockpit-ws --local-session, no TLS) on
# loopback inside a private network namespace, headless Chromium driven by selenium
# (browser.py), the real CLI on libvirt's test driver (test:///default runs a domain "test")
# with a policy, state records, etab and create's debootstrap all in the sandbox.
# Screenshots go to ARTIFACTS (ctest: <build>/tests/cockpit/artifacts).
# Usage: browser.sh BUILD_DIR CLI ARTIFACTS
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
B=$(readlink -f "$1") CLI=$(readlink -f "$2") ART=$3
# shellcheck source=../lib/check.sh
. "$SRC/tests/lib/check.sh"
# shellcheck source=../lib/ns.sh
. "$SRC/tests/lib/ns.sh"

if [ -z "${COCKPIT_INSIDE:-}" ]; then
    [ "$(id -u)" = 0 ] || skip "needs root (network namespace, chroot for create)"
    WS=/usr/lib/cockpit/cockpit-ws
    for p in "$WS" /usr/bin/cockpit-bridge /usr/bin/chromium /usr/bin/chromedriver; do
        [ -x "$p" ] || skip "$p is not installed (scripts/packages.sh: cockpit-ws cockpit-bridge chromium chromium-driver)"
    done
    /usr/bin/python3 -c 'import selenium' 2>/dev/null || skip "python3-selenium is not installed"
    virsh -c test:///default list >/dev/null 2>&1 || skip "libvirt test driver unusable"
    ns_enter COCKPIT_INSIDE -- "$0" "$@"
fi
# No exportfs the page could run sees the host's exports (nor changes them).
{ ns_private && ns_nfs_state; } || { fail "namespaces: lo up, private NFS state"; exit 1; }
T=$(mktemp -d /var/tmp/virt-nfsroot-cockpit.XXXXXX) || exit 1
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
mkdir -p "$ART" "$T/export" "$T/state/domains" "$T/boot" "$T/bin" "$T/cache" "$T/home"
find "$ART" -maxdepth 1 -name '*.png' ! -name 'live-*' -delete   # live-*: cockpit.live's

# The page, installed as a package installs it, under a prefix of the test's own.
cmake --install "$B" --component cockpit --prefix "$T/prefix" >"$T/install.log" 2>&1 ||
    { fail "cmake --install --component cockpit"; cat "$T/install.log"; exit 1; }
check "installed: manifest in <prefix>/share/cockpit/virt-nfsroot" \
    test -f "$T/prefix/share/cockpit/virt-nfsroot/manifest.json"

# The host state: policy, network, a running annotated guest "test" whose export the server
# holds, a record of a domain libvirt does not run (stale: reconcile removes it), and a record
# nobody can read (its bytes hostile).
# shellcheck source=../lib/sandbox.sh
. "$SRC/tests/lib/sandbox.sh"
sandbox_network "$T/net"
sandbox_policy "$T" "boot_dirs = $T/boot" "etab = $T/etab"
OPTS=rw,async,no_root_squash,insecure,no_subtree_check
mkdir -p "$T/export/test"
{
    printf 'virt-nfsroot-state 1\ndomain test\nuuid 6695eb01-f6a4-8304-79aa-97f2502e193f\n'
    printf 'backend kernel\nsince 1764000000\nserver 192.168.122.1\nsubnet_wide 0\n'
    printf 'export root rw %s %s 192.168.122.5/32\n' "$T/export/test" "$OPTS"
} >"$T/state/domains/test.state"
printf '%s\t192.168.122.5/32(%s)\n' "$T/export/test" "$OPTS" >"$T/etab"
{
    printf 'virt-nfsroot-state 1\ndomain gone\nuuid 0f0f0f0f-0000-4000-8000-000000000001\n'
    printf 'backend kernel\nsince 1764000000\nserver 192.168.122.1\nsubnet_wide 0\n'
    printf 'export root rw %s %s 192.168.122.9/32\n' "$T/export/gone" "$OPTS"
} >"$T/state/domains/gone.state"
printf 'virt-nfsroot-state 1\ndomain broken\nnot a record \033[31m<b>x</b>\n' \
    >"$T/state/domains/<b>broken<img src=x onerror=document.title=1>.state"

# What the guest's kernel package and dracut "install": an x86-64 ELF header the boot check
# identifies, and a cpio holding what a dracut NFS initramfs holds (as the libvirt harness's
# lv_build_initrd, without kernel modules).
mkdir -p "$T/fake" "$T/initrd/usr/lib/dracut/modules.d/95nfs" "$T/initrd/usr/lib/dracut/modules.d/40network" \
    "$T/initrd/usr/sbin" "$T/initrd/lib"
/usr/bin/python3 -c 'import sys; h = bytearray(64); h[0:7] = b"\x7fELF\x02\x01\x01"
h[0x10] = 2; h[0x12] = 0x3e; sys.stdout.buffer.write(bytes(h) + bytes(4096))' >"$T/fake/vmlinuz"
printf '#!/bin/sh\n. /lib/dracut-lib.sh\n' >"$T/initrd/init"
printf '059\n' >"$T/initrd/usr/lib/dracut/dracut-version"
printf '%s\n' base network-legacy network nfs kernel-modules >"$T/initrd/usr/lib/dracut/modules.txt"
for f in module-setup.sh nfs-lib.sh parse-nfsroot.sh nfsroot.sh; do
    printf '#!/bin/sh\n' >"$T/initrd/usr/lib/dracut/modules.d/95nfs/$f"
done
for f in module-setup.sh net-lib.sh ifup.sh netroot.sh; do
    printf '#!/bin/sh\n' >"$T/initrd/usr/lib/dracut/modules.d/40network/$f"
done
printf '#!/bin/sh\n' >"$T/initrd/lib/dracut-lib.sh"
cp /usr/sbin/mount.nfs "$T/initrd/usr/sbin/mount.nfs" 2>/dev/null
(cd "$T/initrd" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
    gzip -6 >"$T/fake/initrd.img"

# create's debootstrap: a small Debian-like tree (create-staging.sh's), a dracut that takes
# two seconds so the bar is seen between stages.
export VIRT_NFSROOT_CACHE_DIR=$T/cache VIRT_NFSROOT_DEBIAN_KEYRING=$T/keyring.gpg
export VIRT_NFSROOT_DEBOOTSTRAP=$T/bin/debootstrap
echo key >"$T/keyring.gpg"
KVER=6.1.0-fake
cat >"$T/bin/debootstrap" <<EOS
#!/bin/sh
for a; do into=\$last; last=\$a; done
set -e
cp -a "$SRC/tests/data/guest/debian-bookworm/tree/." "\$into/"
printf 'ID=debian\nVERSION_ID=13\nVERSION_CODENAME=trixie\n' >"\$into/etc/os-release"
mkdir -p "\$into/proc" "\$into/sys" "\$into/dev" "\$into/boot" "\$into/lib/modules/$KVER" \
    "\$into/lib64" "\$into/usr/lib/x86_64-linux-gnu"
cp -L /bin/dash "\$into/usr/bin/sh"
cp -L /bin/sleep /bin/cat "\$into/usr/bin/"
mkdir -p "\$into/usr/share/fake-boot" && cp "$T/fake/vmlinuz" "$T/fake/initrd.img" "\$into/usr/share/fake-boot/"
cp -L /lib/x86_64-linux-gnu/libc.so.6 "\$into/usr/lib/x86_64-linux-gnu/"
cp -L /lib64/ld-linux-x86-64.so.2 "\$into/lib64/"
printf '#!/bin/sh\n[ "\$1" = install ] || exit 0\nsleep 1\ncat /usr/share/fake-boot/vmlinuz >/boot/vmlinuz-$KVER\ncat /usr/share/fake-boot/initrd.img >/boot/initrd.img-$KVER\n' >"\$into/usr/bin/apt-get"
printf '#!/bin/sh\nsleep 2\nfor a; do out=\$a; done\ncat /usr/share/fake-boot/initrd.img >"\$out"\n' >"\$into/usr/bin/dracut"
chmod 755 "\$into/usr/bin/apt-get" "\$into/usr/bin/dracut"
EOS
chmod 755 "$T/bin/debootstrap"

# The page runs "virt-nfsroot" from PATH: the CLI under test, on libvirt's test driver.
printf '#!/bin/sh\nexec %q --connect test:///default "$@"\n' "$CLI" >"$T/bin/virt-nfsroot"
chmod 755 "$T/bin/virt-nfsroot"
export PATH="$T/bin:$PATH" HOME=$T/home XDG_DATA_DIRS="$T/prefix/share:/usr/share"
export XDG_CONFIG_DIRS=$T/etc-xdg XDG_RUNTIME_DIR=$T/run
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

PORT=9090
# shellcheck source=ws.sh
. "$HERE/ws.sh"
ws_start "$PORT" "$T/ws.log"
trap 'kill "$WS_PID" 2>/dev/null; wait "$WS_PID" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
check "cockpit-ws listens on 127.0.0.1:$PORT" ns_pid_alive "$WS_PID" || { cat "$T/ws.log"; exit 1; }

# What the CLI says for the same state: the page must show the same rows.
virt-nfsroot status --json >"$T/status.json" 2>/dev/null
virt-nfsroot doctor --json >"$T/doctor.json" 2>/dev/null
virt-nfsroot validate --json --domain test >"$T/validate.json" 2>/dev/null
virt-nfsroot reconcile --json >"$T/reconcile.json" 2>/dev/null

start=$(date +%s)
timeout 150 /usr/bin/python3 "$HERE/browser.py" "http://127.0.0.1:$PORT" "$T" "$ART"
rc=$?
echo "browser.py: $(($(date +%s) - start)) s"
check "the browser checks pass (browser.py)" [ "$rc" = 0 ] || { echo "--- ws.log"; tail -20 "$T/ws.log"; }
summary
