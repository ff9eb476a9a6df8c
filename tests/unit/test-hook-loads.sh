#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What each hook run loads (docs/PERFORMANCE.md): an unannotated guest runs the static front end
# alone, a release without a record loads no libxml2 (nor the ICU and libstdc++ it
# pulls in) and no libnfsidmap, a prepare does; neither loads librados (ceph.backend: a prepare on
# the ceph backend does). Read from the dynamic loader's own report (LD_DEBUG=libs), so no
# root and no daemon are needed.
# Usage: test-hook-loads.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$(readlink -f "$1")
SRC=$(readlink -f "$2")
# shellcheck source=../lib/check.sh
. "$SRC/tests/lib/check.sh"
HOOK=$BUILD/hooks/qemu-hook
[ -x "$HOOK" ] || skip "no hook at $HOOK"

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/export" "$W/net" "$W/state"
printf '%s\n' "export_roots = $W/export" "network_dir = $W/net" "state_dir = $W/state" \
    >"$W/policy.conf"
chmod 644 "$W/policy.conf"
export VIRT_NFSROOT_CONFIG=$W/policy.conf
NS=http://virt-nfsroot.org/xmlns/domain/1.0
printf '%s\n' "<domain type='kvm'><name>vm1</name>" \
    "<uuid>4b1c2d3e-1111-2222-3333-444455556666</uuid><metadata>" \
    "<nfsroot:nfsroot xmlns:nfsroot='$NS'><nfsroot:export path='$W/export/vm1'/>" \
    "</nfsroot:nfsroot></metadata></domain>" >"$W/ours.xml"
printf '%s\n' "<domain type='kvm'><name>plain</name></domain>" >"$W/plain.xml"

# loads OUT OP SUBOP XML: the hook's exit status, its stderr and the loader's report in OUT.
loads() {
    LD_DEBUG=libs "$HOOK" vm1 "$2" "$3" - <"$4" >"$W/$1" 2>&1
}

loads plain.out prepare begin "$W/plain.xml"
check "unannotated: exit 0" [ $? -eq 0 ]
check "unannotated: no dynamic loader runs at all" not grep -q 'find library' "$W/plain.out"

loads release.out release end "$W/ours.xml"
rc=$?
check "release without a record: exit 0 ($(grep -v '^ *[0-9]*:' "$W/release.out" | head -3))" \
    [ $rc -eq 0 ]
check "release: the runner ran (the library was loaded)" grep -q 'libvirt-nfsroot' "$W/release.out"
check "release: libxml2 is not loaded" not grep -q 'libxml2' "$W/release.out"
check "release: ICU is not loaded" not grep -q 'libicu' "$W/release.out"
check "release: libnfsidmap is not loaded" not grep -q 'libnfsidmap' "$W/release.out"
check "release: librados is not loaded (the ceph backend's alone)" \
    not grep -q 'librados' "$W/release.out"

# The export directory does not exist: prepare parses, then refuses.
loads prepare.out prepare begin "$W/ours.xml"
check "prepare of a missing export directory: exit 1" [ $? -eq 1 ]
check "prepare: libxml2 is loaded to parse the domain" grep -q 'libxml2' "$W/prepare.out"
check "prepare: librados is not loaded (the ceph backend's alone)" \
    not grep -q 'librados' "$W/prepare.out"
summary
