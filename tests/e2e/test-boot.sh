#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e.boot: a Debian guest made by `virt-nfsroot create` boots with / on NFSv4, exported by the
# virt-nfsroot hook; `virt-nfsroot delete --tree` then leaves nothing.
#
#  1. Outside any namespace (needs the apt mirror the first time): `virt-nfsroot create
#     --cache-only` fills create's tree cache in VIRT_NFSROOT_TEST_CACHE (see guest.sh).
#  2. In fresh mount + network + PID namespaces (tests/libvirt/harness.sh): a private D-Bus,
#     rpcbind and NFS-Ganesha (these machines have no kernel NFS server), virtlogd and libvirtd
#     with the hook installed, `virsh net-start default` (192.168.122.1/24 exists only here).
#     The hook's policy says `backend = ganesha`; libvirtd clears the environment, so the policy
#     is put at /etc/virt-nfsroot.conf through an overlay on /etc private to the namespace (the
#     host's /etc is not touched).
#  3. `virt-nfsroot create` makes the guest from the cache: tree copied, configured, initramfs
#     shared (no dracut run), kernel and initramfs in the policy's boot directory, the domain
#     defined with our metadata, its MAC pinned to 192.168.122.50 (--pin-address), checked.
#     The test adds its proof unit to the tree, then starts it under TCG.
#  4. The guest's proof unit (after boot has finished) writes `findmnt /` to the console and a
#     marker file into /; the host waits for both.
#  5. `virsh destroy`: ganesha no longer lists the export and its EXPORT file is gone;
#     `virt-nfsroot delete --tree` removes domain, boot files and tree.
#  6. A second guest from the same cached tree, `create --start --no-aslr` (timed; its guest
#     agent says the kernel randomizes no address space), then deleted as well.
#
# Usage: test-boot.sh HOOK-BINARY CLI-BINARY   (root; exits 77 with the reason when it cannot run)
# Environment: VIRT_NFSROOT_TEST_CACHE (default /var/cache/virt-nfsroot-tests), LV_KEEP=1 keeps
# the work directory (and the guest tree), E2E_BOOT_TIMEOUT (seconds, default 1200),
# E2E_DOMAIN_TYPE (qemu = TCG, the default; kvm where nested virtualization works).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../libvirt/harness.sh
. "$HERE/../libvirt/harness.sh"
# shellcheck source=guest.sh
. "$HERE/guest.sh"
# shellcheck source=../lib/ganesha.sh
. "$HERE/../lib/ganesha.sh"

VM=nfsroot-e2e
VM2=nfsroot-e2e2
GUEST_IP=192.168.122.50
GUEST_IP2=192.168.122.51
E2E_CACHE=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/e2e

if [ -z "${LV_INSIDE:-}" ]; then
    e2e_prereqs $# "${1:-}" "${2:-}" debootstrap chroot findmnt python3
    ganesha_prereqs
    grep -qw overlay /proc/filesystems ||
        skip "no overlayfs: cannot give the hook a private /etc/virt-nfsroot.conf"
    E2E_T0=$(lv_now)
    e2e_image_or_exit e2e "$(readlink -f "$2")" # an interrupted build leaves nothing behind
    E2E_PREP_S=$(lv_elapsed "$E2E_T0")
    export E2E_T0 E2E_STAGE E2E_KVER E2E_FROM_CACHE E2E_PREP_S E2E_CREATE_CACHE E2E_IMAGE
    lv_enter_namespace "$HERE/test-boot.sh" "$(readlink -f "$1")" "$(readlink -f "$2")"
fi

HOOK=$1
CLI=$2
G=$LV_WORK/ganesha

# A private /etc (overlay, upper layer in the work dir) so that /etc/virt-nfsroot.conf can hold
# this test's policy whether or not the host has one.  Before lv_setup_namespace, whose mounts
# over /etc/libvirt/... must land on top of it.
mkdir -p "$LV_WORK/etc-upper" "$LV_WORK/etc-work"
if ! mount -t overlay overlay \
        -o "lowerdir=/etc,upperdir=$LV_WORK/etc-upper,workdir=$LV_WORK/etc-work" /etc; then
    rm -rf "$E2E_STAGE"
    skip "cannot mount an overlay over /etc in the private mount namespace"
fi
lv_setup_namespace

e2e_cleanup() {
    local rc=$?
    # Guests first, while ganesha still answers the release hook.
    lv_stop_daemons
    ganesha_stop_all
    if [ -z "${LV_KEEP:-}" ]; then
        rm -rf "${LV_WORK:?}/export/$VM" "${LV_WORK:?}/export/$VM2"
    fi
    rm -rf "$E2E_STAGE"
    (exit "$rc")
    lv_cleanup
}
trap e2e_cleanup EXIT

mv "$E2E_STAGE"/create-cache.* "$LV_WORK/" 2>/dev/null
lv_install_hook "$HOOK"
echo "hook: $HOOK; cli: $CLI; guest kernel: $E2E_KVER; image from cache: $E2E_FROM_CACHE; domain type: ${E2E_DOMAIN_TYPE:-qemu}; work: $LV_WORK"
echo "timing: guest image ready (from cache: $E2E_FROM_CACHE): $E2E_PREP_S s"

# ---------------------------------------------------------------------------------------------
# D-Bus, rpcbind, ganesha (in this network namespace)

ganesha_config "$G" "$G/exports.d"
ganesha_policy "$LV_WORK/policy.conf" "for the e2e boot test"

export_files() { find "$G/exports.d" -name "virt-nfsroot-$1-*.conf" 2>/dev/null; }

t=$(lv_now)
if ganesha_start_bus && ganesha_start; then
    pass "ganesha answers on the private D-Bus ($(lv_elapsed "$t") s)"
else
    fail "ganesha did not come up on D-Bus; see $G/ganesha.log"
    tail -n 20 "$G/ganesha.log" "$G/ganesha.out" 2>/dev/null
    finish
    exit 1
fi

# ---------------------------------------------------------------------------------------------
# libvirt

t=$(lv_now)
lv_start_daemons || { fail "libvirtd/virtlogd start"; finish; exit 1; }
echo "timing: libvirtd start: $(lv_elapsed "$t") s"
lv_net_start || { fail "virsh net-start default"; finish; exit 1; }
ERR=$LV_WORK/virsh.err

# TCG by default: /dev/kvm exists on our CI machines but KVM guests do not run there (nested
# virtualization).  E2E_DOMAIN_TYPE=kvm where it works.
DOMAIN_TYPE=${E2E_DOMAIN_TYPE:-qemu}
# create NAME IP [ARGS...] : virt-nfsroot create from the cached tree, --json in $LV_WORK/NAME.json
create() {
    local name=$1 ip=$2
    shift 2
    VIRT_NFSROOT_CACHE_DIR=$E2E_CREATE_CACHE "$CLI" --connect "$LV_URI" --json create "$name" \
        --release "$E2E_SUITE" --network default --pin-address "$ip" --virt-type "$DOMAIN_TYPE" \
        --memory 1024 "$@" >"$LV_WORK/$name.json" 2>"$ERR"
}
# stages NAME : "stage status seconds note" per line, from create's --json
stages() {
    python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["stages"]:
    print(s["name"], s["status"], s["seconds"], s["note"] or "")' "$LV_WORK/$1.json"
}
json_field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]] or "")' "$LV_WORK/$1.json" "$2"; }
# nothing_left NAME UUID MAC : delete --tree left no domain, boot file, tree, export or pin
nothing_left() {
    local name=$1 uuid=$2 mac=$3
    if lv_virsh dominfo "$name" >/dev/null 2>&1; then fail "$name is still defined"; return; fi
    if [ -e "/export/$name" ]; then fail "/export/$name is still there"; return; fi
    if [ -e "/var/lib/libvirt/boot/$name" ]; then fail "its boot files are still there"; return; fi
    if [ -n "$(find /var/lib/libvirt/boot -name '*.img' 2>/dev/null)" ]; then
        fail "initramfs images left: $(find /var/lib/libvirt/boot -name '*.img')"; return
    fi
    if ganesha_lists "/export/$name" || [ -n "$(export_files "$uuid")" ]; then
        fail "an export of /export/$name is left"; return
    fi
    if lv_virsh net-dumpxml default | grep -qi "mac='$mac'"; then
        fail "the DHCP pin of $mac is left on network default"; return
    fi
    pass "delete --tree left nothing of $name: no domain, boot files, tree, export or pin"
}

t=$(lv_now)
if create "$VM" "$GUEST_IP"; then
    CREATE_S=$(lv_elapsed "$t")
    pass "virt-nfsroot create $VM ($CREATE_S s)"
else
    fail "virt-nfsroot create $VM: $(cat "$ERR")"
    cat "$LV_WORK/$VM.json"
    finish
    exit 1
fi
stages "$VM" | sed 's/^/    stage: /'
UUID=$(json_field "$VM" uuid)
if lv_virsh metadata "$VM" --uri "$LV_NS_URI" | grep -qF "path=\"/export/$VM\""; then
    pass "create wrote our metadata for /export/$VM"
else
    fail "no virt-nfsroot metadata for /export/$VM in $VM"
fi
if stages "$VM" | grep -q '^initramfs .*dracut built it'; then
    fail "the first guest from a cached tree ran dracut again"
else
    pass "the first guest from the cached tree needed no dracut run"
fi
# The serial console, as create defines it.
SERIAL=/var/log/libvirt/qemu/$VM-console.log
e2e_proof "/export/$VM"

# ---------------------------------------------------------------------------------------------
# Boot

t_start=$(lv_now)
if lv_virsh start "$VM" >/dev/null 2>"$ERR"; then
    pass "virsh start $VM (the hook planned, validated strictly and exported; $(lv_elapsed "$t_start") s)"
else
    fail "virsh start $VM: $(cat "$ERR")"
    finish
    exit 1
fi
if ganesha_lists "/export/$VM"; then
    pass "ganesha lists /export/$VM while the guest runs"
else
    fail "ganesha does not list /export/$VM after virsh start"
    ganesha_dbus ShowExports 2>&1 | sed 's/^/    /'
fi
F=$(export_files "$UUID")
if [ -n "$F" ] && grep -q "Clients = $GUEST_IP/32;" "$F"; then
    pass "EXPORT file $(basename "$F") is for the pinned address $GUEST_IP only"
else
    fail "no EXPORT file for $UUID with Clients = $GUEST_IP/32 in $G/exports.d"
    ls -la "$G/exports.d"; cat "$F" 2>/dev/null
fi

# The guest's last console line, for progress reports under slow TCG.
last_console() {
    tr -d '\r' <"$SERIAL" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' | grep -v '^ *$' |
        tail -n 1 | cut -c1-110
}
MARKER=/export/$VM/$E2E_MARKER
timeout=${E2E_BOOT_TIMEOUT:-1200}
next=30 st=running
while [ ! -s "$MARKER" ]; do
    el=$(lv_elapsed "$t_start")
    st=$(lv_domstate "$VM")
    [ "$st" = running ] || break
    [ "${el%.*}" -lt "$timeout" ] || break
    if [ "${el%.*}" -ge "$next" ]; then
        echo "  ... ${el%.*} s: $(last_console)"
        next=$((next + 30))
    fi
    sleep 2
done
BOOT_S=$(lv_elapsed "$t_start")
if [ -s "$MARKER" ]; then
    pass "the guest wrote /$E2E_MARKER into its NFS root, $BOOT_S s after virsh start"
else
    fail "no marker /$E2E_MARKER after $BOOT_S s (domain state '$st'); console tail:"
    tail -n 40 "$SERIAL" | tr -d '\r' | sed 's/^/    | /'
    finish
    exit 1
fi
sed 's/^/    marker: /' "$MARKER"
mk() { sed -n "s/^$1=//p" "$MARKER"; }
GUEST_UPTIME=$(mk uptime) # the marker goes with the tree (delete --tree)
case " $(mk root) " in
    # create writes the version the backend serves correctly into root= (ganesha: 4.1).
    " $LV_NET_ADDR:/export/$VM nfs4 "*vers=4.1*)
        pass "in the guest, / is $LV_NET_ADDR:/export/$VM over nfs4 (vers=4.1, as create pins it for ganesha)" ;;
    *) fail "in the guest, / is '$(mk root)', expected $LV_NET_ADDR:/export/$VM nfs4 vers=4.1" ;;
esac
# The guest caches its root as a local filesystem (create's nocto,actimeo=600,noatime in
# root=): the options reached the mount the guest runs on, past dracut and systemd's remount.
ROOT_OPTS=",$(mk root | awk '{ print $3 }'),"
if [ "${ROOT_OPTS#*,nocto,}" != "$ROOT_OPTS" ] && [ "${ROOT_OPTS#*,acdirmax=600,}" != "$ROOT_OPTS" ] &&
    [ "${ROOT_OPTS#*,noatime,}" != "$ROOT_OPTS" ]; then
    pass "the guest's / is mounted nocto,noatime with 600 s attribute caches"
else
    fail "the guest's / is mounted '$(mk root | awk '{ print $3 }')', expected nocto, noatime and acdirmax=600"
fi
# The pinned address, on the NIC the cmdline's ifname= names (dracut's own init, no systemd in the
# initramfs, finishes its wait for a NIC named so).
case " $(mk addr) " in
    *" bootnet=$GUEST_IP/24 "*) pass "the guest has its pinned address $GUEST_IP on bootnet" ;;
    *) fail "the guest's addresses are '$(mk addr)', expected bootnet=$GUEST_IP/24" ;;
esac
# A pinned guest boots with its address on the cmdline (create's static ip=): the initramfs
# asks no DHCP server, so dnsmasq never leased anything to its MAC.
MAC=$(json_field "$VM" mac)
if lv_virsh dumpxml "$VM" | grep -q "<cmdline>.* ip=$GUEST_IP::$LV_NET_ADDR:255\.255\.255\.0::bootnet:off ifname=bootnet:$MAC "; then
    pass "the cmdline gives the guest $GUEST_IP statically (ip=...:bootnet:off ifname=bootnet:$MAC)"
else
    fail "no static ip=$GUEST_IP on the cmdline: $(lv_virsh dumpxml "$VM" | grep '<cmdline>')"
fi
if grep -qi "$MAC" /var/lib/libvirt/dnsmasq/*.status 2>/dev/null; then
    fail "dnsmasq leased an address to $MAC: the guest made a DHCP round"
else
    pass "no DHCP lease for $MAC: the guest made no DHCP round"
fi
# create's domain has no USB controller (libvirt's default UHCI one made the root's udev load
# the USB stack over NFS after switch_root).
case " $(mk modules) " in
    "  ") fail "the marker lists no loaded module" ;;
    *" usbcore "* | *" uhci_hcd "* | *" ehci_hcd "*) fail "the guest loaded USB drivers: $(mk modules)" ;;
    *) pass "no USB driver loaded in the guest (no USB controller in its domain)" ;;
esac
# create's default is two vCPUs: the guest's boot runs its units on both (issue 23 part 2).
if [ "$(mk cpus)" = 2 ]; then
    pass "the guest runs on 2 vCPUs (create's default)"
else
    fail "the guest has '$(mk cpus)' CPUs, expected create's default of 2"
fi
# ASLR stays on unless create is told --no-aslr (the second guest below is).
if [ "$(mk aslr)" = 2 ]; then
    pass "the guest randomizes its address spaces (randomize_va_space 2, no norandmaps)"
else
    fail "the guest's randomize_va_space is '$(mk aslr)', expected 2"
fi
if [ "$(mk state)" = running ] && [ -z "$(mk failed | tr -d ' ')" ]; then
    pass "the guest reached multi-user: systemd says 'running', no failed unit"
else
    fail "guest systemd state '$(mk state)', failed units: '$(mk failed)'"
fi
# virtlogd may flush a moment after the guest wrote the marker.
for _ in $(seq 30); do
    grep -q 'virt-nfsroot-e2e: marker' "$SERIAL" 2>/dev/null && break
    sleep 1
done
if tr -d '\r' <"$SERIAL" | grep -q "virt-nfsroot-e2e: / is $LV_NET_ADDR:/export/$VM nfs4 "; then
    pass "the serial console shows / = $LV_NET_ADDR:/export/$VM nfs4"
else
    fail "the serial console ($SERIAL) lacks 'virt-nfsroot-e2e: / is $LV_NET_ADDR:/export/$VM nfs4'"
fi
# The cmdline gives the console's size (systemd.tty.rows/columns): systemd asks the terminal
# nothing (CSI 6n, never answered on a logged console: each probe waited out its timeout).
if grep -q $'\e\\[6n' "$SERIAL"; then
    fail "the console log has $(grep -c $'\e\\[6n' "$SERIAL") terminal size probe line(s) (CSI 6n)"
else
    pass "no terminal size probe (CSI 6n) on the serial console"
fi
# create's lsm= leaves the BPF LSM out: systemd attaches no RestrictFileSystems= program at
# start-up (its verification under TCG held PID 1 for up to 80 s, in the initramfs and again in
# the root); the kernel's other modules stay.
LSM_LINE=$(tr -d '\r' <"$SERIAL" | grep -o 'LSM: initializing lsm=[a-z0-9_,]*' | head -n 1)
if grep -q 'bpf-restrict-fs: LSM BPF program attached' "$SERIAL"; then
    fail "systemd attached its BPF LSM program: '$LSM_LINE'"
elif [ -z "$LSM_LINE" ] || [[ ",${LSM_LINE#*=}," == *,bpf,* ]] || [[ ",${LSM_LINE#*=}," != *,apparmor,* ]]; then
    fail "the kernel's LSMs are not the tree's less bpf: '$LSM_LINE'"
else
    pass "no BPF LSM in the guest, the other LSMs kept ($LSM_LINE)"
fi
# create masks Debian's getty-static (gettys on tty2-6 where there is no dbus; the domain has no
# display): getty.target, and so multi-user, waited 42 s for it.
if grep -q 'getty-static' "$SERIAL"; then
    fail "getty-static ran: $(tr -d '\r' <"$SERIAL" | grep -m1 'getty-static')"
else
    pass "no getty-static on tty2-6 (masked)"
fi
# create writes /etc/.updated and /var/.updated with /usr's time: ConditionNeedsUpdate= holds
# no more, so the first boot rebuilds neither the linker cache nor the journal catalog (10-42 s
# before sysinit.target under load).
NEEDS_UPDATE='ldconfig\.service|systemd-journal-catalog-update|systemd-update-done'
if tr -d '\r' <"$SERIAL" | grep -qE "$NEEDS_UPDATE"; then
    fail "a first-boot update unit ran: $(tr -d '\r' <"$SERIAL" | grep -m1 -E "$NEEDS_UPDATE")"
else
    pass "no ldconfig, journal catalog update or update-done on the first boot"
fi
echo "console lines that prove it:"
tr -d '\r' <"$SERIAL" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' |
    grep -E 'virt-nfsroot-e2e:|dhcp|DHCP|nfsroot|Mounted .*/sysroot|Reached target .*(Remote File|Multi-User)|login:|root@' |
    head -n 30 | sed 's/^/    | /'

# ---------------------------------------------------------------------------------------------
# Stop

if lv_virsh destroy "$VM" >/dev/null 2>"$ERR"; then
    pass "virsh destroy $VM"
else
    fail "virsh destroy $VM: $(cat "$ERR")"
fi
if ganesha_lists "/export/$VM"; then
    fail "ganesha still lists /export/$VM after virsh destroy"
else
    pass "ganesha no longer lists /export/$VM (ShowExports)"
fi
if [ -z "$(export_files "$UUID")" ]; then
    pass "the EXPORT file for $UUID is deleted"
else
    fail "EXPORT file(s) left: $(export_files "$UUID")"
fi
if grep -q "$UUID" "$G/exports.d/virt-nfsroot-index.conf"; then
    fail "ganesha's include index still names $UUID"
else
    pass "ganesha's include index no longer names the export"
fi
if "$CLI" --connect "$LV_URI" delete "$VM" --tree >"$LV_WORK/delete.out" 2>"$ERR"; then
    pass "virt-nfsroot delete $VM --tree"
else
    fail "virt-nfsroot delete $VM --tree: $(cat "$ERR")"
fi
nothing_left "$VM" "$UUID" "$(json_field "$VM" mac)"

# ---------------------------------------------------------------------------------------------
# A second guest from the same cached tree, started by create: the time a user waits. It is
# made --no-aslr (norandmaps on its cmdline: the TCG boot of docs/PERFORMANCE.md part 7), and
# its kernel, asked through the guest agent, says address-space randomization is off.

t=$(lv_now)
if create "$VM2" "$GUEST_IP2" --start --no-aslr; then
    SECOND_S=$(lv_elapsed "$t")
    pass "virt-nfsroot create $VM2 --start from the cached tree ($SECOND_S s)"
else
    SECOND_S=-
    fail "virt-nfsroot create $VM2 --start: $(cat "$ERR")"
fi
stages "$VM2" | sed 's/^/    stage: /'
UUID2=$(json_field "$VM2" uuid)
if stages "$VM2" | grep -q '^tree cached ' && ! stages "$VM2" | grep -q '^initramfs .*dracut built it'; then
    pass "the second guest: tree from the cache, no debootstrap, no dracut run"
else
    fail "the second guest did not come from the cache alone"
fi
if [ "$(lv_domstate "$VM2")" = running ] && ganesha_lists "/export/$VM2"; then
    pass "$VM2 runs and ganesha lists /export/$VM2"
else
    fail "$VM2 is '$(lv_domstate "$VM2")', ganesha lists: $(ganesha_dbus ShowExports 2>&1 | tr '\n' ' ')"
fi
if lv_virsh dumpxml "$VM2" | grep -q "<cmdline>.* panic=10 norandmaps"; then
    pass "create --no-aslr put norandmaps on $VM2's cmdline"
else
    fail "no norandmaps on $VM2's cmdline: $(lv_virsh dumpxml "$VM2" | grep '<cmdline>')"
fi
# Its tree has no e2e proof (create --start boots it at once): ask its guest agent (the tree's
# qemu-guest-agent, on create's channel) what the kernel says, once the agent answers.
agent() { lv_virsh qemu-agent-command "$VM2" "$1" 2>/dev/null; }
agent_return() { python3 -c 'import json, sys; print(json.load(sys.stdin)["return"])'; }
while ! agent '{"execute":"guest-ping"}' >/dev/null && [ "$(lv_domstate "$VM2")" = running ] &&
    [ "$(lv_elapsed "$t" | cut -d. -f1)" -lt "${E2E_BOOT_TIMEOUT:-1200}" ]; do
    sleep 2
done
AGENT_S=$(lv_elapsed "$t")
H=$(agent '{"execute":"guest-file-open","arguments":{"path":"/proc/sys/kernel/randomize_va_space"}}' |
    agent_return)
ASLR2=$(agent "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":${H:-0}}}" |
    python3 -c 'import base64, json, sys; print(base64.b64decode(json.load(sys.stdin)["return"]["buf-b64"]).decode().strip())')
agent "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":${H:-0}}}" >/dev/null
if [ "$ASLR2" = 0 ]; then
    pass "$VM2's agent answered $AGENT_S s after create began: randomize_va_space 0 in the guest"
else
    fail "$VM2 (--no-aslr): randomize_va_space '$ASLR2' after $AGENT_S s (state '$(lv_domstate "$VM2")')"
fi
if "$CLI" --connect "$LV_URI" delete "$VM2" >/dev/null 2>"$ERR"; then
    fail "delete refused nothing while $VM2 runs"
else
    check "delete refuses while $VM2 runs" grep -q "is running: shut it down first" "$ERR"
fi
lv_virsh destroy "$VM2" >/dev/null 2>&1
if "$CLI" --connect "$LV_URI" delete "$VM2" --tree >/dev/null 2>"$ERR"; then
    pass "virt-nfsroot delete $VM2 --tree"
else
    fail "virt-nfsroot delete $VM2 --tree: $(cat "$ERR")"
fi
nothing_left "$VM2" "$UUID2" "$(json_field "$VM2" mac)"

failures=$(lv_hook_failures)
if [ -z "$failures" ]; then
    pass "libvirtd logged no hook failure"
else
    fail "hook failures in libvirtd.log: $(echo "$failures" | tr '\n' ';')"
fi
if ns_pid_alive "$GANESHA_PID"; then
    pass "ganesha is still running"
else
    fail "ganesha died; see $G/ganesha.log"
fi

echo "timing: create from the cached tree: $CREATE_S s; second guest (create --start): $SECOND_S s"
echo "timing: boot (virsh start to marker seen): $BOOT_S s; guest uptime at proof: $GUEST_UPTIME s"
echo "timing: whole test $(lv_elapsed "$E2E_T0") s (guest image from cache: $E2E_FROM_CACHE)"
finish
