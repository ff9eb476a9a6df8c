#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 19, point 5: when libnfsidmap cannot be loaded, the boot check's idmap-host-unknown finding
# says why (dlerror's words), not only that the host's NFSv4 domain is unknown. Here the library
# file is an empty file (a bind mount of /dev/null in a mount namespace of the test's own), so
# dlopen() fails with "file too short".
#
# Usage: test-idmap-noload.sh BOOTCHECK-CASE-BINARY   (root: a mount namespace)
set -u
BIN=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a mount namespace)"; exit 77; }
if [ -z "${IDMAP_NOLOAD_NS:-}" ]; then
    IDMAP_NOLOAD_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/idmap-noload.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

libs=$(ldconfig -p | awk '/libnfsidmap\.so/ { print $NF }' | xargs -r realpath | sort -u)
[ -n "$libs" ] || { echo "SKIP: libnfsidmap is not installed"; exit 77; }
for l in $libs; do
    mount --bind /dev/null "$l" || { echo "SKIP: cannot hide $l"; exit 77; }
done

mkdir -p "$T/case"
printf 'check = idmap\nhost_idmapd_conf = host-idmapd.conf\n' >"$T/case/case"
printf '[General]\nDomain = example.org\n' >"$T/case/host-idmapd.conf"
printf '[General]\nDomain = example.org\n' >"$T/case/idmapd.conf"
printf 'info idmap-host-unknown\n' >"$T/case/expected"

timeout 60 "$BIN" "$T/case" >"$T/out" 2>"$T/err"; rc=$?
check "libnfsidmap unloadable: idmap-host-unknown ($(tr '\n' ' ' <"$T/out"))" [ "$rc" = 0 ]
check "... and the finding says why: dlerror's words ($(tr '\n' ' ' <"$T/err"))" \
    grep -q 'libnfsidmap.*too short' "$T/err"
finish
