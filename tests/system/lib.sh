# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Shared by the system tests: private mount + network namespaces (tests/lib/ns.sh) with their own
# /etc/exports.d and /var/lib/nfs, so the real exportfs runs against nothing of the host's.
# Usage: source lib.sh; nfsroot_isolate "$0" "$@"   (re-executes the script inside unshare)

# pass/fail/check/finish come from the test library.
# shellcheck source=../lib/check.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
# shellcheck source=../lib/sandbox.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/sandbox.sh"
# shellcheck source=../lib/ns.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

# The start of the tests that check records against "which domains run": python3, no boot
# checks, and libvirt's test driver (URI), where only the domain "test" (TEST_UUID) runs.
nfsroot_test_driver() {
    command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
    printf 'validate = off\n' >>"$VIRT_NFSROOT_CONFIG"
    # shellcheck disable=SC2034 # URI and TEST_UUID are for the sourcing test
    URI=test:///default TEST_UUID=6695eb01-f6a4-8304-79aa-97f2502e193f
}

nfsroot_isolate() {
    if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (mount namespaces, exportfs)"; exit 77; fi
    if [ ! -x /usr/sbin/exportfs ]; then echo "SKIP: exportfs (nfs-kernel-server) is not installed"; exit 77; fi
    [ -n "${NFSROOT_ISOLATED:-}" ] || ns_enter NFSROOT_ISOLATED -- bash "$@"
    if ! ns_private || ! ns_nfs_state; then echo "FAIL: cannot set up the private namespace"; exit 1; fi
    W=$(mktemp -d /var/tmp/nfsroot-test.XXXXXX)
    trap 'rm -rf "$W"' EXIT
    mkdir -p "$W/export" "$W/net" "$W/state"
    sandbox_network "$W/net" 52:54:00:00:00:fe 192.168.122.254
    sandbox_policy "$W"
}

# domain_xml NAME [EXPORT-ATTRIBUTES] [MAC]: an annotated domain on network 'default'.
domain_xml() {
    local name=$1 attrs=${2:-} mac=${3:-}
    local n; n=$(printf '%s' "$name" | cksum | cut -d' ' -f1)
    [ -n "$mac" ] || mac=$(printf '52:54:00:%02x:%02x:%02x' $((n % 256)) $((n / 256 % 256)) $((n / 65536 % 256)))
    local uuid; uuid=$(printf '%08x-0000-4000-8000-%012x' "$n" "$n")
    domain_xml_gen name="$name" uuid="$uuid" export="$attrs" mac="$mac"
}

# The host's export state, for before/after comparisons.
snapshot() {
    { exportfs -v 2>&1; echo ---; cat /var/lib/nfs/etab; echo ---;
      for f in /etc/exports.d/* /etc/exports.d/.*; do [ -f "$f" ] && { echo "$f"; cat "$f"; }; done; } 2>/dev/null
}

etab_has() { grep -q "^$1	$2(" /var/lib/nfs/etab; }
