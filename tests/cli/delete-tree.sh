#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# delete --tree removes only the tree create recorded as made for that domain (root-side: path,
# device and inode of its top directory, UUID), against libvirt's test driver with stopped
# domains (a fresh driver per run: what one run undefines is back for the next). Refused, with
# nothing removed: a tree create did not make, a read-only root, a tree another (stopped)
# domain names, a directory holding another recorded tree, a directory swapped in since, a tree
# another host sharing the export root claims (its guest migrated there and runs).
# No root, no daemon.
set -u
BIN=$1
virsh -c test:///default list >/dev/null 2>&1 || { echo "SKIP: libvirt test driver unusable"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/delete-tree.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
# shellcheck source=../lib/sandbox.sh
. "$(dirname "$0")/../lib/sandbox.sh"
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
mkdir -p "$T/net" "$T/state" "$T/boot"
mkdir -m 0700 "$T/owned"
sandbox_network "$T/net"
sandbox_policy "$T" "boot_dirs = $T/boot"
E=$T/export

uuid_of() { printf '11111111-2222-3333-4444-%012d' "$1"; }
# domain N NAME EXPORT-ATTRS...: a stopped test-driver domain with our metadata.
domain() {
    local n=$1 name=$2
    shift 2
    local ex=()
    for a in "$@"; do ex+=("export=$a"); done
    domain_xml_gen name="$name" uuid="$(uuid_of "$n")" type=test memory=64 "${ex[@]}" |
        sed -e "s|^<domain type='test'>|<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>|" \
            -e 's|^</domain>|<test:runstate>5</test:runstate></domain>|'
}
# record N NAME TREE [INO]: what create records when it made TREE for domain N (INO: another
# inode, as if the directory had been swapped since).
record() {
    local dev ino
    read -r dev ino < <(stat -c '%d %i' "$3")
    printf 'virt-nfsroot-owned 1\nuuid %s\nname %s\ntree %s %s %s\nend\n' \
        "$(uuid_of "$1")" "$2" "$dev" "${4:-$ino}" "$3" >"$T/owned/$(uuid_of "$1").owned"
    chmod 0600 "$T/owned/$(uuid_of "$1").owned"
}
tree() { mkdir -p "$1/etc" && echo keep >"$1/etc/hostname"; }

for t in foreign base mine good swapped all all/a gone moved; do tree "$E/$t"; done
{
    echo '<node>'
    domain 1 foreign "path=\"$E/foreign\""
    domain 2 base "path=\"$E/base\" readonly=\"yes\""
    domain 3 mine "path=\"$E/mine\""
    domain 4 other "path=\"$E/other\"" "path=\"$E/mine\" readonly=\"yes\""
    domain 5 good "path=\"$E/good\""
    domain 6 swapped "path=\"$E/swapped\""
    domain 7 all "path=\"$E/all\""
    domain 10 moved "path=\"$E/moved\""
    echo "<network><name>default</name><bridge name='virbr0'/><ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip></network>"
    echo '</node>'
} >"$T/node.xml"
record 2 base "$E/base"
record 3 mine "$E/mine"
record 5 good "$E/good"
record 6 swapped "$E/swapped" 1
record 7 all "$E/all"
record 8 a "$E/all/a" # domain a is gone; its tree is not all's to remove
record 9 gone "$E/gone"
record 10 moved "$E/moved"
# moved was migrated away: another host sharing the export root runs it and holds its claim.
mkdir -m 0700 "$E/.virt-nfsroot" "$E/.virt-nfsroot/claims" "$E/.virt-nfsroot/claims/moved"
printf 'virt-nfsroot-claim 1\nhost host-B\nuuid %s\ndomain moved\npath %s\n' "$(uuid_of 10)" \
    "$E/moved" >"$E/.virt-nfsroot/claims/moved/#claim"

D() { "$BIN" delete --connect "test:///$T/node.xml" "$@"; }
# refused NAME TREE SENTENCE: exit 1, the one sentence, the tree and its record untouched.
refused() {
    local name=$1 dir=$2 why=$3
    D "$name" --tree >"$T/out" 2>"$T/err"
    check "$name: exit 1" [ $? = 1 ]
    check "$name: one sentence" grep -qxF \
        "virt-nfsroot: delete: the tree '$dir' is not removed: $why" "$T/err"
    check "$name: nothing removed" [ "$(cat "$dir/etc/hostname" 2>/dev/null)" = keep ]
}

refused foreign "$E/foreign" "create did not record it as the tree it made for domain 'foreign'"
refused base "$E/base" "domain 'base' exports it read-only: a shared root, not its own"
refused mine "$E/mine" "domain 'other' names '$E/mine' in its metadata"
refused all "$E/all" "it overlaps '$E/all/a', the tree create made for domain 'a'"
check "all: the tree inside it too" [ "$(cat "$E/all/a/etc/hostname")" = keep ]
refused swapped "$E/swapped" "it is not the directory create made (replaced since)"
refused moved "$E/moved" "domain 'moved' on host 'host-B' claims '$E/moved' (it runs there)"

D good --tree >"$T/out" 2>"$T/err"
check "good: exit 0" [ $? = 0 ]
check "good: its recorded tree removed" [ ! -e "$E/good" ]
check "good: its record removed" [ ! -e "$T/owned/$(uuid_of 5).owned" ]
check "good: says so" grep -qxF "remove its root tree '$E/good'" "$T/out"
check "good: says the tree cache is kept, and how to prune it" \
    grep -q "^kept: the tree cache .*virt-nfsroot create --cache-prune" "$T/out"

# No domain of that name any more: the record of that name whose domain is gone.
D gone --tree >"$T/out" 2>"$T/err"
check "gone (no domain): exit 0" [ $? = 0 ]
check "gone (no domain): its recorded tree removed" [ ! -e "$E/gone" ]

# A record anyone but root could have written is not believed.
chmod 0620 "$T/owned/$(uuid_of 3).owned"
D mine --tree >"$T/out" 2>"$T/err"
check "a group-writable record: exit 1" [ $? = 1 ]
check "a group-writable record: nothing removed" [ -e "$E/mine/etc/hostname" ]
chmod 0600 "$T/owned/$(uuid_of 3).owned"
printf 'tree 1 1 /\n' >>"$T/owned/$(uuid_of 3).owned"
D mine --tree >"$T/out" 2>"$T/err"
check "a record that does not read back: exit 1" [ $? = 1 ]
check "a record that does not read back: says so" grep -q "does not read back as written" "$T/err"

# The one name rule (nfsroot_domain_name_ok): a name no record can have is refused by the
# command line's check, before libvirt is asked, not later by the records.
for guest in .x .. ''; do
    D "$guest" --tree >"$T/out" 2>"$T/err"
    check "name '$guest': usage error (exit 2)" [ $? = 2 ]
    check "name '$guest': says it is no guest name" grep -qF "'$guest' is not a guest name" "$T/err"
done
finish
