#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# annotate against libvirt's in-process test driver (test:///default: a running, persistent
# domain "test" with a NIC on network "default"); no daemon, no root. Each run of the binary
# gets a fresh driver, so every check reads what the same run wrote back (--json "metadata").
# The real-libvirtd test is annotate-libvirtd.sh.
set -u
BIN=$1
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
virsh -c test:///default list >/dev/null 2>&1 || { echo "SKIP: libvirt test driver unusable"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/annotate.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/export/test" "$T/export/shared" "$T/net" "$T/state"
# shellcheck source=../lib/sandbox.sh
. "$(dirname "$0")/../lib/sandbox.sh"
sandbox_network "$T/net"
sandbox_policy "$T"
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
A() { "$BIN" annotate test --connect test:///default "$@"; }

A --json --readonly-export "$T/export/shared" >"$T/set.json" 2>"$T/err"; rc=$?
check "set: exit 0" [ "$rc" = 0 ]
check "set: metadata read back from libvirt, plan as the hook will build it" \
    python3 - "$T/set.json" "$T" <<'PY'
import json, sys, xml.etree.ElementTree as ET
d = json.load(open(sys.argv[1])); t = sys.argv[2]
assert d["action"] == "set" and d["affected"] == ["config", "live"], d
m = ET.fromstring(d["metadata"])          # libvirt hands it back without prefix
assert m.tag == "nfsroot", m.tag
ex = m.findall("export")
assert len(ex) == 2 and "path" not in ex[0].attrib, d["metadata"]
assert ex[1].get("path") == t + "/export/shared" and ex[1].get("readonly") == "yes", d["metadata"]
paths = [e["path"] for e in d["exports"]]
assert paths == [t + "/export/test", t + "/export/shared"], paths
assert d["exports"][0]["clients"] == ["192.168.122.0/24"], d["exports"]
assert d["exports"][1]["options"].startswith("ro"), d["exports"]
PY

A --json --pin-address >"$T/pin.json" 2>"$T/err"; rc=$?
check "pin: exit 0" [ "$rc" = 0 ]
check "pin: next free address for the domain's MAC" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = d["pin"]
assert p == {"network": "default", "mac": "aa:bb:cc:dd:ee:ff", "ip": "192.168.122.2",
             "added": True}, p' "$T/pin.json"
A --pin-address 192.168.122.40 --dry-run >"$T/out" 2>&1; rc=$?
check "pin IP (separate argument): exit 0" [ "$rc" = 0 ]
check "pin IP: the address given" grep -q "would pin 192.168.122.40 to MAC aa:bb:cc:dd:ee:ff" "$T/out"
A --pin-address=10.9.9.9 >"$T/out" 2>&1; rc=$?
check "pin outside the network: exit 1" [ "$rc" = 1 ]
check "pin outside the network: says why" grep -q "'10.9.9.9' is not an IPv4 address in network 'default' (192.168.122.0/24)" "$T/out"
A --pin-address=192.168.122.1 >"$T/out" 2>&1; rc=$?
check "pin the host's address: exit 1" [ "$rc" = 1 ]

# What the policy refuses is not written.
A --path /etc >"$T/out" 2>&1; rc=$?
check "escape: exit 1" [ "$rc" = 1 ]
check "escape: the hook's sentence" grep -q "^virt-nfsroot: domain 'test': export path '/etc' escapes the allowed roots" "$T/out"
A --clients 0.0.0.0/0 >"$T/out" 2>&1; rc=$?
check "world clients: exit 1" [ "$rc" = 1 ]
A --options rw,crossmnt >"$T/out" 2>&1; rc=$?
check "forbidden option: exit 1" [ "$rc" = 1 ]
A --clients 0.0.0.0/0 --force --json >"$T/force.json" 2>"$T/err"; rc=$?
check "--force writes anyway, with a warning" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert any("--force" in w for w in d["warnings"]), d
assert "0.0.0.0/0" in d["metadata"], d' "$T/force.json"
# A directory that does not exist yet is a warning: the admin may create it before the start.
A --path "$T/export/later" >"$T/out" 2>&1; rc=$?
check "missing directory: exit 0" [ "$rc" = 0 ]
check "missing directory: warned" grep -q "^virt-nfsroot: warning: .*does not exist" "$T/out"

A --remove --json >"$T/rm.json" 2>"$T/err"; rc=$?
check "remove: exit 0, config only" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["action"] == "remove" and d["affected"] == ["config"], d' "$T/rm.json"
A --remove --path /x >/dev/null 2>&1; rc=$?
check "remove with export options: exit 2" [ "$rc" = 2 ]
"$BIN" annotate nosuchdomain --connect test:///default >"$T/out" 2>&1; rc=$?
check "unknown domain: exit 1" [ "$rc" = 1 ]
check "unknown domain: says so" grep -q "domain 'nosuchdomain': no such domain" "$T/out"
"$BIN" annotate >/dev/null 2>&1; rc=$?
check "no domain: exit 2" [ "$rc" = 2 ]
summary
