#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libvirt.shared-boot: two guests made by `virt-nfsroot create` from the same cached tree share
# one initramfs of the store, and libvirt's DAC driver chowns the kernel and initramfs of a
# domain at every start (to the QEMU user of /etc/libvirt/qemu.conf; Debian: libvirt-qemu) and
# restores them at its stop.  Both guests must start, and no start or stop of one may change
# the other's boot files or the store's image (owner, mode, content).  The second guest is made
# under umask 077 (a root shell's): QEMU, running as its own user, must still read its boot
# files.  The guests are started paused: QEMU has opened kernel and initramfs by then, and TCG
# does not burn the shared cores.
#
# Usage: test-shared-boot.sh HOOK-BINARY CLI-BINARY   (root; exits 77 when it cannot run)
# The guest image is the e2e tests' (tests/e2e/guest.sh: create's tree cache in
# VIRT_NFSROOT_TEST_CACHE/e2e/create, filled once from the apt mirror).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness.sh
. "$HERE/harness.sh"
# shellcheck source=../e2e/guest.sh
. "$HERE/../e2e/guest.sh"

VM1=nfsroot-sb1
VM2=nfsroot-sb2
E2E_CACHE=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/e2e

if [ -z "${LV_INSIDE:-}" ]; then
    e2e_prereqs $# "${1:-}" "${2:-}" debootstrap chroot python3 sha256sum
    e2e_image_or_exit shared-boot "$(readlink -f "$2")"
    rm -rf "$E2E_STAGE"
    trap - EXIT
    export E2E_CREATE_CACHE E2E_KVER
    lv_enter_namespace "$HERE/test-shared-boot.sh" "$(readlink -f "$1")" "$(readlink -f "$2")"
fi

HOOK=$1
CLI=$2
lv_setup_namespace
trap lv_cleanup EXIT
lv_install_hook "$HOOK"
# What the daemons run QEMU as: the host's qemu.conf (the harness leaves it alone).
QEMU_USER=$(sed -n 's/^[[:space:]]*user[[:space:]]*=[[:space:]]*"\(.*\)".*/\1/p' \
    /etc/libvirt/qemu.conf 2>/dev/null | tail -n 1)
echo "hook: $HOOK; cli: $CLI; guest kernel: $E2E_KVER; qemu.conf user: ${QEMU_USER:-(default)}"
lv_start_daemons || { fail "libvirtd/virtlogd start"; finish; exit 1; }
lv_net_start || { fail "virsh net-start default"; finish; exit 1; }
ERR=$LV_WORK/virsh.err
# The CLI's policy: the hook's defaults (an empty policy, as libvirtd runs it), but the records
# of what create made (owned_dir) kept in the sandbox, not the host's /var/lib.
printf 'owned_dir = %s/owned\n' "$LV_WORK" >"$LV_WORK/policy.conf"
export VIRT_NFSROOT_CONFIG=$LV_WORK/policy.conf
BOOT=/var/lib/libvirt/boot

# create NAME IP : from the cached tree, not started.
create() {
    VIRT_NFSROOT_CACHE_DIR=$E2E_CREATE_CACHE "$CLI" --connect "$LV_URI" create "$1" \
        --release "$E2E_SUITE" --network default --pin-address "$2" --virt-type qemu \
        --memory 256 >"$LV_WORK/$1.out" 2>"$ERR"
}
boot_files() { printf '%s\n' "$BOOT/$1/vmlinuz" "$BOOT/$1/initrd.img"; }
store_files() { find "$BOOT/.initramfs" -type f 2>/dev/null | sort; }
# files_state GUEST|store... : "path uid:gid mode sha256" per boot file of each GUEST and per
# image of the store (what another guest must not change).
files_state() {
    local w f
    for w in "$@"; do
        if [ "$w" = store ]; then store_files; else boot_files "$w"; fi
    done | while read -r f; do
        printf '%s %s %s\n' "$f" "$(stat -c '%u:%g %a' "$f")" "$(sha256sum <"$f" | cut -d' ' -f1)"
    done
}
# unchanged WHAT SAVED GUEST|store... : their files are as SAVED says.
unchanged() {
    local what=$1 saved=$2
    shift 2
    if files_state "$@" | diff "$saved" - >"$LV_WORK/diff"; then
        pass "$what"
    else
        fail "$what: $(tr '\n' ' ' <"$LV_WORK/diff")"
    fi
}
# qemu_uid NAME : the uid the domain's QEMU process runs as.
qemu_uid() {
    awk '/^Uid:/ { print $2 }' "/proc/$(tr -dc '0-9' <"/run/libvirt/qemu/$1.pid")/status"
}
start_paused() {
    if lv_virsh start --paused "$1" >/dev/null 2>"$ERR" && [ "$(lv_domstate "$1")" = paused ]; then
        pass "virsh start --paused $1: QEMU runs as uid $(qemu_uid "$1") ($(id -nu "$(qemu_uid "$1")"))"
    else
        fail "virsh start --paused $1: $(cat "$ERR")"
    fi
}

if create "$VM1" 192.168.122.60; then
    pass "create $VM1 from the cached tree"
else
    fail "create $VM1: $(cat "$ERR")"; finish; exit 1
fi
if (umask 077 && create "$VM2" 192.168.122.61); then
    pass "create $VM2 from the cached tree under umask 077"
else
    fail "create $VM2 under umask 077: $(cat "$ERR")"; finish; exit 1
fi
check "both guests take the store's image (no second dracut run)" \
    [ "$(store_files | wc -l)" = 1 ]
modes=$(stat -c '%a' "$BOOT/$VM2" "$BOOT/$VM2/vmlinuz" "$BOOT/$VM2/initrd.img" | tr '\n' ' ')
check "umask 077: boot directory 0755, kernel and initramfs 0644 (got $modes)" \
    [ "$modes" = "755 644 644 " ]
# Issue 23: a guest that panics stops (pvpanic, on_crash destroy) or reboots (panic=), never hangs.
lv_virsh dumpxml --inactive "$VM1" >"$LV_WORK/$VM1.xml" 2>"$ERR"
check "$VM1's domain: on_crash destroy and a pvpanic device" \
    python3 -c 'import sys, xml.etree.ElementTree as E
d = E.parse(sys.argv[1]).getroot()
assert d.findtext("on_crash") == "destroy" and d.find("devices/panic") is not None' "$LV_WORK/$VM1.xml"
check "$VM1's cmdline: panic=10" grep -q '<cmdline>.* panic=10[ <]' "$LV_WORK/$VM1.xml"

files_state "$VM2" store >"$LV_WORK/vm2-store.0"
files_state "$VM1" >"$LV_WORK/vm1.0"
start_paused "$VM1"
unchanged "starting $VM1 changed neither $VM2's boot files nor the store's image" \
    "$LV_WORK/vm2-store.0" "$VM2" store
# The premise: libvirt gave the running guest's initramfs to the QEMU user.
check "while $VM1 runs, its initramfs belongs to the QEMU user (libvirt's DAC relabel)" \
    [ "$(stat -c %u "$BOOT/$VM1/initrd.img")" = "$(qemu_uid "$VM1")" ]
files_state "$VM1" store >"$LV_WORK/vm1-store.1"
start_paused "$VM2"
unchanged "starting $VM2 changed neither $VM1's boot files (as it runs) nor the store's image" \
    "$LV_WORK/vm1-store.1" "$VM1" store
files_state "$VM2" >"$LV_WORK/vm2.1"
lv_virsh destroy "$VM1" >/dev/null 2>&1
check "$VM1 stopped" [ "$(lv_domstate "$VM1")" = "shut off" ]
unchanged "stopping $VM1 changed not $VM2's boot files (as it runs)" \
    "$LV_WORK/vm2.1" "$VM2"
lv_virsh destroy "$VM2" >/dev/null 2>&1
unchanged "both stopped: $VM1's boot files as create left them" \
    "$LV_WORK/vm1.0" "$VM1"
unchanged "both stopped: $VM2's boot files and the store's image as create left them" \
    "$LV_WORK/vm2-store.0" "$VM2" store

# Issue 23: --clone-of. A running guest is refused; a stopped one create made is copied (its
# note says reflink or plain copy), the clone gets its own ssh host key (the original's is
# removed, a new one made by the host's ssh-keygen), hostname, empty machine-id, MAC and pin,
# and takes the store's initramfs (no dracut run inside a guest's tree).
VM3=nfsroot-sb3
pinned() { lv_virsh net-dumpxml default | grep -q "ip='$1'"; }
clone() {
    VIRT_NFSROOT_CACHE_DIR=$E2E_CREATE_CACHE "$CLI" --connect "$LV_URI" --json create "$VM3" \
        --clone-of "$VM1" --network default --pin-address 192.168.122.62 --virt-type qemu \
        --memory 256 >"$LV_WORK/$VM3.out" 2>"$ERR"
}
start_paused "$VM1"
clone; rc=$?
check "--clone-of a running guest: refused (exit $rc)" \
    grep -q "^virt-nfsroot: create: --clone-of '$VM1': the guest is running" "$ERR"
check "--clone-of a running guest: no tree" [ ! -e "/export/$VM3" ]
check "--clone-of a running guest: no domain" not lv_virsh dominfo "$VM3"
lv_virsh destroy "$VM1" >/dev/null 2>&1
mkdir -p "/export/$VM1/etc/ssh"
echo "the original's key" >"/export/$VM1/etc/ssh/ssh_host_ed25519_key"
echo "the original's key" >"/export/$VM1/etc/ssh/ssh_host_ed25519_key.pub"
if clone; then
    pass "create $VM3 --clone-of $VM1"
    note=$(python3 -c 'import json, sys
print([s["note"] for s in json.load(open(sys.argv[1]))["stages"] if s["name"] == "tree"][0])' \
        "$LV_WORK/$VM3.out")
    check "clone: the tree stage names the source and the method ($note)" \
        grep -Eq "^copied from /export/$VM1 \((reflink|plain copy)\)\$" <<<"$note"
    key=/export/$VM3/etc/ssh/ssh_host_ed25519_key
    check "clone: a new ssh host key, root's, 0600" [ "$(stat -c '%u %a' "$key" 2>/dev/null)" = "0 600" ]
    check "clone: not the original's key" not grep -q original "$key" "$key.pub"
    check "clone: the original's key untouched" grep -q original "/export/$VM1/etc/ssh/ssh_host_ed25519_key"
    check "clone: its own hostname" [ "$(cat "/export/$VM3/etc/hostname")" = "$VM3" ]
    check "clone: an empty machine-id" [ ! -s "/export/$VM3/etc/machine-id" ]
    mac1=$(lv_virsh domiflist "$VM1" | awk '/network/ { print $5 }')
    mac3=$(lv_virsh domiflist "$VM3" | awk '/network/ { print $5 }')
    check "clone: its own MAC ($mac3, not $mac1)" [ "${mac3:-none}" != "${mac1:-none}" ]
    check "clone: its own DHCP pin" pinned 192.168.122.62
    check "clone: the store's initramfs, no second image" [ "$(store_files | wc -l)" = 1 ]
else
    fail "create $VM3 --clone-of $VM1: $(cat "$ERR")"
fi
"$CLI" --connect "$LV_URI" delete "$VM3" --tree >/dev/null 2>"$ERR" ||
    fail "delete $VM3 --tree: $(cat "$ERR")"

# delete keeps the store's image while a guest's boot directory still links it.
"$CLI" --connect "$LV_URI" delete "$VM1" --tree >/dev/null 2>"$ERR" ||
    fail "delete $VM1 --tree: $(cat "$ERR")"
check "delete $VM1: the store's image kept for $VM2" [ "$(store_files | wc -l)" = 1 ]
"$CLI" --connect "$LV_URI" delete "$VM2" --tree >/dev/null 2>"$ERR" ||
    fail "delete $VM2 --tree: $(cat "$ERR")"
check "delete $VM2: the store's image removed with its last guest" [ -z "$(store_files)" ]
failures=$(lv_hook_failures)
check "libvirtd logged no hook failure${failures:+: $failures}" [ -z "$failures" ]
finish
