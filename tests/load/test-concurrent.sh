#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# DOMAINS domains started and stopped concurrently by the built hook, ROUNDS rounds, in a private
# mount namespace with the real exportfs, while an "admin" runs `exportfs -ra` in a loop (the
# hooks serialise on state_dir/lock; exportfs serialises on its own lock; neither may lose an
# entry). In each round every domain flips (running -> release, stopped -> prepare) unless a
# coin says it sits this round out, all at once. After each round the host must be exactly the
# running set: etab entries, one exports file and one state record per running domain, and the
# same again after an `exportfs -ra`. Prints p50/p99 (and max) of the hook's wall-clock latency.
# Usage: test-concurrent.sh HOOK SOURCE_DIR [DOMAINS] [ROUNDS] [SEED]
set -u
HOOK=$(readlink -f "$1")
SRC=$(readlink -f "$2")
N=${3:-64}
ROUNDS=${4:-20}
SEED=${5:-64}
# shellcheck source=../system/lib.sh
. "$SRC/tests/system/lib.sh"
nfsroot_isolate "$0" "$@"
RANDOM=$SEED
ETAB=/var/lib/nfs/etab
SUBNET=192.168.122.0/24

mkdir -p "$W/admin" "$W/lat"
echo "$W/admin 127.0.0.1(ro,sync,no_subtree_check)" > /etc/exports.d/admin.exports
exportfs -ra
declare -a running=()
for i in $(seq 1 "$N"); do
    mkdir -p "$W/export/l$i"
    domain_xml "l$i" "" "$(printf '52:54:00:20:%02x:%02x' $((i / 256)) $((i % 256)))" > "$W/l$i.xml"
    running[i]=
done

# The admin, meanwhile: `exportfs -ra` over and over (each must be silent).
( while [ ! -e "$W/stop-admin" ]; do
      exportfs -ra 2>> "$W/admin.err" || echo "exportfs -ra exited $?" >> "$W/admin.err"
      sleep 0.05
  done ) &
admin=$!

exact() {
    local want got
    want=$(for i in $(seq 1 "$N"); do [ -n "${running[$i]}" ] && echo "$W/export/l$i $SUBNET"; done | sort)
    got=$(grep "^$W/export/l" $ETAB | sed 's/(.*//' | tr '\t' ' ' | sort)
    [ "$want" = "$got" ] || { echo "etab: want $(echo "$want" | grep -c .) entries, got $(echo "$got" | grep -c .)"; diff <(echo "$want") <(echo "$got") | head -5; return 1; }
    want=$(for i in $(seq 1 "$N"); do [ -n "${running[$i]}" ] && echo "l$i"; done | sort)
    got=$(find "$W/state/domains" -mindepth 1 -maxdepth 1 -name '*.state' ! -name '.*' -printf '%f\n' \
              2>/dev/null | sed 's/\.state$//' | sort)
    [ "$want" = "$got" ] || { echo "state records differ"; return 1; }
    local files; files=$(find /etc/exports.d -mindepth 1 -maxdepth 1 -name 'virt-nfsroot-*.exports' | wc -l)
    [ "$files" -eq "$(echo "$want" | grep -c .)" ] || { echo "$files exports files"; return 1; }
    grep -q "^$W/admin	127.0.0.1(" $ETAB || { echo "the admin's export is gone"; return 1; }
}

ops=0 good_rounds=0
for round in $(seq 1 "$ROUNDS"); do
    pids=()
    for i in $(seq 1 "$N"); do
        [ $((RANDOM % 4)) -eq 0 ] && continue
        if [ -n "${running[$i]}" ]; then hook_op=(release end); running[i]=; else hook_op=(prepare begin); running[i]=1; fi
        ( s=$EPOCHREALTIME
          "$HOOK" "l$i" "${hook_op[@]}" - < "$W/l$i.xml" 2>> "$W/hook.err"
          rc=$?
          echo "${hook_op[0]} $s $EPOCHREALTIME $rc" > "$W/lat/$round.$i" ) &
        pids+=($!)
        ops=$((ops + 1))
    done
    wait "${pids[@]}"
    rcs=$(cat "$W/lat/$round".* | awk '$4 != 0' | wc -l)
    msg=$(exact)
    if [ "$rcs" -eq 0 ] && [ -z "$msg" ]; then
        exportfs -ra
        msg=$(exact)
    fi
    n_run=$(for i in $(seq 1 "$N"); do [ -n "${running[$i]}" ] && echo; done | wc -l)
    if [ "$rcs" -ne 0 ]; then fail "round $round: $rcs hook calls failed: $(tail -3 "$W/hook.err")"
    elif [ -n "$msg" ]; then fail "round $round: host is not the running set ($n_run domains): $msg"
    else good_rounds=$((good_rounds + 1)); fi
done
touch "$W/stop-admin"; wait "$admin"

check "$good_rounds of $ROUNDS rounds ended exactly in the running set" [ "$good_rounds" -eq "$ROUNDS" ]
check "the admin's concurrent exportfs -ra never failed or complained ($(head -c 300 "$W/admin.err"))" [ ! -s "$W/admin.err" ]
for i in $(seq 1 "$N"); do [ -n "${running[$i]}" ] && "$HOOK" "l$i" release end - < "$W/l$i.xml"; running[i]=; done
check "all released at the end" exact

# pct FILE P: the P-th percentile (nearest rank) of the numbers in FILE, one a line.
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.1f", v[i] }'; }
cat "$W"/lat/* | awk '{ printf "%.3f\n", ($3 - $2) * 1000 > ("'"$W"'/ms." $1) ; printf "%.3f\n", ($3 - $2) * 1000 }' > "$W/ms.all"
echo "hook latency over $(wc -l < "$W/ms.all") calls ($N domains, $ROUNDS rounds, concurrent): p50 $(pct "$W/ms.all" 50) ms, p99 $(pct "$W/ms.all" 99) ms, max $(pct "$W/ms.all" 100) ms"
for op in prepare release; do
    [ -s "$W/ms.$op" ] && echo "  $op: $(wc -l < "$W/ms.$op") calls, p50 $(pct "$W/ms.$op" 50) ms, p99 $(pct "$W/ms.$op" 99) ms"
done
echo "hook calls: $ops"
finish
