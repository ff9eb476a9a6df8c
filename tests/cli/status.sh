#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# status on a fixture state dir: the real binary, a policy whose state_dir and etab live in a
# temp dir, libvirt's in-process test driver (test:///default runs a domain named "test").
set -u
BIN=$1
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/status.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/state/domains"
cat >"$T/policy.conf" <<EOP
state_dir = $T/state
etab = $T/etab
EOP
export VIRT_NFSROOT_CONFIG=$T/policy.conf
unset NO_COLOR
OPTS=rw,async,no_root_squash,insecure,no_subtree_check
record() { # NAME UUID EXPORT-LINES...
    local name=$1 uuid=$2
    shift 2
    {
        printf 'virt-nfsroot-state 1\ndomain %s\nuuid %s\nbackend kernel\nsince 1764000000\n' \
            "$name" "$uuid"
        printf 'server 192.168.122.1\nsubnet_wide 0\n'
        printf 'export %s\n' "$@"
    } >"$T/state/domains/$name.state"
}
fail=0
check() { # NAME COMMAND...
    local name=$1
    shift
    if "$@"; then echo "PASS: $name"; else echo "FAIL: $name"; fail=1; fi
}

# Nothing recorded: a clean report, exit 0.
: >"$T/etab"
out=$("$BIN" status --connect test:///default 2>&1); rc=$?
check "empty state: exit 0" [ "$rc" = 0 ]
check "empty state: says so" grep -q "No managed exports" <<<"$out"

# "test" runs and the server has its root export: ok.
record test 6695eb01-f6a4-8304-79aa-97f2502e193f \
    "root rw $T/export/test $OPTS 192.168.122.5/32"
printf '%s\t192.168.122.5/32(%s)\n' "$T/export/test" "$OPTS" >"$T/etab"
"$BIN" status --json --connect test:///default >"$T/ok.json" 2>"$T/err"; rc=$?
check "all ok: exit 0" [ "$rc" = 0 ]
check "all ok: json" python3 - "$T/ok.json" "$T" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = sys.argv[2]
assert d["libvirt"]["reachable"] is True, d
assert d["problems"] == 0, d
[e] = d["exports"]
assert e["domain"] == "test" and e["path"] == t + "/export/test", e
assert e["clients"] == ["192.168.122.5/32"] and e["running"] is True, e
assert e["served"] == {"192.168.122.5/32": True} and e["state"] == "ok", e
assert e["backend"] == "kernel" and e["since"] == 1764000000, e
assert e["since_utc"] == "2025-11-24T16:00:00Z" and e["role"] == "root", e
PY

# An extra export the server lost (missing) and a domain libvirt does not know (stale).
record test 6695eb01-f6a4-8304-79aa-97f2502e193f \
    "root rw $T/export/test $OPTS 192.168.122.5/32" \
    "extra ro $T/export/shared ro,sync 192.168.122.5/32,192.168.122.6/32"
record gone 0f0f0f0f-0000-4000-8000-000000000001 "root rw $T/export/gone $OPTS 192.168.122.9/32"
printf '%s\t192.168.122.6/32(ro,sync)\n' "$T/export/shared" >>"$T/etab"
"$BIN" status --json --connect test:///default >"$T/bad.json" 2>"$T/err"; rc=$?
check "problems: exit 1" [ "$rc" = 1 ]
check "problems: json" python3 - "$T/bad.json" "$T" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = sys.argv[2]
by = {(e["domain"], e["path"]): e for e in d["exports"]}
assert len(by) == 3 and d["problems"] == 2, d
s = by[("test", t + "/export/shared")]
assert s["state"] == "missing" and s["readonly"] is True, s
assert s["served"] == {"192.168.122.5/32": False, "192.168.122.6/32": True}, s
g = by[("gone", t + "/export/gone")]
assert g["state"] == "stale" and g["running"] is False and "not defined" in g["note"], g
assert by[("test", t + "/export/test")]["state"] == "ok"
PY
out=$("$BIN" status --connect test:///default --color=never 2>&1)
check "problems: text table flags them" grep -Eq "gone +$T/export/gone .* stale" <<<"$out"
check "problems: text table says missing" grep -Eq "export/shared .* 1/2 +missing" <<<"$out"

# libvirt unreachable: RUNNING unknown, a warning, never a failure by itself.
rm "$T/state/domains/gone.state"
record test 6695eb01-f6a4-8304-79aa-97f2502e193f "root rw $T/export/test $OPTS 192.168.122.5/32"
"$BIN" status --json --connect "qemu+unix:///system?socket=$T/no-such-socket" \
    >"$T/unk.json" 2>"$T/err"; rc=$?
check "unreachable libvirt: exit 0" [ "$rc" = 0 ]
check "unreachable libvirt: warned on stderr" grep -q "virt-nfsroot: warning: cannot reach libvirt" "$T/err"
check "unreachable libvirt: running is null" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["libvirt"]["reachable"] is False and d["libvirt"]["error"], d
assert d["exports"][0]["running"] is None and d["exports"][0]["state"] == "ok", d' "$T/unk.json"

# A broken policy is a clear error and exit 1; a bad option is exit 2.
printf 'bogus = 1\n' >"$T/bad.conf"
out=$(VIRT_NFSROOT_CONFIG=$T/bad.conf "$BIN" status 2>&1); rc=$?
check "bad policy: exit 1" [ "$rc" = 1 ]
check "bad policy: one line naming the key" grep -q "^virt-nfsroot: .*unknown key 'bogus'" <<<"$out"
"$BIN" status --bogus >/dev/null 2>&1; rc=$?
check "bad option: exit 2" [ "$rc" = 2 ]
exit $fail
