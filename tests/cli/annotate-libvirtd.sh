#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# annotate (and validate --domain, status) against a real libvirtd started by
# tests/libvirt/harness.sh in private mount + network namespaces: after annotate,
# `virsh dumpxml` shows our element and the rest of the domain unchanged; --pin-address adds
# the DHCP host to the live and persistent network; refusals change nothing; --remove.
# Usage: annotate-libvirtd.sh CLI
set -u
BIN=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../libvirt/harness.sh
. "$HERE/../libvirt/harness.sh"
lv_cli_test "$0" "$@"
# The default policy (/export, the live network in /run/libvirt) but for what annotate records
# as made (owned_dir), kept in the sandbox.
printf 'owned_dir = %s/owned\n' "$LV_WORK" >"$LV_WORK/policy.conf"
export VIRT_NFSROOT_CONFIG=$LV_WORK/policy.conf

VM=annot$$
MAC=52:54:00:aa:00:01
# shellcheck disable=SC2174 # only the two leaves need 0755: /export is the harness's, already 0755
mkdir -p -m 0755 "/export/$VM" /export/shared
lv_domain_xml "$VM" "$MAC" "" >"$LV_WORK/$VM.xml"
t0=$(lv_now)
lv_virsh define "$LV_WORK/$VM.xml" >/dev/null || { fail "virsh define"; exit 1; }
lv_log "virsh define took $(lv_elapsed "$t0") s"
lv_virsh dumpxml --inactive "$VM" >"$LV_WORK/before.xml"

# Everything but our element, canonicalised, for "the rest is unchanged".
cat >"$LV_WORK/rest.py" <<'PY'
import sys, xml.etree.ElementTree as ET
NS = "{http://virt-nfsroot.org/xmlns/domain/1.0}"
root = ET.parse(sys.argv[1]).getroot()
md = root.find("metadata")
if md is not None:
    for el in list(md):
        if el.tag.startswith(NS):
            md.remove(el)
    if len(md) == 0:
        root.remove(md)
print(ET.canonicalize(ET.tostring(root), strip_text=True))
PY
rest() { python3 "$LV_WORK/rest.py" "$1"; }

"$BIN" annotate "$VM" --pin-address --json >"$LV_WORK/a1.json" 2>"$LV_WORK/a1.err"
check "annotate --pin-address: exit 0" [ $? = 0 ]
lv_virsh dumpxml --inactive "$VM" >"$LV_WORK/after.xml"
check "dumpxml shows our element" \
    grep -q '<nfsroot:nfsroot xmlns:nfsroot="http://virt-nfsroot.org/xmlns/domain/1.0">' \
    "$LV_WORK/after.xml"
check "dumpxml: the root export" grep -q '<nfsroot:export/>' "$LV_WORK/after.xml"
check "dumpxml: the rest unchanged" [ "$(rest "$LV_WORK/before.xml")" = "$(rest "$LV_WORK/after.xml")" ]
ip=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pin"]["ip"])' "$LV_WORK/a1.json")
check "pinned address in the network's subnet" [ "${ip%.*}" = 192.168.122 ]
check "pin in the persistent network" \
    sh -c "virsh -q -c $LV_URI net-dumpxml --inactive default | grep -q \"mac='$MAC'.*ip='$ip'\""
check "pin in the live network (what the hook reads)" \
    grep -q "mac='$MAC'.*ip='$ip'" /run/libvirt/network/default.xml
check "the plan exports to the pinned guest only" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["exports"][0]["clients"] == [sys.argv[2] + "/32"], d["exports"]' "$LV_WORK/a1.json" "$ip"

"$BIN" validate --domain "$VM" >"$LV_WORK/v.out" 2>&1
check "validate --domain: the plan to the pinned address" \
    grep -q "^info: domain '$VM': at start the host exports '/export/$VM $ip/32(" "$LV_WORK/v.out"

"$BIN" annotate "$VM" --pin-address >"$LV_WORK/a2.out" 2>&1
check "second --pin-address: exit 0, already pinned" grep -q "pinned (already) $ip" "$LV_WORK/a2.out"

"$BIN" annotate "$VM" --readonly-export /export/shared >/dev/null 2>"$LV_WORK/a3.err"
check "annotate --readonly-export: exit 0" [ $? = 0 ]
check "virsh metadata shows both exports" sh -c "virsh -q -c $LV_URI metadata $VM \
    --uri http://virt-nfsroot.org/xmlns/domain/1.0 | grep -q 'path=\"/export/shared\" readonly=\"yes\"'"

lv_virsh dumpxml --inactive "$VM" >"$LV_WORK/before-refuse.xml"
"$BIN" annotate "$VM" --path /etc >/dev/null 2>"$LV_WORK/a4.err"
check "refused path: exit 1" [ $? = 1 ]
check "refused path: the hook's sentence" grep -q "escapes the allowed roots" "$LV_WORK/a4.err"
lv_virsh dumpxml --inactive "$VM" >"$LV_WORK/after-refuse.xml"
check "refused path: domain unchanged" cmp -s "$LV_WORK/before-refuse.xml" "$LV_WORK/after-refuse.xml"

"$BIN" annotate "$VM" --remove >/dev/null 2>"$LV_WORK/a5.err"
check "--remove: exit 0" [ $? = 0 ]
lv_virsh dumpxml --inactive "$VM" >"$LV_WORK/removed.xml"
check "--remove: element gone" sh -c "! grep -q 'nfsroot:nfsroot' '$LV_WORK/removed.xml'"
check "--remove: the rest unchanged" [ "$(rest "$LV_WORK/before.xml")" = "$(rest "$LV_WORK/removed.xml")" ]

# status asks the real libvirtd: a record for the (defined, shut off) domain is stale.
uuid=$(lv_virsh domuuid "$VM" | tr -d '[:space:]')
mkdir -p /run/virt-nfsroot/domains
printf 'virt-nfsroot-state 1\ndomain %s\nuuid %s\nbackend kernel\nsince 1764000000\nsubnet_wide 0\nexport root rw /export/%s rw,async %s/32\n' \
    "$VM" "$uuid" "$VM" "$ip" >"/run/virt-nfsroot/domains/$VM.state"
"$BIN" status --json >"$LV_WORK/status.json" 2>"$LV_WORK/status.err"
check "status: exit 1 (a stale record)" [ $? = 1 ]
check "status: libvirtd says the domain is shut off" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["libvirt"]["reachable"] is True, d
[e] = d["exports"]
assert e["running"] is False and e["state"] == "stale" and e["note"] == "domain is shut off", e
' "$LV_WORK/status.json"
rm -f "/run/virt-nfsroot/domains/$VM.state"
lv_virsh undefine "$VM" >/dev/null
finish
