#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# doctor on a fixture host: tests/data/doctor/<case>/{root/,expected,exit[,modes,owners,outside/,forbid]}.
# Copies root/ to a temp dir (git keeps only the x bit, and the hook's ctime must be "now"),
# runs the real binary with --root, parses --json with python3 and compares each check's
# status with `expected`, the exit status with `exit`, and checks the text output agrees.
#   owners   "OWNER PATH" lines: chown after copying (needs root, else the case is skipped)
#   outside/ copied beside root/: files a symlink in root/ may point at, outside the fixture host
#   forbid   strings (one a line) that must appear nowhere in doctor's output
set -u
BIN=$1 CASE=$2
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/doctor-case.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cp -R "$CASE/root" "$T/root"
[ -d "$CASE/outside" ] && cp -R "$CASE/outside" "$T/outside"
chmod -R go-w "$T/root"
if [ -f "$CASE/owners" ]; then
    [ "$(id -u)" = 0 ] || { echo "SKIP: the case changes owners (needs root)"; exit 77; }
    grep -v '^#' "$CASE/owners" | while read -r owner path; do
        [ -n "$owner" ] && chown -h "$owner" "$T/root/$path"
    done
fi
if [ -f "$CASE/modes" ]; then
    grep -v '^#' "$CASE/modes" | while read -r mode path; do
        [ -n "$mode" ] && chmod "$mode" "$T/root/$path"
    done
fi
unset VIRT_NFSROOT_CONFIG NO_COLOR
want_rc=$(cat "$CASE/exit")

"$BIN" doctor --root "$T/root" --json >"$T/out.json" 2>"$T/err"
rc=$?
"$BIN" doctor --root "$T/root" --color=never >"$T/out.txt" 2>>"$T/err"
rc_text=$?
fail=0
if [ "$rc" != "$want_rc" ] || [ "$rc_text" != "$want_rc" ]; then
    echo "FAIL: exit status $rc (json) / $rc_text (text), expected $want_rc"
    fail=1
fi
python3 - "$T/out.json" "$CASE/expected" "$T/out.txt" <<'PY' || fail=1
import json, sys
doc = json.load(open(sys.argv[1]))
want = dict(l.split() for l in open(sys.argv[2]) if l.strip() and not l.startswith('#'))
text = open(sys.argv[3]).read()
got = {c["id"]: c for c in doc["checks"]}
bad = 0
for cid, st in want.items():
    c = got.get(cid)
    if c is None:
        print(f"FAIL: check {cid} missing"); bad = 1; continue
    if c["status"] != st:
        print(f"FAIL: {cid}: {c['status']} ({c['summary']}), expected {st}"); bad = 1
    if c["status"] in ("warn", "fail") and not c["fix"]:
        print(f"FAIL: {cid}: {c['status']} without a fix"); bad = 1
    if f"{c['status'].upper()}  {cid}" not in text.replace("  " * 8, "  "):
        # the text column is padded: check the label and the id on one line
        if not any(l.startswith(c["status"].upper()) and f" {cid} " in l + " " for l in text.splitlines()):
            print(f"FAIL: {cid}: not in the text output as {c['status'].upper()}"); bad = 1
for cid in got:
    if cid not in want:
        print(f"FAIL: unexpected check {cid}"); bad = 1
counts = doc["counts"]
if sum(counts.values()) != len(doc["checks"]) or doc["ok"] != (counts["fail"] == 0):
    print("FAIL: counts/ok inconsistent"); bad = 1
sys.exit(bad)
PY
if [ -f "$CASE/forbid" ]; then
    while read -r secret; do
        [ -n "$secret" ] || continue
        if grep -qF -- "$secret" "$T/out.json" "$T/out.txt" "$T/err"; then
            echo "FAIL: the output shows '$secret', which lies outside the --root"
            fail=1
        fi
    done < "$CASE/forbid"
fi
if [ "$fail" != 0 ]; then
    echo "--- text output"; cat "$T/out.txt"; echo "--- stderr"; cat "$T/err"
    exit 1
fi
echo "PASS: doctor on $(basename "$CASE"): $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"])' "$T/out.json")"
