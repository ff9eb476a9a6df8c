#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The ceph backend against a real cluster (tests/lib/ceph.sh): the built hook with policy
# `backend = ceph` writes export-<id> (golden file), lists it in conf-nfs.vnr and notifies; both
# ganesha nodes then serve the guest's root to the guest's address and to nobody else; release
# takes exactly that away again. An export the Ceph mgr nfs module made (id 1, no xattrs of
# ours) is never touched. Two simulated hosts (two policies, two state dirs) x 32 concurrent
# prepares lose no url line under the RADOS lock, and their releases leave the list as it was.
# A hook SIGKILLed between object and list (holding the lock) blocks others for the lock's lease
# only, and the next prepare reuses its object; one killed before a release's notify is
# finished by the next release.
# Usage: test-backend.sh HOOK   (root; exit 77 = skipped, with the reason). KEEP=1 keeps W.
set -u
HOOK=$(readlink -f "$1")
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
# shellcheck source=../lib/sandbox.sh
. "$(dirname "$0")/../lib/sandbox.sh"
# shellcheck source=../lib/ceph.sh
. "$(dirname "$0")/../lib/ceph.sh"
DATA=$(readlink -f "$(dirname "$0")/../data/ceph")
[ -x "$HOOK" ] || { echo "FAIL: hook binary '$1' not found"; exit 1; }
ceph_prereqs
ceph_isolate "$0" "$@"
ceph_test_begin vnr-ceph
# The export root is CephFS's root, as ceph-fuse mounts it on every host.
mkdir -p "$W/export" "$W/net" "$W/state" && mount --bind "$W/c/mnt" "$W/export" || exit 1
mkdir -p "$W/export/mgr"
# What the mgr module would have written: the lowest free id, no CLIENT block, no xattrs.
printf 'EXPORT {\n    Export_Id = 1;\n    Path = "/mgr";\n    Pseudo = "/mgr";\n    Access_Type = RW;\n    FSAL { Name = CEPH; }\n}\n' |
    ceph_rados put export-1 -
echo '%url "rados://.nfs/vnr/export-1"' | ceph_rados put conf-nfs.vnr -
check "ganesha nodeA starts" ceph_ganesha nodeA 2049
check "ganesha nodeB starts" ceph_ganesha nodeB 2050
check "both nodes serve the mgr module's export" ceph_waitfor 600 \
    bash -c "nfs-ls '$(ceph_nfs_url 2049 /mgr/)' && nfs-ls '$(ceph_nfs_url 2050 /mgr/)'"

sandbox_network "$W/net" 52:54:00:00:00:05 192.168.122.5
sandbox_policy "$W" "backend = ceph" "validate = off" "ceph_conf = $CEPH_CONF" \
    "ceph_namespace = vnr"
# The guest's address on the test's loopback: nfs-ls to it comes from it.
ip addr add 192.168.122.5/32 dev lo
# shellcheck disable=SC2317 # run by check
guest_url() { echo "nfs://192.168.122.5$2?version=4&nfsport=$1"; } # PORT PATH
# shellcheck disable=SC2317 # run by check
guest_sees() { nfs-ls "$(guest_url "$1" "$2/")" >/dev/null 2>&1; }
urls() { ceph_rados get conf-nfs.vnr - 2>/dev/null; }
domain() { # NAME UUID [MAC]
    domain_xml_gen name="$1" uuid="$2" export="path=\"$W/export/$1\"" mac="${3:-52:54:00:00:00:05}"
}
hook() { "$HOOK" "$1" "$2" "$3" - <"$W/$1.xml"; } # NAME OP SUBOP

UUID=11111111-2222-3333-4444-555555555555
mkdir -p "$W/export/vm1" && echo hello >"$W/export/vm1/hello.txt"
domain vm1 $UUID >"$W/vm1.xml"
t=$(ceph_ms)
check "prepare of vm1 succeeds" env LD_DEBUG=libs LD_DEBUG_OUTPUT="$W/ld" "$HOOK" vm1 prepare \
    begin - <"$W/vm1.xml"
echo "prepare took $(($(ceph_ms) - t)) ms"
check "the ceph backend's prepare loaded librados (dlopen)" bash -c "cat '$W'/ld.* | grep -q librados"
oid=$(urls | sed -n 's|^%url "rados://.nfs/vnr/\(export-[0-9]*\)"$|\1|p' | grep -vx export-1)
# shellcheck disable=SC2317 # run by check
mgr_and_one() { [ "$(urls | wc -l)" = 2 ] && urls | grep -qx '%url "rados://.nfs/vnr/export-1"'; }
check "conf-nfs.vnr lists one export of ours beside the mgr's ($oid)" mgr_and_one
id=${oid#export-}
check "its id ($id) lies in the policy's range, far from the mgr module's" \
    test "${id:-0}" -ge 20000 -a "${id:-0}" -le 29999
ceph_rados get "$oid" "$W/object"
check "$oid is the EXPORT block of the golden file (FSAL CEPH, path inside CephFS)" \
    diff -u "$DATA/export-vm1.golden" <(sed "s|$W|@W@|g; s|Export_Id = $id;|Export_Id = @ID@;|" "$W/object")
check "$oid carries this domain's uuid and path" \
    bash -c "[ \"\$(rados -p .nfs -N vnr getxattr $oid virt-nfsroot.uuid)\" = $UUID ]"
for port in 2049 2050; do
    t=$(ceph_ms)
    check "node on port $port serves vm1's root to the guest" ceph_waitfor 100 guest_sees $port "$W/export/vm1"
    echo "  served on $port $(($(ceph_ms) - t)) ms after prepare returned"
    check "node on port $port refuses 127.0.0.1 (not a client)" \
        not nfs-ls "$(ceph_nfs_url $port "$W/export/vm1/")"
done
check "a second prepare of vm1 keeps its id and one line" \
    bash -c "\"$HOOK\" vm1 prepare begin - <'$W/vm1.xml' && [ \$(rados -p .nfs -N vnr get conf-nfs.vnr - | wc -l) = 2 ] && rados -p .nfs -N vnr stat $oid"

t=$(ceph_ms)
check "release of vm1 succeeds" hook vm1 release end
echo "release took $(($(ceph_ms) - t)) ms"
check "conf-nfs.vnr lists only the mgr's export again" \
    [ "$(urls)" = '%url "rados://.nfs/vnr/export-1"' ]
check "$oid is gone, export-1 is not" bash -c "! rados -p .nfs -N vnr stat $oid && rados -p .nfs -N vnr stat export-1"
for port in 2049 2050; do
    check "node on port $port no longer serves vm1" ceph_waitfor 50 not guest_sees $port "$W/export/vm1"
    check "node on port $port still serves the mgr's export" nfs-ls "$(ceph_nfs_url $port /mgr/)"
done

# ---- a host SIGKILLed mid-apply (fault points: ENABLE_TESTING_HOOKS), holding the RADOS lock
mkdir -p "$W/export/vm2" "$W/export/vm3"
domain vm2 33333333-0000-4000-8000-000000000002 >"$W/vm2.xml"
domain vm3 33333333-0000-4000-8000-000000000003 52:54:00:00:02:03 >"$W/vm3.xml"
sed -i "s|</dhcp>|<host mac='52:54:00:00:02:03' ip='192.168.122.203'/>&|" "$W/net/default.xml"
ours_of() { # UUID: how many export objects carry it
    local o n=0
    for o in $(ceph_rados ls | grep '^export-'); do
        [ "$(ceph_rados getxattr "$o" virt-nfsroot.uuid 2>/dev/null)" = "$1" ] && n=$((n + 1))
    done
    echo "$n"
}
NFSROOT_FAULT_KILL_AT=ceph-object-written hook vm2 prepare begin 2>/dev/null
rc=$?
if [ $rc = 137 ]; then
    pass "prepare of vm2 killed between its object and the url list"
    check "its object is left, unlisted" \
        test "$(ours_of 33333333-0000-4000-8000-000000000002)" = 1 -a "$(urls | wc -l)" = 1
    t=$(ceph_ms)
    check "another domain's prepare waits out the dead host's lock lease and succeeds" \
        hook vm3 prepare begin
    echo "  waited $(($(ceph_ms) - t)) ms (lease ${CEPH_LOCK_SECONDS:-30} s)"
    check "vm2's next prepare succeeds" hook vm2 prepare begin
    check "... reusing its left object: one of vm2's, listed" \
        test "$(ours_of 33333333-0000-4000-8000-000000000002)" = 1 -a "$(urls | wc -l)" = 3
    check "node on port 2049 serves vm2" ceph_waitfor 100 guest_sees 2049 "$W/export/vm2"
    NFSROOT_FAULT_KILL_AT=ceph-listed hook vm3 release end 2>/dev/null
    check "release of vm3 killed after the list was written, before the notify" [ $? = 137 ]
    check "vm3's release, run again, succeeds" hook vm3 release end
    check "release of vm2 succeeds" hook vm2 release end
    check "nothing of vm2 or vm3 is left, the mgr's export is" \
        test "$(urls)" = '%url "rados://.nfs/vnr/export-1"' -a "$(ceph_rados ls | grep -c '^export-')" = 1
else
    echo "SKIP: fault points not compiled in (ENABLE_TESTING_HOOKS; prepare exit $rc)"
    hook vm2 release end
fi

# ---- lock contention: hosts A and B, 32 concurrent prepares each
for h in A B; do
    mkdir -p "$W/$h/state"
    sed "s|^state_dir = .*|state_dir = $W/$h/state|" "$W/policy.conf" >"$W/$h/policy.conf"
done
# each its own MAC pinned to its own address (one client per running root)
hosts=''
for i in $(seq 64); do
    n=vm-c$i mac=$(printf '52:54:00:00:01:%02x' "$i")
    mkdir -p "$W/export/$n"
    domain "$n" "$(printf '22222222-0000-4000-8000-%012d' "$i")" "$mac" >"$W/$n.xml"
    hosts="$hosts<host mac='$mac' ip='192.168.122.$((100 + i))'/>"
done
sed -i "s|</dhcp>|$hosts&|" "$W/net/default.xml"
ip addr add 192.168.122.164/32 dev lo
t=$(ceph_ms)
pids=()
for i in $(seq 64); do
    h=A; [ $((i % 2)) = 0 ] && h=B
    VIRT_NFSROOT_CONFIG=$W/$h/policy.conf hook "vm-c$i" prepare begin 2>"$W/c$i.err" &
    pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
echo "64 concurrent prepares on two hosts took $(($(ceph_ms) - t)) ms"
check "all 64 prepares succeed ($failed failed)" [ "$failed" = 0 ] || cat "$W"/c*.err | sort | uniq -c | head -5
check "conf-nfs.vnr lists 64 + 1 exports, no line lost" [ "$(urls | sort -u | wc -l)" = 65 ]
check "every listed object exists" bash -c "for o in \$(rados -p .nfs -N vnr get conf-nfs.vnr - | sed -n 's|.*/\(export-[0-9]*\)\"|\1|p'); do rados -p .nfs -N vnr stat \$o >/dev/null || exit 1; done"
check "node on port 2050 serves the last of them to its guest" ceph_waitfor 100 \
    nfs-ls "nfs://192.168.122.164$W/export/vm-c64/?version=4&nfsport=2050"
pids=()
for i in $(seq 64); do
    h=A; [ $((i % 2)) = 0 ] && h=B
    VIRT_NFSROOT_CONFIG=$W/$h/policy.conf hook "vm-c$i" release end 2>>"$W/rel.err" &
    pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
check "all 64 releases succeed ($failed failed)" [ "$failed" = 0 ]
check "the list is the mgr's export alone again" [ "$(urls)" = '%url "rados://.nfs/vnr/export-1"' ]
check "no export object of ours is left" \
    [ "$(ceph_rados ls | grep -c '^export-')" = 1 ]
summary
