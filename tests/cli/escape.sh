#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Guest bytes never reach the admin's terminal raw: validate on a guest tree whose etc/fstab
# decodes to ESC, BEL, C1 CSI, a stray byte and a newline starting a forged "info:" line, and
# whose etc/idmapd.conf holds a raw ESC; status on a record whose domain name holds U+009B.
# Text output: no control byte, no C1, valid UTF-8, no forged line. JSON: parses (strict UTF-8),
# controls and C1 as \u00XX, the values themselves intact.
set -u
BIN=$1
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/escape.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export LC_ALL=C
unset NO_COLOR
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
# C0 but newline, DEL, C1 as UTF-8 (U+0080..U+009F), and anything that is not UTF-8.
# The three below are called by name through check(), which shellcheck cannot follow.
# shellcheck disable=SC2317 # called through check()
no_controls() { ! grep -aqP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1"; }
# shellcheck disable=SC2317 # called through check()
jq_ok() { jq -e . "$1" >/dev/null; }
# shellcheck disable=SC2317 # called through check()
utf8() { python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8", "strict")' "$1"; }

# shellcheck source=../lib/sandbox.sh
. "$(dirname "$0")/../lib/sandbox.sh"
# fstab(5) octal escapes, decoded by the parser: ESC [2J (clear screen), BEL, U+009B (C1 CSI)
# "31m", a lone 0x9b, then a newline and a line of our own.
sandbox_hostile_guest "$T" \
    '192.168.122.1:/x\033[2J\007\302\23331m\233\012info:\040all\040boot\040checks\040passed'
sandbox_domain vm1 >"$T/vm1.xml"

"$BIN" validate "$T/vm1.xml" >"$T/out" 2>"$T/err"; rc=$?
check "validate: exit 1 (the fstab is wrong)" [ "$rc" = 1 ]
check "validate: no control byte, no C1 in the text" no_controls "$T/out"
check "validate: text is UTF-8" utf8 "$T/out"
check "validate: no forged line" sh -c "! grep -aq '^info: all boot checks passed' '$T/out'"
check "validate: one finding per line" sh -c "! grep -avEq '^(error|warning|info): ' '$T/out'"
check "validate: fstab value shown escaped" grep -aqF \
    "'/x\\x1b[2J\\x07\\u009b31m\\x9b\\ninfo: all boot checks passed' on '/'" "$T/out"
check "validate: idmapd.conf value shown escaped" grep -aqF \
    "NFSv4 domain 'evil\\x1b]0;owned\\x07.org'" "$T/out"
check "validate: nothing on stderr" [ ! -s "$T/err" ]

# --color=always: our own colour codes stay, the guest's do not get through.
"$BIN" validate --color=always "$T/vm1.xml" >"$T/col" 2>&1
check "validate --color=always: only our SGR sequences" sh -c \
    "! sed 's/\x1b\[\(1;3[123]\|0\)m//g' '$T/col' | grep -aqP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]'"

"$BIN" validate --json "$T/vm1.xml" >"$T/out.json" 2>"$T/err"; rc=$?
check "validate --json: exit 1" [ "$rc" = 1 ]
check "validate --json: jq parses it" jq_ok "$T/out.json"
check "validate --json: strict UTF-8" utf8 "$T/out.json"
check "validate --json: no control byte, no C1" no_controls "$T/out.json"
check "validate --json: C1 written as \\u009b" grep -aqF '\u001b[2J\u0007\u009b31m' "$T/out.json"
check "validate --json: the values survive" python3 - "$T/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
m = {f["code"]: f["message"] for f in d["findings"]}
fs = m["fstab-root-path-mismatch"]
assert "'/x\x1b[2J\x07\x9b31m\\x9b\ninfo: all boot checks passed'" in fs, fs
assert "'evil\x1b]0;owned\x07.org'" in m["idmap-domain-mismatch"], m
PY

# status: a record (as the hook writes it) for a domain whose name holds U+009B and ESC.
mkdir -p "$T/st/domains"
printf 'state_dir = %s/st\netab = %s/etab\n' "$T" "$T" >"$T/status.conf"
: >"$T/etab"
name=$(printf 'vm\302\2332J\033[31mred')
{
    printf 'virt-nfsroot-state 1\ndomain %s\nuuid 0f0f0f0f-0000-4000-8000-000000000001\n' "$name"
    printf 'backend kernel\nsince 1764000000\nserver 192.168.122.1\nsubnet_wide 0\n'
    printf 'export root rw %s/export/vm1 rw,async,no_root_squash,insecure,no_subtree_check 192.168.122.5/32\n' "$T"
} >"$T/st/domains/$name.state"
VIRT_NFSROOT_CONFIG=$T/status.conf "$BIN" status --connect test:///default --color=never \
    >"$T/status.out" 2>&1
check "status: no control byte, no C1" no_controls "$T/status.out"
check "status: the name shown escaped" grep -aqF 'vm\u009b2J\x1b[31mred' "$T/status.out"
VIRT_NFSROOT_CONFIG=$T/status.conf "$BIN" status --json --connect test:///default \
    >"$T/status.json" 2>"$T/err"
check "status --json: no control byte, no C1" no_controls "$T/status.json"
check "status --json: the name intact" python3 - "$T/status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["exports"][0]["domain"] == "vm\x9b2J\x1b[31mred", d["exports"]
PY
summary
