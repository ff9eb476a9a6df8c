#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Records are never trusted, and one bad record never stops the others: crafted records in the
# state dir against the built hook and CLI and the real exportfs (etab-only mode), in a private
# mount namespace. Also the bound on exportfs runs (the lock hold time) of the largest plan.
# Usage: test-records.sh HOOK CLI
set -u
HOOK=$(readlink -f "$1") CLI=$(readlink -f "$2")
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
nfsroot_isolate "$0" "$@"
nfsroot_test_driver
D=$W/state/domains

hook() { # hook NAME OP SUBOP [XML-FILE]
    "$HOOK" "$1" "$2" "$3" - <"${4:-$W/$1.xml}"
}
new_domain() { # new_domain NAME [EXPORT-ATTRIBUTES]
    mkdir -p "$W/export/$1"
    domain_xml "$1" "${2:-}" >"$W/$1.xml"
}
uuid_of() { sed -n 's|.*<uuid>\(.*\)</uuid>.*|\1|p' "$W/$1.xml"; }
no_export_of() { ! grep -q "^$W/export/$1	" /var/lib/nfs/etab; }
record() { # record NAME BODY...: a version 1 record, as the old writer wrote it
    local name=$1; shift
    { printf 'virt-nfsroot-state 1\ndomain %s\nuuid %s\nbackend kernel\nsince 1764000000\n' \
        "$name" "$(uuid_of "$name")"
      printf 'subnet_wide 0\n'; printf '%s\n' "$@"; } >"$D/$name.state"
}

# A domain exported the normal way, before any bad record exists.
new_domain good
hook good prepare begin
check "setup: good exported" etab_has "$W/export/good" 192.168.122.0/24

# (The hook logs to syslog, which these namespaces lack: what it says is checked where it also
# reaches stderr, at release and through the CLI.)
# 1. An option of 1,100 characters: the old reader cut it at 1,099 and read the rest of the
#    token as the client: 2130706433, which exportfs takes for 127.0.0.1.
new_domain spill
head="rw,no_root_squash,insecure,anonuid="
zeros=$(printf '%*s' $((1099 - ${#head})) '' | tr ' ' 0)
record spill "export root rw $W/export/spill $head${zeros}2130706433 192.168.122.7/32"
out=$(hook spill reconnect begin 2>&1); rc=$?
check "spill: reconnect exits 0 ($rc)" [ $rc = 0 ]
check "spill: nothing exported (never to 2130706433 / 127.0.0.1)" no_export_of spill
out=$(hook spill release end 2>&1); rc=$?
# shellcheck disable=SC2016 # $1.. are the inner sh's arguments, expanded there
check "spill: release reports the unreadable record (exit $rc: $out)" \
    sh -c '[ "$1" = 1 ] && printf %s "$2" | grep -q "cannot read the record"' _ "$rc" "$out"

# 2. 222 in-network clients, over 4,099 characters: the old reader cut the list at 4,099
#    characters, which left 192.168.122.0/2 (= 192.0.0.0/2) as the last client.
new_domain wide
clients=$(python3 -c '
items = ["192.168.122.%d/32" % (100 + i % 155) for i in range(214)] + ["192.168.122.10/32"]
head = ",".join(items)
assert len(head + ",192.168.122.0/2") == 4099
print(head + ",192.168.122.0/24")')
record wide "export root rw $W/export/wide rw,async,no_root_squash,insecure,no_subtree_check $clients"
hook wide reconnect begin >/dev/null 2>&1
check "wide: nothing exported (never to 192.168.122.0/2)" no_export_of wide
check "wide: no /2 client anywhere" sh -c "! grep -q '/2(' /var/lib/nfs/etab"

# 3. A record over 1 MiB and a garbled one: other domains still start, stop and are listed.
new_domain huge
{ printf 'virt-nfsroot-state 1\ndomain huge\nuuid %s\nbackend kernel\nsince 1\nsubnet_wide 0\n' \
    "$(uuid_of huge)"
  python3 -c 'print(("export extra rw /export/x " + "a" * 120000 + " 192.168.122.9/32\n") * 9, end="")'
} >"$D/huge.state"
printf 'hello\n' >"$D/garbled.state"
check "setup: huge record is over 1 MiB" [ "$(stat -c %s "$D/huge.state")" -gt 1048576 ]
new_domain good2
out=$(hook good2 prepare begin 2>&1); rc=$?
check "another domain's prepare works ($out)" [ $rc = 0 ]
check "... and is exported" etab_has "$W/export/good2" 192.168.122.0/24
out=$(hook good release end 2>&1); rc=$?
check "another domain's release works ($out)" [ $rc = 0 ]
check "... and is unexported" no_export_of good
"$CLI" status --json --connect "$URI" >"$W/status.json" 2>"$W/status.err"; rc=$?
check "status: exit 1 (unreadable records are problems)" [ $rc = 1 ]
check "status: lists good2 and reports the four unreadable records" python3 - "$W/status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert [e["domain"] for e in d["exports"]] == ["good2"], d["exports"]
bad = sorted(u["file"] for u in d["unreadable"])
assert bad == ["garbled.state", "huge.state", "spill.state", "wide.state"], bad
assert all("cannot read the record" in u["error"] for u in d["unreadable"]), d["unreadable"]
assert all(u["file"] in u["error"] and "(null)" not in u["error"] for u in d["unreadable"]), \
    d["unreadable"]
assert d["problems"] >= 4, d
PY
"$CLI" status --connect "$URI" --color=never >"$W/status.txt" 2>&1
check "status text: one 'unreadable' line per record" \
    [ "$(grep -c '^unreadable .*cannot read the record' "$W/status.txt")" = 4 ]
"$CLI" reconcile --boot --json >"$W/rec.json" 2>"$W/rec.err"; rc=$?
check "reconcile: runs and reports them (exit $rc)" python3 - "$W/rec.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
acts = [a for a in d["actions"] if a["action"] == "unreadable"]
assert len(acts) == 4, d
assert any(a["action"] == "remove" and a["domain"] == "good2" for a in d["actions"]), d
PY
rm -f "$D/huge.state" "$D/garbled.state" "$D/spill.state" "$D/wide.state"

# 4. A well-formed record that fails prepare's checks: reconnect and reconcile --apply put back
#    only what passes them. "test" runs in the test driver, so reconcile wants to restore it.
mkdir -p "$W/export/test" "$W/export/test2"
ln -s /etc "$W/export/test-link"
domain_xml test >"$W/test.xml"
sed -i "s|<uuid>.*</uuid>|<uuid>$TEST_UUID</uuid>|" "$W/test.xml"
craft_test() {
    record test \
        "export root rw $W/export/test rw,async,no_root_squash,insecure,no_subtree_check 0.0.0.0/0" \
        "export extra rw $W/export/test2 rw,fsid=0,no_subtree_check 192.168.122.5/32" \
        "export extra rw $W/export/test-link rw,no_subtree_check 192.168.122.5/32" \
        "export extra ro /etc ro,no_subtree_check 192.168.122.5/32"
}
craft_test
out=$(hook test reconnect begin 2>&1); rc=$?
check "tampered: reconnect exits 0" [ $rc = 0 ]
check "tampered: nothing of it exported" sh -c "! grep -qE '^($W/export/test|/etc)' /var/lib/nfs/etab"
craft_test
"$CLI" reconcile --apply --json --connect "$URI" >"$W/apply.json" 2>"$W/apply.err"; rc=$?
check "tampered: reconcile --apply fails (exit $rc)" [ $rc = 1 ]
check "tampered: reconcile --apply exported none of it" \
    sh -c "! grep -qE '^($W/export/test|/etc)' /var/lib/nfs/etab"
check "tampered: reconcile logs each refusal ($(cat "$W/apply.err"))" \
    [ "$(grep -c 'its recorded export is not restored' "$W/apply.err")" = 4 ]
check "tampered: reconcile says why" python3 - "$W/apply.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a = [a for a in d["actions"] if a["domain"] == "test"][0]
assert a["action"] == "restore" and a["done"] is False, a
assert "every address" in a["error"], a
PY
# A record that passes keeps working: the valid part of a mixed record is restored.
record test "export root rw $W/export/test rw,async,no_root_squash,insecure,no_subtree_check 192.168.122.5/32" \
    "export extra rw $W/export/test2 rw,fsid=0,no_subtree_check 192.168.122.5/32"
hook test reconnect begin >/dev/null 2>&1
check "mixed: the valid export is restored" etab_has "$W/export/test" 192.168.122.5/32
check "mixed: the invalid one is not" sh -c "! grep -q '^$W/export/test2	' /var/lib/nfs/etab"
hook test release end >/dev/null 2>&1
hook good2 release end >/dev/null 2>&1

# 4b. Two domains share a read-only export; one's record is tampered with. When the other stops,
#     the tampered one's exports.d file is rewritten (it may take over the shared entry): from
#     the checked part of its record only, since `exportfs -ra` reads that file.
mkdir -p "$W/export/shared" "$W/export/wideopen"
for d in sharea shareb; do
    # The subnet, not one address: two running domains may not claim the same /32.
    new_domain $d "path=\"$W/export/shared\" readonly=\"yes\" clients=\"192.168.122.0/24\""
    hook $d prepare begin || fail "setup: $d prepare"
done
bad_line="export extra rw $W/export/wideopen rw,no_subtree_check 0.0.0.0/0"
if grep -q '^end$' "$D/shareb.state"; then
    sed -i "s|^end\$|$bad_line\nend|" "$D/shareb.state"
else
    echo "$bad_line" >>"$D/shareb.state"
fi
hook sharea release end >/dev/null 2>&1
fb=/etc/exports.d/virt-nfsroot-$(uuid_of shareb).exports
check "sharer: its file still holds the shared entry" grep -q "^$W/export/shared " "$fb"
check "sharer: the tampered entry is not written to exports.d" \
    sh -c "! grep -q 'wideopen\|0.0.0.0/0' '$fb'"
exportfs -ra 2>/dev/null
check "sharer: exportfs -ra exports nothing to 0.0.0.0/0" \
    sh -c "! grep -q '0.0.0.0/0(' /var/lib/nfs/etab"
hook shareb release end >/dev/null 2>&1

# 4c. The longest options the limits let through still make an exports.d token exportfs parses
#     (it refuses tokens over 512 characters, and with them the whole file's exports).
z=$(printf '%055d' 0)
new_domain longopts "clients=\"192.168.122.100\" options=\"anonuid=${z}1,anongid=${z}1,no_wdelay,sec=sys\""
out=$(hook longopts prepare begin 2>&1); rc=$?
check "longest options: prepare works ($out)" [ $rc = 0 ]
tok=$(awk -v p="$W/export/longopts" '$1 == p { print length($2) }' /etc/exports.d/virt-nfsroot-*.exports)
check "longest options: a token of ${tok:-?} characters, far below 512" [ "${tok:-999}" -lt 260 ]
exportfs -ra 2>/dev/null
check "longest options: exportfs -ra keeps it" etab_has "$W/export/longopts" 192.168.122.100/32
hook longopts release end >/dev/null 2>&1

# 5. The lock hold time: the largest plan (2 exports x 16 clients = 32 pairs) is one exportfs
#    run per pair; one pair more is refused before anything runs.
cat >"$W/exportfs" <<SH
#!/bin/sh
echo run >>"$W/exportfs.runs"
exec /usr/sbin/exportfs "\$@"
SH
chmod +x "$W/exportfs"
printf 'exportfs = %s\n' "$W/exportfs" >>"$VIRT_NFSROOT_CONFIG"
c16=$(seq -s, -f '192.168.122.%g' 10 25)
mkdir -p "$W/export/big" "$W/export/big2" "$W/export/big3"
cat >"$W/big.xml" <<XML
$(domain_xml big "clients=\"$c16\"" | sed "s|<nfsroot:export clients|<nfsroot:export path=\"$W/export/big2\" role=\"extra\" clients=\"$c16\"/>\n      <nfsroot:export path=\"$W/export/big\" role=\"root\" clients|")
XML
start=$(date +%s%N)
out=$(hook big prepare begin "$W/big.xml" 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "largest plan: prepare works ($out)" [ $rc = 0 ]
check "largest plan: 32 exportfs runs ($(wc -l <"$W/exportfs.runs"))" \
    [ "$(wc -l <"$W/exportfs.runs")" = 32 ]
check "largest plan: applied in under 5 s (${ms} ms)" [ "$ms" -lt 5000 ]
echo "largest plan: 32 exportfs runs in $ms ms"
hook big release end "$W/big.xml" >/dev/null 2>&1
: >"$W/exportfs.runs"
sed "s|role=\"root\" clients=\"$c16\"|role=\"root\" clients=\"$c16\"/>\n      <nfsroot:export path=\"$W/export/big3\" role=\"extra\" clients=\"192.168.122.5\"|" \
    "$W/big.xml" >"$W/big33.xml"
out=$(hook big prepare begin "$W/big33.xml" 2>&1); rc=$?
# shellcheck disable=SC2016 # $1.. are the inner sh's arguments, expanded there
check "33 pairs: refused ($out)" \
    sh -c '[ "$1" = 1 ] && printf %s "$2" | grep -q "33 (path, client) pairs; a domain may have at most 32"' \
    _ "$rc" "$out"
check "33 pairs: no exportfs run" [ ! -s "$W/exportfs.runs" ]
finish
