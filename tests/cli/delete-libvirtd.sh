#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# delete and the DHCP pin, against a real libvirtd (tests/libvirt/harness.sh): delete removes
# only a pin that create/annotate recorded for that very domain (by UUID, root-side), and not
# even that while another defined domain's NIC has its MAC; it says what it left.
# Usage: delete-libvirtd.sh CLI
set -u
BIN=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../libvirt/harness.sh
. "$HERE/../libvirt/harness.sh"
lv_cli_test "$0" "$@"
# The default policy (/export, the live network in /run/libvirt) but for what annotate records
# as made (owned_dir), kept in the sandbox.
OWNED=$LV_WORK/owned
printf 'owned_dir = %s\n' "$OWNED" >"$LV_WORK/policy.conf"
export VIRT_NFSROOT_CONFIG=$LV_WORK/policy.conf

# define NAME MAC: a stopped domain with our metadata (its root /export/NAME).
define() {
    mkdir -m 0755 "/export/$1"
    lv_domain_xml "$1" "$2" "/export/$1" >"$LV_WORK/$1.xml"
    lv_virsh define "$LV_WORK/$1.xml" >/dev/null
}
# pinned MAC IP: the persistent and the live network both pin IP to MAC.
pinned() {
    lv_virsh net-dumpxml --inactive default | grep -q "mac='$1'.*ip='$2'" &&
        grep -q "mac='$1'.*ip='$2'" /run/libvirt/network/default.xml
}
unpinned() {
    ! lv_virsh net-dumpxml --inactive default | grep -q "mac='$1'" &&
        ! grep -q "mac='$1'" /run/libvirt/network/default.xml
}
pin_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pin"]["ip"])' "$1"; }

# 1. A victim pinned by annotate; an attacker, never started, defined with the victim's MAC.
# Deleting the attacker must leave the victim's pin: without it the victim's next start exports
# its root to the whole subnet (allow_subnet_fallback), the attacker's guests included.
VICTIM=victim$$ ATTACKER=attacker$$ MAC=52:54:00:aa:00:02
define "$VICTIM" "$MAC" || { fail "define $VICTIM"; exit 1; }
"$BIN" annotate "$VICTIM" --pin-address --json >"$LV_WORK/pin.json" 2>"$LV_WORK/pin.err"
check "annotate --pin-address: exit 0" [ $? = 0 ]
ip=$(pin_of "$LV_WORK/pin.json")
uuid=$(lv_virsh domuuid "$VICTIM" | tr -d '[:space:]')
check "annotate recorded the pin root-side, for the victim's UUID" \
    grep -qx "pin $MAC $ip default" "$OWNED/$uuid.owned"
check "the record is root's alone" [ "$(stat -c '%u %a' "$OWNED" "$OWNED/$uuid.owned" | tr '\n' ' ')" = "0 700 0 600 " ]
define "$ATTACKER" "$MAC" || { fail "define $ATTACKER"; exit 1; }
"$BIN" delete "$ATTACKER" >"$LV_WORK/d1.out" 2>"$LV_WORK/d1.err"
check "delete attacker: exit 0" [ $? = 0 ]
check "delete attacker: undefined" sh -c "! virsh -q -c $LV_URI dominfo $ATTACKER >/dev/null 2>&1"
check "delete attacker: the victim's pin stays (persistent and live)" pinned "$MAC" "$ip"
check "delete attacker: says which pin it left and why" grep -qxF \
    "kept: the pin of $ip to MAC $MAC on network 'default' stays: create or annotate did not record it as made for this domain" \
    "$LV_WORK/d1.out"
check "delete attacker: unpins nothing" sh -c "! grep -q unpin '$LV_WORK/d1.out'"

# 2. The victim's own pin, while a stopped clone of its MAC is defined: left, and said so.
CLONE=clone$$
define "$CLONE" "$MAC" || { fail "define $CLONE"; exit 1; }
"$BIN" delete "$VICTIM" --json >"$LV_WORK/d2.json" 2>"$LV_WORK/d2.err"
check "delete victim with a clone defined: exit 0" [ $? = 0 ]
check "delete victim with a clone defined: the pin stays" pinned "$MAC" "$ip"
check "delete victim with a clone defined: says why" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["undefined"] is True and d["unpinned_ip"] is None, d
assert d["pin_kept"].endswith("stays: domain %r uses that MAC too" % sys.argv[2]), d' \
    "$LV_WORK/d2.json" "$CLONE"
check "delete victim: its record is gone" [ ! -e "$OWNED/$uuid.owned" ]
lv_virsh undefine "$CLONE" >/dev/null

# 3. A pin that is the domain's own and no other domain's MAC: removed, record and all.
OWN=own$$ MAC2=52:54:00:aa:00:03
define "$OWN" "$MAC2" || { fail "define $OWN"; exit 1; }
"$BIN" annotate "$OWN" --pin-address --json >"$LV_WORK/pin2.json" 2>>"$LV_WORK/pin.err"
ip2=$(pin_of "$LV_WORK/pin2.json")
uuid2=$(lv_virsh domuuid "$OWN" | tr -d '[:space:]')
"$BIN" delete "$OWN" --dry-run >"$LV_WORK/d3dry.out" 2>&1
check "delete own --dry-run: would unpin" grep -qxF "would unpin its address $ip2 on network 'default'" "$LV_WORK/d3dry.out"
check "delete own --dry-run: still pinned, still recorded" \
    sh -c "[ -e '$OWNED/$uuid2.owned' ] && grep -q \"mac='$MAC2'\" /run/libvirt/network/default.xml"
"$BIN" delete "$OWN" >"$LV_WORK/d3.out" 2>"$LV_WORK/d3.err"
check "delete own: exit 0" [ $? = 0 ]
check "delete own: unpinned" unpinned "$MAC2"
check "delete own: says so" grep -qxF "unpin its address $ip2 on network 'default'" "$LV_WORK/d3.out"
check "delete own: its record is gone" [ ! -e "$OWNED/$uuid2.owned" ]
check "delete own: the first pin is still there" pinned "$MAC" "$ip"

# 4. A pin that cannot be recorded is not left behind: delete could never remove it.
NOREC=norec$$ MAC3=52:54:00:aa:00:04
define "$NOREC" "$MAC3" || { fail "define $NOREC"; exit 1; }
: >"$LV_WORK/a-file"
printf 'owned_dir = %s/a-file/owned\n' "$LV_WORK" >"$LV_WORK/norec.conf"
VIRT_NFSROOT_CONFIG=$LV_WORK/norec.conf "$BIN" annotate "$NOREC" --pin-address \
    >"$LV_WORK/norec.out" 2>"$LV_WORK/norec.err"
check "unrecordable pin: exit 1" [ $? = 1 ]
check "unrecordable pin: says why" grep -q "'$LV_WORK/a-file/owned': Not a directory" "$LV_WORK/norec.err"
check "unrecordable pin: taken back (persistent and live)" unpinned "$MAC3"
finish
