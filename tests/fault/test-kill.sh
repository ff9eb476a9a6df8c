#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# SIGKILL the built hook at random points of prepare/release, RUNS times (seeded), in a private
# mount namespace with the real exportfs, while an admin's export and three other domains of ours
# run. After every kill: `exportfs -ra` parses every file without a word, and no other domain's
# export is lost. Then the next hook run (prepare again, or release as libvirt does after a
# failed prepare) must bring the host exactly to the model: one exports file, one state record
# and exactly the expected etab entries per running domain, nothing for the others.
#
# Kills come from the fault points of an ENABLE_TESTING_HOOKS build (NFSROOT_FAULT_KILL_AT, see
# lib/base/fault.h) or from outside after a random delay (the hook's whole process group, exportfs
# children included).
# The four churning domains also share one read-only path (each to its own clients: two domains'
# files naming the same path AND client make `exportfs -ra` exit 1, see docs/SECURITY.md) and
# switch between two client sets, so a kill can land between the exportfs calls of one domain
# and of an old entry being dropped.
#
# Usage: test-kill.sh HOOK SOURCE_DIR [RUNS] [SEED]
set -u
HOOK=$(readlink -f "$1")
SRC=$(readlink -f "$2")
RUNS=${3:-500}
SEED=${4:-4242}
# shellcheck source=../system/lib.sh
. "$SRC/tests/system/lib.sh"
nfsroot_isolate "$0" "$@"
if ! strings "$(dirname "$HOOK")/../lib/libvirt-nfsroot.so.0" 2>/dev/null | grep -q apply-state-written; then
    echo "SKIP: the library has no fault points: build with -DENABLE_TESTING_HOOKS=ON"; exit 77
fi
RANDOM=$SEED
ETAB=/var/lib/nfs/etab
SUBNET=192.168.122.0/24

# 1. exportfs itself skips dot-files in exports.d: our temp files (.NAME.PID.tmp) are never read.
mkdir -p "$W/probe"
echo "$W/probe 127.0.0.2(ro)" > /etc/exports.d/.probe.exports
echo "$W/probe 127.0.0.3(ro)" > /etc/exports.d/.virt-nfsroot-x.exports.123.tmp
exportfs -ra 2>/dev/null
check "exportfs -ra ignores dot-files in exports.d" sh -c "! grep -q '^$W/probe	' $ETAB"
rm -f /etc/exports.d/.probe.exports /etc/exports.d/.virt-nfsroot-x.exports.123.tmp

# churn_xml NAME VARIANT: root export (to the subnet) + the shared read-only export.
churn_xml() {
    local name=$1 v=$2 n=${1#d}
    local clients="192.168.122.5$n,192.168.122.6$n"
    [ "$v" = B ] && clients="192.168.122.5$n,192.168.122.7$n"
    domain_xml_gen name="$name" uuid="00000000-0000-4000-8000-0000000000d$n" export="" \
        export="path=\"$W/export/shared\" readonly=\"yes\" clients=\"$clients\"" \
        mac="52:54:00:00:0d:0$n"
}

mkdir -p "$W/admin" "$W/export/shared"
echo "$W/admin 127.0.0.1(ro,sync,no_subtree_check)" > /etc/exports.d/admin.exports
exportfs -ra
BYSTANDERS="b1 b2 b3"
CHURN="d1 d2 d3 d4"
for b in $BYSTANDERS; do
    mkdir -p "$W/export/$b"
    domain_xml "$b" > "$W/$b.xml"
    "$HOOK" "$b" prepare begin - < "$W/$b.xml" || fail "bystander $b prepare"
done
declare -A running=() variant=()
for d in $CHURN; do
    mkdir -p "$W/export/$d"
    churn_xml "$d" A > "$W/$d.A.xml"
    churn_xml "$d" B > "$W/$d.B.xml"
done

# The etab entries under $W/export the model says must exist, sorted "path client".
model_pairs() {
    for b in $BYSTANDERS; do echo "$W/export/$b $SUBNET"; done
    local d shared=""
    for d in $CHURN; do
        [ -n "${running[$d]:-}" ] || continue
        echo "$W/export/$d $SUBNET"
        shared+=" 192.168.122.5${d#d}"
        if [ "${variant[$d]}" = A ]; then shared+=" 192.168.122.6${d#d}"; else shared+=" 192.168.122.7${d#d}"; fi
    done
    for c in $shared; do echo "$W/export/shared $c/32"; done
} 
etab_pairs() { grep "^$W/export/" $ETAB | sed 's/(.*//' | tr '\t' ' '; }
state_names() {
    find "$W/state/domains" -mindepth 1 -maxdepth 1 -name '*.state' ! -name '.*' -printf '%f\n' \
        2>/dev/null | sed 's/\.state$//' | sort
}
model_names() { { for b in $BYSTANDERS; do echo "$b"; done
                  for d in $CHURN; do [ -n "${running[$d]:-}" ] && echo "$d"; done; } | sort; }

# Every bystander's and every other running domain's entries are still there.
others_intact() { # others_intact EXCEPT
    local missing
    missing=$(comm -23 <(model_pairs | grep -v "^$W/export/$1 " | grep -v " 192.168.122.[567]${1#d}/32\$" | sort -u) \
                       <(etab_pairs | sort -u))
    [ -z "$missing" ] || { echo "lost: $missing"; return 1; }
    grep -q "^$W/admin	127.0.0.1(" $ETAB || { echo "lost the admin's export"; return 1; }
}

# The host is exactly the model.
exact() {
    local want got
    want=$(model_pairs | sort -u); got=$(etab_pairs | sort -u)
    [ "$want" = "$got" ] || { echo "etab differs:"; diff <(echo "$want") <(echo "$got"); return 1; }
    want=$(model_names); got=$(state_names)
    [ "$want" = "$got" ] || { echo "state records differ: want [$want] got [$got]"; return 1; }
    local files; files=$(find /etc/exports.d -mindepth 1 -maxdepth 1 -name 'virt-nfsroot-*.exports' | wc -l)
    [ "$files" -eq "$(model_names | wc -l)" ] || { echo "$files exports files"; return 1; }
    grep -q "^$W/admin	127.0.0.1(" $ETAB || { echo "lost the admin's export"; return 1; }
}

PREPARE_POINTS="apply-locked apply-old-removed apply-state-written write-temp-written kernel-file-written kernel-old-unexported kernel-exported apply-backend-done apply-state-rewritten"
RELEASE_POINTS="remove-locked kernel-file-removed kernel-unexported remove-backend-done"
pick() { local a; read -r -a a <<<"$1"; echo "${a[RANDOM % ${#a[@]}]}"; }

killed=0 completed=0 point_kills=0 delay_kills=0 failures_before=$bad
declare -A by_point=()
run_hook() { # run_hook MODE ARG NAME OP SUBOP XML -> rc
    local mode=$1 arg=$2 name=$3 op=$4 sub=$5 xml=$6
    if [ "$mode" = point ]; then
        NFSROOT_FAULT_KILL_AT=$arg "$HOOK" "$name" "$op" "$sub" - < "$xml" 2>>"$W/hook.err"
        return $?
    elif [ "$mode" = delay ]; then
        setsid "$HOOK" "$name" "$op" "$sub" - < "$xml" 2>>"$W/hook.err" &
        local pid=$!
        sleep "$arg"
        kill -KILL -- "-$pid" 2>/dev/null
        wait "$pid"
        local rc=$?
        while kill -0 -- "-$pid" 2>/dev/null; do sleep 0.01; done
        return $rc
    else
        "$HOOK" "$name" "$op" "$sub" - < "$xml" 2>>"$W/hook.err"
    fi
}

for run in $(seq 1 "$RUNS"); do
    d=$(pick "$CHURN")
    if [ -n "${running[$d]:-}" ]; then
        if [ $((RANDOM % 3)) -eq 0 ]; then op=reprepare; else op=release; fi
    else
        op=prepare
    fi
    v=${variant[$d]:-A}
    if [ "$op" != release ]; then v=$(pick "A B"); fi
    xml=$W/$d.$v.xml
    if [ $((RANDOM % 4)) -eq 0 ]; then
        mode=delay; arg=0.0$((RANDOM % 10))$((RANDOM % 10))
    else
        mode=point
        if [ "$op" = release ]; then arg=$(pick "$RELEASE_POINTS"); else arg=$(pick "$PREPARE_POINTS"); fi
        arg=$arg:$((RANDOM % 3 + 1))
    fi
    if [ "$op" = release ]; then
        run_hook "$mode" "$arg" "$d" release end "$xml"
    else
        run_hook "$mode" "$arg" "$d" prepare begin "$xml"
    fi
    rc=$?
    if [ $rc -eq 137 ] || [ $rc -ge 128 ]; then
        killed=$((killed + 1))
        if [ "$mode" = point ]; then point_kills=$((point_kills + 1)); by_point[${arg%:*}]=$(( ${by_point[${arg%:*}]:-0} + 1 ))
        else delay_kills=$((delay_kills + 1)); fi
    elif [ $rc -eq 0 ]; then
        completed=$((completed + 1))
    else
        fail "run $run: $op $d ($mode $arg) exited $rc: $(tail -1 "$W/hook.err")"
    fi

    # After the kill: everything parses, nobody else lost anything.
    if ! exportfs -ra 2> "$W/ra.err" || [ -s "$W/ra.err" ]; then
        fail "run $run: exportfs -ra after killing $op $d at $mode $arg: $(cat "$W/ra.err")"
    fi
    msg=$(others_intact "$d") || fail "run $run: after killing $op $d at $mode $arg: $msg"

    # The repair: the op again, or release after a killed prepare (what libvirt does).
    if [ "$op" = release ]; then
        "$HOOK" "$d" release end - < "$xml" 2>>"$W/hook.err" || fail "run $run: release repair exited $?"
        running[$d]=
    elif [ $((RANDOM % 2)) -eq 0 ] && [ "$op" = prepare ]; then
        "$HOOK" "$d" release end - < "$xml" 2>>"$W/hook.err" || fail "run $run: release after killed prepare exited $?"
        running[$d]=
    else
        "$HOOK" "$d" prepare begin - < "$xml" 2>>"$W/hook.err" || fail "run $run: prepare repair exited $?: $(tail -1 "$W/hook.err")"
        running[$d]=1; variant[$d]=$v
    fi
    msg=$(exact) || fail "run $run: after $op $d killed at $mode $arg and repaired: $msg"
    exportfs -ra
    msg=$(exact) || fail "run $run: after exportfs -ra: $msg"
    if [ "$bad" -gt "$((failures_before + 20))" ]; then echo "too many failures, stopping"; break; fi
done

tmp_left=$(find /etc/exports.d "$W/state/domains" -mindepth 1 -maxdepth 1 -name '*.tmp' | wc -l)
echo "runs: $run, seed $SEED; killed: $killed (fault points $point_kills, random delays $delay_kills); ran to completion: $completed"
for p in "${!by_point[@]}"; do echo "  killed at $p: ${by_point[$p]}"; done | sort
echo "temp files left behind by killed runs (never read: dot-files): $tmp_left"
check "all $run runs: every file parsed after the kill, nothing of the others lost, the next run repaired it" [ "$bad" -eq "$failures_before" ]
check "at least one kill at every fault point" [ "${#by_point[@]}" -ge 10 ]
finish
