#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# scripts/setup --configure-only against a sandbox (every path it touches injected): on a host
# without nfsd and with Debian's stock ganesha.conf it writes every line the Ganesha backend needs
# (doctor's ganesha-* rows pass on the result), creates the index, sets the policy, backs up
# what it changes, says each change in one line and prints README.md's start commands; a second
# run changes nothing; an edited ganesha.conf is left alone (setup fails, printing the lines);
# a host with nfsd gets the kernel backend and README.md's kernel start commands.
# Usage: setup.sh CLI-BINARY   (root: setup refuses otherwise; exits 77 when not root)
set -u
CLI=$(readlink -f "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: scripts/setup runs as root"; exit 77; }
# setup bind-mounts the export root onto itself: in a private mount namespace, gone with it.
[ -n "${SETUP_TEST_NS:-}" ] || exec unshare -m --propagation private env SETUP_TEST_NS=1 "$0" "$@"
T=$(mktemp -d "${TMPDIR:-/tmp}/setup-test.XXXXXX") || exit 1
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    local m
    for m in "$T"/*/export; do while umount "$m" 2>/dev/null; do :; done; done
    rm -rf "$T"
}
trap cleanup EXIT
# shellcheck source=../lib/check.sh
. "$SRC/tests/lib/check.sh"
# shellcheck source=../lib/readme.sh
. "$SRC/tests/lib/readme.sh"
STOCK=$SRC/tests/data/doctor/ganesha-stock/root/etc/ganesha/ganesha.conf

# host NAME : a sandbox host $T/NAME: stock ganesha.conf, no policy, a /proc whose PID 1 is not
# systemd and without nfsd (but with an empty fs/nfsd, as this kernel has), no modules.
host() {
    H=$T/$1
    # /proc/fs/nfsd exists, empty, on kernels without nfsd (as on CI machines).
    mkdir -p "$H/etc/ganesha" "$H/proc/1" "$H/proc/fs/nfsd" "$H/modules" "$H/run"
    cp "$STOCK" "$H/etc/ganesha/ganesha.conf"
    echo init >"$H/proc/1/comm"
    printf 'nodev\tproc\nnodev\tnfs4\n' >"$H/proc/filesystems"
}
# setup : scripts/setup --configure-only on $H; output in $H/out, status in $H/rc
setup() {
    VIRT_NFSROOT_CONFIG=$H/etc/virt-nfsroot.conf VIRT_NFSROOT_GANESHA_CONF=$H/etc/ganesha/ganesha.conf \
        VIRT_NFSROOT_GANESHA_INDEX_DIR=$H/run/ganesha/virt-nfsroot.d \
        VIRT_NFSROOT_EXPORTS_DIR=$H/etc/exports.d VIRT_NFSROOT_PROC=$H/proc \
        VIRT_NFSROOT_MODULES=$H/modules VIRT_NFSROOT_SETUP_CLI=${SETUP_CLI:-true} \
        VIRT_NFSROOT_EXPORT_ROOT=$H/export VIRT_NFSROOT_FSTAB=$H/etc/fstab \
        "$SRC/scripts/setup" --configure-only >"$H/out" 2>&1
    echo $? >"$H/rc"
}
snapshot() { (cd "$H" && find etc run -printf '%p %m\n' -type f -exec md5sum {} + | sort); }
shown() { sed 's/^/     | /' "$H/out"; }
# start_block BACKEND : the start commands setup printed, with the sandbox's paths put back
start_block() {
    awk '/^setup: PID 1 is not systemd/ { on = 1; next } on && !/^    / { exit } on' "$H/out" |
        sed "s|^    ||; s|$H||g"
}

# 1. Ganesha, stock ganesha.conf, doctor (the real CLI) reads the result.
host ganesha
SETUP_CLI=$CLI setup
C=$H/etc/ganesha/ganesha.conf
if [ "$(cat "$H/rc")" = 0 ]; then pass "setup on a stock Ganesha host succeeds"; else fail "setup failed:"; shown; fi
check "the kernel has no nfsd: setup chose NFS-Ganesha" grep -q '^setup: NFS server: ganesha' "$H/out"
check "the stock ganesha.conf was backed up unchanged first" cmp -s "$STOCK" "$C.virt-nfsroot-bak"
check "ganesha.conf: NFSv4 only" grep -qE '^ *Protocols = 4;' "$C"
check "ganesha.conf: no RQUOTA" grep -qE '^ *Enable_RQUOTA = false;' "$C"
check "ganesha.conf: numeric owners" grep -qE '^ *Only_Numeric_Owners = true;' "$C"
check "ganesha.conf: the %include of the index" grep -qxF "%include \"$H/run/ganesha/virt-nfsroot.d/virt-nfsroot-index.conf\"" "$C"
# README.md's ganesha.conf lines are the ones setup writes.
readme_conf=$(sed -n '/^NFS_CORE_PARAM {$/,/^%include/p' "$SRC/README.md")
setup_conf=$(sed -n '/^NFS_CORE_PARAM {$/,/^%include/p' "$C" | sed "s|$H||")
check "setup writes README.md's ganesha.conf lines, verbatim" [ "$readme_conf" = "$setup_conf" ]
check "the index exists, empty" [ -f "$H/run/ganesha/virt-nfsroot.d/virt-nfsroot-index.conf" ] &&
    check "... and is empty" not test -s "$H/run/ganesha/virt-nfsroot.d/virt-nfsroot-index.conf"
check "the policy says backend = ganesha" grep -qx 'backend = ganesha' "$H/etc/virt-nfsroot.conf"
check "the policy names the ganesha.conf in use" grep -qx "ganesha_conf = $C" "$H/etc/virt-nfsroot.conf"
check "the export root is on a nosuid,nodev mount" \
    [ "$(findmnt -n -o VFS-OPTIONS --target "$H/export" | tr , '\n' | grep -cxE 'nosuid|nodev')" = 2 ]
check "fstab binds it so at boot" grep -qx "$H/export $H/export none bind,nosuid,nodev 0 0" "$H/etc/fstab"
check "the policy names the export root" grep -qx "export_roots = $H/export" "$H/etc/virt-nfsroot.conf"
for row in ganesha-owners ganesha-include ganesha-versions export-mounts; do
    check "doctor on the result: $row passes" grep -qE "^ *PASS +$row " "$H/out" ||
        grep -E "$row" "$H/out" | sed 's/^/     | /'
done
check "doctor on the result: rpcbind is not needed" grep -qE '^ *(PASS|SKIP) +rpcbind .*not needed' "$H/out"
n=$(grep -c "^setup: .*$H" "$H/out")
check "each change setup made is said in one line (9 lines, got $n)" [ "$n" = 9 ]
check "it says where the original ganesha.conf is" grep -qF "the original is $C.virt-nfsroot-bak" "$H/out"
check "PID 1 is not systemd: setup says what to start" grep -q '^setup: PID 1 is not systemd' "$H/out"
check "its start commands are README.md's 'start ganesha' block" \
    [ "$(start_block)" = "$(readme_block "$SRC/README.md" 'start ganesha')" ]

# 2. A second run changes nothing.
before=$(snapshot)
setup
check "a second run succeeds" [ "$(cat "$H/rc")" = 0 ]
check "a second run changes no file, mode or backup" [ "$before" = "$(snapshot)" ]
check "a second run says nothing changed" not grep -qE '^setup: .*(added|was |created)' "$H/out"

# 3. A policy with backend = kernel: backed up, then switched.
host policy
printf '# mine\nbackend = kernel\nvalidate = strict\n' >"$H/etc/virt-nfsroot.conf"
cp "$H/etc/virt-nfsroot.conf" "$T/policy.orig"
setup
check "an existing policy is backed up first" cmp -s "$T/policy.orig" "$H/etc/virt-nfsroot.conf.virt-nfsroot-bak"
check "its backend is switched to ganesha, its other lines kept" \
    [ "$(grep -vE '^(ganesha_|export_roots)' "$H/etc/virt-nfsroot.conf")" = "$(printf '# mine\nbackend = ganesha\nvalidate = strict')" ]
check "the switch is said with the old value" grep -q 'backend = ganesha (was kernel); the original is' "$H/out"

# 4. A ganesha.conf with settings of its own is not edited.
host edited
printf 'NFS_CORE_PARAM { Protocols = 3, 4; }\n' >"$H/etc/ganesha/ganesha.conf"
cp "$H/etc/ganesha/ganesha.conf" "$T/edited.orig"
setup
check "setup fails on an edited ganesha.conf lacking the backend's lines" [ "$(cat "$H/rc")" != 0 ]
check "... and leaves it as it was, with no backup" cmp -s "$T/edited.orig" "$H/etc/ganesha/ganesha.conf"
check "... and prints the lines to merge" grep -q '^    %include ' "$H/out"

# 5. A kernel with nfsd: the kernel backend.
host kernel
: >"$H/proc/fs/nfsd/threads"
setup
check "nfsd in the kernel: setup succeeds" [ "$(cat "$H/rc")" = 0 ]
check "... chooses the kernel server" grep -q '^setup: NFS server: kernel' "$H/out"
check "... leaves ganesha.conf alone" cmp -s "$STOCK" "$H/etc/ganesha/ganesha.conf"
check "... the policy says backend = kernel" grep -qx 'backend = kernel' "$H/etc/virt-nfsroot.conf"
check "... its start commands are README.md's 'start kernel' block" \
    [ "$(start_block)" = "$(readme_block "$SRC/README.md" 'start kernel')" ]

# 6. An export root that is a mount of its own: remounted nosuid,nodev, its fstab line not written.
host mounted
mkdir -p "$H/export" && mount --bind "$H/export" "$H/export"
setup
check "an export root mount: setup succeeds" [ "$(cat "$H/rc")" = 0 ]
check "... remounted nosuid,nodev" \
    [ "$(findmnt -n -o VFS-OPTIONS --target "$H/export" | tr , '\n' | grep -cxE 'nosuid|nodev')" = 2 ]
check "... says to add them to its fstab line" grep -q "add nosuid,nodev to its line in $H/etc/fstab" "$H/out"
check "... writes no fstab" [ ! -e "$H/etc/fstab" ]

# 7. Mounts stacked on the export root (a nosuid,nodev bind, and a plain mount laid over it
# later, as a test's namespace does over a host where setup ran): the path reaches the top one,
# which is remounted, not taken for done because the one below has the flags.
host stacked
mkdir -p "$H/export" && mount --bind "$H/export" "$H/export" &&
    mount -o remount,bind,nosuid,nodev "$H/export" && mount -t tmpfs stacked "$H/export"
setup
check "stacked mounts: setup succeeds" [ "$(cat "$H/rc")" = 0 ]
check "... the top mount is remounted nosuid,nodev" \
    [ "$(findmnt -n -o VFS-OPTIONS --target "$H/export" | tail -n 1 | tr , '\n' | grep -cxE 'nosuid|nodev')" = 2 ]
check "... not taken for done" not grep -q "on a nosuid,nodev mount already" "$H/out"
summary
