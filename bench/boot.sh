#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 23's boot in half the time: `virsh start` → the console's `login:` line and → the e2e
# proof's marker (multi-user reached, no job left), for a guest made by an earlier `create`
# (OLD-CLI) against one made by this one (NEW-CLI), A B A B: each cycle boots both, the order
# swapped every cycle, so a drift in the machine's load falls on both sides alike. Both guests
# are made from the same tree (the old create's entry in the e2e tests' tree cache; the new
# create takes it with --from-dir), are served by the same hook and NFS-Ganesha (the e2e
# harness: tests/e2e/test-boot.sh) and run under TCG with 1 GiB and each create's default vCPUs
# (two; one before docs/PERFORMANCE.md part 7's fifth round).
# Every console line is stamped with the host's time since `virsh start` (<side>-<n>.console),
# and each guest leaves `systemd-analyze time/blame/critical-chain`, the RPCs its boot sent on
# the root mount ("RPCS op count") and its journal (monotonic stamps, the initramfs included)
# in its root: where the time goes, kept in the work directory
# with BENCH_BOOT_KEEP=1. A benchmark, not a test: numbers never fail it.
#
# usage: sudo bench/boot.sh HOOK NEW-CLI OLD-CLI [CYCLES]   (default 2 cycles; ~4 min each on
#        an idle machine; BENCH_BOOT_SWAP=1 boots the new side first in odd cycles)
#        BENCH_BOOT_EDIT_NEW=CMD: a shell command run once for the new side's guest after its
#        create, with DOM (the domain) and ROOT (its tree) set: one lever weighed A B on the same
#        create (NEW-CLI = OLD-CLI), e.g. 'lv_virsh setvcpus "$DOM" 1 --config' (part 7).
#        BENCH_BOOT_NEW_ARGS=ARGS: more arguments for the new side's create, e.g. --no-aslr.
# Prints tab-separated rows: side, milestone, median s, min s, max s, boots.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=guest-harness.sh
. "$HERE/guest-harness.sh"

if [ -z "${LV_INSIDE:-}" ]; then
    [ $# -ge 3 ] || { echo "usage: $0 HOOK NEW-CLI OLD-CLI [CYCLES]" >&2; exit 2; }
    [ -x "$2" ] || { echo "bench/boot.sh: no CLI '$2'" >&2; exit 1; }
    # One tree for both sides: the older create's cache entry (the e2e tests' cache), which the
    # old CLI copies as it always does and the new one takes with --from-dir (configured,
    # its initramfs built by this create's dracut configuration).
    t=$(lv_now)
    bench_guest_cache boot "$1" "$3"
    BOOT_TREE=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["cached_tree"])' \
        "$E2E_STAGE/cache.json")
    echo "# tree cache ready in $(lv_elapsed "$t") s: $BOOT_TREE" >&2
    export BOOT_TREE
    lv_enter_namespace "$0" "$(readlink -f "$1")" "$(readlink -f "$2")" "$(readlink -f "$3")" \
        "${4:-2}"
fi

HOOK=$1 CYCLES=$4
declare -A CLI=([new]=$2 [old]=$3) IP=([new]=192.168.122.61 [old]=192.168.122.60)
BENCH_GUEST_RM=("${LV_WORK:?}/export/boot-old" "${LV_WORK:?}/export/boot-new")
BENCH_GUEST_KEEP=${BENCH_BOOT_KEEP:-}
bench_guest_start "$HOOK" bench/boot.sh

# analyze ROOT : a unit that leaves systemd-analyze's view and the journal in ROOT once the boot
# has finished (after the e2e proof's marker: it waits for the same state).
analyze() {
    cat >"$1/usr/local/sbin/bench-analyze" <<'EOF'
#!/bin/sh
timeout 900 systemctl is-system-running --wait >/dev/null 2>&1
{ systemd-analyze time; systemd-analyze blame; systemd-analyze critical-chain; } \
    >/bench-analyze.tmp 2>&1
# The RPCs the boot sent on the root mount, per op (the mount the initramfs made: one client).
awk '$1 == "device" { on = ($5 == "/" && $8 ~ /^nfs/); p = 0; next }
    on && /per-op statistics/ { p = 1; next }
    on && p && $1 ~ /:$/ && $2 > 0 { printf "RPCS %s %s\n", substr($1, 1, length($1) - 1), $2 }' \
    /proc/self/mountstats >>/bench-analyze.tmp 2>&1
journalctl -b -o short-monotonic --no-pager >>/bench-analyze.tmp 2>&1
mv /bench-analyze.tmp /bench-analyze && sync
EOF
    chmod 0755 "$1/usr/local/sbin/bench-analyze"
    printf '[Unit]\nAfter=nfsroot-e2e-proof.service\n[Service]\nType=simple\nExecStart=%s\n[Install]\nWantedBy=multi-user.target\n' \
        /usr/local/sbin/bench-analyze >"$1/etc/systemd/system/bench-analyze.service"
    ln -sf /etc/systemd/system/bench-analyze.service \
        "$1/etc/systemd/system/multi-user.target.wants/bench-analyze.service"
}

declare -A FROM=([old]="--release $E2E_SUITE" [new]="--from-dir $BOOT_TREE")
declare -A MORE=([old]="" [new]="${BENCH_BOOT_NEW_ARGS:-}")
for side in old new; do
    # shellcheck disable=SC2086 # FROM and MORE hold words
    VIRT_NFSROOT_CACHE_DIR=$E2E_CREATE_CACHE "${CLI[$side]}" --connect "$LV_URI" create \
        "boot-$side" ${FROM[$side]} --network default --pin-address "${IP[$side]}" \
        --virt-type qemu --memory 1024 ${MORE[$side]} >"$LV_WORK/create-$side.out" 2>&1 ||
        { fail "create boot-$side: $(tail -n 3 "$LV_WORK/create-$side.out")"; exit 1; }
    e2e_proof "/export/boot-$side"
    analyze "/export/boot-$side"
    if [ "$side" = new ] && [ -n "${BENCH_BOOT_EDIT_NEW:-}" ]; then
        # shellcheck disable=SC2034 # DOM and ROOT are for the command
        DOM=boot-$side ROOT=/export/boot-$side
        eval "$BENCH_BOOT_EDIT_NEW" || { fail "BENCH_BOOT_EDIT_NEW failed for $DOM"; exit 1; }
    fi
    lv_virsh dumpxml "boot-$side" | sed -n 's/.*<cmdline>\(.*\)<\/cmdline>.*/\1/p' |
        sed "s/^/# $side cmdline: /"
done

# stamp LOG OUT : copy LOG's lines to OUT, each prefixed with the seconds since now.
stamp() {
    python3 - "$1" "$2" <<'PY' &
import os, sys, time
t0 = time.monotonic()
buf = b""
pos = 0
with open(sys.argv[2], "w") as out:
    while True:
        try:
            with open(sys.argv[1], "rb") as f:
                f.seek(pos)
                data = f.read()
        except OSError:
            data = b""
        pos += len(data)
        buf += data
        *lines, buf = buf.split(b"\n")
        for l in lines:
            out.write("%.2f %s\n" % (time.monotonic() - t0, l.decode("utf-8", "replace").rstrip("\r")))
        out.flush()
        time.sleep(0.05)
PY
    STAMP_PID=$!
}

# boot SIDE N : one timed boot; appends "login marker" seconds to $LV_WORK/SIDE.times.
boot() {
    local side=$1 n=$2 dom=boot-$1 log t0 login='' marker='' el mac lease
    log=/var/log/libvirt/qemu/$dom-console.log
    rm -f "/export/$dom/$E2E_MARKER" "/export/$dom/bench-analyze" "$log"
    t0=$(lv_now)
    stamp "$log" "$LV_WORK/$side-$n.console"
    lv_virsh start "$dom" >/dev/null 2>"$LV_WORK/err" || { fail "start $dom: $(cat "$LV_WORK/err")"; return 1; }
    while :; do
        el=$(lv_elapsed "$t0")
        [ -z "$login" ] && grep -q 'login:' "$log" 2>/dev/null && login=$el
        [ -z "$marker" ] && [ -s "/export/$dom/$E2E_MARKER" ] && marker=$el
        [ -n "$login" ] && [ -n "$marker" ] && [ -s "/export/$dom/bench-analyze" ] && break
        [ "${el%.*}" -lt 600 ] || { fail "$dom: no login/marker after 600 s"; break; }
        sleep 0.2
    done
    kill "$STAMP_PID" 2>/dev/null
    wait "$STAMP_PID" 2>/dev/null
    cp "/export/$dom/bench-analyze" "$LV_WORK/$side-$n.analyze" 2>/dev/null
    lv_virsh destroy "$dom" >/dev/null 2>&1
    mac=$(lv_virsh dumpxml "$dom" | sed -n "s/.*<mac address='\([^']*\)'.*/\1/p" | head -n 1)
    lease=no
    grep -qi "$mac" /var/lib/libvirt/dnsmasq/*.status 2>/dev/null && lease=yes
    echo "# $side boot $n: login $login s, marker $marker s; DHCP lease for $mac: $lease" >&2
    echo "${login:-nan} ${marker:-nan}" >>"$LV_WORK/$side.times"
}

for c in $(seq "$CYCLES"); do
    if [ $(((c + ${BENCH_BOOT_SWAP:-0}) % 2)) = 1 ]; then boot old "$c" && boot new "$c"; else boot new "$c" && boot old "$c"; fi ||
        exit 1
done

for side in old new; do
    for col in 1 2; do
        awk -v c="$col" '{ print $c }' "$LV_WORK/$side.times" | sort -n | awk -v s="$side" \
            -v m="$([ "$col" = 1 ] && echo login || echo marker)" '{ v[NR] = $1 }
            END { printf "%s\t%s\t%.1f\t%.1f\t%.1f\t%d\n", s, m,
                  NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR], NR }'
    done
done
