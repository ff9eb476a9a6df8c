#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shipped example policy parses, both as shipped (all comments) and with every key
# uncommented: its documented defaults must be keys the library accepts.
set -u
BIN=$1 EXAMPLE=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/example-policy.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
sed -n 's/^#\([a-z0-9_]* = .*\)$/\1/p' "$EXAMPLE" >"$T/all.conf"
printf "<domain type='qemu'><name>plain</name></domain>\n" >"$T/plain.xml"
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
n=$(wc -l <"$T/all.conf")
check "the example documents at least 17 keys (found $n)" [ "$n" -ge 17 ]
for conf in "$EXAMPLE" "$T/all.conf"; do
    if out=$("$BIN" --config "$conf" validate "$T/plain.xml" 2>&1); then
        pass "$(basename "$conf") loads ($n keys documented)"
    else
        fail "$(basename "$conf"): $out"
    fi
done
summary
