#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Part 4 of bench/run: what the hook adds to `virsh start` and `virsh destroy` on a real libvirtd
# (TCG guest, direct kernel boot), using the libvirt test harness (tests/libvirt/harness.sh).
# libvirtd looks for hooks once, at startup, so it runs twice: first without the hook, then with
# it installed, then without again; CYCLES start/destroy cycles per domain with the hook, and
# CYCLES/2 in each hookless run, each after an untimed warm-up.
#
# usage: virsh-start.sh HOOK CYCLES     (root; exits 77 with "SKIP: why" when it cannot run)
# env:   BENCH_ROWS  file to append bench/run's tab-separated rows to (else printed)
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HARNESS=$HERE/../tests/libvirt/harness.sh
[ -r "$HARNESS" ] || { echo "SKIP: $HARNESS does not exist"; exit 77; }
# shellcheck source=../tests/libvirt/harness.sh
. "$HARNESS"

if [ -z "${LV_INSIDE:-}" ]; then
    [ $# -eq 2 ] || { echo "usage: $0 HOOK CYCLES" >&2; exit 2; }
    [ -x "$1" ] || { echo "virsh-start.sh: hook '$1' is not executable" >&2; exit 1; }
    lv_check_prereqs
    lv_fetch_kernel
    export BENCH_ROWS=${BENCH_ROWS:-/dev/stdout}
    lv_enter_namespace "$HERE/virsh-start.sh" "$(readlink -f "$1")" "$2"
fi

HOOK=$1 CYCLES=$2
lv_setup_namespace
trap lv_cleanup EXIT

now_us() { echo $(($(date +%s%N) / 1000)); }

# timed_cycles N PREFIX: N timed start + destroy cycles of each domain, alternating between them;
# one microsecond figure per line appended to $LV_WORK/PREFIX-{ann,plain}.{start,destroy}.
timed_cycles() {
    local n=$1 tag=$2 c dom t0 t1 t2 st
    for c in ann plain; do
        lv_virsh start "bench-$c" >/dev/null 2>"$LV_WORK/err" ||
            { fail "warm-up start bench-$c: $(cat "$LV_WORK/err")"; return 1; }
        lv_virsh destroy "bench-$c" >/dev/null 2>&1
    done
    for _ in $(seq "$n"); do
        for c in ann plain; do
            dom=bench-$c
            t0=$(now_us)
            lv_virsh start "$dom" >/dev/null 2>"$LV_WORK/err" || { fail "start $dom: $(cat "$LV_WORK/err")"; return 1; }
            t1=$(now_us)
            st=$(lv_domstate "$dom")
            [ "$st" = running ] || { fail "$dom is '$st' after start"; return 1; }
            lv_virsh destroy "$dom" >/dev/null 2>"$LV_WORK/err" || { fail "destroy $dom: $(cat "$LV_WORK/err")"; return 1; }
            t2=$(now_us)
            echo $((t1 - t0)) >>"$LV_WORK/$tag-$c.start"
            echo $((t2 - t1)) >>"$LV_WORK/$tag-$c.destroy"
        done
    done
}

# stat FILE: "median p99" of the numbers in FILE (nearest rank).
stat() {
    sort -n "$1" | awk '{ v[NR] = $1 } END {
        m = int((NR + 1) / 2); p = int(0.99 * NR + 0.999999); if (p < 1) p = 1
        print v[m], v[p] }'
}

setup_domains() {
    lv_make_guest_root bench-ann || return 1
    lv_domain_xml bench-ann 52:54:00:be:0c:01 /export/bench-ann >"$LV_WORK/bench-ann.xml"
    lv_domain_xml bench-plain 52:54:00:be:0c:02 "" /export/bench-ann >"$LV_WORK/bench-plain.xml"
    lv_virsh define "$LV_WORK/bench-ann.xml" >/dev/null &&
        lv_virsh define "$LV_WORK/bench-plain.xml" >/dev/null
}

# Without, with, without again: the two hookless halves bracket the hooked run, so a drift in
# the machine's load over the run does not land on one side only.
HALF=$(((CYCLES + 1) / 2))
echo "== without the hook ($HALF cycles)"
if ! lv_start_daemons || ! lv_net_start; then fail "libvirtd did not start"; exit 1; fi
setup_domains || { fail "cannot define the domains"; exit 1; }
timed_cycles "$HALF" nohook || exit 1
restart() {
    lv_virsh net-destroy default >/dev/null 2>&1
    lv_stop_daemons
    if ! lv_start_daemons || ! lv_net_start; then fail "libvirtd did not start again"; exit 1; fi
}
lv_install_hook "$HOOK"
echo "== with the hook ($CYCLES cycles)"
restart
timed_cycles "$CYCLES" hook || exit 1
# The hook really acted: nothing may be left exported after the last destroy, and a start must
# have exported (checked once more, untimed).
lv_virsh start bench-ann >/dev/null 2>&1
check "hook exported /export/bench-ann" lv_exported /export/bench-ann "$LV_NET_SUBNET"
lv_virsh destroy bench-ann >/dev/null 2>&1
if lv_path_exported /export/bench-ann; then
    fail "hook left /export/bench-ann exported after destroy"
else
    pass "hook unexported /export/bench-ann"
fi
rm -f /etc/libvirt/hooks/qemu.d/virt-nfsroot
echo "== without the hook again ($HALF cycles)"
restart
timed_cycles "$HALF" nohook || exit 1
[ "$bad" = 0 ] || exit 1

row() { local IFS=$'\t'; printf '%s\n' "$*" >>"$BENCH_ROWS"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f ms", u / 1000 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }'; }
for op in start destroy; do
    cat "$LV_WORK/nohook-ann.$op" "$LV_WORK/nohook-plain.$op" >"$LV_WORK/nohook-all.$op"
    read -r bm bp < <(stat "$LV_WORK/nohook-all.$op")
    row 4 "virsh $op, no hook (2 x $HALF cycles x 2 domains)" "$(ms "$bm")" "$(ms "$bp")" "" "" "" "" "" "" ""
    for c in plain ann; do
        read -r m p < <(stat "$LV_WORK/hook-$c.$op")
        read -r nm _ < <(stat "$LV_WORK/nohook-$c.$op")
        what="unannotated domain"
        [ "$c" = ann ] && what="annotated domain (export$([ "$op" = destroy ] && echo " removed"))"
        d=$(pct "$m" "$nm")
        verdict=
        [ "$op" = start ] && verdict=$(awk -v a="$m" -v b="$nm" 'BEGIN { print ((a - b) * 100 / b < 5) ? "yes" : "no" }')
        row 4 "virsh $op, hook installed, $what ($CYCLES cycles)" "$(ms "$m")" "$(ms "$p")" "" "" \
            "$(awk -v a="$m" -v b="$nm" 'BEGIN { printf "%.2fx", a / b }')" "" \
            "no hook, same domain ($d)" "$([ "$op" = start ] && echo "< +5%")" "$verdict"
    done
done
finish
