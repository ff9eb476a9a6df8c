#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Two hosts sharing one export root (docs/MIGRATION.md's setup), simulated: two policies with
# their own state directory and host_id over one directory, each host's exportfs in a mount
# namespace of its own (its /etc/exports.d and /var/lib/nfs). The built hook, the real exportfs.
# Host B never exports a root host A's running guest holds read-write (the path, one above it,
# one below it), in one sentence naming the domain, the host and the fix; a live migration A -> B
# hands the claim over (migrate begin + prepare on B, release migrated on A leaves B's claim);
# a host killed while it holds a claim blocks the path until its own next start on it or root
# breaks the claim by hand (reconcile --break-claim).
# Usage: test-shared-claims.sh HOOK CLI
set -u
HOOK=$(readlink -f "$1")
CLI=$(readlink -f "$2")
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
nfsroot_isolate "$0" "$@"

REG=$W/export/.virt-nfsroot
for h in A B; do
    mkdir -p "$W/$h/exports.d" "$W/$h/nfs" "$W/$h/state"
    touch "$W/$h/nfs/etab" "$W/$h/nfs/rmtab"
    printf 'export_roots = %s/export\nnetwork_dir = %s/net\nstate_dir = %s/%s/state\nhost_id = host-%s\n' \
        "$W" "$W" "$W" "$h" "$h" >"$W/$h/policy.conf"
done
# on HOST CMD...: CMD as host HOST (its policy, its exportfs state).
on() {
    local h=$1
    shift
    # shellcheck disable=SC2016 # the inner script's own arguments, expanded there
    VIRT_NFSROOT_CONFIG=$W/$h/policy.conf unshare -m --propagation private -- bash -c \
        'mount --bind "$1/exports.d" /etc/exports.d && mount --bind "$1/nfs" /var/lib/nfs &&
         shift && exec "$@"' _ "$W/$h" "$@"
}
hook() { on "$1" "$HOOK" "$2" "$3" "$4" "${5:--}"; } # hook HOST NAME OP SUBOP [EXTRA] < xml
exported() { grep -q "^$2	" "$W/$1/nfs/etab"; } # exported HOST PATH
claim_host() { sed -n 's/^host //p' "$REG/claims/$1/#claim" 2>/dev/null; }
one_line() { [ "$(wc -l <"$1")" -eq 1 ] && grep -qF -- "$2" "$1" && grep -qF -- "$3" "$1"; }

mkdir -p "$W/export/vm1/sub" "$W/export/vm5"
# Both hosts' network pins the bridge MAC every host derives (migrate begin checks it).
sed -i "s|<bridge name='virbr0'/>|&<mac address='52:54:00:e7:53:b6'/>|" "$W/net/default.xml"
domain_xml vm1 > "$W/vm1.xml"
domain_xml vm2 "path=\"$W/export/vm1\"" > "$W/vm2.xml"
domain_xml vm3 "path=\"$W/export/vm1/sub\"" > "$W/vm3.xml"
domain_xml vm4 "path=\"$W/export/.virt-nfsroot\"" > "$W/vm4.xml"
uuid1=$(sed -n 's|.*<uuid>\(.*\)</uuid>.*|\1|p' "$W/vm1.xml")

# refused HOST NAME XML WHAT SUBSTRING: prepare exits 1 with one line naming the domain and
# saying SUBSTRING; that host exports nothing new and records nothing.
refused() {
    local before rc
    before=$(cat "$W/$1/nfs/etab"; ls "$W/$1/state/domains" 2>/dev/null)
    hook "$1" "$2" prepare begin < "$3" 2>"$W/err"; rc=$?
    check "$4: host $1 refuses $2 ($(cat "$W/err"))" [ $rc -eq 1 ]
    check "$4: one line naming domain '$2' and saying '$5'" \
        one_line "$W/err" "virt-nfsroot: domain '$2': " "$5"
    check "$4: host $1 exports and records nothing more" \
        [ "$(cat "$W/$1/nfs/etab"; ls "$W/$1/state/domains" 2>/dev/null)" = "$before" ]
}

# 1. Host A starts vm1: its root is exported there and claimed in the registry, root's alone.
check "A: prepare vm1" hook A vm1 prepare begin < "$W/vm1.xml"
check "  ... A exports vm1's root" exported A "$W/export/vm1"
check "  ... the claim names host-A" [ "$(claim_host vm1)" = host-A ]
check "  ... the registry is root's, mode 0700" \
    [ "$(stat -c '%u %a' "$REG")" = "0 700" ]

# 2. Host B: the same root for another guest, a directory inside it, the registry itself.
refused B vm2 "$W/vm2.xml" "A's running root" \
    "claimed read-write by domain 'vm1' (uuid $uuid1) on host 'host-A'"
check "  ... the sentence names the fix" grep -qF -- "--break-claim $W/export/vm1 --host host-A" "$W/err"
refused B vm3 "$W/vm3.xml" "a directory in A's running root" "lies in '$W/export/vm1', claimed"
refused B vm4 "$W/vm4.xml" "the claims registry" "which is never exported"
refused A vm4 "$W/vm4.xml" "the claims registry on A" "which is never exported"
refused B vm1 "$W/vm1.xml" "vm1 itself started on B, no migration" \
    "is claimed by this domain on host 'host-A', where it runs: migrate it here"

# 3. A live migration A -> B: migrate begin on B accepts, prepare on B takes the claim over,
# release migrated on A takes A's export down and leaves B's claim.
out=$(hook B vm1 migrate begin < "$W/vm1.xml" 2>&1); rc=$?
check "B: migrate begin vm1 exits 0, silent ($out)" [ $rc -eq 0 -a -z "$out" ]
check "  ... the claim is still host-A's" [ "$(claim_host vm1)" = host-A ]
check "B: prepare vm1 (incoming)" hook B vm1 prepare begin < "$W/vm1.xml"
check "  ... the claim is host-B's" [ "$(claim_host vm1)" = host-B ]
check "  ... from host-A, until A's release" grep -qx "from host-A" "$REG/claims/vm1/#claim"
check "A: release end migrated" hook A vm1 release end migrated < "$W/vm1.xml"
check "  ... the claim is B's alone" not grep -q "^from" "$REG/claims/vm1/#claim"
check "  ... A no longer exports vm1's root" not exported A "$W/export/vm1"
check "  ... B exports it" exported B "$W/export/vm1"
check "  ... the claim stays host-B's" [ "$(claim_host vm1)" = host-B ]
refused A vm2 "$W/vm2.xml" "B's running root, seen from A" "on host 'host-B'"
check "B: release end" hook B vm1 release end < "$W/vm1.xml"
check "  ... the claim is gone, its directory too" [ ! -e "$REG/claims/vm1" ]
check "A: vm2 on the freed root" hook A vm2 prepare begin < "$W/vm2.xml"
check "A: release vm2" hook A vm2 release end < "$W/vm2.xml"

# 3b. A migration that fails after the destination's prepare: libvirt releases the domain there
# and it keeps running on the source, which gets its claim back.
check "A: vm1 again" hook A vm1 prepare begin < "$W/vm1.xml"
hook B vm1 migrate begin < "$W/vm1.xml"
check "B: prepare vm1 (incoming)" hook B vm1 prepare begin < "$W/vm1.xml"
check "B: release end (the migration failed)" hook B vm1 release end < "$W/vm1.xml"
check "  ... the claim is host-A's again" sh -c "[ '$(claim_host vm1)' = host-A ] &&
    ! grep -q '^from' '$REG/claims/vm1/#claim'"
refused B vm2 "$W/vm2.xml" "the source after a failed migration" "on host 'host-A'"
check "A: release vm1" hook A vm1 release end < "$W/vm1.xml"
check "  ... the claim is gone" [ ! -e "$REG/claims/vm1" ]

# 4. A host killed while it holds a claim (after the claim, before its record).
NFSROOT_FAULT_KILL_AT=apply-claimed hook A vm1 prepare begin < "$W/vm1.xml" 2>/dev/null; rc=$?
check "A killed at apply-claimed (rc $rc)" [ $rc -ne 0 -a "$(claim_host vm1)" = host-A ]
refused B vm2 "$W/vm2.xml" "the dead host's claim" "on host 'host-A'"
# A comes back (its records lived in /run: gone at boot) and starts another guest on that root:
# its own claim of a domain it has no record of is stale, and it takes it over.
rm -rf "$W/A/state"/*
domain_xml vm5 "path=\"$W/export/vm1\"" > "$W/vm5.xml"
check "A, rebooted: prepare vm5 on the root its dead run claimed" hook A vm5 prepare begin < "$W/vm5.xml"
check "  ... the claim names vm5" grep -qx "domain vm5" "$REG/claims/vm1/#claim"
check "A: release vm5" hook A vm5 release end < "$W/vm5.xml"
# A dies for good holding the claim: root on B breaks it by hand, naming the dead host.
NFSROOT_FAULT_KILL_AT=apply-state-written hook A vm1 prepare begin < "$W/vm1.xml" 2>/dev/null
check "A killed at apply-state-written holds the claim" [ "$(claim_host vm1)" = host-A ]
on B "$CLI" reconcile --break-claim "$W/export/vm1" --host host-B > "$W/out" 2>&1; rc=$?
check "break-claim naming the wrong host: refused ($(cat "$W/out"))" \
    sh -c "[ $rc -eq 1 ] && grep -qF \"claimed by host 'host-A', not 'host-B'\" '$W/out'"
check "  ... the claim stays" [ "$(claim_host vm1)" = host-A ]
on B "$CLI" reconcile --break-claim "$W/export/vm1" --host host-A > "$W/out" 2>&1; rc=$?
check "break-claim of host-A's claim ($(cat "$W/out"))" [ $rc -eq 0 -a ! -e "$REG/claims/vm1" ]
check "B: vm2 on the root now" hook B vm2 prepare begin < "$W/vm2.xml"
check "B: release vm2" hook B vm2 release end < "$W/vm2.xml"

# 5. The registry is trusted only as root's: a claim it cannot read is refused with the fix, and
# a registry others may enter is refused outright.
check "A: vm1 again" hook A vm1 prepare begin < "$W/vm1.xml"
printf 'virt-nfsroot-claim 1\nhost host-A\n' > "$REG/claims/vm1/#claim"
refused B vm2 "$W/vm2.xml" "a garbled claim" "cannot be read"
chmod 0755 "$REG"
refused B vm5 "$W/vm5.xml" "a registry others may enter" "must be a directory owned by root with mode 0700"
chmod 0700 "$REG"

finish
