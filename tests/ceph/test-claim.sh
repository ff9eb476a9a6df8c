#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The claim of a running domain's read-write root, cluster-wide in RADOS (tests/lib/ceph.sh):
# hosts A and B (two policies, two state dirs, ceph_node_id nodeA / nodeB, one machine id, so
# the claims on the shared export root's registry take them for one host and only the RADOS
# claim tells them apart), each with its ganesha node. Host B's prepare of a root A runs is
# refused, naming domain, path and host, and changes nothing. A live migration A -> B: migrate
# begin on B checks the export and the claim, B's prepare takes the claim over, A's release
# (migrated) keeps the export the guest still uses, B's release removes export, url line and
# claim. A migration that fails after B's prepare gives the claim back to A. A dead host's
# claim: void once its ganesha node is out of the grace database. A claim the reader refuses
# refuses the prepare.
# status shows what the cluster holds of each export (object, url line, claim) and where it
# disagrees with the record; validate what a start needs of it (cluster, namespace, claim).
# doctor's ceph-watch: every node of the grace database watches conf-nfs.vnr (a node stopped,
# or started without watch_url, fails it).
# Orphans: `reconcile` lists and removes an export object of ours (our xattrs, id from 1000 up)
# that the url list does not name and no record owns, and never the mgr module's, one below
# 1000, or a listed one another host runs.
# Usage: test-claim.sh HOOK CLI   (root; exit 77 = skipped, with the reason). KEEP=1 keeps W.
set -u
HOOK=$(readlink -f "$1")
CLI=$(readlink -f "$2")
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
# shellcheck source=../lib/sandbox.sh
. "$(dirname "$0")/../lib/sandbox.sh"
# shellcheck source=../lib/ceph.sh
. "$(dirname "$0")/../lib/ceph.sh"
[ -x "$HOOK" ] || { echo "FAIL: hook binary '$1' not found"; exit 1; }
[ -x "$CLI" ] || { echo "FAIL: CLI binary '$2' not found"; exit 1; }
ceph_prereqs
ceph_isolate "$0" "$@"
ceph_test_begin vnr-ceph
mkdir -p "$W/export" "$W/net" && mount --bind "$W/c/mnt" "$W/export" || exit 1
check "ganesha nodeA starts" ceph_ganesha nodeA 2049
check "ganesha nodeB starts" ceph_ganesha nodeB 2050

sandbox_network "$W/net" 52:54:00:00:00:05 192.168.122.5
# every host pins the bridge MAC it derives (migrate begin checks it)
sed -i "s|<bridge name='virbr0'/>|&<mac address='52:54:00:e7:53:b6'/>|" "$W/net/default.xml"
sandbox_policy "$W" "backend = ceph" "validate = off" "ceph_conf = $CEPH_CONF" \
    "ceph_namespace = vnr"
for h in A B; do
    mkdir -p "$W/$h/state" "$W/C"
    sed "s|^state_dir = .*|state_dir = $W/$h/state|" "$W/policy.conf" >"$W/$h/policy.conf"
    # its node's own bus: a migration's source unexports on its node (never the machine's)
    printf 'ceph_node_id = node%s\nganesha_bus = unix:path=%s\n' "$h" "$CEPH_DIR/ganesha/node$h/bus" \
        >>"$W/$h/policy.conf"
done
ip addr add 192.168.122.5/32 dev lo
# shellcheck disable=SC2317 # run by check
guest_sees() { nfs-ls "nfs://192.168.122.5$2/?version=4&nfsport=$1" >/dev/null 2>&1; }
urls() { ceph_rados get conf-nfs.vnr - 2>/dev/null; }
claim() { ceph_rados get "virt-nfsroot.claim:$W/export/$1" - 2>/dev/null; } # PATH-IN-EXPORT
claim_host() { claim "$1" | sed -n 's/^host //p'; }
domain() { # NAME UUID PATH
    domain_xml_gen name="$1" uuid="$2" export="path=\"$W/export/$3\"" mac=52:54:00:00:00:05
}
hook() { VIRT_NFSROOT_CONFIG=$W/$1/policy.conf "$HOOK" "$2" "$3" "$4" "${5:--}" <"$W/$2.xml"; }
# refused HOST NAME OP SUBOP WHAT TEXT...: exits non-zero, one line holding every TEXT
refused() {
    local h=$1 n=$2 op=$3 sub=$4 what=$5 out rc t
    shift 5
    out=$(hook "$h" "$n" "$op" "$sub" 2>&1)
    rc=$?
    local ok=0
    [ $rc -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || ok=1
    for t in "$@"; do printf '%s' "$out" | grep -qF -- "$t" || ok=1; done
    check "$h: $what is refused ($out)" [ $ok = 0 ]
}

# ---- doctor's rows of the cluster, as host A sees it, and with a wrong node / namespace
sed 's/^ceph_node_id = .*/ceph_node_id = nodeC/; s/^ceph_namespace = .*/ceph_namespace = none/' \
    "$W/A/policy.conf" >"$W/bad.conf"
mkdir -p "$W/plain"
# rows ID=STATUS... of doctor --json under policy FILE, each as given
# shellcheck disable=SC2317 # run by check
doctor_rows() {
    VIRT_NFSROOT_CONFIG=$1 "$CLI" doctor --json --connect test:///default 2>/dev/null |
        python3 -c '
import json, sys
rows = {}
for c in json.load(sys.stdin)["checks"]:
    rows.setdefault(c["id"], c["status"])
want = dict(a.split("=") for a in sys.argv[1:])
bad = {k: rows.get(k) for k, v in want.items() if rows.get(k) != v}
sys.exit("rows %s" % bad if bad else 0)' "${@:2}"
}
check "doctor on A: cluster reachable, namespace, node in the grace database, its bus, root on CephFS" \
    doctor_rows "$W/A/policy.conf" nfs-server=pass ceph-namespace=pass ceph-grace=pass \
    ceph-node-bus=pass ceph-export-root=pass
sed "s|^ganesha_bus = .*|ganesha_bus = unix:path=$W/no-bus|" "$W/A/policy.conf" >"$W/nobus.conf"
check "doctor with a ganesha_bus nobody listens on: the node's bus row warns" \
    doctor_rows "$W/nobus.conf" nfs-server=pass ceph-node-bus=warn
check "doctor under a policy naming node nodeC and namespace 'none': both fail" \
    doctor_rows "$W/bad.conf" nfs-server=pass ceph-namespace=fail ceph-grace=fail
sed "s|^export_roots = .*|export_roots = $W/plain|" "$W/A/policy.conf" >"$W/plain.conf"
check "doctor with an export root not on CephFS: it fails" \
    doctor_rows "$W/plain.conf" ceph-export-root=fail
sed "s|^ceph_conf = .*|ceph_conf = $W/none.conf|" "$W/A/policy.conf" >"$W/noconf.conf"
check "doctor with a Ceph configuration that does not exist: the cluster row fails" \
    doctor_rows "$W/noconf.conf" nfs-server=fail

UUID=11111111-2222-3333-4444-555555555555
mkdir -p "$W/export/vm1" "$W/export/vm2"
domain vm1 $UUID vm1 >"$W/vm1.xml"
domain vm1b 11111111-2222-3333-4444-000000000002 vm1 >"$W/vm1b.xml"
domain vm2 22222222-2222-3333-4444-555555555555 vm2 >"$W/vm2.xml"

# ---- 1. the claim: host B never exports a root host A runs
t=$(ceph_ms)
check "A: prepare vm1" hook A vm1 prepare begin
echo "timing: prepare with the claim $(($(ceph_ms) - t)) ms"
check "the claim of $W/export/vm1 in RADOS is nodeA's, for vm1" \
    bash -c "[ '$(claim_host vm1)' = nodeA ] && rados -p .nfs -N vnr get 'virt-nfsroot.claim:$W/export/vm1' - | grep -qx 'uuid $UUID'"
before=$(urls)
refused B vm1 prepare begin "vm1 started on B as well (no migration)" \
    "export path '$W/export/vm1' is claimed read-write in the Ceph cluster by this domain on host 'nodeA'" \
    "migrate it here"
refused B vm1b prepare begin "another domain on vm1's root" \
    "domain 'vm1b'" "export path '$W/export/vm1' is claimed" "by domain 'vm1' (uuid $UUID) on host 'nodeA'" \
    "ganesha-rados-grace --pool .nfs --ns vnr remove nodeA"
check "  ... nothing changed: url list and claim as before" \
    bash -c "[ \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" = '$before' ] && [ '$(claim_host vm1)' = nodeA ]"
check "  ... B keeps no record of vm1" test ! -e "$W/B/state/domains/vm1.state" -a ! -e "$W/B/state/domains/vm1b.state"
refused B vm2 migrate begin "migrate begin of a domain no host runs" \
    "export path '$W/export/vm2' of domain 'vm2' is not exported in the Ceph cluster"

# ---- 1b. status and validate know the cluster
# status on host H (--json) FIELD=VALUE...: vm1's row holds each (a cluster.* field: its "cluster")
# shellcheck disable=SC2317 # run by check
status_has() {
    VIRT_NFSROOT_CONFIG=$W/$1/policy.conf "$CLI" status --json 2>/dev/null | python3 -c '
import json, sys
row = [r for r in json.load(sys.stdin)["exports"] if r["domain"] == "vm1"][0]
for a in sys.argv[1:]:
    k, v = a.split("=", 1)
    got = row["cluster"][k[8:]] if k.startswith("cluster.") else row[k]
    got = json.dumps(got) if not isinstance(got, str) else got
    if v.startswith("~") and v[1:] in got or got == v:
        continue
    sys.exit("%s is %s in %s" % (k, got, row))' "${@:2}"
}
# validate on host H of domain NAME: finding CODE at LEVEL whose message holds every TEXT
# shellcheck disable=SC2317 # run by check
validate_has() {
    VIRT_NFSROOT_CONFIG=$W/$1/policy.conf "$CLI" validate --json "$W/$2.xml" 2>/dev/null |
        python3 -c '
import json, sys
f = [x for x in json.load(sys.stdin)["findings"] if x["code"] == sys.argv[1]]
ok = [x for x in f if x["level"] == sys.argv[2] and all(t in x["message"] for t in sys.argv[3:])]
sys.exit(0 if ok else "findings %s" % f)' "${@:3}"
}
oid1=$(urls | sed -n 's|^%url "rados://.nfs/vnr/\(export-[0-9]*\)"$|\1|p')
check "status on A: vm1's export object, listed, claim nodeA's, no disagreement" \
    status_has A "cluster.export_object=$oid1" cluster.listed=true cluster.claim_holder=nodeA \
    cluster.disagree=null
check "status on A (text): a line of what the cluster holds of vm1" \
    bash -c "VIRT_NFSROOT_CONFIG='$W/A/policy.conf' '$CLI' status 2>/dev/null | grep -qxF \"vm1 $W/export/vm1: cluster: $oid1 present, listed in conf-nfs.vnr, claimed by host 'nodeA'\""
ceph_rados get "virt-nfsroot.claim:$W/export/vm1" "$W/claim.saved"
sed 's/^host nodeA$/host nodeB/' "$W/claim.saved" | ceph_rados put "virt-nfsroot.claim:$W/export/vm1" -
check "status on A with the claim nodeB's: the row disagrees, naming nodeB" \
    status_has A state=disagrees cluster.claim_holder=nodeB "note=~held by host 'nodeB', not this host ('nodeA')"
check "  ... and status exits non-zero" not env VIRT_NFSROOT_CONFIG="$W/A/policy.conf" "$CLI" status
ceph_rados put "virt-nfsroot.claim:$W/export/vm1" "$W/claim.saved"
echo -n | ceph_rados put conf-nfs.vnr -
check "status on A with vm1's url line gone: missing, the cluster's view says why" \
    status_has A state=missing cluster.listed=false \
    "cluster.disagree=~export object $oid1 is not listed in conf-nfs.vnr"
echo "%url \"rados://.nfs/vnr/$oid1\"" | ceph_rados put conf-nfs.vnr -
check "validate on B of vm1: the claim nodeA holds, one error naming domain and host" \
    validate_has B vm1 ceph-claim error "domain 'vm1': export path '$W/export/vm1' is claimed" \
    "on host 'nodeA'"
check "validate on B of vm2: the cluster would let it start" \
    validate_has B vm2 ceph-cluster info "domain 'vm2': the Ceph cluster is reachable" "host id 'nodeB'"
check "validate under namespace 'none': the namespace's error" \
    bash -c "sed 's/^ceph_namespace = .*/ceph_namespace = none/' '$W/B/policy.conf' >'$W/C/policy.conf'"
check "  ... names domain, policy key and object" \
    validate_has C vm2 ceph-namespace error "domain 'vm2': policy key 'ceph_namespace' is 'none'" \
    "no RADOS object 'conf-nfs.none'"
check "validate with no ceph.conf: the cluster's error" \
    bash -c "sed 's|^ceph_conf = .*|ceph_conf = $W/none.conf|' '$W/B/policy.conf' >'$W/C/policy.conf'"
check "  ... names domain and the configuration" \
    validate_has C vm2 ceph-cluster error "domain 'vm2': cannot read Ceph configuration '$W/none.conf'"

# ---- 2. the hand-over: A -> B
oid=$(urls | sed -n 's|^%url "rados://.nfs/vnr/\(export-[0-9]*\)"$|\1|p')
check "B: migrate begin vm1 accepted" hook B vm1 migrate begin
check "  ... the claim is still nodeA's, noting nodeB as the destination" \
    bash -c "[ '$(claim_host vm1)' = nodeA ] && rados -p .nfs -N vnr get 'virt-nfsroot.claim:$W/export/vm1' - | grep -q '^to nodeB '"
t=$(ceph_ms)
check "B: prepare vm1 (incoming)" hook B vm1 prepare begin
echo "timing: incoming prepare (hand-over) $(($(ceph_ms) - t)) ms"
check "  ... the claim is nodeB's, from nodeA" \
    bash -c "[ \"\$(rados -p .nfs -N vnr get 'virt-nfsroot.claim:$W/export/vm1' - | sed -n 's/^host //p;s/^from //p' | tr '\n' ' ')\" = 'nodeB nodeA ' ]"
check "  ... still one export of vm1, the same ($oid)" [ "$(urls)" = "%url \"rados://.nfs/vnr/$oid\"" ]
sessA=$(ceph_node_sessions nodeA /vm1) sessB=$(ceph_node_sessions nodeB /vm1)
check "  ... each node serves vm1 through one CephFS session (A: $sessA, B: $sessB)" \
    bash -c "[ '$(echo "$sessA" | wc -w)' = 1 ] && [ '$(echo "$sessB" | wc -w)' = 1 ]"
t=$(ceph_ms)
check "A: release end migrated" hook A vm1 release end migrated
echo "timing: release on the source (migrated) $(($(ceph_ms) - t)) ms"
# The source's node gives up what it held of the guest (its opens, and so its caps, which the
# destination's OPENs would wait for until the lease ran out): it unexported vm1, then reread
# the list, and serves it through a new session. The destination's session is untouched.
check "  ... A's node dropped its state of vm1: its session $sessA closed, a new one serves it" \
    ceph_waitfor 100 ceph_session_renewed nodeA /vm1 "$sessA"
check "  ... B's node keeps its session ($sessB)" [ "$(ceph_node_sessions nodeB /vm1)" = "$sessB" ]
check "  ... the export stays listed and its object is there" \
    bash -c "[ \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" = '%url \"rados://.nfs/vnr/$oid\"' ] && rados -p .nfs -N vnr stat $oid"
check "  ... the claim is nodeB's alone" \
    bash -c "[ '$(claim_host vm1)' = nodeB ] && ! rados -p .nfs -N vnr get 'virt-nfsroot.claim:$W/export/vm1' - | grep -q '^from\|^to'"
check "  ... A keeps no record of vm1" test ! -e "$W/A/state/domains/vm1.state"
for port in 2049 2050; do
    check "  ... node on port $port still serves vm1's root to the guest" \
        ceph_waitfor 50 guest_sees $port "$W/export/vm1"
done
refused A vm1 prepare begin "vm1 started on A again while B runs it" "on host 'nodeB'"
t=$(ceph_ms)
check "B: release vm1 (the guest stops)" hook B vm1 release end
echo "timing: final release $(($(ceph_ms) - t)) ms"
check "  ... its url line, its object and its claim are gone" \
    bash -c "[ -z \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" ] && ! rados -p .nfs -N vnr stat $oid && ! rados -p .nfs -N vnr stat 'virt-nfsroot.claim:$W/export/vm1'"
check "  ... node on port 2049 no longer serves vm1" ceph_waitfor 50 not guest_sees 2049 "$W/export/vm1"

# ---- 2b. a migration that fails after the destination's prepare: A gets its claim back
check "A: prepare vm1 again" hook A vm1 prepare begin
check "B: migrate begin vm1" hook B vm1 migrate begin
check "B: prepare vm1 (incoming)" hook B vm1 prepare begin
check "B: release vm1 (the migration failed)" hook B vm1 release end
check "  ... the claim is nodeA's again, the export stays" \
    bash -c "[ '$(claim_host vm1)' = nodeA ] && [ -n \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" ]"
# A's node serves vm1 once it has reread the list after A's prepare, and B's release has it
# reread again (its notify re-serves the export on B's node, whose state it dropped); the check
# waits for that, as every other one of a node's view here does, and says how long it took
# (a cold rehearsal once found A's node not serving at the first try).
t=$(ceph_ms) tries=0
# shellcheck disable=SC2317 # run by ceph_waitfor
served_a() { tries=$((tries + 1)) && guest_sees 2049 "$W/export/vm1"; }
check "  ... node on port 2049 serves vm1" ceph_waitfor 50 served_a
echo "timing: A's node served vm1 $(($(ceph_ms) - t)) ms after B's release (try $tries)"
refused B vm1 prepare begin "B's prepare after the failed migration" "on host 'nodeA'"
check "A: release vm1" hook A vm1 release end
check "  ... nothing left: no url line, no claim" \
    bash -c "[ -z \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" ] && ! rados -p .nfs -N vnr ls | grep -q '^export-\|^virt-nfsroot'"

# ---- 3. a dead host's claim: void once its ganesha node left the grace database
check "A: prepare vm2" hook A vm2 prepare begin
refused B vm2 prepare begin "vm2 while host A is in the grace database" "on host 'nodeA'"
kill -KILL "$(ceph_pid ganesha-nodeA)" 2>/dev/null # host A dies
check "the operator takes nodeA out of the grace database" \
    ganesha-rados-grace --cephconf "$CEPH_CONF" --pool .nfs --ns vnr remove nodeA
check "B: prepare vm2 now succeeds" hook B vm2 prepare begin
check "  ... the claim is nodeB's, taken over (no hand-over from nodeA)" \
    bash -c "[ '$(claim_host vm2)' = nodeB ] && ! rados -p .nfs -N vnr get 'virt-nfsroot.claim:$W/export/vm2' - | grep -q '^from'"
check "B: release vm2" hook B vm2 release end
check "  ... nothing of vm2 is left" \
    bash -c "[ -z \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" ] && ! rados -p .nfs -N vnr stat 'virt-nfsroot.claim:$W/export/vm2'"

# ---- a claim the reader refuses (whoever can write the pool): refused, never taken for free
printf 'virt-nfsroot-ceph-claim 1\nhost nodeA\nuuid %s\ndomain vm1\npath %s\nsince x\n' \
    $UUID "$W/export/vm1" | ceph_rados put "virt-nfsroot.claim:$W/export/vm1" -
refused B vm1 prepare begin "vm1 under a claim that cannot be read" \
    "the claim on export path '$W/export/vm1' in the Ceph cluster (RADOS object 'virt-nfsroot.claim:$W/export/vm1') cannot be read"
check "  ... the claim is left as it was, nothing listed" \
    bash -c "rados -p .nfs -N vnr get 'virt-nfsroot.claim:$W/export/vm1' - | grep -qx 'since x' && [ -z \"\$(rados -p .nfs -N vnr get conf-nfs.vnr -)\" ]"
# B's record stays (its undo could not tell whose the root is): once root removed the bad
# claim, B's release clears it
check "  ... once the claim is removed by hand, B's release of vm1 clears B's record" \
    bash -c "rados -p .nfs -N vnr rm 'virt-nfsroot.claim:$W/export/vm1' && VIRT_NFSROOT_CONFIG='$W/B/policy.conf' '$HOOK' vm1 release end - <'$W/vm1.xml' && [ ! -e '$W/B/state/domains/vm1.state' ]"

# ---- orphans: what a killed prepare left unlisted, seen and removed by reconcile on host B
OU=44444444-0000-4000-8000-000000000004
put_export() { # ID PATH [UUID]: an export object, with our xattrs when UUID is given
    ceph_export_block "$1" "$2" 192.168.122.9 | ceph_rados put "export-$1" - &&
        { [ -z "${3:-}" ] || { ceph_rados setxattr "export-$1" virt-nfsroot.uuid "$3" &&
            ceph_rados setxattr "export-$1" virt-nfsroot.path "$2"; }; }
}
reconcile() { VIRT_NFSROOT_CONFIG=$W/$1/policy.conf "$CLI" reconcile --boot --json "${@:2}"; }
check "host A comes back: reconcile --boot --apply drops its stale record of vm2" \
    bash -c "VIRT_NFSROOT_CONFIG='$W/A/policy.conf' '$CLI' reconcile --boot --apply >/dev/null && [ ! -e '$W/A/state/domains/vm2.state' ]"
put_export 21000 "$W/export/vm4" $OU
put_export 999 "$W/export/vm4" $OU # below 1000: the mgr module's range, whatever it carries
put_export 2 /mgr2                  # the mgr module's, unlisted
check "A: prepare vm1 (listed, running on A)" hook A vm1 prepare begin
reconcile B >"$W/orphans.json" 2>"$W/orphans.err"
check "reconcile on B lists export-21000 as the one orphan, of uuid $OU" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
o = [a for a in d["actions"] if "orphan" in a["action"]]
assert len(o) == 1 and o[0]["uuid"] == sys.argv[2] and o[0]["action"] == "remove-orphan", o
assert o[0]["detail"] == "RADOS object export-21000", o
' "$W/orphans.json" $OU
check "reconcile --apply on B exits 0" reconcile B --apply
check "  ... export-21000 is gone" not ceph_rados stat export-21000
check "  ... export-999, export-2 and vm1's export stay, vm1 still listed" \
    bash -c "rados -p .nfs -N vnr stat export-999 && rados -p .nfs -N vnr stat export-2 && [ \"\$(rados -p .nfs -N vnr get conf-nfs.vnr - | wc -l)\" = 1 ]"
check "reconcile on B finds no orphan now" \
    bash -c "! VIRT_NFSROOT_CONFIG='$W/B/policy.conf' '$CLI' reconcile --boot --json | grep -q orphan"
check "A: release vm1" hook A vm1 release end
# ---- doctor: every ganesha node of the grace database watches conf-nfs.vnr
# (nodeA was SIGKILLed and taken out of the grace database above; nodeB runs)
# doctor's ceph-watch row under host A's policy holds every TEXT (status ST)
# shellcheck disable=SC2317 # run by check
watch_row() {
    VIRT_NFSROOT_CONFIG=$W/A/policy.conf "$CLI" doctor --json --connect test:///default 2>/dev/null |
        python3 -c '
import json, sys
c = [c for c in json.load(sys.stdin)["checks"] if c["id"] == "ceph-watch"]
ok = c and c[0]["status"] == sys.argv[1] and all(t in c[0]["summary"] for t in sys.argv[2:])
sys.exit(0 if ok else "row %s" % c)' "$@"
}
check "doctor: nodeB, the one node of the grace database, watches conf-nfs.vnr" \
    watch_row pass "1 ganesha node(s) watch conf-nfs.vnr; the grace database holds 1 (nodeB)"
check "nodeA (stopped) is put back into the grace database" \
    ganesha-rados-grace --cephconf "$CEPH_CONF" --pool .nfs --ns vnr add nodeA
check "doctor with nodeA stopped: the row fails, naming the grace database's nodes" \
    watch_row fail "1 of the 2 ganesha node(s) of the grace database (nodeA, nodeB) do not watch conf-nfs.vnr (1 answered"
eval "ceph_ganesha_conf_watching() $(declare -f ceph_ganesha_conf | tail -n +2)"
# shellcheck disable=SC2317 # called by ceph_ganesha
ceph_ganesha_conf() { ceph_ganesha_conf_watching "$@" | grep -v watch_url; }
check "ganesha nodeA starts without watch_url" ceph_ganesha nodeA 2049
# shellcheck disable=SC2317 # run by check
watchers() { [ "$(ceph_rados listwatchers "$1" 2>/dev/null | grep -c '^watcher=')" = "$2" ]; }
check "  ... it runs: two nodes watch the grace database" ceph_waitfor 600 watchers grace 2
check "doctor with nodeA not watching: the row fails" \
    watch_row fail "1 of the 2 ganesha node(s)" "without RADOS_URLS watch_url"
kill -TERM "$(ceph_pid ganesha-nodeA)" 2>/dev/null
ceph_waitfor 300 watchers grace 1
# shellcheck disable=SC2317 # called by ceph_ganesha
ceph_ganesha_conf() { ceph_ganesha_conf_watching "$@"; }
check "ganesha nodeA starts again with watch_url" ceph_ganesha nodeA 2049
check "  ... it watches conf-nfs.vnr" ceph_waitfor 600 watchers conf-nfs.vnr 2
check "doctor: both nodes watch, the row passes" \
    watch_row pass "2 ganesha node(s) watch conf-nfs.vnr; the grace database holds 2 (nodeA, nodeB)"
summary
