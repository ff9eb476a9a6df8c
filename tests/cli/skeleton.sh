#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The global contract: --help/--version on stdout with exit 0, usage errors exit 2 with one
# "virt-nfsroot: ..." line on stderr, no colour unless asked (stdout is not a TTY here).
set -u
BIN=$1
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/skeleton.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

"$BIN" --version >"$T/out" 2>"$T/err"; rc=$?
check "--version exits 0" [ "$rc" = 0 ]
check "--version prints the version" grep -Eq '^virt-nfsroot [0-9]+\.[0-9]+\.[0-9]+$' "$T/out"
"$BIN" --help >"$T/out" 2>"$T/err"; rc=$?
check "--help exits 0" [ "$rc" = 0 ]
for c in status doctor annotate validate reconcile; do
    check "--help lists $c" grep -q "^  $c " "$T/out"
    "$BIN" "$c" --help >"$T/sub" 2>&1; rc=$?
    check "$c --help exits 0" [ "$rc" = 0 ]
    check "$c --help shows its usage" grep -q "^Usage: virt-nfsroot $c" "$T/sub"
done
"$BIN" >"$T/out" 2>"$T/err"; rc=$?
check "no command: exit 2" [ "$rc" = 2 ]
"$BIN" frobnicate >"$T/out" 2>"$T/err"; rc=$?
check "unknown command: exit 2" [ "$rc" = 2 ]
check "unknown command: stderr names it" grep -q "^virt-nfsroot: unknown command 'frobnicate'" "$T/err"
check "unknown command: nothing on stdout" [ ! -s "$T/out" ]
"$BIN" --color=sometimes status >"$T/out" 2>"$T/err"; rc=$?
check "bad --color: exit 2" [ "$rc" = 2 ]
"$BIN" doctor --root /nonexistent/dir >"$T/out" 2>"$T/err"; rc=$?
check "doctor --root missing dir: exit 2" [ "$rc" = 2 ]
check "doctor --root missing dir: said once" [ "$(grep -c '^virt-nfsroot: ' "$T/err")" = 1 ]

# Colour: never on a pipe, escapes with --color=always.
G=$(dirname "$0")/../data/doctor/good/root
"$BIN" doctor --root "$G" >"$T/out" 2>&1
check "no escapes on a pipe" sh -c "! grep -q \"$(printf '\033')\" '$T/out'"
"$BIN" --color=always doctor --root "$G" >"$T/out" 2>&1
check "escapes with --color=always" grep -q "$(printf '\033')\[" "$T/out"
NO_COLOR=1 "$BIN" doctor --root "$G" >"$T/out" 2>&1
check "NO_COLOR respected" sh -c "! grep -q \"$(printf '\033')\" '$T/out'"
summary
