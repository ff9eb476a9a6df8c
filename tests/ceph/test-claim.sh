#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The claim of a running domain's read-write root, cluster-wide in RADOS (tests/lib/ceph.sh):
# hosts A and B (two policies, two state dirs, ceph_node_id nodeA / nodeB, one machine id, so
# the claims on the shared export root's registry take them for one host and only the RADOS
# claim tells them apart), each with its ganesha node. Host B's prepare of a root A runs is
# refused, naming domain, path and host, and changes nothing. A live migration A -> B: migrate
# begin on B checks the export and the claim, B's prepare takes the claim over, A's release
# (migrated) keeps the export the guest still uses, B's release removes export, url line and
# claim. A migration that fails after B's prepare gives the claim back to A. A dead host's
# claim: void once its ganesha node is out of the grace database.
# Usage: test-claim.sh HOOK   (root; exit 77 = skipped, with the reason). KEEP=1 keeps W.
set -u
HOOK=$(readlink -f "$1")
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
# shellcheck source=../lib/sandbox.sh
. "$(dirname "$0")/../lib/sandbox.sh"
# shellcheck source=../lib/ceph.sh
. "$(dirname "$0")/../lib/ceph.sh"
[ -x "$HOOK" ] || { echo "FAIL: hook binary '$1' not found"; exit 1; }
ceph_prereqs
ceph_isolate "$0" "$@"
if ! ns_private || ! ns_tmpfs /run; then echo "FAIL: namespace setup"; exit 1; fi

W=$(mktemp -d /var/tmp/vnr-ceph.XXXXXX)
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    umount "$W/export" 2>/dev/null
    ceph_down
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
CHECK_LOG=$W/last.out

ceph_up "$W/c" || { echo "FAIL: cluster"; tail -5 "$W"/c/log/*.out; exit 1; }
echo "cluster up in $CEPH_UP_MS ms"
mkdir -p "$W/export" "$W/net" && mount --bind "$W/c/mnt" "$W/export" || exit 1
check "ganesha nodeA starts" ceph_ganesha nodeA 2049
check "ganesha nodeB starts" ceph_ganesha nodeB 2050

sandbox_network "$W/net" 52:54:00:00:00:05 192.168.122.5
# every host pins the bridge MAC it derives (migrate begin checks it)
sed -i "s|<bridge name='virbr0'/>|&<mac address='52:54:00:e7:53:b6'/>|" "$W/net/default.xml"
sandbox_policy "$W" "backend = ceph" "validate = off" "ceph_conf = $CEPH_CONF" \
    "ceph_namespace = vnr"
for h in A B; do
    mkdir -p "$W/$h/state"
    sed "s|^state_dir = .*|state_dir = $W/$h/state|" "$W/policy.conf" >"$W/$h/policy.conf"
    echo "ceph_node_id = node$h" >>"$W/$h/policy.conf"
done
ip addr add 192.168.122.5/32 dev lo
# shellcheck disable=SC2317 # run by check
guest_sees() { nfs-ls "nfs://192.168.122.5$2/?version=4&nfsport=$1" >/dev/null 2>&1; }
urls() { ceph_rados get conf-nfs.vnr - 2>/dev/null; }
claim() { ceph_rados get "virt-nfsroot.claim:$W/export/$1" - 2>/dev/null; } # PATH-IN-EXPORT
claim_host() { claim "$1" | sed -n 's/^host //p'; }
domain() { # NAME UUID PATH
    domain_xml_gen name="$1" uuid="$2" export="path=\"$W/export/$3\"" mac=52:54:00:00:00:05
}
hook() { VIRT_NFSROOT_CONFIG=$W/$1/policy.conf "$HOOK" "$2" "$3" "$4" "${5:--}" <"$W/$2.xml"; }
# refused HOST NAME OP SUBOP WHAT TEXT...: exits non-zero, one line holding every TEXT
refused() {
    local h=$1 n=$2 op=$3 sub=$4 what=$5 out rc t
    shift 5
    out=$(hook "$h" "$n" "$op" "$sub" 2>&1)
    rc=$?
    local ok=0
    [ $rc -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || ok=1
    for t in "$@"; do printf '%s' "$out" | grep -qF -- "$t" || ok=1; done
    check "$h: $what is refused ($out)" [ $ok = 0 ]
}

UUID=11111111-2222-3333-4444-555555555555
mkdir -p "$W/export/vm1" "$W/export/vm2"
domain vm1 $UUID vm1 >"$W/vm1.xml"
domain vm1b 11111111-2222-3333-4444-000000000002 vm1 >"$W/vm1b.xml"
domain vm2 22222222-2222-3333-4444-555555555555 vm2 >"$W/vm2.xml"

# ---- 1. the claim: host B never exports a root host A runs
t=$(ceph_ms)
check "A: prepare vm1" hook A vm1 prepare begin
echo "timing: prepare with the claim $(($(ceph_ms) - t)) ms"
check "the claim of $W/export/vm1 in RADOS is nodeA's, for vm1" \
    bash -c "[ '$(claim_host vm1)' = nodeA ] && rados -p .nfs -N vnr get 'virt-nfsroot.claim:$W/export/vm1' - | grep -qx 'uuid $UUID'"
before=$(urls)
refused B vm1 prepare begin "vm1 started on B as well (no migration)" \
    "export path '$W/export/vm1' is claimed read-write in the Ceph cluster by this domain on host 'nodeA'" \
    "migrate it here"
refused B vm1b prepare begin "another domain on vm1's root" \
    "domain 'vm1b'" "export path '$W/export/vm1' is claimed" "by domain 'vm1' (uuid $UUID) on host 'nodeA'" \
    "ganesha-rados-grace --pool .nfs --ns vnr remove nodeA"
check "  ... nothing changed: url list and claim as before" \
    bash -c "[ \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" = '$before' ] && [ '$(claim_host vm1)' = nodeA ]"
check "  ... B keeps no record of vm1" test ! -e "$W/B/state/vm1.state" -a ! -e "$W/B/state/vm1b.state"
refused B vm2 migrate begin "migrate begin of a domain no host runs" \
    "export path '$W/export/vm2' of domain 'vm2' is not exported in the Ceph cluster"

# ---- 2. the hand-over: A -> B
oid=$(urls | sed -n 's|^%url "rados://.nfs/vnr/\(export-[0-9]*\)"$|\1|p')
check "B: migrate begin vm1 accepted" hook B vm1 migrate begin
check "  ... the claim is still nodeA's, noting nodeB as the destination" \
    bash -c "[ '$(claim_host vm1)' = nodeA ] && rados -p .nfs -N vnr get 'virt-nfsroot.claim:$W/export/vm1' - | grep -q '^to nodeB '"
t=$(ceph_ms)
check "B: prepare vm1 (incoming)" hook B vm1 prepare begin
echo "timing: incoming prepare (hand-over) $(($(ceph_ms) - t)) ms"
check "  ... the claim is nodeB's, from nodeA" \
    bash -c "[ \"\$(rados -p .nfs -N vnr get 'virt-nfsroot.claim:$W/export/vm1' - | sed -n 's/^host //p;s/^from //p' | tr '\n' ' ')\" = 'nodeB nodeA ' ]"
check "  ... still one export of vm1, the same ($oid)" [ "$(urls)" = "%url \"rados://.nfs/vnr/$oid\"" ]
t=$(ceph_ms)
check "A: release end migrated" hook A vm1 release end migrated
echo "timing: release on the source (migrated) $(($(ceph_ms) - t)) ms"
check "  ... the export stays listed and its object is there" \
    bash -c "[ \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" = '%url \"rados://.nfs/vnr/$oid\"' ] && rados -p .nfs -N vnr stat $oid"
check "  ... the claim is nodeB's alone" \
    bash -c "[ '$(claim_host vm1)' = nodeB ] && ! rados -p .nfs -N vnr get 'virt-nfsroot.claim:$W/export/vm1' - | grep -q '^from\|^to'"
check "  ... A keeps no record of vm1" test ! -e "$W/A/state/vm1.state"
for port in 2049 2050; do
    check "  ... node on port $port still serves vm1's root to the guest" \
        ceph_waitfor 50 guest_sees $port "$W/export/vm1"
done
refused A vm1 prepare begin "vm1 started on A again while B runs it" "on host 'nodeB'"
t=$(ceph_ms)
check "B: release vm1 (the guest stops)" hook B vm1 release end
echo "timing: final release $(($(ceph_ms) - t)) ms"
check "  ... its url line, its object and its claim are gone" \
    bash -c "[ -z \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" ] && ! rados -p .nfs -N vnr stat $oid && ! rados -p .nfs -N vnr stat 'virt-nfsroot.claim:$W/export/vm1'"
check "  ... node on port 2049 no longer serves vm1" ceph_waitfor 50 not guest_sees 2049 "$W/export/vm1"

# ---- 2b. a migration that fails after the destination's prepare: A gets its claim back
check "A: prepare vm1 again" hook A vm1 prepare begin
check "B: migrate begin vm1" hook B vm1 migrate begin
check "B: prepare vm1 (incoming)" hook B vm1 prepare begin
check "B: release vm1 (the migration failed)" hook B vm1 release end
check "  ... the claim is nodeA's again, the export stays" \
    bash -c "[ '$(claim_host vm1)' = nodeA ] && [ -n \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" ]"
check "  ... node on port 2049 still serves vm1" guest_sees 2049 "$W/export/vm1"
refused B vm1 prepare begin "B's prepare after the failed migration" "on host 'nodeA'"
check "A: release vm1" hook A vm1 release end
check "  ... nothing left: no url line, no claim" \
    bash -c "[ -z \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" ] && ! rados -p .nfs -N vnr ls | grep -q '^export-\|^virt-nfsroot'"

# ---- 3. a dead host's claim: void once its ganesha node left the grace database
check "A: prepare vm2" hook A vm2 prepare begin
refused B vm2 prepare begin "vm2 while host A is in the grace database" "on host 'nodeA'"
kill -KILL "$(ceph_pid ganesha-nodeA)" 2>/dev/null # host A dies
check "the operator takes nodeA out of the grace database" \
    ganesha-rados-grace --cephconf "$CEPH_CONF" --pool .nfs --ns vnr remove nodeA
check "B: prepare vm2 now succeeds" hook B vm2 prepare begin
check "  ... the claim is nodeB's, taken over (no hand-over from nodeA)" \
    bash -c "[ '$(claim_host vm2)' = nodeB ] && ! rados -p .nfs -N vnr get 'virt-nfsroot.claim:$W/export/vm2' - | grep -q '^from'"
check "B: release vm2" hook B vm2 release end
check "  ... nothing of vm2 is left" \
    bash -c "[ -z \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" ] && ! rados -p .nfs -N vnr stat 'virt-nfsroot.claim:$W/export/vm2'"
summary
