#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The built hook against the real exportfs (etab-only mode), in a private mount namespace.
# Usage: test-exportfs.sh HOOK
set -u
HOOK=$(readlink -f "$1")
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
nfsroot_isolate "$0" "$@"

run_hook() { # run_hook NAME OP SUBOP < xml
    "$HOOK" "$1" "$2" "$3" -
}

# A foreign export of the admin's that must survive everything we do.
mkdir -p "$W/admin"
echo "$W/admin 127.0.0.1(ro,sync,no_subtree_check)" > /etc/exports.d/admin.exports
exportfs -ra
check "admin's export present" etab_has "$W/admin" 127.0.0.1

# 1. prepare -> exported to the subnet; exportfs -ra keeps it; release -> gone
mkdir -p "$W/export/vm1"
domain_xml vm1 > "$W/vm1.xml"
out=$(run_hook vm1 prepare begin < "$W/vm1.xml" 2>&1); rc=$?
check "prepare exits 0 ($out)" [ $rc -eq 0 ]
check "vm1 exported to 192.168.122.0/24" etab_has "$W/export/vm1" 192.168.122.0/24
check "exportfs -v lists vm1" sh -c "exportfs -v | grep -q '^$W/export/vm1'"
# The fsid is derived from the path (lib/base/handle.c), so a guest's file handles are the same on
# every host that mounts the shared storage at the same place: a live migration keeps them.
fsid_of() { # fsid_of PATH: the fsid etab holds for PATH
    sed -n "s|^$1	.*[(,]fsid=\([0-9a-f-]*\)[,)].*|\1|p" /var/lib/nfs/etab | sort -u
}
fsid1=$(fsid_of "$W/export/vm1")
check "etab gives vm1 a derived fsid ($fsid1)" \
    sh -c "printf '%s' '$fsid1' | grep -Eqx '[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'"
check "exportfs -v shows the fsid" sh -c "exportfs -v | grep -A1 '^$W/export/vm1' | grep -q 'fsid=$fsid1'"
check "the exports.d file carries the fsid (exportfs -ra keeps it)" \
    sh -c "grep -q '^$W/export/vm1 .*fsid=$fsid1' /etc/exports.d/virt-nfsroot-*.exports"
check "our exports.d file exists" sh -c "ls /etc/exports.d/virt-nfsroot-*.exports >/dev/null"
check "no temp file left in exports.d" sh -c "! ls -a /etc/exports.d | grep -q '\.tmp$'"
exportfs -ra
check "exportfs -ra keeps vm1" etab_has "$W/export/vm1" 192.168.122.0/24
check "exportfs -ra keeps the admin's export" etab_has "$W/admin" 127.0.0.1
f=$(cd /etc/exports.d && ls virt-nfsroot-*.exports)
touch "/etc/exports.d/.$f.99999.tmp"   # what a writer killed before its rename leaves
out=$(run_hook vm1 prepare begin < "$W/vm1.xml" 2>&1); rc=$?
check "prepare twice is idempotent" [ $rc -eq 0 ]
check "a killed writer's stale temp file is cleaned up" [ ! -e "/etc/exports.d/.$f.99999.tmp" ]
check "one line for vm1 after two prepares" [ "$(grep -c "^$W/export/vm1	" /var/lib/nfs/etab)" -eq 1 ]
# A real release (a record, a backend removal): what the dynamic loader maps for it.
LD_DEBUG=libs run_hook vm1 release end < "$W/vm1.xml" 2>"$W/release-libs"; rc=$?
check "release exits 0" [ $rc -eq 0 ]
check "  ... the runner ran (the library was loaded)" grep -q 'libvirt-nfsroot' "$W/release-libs"
check "  ... without libxml2, ICU or libnfsidmap (docs/PERFORMANCE.md)" \
    not grep -Eq 'libxml2|libicu|libnfsidmap' "$W/release-libs"
check "vm1 unexported" sh -c "! grep -q '^$W/export/vm1	' /var/lib/nfs/etab"
check "our exports.d file removed" sh -c "! ls /etc/exports.d/virt-nfsroot-* 2>/dev/null"
check "admin's export untouched" etab_has "$W/admin" 127.0.0.1
run_hook vm1 release end < "$W/vm1.xml"; rc=$?
check "release twice is a no-op" [ $rc -eq 0 ]
# Another domain (another host's view: nothing recorded) exporting the same path gets the same
# fsid: it depends on nothing this host holds.
domain_xml vm1b "path=\"$W/export/vm1\"" > "$W/vm1b.xml"
run_hook vm1b prepare begin < "$W/vm1b.xml"
check "the same path gets the same fsid for another domain, after a release" \
    [ "$(fsid_of "$W/export/vm1")" = "$fsid1" ]
run_hook vm1b release end < "$W/vm1b.xml"

# 2. a pinned MAC gets a /32
mkdir -p "$W/export/pinned"
domain_xml pinned "" 52:54:00:00:00:fe > "$W/pinned.xml"
run_hook pinned prepare begin < "$W/pinned.xml"
check "pinned MAC exported to 192.168.122.254/32 only" etab_has "$W/export/pinned" 192.168.122.254/32
# 2b. another domain cloning that MAC would get the same /32: refused while 'pinned' runs
one_line() { [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] && printf '%s' "$1" | grep -qF -- "$2"; }
mkdir -p "$W/export/clone"
domain_xml clone "" 52:54:00:00:00:fe > "$W/clone.xml"
before=$(snapshot)
out=$(run_hook clone prepare begin < "$W/clone.xml" 2>&1); rc=$?
check "cloned MAC refused while 'pinned' runs ($out)" [ $rc -eq 1 ]
check "cloned MAC: one line naming the running domain" one_line "$out" \
    "virt-nfsroot: domain 'clone': client '192.168.122.254/32' of its root export is already the client of running domain 'pinned'"
check "cloned MAC: host unchanged" [ "$(snapshot)" = "$before" ]
run_hook clone release end < "$W/clone.xml"
check "cloned MAC: 'pinned' still exported after the clone's release" etab_has "$W/export/pinned" 192.168.122.254/32
run_hook pinned release end < "$W/pinned.xml"
out=$(run_hook clone prepare begin < "$W/clone.xml" 2>&1); rc=$?
check "cloned MAC accepted once 'pinned' stopped ($out)" [ $rc -eq 0 ]
run_hook clone release end < "$W/clone.xml"

# 3. refusals change nothing and say why in one line
before=$(snapshot)
refuse() { # refuse NAME ATTRS EXPECTED-SUBSTRING
    domain_xml "$1" "$2" > "$W/r.xml"
    out=$(run_hook "$1" prepare begin < "$W/r.xml" 2>&1); rc=$?
    check "refused $1: exit 1" [ $rc -eq 1 ]
    # shellcheck disable=SC2016 # $1.. are the inner sh's arguments, expanded there
    check "refused $1: one line naming the domain" \
        sh -c '[ "$(printf "%s\n" "$1" | wc -l)" -eq 1 ] && printf "%s" "$1" | grep -qF -- "$2"' \
        _ "$out" "virt-nfsroot: domain '$1': "
    # shellcheck disable=SC2016 # $1.. are the inner sh's arguments, expanded there
    check "refused $1: says '$3' ($out)" sh -c 'printf "%s" "$1" | grep -qF -- "$2"' _ "$out" "$3"
    check "refused $1: host unchanged" [ "$(snapshot)" = "$before" ]
    run_hook "$1" release end < "$W/r.xml"
    check "refused $1: release after failed prepare exits 0" [ $? -eq 0 ]
}
ln -s /etc "$W/export/evil"
mkdir -p "$W/export/wide" "$W/export/star" "$W/export/opts"
refuse dotdot "path=\"$W/export/../etc\"" "is not normalised"
refuse evil "path=\"$W/export/evil\"" "through a symbolic link"
refuse outside 'path="/etc"' "escapes the allowed roots"
refuse missing "path=\"$W/export/missing\"" "does not exist"
refuse wide 'clients="0.0.0.0/0"' "every address"
refuse star 'clients="*"' "is not a numeric address"
refuse opts 'options="rw,fsid=0"' "is not allowed by the host policy"
refuse newline "$(printf 'path="%s/export/vm1&#10;/ *(rw)"' "$W")" "a newline"

# 3b. the boot check refuses a guest that cannot boot, before anything is exported
mkdir -p "$W/export/nokernel"
domain_xml nokernel > "$W/r.xml"
sed -i "s#<os><type arch='x86_64'>hvm</type></os>#<os><type arch='x86_64'>hvm</type><kernel>$W/export/nokernel/boot/vmlinuz</kernel><cmdline>root=nfs4:192.168.122.1:$W/export/nokernel ip=dhcp</cmdline></os>#" "$W/r.xml"
out=$("$HOOK" nokernel prepare begin - < "$W/r.xml" 2>&1); rc=$?
check "boot check: missing kernel refused ($out)" [ $rc -eq 1 ]
# shellcheck disable=SC2016 # $1.. are the inner sh's arguments, expanded there
check "boot check: the sentence names the kernel file" sh -c 'printf "%s" "$1" | grep -qF "$2/boot/vmlinuz"' _ "$out" "$W/export/nokernel"
check "boot check: host unchanged" [ "$(snapshot)" = "$before" ]
echo "validate = warn" >> "$W/policy.conf"
out=$("$HOOK" nokernel prepare begin - < "$W/r.xml" 2>&1); rc=$?
check "boot check: validate = warn lets it start ($out)" [ $rc -eq 0 ]
"$HOOK" nokernel release end - < "$W/r.xml"
sed -i '/^validate/d' "$W/policy.conf"
before=$(snapshot)

# 4. an unannotated domain: nothing at all happens
printf "<domain><name>plain</name><uuid>00000000-0000-4000-8000-000000000001</uuid></domain>" > "$W/plain.xml"
out=$(run_hook plain prepare begin < "$W/plain.xml" 2>&1); rc=$?
check "unannotated: exit 0, silent" [ $rc -eq 0 -a -z "$out" ]
check "unannotated: host unchanged" [ "$(snapshot)" = "$before" ]
check "unannotated: no state dir entry" [ -z "$(ls "$W/state/domains" 2>/dev/null)" ]

# 5. filters print nothing; other ops exit 0 (migrate begin checks the destination:
# test-migrate.sh)
mkdir -p "$W/export/vm2"; domain_xml vm2 > "$W/vm2.xml"
for op in "restore begin" "started begin" "stopped end" "start begin"; do
    read -r -a opargs <<<"$op" # "OPERATION SUB-OPERATION": two arguments of the hook
    out=$(run_hook vm2 "${opargs[@]}" < "$W/vm2.xml"); rc=$?
    check "op '$op': exit 0 and no stdout" [ $rc -eq 0 -a -z "$out" ]
done
check "non-acting ops exported nothing" [ "$(snapshot)" = "$before" ]

# 6. reconnect restores a lost export and never fails
run_hook vm2 prepare begin < "$W/vm2.xml"
exportfs -u "192.168.122.0/24:$W/export/vm2"
check "export lost behind our back" sh -c "! etab_has '$W/export/vm2' 192.168.122.0/24 2>/dev/null; ! grep -q '^$W/export/vm2	' /var/lib/nfs/etab"
run_hook vm2 reconnect begin < "$W/vm2.xml"; rc=$?
check "reconnect exits 0" [ $rc -eq 0 ]
check "reconnect restored the export" etab_has "$W/export/vm2" 192.168.122.0/24
echo "bogus = key" >> "$W/policy.conf"
run_hook vm2 reconnect begin < "$W/vm2.xml" 2>/dev/null; rc=$?
check "reconnect with a broken policy still exits 0" [ $rc -eq 0 ]
sed -i '/^bogus/d' "$W/policy.conf"
run_hook vm2 release end < "$W/vm2.xml"

# 7. 32 domains started and stopped concurrently end exactly right
for i in $(seq 1 32); do mkdir -p "$W/export/c$i"; domain_xml "c$i" "" "52:54:00:10:00:$(printf %02x "$i")" > "$W/c$i.xml"; done
for i in $(seq 1 32); do run_hook "c$i" prepare begin < "$W/c$i.xml" & done; wait
n=$(grep -c "^$W/export/c[0-9]*	192.168.122.0/24(" /var/lib/nfs/etab)
check "32 concurrent prepares: 32 exports ($n)" [ "$n" -eq 32 ]
for i in $(seq 1 2 32); do run_hook "c$i" release end < "$W/c$i.xml" & done
for i in $(seq 2 2 32); do run_hook "c$i" prepare begin < "$W/c$i.xml" & done; wait
want=$(for i in $(seq 2 2 32); do echo "$W/export/c$i"; done | sort)
got=$(grep "^$W/export/c" /var/lib/nfs/etab | cut -f1 | sort)
check "interleaved stop/restart: exactly the even ones remain" [ "$want" = "$got" ]
check "one exports.d file per running domain" [ "$(find /etc/exports.d -maxdepth 1 -name 'virt-nfsroot-*.exports' | wc -l)" -eq 16 ]
exportfs -ra
got=$(grep "^$W/export/c" /var/lib/nfs/etab | cut -f1 | sort)
check "exportfs -ra after the storm keeps exactly them" [ "$want" = "$got" ]
check "admin's export survived the storm" etab_has "$W/admin" 127.0.0.1
for i in $(seq 2 2 32); do run_hook "c$i" release end < "$W/c$i.xml" & done; wait
check "all released: none of ours left" sh -c "! grep -q '^$W/export/c' /var/lib/nfs/etab && ! ls /etc/exports.d/virt-nfsroot-* 2>/dev/null"

# 8. a read-only tree shared by three domains: in exactly one exports.d file at any time (two
# identical lines make every `exportfs -r` of the admin warn and exit 1), exported until its last
# user stops, and the admin's `exportfs -ra` keeps it throughout.
mkdir -p "$W/export/common"
shared_xml() { # shared_xml NAME
    domain_xml "$1" "path=\"$W/export/$1\"" | sed "s|<nfsroot:export path=\"$W/export/$1\"/>|&<nfsroot:export path=\"$W/export/common\" readonly=\"yes\"/>|"
}
holders() { grep -l "^$W/export/common " /etc/exports.d/*.exports 2>/dev/null | wc -l; }
ra_clean() { # exportfs -ra exits 0 and says nothing about duplicates
    local out; out=$(exportfs -ra 2>&1) && ! printf '%s' "$out" | grep -q duplicated
}
for d in s1 s2 s3; do mkdir -p "$W/export/$d"; shared_xml "$d" > "$W/$d.xml"; done
check "shared: the domain XML has two exports" [ "$(grep -o '<nfsroot:export ' "$W/s1.xml" | wc -l)" -eq 2 ]
for d in s3 s1 s2; do
    out=$(run_hook "$d" prepare begin < "$W/$d.xml" 2>&1); rc=$?
    check "shared: prepare $d ($out)" [ $rc -eq 0 ]
    check "shared: after $d, one file holds the shared line ($(holders))" [ "$(holders)" -eq 1 ]
done
check "shared: exported once in etab" [ "$(grep -c "^$W/export/common	192.168.122.0/24(" /var/lib/nfs/etab)" -eq 1 ]
check "shared: one fsid for the shared path, whichever sharer exported it last" \
    [ "$(fsid_of "$W/export/common" | grep -c .)" -eq 1 ]
check "shared: the admin's exportfs -ra exits 0 without a duplicate warning" ra_clean
left="s1 s2 s3"
for _ in 1 2; do
    # Stop the domain whose file holds the line: it must move to another's file.
    f=$(grep -l "^$W/export/common " /etc/exports.d/*.exports)
    d=$(sed -n "s/^# Managed by virt-nfsroot for libvirt domain '\([^']*\)'.*/\1/p" "$f")
    run_hook "$d" release end < "$W/$d.xml"
    read -r -a users <<<"$left" # the names still running, one word each
    left=$(printf '%s\n' "${users[@]}" | grep -vx "$d" | xargs)
    check "shared: $d (the holder) stopped, the line moved to another file" [ "$(holders)" -eq 1 ]
    check "shared: still exported for $left" etab_has "$W/export/common" 192.168.122.0/24
    check "shared: exportfs -ra still clean and keeps it" sh -c "$(declare -f ra_clean etab_has); ra_clean && etab_has '$W/export/common' 192.168.122.0/24"
done
run_hook "$left" prepare begin < "$W/$left.xml"
check "shared: a re-prepare of the last user keeps one line" [ "$(holders)" -eq 1 ]
run_hook "$left" release end < "$W/$left.xml"
check "shared: the last user stopped, the export is gone" sh -c "! grep -q '^$W/export/common	' /var/lib/nfs/etab"
check "shared: and in no file" [ "$(holders)" -eq 0 ]

# 9. the policy and every program it names must be root's and writable by root only: a policy
# anyone can write would choose what root runs and exports. Refused before anything runs.
# (run from its fd, a script's $0 is /proc/self/fd/N: it names its marker in full)
cat > "$W/fake-exportfs" <<SH
#!/bin/sh
touch "$W/fake-exportfs.ran"
exec /usr/sbin/exportfs "\$@"
SH
chmod 0755 "$W/fake-exportfs"
mkdir -p "$W/export/owned"
domain_xml owned > "$W/owned.xml"
P2=$W/other-policy.conf
{ cat "$W/policy.conf"; echo "exportfs = $W/fake-exportfs"; } > "$P2"
before=$(snapshot)
refused_by_owner() { # refused_by_owner DESCRIPTION EXPECTED-SUBSTRING
    rm -f "$W/fake-exportfs.ran"
    out=$(VIRT_NFSROOT_CONFIG=$P2 run_hook owned prepare begin < "$W/owned.xml" 2>&1); rc=$?
    check "$1: refused ($out)" [ $rc -eq 1 ]
    check "$1: one line saying '$2'" one_line "$out" "$2"
    check "$1: nothing ran" [ ! -e "$W/fake-exportfs.ran" ]
    check "$1: host unchanged" [ "$(snapshot)" = "$before" ]
    check "$1: no record left" [ ! -e "$W/state/domains/owned.state" ]
}
chown nobody "$P2"; chmod 0666 "$P2"
refused_by_owner "policy owned by nobody, mode 0666" \
    "virt-nfsroot: domain 'owned': policy '$P2' is owned by uid 65534 with mode 0666: it must be a regular file owned by root and not writable by group or others (chown root:root $P2; chmod go-w $P2)"
chown root "$P2"; chmod 0620 "$P2"
refused_by_owner "root's policy writable by its group" "policy '$P2' is owned by uid 0 with mode 0620"
chmod 0644 "$P2"
out=$(VIRT_NFSROOT_CONFIG=$P2 run_hook owned prepare begin < "$W/owned.xml" 2>&1); rc=$?
check "root's policy naming root's #! script as exportfs: it runs ($out)" [ $rc -eq 0 -a -e "$W/fake-exportfs.ran" ]
check "... and exported through it" etab_has "$W/export/owned" 192.168.122.0/24
VIRT_NFSROOT_CONFIG=$P2 run_hook owned release end < "$W/owned.xml"
check "... released through it" sh -c "! grep -q '^$W/export/owned	' /var/lib/nfs/etab"
before=$(snapshot)
chown nobody "$W/fake-exportfs"
refused_by_owner "exportfs owned by nobody" \
    "virt-nfsroot: domain 'owned': program '$W/fake-exportfs' is owned by uid 65534 with mode 0755: virt-nfsroot runs it as root"
chown root "$W/fake-exportfs"; chmod 0757 "$W/fake-exportfs"
refused_by_owner "exportfs writable by others" "program '$W/fake-exportfs' is owned by uid 0 with mode 0757"

finish
