# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# bench/run, part 3: many domains at once. Sourced by bench/run inside its namespaces.

# ------------------------------------------------------------------------------------------------
# Part 3: 64 domains' prepare at once vs one after the other (N = 0 other exports).
if want 3; then
K=64
[ "$QUICK" = 1 ] && K=16
note "part 3: $K domains at once and one after the other"
for i in $(seq 0 $((K - 1))); do
    mkdir -p "$W/export/c$i"
    annotated "c$i" "$(uuid_of $((1000 + i)))" "$(mac_of $((1000 + i)))" "$W/export/c$i" >"$W/c$i.xml"
done
count_c() { grep -c "^$W/export/c[0-9]*	$SUBNET(" /var/lib/nfs/etab; }
release_all() { "$T" -e "$W/log/stderr" -n "$K" -w 0 -j "$K" -i "$W/c{}.xml" -- "$@" "c{}" release end - >/dev/null; }
p3() { # p3 NAME HOOK-ARGV...
    local name=$1 par seq
    shift
    par=$(timeit -n "$K" -w 0 -j "$K" -i "$W/c{}.xml" -- "$@" "c{}" prepare begin -) ||
        { broke "part 3: $name, $K at once"; return 1; }
    [ "$(count_c)" = "$K" ] || { broke "part 3: $name, $K at once left $(count_c) of $K exports"; return 1; }
    release_all "$@"
    [ "$(count_c)" = 0 ] || { broke "part 3: $name left exports after release"; return 1; }
    seq=$(timeit -n "$K" -w 0 -i "$W/c{}.xml" -- "$@" "c{}" prepare begin -) ||
        { broke "part 3: $name, one after the other"; return 1; }
    [ "$(count_c)" = "$K" ] || { broke "part 3: $name, sequential left $(count_c) of $K exports"; return 1; }
    release_all "$@"
    local wp ws
    wp=$(kv wall_us "$par") ws=$(kv wall_us "$seq")
    row 3 "$name: $K prepares at once, total wall $(ms "$wp")" "$(ms "$(kv median_us "$par")")" \
        "$(ms "$(kv p99_us "$par")")" "" "" "$(ratio "$wp" "$ws")" "" "sequential total" "" ""
    row 3 "$name: $K prepares one after the other, total $(ms "$ws")" "$(ms "$(kv median_us "$seq")")" \
        "$(ms "$(kv p99_us "$seq")")" "" "" "" "" "" "" ""
}
# lock_hold K HOOK-ARGV...: the state lock's hold time per prepare with K at once, from an
# untimed run under strace (flock and exit only): "median p90 max busy%" (busy: the holds' sum
# over the run's wall time), or nothing without strace. A hold ends at the process's exit, a
# little after the lock's fd is closed.
lock_hold() {
    local k=$1
    shift
    command -v strace >/dev/null || return 0
    strace -f -qq --seccomp-bpf -ttt -e trace=flock,exit_group -o "$W/log/lock" \
        "$T" -e "$W/log/stderr" -n "$k" -w 0 -j "$k" -i "$W/c{}.xml" -- "$@" "c{}" prepare begin - \
        >/dev/null 2>&1 || return 0
    release_all "$@"
    awk '{ pid = $1; t = $2 }
         / flock\([0-9]+, LOCK_EX\|LOCK_NB <unfinished/ { pend[pid] = 1 }
         / flock\([0-9]+, LOCK_EX\|LOCK_NB\) = 0/ || (/<\.\.\. flock resumed>\) = 0/ && pend[pid]) { acq[pid] = t }
         { if (first == "" || t < first) first = t; if (t > last) last = t }
         / exit_group\(/ && (pid in acq) { h[++n] = (t - acq[pid]) * 1000; sum += h[n]; delete acq[pid] }
         END {
             if (!n) exit
             for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (h[j] < h[i]) { x = h[i]; h[i] = h[j]; h[j] = x }
             printf "%.1f %.1f %.1f %.0f\n", h[int((n + 1) / 2)], h[int(0.9 * n + 0.999999)], h[n], 100 * sum / ((last - first) * 1000)
         }' "$W/log/lock"
}
p3 virt-nfsroot "$HOOK"
if lh=$(lock_hold $K "$HOOK") && [ -n "$lh" ]; then
    read -r lm l90 lmax lbusy <<<"$lh"
    row 3 "virt-nfsroot: state lock held per prepare, $K at once (strace): p90 $l90 ms, max $lmax ms; held ${lbusy}% of the run" \
        "$lm ms" "" "" "" "" "" "" "" ""
fi
# A few at once (guests autostarted together): the lock is polled, so its interval shows here.
[ "$QUICK" = 1 ] || K=8 p3 "virt-nfsroot (8 at once)" "$HOOK"
p3 naive bash "$HERE/baseline/naive-hook.sh"
fi
