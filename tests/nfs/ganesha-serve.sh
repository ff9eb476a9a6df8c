#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Real NFS serving through NFS-Ganesha, driven by the real virt-nfsroot hook.
#
# Network namespaces (names carry $$ so parallel runs do not clash):
#   srv  bridge br0 10.77.0.1/24 (the guest network, like virbr0) + eth2 10.78.0.1/24;
#        a private dbus-daemon, rpcbind (own /run) and ganesha.nfsd serve from here
#   cli  10.77.0.2 on br0: the guest's pinned DHCP address -> must be served
#   nbr  10.77.0.3 on br0: same subnet, not pinned       -> must be refused
#   far  10.78.0.2 on eth2, route to 10.77.0.0/24 via srv  -> must be refused
# The hook runs with a policy file (VIRT_NFSROOT_CONFIG) whose network_dir holds a fake live
# network XML pinning the guest's MAC to 10.77.0.2; ganesha is reached through
# DBUS_SYSTEM_BUS_ADDRESS (policy ganesha_bus unset = the system bus).
#
# usage: ganesha-serve.sh HOOK-BINARY [CLI-BINARY]   (root; exit 77 = skipped, with the reason)
# With the CLI, an orphan (an export whose record is gone) is taken down by `reconcile`.
# KEEP=1 keeps the work directory for a look at ganesha's log; VERBOSE=1 shows every output;
# HOOK_WRAPPER runs the hook under a tool (valgrind, strace).
set -u

HOOK=${1:?usage: $0 HOOK-BINARY [CLI-BINARY]}
CLI=${2:-}
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
# shellcheck source=../lib/ganesha.sh
. "$(dirname "$0")/../lib/ganesha.sh"

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, ganesha)"
for p in nfs-ls nfs-cat ip; do
    command -v "$p" >/dev/null || skip "'$p' is not installed"
done
ganesha_prereqs
[ -x "$HOOK" ] || { echo "FAIL: hook binary '$HOOK' not found"; exit 1; }

S=vnfs-srv-$$ C=vnfs-cli-$$ N=vnfs-nbr-$$ F=vnfs-far-$$
ip netns add "$S" 2>/dev/null || skip "cannot create network namespaces"
# A real disk, not tmpfs: ganesha's VFS FSAL needs file handles.
W=$(mktemp -d /var/tmp/vnfs-ganesha.XXXXXX)
chmod 755 "$W"
MONITOR_PID=''

cleanup() {
    [ -n "$MONITOR_PID" ] && kill "$MONITOR_PID" 2>/dev/null
    ganesha_stop_all
    for ns in "$S" "$C" "$N" "$F"; do ip netns del "$ns" 2>/dev/null; done
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

# A check's output is shown only when it fails (or with VERBOSE=1).
CHECK_LOG=$W/last.out
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# ---------------------------------------------------------------- network
for ns in "$C" "$N" "$F"; do ip netns add "$ns"; done
for ns in "$S" "$C" "$N" "$F"; do ip -n "$ns" link set lo up; done
ip -n "$S" link add br0 type bridge
ip -n "$S" addr add 10.77.0.1/24 dev br0
ip -n "$S" link set br0 up
i=0
for pair in "$C 10.77.0.2" "$N 10.77.0.3"; do
    read -r peer addr <<<"$pair"
    ip -n "$S" link add "p$i" type veth peer name eth0 netns "$peer"
    ip -n "$S" link set "p$i" master br0 up
    ip -n "$peer" addr add "$addr/24" dev eth0
    ip -n "$peer" link set eth0 address "52:54:00:77:00:0$((i + 2))" up
    i=$((i + 1))
done
ip -n "$S" link add eth2 type veth peer name eth0 netns "$F"
ip -n "$S" addr add 10.78.0.1/24 dev eth2
ip -n "$S" link set eth2 up
ip -n "$F" addr add 10.78.0.2/24 dev eth0
ip -n "$F" link set eth0 up
ip -n "$F" route add 10.77.0.0/24 via 10.78.0.1

# ---------------------------------------------------------------- dbus, rpcbind, ganesha
mkdir -p "$W/state" "$W/networks" "$W/exports.d"
ganesha_config "$W" "$W/ganesha.d"
ganesha_start_bus || { echo "FAIL: dbus-daemon"; exit 1; }
# rpcbind and ganesha serve from srv.
start_ganesha() { ganesha_start ip netns exec "$S"; }
if ! start_ganesha; then
    echo "FAIL: ganesha did not come up on D-Bus"; cat "$W/ganesha.out"; tail -20 "$W/ganesha.log"
    exit 1
fi

# Every call the hook makes to ganesha, to check which methods it uses.
dbus-monitor --system "interface='org.ganesha.nfsd.exportmgr'" "type='method_return'" \
    "type='error'" >"$W/monitor.log" 2>&1 &
MONITOR_PID=$!
MARK=0
mark() { sleep 0.3; MARK=$(stat -c %s "$W/monitor.log"); }
calls() { # the exportmgr methods called since mark, ShowExports left out
    sleep 0.3
    tail -c +$((MARK + 1)) "$W/monitor.log" | grep -o 'member=[A-Za-z]*' | cut -d= -f2 |
        grep -v ShowExports | tr '\n' ' '
}
shows() { # how many times ShowExports (every export on the host) was called since mark
    sleep 0.3
    tail -c +$((MARK + 1)) "$W/monitor.log" | grep -c 'member=ShowExports'
}

# ---------------------------------------------------------------- the guest, policy, network
EXP=$W/export/vm
mkdir -p "$EXP/boot" "$W/export/other/boot"
echo "read-only data" >"$W/export/other/boot/ro.txt"
echo "root only" >"$W/export/other/boot/secret.txt"
chmod 600 "$W/export/other/boot/secret.txt"
echo "hello from $EXP" >"$EXP/boot/hello.txt"
echo "root only" >"$EXP/boot/secret.txt"
chmod 600 "$EXP/boot/secret.txt"
UUID=6b1e7d3a-4f1c-4a55-9a77-0a0b0c0d0e0f
cat >"$W/networks/vnfstest.xml" <<EOF
<networkstatus><network><name>vnfstest</name><bridge name='br0'/>
  <ip address='10.77.0.1' netmask='255.255.255.0'><dhcp>
    <range start='10.77.0.100' end='10.77.0.200'/>
    <host mac='52:54:00:77:00:02' ip='10.77.0.2'/></dhcp></ip></network></networkstatus>
EOF
# shellcheck source=../lib/sandbox.sh
. "$(dirname "$0")/../lib/sandbox.sh"
domain_xml() { # NAME UUID EXPORT-PATH [EXTRA-ATTRIBUTES]
    domain_xml_gen name="$1" uuid="$2" export="path=\"$3\" ${4:-}" memory=512 \
        mac=52:54:00:77:00:02 network=vnfstest
}
domain_xml vnfs-vm "$UUID" "$EXP" >"$W/domain.xml"
policy() { # extra lines on stdin
    cat <<EOF
# virt-nfsroot policy for the ganesha serving test
backend = ganesha
validate = off
export_roots = $W/export
state_dir = $W/state
network_dir = $W/networks
exports_dir = $W/exports.d
ganesha_exports_dir = $W/ganesha.d
ganesha_export_ids = 1000-60999
ganesha_nfsv3 = yes
EOF
    cat
}
policy </dev/null >"$W/policy.conf"
printf 'ganesha_bus = unix:path=%s/nobus\n' "$W" | policy >"$W/policy-nobus.conf"

hook() { # POLICY DOMAIN OP SUBOP < xml
    # HOOK_WRAPPER: e.g. "valgrind -q --error-exitcode=9" or "strace -ff -o /tmp/hook"
    VIRT_NFSROOT_CONFIG=$1 ${HOOK_WRAPPER:-} "$HOOK" "$2" "$3" "$4" -
}

URL=nfs://10.77.0.1$EXP
nfs_ok() { # NS VERSION: the export's /boot is listed and files read, as root (no_root_squash)
    ip netns exec "$1" nfs-ls "$URL/boot?version=$2" | tee /dev/stderr | grep -q hello.txt &&
        ip netns exec "$1" nfs-cat "$URL/boot/hello.txt?version=$2" | grep -qx "hello from $EXP" &&
        ip netns exec "$1" nfs-cat "$URL/boot/secret.txt?version=$2" | grep -qx "root only"
}
nfs_refused() { # NS VERSION: refused by the server (not a network failure)
    local out
    if out=$(ip netns exec "$1" nfs-ls "$URL/boot?version=$2" 2>&1); then
        echo "listed: $out"; return 1
    fi
    echo "$out"
    # The server's own answer, not a dead network. NFSv4: ganesha hides exports a client may
    # not use from its pseudo filesystem (NOENT); NFSv3: MOUNT says EACCES.
    grep -qE 'NFS4ERR_NOENT|NFS4ERR_ACCESS|NFS4ERR_PERM|MNT3ERR_ACCES' <<<"$out"
}
export_file() { ls "$W/ganesha.d/virt-nfsroot-${1:-$UUID}-"*.conf 2>/dev/null; }
live_has_id() { ganesha_dbus ShowExports | grep -qx " *uint16 $1"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
vm() { hook "$W/policy.conf" vnfs-vm "$@" <"$W/domain.xml"; }
hook_fails() { # OUTPUT-FILE POLICY DOMAIN XML: the hook refuses prepare with exit 1
    hook "$2" "$3" prepare begin <"$4" >"$1" 2>&1
    local rc=$?
    cat "$1"
    [ "$rc" = 1 ]
}

# An export the administrator made by hand, outside our range. (Our ids are derived from the
# domain's UUID and the path, which holds this run's random directory: a wide range keeps two
# domains of this test from deriving the same id.)
mkdir -p "$W/export/foreign"
cat >"$W/foreign.conf" <<EOF
EXPORT { Export_Id = 100; Path = "$W/export/foreign"; Pseudo = "$W/export/foreign";
         Access_Type = RO; Protocols = 4; FSAL { Name = VFS; } }
EOF

# ---------------------------------------------------------------- tests
check "an export made by hand has Export_Id 100" \
    ganesha_dbus AddExport "string:$W/foreign.conf" "string:EXPORT(Export_Id=100)"
# Ganesha runs, but nothing is exported yet: the client is refused.
check "before prepare: the path is not exported (v4)" nfs_refused "$C" 4

t0=$(ms); check "hook prepare exits 0" vm prepare begin; t1=$(ms)
PREPARE_MS=$((t1 - t0))
F1=$(export_file)
check "an EXPORT file was written for the domain" test -n "$F1"
check "it has the pinned client, RW" \
    grep -qzE 'Clients = 10\.77\.0\.2/32;.*Access_Type = RW;' "$F1"
check "  ... No_Root_Squash, v3+v4" grep -qzE 'Squash = No_Root_Squash;.*Protocols = 3, 4;' "$F1"
check "the index includes it" grep -qF "%include \"$F1\"" "$W/ganesha.d/virt-nfsroot-index.conf"
ID1=$(sed -n 's/.*Export_Id = \([0-9]*\);.*/\1/p' "$F1")
check "its Export_Id is from the policy range 1000-60999" \
    test -n "$ID1" -a "${ID1:-0}" -ge 1000 -a "${ID1:-0}" -le 60999
check "ganesha lists the export (ShowExports)" ganesha_lists "$EXP"
check "pinned client reads /boot over NFSv4" nfs_ok "$C" 4
check "pinned client reads /boot over NFSv3" nfs_ok "$C" 3
check "pinned client writes (RW) over NFSv4" \
    in_ns "$C" nfs-cp "$W/policy.conf" "$URL/boot/written.txt?version=4"
check "  ... the file is on the host" cmp -s "$W/policy.conf" "$EXP/boot/written.txt"
check "  ... owned by root (no_root_squash)" test "$(stat -c %u "$EXP/boot/written.txt")" = 0
check "same-subnet neighbour (not pinned) is refused, v4" nfs_refused "$N" 4
check "same-subnet neighbour (not pinned) is refused, v3" nfs_refused "$N" 3
check "other subnet is refused, v4" nfs_refused "$F" 4
check "other subnet is refused, v3" nfs_refused "$F" 3

mark
check "prepare again (idempotent) exits 0" vm prepare begin
check "  ... keeps the same Export_Id and file" test "$(export_file)" = "$F1" -a -n "$ID1"
check "  ... and still serves the client" nfs_ok "$C" 4
check "  ... by UpdateExport, never removing the live export" test "$(calls)" = "UpdateExport "
# A record here from an earlier stay with another Export_Id than the one every host derives (an
# older allocation; here: a policy whose range differs): an incoming migration would find the
# guest's handles stale, so migrate begin refuses and names the fix. The bridge MAC check comes
# first: pin the derived MAC the refusal names.
VIRT_NFSROOT_CONFIG=$W/policy.conf "$HOOK" vnfs-vm migrate begin - <"$W/domain.xml" 2>"$W/mac.out"
MAC=$(sed -n "s/.*pin <mac address='\([0-9a-f:]*\)'.*/\1/p" "$W/mac.out")
check "the refusal names the bridge MAC to pin ($MAC)" test -n "$MAC"
sed -i "s|<bridge name='br0'/>|&<mac address='$MAC'/>|" "$W/networks/vnfstest.xml"
check "migrate begin with the record's own id exits 0, silent" sh -c \
    "[ -z \"\$(VIRT_NFSROOT_CONFIG='$W/policy.conf' '$HOOK' vnfs-vm migrate begin - <'$W/domain.xml' 2>&1)\" ]"
sed 's/^ganesha_export_ids = .*/ganesha_export_ids = 61000-61999/' "$W/policy.conf" >"$W/policy-range.conf"
check "migrate begin where the record has another id exits 1" sh -c \
    "! VIRT_NFSROOT_CONFIG='$W/policy-range.conf' '$HOOK' vnfs-vm migrate begin - <'$W/domain.xml' 2>'$W/stale.out'"
check "  ... naming the recorded id and the fix" grep -qF \
    "as NFS-Ganesha Export_Id $ID1 from an earlier stay, not the " "$W/stale.out"

# The pinned address moves: re-applying updates the live export (UpdateExport).
sed -i "s/ip='10.77.0.2'/ip='10.77.0.3'/" "$W/networks/vnfstest.xml"
check "prepare with a changed DHCP pin exits 0" vm prepare begin
check "  ... the neighbour (now pinned) is served" nfs_ok "$N" 4
check "  ... the old address is refused" nfs_refused "$C" 4
sed -i "s/ip='10.77.0.3'/ip='10.77.0.2'/" "$W/networks/vnfstest.xml"
check "prepare with the pin restored exits 0" vm prepare begin
check "  ... the client is served again" nfs_ok "$C" 4

# Without ganesha_nfsv3 the export is NFSv4 only.
sed 's/^ganesha_nfsv3 = yes/ganesha_nfsv3 = no/' "$W/policy.conf" >"$W/policy-v4.conf"
check "prepare with ganesha_nfsv3 = no exits 0" \
    hook "$W/policy-v4.conf" vnfs-vm prepare begin <"$W/domain.xml"
check "  ... the file says Protocols = 4" grep -q 'Protocols = 4;' "$F1"
check "  ... NFSv4 still serves the client" nfs_ok "$C" 4
check "  ... NFSv3 is refused" nfs_refused "$C" 3
check "prepare with ganesha_nfsv3 = yes again exits 0" vm prepare begin
check "  ... NFSv3 serves the client again" nfs_ok "$C" 3

# A second domain: read-only, root_squash, its own id. A bus nobody listens on gives the one
# clear line. It runs on the same client machine as the first, so it names the subnet: two
# running domains may not both claim the first one's pinned address.
U2=0d0e0f10-1112-4314-9516-171819202122
OTHER=nfs://10.77.0.1$W/export/other/boot
domain_xml vnfs-other "$U2" "$W/export/other" \
    "readonly='yes' options='root_squash' clients='10.77.0.0/24'" >"$W/other.xml"
check "unreachable bus: prepare exits 1" \
    hook_fails "$W/nobus.out" "$W/policy-nobus.conf" vnfs-other "$W/other.xml"
check "  ... with 'ganesha is not reachable on D-Bus at <address>'" grep -qF \
    "domain 'vnfs-other': ganesha is not reachable on D-Bus at 'unix:path=$W/nobus': " \
    "$W/nobus.out"
check "  ... and exports nothing" test -z "$(export_file "$U2")"
check "second domain prepare exits 0" \
    hook "$W/policy.conf" vnfs-other prepare begin <"$W/other.xml"
F2=$(export_file "$U2")
check "  ... with a different Export_Id" not grep -q "Export_Id = $ID1;" "$F2"
check "  ... read-only: Access_Type = RO" grep -q 'Access_Type = RO;' "$F2"
check "  ... the client reads it" \
    sh -c "ip netns exec '$C' nfs-cat '$OTHER/ro.txt?version=4' | grep -qx 'read-only data'"
check "  ... and cannot write to it" \
    not in_ns "$C" nfs-cp "$W/policy.conf" "$OTHER/new.txt?version=4"
check "  ... nothing was written" test ! -e "$W/export/other/boot/new.txt"
check "  ... options='root_squash': Squash = Root_Squash" grep -q 'Squash = Root_Squash;' "$F2"
check "  ... root on the client cannot read a root-only file" \
    not in_ns "$C" nfs-cat "$OTHER/secret.txt?version=4"

domain_xml vnfs-clash 2d0e0f10-1112-4314-9516-171819202122 "$W/export/foreign" \
    "clients='10.77.0.0/24'" >"$W/clash.xml"
check "a path ganesha already exports by hand: prepare exits 1" \
    hook_fails "$W/clash.out" "$W/policy.conf" vnfs-clash "$W/clash.xml"
check "  ... naming the foreign Export_Id" grep -qF \
    "is already exported by NFS-Ganesha as Export_Id 100, which virt-nfsroot did not create" \
    "$W/clash.out"
check "  ... and leaving the hand-made export alone" ganesha_lists "$W/export/foreign"
check "second domain release exits 0" hook "$W/policy.conf" vnfs-other release end <"$W/other.xml"
check "  ... the first domain is still served" nfs_ok "$C" 4

# libvirtd reconnects: present exports are left alone (has() via ShowExports/DisplayExport),
# one removed behind our back is put back.
mark
check "reconnect with the export live exits 0" vm reconnect begin
check "  ... and changes nothing" test -z "$(calls | sed 's/DisplayExport //g')"
check "someone removes the export behind our back" ganesha_dbus RemoveExport "uint16:$ID1"
check "  ... the client is refused" nfs_refused "$C" 4
check "reconnect exits 0" vm reconnect begin
check "  ... and the client is served again" nfs_ok "$C" 4

# Ganesha restarts while the guest runs: the index file brings the export back by itself.
check "ganesha stops" ganesha_stop
check "ganesha starts again" start_ganesha
check "after a ganesha restart the export is back (v4), from the index" nfs_ok "$C" 4
check "  ... with the same Export_Id" live_has_id "$ID1"
check "  ... and still refuses the neighbour" nfs_refused "$N" 4

mark
t0=$(ms); check "hook release exits 0" vm release end; t1=$(ms)
RELEASE_MS=$((t1 - t0))
# The id table says what to remove: the list of every export (its reply grows with the host's
# exports) is not asked for.
check "  ... without asking ganesha for every export (ShowExports)" [ "$(shows)" = 0 ]
check "the EXPORT file is deleted" test -z "$(export_file)"
check "the index no longer includes it" \
    not grep -q virt-nfsroot- "$W/ganesha.d/virt-nfsroot-index.conf"
check "ganesha no longer lists the export" not ganesha_lists "$EXP"
check "after release the client is refused, v4" nfs_refused "$C" 4
check "after release the client is refused, v3" nfs_refused "$C" 3
check "after release the other subnet is refused" nfs_refused "$F" 4
check "release again (idempotent) exits 0" vm release end

# The Export_Id is derived from the domain's UUID and the path, so it does not depend on what
# else this host runs (another host gives the guest the same one: its file handles survive a
# migration). Here the other domain starts first and the id is still ID1.
other() { hook "$W/policy.conf" vnfs-other "$@" <"$W/other.xml"; }
check "other domain first: prepare exits 0" other prepare begin
check "then the guest: prepare exits 0" vm prepare begin
check "  ... the guest gets the same Export_Id" grep -q "Export_Id = $ID1;" "$(export_file)"
check "  ... in the same file" test "$(export_file)" = "$F1"
check "  ... and is served" nfs_ok "$C" 4
check "the other domain released" other release end
check "the guest released" vm release end

# The id table lost while the export lives (a crash, a wiped state/ganesha): release finds our
# export in ganesha's list of every export and still takes it down.
check "prepare for the lost-table case exits 0" vm prepare begin
check "  ... served" nfs_ok "$C" 4
rm -f "$W/state/ganesha/export-ids"
# An incoming migration onto a host whose table lost an export ganesha still serves from our file
# under another id than the derived one: migrate begin compares that live id too.
check "migrate begin, table lost, live export with its derived id: exits 0, silent" sh -c \
    "[ -z \"\$(VIRT_NFSROOT_CONFIG='$W/policy.conf' '$HOOK' vnfs-vm migrate begin - <'$W/domain.xml' 2>&1)\" ]"
check "migrate begin, table lost, live export under another id: exits 1" sh -c \
    "! VIRT_NFSROOT_CONFIG='$W/policy-range.conf' '$HOOK' vnfs-vm migrate begin - <'$W/domain.xml' 2>'$W/stale2.out'"
check "  ... naming the live id and the fix" grep -qF \
    "as NFS-Ganesha Export_Id $ID1 from an earlier stay, not the " "$W/stale2.out"
mark
check "release with the id table lost exits 0" vm release end
check "  ... asks ganesha for every export (ShowExports)" [ "$(shows)" -ge 1 ]
check "  ... the EXPORT file is deleted" test -z "$(export_file)"
check "  ... ganesha no longer lists the export" not ganesha_lists "$EXP"
check "  ... the client is refused" nfs_refused "$C" 4
# A hand-made export holding that id: the guest cannot have it here, and any other id would
# break its handles after a migration, so prepare refuses in one line and exports nothing.
mkdir -p "$W/export/byhand"
sed "s|Export_Id = 100;|Export_Id = $ID1;|; s|$W/export/foreign|$W/export/byhand|g" \
    "$W/foreign.conf" >"$W/byhand.conf"
check "an export made by hand takes Export_Id $ID1" \
    ganesha_dbus AddExport "string:$W/byhand.conf" "string:EXPORT(Export_Id=$ID1)"
# An incoming migration asks first (migrate begin), and is refused the same way: the guest keeps
# running on its source (the network pins the derived bridge MAC since above).
check "migrate begin with the derived id held by hand exits 1" \
    sh -c "! VIRT_NFSROOT_CONFIG='$W/policy.conf' '$HOOK' vnfs-vm migrate begin - <'$W/domain.xml' >'$W/mig.out' 2>&1"
check "  ... with the same sentence, stdout empty" sh -c "[ \$(wc -l <'$W/mig.out') = 1 ] &&
    grep -qF \"needs NFS-Ganesha Export_Id $ID1 (derived from the domain's UUID and the path\" '$W/mig.out'"
check "prepare with the derived id held by hand exits 1" \
    hook_fails "$W/byhand.out" "$W/policy.conf" vnfs-vm "$W/domain.xml"
check "  ... in one line naming the id and the export holding it" sh -c "[ \$(wc -l <'$W/byhand.out') = 1 ] &&
    grep -qF \"virt-nfsroot: domain 'vnfs-vm': export path '$EXP' needs NFS-Ganesha Export_Id $ID1 (derived from the domain's UUID and the path, the same on every host), but ganesha already serves '$W/export/byhand' under that id, an export virt-nfsroot did not make; give it another Export_Id in ganesha's configuration\" '$W/byhand.out'"
check "  ... and exports nothing" test -z "$(export_file)"
check "  ... the hand-made export is left alone" ganesha_lists "$W/export/byhand"
check "the hand-made export goes" ganesha_dbus RemoveExport "uint16:$ID1"
check "migrate begin then exits 0, silent" sh -c \
    "[ -z \"\$(VIRT_NFSROOT_CONFIG='$W/policy.conf' '$HOOK' vnfs-vm migrate begin - <'$W/domain.xml' 2>&1)\" ]"
admin() { dbus-send --system --print-reply --dest=org.ganesha.nfsd /org/ganesha/nfsd/admin \
    "org.ganesha.nfsd.admin.$1" "${@:2}"; }
grace_is() { admin get_grace | sed -n 2p | grep -q "boolean $1"; } # grace_is true|false
# Ganesha in grace (here: restarted without Graceless while a client it served has state to
# reclaim): the moved guest's NFSv4 state would stall until grace ends, so migrate begin refuses.
sed -i 's/Graceless = true;/Graceless = false; Grace_Period = 15;/' "$W/ganesha.conf"
check "ganesha stops" ganesha_stop
check "ganesha starts again without Graceless" start_ganesha
check "  ... and says it is in grace (admin.get_grace)" grace_is true
check "migrate begin while ganesha is in grace exits 1" sh -c \
    "! VIRT_NFSROOT_CONFIG='$W/policy.conf' '$HOOK' vnfs-vm migrate begin - <'$W/domain.xml' 2>'$W/grace.out'"
check "  ... saying so" grep -qF "domain 'vnfs-vm': NFS-Ganesha on this host is in its grace period" \
    "$W/grace.out"
sed -i 's/Graceless = false; Grace_Period = 15;/Graceless = true;/' "$W/ganesha.conf"
check "ganesha stops" ganesha_stop
check "ganesha starts again with Graceless" start_ganesha
check "  ... and is not in grace" grace_is false
check "migrate begin then exits 0 again" sh -c \
    "[ -z \"\$(VIRT_NFSROOT_CONFIG='$W/policy.conf' '$HOOK' vnfs-vm migrate begin - <'$W/domain.xml' 2>&1)\" ]"
check "then prepare exits 0" vm prepare begin
check "  ... with that id" live_has_id "$ID1"
check "  ... serving the guest" nfs_ok "$C" 4
check "  ... released" vm release end

# A record lost while its export lives (a crash between them): the export is an orphan of the
# ganesha backend, which reconcile lists and the library takes down.
if [ -n "$CLI" ]; then
    reconcile() { VIRT_NFSROOT_CONFIG=$W/policy.conf "$CLI" reconcile --boot "$@"; }
    check "prepare for the orphan case exits 0" vm prepare begin
    FO=$(export_file)
    rm -f "$W/state/domains/vnfs-vm.state"
    reconcile --json >"$W/orphan-dry.json" 2>&1
    check "reconcile lists the export as an orphan of the domain's uuid" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
o = [a for a in d["actions"] if a["action"] == "remove-orphan"]
assert len(o) == 1 and o[0]["uuid"] == sys.argv[2] and o[0]["detail"] == sys.argv[3], d
' "$W/orphan-dry.json" "$UUID" "$FO"
    check "  ... the dry run leaves it served" nfs_ok "$C" 4
    check "reconcile --apply exits 0" reconcile --json --apply
    check "  ... the EXPORT file is deleted" test -z "$(export_file)"
    check "  ... and its id" not grep -q "$UUID" "$W/state/ganesha/export-ids"
    check "  ... ganesha no longer lists the export" not ganesha_lists "$EXP"
    check "  ... the client is refused" nfs_refused "$C" 4
    check "reconcile is in step again" reconcile --json
fi

# Latency of a whole hook run (exec, dlopen, parse, plan, D-Bus) over a few cycles.
CYCLES=5 tp=0 tr=0
for _ in $(seq $CYCLES); do
    t0=$(ms); vm prepare begin || fail "cycle prepare"
    t1=$(ms); vm release end || fail "cycle release"
    t2=$(ms); tp=$((tp + t1 - t0)); tr=$((tr + t2 - t1))
done
check "after $CYCLES prepare/release cycles nothing is left" test -z "$(export_file)"
# Ganesha's own time per method: call to reply, from the bus monitor's timestamps.
awk '
function field(name,   i) {
    for (i = 1; i <= NF; i++)
        if (index($i, name "=") == 1)
            return substr($i, length(name) + 2)
    return ""
}
/^method call/ {
    m = field("member"); sub(/;$/, "", m)
    if (m ~ /^(Add|Update|Remove)Export$/)
        call[field("sender") ":" field("serial")] = m " " field("time")
}
/^(method return|error)/ {
    k = field("destination") ":" field("reply_serial")
    if (k in call) {
        split(call[k], c, " "); d = (field("time") - c[2]) * 1000
        n[c[1]]++; sum[c[1]] += d; if (d > max[c[1]]) max[c[1]] = d
        delete call[k]
    }
}
END {
    for (m in n)
        printf "# ganesha %s over D-Bus: %d calls, mean %.1f ms, max %.1f ms\n",
            m, n[m], sum[m] / n[m], max[m]
}' "$W/monitor.log"
echo "# hook prepare: first ${PREPARE_MS} ms, mean of $CYCLES $((tp / CYCLES)) ms"
echo "# hook release: first ${RELEASE_MS} ms, mean of $CYCLES $((tr / CYCLES)) ms"

# Export ids never collide: in a range of 4 ids, 4 domains started one after another each get one
# (the registry in the export root gives each the first free one of the ids every host derives
# for it); the fifth is refused naming the range. Picked by derivation alone, two of the four
# would hold one id 91 % of the time (1 - 4!/4^4).
sed 's/^ganesha_export_ids = .*/ganesha_export_ids = 62000-62003/' "$W/policy.conf" >"$W/policy-narrow.conf"
for i in 1 2 3 4 5; do
    mkdir -p "$W/export/narrow$i"
    domain_xml "vnfs-n$i" "$(printf '7a0b0c0d-0000-4000-8000-%012d' "$i")" "$W/export/narrow$i" \
        "readonly='yes' options='root_squash' clients='10.77.0.0/24'" >"$W/n$i.xml"
done
for i in 1 2 3 4; do
    check "narrow range: domain $i prepare exits 0" \
        hook "$W/policy-narrow.conf" "vnfs-n$i" prepare begin <"$W/n$i.xml"
done
n_ids=$(sed -n 's/^\(6200[0-3]\) .*/\1/p' "$W/state/ganesha/export-ids" | sort -u | wc -l)
check "  ... four distinct Export_Ids ($n_ids)" [ "$n_ids" -eq 4 ]
registry_ids() { # how many of the narrow range's ids the registry holds
    local f n=0
    for f in "$W"/export/.virt-nfsroot/ids/6200[0-3]; do [ -e "$f" ] && n=$((n + 1)); done
    echo "$n"
}
check "  ... each in the export root's registry, root's alone" \
    [ "$(registry_ids)" -eq 4 -a "$(stat -c %a "$W/export/.virt-nfsroot/ids")" = 700 ]
check "narrow range: a fifth domain is refused" \
    hook_fails "$W/n5.out" "$W/policy-narrow.conf" vnfs-n5 "$W/n5.xml"
check "  ... naming the range to widen" grep -qF \
    "is taken in the registry of its export root: widen policy key 'ganesha_export_ids'" "$W/n5.out"
for i in 1 2 3 4; do hook "$W/policy-narrow.conf" "vnfs-n$i" release end <"$W/n$i.xml"; done
check "  ... released, the ids stay the domains' (handles stay valid at their next start)" \
    [ "$(registry_ids)" -eq 4 ]

check "ganesha is still running" kill -0 "$GANESHA_PID"

# Ganesha goes away while the guest runs: release still cleans up (nothing can be exported).
check "prepare before ganesha stops exits 0" vm prepare begin
check "ganesha stops" ganesha_stop
check "release with ganesha gone exits 0" vm release end
check "  ... and deletes the EXPORT file" test -z "$(export_file)"
check "  ... and its id" not grep -q . "$W/state/ganesha/export-ids"
check "prepare with ganesha gone exits 1" \
    hook_fails "$W/down.out" "$W/policy.conf" vnfs-vm "$W/domain.xml"
check "  ... saying 'ganesha is not reachable on D-Bus at <the system bus>'" grep -qF \
    "virt-nfsroot: domain 'vnfs-vm': ganesha is not reachable on D-Bus at 'unix:path=$W/bus': " \
    "$W/down.out"
check "  ... and leaves no EXPORT file" test -z "$(export_file)"

finish
