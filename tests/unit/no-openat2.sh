#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# NFSROOT_TEST_NO_OPENAT2 (ENABLE_TESTING_HOOKS) must send every caller of the opener beneath a
# root (lib/base/beneath.c) down the fallback walk: the boot check, the guest trees, export paths and
# the host files doctor --root reads. Each runs a case that passes with openat2 under strace; the
# case must pass again and openat2(2) must not be called once.
#   no-openat2.sh SRCDIR TEST-BOOTCHECK GUEST-CASE PLAN-CASE CLI
set -u
SRC=$1 BOOTCHECK=$2 GUEST=$3 PLAN=$4 CLI=$5
command -v strace >/dev/null || { echo "SKIP: strace is not installed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/no-openat2.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export NFSROOT_TEST_NO_OPENAT2=1
# LeakSanitizer cannot run under ptrace; the same cases run leak-checked without strace.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fail=0
n=0
run() {
    local what=$1
    shift
    n=$((n + 1))
    if ! strace -f -qq -e trace=openat2 -o "$T/trace.$n" "$@" >"$T/out.$n" 2>&1; then
        echo "FAIL: $what: the case fails with the fallback walk"
        tail -20 "$T/out.$n"
        fail=1
    fi
    local calls
    calls=$(grep -c 'openat2(' "$T/trace.$n")
    if [ "$calls" != 0 ]; then
        echo "FAIL: $what: openat2 called $calls times despite NFSROOT_TEST_NO_OPENAT2"
        grep -m3 'openat2(' "$T/trace.$n"
        fail=1
    else
        echo "ok: $what: fallback walk only"
    fi
}
run "boot check (unit.bootcheck)" "$BOOTCHECK"
run "guest tree, hostile links" "$GUEST" "$SRC/tests/data/guest/hostile-symlinks"
run "guest tree, configured" "$GUEST" "$SRC/tests/data/guest/debian-bookworm"
run "export path through links" "$PLAN" "$SRC/tests/data/plan/path-symlink-chain" \
    "$SRC/tests/data/plan"
run "doctor --root" "$SRC/tests/cli/doctor-case.sh" "$CLI" "$SRC/tests/data/doctor/root-escape"
exit $fail
