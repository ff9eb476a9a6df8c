#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e.newcomer: README.md's commands, taken from README.md (the blocks after `<!-- newcomer: ...
# -->`), on a host prepared only as README.md says, give a guest whose serial console shows a
# login prompt and lets root in with the password `create` printed.
#
#  1. Outside any namespace (needs the apt mirror the first time): create's tree cache is filled
#     as e2e.boot fills it (guest.sh), in VIRT_NFSROOT_TEST_CACHE; the README's create then finds
#     it through VIRT_NFSROOT_CACHE_DIR (the commands stay the README's).
#  2. In fresh mount + network + PID namespaces: /etc and /usr/local are overlays, /run,
#     /var/lib/libvirt, /var/lib/nfs tmpfs, /export, /var/lib/virt-nfsroot,
#     /var/cache/virt-nfsroot, /var/log/libvirt and /var/log/ganesha directories of the work dir
#     (upper layers there too): nothing is written outside it. /etc/ganesha/ganesha.conf is
#     Debian's stock file, there is no /etc/virt-nfsroot.conf, no hook, no daemon.
#  3. The README's `sudo scripts/setup`: its install step is `cmake --install` of the build
#     under test and ldconfig (no apt: packages are in, and the namespace has no network), then
#     the README's command with --configure-only: NFS server, ganesha.conf, policy.
#  4. The README's start block for NFS-Ganesha, line by line (the kernel variant, the
#     `start kernel` block with `--backend kernel`, runs the same way where the kernel has nfsd;
#     CI machines have none, so it is not registered).
#  5. The README's create line, then its console line on a pty (console-login.py): login prompt,
#     root + the printed password, a shell that writes a marker into the NFS root.
#
# Usage: newcomer.sh HOOK-BINARY CLI-BINARY BUILD-DIR   (root; exits 77 with the reason when it
# cannot run).  Environment: VIRT_NFSROOT_TEST_CACHE, LV_KEEP=1, E2E_BOOT_TIMEOUT (seconds to
# the login prompt, default 900: a boot under TCG took 240 s on an idle CI machine, over
# 480 s on one shared by six builds).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
# shellcheck source=../libvirt/harness.sh
. "$HERE/../libvirt/harness.sh"
# shellcheck source=guest.sh
. "$HERE/guest.sh"
# shellcheck source=../lib/ganesha.sh
. "$HERE/../lib/ganesha.sh"
# shellcheck source=../lib/readme.sh
. "$HERE/../lib/readme.sh"

E2E_CACHE=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/e2e
README=$SRC/README.md

if [ -z "${LV_INSIDE:-}" ]; then
    if [ $# -ne 3 ] || [ ! -f "$3/CMakeCache.txt" ]; then
        echo "usage: $0 HOOK-BINARY CLI-BINARY BUILD-DIR" >&2
        exit 2
    fi
    e2e_prereqs 2 "$1" "$2" debootstrap chroot python3 cmake
    ganesha_prereqs
    grep -qw overlay /proc/filesystems || skip "no overlayfs: cannot give the test a private /etc"
    E2E_T0=$(lv_now)
    e2e_image_or_exit newcomer "$(readlink -f "$2")"
    E2E_PREP_S=$(lv_elapsed "$E2E_T0")
    export E2E_T0 E2E_STAGE E2E_PREP_S E2E_CREATE_CACHE
    lv_enter_namespace "$HERE/newcomer.sh" "$(readlink -f "$1")" "$(readlink -f "$2")" \
        "$(readlink -f "$3")"
fi
BUILD=$3
unset DBUS_SYSTEM_BUS_ADDRESS VIRT_NFSROOT_CONFIG

# overlay DIR : DIR as an overlay whose upper layer is in the work directory
overlay() {
    local u=$LV_WORK/upper${1//\//-}
    mkdir -p "$u/upper" "$u/work" &&
        mount -t overlay overlay -o "lowerdir=$1,upperdir=$u/upper,workdir=$u/work" "$1"
}
# bind_work DIR : an empty directory of the work dir over DIR
bind_work() {
    local w=$LV_WORK/dir${1//\//-}
    mkdir -p "$w" "$1" && chmod 0755 "$w" && mount --bind "$w" "$1"
}
sandbox() {
    ns_private && overlay /etc && overlay /usr/local || return 1
    ns_tmpfs /run /var/lib/libvirt /etc/libvirt/hooks /etc/libvirt/qemu && ns_nfs_state || return 1
    local d
    for d in /export /var/lib/virt-nfsroot /var/cache/virt-nfsroot /var/log/libvirt \
        /var/log/ganesha; do
        bind_work "$d" || return 1
    done
    mkdir -p /run/lock /var/log/libvirt/qemu /etc/libvirt/qemu/networks/autostart
    # A pristine host: the package's default network (not started), Debian's stock
    # ganesha.conf, no policy.
    install -m 0600 /usr/share/libvirt/networks/default.xml /etc/libvirt/qemu/networks/default.xml
    cp "$SRC/tests/data/doctor/ganesha-stock/root/etc/ganesha/ganesha.conf" /etc/ganesha/ganesha.conf
    rm -f /etc/virt-nfsroot.conf /etc/ganesha/ganesha.conf.virt-nfsroot-bak
}
if ! sandbox; then
    rm -rf "$E2E_STAGE"
    skip "cannot make the private /etc, /usr/local and state directories"
fi
mv "$E2E_STAGE"/create-cache.* "$LV_WORK/" 2>/dev/null
rm -rf "$E2E_STAGE"
trap lv_cleanup EXIT
echo "work: $LV_WORK; build: $BUILD; guest image ready in $E2E_PREP_S s"

# run_block NAME : README.md's block NAME, line by line as root would type it (a leading `sudo `
# dropped: the test is root); stops at the first line that fails.
run_block() {
    local line
    while IFS= read -r line; do
        line=${line#sudo }
        echo "    \$ $line"
        bash -c "$line" >>"$LV_WORK/commands.log" 2>&1 ||
            { fail "README '$1' line failed: $line"; tail -n 15 "$LV_WORK/commands.log"; return 1; }
    done < <(readme_block "$README" "$1")
}

for b in setup 'start ganesha' create console; do
    readme_block "$README" "$b" >/dev/null || fail "README.md has no '$b' block (<!-- newcomer: $b -->)"
done
[ "$bad" = 0 ] || { finish; exit 1; }
SETUP=$(readme_block "$README" setup)
[ "$SETUP" = "sudo scripts/setup" ] || { fail "README's setup block is '$SETUP', not 'sudo scripts/setup'"; finish; exit 1; }

# 3. setup: its install step with the build under test, then the README's command, configuring.
t=$(lv_now)
if cmake --install "$BUILD" >"$LV_WORK/install.log" 2>&1 && ldconfig; then
    pass "installed the build under test as setup does (cmake --install, ldconfig)"
else
    fail "cmake --install $BUILD: $(tail -n 3 "$LV_WORK/install.log")"; finish; exit 1
fi
if (cd "$SRC" && ${SETUP#sudo } --configure-only) >"$LV_WORK/setup.out" 2>&1; then
    pass "README: scripts/setup (--configure-only after its install step; $(lv_elapsed "$t") s)"
else
    fail "scripts/setup --configure-only failed:"; sed 's/^/    | /' "$LV_WORK/setup.out"
    finish; exit 1
fi
grep '^setup: ' "$LV_WORK/setup.out" | sed 's/^/    | /'
SETUP_S=$(lv_elapsed "$t")

# 4. The start commands.
t=$(lv_now)
# Only where libvirtd logs (for the hook failures looked for at the end).
export LIBVIRT_LOG_OUTPUTS="3:file:$LV_WORK/libvirtd.log"
run_block 'start ganesha' || { finish; exit 1; }
START_S=$(lv_elapsed "$t")
pass "README: the start commands for NFS-Ganesha ran ($START_S s)"
virt-nfsroot doctor >"$LV_WORK/doctor.out" 2>&1
grep -E '^(PASS|WARN|FAIL|SKIP) +(policy|nfs-server|dbus|ganesha-|rpcbind|export-mounts|hook|libvirtd|libvirt-networks)' \
    "$LV_WORK/doctor.out" | sed 's/^/    doctor | /'
for row in nfs-server dbus ganesha-include ganesha-owners ganesha-versions rpcbind export-mounts hook \
    libvirtd; do
    check "doctor after the README's commands: $row passes" grep -qE "^PASS +$row " "$LV_WORK/doctor.out"
done

# 5. create, then log in on the console.
CREATE=$(readme_block "$README" create)
CREATE=${CREATE#sudo }
# shellcheck disable=SC2086 # its words
VM=$(set -- $CREATE; echo "${3:-}")
t=$(lv_now)
echo "    \$ $CREATE"
# shellcheck disable=SC2086 # the README's line, split into its words as a shell would
if VIRT_NFSROOT_CACHE_DIR=$E2E_CREATE_CACHE $CREATE >"$LV_WORK/create.out" 2>"$LV_WORK/create.err"; then
    CREATE_S=$(lv_elapsed "$t")
    pass "README: $CREATE ($CREATE_S s)"
else
    fail "README: $CREATE failed: $(tail -n 20 "$LV_WORK/create.err")"; finish; exit 1
fi
sed 's/^/    | /' "$LV_WORK/create.err" "$LV_WORK/create.out" | grep -v 'root password (shown once)'
PASSWORD=$(sed -n 's/^root password (shown once): //p' "$LV_WORK/create.out")
check "create printed the one-time root password" [ -n "$PASSWORD" ]
check "create says how to log in" grep -qxF "log in: virsh console $VM, user root" "$LV_WORK/create.out"
F=$(grep -l "/export/$VM\"" /run/ganesha/virt-nfsroot.d/*.conf 2>/dev/null | head -n 1)
check "ganesha exports /export/$VM to the guest's address alone" grep -qE 'Clients = [0-9.]+/32;' "${F:-/dev/null}"

CONSOLE=$(readme_block "$README" console)
CONSOLE=${CONSOLE#sudo }
MARKER=newcomer-ok-$RANDOM
t=$(lv_now)
echo "    \$ $CONSOLE   (on a pty: log in, write and read back a marker)"
# shellcheck disable=SC2086 # the README's line, split into its words
python3 "$HERE/console-login.py" "$LV_WORK/console.log" "${E2E_BOOT_TIMEOUT:-900}" \
    "$PASSWORD" "$MARKER" -- $CONSOLE --force >"$LV_WORK/login.out" 2>&1
rc=$?
LOGIN_S=$(lv_elapsed "$t")
sed 's/^/    | /' "$LV_WORK/login.out"
case $rc in
    0) pass "the console shows a login prompt and root logs in with the printed password ($LOGIN_S s)" ;;
    2) fail "no login prompt within ${E2E_BOOT_TIMEOUT:-900} s" ;;
    *) fail "logging in on the console failed (status $rc)" ;;
esac
if [ "$rc" != 0 ]; then
    echo "console tail:"
    tr -d '\r' <"$LV_WORK/console.log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' | tail -n 30 |
        sed 's/^/    | /'
fi
check "the marker the shell wrote is in the guest's NFS root" \
    grep -qx "$MARKER" "/export/$VM/root/newcomer-marker"
failures=$(lv_hook_failures)
check "libvirtd logged no hook failure" [ -z "$failures" ]
echo "timing (a shared, loaded 2-core machine, TCG): setup's configuration $SETUP_S s, start commands $START_S s, create (tree cached) $CREATE_S s, start to login prompt and shell $LOGIN_S s; whole test $(lv_elapsed "$E2E_T0") s"
finish
