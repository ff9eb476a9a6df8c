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
fail=0
n=$(wc -l <"$T/all.conf")
[ "$n" -ge 17 ] || { echo "FAIL: only $n keys found in the example"; fail=1; }
for conf in "$EXAMPLE" "$T/all.conf"; do
    if out=$("$BIN" --config "$conf" validate "$T/plain.xml" 2>&1); then
        echo "PASS: $(basename "$conf") loads ($n keys documented)"
    else
        echo "FAIL: $(basename "$conf"): $out"; fail=1
    fi
done
exit $fail
