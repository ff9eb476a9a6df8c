#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# create and delete: the refusals that must change nothing (an invalid name, an existing
# non-empty target, a path outside the export roots or through a symbolic link, an existing
# domain, a running domain for delete), each one sentence on stderr; --dry-run writes nothing.
# libvirt's in-process test driver (test:///default: a running domain "test"); no daemon, no
# root. Building a real guest is the e2e test's (tests/e2e/test-boot.sh).
set -u
BIN=$1
virsh -c test:///default list >/dev/null 2>&1 || { echo "SKIP: libvirt test driver unusable"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/create.XXXXXX") || exit 1
O=$(mktemp -d "${TMPDIR:-/tmp}/create-out.XXXXXX") || exit 1
trap 'rm -rf "$T" "$O"' EXIT
mkdir -p "$T/export/taken" "$T/net" "$T/state" "$T/boot" "$T/outside" "$T/cache"
mkdir -m 0700 "$T/owned"
echo x >"$T/export/taken/file"
ln -s "$T/outside" "$T/export/link"
ln -s "$T/export/taken" "$T/export/alias"
# shellcheck source=../lib/sandbox.sh
. "$(dirname "$0")/../lib/sandbox.sh"
sandbox_network "$T/net"
sandbox_policy "$T" "boot_dirs = $T/boot"
export VIRT_NFSROOT_CACHE_DIR=$T/cache
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

snapshot() { find "$T" -printf '%p %y %m %s\n' | sort; }
snapshot >"$O/before"
unchanged() { snapshot | diff "$O/before" - >/dev/null; }
# One sentence (a usage error adds its hint to --help on a line of its own).
one_line() { [ "$(grep -vc "^Try 'virt-nfsroot" "$O/err")" = 1 ]; }

# refuse NAME EXIT MESSAGE-REGEX ARGS... : exit code, one sentence, nothing changed (a hang is
# exit 124).
refuse() {
    local what=$1 want=$2 re=$3 rc
    shift 3
    timeout 60 "$BIN" --connect test:///default "$@" >"$O/out" 2>"$O/err"; rc=$?
    check "$what: exit $want" [ "$rc" = "$want" ]
    check "$what: one sentence" one_line
    check "$what: says why" grep -Eq "$re" "$O/err"
    check "$what: nothing changed" unchanged
}

refuse "invalid name" 2 "^virt-nfsroot: create: 'bad_name' is not a valid guest name: use at most 63 letters, digits and '-'" \
    create bad_name
refuse "name with a slash" 2 "'a/b' is not a valid guest name" create a/b
refuse "name too long" 2 "is not a valid guest name" create "$(printf 'a%.0s' $(seq 64))"
refuse "existing non-empty target" 1 "^virt-nfsroot: create: '$T/export/taken' exists and is not empty: .*--reuse" \
    create taken
refuse "path outside the export roots" 1 "^virt-nfsroot: create: the tree '$T/outside/g' cannot be made: .*escapes the allowed root" \
    create g --path "$T/outside/g"
refuse "path through a symbolic link" 1 "^virt-nfsroot: create: '$T/export/link' exists and is not a directory \(a symbolic link is never followed\)" \
    create g --path "$T/export/link"
refuse "path below a symbolic link" 1 "cannot be made: .*through a symbolic link" \
    create g --path "$T/export/link/g"
refuse "existing domain" 1 "^virt-nfsroot: create: domain 'test' already exists: .*virt-nfsroot delete test" \
    create test
refuse "relative --path" 2 "is not an absolute path" create g --path rel/g
: >"$O/x.tar"
refuse "two sources" 2 "give one of --from-tarball, --from-dir and --clone-of" \
    create g --from-dir "$T/outside" --from-tarball "$O/x.tar"
# A FIFO as a file option: refused at once (a FIFO without a writer blocked open(2) for ever),
# one sentence naming the option; timeout(1) turns a hang into a failure.
mkfifo "$O/fifo"
for opt in --root-password-file --ssh-key --from-tarball; do
    refuse "$opt a FIFO" 2 "^virt-nfsroot: create: $opt '$O/fifo' is not a regular file$" \
        create g "$opt" "$O/fifo"
done
refuse "--ssh-key missing" 2 "^virt-nfsroot: create: --ssh-key '$O/none' cannot be opened: No such file" \
    create g --ssh-key "$O/none"
refuse "packages that are not names" 2 "is not a comma-separated list" create g --packages 'a;b'
refuse "bad --memory" 2 "is not a size" create g --memory 12
refuse "--no-aslr with --cache-only" 2 "^virt-nfsroot: create: --no-aslr is for a guest's cmdline, not --cache-only" \
    create --cache-only --no-aslr
refuse "delete --tree through a symbolic link" 1 "^virt-nfsroot: delete: the tree '$T/export/link' is not removed: .*symbolic link" \
    delete ghost --tree --path "$T/export/link"
refuse "delete --tree through a link inside the export root" 1 "^virt-nfsroot: delete: the tree '$T/export/alias' is not removed: .*through a symbolic link" \
    delete ghost --tree --path "$T/export/alias"
refuse "delete --tree outside the export roots" 1 "^virt-nfsroot: delete: the tree '$T/outside' is not removed: .*escapes the allowed root" \
    delete ghost --tree --path "$T/outside"
refuse "delete --tree of an export root itself" 1 "^virt-nfsroot: delete: the tree '$T/export' is not removed" \
    delete ghost --tree --path "$T/export"
refuse "delete a running guest" 1 "^virt-nfsroot: delete: domain 'test' is running: shut it down first" \
    delete test --tree

# --dry-run: the plan, nothing written (no directory, no cache, no log).
"$BIN" --connect test:///default create newguest --dry-run >"$O/out" 2>"$O/err"; rc=$?
check "dry run: exit 0" [ "$rc" = 0 ]
check "dry run: names the tree" grep -q "would create domain 'newguest' with its root tree in '$T/export/newguest'" "$O/out"
check "dry run: nothing changed" unchanged
# Issue 22: the virt type is what libvirt says it can run (and, for this host's libvirt, what
# KVM runs: lib/host/kvm.c), not whether /dev/kvm exists; the test driver has no KVM domain
# capabilities: qemu, said in one line (and nothing said for a given one).
check "dry run: no KVM here: one line saying 'qemu'" grep -q \
    "^virt-nfsroot: create: libvirt cannot run KVM guests here (.*): domain 'newguest' gets type 'qemu'" \
    "$O/err"
"$BIN" --connect test:///default create newguest --dry-run --virt-type kvm >"$O/out" 2>"$O/err"
check "dry run, --virt-type kvm: taken as given" not grep -q "cannot run KVM" "$O/err"
# --no-aslr buys a KVM guest nothing and takes its ASLR: said; under TCG it is what it is for.
"$BIN" --connect test:///default create newguest --dry-run --virt-type kvm --no-aslr >"$O/out" 2>"$O/err"
check "dry run, --no-aslr with kvm: warned" grep -q "^virt-nfsroot: warning: create: --no-aslr with type 'kvm': domain 'newguest' loses ASLR and boots no faster" "$O/err"
"$BIN" --connect test:///default create newguest --dry-run --virt-type qemu --no-aslr >"$O/out" 2>"$O/err"
check "dry run, --no-aslr with qemu: no warning" not grep -q "no-aslr" "$O/err"
"$BIN" --connect test:///default --json create taken >"$O/out" 2>"$O/err"
check "--json refusal: ok false" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is False and d["domain"] == "taken" and d["stages"] == [], d' "$O/out"

# Given trees the library refuses: one sentence naming the reason or the packages to install;
# what was copied stays in create's staging directory (nothing at the target), with the way to
# resume. (Alpine: no dracut network module can work there; a Debian tree without dracut and
# its helpers.)
mkdir -p "$O/alpine/etc" "$O/debian/etc" "$O/debian/usr/sbin"
printf 'ID=alpine\nVERSION_ID=3.20.0\n' >"$O/alpine/etc/os-release"
printf 'ID=debian\nVERSION_ID=13\nVERSION_CODENAME=trixie\n' >"$O/debian/etc/os-release"
"$BIN" --connect test:///default create alp --from-dir "$O/alpine" >"$O/out" 2>"$O/err"; rc=$?
check "alpine tree: exit 1" [ "$rc" = 1 ]
check "alpine tree: the reason" grep -q "^virt-nfsroot: .*Alpine cannot boot from this NFS root" "$O/err"
check "alpine tree: what is left and how to resume" \
    grep -q "the unfinished tree stays in '$T/export/.virt-nfsroot-staging/alp-.*', where no guest can reach it: resume with 'virt-nfsroot create alp --reuse'" "$O/err"
check "alpine tree: nothing at the target" [ ! -e "$T/export/alp" ]
"$BIN" --connect test:///default create deb --from-dir "$O/debian" >"$O/out" 2>"$O/err"; rc=$?
check "debian tree without dracut: exit 1" [ "$rc" = 1 ]
check "debian tree without dracut: names the packages" \
    grep -q "^virt-nfsroot: the tree lacks what root on NFS needs: install .*dracut.* in it" "$O/err"
check "no domain defined for either" not grep -q "defined domain" "$O/out"
# A tarball holding a setuid-root and a setgid file: unpacked without those bits unless the
# tree's mount is nosuid (and then only as root), and the tree stage says so.
mkdir -p "$O/suid/etc" "$O/suid/usr/bin"
printf 'ID=alpine\nVERSION_ID=3.20.0\n' >"$O/suid/etc/os-release"
printf 'x\n' >"$O/suid/usr/bin/su" && chmod 4755 "$O/suid/usr/bin/su"
printf 'x\n' >"$O/suid/usr/bin/wall" && chmod 2755 "$O/suid/usr/bin/wall"
tar -C "$O/suid" -cf "$O/suid.tar" .
"$BIN" --connect test:///default --json create sgid --from-tarball "$O/suid.tar" >"$O/out" 2>"$O/err"
note=$(python3 -c 'import json, sys
print([s["note"] for s in json.load(open(sys.argv[1]))["stages"] if s["name"] == "tree"][0])' "$O/out")
# alpine is refused at the kernel stage, so the unpacked tree is still in staging
for st in "$T"/export/.virt-nfsroot-staging/sgid-*; do [ -d "$st" ] && break; done
modes=$(stat -c %a "$st/usr/bin/su" "$st/usr/bin/wall" | tr '\n' ' ')
if [ "$(id -u)" = 0 ] && findmnt -no OPTIONS -T "$T/export" | grep -qw nosuid; then
    check "setuid tarball on a nosuid mount: bits kept ($modes)" [ "$modes" = "4755 2755 " ]
else
    check "setuid tarball: bits dropped ($modes)" [ "$modes" = "755 755 " ]
    check "setuid tarball: the tree stage says so ($note)" \
        grep -q "2 setuid/setgid bits dropped (kept only on a nosuid mount)" <<<"$note"
fi
rm -rf "$T/export/.virt-nfsroot-staging" "$T/cache/log"
check "after removing the staging directory, nothing else changed" unchanged

# owned NAME TREE: the record create leaves for the tree it made for NAME, whose domain is gone.
owned() {
    local f=$T/owned/4b1c2d3e-1111-2222-3333-000000000001.owned
    printf 'virt-nfsroot-owned 1\nuuid %s\nname %s\ntree %s %s\nend\n' \
        4b1c2d3e-1111-2222-3333-000000000001 "$1" "$(stat -c '%d %i' "$2")" "$2" >"$f"
    chmod 0600 "$f"
}

# delete --tree of a tree no domain names any more (a create that did not finish, its record
# left): removed, and nothing else (its symlinks are not followed).
mkdir -p "$T/export/half/etc"
ln -s "$T/outside" "$T/export/half/escape"
owned half "$T/export/half"
"$BIN" --connect test:///default delete half --tree >"$O/out" 2>"$O/err"; rc=$?
check "delete half-made tree: exit 0" [ "$rc" = 0 ]
check "delete half-made tree: says so" grep -q "remove its root tree '$T/export/half'" "$O/out"
check "delete half-made tree: gone, what its link pointed at kept" unchanged

# delete --tree of a tree another domain's record exports (a running guest's root, whatever the
# deleted domain's XML or --path names): refused, nothing removed.
mkdir -p "$T/export/victim/etc" "$T/export/nest/inner" "$T/state/domains"
printf '%s\n' 'virt-nfsroot-state 2' 'domain runner' 'uuid 4b1c2d3e-1111-2222-3333-444455556666' \
    'backend kernel' 'since 1764000000' 'server 192.168.122.1' 'subnet_wide 0' \
    "export root rw $T/export/victim rw,async,no_root_squash,insecure,no_subtree_check 192.168.122.7/32" \
    "export extra ro $T/export/nest/inner ro 192.168.122.7/32" 'end' >"$T/state/domains/runner.state"
owned thief "$T/export/victim"
snapshot >"$O/before"
refuse "delete a tree another domain exports" 1 \
    "^virt-nfsroot: delete: the tree '$T/export/victim' is not removed: domain 'runner' exports '$T/export/victim'" \
    delete thief --tree --path "$T/export/victim"
owned thief "$T/export/nest"
snapshot >"$O/before"
refuse "delete a tree holding another domain's export" 1 \
    "is not removed: domain 'runner' exports '$T/export/nest/inner'" delete thief --tree --path "$T/export/nest"
rm -rf "$T/export/victim" "$T/export/nest" "$T/state/domains" "$T/owned/"*
snapshot >"$O/before"

# delete of what is not there: nothing to do, exit 0, nothing changed.
"$BIN" --connect test:///default delete ghost --tree >"$O/out" 2>"$O/err"; rc=$?
check "delete nothing: exit 0" [ "$rc" = 0 ]
check "delete nothing: says so" grep -q "nothing of 'ghost' was left to delete" "$O/out"
check "delete nothing: nothing changed" unchanged
finish
