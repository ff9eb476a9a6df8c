#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Part 4 of bench/run: what the hook adds to `virsh start` and `virsh destroy` on a real libvirtd
# (TCG guest, direct kernel boot), using the libvirt test harness (tests/libvirt/harness.sh).
# One libvirtd, started with the hook in qemu.d: libvirt then looks into qemu.d again at every
# hook call, so the hook can be linked and removed between starts. Each cycle starts and
# destroys the annotated and the unannotated domain once with the hook linked and once without
# (A B, then B A in the next cycle), so a drift in the machine's load falls on both sides alike.
# libvirtd logs its command runs at debug level (util.command only), and the time from "About to
# run" our hook to its result is what the hook itself took inside each start.
#
# usage: virsh-start.sh HOOK CYCLES    (root; exits 77 with "SKIP: why" when it cannot run)
# env:   BENCH_ROWS  file to append bench/run's tab-separated rows to (else printed)
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HARNESS=$HERE/../tests/libvirt/harness.sh
[ -r "$HARNESS" ] || { echo "SKIP: $HARNESS does not exist"; exit 77; }
# shellcheck source=../tests/libvirt/harness.sh
. "$HARNESS"

if [ -z "${LV_INSIDE:-}" ]; then
    [ $# -eq 2 ] || { echo "usage: $0 HOOK CYCLES" >&2; exit 2; }
    lv_check_hook "$1"
    lv_fetch_kernel
    export BENCH_ROWS=${BENCH_ROWS:-/dev/stdout}
    lv_enter_namespace "$HERE/virsh-start.sh" "$(readlink -f "$1")" "$2"
fi

HOOK=$1 CYCLES=$2
lv_setup_namespace
trap lv_cleanup EXIT

now_us() { echo $(($(date +%s%N) / 1000)); }
LINK=/etc/libvirt/hooks/qemu.d/virt-nfsroot

# side on|off: link the hook or remove it.
side() { if [ "$1" = on ]; then ln -sfn "$HOOK" "$LINK"; else rm -f "$LINK"; fi; }

# one SIDE DOMAIN: a timed start + destroy, one microsecond figure appended to
# $LV_WORK/SIDE-DOMAIN.{start,destroy}.
one() {
    local t0 t1 t2 st dom=bench-$2
    t0=$(now_us)
    lv_virsh start "$dom" >/dev/null 2>"$LV_WORK/err" || { fail "start $dom ($1): $(cat "$LV_WORK/err")"; return 1; }
    t1=$(now_us)
    st=$(lv_domstate "$dom")
    [ "$st" = running ] || { fail "$dom is '$st' after start ($1)"; return 1; }
    lv_virsh destroy "$dom" >/dev/null 2>"$LV_WORK/err" || { fail "destroy $dom ($1): $(cat "$LV_WORK/err")"; return 1; }
    t2=$(now_us)
    echo $((t1 - t0)) >>"$LV_WORK/$1-$2.start"
    echo $((t2 - t1)) >>"$LV_WORK/$1-$2.destroy"
}

# q FILE P: the P-th percentile (nearest rank) of the numbers in FILE.
q() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { k = int(p / 100 * NR + 0.999999); if (k < 1) k = 1; print v[k] }'; }

setup_domains() {
    lv_make_guest_root bench-ann || return 1
    lv_domain_xml bench-ann 52:54:00:be:0c:01 /export/bench-ann >"$LV_WORK/bench-ann.xml"
    lv_domain_xml bench-plain 52:54:00:be:0c:02 "" /export/bench-ann >"$LV_WORK/bench-plain.xml"
    lv_virsh define "$LV_WORK/bench-ann.xml" >/dev/null &&
        lv_virsh define "$LV_WORK/bench-plain.xml" >/dev/null
}

lv_install_hook "$HOOK"
export LIBVIRT_LOG_FILTERS="1:util.command"
export LV_LOG_LEVEL=1
if ! lv_start_daemons || ! lv_net_start; then fail "libvirtd did not start"; exit 1; fi
setup_domains || { fail "cannot define the domains"; exit 1; }

# The hook really acts when linked and libvirt really skips it when removed.
side on
lv_virsh start bench-ann >/dev/null 2>&1
check "hook linked: the start exported /export/bench-ann" lv_exported /export/bench-ann "$LV_NET_SUBNET"
lv_virsh destroy bench-ann >/dev/null 2>&1
if lv_path_exported /export/bench-ann; then fail "hook linked: the destroy left the export"; else pass "hook linked: the destroy unexported it"; fi
side off
lv_virsh start bench-ann >/dev/null 2>&1
if lv_path_exported /export/bench-ann; then fail "hook removed: the start still exported"; else pass "hook removed: libvirt ran no hook"; fi
lv_virsh destroy bench-ann >/dev/null 2>&1
[ "$bad" = 0 ] || exit 1

echo "== $CYCLES cycles, hook linked and removed in turn"
for d in ann plain; do for s in on off; do side "$s"; one "$s" "$d" >/dev/null || exit 1; done; done
rm -f "$LV_WORK"/*.start "$LV_WORK"/*.destroy
: >"$LV_WORK/libvirtd.log"
for c in $(seq "$CYCLES"); do
    order="on off"
    [ $((c % 2)) = 0 ] && order="off on"
    for s in $order; do
        side "$s"
        for d in ann plain; do one "$s" "$d" || exit 1; done
    done
done
side off

# The hook's own time inside each libvirtd command run: "About to run …qemu.d/virt-nfsroot NAME
# OP SUBOP -" to that thread's next line (virCommandRun's "Result …").
hook_ms() { # hook_ms DOMAIN OPS...: per start (or destroy), the summed ms of those hook calls
    awk -v dom="$1" -v ops="${*:2}" '
        function ts(s,  a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
        BEGIN { split(ops, o, " "); first = o[1] }
        {
            t = ts(substr($2, 1, 12)); tid = $3
            if ((tid in since) && index($0, "Result ")) {
                d[n[tid]] += (t - since[tid]) * 1000; delete since[tid]
            }
            if (index($0, "About to run") && index($0, "qemu.d/virt-nfsroot " dom " ")) {
                split(substr($0, index($0, "qemu.d/virt-nfsroot ")), w, " ")
                if (index(" " ops " ", " " w[3] " ")) {
                    if (w[3] == first) k++
                    since[tid] = t
                    n[tid] = k
                }
            }
        }
        END { for (i = 1; i <= k; i++) printf "%.1f\n", d[i] }' "$LV_WORK/libvirtd.log"
}

row() { local IFS=$'\t'; printf '%s\n' "$*" >>"$BENCH_ROWS"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f ms", u / 1000 }'; }
for op in start destroy; do
    for d in plain ann; do
        what="unannotated domain"
        [ "$d" = ann ] && what="annotated domain"
        nm=$(q "$LV_WORK/off-$d.$op" 50)
        for s in off on; do
            f=$LV_WORK/$s-$d.$op
            m=$(q "$f" 50) p10=$(q "$f" 10) p90=$(q "$f" 90)
            if [ "$s" = off ]; then
                row 4 "virsh $op, $what, hook removed ($CYCLES cycles; p10 $(ms "$p10"), p90 $(ms "$p90"))" \
                    "$(ms "$m")" "" "" "" "" "" "" "" ""
                continue
            fi
            r=$(awk -v a="$m" -v b="$nm" 'BEGIN { printf "%.3fx", a / b }')
            verdict='' target=''
            if [ "$op" = start ]; then
                target="< +5%"
                verdict=$(awk -v a="$m" -v b="$nm" 'BEGIN { print ((a - b) * 100 / b < 5) ? "yes" : "no" }')
            fi
            row 4 "virsh $op, $what, hook linked ($CYCLES cycles; p10 $(ms "$p10"), p90 $(ms "$p90"))" \
                "$(ms "$m")" "" "" "" "$r" "" "hook removed, same domain" "$target" "$verdict"
        done
    done
done
hook_ms bench-ann prepare start started >"$LV_WORK/hook-ann.ms"
hook_ms bench-ann stopped release >"$LV_WORK/hook-ann-stop.ms"
if [ -s "$LV_WORK/hook-ann.ms" ]; then
    row 4 "  the hook's calls inside one annotated start (prepare, start, started; libvirtd debug log; p90 $(q "$LV_WORK/hook-ann.ms" 90) ms)" \
        "$(q "$LV_WORK/hook-ann.ms" 50) ms" "" "" "" "" "" "" "" ""
    row 4 "  the hook's calls inside one annotated destroy (stopped, release; p90 $(q "$LV_WORK/hook-ann-stop.ms" 90) ms)" \
        "$(q "$LV_WORK/hook-ann-stop.ms" 50) ms" "" "" "" "" "" "" "" ""
fi
[ -n "${BENCH_KEEP_DIR:-}" ] && cp "$LV_WORK"/*.start "$LV_WORK"/*.destroy "$LV_WORK"/*.ms "$BENCH_KEEP_DIR/"
finish
