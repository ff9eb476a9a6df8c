#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# create builds only in a private staging directory, and only what this run built from the host's
# mirror feeds the tree cache and the shared initramfs store (docs/SECURITY.md):
#  - no Debian archive keyring: one sentence naming the package, nothing changed; debootstrap
#    always gets --force-check-gpg and --keyring;
#  - a --mirror other than the host's fills neither the tree cache nor the initramfs store;
#  - --reuse of an existing tree configures it as it is: nothing is copied into it (a link it
#    holds to a host file leaves that file alone), a stage marker it holds is not read, and its
#    image is its own, never the store's;
#  - a failed --from-dir run leaves nothing at the target (the copy stayed in staging);
#  - issue 22: a guest made without --ssh-key or --root-password-file gets a one-time root
#    password, shown once on stdout (or in --json), hashed in its shadow, never in the log; and
#    a static DHCP address unless --no-pin-address.
# The real create; a fake debootstrap (VIRT_NFSROOT_DEBOOTSTRAP) makes a small Debian-like tree
# whose apt-get and dracut are shell scripts run in create's chroot; libvirt's test driver.
set -u
BIN=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (chroot, mount namespace)"; exit 77; }
virsh -c test:///default list >/dev/null 2>&1 || { echo "SKIP: libvirt test driver unusable"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/create-staging.XXXXXX") || exit 1
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
# shellcheck source=../lib/sandbox.sh
. "$SRC/tests/lib/sandbox.sh"
# shellcheck source=../lib/check.sh
. "$SRC/tests/lib/check.sh"
mkdir -p "$T/export" "$T/net" "$T/state" "$T/boot" "$T/outside" "$T/cache" "$T/bin" "$T/mirror" "$T/o"
sandbox_network "$T/net"
sandbox_policy "$T" "boot_dirs = $T/boot"
export VIRT_NFSROOT_CACHE_DIR=$T/cache VIRT_NFSROOT_DEBIAN_KEYRING=$T/keyring.gpg
export VIRT_NFSROOT_DEBOOTSTRAP=$T/bin/debootstrap
echo key >"$T/keyring.gpg"
KVER=6.1.0-fake

# mktree DIR: a Debian trixie tree with what the profile looks for, dash to run the scripts,
# an apt-get that "installs" the kernel (its dracut hook's image says "from apt") and a dracut
# that writes "from dracut".
cat >"$T/bin/mktree" <<EOF
#!/bin/sh
set -e
cp -a "$SRC/tests/data/guest/debian-bookworm/tree/." "\$1/"
printf 'ID=debian\nVERSION_ID=13\nVERSION_CODENAME=trixie\n' >"\$1/etc/os-release"
mkdir -p "\$1/proc" "\$1/sys" "\$1/dev" "\$1/boot" "\$1/lib/modules/$KVER" "\$1/lib64" \
    "\$1/usr/lib/x86_64-linux-gnu"
cp -L /bin/dash "\$1/usr/bin/sh"
cp -L /lib/x86_64-linux-gnu/libc.so.6 "\$1/usr/lib/x86_64-linux-gnu/"
cp -L /lib64/ld-linux-x86-64.so.2 "\$1/lib64/"
printf '#!/bin/sh\n[ "\$1" = install ] || exit 0\n: >/boot/vmlinuz-$KVER\necho from apt >/boot/initrd.img-$KVER\n' >"\$1/usr/bin/apt-get"
printf '#!/bin/sh\nfor a; do out=\$a; done\necho from dracut >"\$out"\n' >"\$1/usr/bin/dracut"
chmod 755 "\$1/usr/bin/apt-get" "\$1/usr/bin/dracut"
mkdir -p "\$1/etc/ssh"
echo built-with-the-tree >"\$1/etc/ssh/ssh_host_ed25519_key"
printf '#!/bin/sh\n[ "\$1" = -A ] && echo made-for-this-guest >/etc/ssh/ssh_host_ed25519_key\n' >"\$1/usr/bin/ssh-keygen"
chmod 755 "\$1/usr/bin/ssh-keygen"
EOF
# The fake debootstrap: its argv, one per line, then the tree in its second-last argument.
cat >"$T/bin/debootstrap" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$T/o/debootstrap.argv"
for a; do into=\$last; last=\$a; done
exec "$T/bin/mktree" "\$into"
EOF
chmod 755 "$T/bin/mktree" "$T/bin/debootstrap"

snapshot() { find "$T" \( -path "$T/cache/log" -o -path "$T/o" \) -prune -o -printf '%p %y %m %s\n' | sort; }
run() { "$BIN" --connect test:///default "$@" >"$T/o/out" 2>"$T/o/err"; }

# 1. No keyring: one sentence naming the package, nothing changed, debootstrap never ran.
snapshot >"$T/o/before"
VIRT_NFSROOT_DEBIAN_KEYRING=$T/no-such-keyring run create k1; rc=$?
snapshot >"$T/o/after"
check "no keyring: exit 1" [ "$rc" = 1 ]
check "no keyring: one sentence naming the package" \
    grep -qx "virt-nfsroot: create: there is no Debian archive keyring '$T/no-such-keyring' to verify the mirror's Release file with: install the package debian-archive-keyring" "$T/o/err"
check "no keyring: one line" [ "$(wc -l <"$T/o/err")" = 1 ]
check "no keyring: nothing changed" diff "$T/o/before" "$T/o/after"
check "no keyring: debootstrap did not run" [ ! -e "$T/o/debootstrap.argv" ]

# 2. A mirror that is not the host's: the guest's tree is its own; no cache entry, no store image.
run create m1 --mirror "file://$T/mirror/"
check "--mirror: debootstrap got the mirror" grep -qx "file://$T/mirror" "$T/o/debootstrap.argv"
check "--mirror: debootstrap checks signatures" grep -qx -- "--force-check-gpg" "$T/o/debootstrap.argv"
check "--mirror: against the keyring" grep -qx -- "--keyring=$T/keyring.gpg" "$T/o/debootstrap.argv"
check "--mirror: the tree was put in place" [ -f "$T/export/m1/etc/os-release" ]
check "--mirror: no cache entry" [ -z "$(find "$T/cache" -name '*.done')" ]
check "--mirror: nothing in the initramfs store" [ -z "$(find "$T/boot" -path '*/.initramfs/*')" ]
check "--mirror: its own image" [ "$(stat -c %h "$T/boot/m1/initrd.img")" = 1 ]
check "--mirror: no staging tree left" [ -z "$(find "$T/export/.virt-nfsroot-staging" -mindepth 1)" ]
run create --cache-only --mirror "file://$T/mirror"; rc=$?
check "--cache-only --mirror: refused" [ "$rc" != 0 ]
check "--cache-only --mirror: says why" grep -q "fills the tree cache from the host's mirror" "$T/o/err"
check "--cache-only --mirror: no cache entry" [ -z "$(find "$T/cache" -name '*.done')" ]
check "staging directory is root's, mode 0700" \
    [ "$(stat -c %u:%a "$T/export/.virt-nfsroot-staging")" = 0:700 ]

# 3. The host's mirror fills the cache (what the next guests copy).
run create --cache-only; rc=$?
check "--cache-only: exit 0" [ "$rc" = 0 ]
check "--cache-only: debootstrap checks signatures" \
    grep -qx -- "--force-check-gpg" "$T/o/debootstrap.argv"
check "--cache-only: the cache entry is complete" [ -n "$(find "$T/cache" -name '*.done')" ]

# 4. --reuse of an existing tree: a guest planted links to host files where the cache has files,
# and a marker saying its tree stage never finished. Nothing is copied into the tree, the host
# files stay, the marker is ignored, and the guest's image is its own (dracut ran), never the
# store's.
"$T/bin/mktree" "$T/export/r1"
: >"$T/export/r1/boot/vmlinuz-$KVER"
echo victim >"$T/outside/victim"
echo secret >"$T/outside/secret"
ln -sf "$T/outside/victim" "$T/export/r1/usr/sbin/sshd"
ln -sf "$T/outside/secret" "$T/export/r1/boot/initrd.img-$KVER"
mkdir -p "$T/export/r1$T/outside" # the link, resolved inside the tree, names a file of the tree
printf 'started\n' >"$T/export/r1/.virt-nfsroot-create"
run create r1 --reuse
check "--reuse: the host file a link named is unchanged" grep -qx victim "$T/outside/victim"
check "--reuse: the host file the initrd link named is unchanged" grep -qx secret "$T/outside/secret"
check "--reuse: nothing in the initramfs store" [ -z "$(find "$T/boot" -path '*/.initramfs/*')" ]
check "--reuse: its own image, made by dracut" grep -qx "from dracut" "$T/boot/r1/initrd.img"
check "--reuse: not linked to anything" [ "$(stat -c %h "$T/boot/r1/initrd.img")" = 1 ]
check "--reuse: the tree's marker untouched" grep -qx started "$T/export/r1/.virt-nfsroot-create"

# 4b. dracut where the profile's table also looks for it (/usr/sbin, not /usr/bin): create runs
# the one the package check found.
"$T/bin/mktree" "$T/export/s1"
: >"$T/export/s1/boot/vmlinuz-$KVER"
mv "$T/export/s1/usr/bin/dracut" "$T/export/s1/usr/sbin/dracut"
run create s1 --reuse
check "dracut in /usr/sbin: not refused" not grep -q "has no dracut" "$T/o/err"
check "dracut in /usr/sbin: the image is that dracut's" grep -qx "from dracut" "$T/boot/s1/initrd.img"

# 5. A failed --from-dir (a tree without a kernel): nothing at the target; the copy stays in
# staging, and the error says where and how to resume.
mkdir "$T/given"
"$T/bin/mktree" "$T/given"
run create f1 --from-dir "$T/given"; rc=$?
check "--from-dir without a kernel: exit 1" [ "$rc" = 1 ]
check "--from-dir without a kernel: nothing at the target" [ ! -e "$T/export/f1" ]
check "--from-dir without a kernel: where the copy is" \
    grep -q "the unfinished tree stays in '$T/export/.virt-nfsroot-staging/f1-.*', where no guest can reach it: resume with 'virt-nfsroot create f1 --reuse'" "$T/o/err"
# Resumed with a kernel in the staging tree: the tree stage is not run again, the tree is placed.
: >"$(find "$T/export/.virt-nfsroot-staging" -maxdepth 1 -type d -name 'f1-*')/boot/vmlinuz-$KVER"
run create f1 --from-dir "$T/given" --reuse
check "--reuse resumes the staging tree" grep -q "tree .*skipped" "$T/o/err"
check "--reuse resumes: the tree is in place" [ -f "$T/export/f1/boot/vmlinuz-$KVER" ]

# 6. A target on another file system than its export root (a tmpfs mounted in a private mount
# namespace): refused before anything is built, the placeholder removed.
mkdir "$T/export/sub"
# shellcheck disable=SC2016 # $1 is the inner shell's, not ours
unshare -m sh -c 'mount -t tmpfs -o mode=0755 none "$1/export/sub" && shift && exec "$@"' sh "$T" \
    "$BIN" --connect test:///default create x1 --path "$T/export/sub/x1" >"$T/o/out" 2>"$T/o/err"
rc=$?
check "another file system: exit 1" [ "$rc" = 1 ]
check "another file system: says why" grep -q "could not be renamed into place: give a --path on it" "$T/o/err"
check "another file system: nothing left" [ -z "$(ls -A "$T/export/sub")" ]

# 7. An empty target another domain's record exports (a running guest's NFS client would mount
# the new tree at its next mount of that path): refused, nothing changed.
mkdir -p "$T/export/taken" "$T/state/domains"
printf '%s\n' 'virt-nfsroot-state 2' 'domain runner' 'uuid 4b1c2d3e-1111-2222-3333-444455556666' \
    'backend kernel' 'since 1764000000' 'server 192.168.122.1' 'subnet_wide 0' \
    "export root rw $T/export/taken rw,async,no_root_squash,insecure,no_subtree_check 192.168.122.7/32" \
    'end' >"$T/state/domains/runner.state"
snapshot >"$T/o/before"
run create taken; rc=$?
snapshot >"$T/o/after"
check "target another domain exports: exit 1" [ "$rc" = 1 ]
check "target another domain exports: says which" \
    grep -qx "virt-nfsroot: create: the tree '$T/export/taken' cannot be made: domain 'runner' exports '$T/export/taken' (it runs, or its record says so)" "$T/o/err"
check "target another domain exports: nothing changed" diff "$T/o/before" "$T/o/after"

# 8. A way in (issue 22): no --ssh-key, no --root-password-file and root locked in the tree
# ('*'): one generated password, printed once, its hash (yescrypt) in the shadow (0640
# root:shadow), never in the log or on stderr; --json carries it; either option suppresses it.
# verify PASSWORD TREE: root's hash in TREE's shadow is PASSWORD's.
verify() {
    # shellcheck disable=SC2016 # "$y$" is the hash's prefix, for python
    python3 -c 'import ctypes, sys
lib = ctypes.CDLL("libcrypt.so.1")  # libxcrypt: python 3.13 has no crypt module
lib.crypt.restype = ctypes.c_char_p
h = [l.split(":")[1] for l in open(sys.argv[2] + "/etc/shadow") if l.startswith("root:")][0]
ok = h.startswith(("$y$", "$6$")) and lib.crypt(sys.argv[1].encode(), h.encode()) == h.encode()
sys.exit(0 if ok else 1)' "$1" "$2"
}
run create w1 --mirror "file://$T/mirror/"
pw=$(sed -n 's/^root password (shown once): //p' "$T/o/out")
check "way in: one password line" [ "$(grep -c '^root password (shown once): ' "$T/o/out")" = 1 ]
check "way in: 20 letters and digits ($pw)" grep -Eqx '[A-Za-z0-9]{20}' <<<"$pw"
# (The fake kernel fails the validate stage: the tree stays for --reuse, and so is the password
# shown, as after a complete run.)
next_line() { grep -A1 '^root password (shown once): ' "$T/o/out" | tail -n1; }
check "way in: then how to log in" [ "$(next_line)" = "log in: virsh console w1, user root" ]
check "way in: the shadow's hash is the password's" verify "$pw" "$T/export/w1"
check "way in: shadow root:shadow 0640" [ "$(stat -c '%a %u %g' "$T/export/w1/etc/shadow")" = "640 0 42" ]
check "way in: not in the log" not grep -qF "$pw" "$T/cache/log/create-w1.log"
check "way in: not on stderr" not grep -qF "$pw" "$T/o/err"
run --json create w2 --mirror "file://$T/mirror/"
pw=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["root_password"])' "$T/o/out")
check "--json: root_password is the shadow's" verify "$pw" "$T/export/w2"
check "--json: no password line" not grep -q 'shown once' "$T/o/out"
echo 'given secret' >"$T/o/pw"
run create w3 --mirror "file://$T/mirror/" --root-password-file "$T/o/pw"
check "--root-password-file: no generated password" not grep -q 'shown once' "$T/o/out"
check "--root-password-file: the shadow has the given one" verify 'given secret' "$T/export/w3"
check "--root-password-file: says how to log in" grep -qx "log in: virsh console w3, user root" "$T/o/out"
echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake test' >"$T/o/key.pub"
run create w4 --mirror "file://$T/mirror/" --ssh-key "$T/o/key.pub"
check "--ssh-key: no generated password" not grep -q 'shown once' "$T/o/out"
check "--ssh-key: root stays locked" grep -q '^root:\*:' "$T/export/w4/etc/shadow"
check "--ssh-key (the tree has an sshd): says how, at its pinned address" \
    grep -Eqx "log in: ssh root@192\.168\.122\.[0-9]+, with the key of --ssh-key" "$T/o/out"

# 9. Pinned by default (issue 22): a create without flags gives the guest a static DHCP host
# in libvirt's network, so the export goes to that /32 alone; --no-pin-address pins nothing and
# exports to the whole network as before, with the warning. (The test driver's network is not
# the live file the library plans from, and the fake kernel fails validate, which takes the pin
# back: the configure stage's note and --json's pinned_ip say what was pinned.)
pinned_ip() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["pinned_ip"])' "$T/o/out"; }
run create p1 --mirror "file://$T/mirror/"
check "default: the configure stage pins" grep -Eq "configure .*guest pinned to 192\.168\.122\.[0-9]+" "$T/o/err"
run --json create p1j --mirror "file://$T/mirror/"
check "default: --json's pinned_ip ($(pinned_ip))" grep -Eqx '192\.168\.122\.[0-9]+' <<<"$(pinned_ip)"
run create p2 --mirror "file://$T/mirror/" --no-pin-address
check "--no-pin-address: the whole-subnet warning" grep -q "exporting to the whole subnet 192.168.122.0/24" "$T/o/err"
check "--no-pin-address: nothing pinned" not grep -q "guest pinned to" "$T/o/err"
run --json create p2j --mirror "file://$T/mirror/" --no-pin-address
check "--no-pin-address: --json's pinned_ip null" [ "$(pinned_ip)" = None ]
run create p3 --pin-address --no-pin-address; rc=$?
check "--pin-address --no-pin-address: refused" [ "$rc" = 2 ]

# 9b. The kernel's security modules less the BPF LSM (issue 23): the cmdline's lsm= is the tree's
# kernel's CONFIG_LSM in its order without bpf (systemd's start-up BPF program under TCG); no
# lsm= when the tree's config is missing or not as a kernel writes it (the tree is the guest's).
cmdline() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["cmdline"])' "$T/o/out"; }
lsm_tree() { # NAME CONFIG-TEXT (none: no config)
    "$T/bin/mktree" "$T/export/$1"
    : >"$T/export/$1/boot/vmlinuz-$KVER"
    [ "$2" = none ] || printf '%s\n' "$2" >"$T/export/$1/boot/config-$KVER"
    run --json create "$1" --reuse
}
lsm_tree m1 $'# Linux\nCONFIG_SECURITY=y\nCONFIG_LSM="landlock,lockdown,yama,apparmor,bpf,ipe"\nCONFIG_X=y'
check "lsm: the config's modules in order, less bpf ($(cmdline))" \
    grep -Eq ' lsm=landlock,lockdown,yama,apparmor,ipe$' <<<"$(cmdline)"
lsm_tree m2 none
check "lsm: no config, no lsm= ($(cmdline))" grep -q 'root=nfs4:' <<<"$(cmdline)"
check "lsm: no config, no lsm=" not grep -q 'lsm=' <<<"$(cmdline)"
lsm_tree m3 $'# Linux\nCONFIG_LSM="apparmor,bpf init=/bin/sh"'
check "lsm: a blank in CONFIG_LSM, no lsm= ($(cmdline))" not grep -Eq 'lsm=|init=' <<<"$(cmdline)"
lsm_tree m5 $'# Linux\nCONFIG_LSM="apparmor,bpf"\n init=/bin/sh,x'
check "lsm: nothing after CONFIG_LSM's quote ($(cmdline))" grep -Eq ' lsm=apparmor$' <<<"$(cmdline)"
lsm_tree m4 $'# Linux\nCONFIG_LSM="landlock,apparmor"'
check "lsm: no bpf to leave out, no lsm=" not grep -q 'lsm=' <<<"$(cmdline)"

# 10. The log of a name is not overwritten by its next run (issue 22): the earlier ones move to
# create-NAME.log.1 (the newest) ... .3, no more.
L=$T/cache/log/create-l1
run create l1 --mirror "file://$T/mirror/"
run create l1 --mirror "file://$T/mirror/" --reuse
check "log: the first run's (debootstrap) kept as .1" grep -q debootstrap "$L.log.1"
check "log: the second run's is the log" not grep -q debootstrap "$L.log"
for _ in 1 2 3; do run create l1 --mirror "file://$T/mirror/" --reuse; done
check "log: three kept, no more" test -f "$L.log.3" -a ! -e "$L.log.4"
check "log: the first run's aged out" not grep -q debootstrap "$L".log*
check "--ssh-key: the key is root's" grep -qx "$(cat "$T/o/key.pub")" "$T/export/w4/root/.ssh/authorized_keys"
# 10b. A guest copied from the cache gets its own ssh host keys (ssh-keygen -A in its tree),
# never the entry's, which every guest of that entry would share.
run create k2
check "copied from the cache: the guest's own host key" \
    grep -qx made-for-this-guest "$T/export/k2/etc/ssh/ssh_host_ed25519_key"
check "copied from the cache: the entry's key unchanged" \
    grep -qx built-with-the-tree "$(find "$T/cache/trees" -maxdepth 1 -name 'debian-*' -type d)/etc/ssh/ssh_host_ed25519_key"
check "a tree of its own (--mirror): its key left as built" \
    grep -qx built-with-the-tree "$T/export/w1/etc/ssh/ssh_host_ed25519_key"

# 11. The tree cache listed and pruned (issue 22), under create's cache lock: --cache-prune
# removes what no create can use (an entry without its record, an unfinished copy) and keeps a
# recent complete entry; a month-old one goes; =all removes every one.
C=$T/cache/trees
mkdir "$C/debian-trixie-dead" "$C/debian-trixie-0000.tmp"
run create --cache-list
check "--cache-list: the complete entry" grep -Eq "^$C/debian-trixie-[0-9a-f]{16}  complete, built [0-9-]{10}, [0-9]+ MB$" "$T/o/out"
check "--cache-list: the incomplete one" grep -qx "$C/debian-trixie-dead  incomplete, built -, 0 MB" "$T/o/out"
run --json create --cache-list
check "--cache-list --json: three entries" python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); assert len(d["entries"]) == 3, d' "$T/o/out"
# Hold create's lock until create says it waits for it (at most 20 s): no sleep to race a load.
: >"$T/o/err"
# shellcheck disable=SC2016 # the inner script expands its own $1
flock "$C/.lock" sh -c 'touch "$1.held"; i=0
    while ! grep -q "waiting for another create" "$1" && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done' \
    _ "$T/o/err" &
for _ in $(seq 400); do [ -e "$T/o/err.held" ] && break; sleep 0.05; done
run create --cache-prune; rc=$?
wait
check "--cache-prune: exit 0" [ "$rc" = 0 ]
check "--cache-prune: waited for create's lock" grep -q "waiting for another create" "$T/o/err"
check "--cache-prune: the unusable ones removed" test ! -e "$C/debian-trixie-dead" -a ! -e "$C/debian-trixie-0000.tmp"
check "--cache-prune: the recent complete entry kept" [ -n "$(find "$C" -maxdepth 1 -name '*.done')" ]
touch -d '40 days ago' "$C"/*.done
run create --cache-prune
check "--cache-prune: a month-old entry removed" [ -z "$(find "$C" -mindepth 1 -maxdepth 1 ! -name .lock)" ]
run create --cache-prune=all; rc=$?
check "--cache-prune=all on an empty cache: exit 0" [ "$rc" = 0 ]
run create --cache-prune x1; rc=$?
check "--cache-prune NAME: refused" [ "$rc" = 2 ]
finish
