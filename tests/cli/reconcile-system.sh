#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# reconcile with the real hook and the real exportfs (etab-only mode) in a private mount
# namespace (tests/system/lib.sh); "which domains run" comes from libvirt's test driver,
# where a domain "test" runs and nothing else exists.
# Usage: reconcile-system.sh CLI HOOK
set -u
BIN=$(readlink -f "$1") HOOK=$(readlink -f "$2")
# shellcheck source=../system/lib.sh
. "$(dirname "$0")/../system/lib.sh"
nfsroot_isolate "$0" "$@"
nfsroot_test_driver
mkdir -p "$W/export/test" "$W/export/gone" "$W/export/orphan"

start() { # NAME [UUID]: run the hook's prepare as libvirt would
    local xml
    xml=$(domain_xml "$1")
    [ -n "${2:-}" ] && xml=${xml/<uuid>*<\/uuid>/<uuid>$2<\/uuid>}
    "$HOOK" "$1" prepare begin - <<<"$xml"
}
start test "$TEST_UUID" || fail "hook prepare test"
start gone || fail "hook prepare gone"
test_client=$(awk -v p="$W/export/test" '$1 == p { sub(/\(.*/, "", $2); print $2 }' /var/lib/nfs/etab)
check "setup: test exported" etab_has "$W/export/test" "$test_client"
check "setup: gone exported" grep -q "^$W/export/gone	" /var/lib/nfs/etab

# The server loses test's export; a file of ours is left with no record (as after a reboot).
exportfs -u "$test_client:$W/export/test"
ORPHAN_UUID=0f0f0f0f-0000-4000-8000-00000000abcd
printf '# virt-nfsroot uuid=%s role=root\n%s 192.168.122.77/32(rw,no_subtree_check)\n' \
    "$ORPHAN_UUID" "$W/export/orphan" >"/etc/exports.d/virt-nfsroot-$ORPHAN_UUID.exports"
exportfs -o rw,no_subtree_check "192.168.122.77/32:$W/export/orphan"
check "setup: orphan exported" etab_has "$W/export/orphan" 192.168.122.77/32

# Dry run: says all three, changes nothing, exit 1 (changes pending).
before=$(snapshot)
"$BIN" reconcile --json --connect "$URI" >"$W/dry.json" 2>"$W/err"; rc=$?
check "dry run: exit 1" [ "$rc" = 1 ]
check "dry run: host unchanged" [ "$before" = "$(snapshot)" ]
check "dry run: actions" python3 - "$W/dry.json" "$ORPHAN_UUID" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
acts = {(a["domain"] or a["uuid"]): a for a in d["actions"]}
assert d["apply"] is False and d["changes"] == 3, d
assert acts["gone"]["action"] == "remove" and acts["gone"]["done"] is None, acts
assert acts["test"]["action"] == "restore", acts
assert acts[sys.argv[2]]["action"] == "remove-orphan", acts
PY
"$BIN" reconcile --connect "$URI" --color=never >"$W/dry.txt" 2>&1
check "dry run text: one line per action" [ "$(grep -cE '^(remove|restore|remove-orphan) ' "$W/dry.txt")" = 3 ]

# --apply: gone's export and record go, test's export comes back, the orphan goes.
"$BIN" reconcile --apply --json --connect "$URI" >"$W/apply.json" 2>"$W/err"; rc=$?
check "apply: exit 0" [ "$rc" = 0 ]
check "apply: every action done" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert all(a["done"] is True for a in d["actions"]), d' "$W/apply.json"
check "apply: test restored" etab_has "$W/export/test" "$test_client"
check "apply: gone unexported" sh -c "! grep -q '^$W/export/gone	' /var/lib/nfs/etab"
check "apply: gone's record removed" [ ! -e "$W/state/domains/gone.state" ]
check "apply: orphan unexported" sh -c "! grep -q '^$W/export/orphan	' /var/lib/nfs/etab"
check "apply: orphan file removed" [ ! -e "/etc/exports.d/virt-nfsroot-$ORPHAN_UUID.exports" ]
check "apply: exportfs -ra still parses everything" exportfs -ra

# In step now.
"$BIN" reconcile --connect "$URI" >"$W/out" 2>&1; rc=$?
check "in step: exit 0" [ "$rc" = 0 ]
check "in step: says so" grep -q "^In step" "$W/out"

# An orphan file through the library: its IPv6 entry goes, the entry it shares with test (which
# has a record and runs) stays, and a file whose name holds no UUID is not ours to touch.
ORPHAN2=0f0f0f0f-0000-4000-8000-00000000abce
NOT_OURS=/etc/exports.d/virt-nfsroot-not-a-uuid-but-it-is-thirty-six-long.exports
{
    echo "# Managed by virt-nfsroot for libvirt domain 'old' (uuid $ORPHAN2)."
    echo "# virt-nfsroot uuid=$ORPHAN2 role=root"
    echo "$W/export/orphan fd00::77/128(rw,no_subtree_check)"
    echo "# virt-nfsroot uuid=$ORPHAN2 role=extra"
    echo "$W/export/test $test_client(rw,no_subtree_check)"
} >"/etc/exports.d/virt-nfsroot-$ORPHAN2.exports"
printf '%s 192.168.122.79/32(rw,no_subtree_check)\n' "$W/export/orphan" >"$NOT_OURS"
exportfs -o rw,no_subtree_check "[fd00::77/128]:$W/export/orphan"
check "setup: IPv6 orphan exported" etab_has "$W/export/orphan" fd00::77/128
"$BIN" reconcile --apply --json --connect "$URI" >"$W/orphan.json" 2>"$W/err"; rc=$?
check "orphan: exit 0" [ "$rc" = 0 ]
check "orphan: one remove-orphan, done" python3 - "$W/orphan.json" "$ORPHAN2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o = [a for a in d["actions"] if a["action"] == "remove-orphan"]
assert len(o) == 1 and o[0]["uuid"] == sys.argv[2] and o[0]["done"] is True, d
assert o[0]["detail"].endswith("/virt-nfsroot-%s.exports" % sys.argv[2]), o
PY
check "orphan: file removed" [ ! -e "/etc/exports.d/virt-nfsroot-$ORPHAN2.exports" ]
check "orphan: IPv6 entry unexported" sh -c "! grep -q '^$W/export/orphan	fd00::77/128(' /var/lib/nfs/etab"
check "orphan: entry a record holds kept" etab_has "$W/export/test" "$test_client"
check "orphan: a file not named by a UUID left alone" [ -e "$NOT_OURS" ]
rm -f "$NOT_OURS"

# --boot: no libvirt, no domain runs: everything of ours goes.
"$BIN" reconcile --boot --apply --connect "qemu+unix:///system?socket=$W/none" >"$W/out" 2>&1; rc=$?
check "boot: exit 0" [ "$rc" = 0 ]
check "boot: test unexported" sh -c "! grep -q '^$W/export/test	' /var/lib/nfs/etab"
check "boot: no file of ours left" sh -c "! ls /etc/exports.d/virt-nfsroot-* 2>/dev/null | grep -q ."

# The orphan listing waits for the state lock as the library does (bounded), not for ever.
if strings "$(dirname "$HOOK")/../lib/libvirt-nfsroot.so.0" 2>/dev/null |
    grep -q NFSROOT_TEST_LOCK_TIMEOUT_MS; then
    exec 9>"$W/state/lock"
    flock 9
    NFSROOT_TEST_LOCK_TIMEOUT_MS=1000 timeout 20 "$BIN" reconcile --boot --apply \
        >"$W/out" 2>&1 9>&-; rc=$?
    exec 9>&-
    check "lock held: exit 1, not hung" [ "$rc" = 1 ]
    check "lock held: the library's timeout message" \
        grep -q "another virt-nfsroot operation has held '$W/state/lock' for 1 s" "$W/out"
else
    echo "SKIP (lock timeout case): build with -DENABLE_TESTING_HOOKS=ON"
fi

# Without --boot, an unreachable libvirt is an error (never act blind).
"$BIN" reconcile --connect "qemu+unix:///system?socket=$W/none" >"$W/out" 2>&1; rc=$?
check "libvirt unreachable: exit 1" [ "$rc" = 1 ]
check "libvirt unreachable: suggests --boot" grep -q "use --boot" "$W/out"
finish
