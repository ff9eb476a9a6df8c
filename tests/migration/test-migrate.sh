#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# migration.live: a running guest whose / is on NFS moves between two hosts with `virsh migrate
# --live`, and keeps writing to its root.
#
#  1. Outside any namespace: the e2e guest image (tests/e2e/guest.sh: create's tree cache, built
#     once, shared with e2e.boot).
#  2. Two simulated hosts A and B (hosts.sh, host.sh): own namespaces, libvirtd (own host_uuid),
#     network 'default' with the same pinned bridge MAC, D-Bus + rpcbind + NFS-Ganesha
#     (Graceless), the hook with the ganesha backend; a veth pair carries the migration stream;
#     /export on each is the same directory.
#  3. `virt-nfsroot create --no-pin-address` on A makes the guest from the image: its tree in
#     /export/VM, its boot files in the export (both hosts' QEMU read them), ip=dhcp; both hosts'
#     networks pin its MAC to one address. A unit in the guest writes a tick every second through
#     a file it keeps open (written and fsync'ed) and through a new open each time (append,
#     close). The guest boots on A through `virsh start`; ticks appear.
#  4. A -> B, client-driven; then A's ganesha is stopped (ticks continue: B serves the root) and
#     started again; then B -> A with --p2p.  After each move: the domain runs on the
#     destination, ticks continue through both files, the source's export is gone and the
#     destination's is live, the tick writer saw no error.  `timing:` lines give the move time,
#     libvirt's downtime (domjobinfo --completed) and the guest's own stall (the largest gap
#     between two ticks, by the guest's clock, minus the 1 s period).
#  5. Refusals, the guest back on A: a destination whose /export lacks the guest's root (the
#     shared filesystem not mounted there) is refused at `migrate begin`; so is a destination
#     whose ganesha already has another live export at the guest's export id (without the check
#     the guest lands there and gets ESTALE on every open file).  Each time the guest keeps
#     running on A with its export, and ticks continue.
#
# MIG_BACKEND=ceph (ceph.migration, labels ceph and migration): the same moves with the guest on
# CephFS. The test starts a single-node Ceph cluster (tests/lib/ceph.sh) on a bridge of its own
# namespace; each host joins it through a veth (ceph0): /export is CephFS through ceph-fuse, its
# ganesha is a node of the cluster (FSAL_CEPH, rados_cluster grace), its policy's backend ceph.
# The guest's tree is on CephFS. Every node serves every export of the cluster, so after each move the checks are the
# claim in RADOS (it names the destination's node) and the url list, not which node lists the
# export. While the guest is on B, A's ganesha is stopped: the cluster-wide grace that puts B
# in is measured as the guest's stall (`timing:`), and again when A's node rejoins. The
# refusals of step 5 are ganesha's (ceph.claim has the ceph backend's); instead, right after
# A's start, B (the same domain defined there) is refused `virsh start` by the claim in RADOS,
# in one sentence from the hook. At the end, for both backends: no tick was lost in either file.
#
# Usage: test-migrate.sh HOOK-BINARY CLI-BINARY   (root; exits 77 with the reason when it cannot run)
# Environment: VIRT_NFSROOT_TEST_CACHE (as the e2e test), LV_KEEP=1 keeps the work directory,
# MIG_BOOT_STALL (seconds the booting guest may show no progress, default 240), MIG_BOOT_TIMEOUT
# (seconds until the third tick in all, default 1200), MIG_MOVES (more moves, below; 2 by default
# with ganesha, 0 on Ceph), MIG_PCAP=1
# (capture each host's bridge; LV_KEEP=1 to keep it); on Ceph CEPH_GRACELESS=true (the nodes
# without a grace period at start, to compare what the guest sees).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../libvirt/harness.sh
. "$HERE/../libvirt/harness.sh"
# shellcheck source=../e2e/guest.sh
. "$HERE/../e2e/guest.sh"
# shellcheck source=../lib/ganesha.sh
. "$HERE/../lib/ganesha.sh"
# shellcheck source=hosts.sh
. "$HERE/hosts.sh"
# shellcheck source=moves.sh
. "$HERE/moves.sh"

VM=nfsroot-mig
E2E_CACHE=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/e2e
MIG_HERE=$HERE
# The bridge MAC every host pins for network 'default' with gateway 192.168.122.1: the one
# virt-nfsroot derives from the network's name and gateway, which `migrate begin` insists on
# (tests/data/network/bridge-mac-pinned shows the derivation).
MIG_BRIDGE_MAC=52:54:00:e7:53:b6
ADDR_A=10.99.0.1 ADDR_B=10.99.0.2
MIG_PORT=49152
MIG_BACKEND=${MIG_BACKEND:-ganesha}
export MIG_BACKEND
MIG_CEPH_BRIDGE=brceph CEPH_ADDR=10.98.0.1
# What ganesha's ShowExports names the guest's export by: its path (inside CephFS on Ceph).
EXPORTED=/export/$VM
[ "$MIG_BACKEND" = ceph ] && EXPORTED=/$VM
if [ "$MIG_BACKEND" = ceph ]; then
    # shellcheck source=../lib/ceph.sh
    . "$HERE/../lib/ceph.sh"
fi

if [ -z "${LV_INSIDE:-}" ]; then
    [ $# -eq 2 ] || { echo "usage: $0 HOOK-BINARY CLI-BINARY" >&2; exit 2; }
    lv_check_hook "$1"
    for p in debootstrap chroot zstd tar nsenter; do
        command -v "$p" >/dev/null 2>&1 || skip "'$p' is not installed"
    done
    ganesha_prereqs
    [ "$MIG_BACKEND" = ceph ] && ceph_prereqs
    unshare -u -p -f --mount-proc true 2>/dev/null || skip "cannot create UTS + PID namespaces"
    grep -qw overlay /proc/filesystems ||
        skip "no overlayfs: cannot give each host a private /etc/virt-nfsroot.conf"
    MIG_T0=$(lv_now)
    e2e_stage mig
    # The e2e guest image (create's tree cache), which create copies into /export on host A.
    if ! e2e_guest_image "$(readlink -f "$2")"; then
        echo "FAIL: could not build the guest tree (logs kept in $E2E_STAGE)"
        trap - EXIT
        echo "0 passed, 1 failed"
        exit 1
    fi
    MIG_PREP_S=$(lv_elapsed "$MIG_T0")
    export MIG_T0 E2E_STAGE E2E_KVER E2E_FROM_CACHE MIG_PREP_S E2E_CREATE_CACHE
    lv_enter_namespace "$HERE/test-migrate.sh" "$(readlink -f "$1")" "$(readlink -f "$2")"
fi

MIG_HOOK=$1 MIG_CLI=$2
MIG_WORK=$LV_WORK
MIG_SHARED=$LV_WORK/shared
# Nothing of the machine's: this namespace's /run is empty (no libvirtd socket, no pid files).
if ! ns_private || ! ns_tmpfs /run; then fail "private mounts for the test"; exit 1; fi

mig_cleanup() {
    local rc=$?
    host_stop A
    host_stop B
    [ "$MIG_BACKEND" = ceph ] && ceph_down
    [ -n "${LV_KEEP:-}" ] || rm -rf "${MIG_SHARED:?}/$VM"
    rm -rf "$E2E_STAGE"
    (exit "$rc")
    lv_cleanup
}
trap mig_cleanup EXIT

if [ "$MIG_BACKEND" = ceph ]; then
    # The cluster on a bridge of this namespace, which each host joins by a veth (host_ceph_link).
    if ! ip link add "$MIG_CEPH_BRIDGE" type bridge || ! ip addr add "$CEPH_ADDR/24" dev "$MIG_CEPH_BRIDGE" ||
        ! ip link set "$MIG_CEPH_BRIDGE" up; then
        fail "a bridge for the Ceph cluster"
        exit 1
    fi
    # The guest image is ~430 MB: room in the memstore OSD (~3x that in RSS).
    if ! CEPH_MEMSTORE_BYTES=$((2 * 1024 * 1024 * 1024)) ceph_up "$LV_WORK/c"; then
        fail "the Ceph cluster did not come up"
        tail -n 5 "$LV_WORK"/c/log/*.out
        exit 1
    fi
    echo "timing: Ceph cluster up in $((CEPH_UP_MS / 1000)).$((CEPH_UP_MS % 1000 / 100)) s"
    echo "    ganesha nodes: RecoveryBackend rados_cluster, Graceless ${CEPH_GRACELESS:-false}"
    export CEPH_CONF CEPH_NS
    MIG_SHARED=$CEPH_DIR/mnt
else
    mkdir -m 0755 "$MIG_SHARED" # every host's /export
fi
GROOT=$MIG_SHARED/$VM
TICKS=$GROOT/nfsroot-ticks-opened HELD=$GROOT/nfsroot-ticks-held ERRORS=$GROOT/nfsroot-ticks-errors

echo "hook: $MIG_HOOK; guest kernel: $E2E_KVER; image from cache: $E2E_FROM_CACHE; work: $LV_WORK"
echo "timing: guest tree ready (from cache: $E2E_FROM_CACHE): $MIG_PREP_S s"

# ---------------------------------------------------------------------------------------------
# Two hosts and the link between them

t=$(lv_now)
host_start A 0a0a0a0a-0000-4000-8000-00000000000a
[ "$MIG_BACKEND" = ceph ] && host_ceph_link A 10.98.0.2
host_start B 0b0b0b0b-0000-4000-8000-00000000000b
[ "$MIG_BACKEND" = ceph ] && host_ceph_link B 10.98.0.3
if host_wait A B && host_link A B "$ADDR_A" "$ADDR_B"; then
    pass "hosts A and B up: libvirtd, network 'default', ganesha each; a veth between them ($(lv_elapsed "$t") s)"
else
    fail "bring up the two hosts (logs in $MIG_WORK/A and $MIG_WORK/B)"
    exit 1
fi

# No STP on either bridge (host.sh; MIG_STP=on measures libvirt's default): a new port forwards at once.
no_stp() { host_run "$1" ip -d link show virbr0 | grep -q 'stp_state 0'; }
for h in A B; do
    [ "${MIG_STP:-off}" = on ] || check "host $h: its bridge runs no STP (a migrated guest's port forwards at once)" no_stp "$h"
done

# MIG_PCAP=1 (a measurement, needs tcpdump): each host's interfaces (the guest's tap before its
# bridge forwards) but the migration stream and libvirt's, to MIG_WORK/NAME/host.pcap
if [ -n "${MIG_PCAP:-}" ]; then
    for h in A B; do
        host_run "$h" tcpdump -i any -s 200 -U -w "$MIG_WORK/$h/host.pcap" \
            "not tcp port $MIG_PORT and not tcp port 16509" 2>/dev/null &
    done
fi
# virsh's stderr, which moves.sh's checks quote.
ERR=$LV_WORK/virsh.err

# ---------------------------------------------------------------------------------------------
# Boot on A

# create on host A: the image copied into the shared /export (CephFS on Ceph), boot files in the
# export. With ganesha the guest asks DHCP for its address (--no-pin-address: ip=dhcp, dracut's
# DHCP client in the initramfs) and both networks pin its MAC to MIG_GUEST_IP, as an
# administrator does for a guest that moves; one vCPU and 1 GiB (the moves' figures in
# docs/PERFORMANCE.md). On Ceph create pins the address on A (a static ip= on the cmdline) and B
# gets the same pin; 512 MiB (the memstore OSD holds the tree).
MIG_CREATE_ARGS=(--memory 1G --vcpus 1 --no-pin-address)
[ "$MIG_BACKEND" = ceph ] && MIG_CREATE_ARGS=(--memory 512M)
t=$(lv_now)
if host_run A env VIRT_NFSROOT_CACHE_DIR="$E2E_CREATE_CACHE" timeout 1500 "$MIG_CLI" --json \
    create "$VM" --boot-in-export "${MIG_CREATE_ARGS[@]}" >"$MIG_WORK/create.json" 2>"$ERR"; then
    pass "virt-nfsroot create $VM on A, its tree in the shared /export ($(lv_elapsed "$t") s)"
else
    fail "virt-nfsroot create $VM on A: $(grep -v '"progress"' "$ERR" | tail -n 5)"
    exit 1
fi
echo "timing: create (host A): $(lv_elapsed "$t") s"
[ "$MIG_BACKEND" = ceph ] &&
    check "the tree is on CephFS" [ "$(findmnt -no FSTYPE -T "$GROOT")" = fuse.ceph-fuse ]
host_virsh A dumpxml "$VM" >"$MIG_WORK/$VM.xml"
check "the domain XML on A carries the metadata naming /export/$VM" \
    grep -q "<nfsroot:export [^>]*path=[\"']/export/${VM}[\"']" "$MIG_WORK/$VM.xml"
UUID=$(host_virsh A domuuid "$VM")
MIG_GUEST_MAC=$(sed -n "s/.*<mac address='\([0-9a-f:]*\)'.*/\1/p" "$MIG_WORK/$VM.xml" | head -n 1)
MIG_GUEST_IP=192.168.122.50 pin_on=(A B)
if [ "$MIG_BACKEND" = ceph ]; then
    MIG_GUEST_IP=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["pinned_ip"])' \
        "$MIG_WORK/create.json")
    pin_on=(B)
fi
for h in "${pin_on[@]}"; do
    check "$h's network pins the guest's MAC $MIG_GUEST_MAC to $MIG_GUEST_IP" host_virsh "$h" \
        net-update default add ip-dhcp-host "<host mac='$MIG_GUEST_MAC' ip='$MIG_GUEST_IP'/>" --live --config
done
[ "$MIG_BACKEND" = ceph ] || check "the guest asks DHCP for its address (ip=dhcp on its cmdline)" \
    grep -Eq "<cmdline>(.* )?ip=dhcp( |<)" "$MIG_WORK/$VM.xml"
install_ticks
SERIAL_A=$(console_log A)
t=$(lv_now)
if host_virsh A start "$VM" >/dev/null 2>"$ERR"; then
    pass "virsh start $VM on A ($(lv_elapsed "$t") s)"
else
    fail "virsh start on A: $(cat "$ERR")"
    exit 1
fi
check "A's ganesha exports /export/$VM" host_lists A "$EXPORTED"
[ "$MIG_BACKEND" = ceph ] && b_start_refused
ID_A=$(host_export_id A "$UUID")
echo "    A's Export_Id for /export/$VM: ${ID_A:-?}"

# A TCG boot on a loaded machine takes minutes: wait as long as the guest makes progress (its
# console log grows, or it ticks), and give up when it has made none for MIG_BOOT_STALL s (a
# hung guest) or after MIG_BOOT_TIMEOUT s in all.
t=$(lv_now)
next=30 seen=-1 last=0
while [ "$(tick_count "$TICKS")" -lt 3 ]; do
    el=$(lv_elapsed "$t")
    el=${el%.*}
    [ "$(state_on A)" = running ] || break
    size=$(($(stat -c %s "$SERIAL_A" 2>/dev/null || echo 0) + $(tick_count "$TICKS")))
    [ "$size" != "$seen" ] && seen=$size last=$el
    [ $((el - last)) -ge "${MIG_BOOT_STALL:-240}" ] && break
    [ "$el" -ge "${MIG_BOOT_TIMEOUT:-1200}" ] && break
    if [ "$el" -ge "$next" ]; then
        echo "  ... $el s: $(tr -d '\r' <"$SERIAL_A" | grep -v '^ *$' | tail -n 1 | cut -c1-100)"
        next=$((next + 30))
    fi
    sleep 2
done
if [ "$(tick_count "$TICKS")" -ge 3 ]; then
    pass "the guest ticks into its NFS root on A ($(lv_elapsed "$t") s after virsh start)"
    echo "timing: boot on A to the third tick: $(lv_elapsed "$t") s"
else
    fail "no ticks from the guest after $(lv_elapsed "$t") s (domain '$(state_on A)', console silent for $((el - last)) s); console tail:"
    tail -n 30 "$SERIAL_A" | tr -d '\r' | sed 's/^/    | /'
    exit 1
fi

# ---------------------------------------------------------------------------------------------
# The moves

before=$(tick_count "$TICKS")
if migrate A B; then
    pass "virsh migrate --live A -> B (client-driven) in $MOVE_S s"
    moved A B "A -> B (client-driven)" "$before"
else
    fail "virsh migrate --live A -> B: $(cat "$ERR")"
    exit 1
fi

if [ "$MIG_BACKEND" = ceph ]; then
    ceph_node_outage
else
if host_ganesha_stop A; then
    pass "A's ganesha stopped"
    ticks_continue "A's ganesha stopped, B serving"
    check "A's ganesha started again" host_ganesha_start A
else
    fail "stop A's ganesha"
fi
fi

before=$(tick_count "$TICKS")
if migrate B A --p2p; then
    pass "virsh migrate --live --p2p B -> A in $MOVE_S s"
    moved B A "B -> A (--p2p)" "$before"
else
    fail "virsh migrate --live --p2p B -> A: $(cat "$ERR")"
fi

# MIG_MOVES=N (bench part 9): N more client-driven moves, A -> B -> A ..., each with moved()'s
# checks and `timing:` line (N even: the guest ends on A for the refusals). Two by default with
# ganesha: the first comes back to B, whose server (never restarted) still holds the guest's
# connection from its first stay there, which prepare must close.
default_moves=2
[ "$MIG_BACKEND" = ceph ] && default_moves=0
for ((m = 1; m <= ${MIG_MOVES:-$default_moves}; m++)); do
    src=B dst=A
    ((m % 2)) && src=A dst=B
    before=$(tick_count "$TICKS")
    if migrate "$src" "$dst"; then
        moved "$src" "$dst" "move $m: $src -> $dst" "$before"
    else
        fail "move $m: virsh migrate --live $src -> $dst: $(cat "$ERR")"
        break
    fi
done

# ---------------------------------------------------------------------------------------------
# Refusals: the guest stays on A

if [ "$MIG_BACKEND" != ceph ]; then
    # B without the shared filesystem: an empty /export there.
    host_run B mount -t tmpfs -o mode=0755 tmpfs /export
    if migrate A B; then
        fail "migration to B without the guest's export root succeeded"
    elif grep -q "$VM migrate begin" "$ERR"; then
        pass "no export root on B: refused at migrate begin: $(tail -c 300 "$ERR" | tr '\n' ' ')"
        echo "timing: refused (no export root on B): virsh migrate failed after $MOVE_S s"
    else
        fail "no export root on B: refused, but not by the hook at migrate begin: $(tail -c 400 "$ERR")"
    fi
    host_run B umount /export
    stays_on_a "no export root on B"
    [ "$(state_on A)" = running ] || exit 1

    # B's ganesha already has a live export, not ours, at the id the guest's file handles carry.
    mkdir -m 0755 "$MIG_SHARED/handmade"
    cat >"$MIG_WORK/B/handmade.conf" <<EOF
EXPORT { Export_Id = ${ID_A:-100}; Path = "/export/handmade"; Pseudo = "/export/handmade";
         Access_Type = RO; Squash = Root_Squash; FSAL { Name = VFS; } }
EOF
    if host_dbus B AddExport string:"$MIG_WORK/B/handmade.conf" \
            string:"EXPORT(Export_Id=${ID_A:-100})" >"$ERR" 2>&1; then
        if migrate A B; then
            fail "migration to B whose ganesha has another export at Export_Id ${ID_A:-?} succeeded"
        elif grep -q "$VM migrate begin" "$ERR" && grep -q "Export_Id ${ID_A:-100}\b" "$ERR"; then
            pass "another live export at Export_Id ${ID_A:-?} on B: refused: $(tail -c 300 "$ERR" | tr '\n' ' ')"
            echo "timing: refused (Export_Id ${ID_A:-?} taken on B): virsh migrate failed after $MOVE_S s"
        else
            fail "another live export at Export_Id ${ID_A:-?} on B: refused, but not at migrate begin naming the id: $(tail -c 400 "$ERR")"
        fi
        host_dbus B RemoveExport uint16:"${ID_A:-100}" >/dev/null 2>&1
        stays_on_a "another export at Export_Id ${ID_A:-?} on B"
    else
        fail "add a hand-made export at Export_Id ${ID_A:-?} to B's ganesha: $(cat "$ERR")"
    fi
fi
if [ "$(state_on A)" != running ]; then
    fail "the guest no longer runs on A after the refused migrations"
    exit 1
fi

# No write lost: each file holds every tick from the first to its last, once and in order (a
# failed write or open leaves a gap; a restarted writer starts again at 1).
no_tick_lost() { awk '$1 != NR { bad = 1; exit } END { exit bad || NR < 3 }' "$1"; }
check "no tick lost through new opens (1 to $(tick_count "$TICKS"), every one)" no_tick_lost "$TICKS"
check "no tick lost in the held file (1 to $(tick_count "$HELD"), every one)" no_tick_lost "$HELD"

# ---------------------------------------------------------------------------------------------
# Stop

if host_virsh A destroy "$VM" >/dev/null 2>"$ERR"; then
    pass "virsh destroy $VM on A"
else
    fail "virsh destroy $VM on A: $(cat "$ERR")"
fi
check "A's ganesha no longer exports /export/$VM" not host_lists A "$EXPORTED"
check "B's ganesha does not export /export/$VM" not host_lists B "$EXPORTED"
if [ "$MIG_BACKEND" = ceph ]; then
    check "no export listed in RADOS any more" [ "$(ceph_rados get "conf-nfs.$CEPH_NS" - | grep -c export-)" = 0 ]
    check "no claim left in RADOS" not claim_on A
fi
failures=$(LV_WORK=$MIG_WORK/A lv_hook_failures)
if [ -z "$failures" ]; then
    pass "host A: libvirtd logged no hook failure"
else
    fail "host A: hook failures in libvirtd.log: $(echo "$failures" | tr '\n' ';')"
fi
echo "    host B's hook failures (the refusals): $(LV_WORK=$MIG_WORK/B lv_hook_failures | tr '\n' ';')"

echo "timing: whole test $(lv_elapsed "$MIG_T0") s (guest image from cache: $E2E_FROM_CACHE)"
finish
