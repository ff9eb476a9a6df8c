# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# What bench/boot.sh and bench/guest-io.sh share: guests made by `create` from the e2e tests'
# tree cache, served by the hook and NFS-Ganesha in the e2e harness's private namespaces.
# Sourced with HERE set to bench/.
# shellcheck source=../tests/libvirt/harness.sh
. "$HERE/../tests/libvirt/harness.sh"
# shellcheck source=../tests/e2e/guest.sh
. "$HERE/../tests/e2e/guest.sh"
# shellcheck source=../tests/lib/ganesha.sh
. "$HERE/../tests/lib/ganesha.sh"
E2E_CACHE=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/e2e
# bench/run exports its own policy (parts 1-3); these guests' policy is bound at
# /etc/virt-nfsroot.conf (ganesha_policy), where the hook, libvirtd and create find it.
unset VIRT_NFSROOT_CONFIG

# bench_guest_cache NAME HOOK CLI : outside the namespaces: the hook and NFS-Ganesha checked, a
# staging directory E2E_STAGE (/var/tmp/virt-nfsroot-NAME.*), create's tree cache filled by CLI
# (E2E_CREATE_CACHE; the tree's path in $E2E_STAGE/cache.json); exits when one fails.
bench_guest_cache() {
    lv_check_hook "$2"
    ganesha_prereqs
    [ -x "$3" ] || { echo "bench: no CLI '$3'" >&2; exit 1; }
    E2E_STAGE=$(mktemp -d "/var/tmp/virt-nfsroot-$1.XXXXXX") || exit 1
    E2E_CREATE_CACHE=$E2E_CACHE/create
    # An older create (bench/boot.sh's OLD-CLI) does not make its log directory on a new machine.
    mkdir -p "$E2E_CREATE_CACHE/log"
    VIRT_NFSROOT_CACHE_DIR=$E2E_CREATE_CACHE "$3" --json create --cache-only --release \
        "$E2E_SUITE" >"$E2E_STAGE/cache.json" 2>"$E2E_STAGE/cache.err" ||
        { cat "$E2E_STAGE/cache.err"; rm -rf "$E2E_STAGE"; exit 1; }
    export E2E_STAGE E2E_CREATE_CACHE
}

# bench_cleanup : on exit, the daemons stopped, E2E_STAGE and the paths in BENCH_GUEST_RM
# removed, the work directory kept when BENCH_GUEST_KEEP is set.
bench_cleanup() {
    local rc=$?
    lv_stop_daemons
    ganesha_stop_all
    rm -rf "$E2E_STAGE" "${BENCH_GUEST_RM[@]}"
    [ -n "${BENCH_GUEST_KEEP:-}" ] && LV_KEEP=1
    (exit "$rc")
    lv_cleanup
}

# bench_guest_start HOOK WHAT : inside the namespaces: a private /etc, the hook installed,
# NFS-Ganesha (its policy "for WHAT") and libvirtd with network 'default' running; on exit
# bench_cleanup runs.
bench_guest_start() {
    local g=$LV_WORK/ganesha
    mkdir -p "$LV_WORK/etc-upper" "$LV_WORK/etc-work"
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$LV_WORK/etc-upper,workdir=$LV_WORK/etc-work" \
        /etc || { echo "SKIP: cannot overlay /etc"; exit 77; }
    lv_setup_namespace
    trap bench_cleanup EXIT
    lv_install_hook "$1"
    ganesha_config "$g" "$g/exports.d"
    ganesha_policy "$LV_WORK/policy.conf" "for $2"
    { ganesha_start_bus && ganesha_start; } || { fail "ganesha did not start"; exit 1; }
    { lv_start_daemons && lv_net_start; } || { fail "libvirtd did not start"; exit 1; }
}
