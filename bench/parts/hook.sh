# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# bench/run, parts 1, 2, 2d and 2l: the hook against the floor (a static program, bare
# exportfs) and a naive hook. Sourced by bench/run inside its namespaces, after its fixture.

# ------------------------------------------------------------------------------------------------
# Part 1: the unannotated guest.
if want 1; then
note "part 1: unannotated guest ($RUNS runs each)"
DOM=web-frontend-03
declare -A P1_MED P1_P99 P1_INS P1_RSS
p1() { # p1 KEY COMMAND...
    local key=$1 line
    shift
    line=$(timeit -n "$RUNS" -w 10 -i "$PLAIN" -- "$@") || { broke "part 1: $key"; return 1; }
    P1_MED[$key]=$(kv median_us "$line")
    P1_P99[$key]=$(kv p99_us "$line")
    P1_INS[$key]=$(instr "$@" <"$PLAIN")
    P1_RSS[$key]=$(rss "$@" <"$PLAIN")
}
p1 floor "$BW/bin/floor"
p1 floor_dyn "$BW/bin/floor-dynamic"
p1 hook "$HOOK" "$DOM" prepare begin -
p1row() { # p1row KEY CASE VS-KEY VS-NAME TARGET
    local k=$1 rt ri
    rt=$(ratio "${P1_MED[$k]:-}" "${P1_MED[$3]:-}")
    ri=$(ratio "${P1_INS[$k]:-}" "${P1_INS[$3]:-}")
    local verdict=
    [ -n "$5" ] && verdict="time $(met "$rt" 1.5), instr. $(met "$ri" 1.5), RSS $(met "${P1_RSS[$k]:-}" 8192)"
    row 1 "$2" "$(ms "${P1_MED[$k]:-}")" "$(ms "${P1_P99[$k]:-}")" "$(kinstr "${P1_INS[$k]:-}")" \
        "$(mb "${P1_RSS[$k]:-}")" "$rt" "$ri" "$4" "$5" "$verdict"
}
if [ -n "${P1_MED[floor]:-}" ]; then
    p1row floor "floor: static program reading stdin to EOF" floor "" "" 
    p1row floor_dyn "same program, dynamically linked (libc.so only)" floor "static floor" ""
    [ -n "${P1_MED[hook]:-}" ] &&
        p1row hook "**hook (static front end), unannotated 8 KB XML**" floor "static floor" "<= 1.5x, < 8 MB"
fi
fi

# ------------------------------------------------------------------------------------------------
# Part 2: annotated prepare + release with N other exports on the host.

# dlopen_rows FLOOR-INSTR: what loading the library costs each hook run (twice per cycle), and
# which of its dependencies make that cost: instructions (callgrind) and wall time of a program
# that only dlopen()s, minus the same program loading nothing.
dlopen_rows() {
    local d0 t0 line set what i t
    d0=$(instr "$BW/bin/dlopen-only" </dev/null)
    local reps=$((RUNS < 100 ? RUNS : 100))
    line=$(timeit -n "$reps" -w 5 -- "$BW/bin/dlopen-only") || return 0
    t0=$(kv median_us "$line")
    local lib=$BUILD/lib/libvirt-nfsroot.so.0 deps
    # The library's direct dependencies but libc, each measured alone with what it pulls in.
    deps=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -v '^libc\.so')
    # libxml2 is not a dependency but dlopen()ed by the parse: once a cycle (prepare only).
    for set in "$lib" $deps libxml2.so.2; do
        i=$(instr "$BW/bin/dlopen-only" "$set" </dev/null)
        line=$(timeit -n "$reps" -w 5 -- "$BW/bin/dlopen-only" "$set") || continue
        t=$(kv median_us "$line")
        if [ -z "$i" ] || [ -z "$d0" ]; then continue; fi
        local times=2
        if [ "$set" = "$lib" ]; then
            what="  of which dlopen(libvirt-nfsroot.so.0) with its $(ldd "$lib" | grep -c '=>') libraries, x2"
        elif [ "$set" = libxml2.so.2 ]; then
            times=1
            what="    dlopen(libxml2.so.2) by the parse, with its $(ldd "$(ldconfig -p | awk '$1 == "libxml2.so.2" { print $NF; exit }')" | grep -c '=>') libraries, x1 (prepare)"
        else
            what="    dlopen($set) alone, with its $(ldd "$(ldconfig -p | awk -v l="$set" '$1 == l { print $NF; exit }')" | grep -c '=>') libraries, x2"
        fi
        row "2 N=0" "$what" "$(ms $((times * (${t%.*} - ${t0%.*}))))" "" "$(kinstr $((times * (i - d0))))" "" \
            "" "$(ratio $((times * (i - d0))) "$1")" "floor" "" ""
    done
}

# constant_rows: where a cycle's wall time beyond the floor goes, timed A B A B in one run: the
# cycle through the front end, the same through the runner run directly (the difference is what
# the two front ends cost: a static exec each, which then execs the runner in place), and the
# runner without arguments twice (exec, ld.so, libvirt-nfsroot.so.0 and libc, then exit): what
# is left is libxml2's load, the parse and the library's own work, exportfs's spawn included.
constant_rows() {
    local run=${HOOK%/*}/qemu-hook-run reps=$((RUNS < 100 ? RUNS : 100)) out f o d b
    out=$(timeit -n "$reps" -w 3 -i "$W/$VM.xml" -- "${FLOOR_A[@]}" --- "${FLOOR_B[@]}" :: \
        "${OURS_A[@]}" --- "${OURS_B[@]}" :: "$run" "$VM" prepare begin - --- \
        "$run" "$VM" release end - :: "$run" --- "$run") || return 0
    f=$(kv median_us "$(printf '%s\n' "$out" | sed -n 1p)")
    o=$(kv median_us "$(printf '%s\n' "$out" | sed -n 2p)")
    d=$(kv median_us "$(printf '%s\n' "$out" | sed -n 3p)")
    b=$(kv median_us "$(printf '%s\n' "$out" | sed -n 4p)")
    [ -n "$f" ] && [ -n "$o" ] && [ -n "$d" ] && [ -n "$b" ] || return 0
    local k
    k=$(awk -v o="$o" -v f="$f" 'BEGIN { print o - f }')
    row "2 N=0" "  the constant's parts ($reps cycles A B A B: floor $(ms "$f"), cycle $(ms "$o")): the cycle minus the floor" \
        "$(ms "$k")" "" "" "" "1.00x" "" "constant" "" ""
    row "2 N=0" "    the two front ends (the cycle minus the same run through the runner directly)" \
        "$(ms "$(awk -v a="$o" -v b="$d" 'BEGIN { print a - b }')")" "" "" "" \
        "$(ratio "$(awk -v a="$o" -v b="$d" 'BEGIN { print a - b }')" "$k")" "" "constant" "" ""
    row "2 N=0" "    the runner's two start-ups: exec, ld.so, libvirt-nfsroot.so.0, libc (no arguments), x2" \
        "$(ms "$b")" "" "" "" "$(ratio "$b" "$k")" "" "constant" "" ""
    row "2 N=0" "    the rest: libxml2's load, the parse, the library's work, exportfs's spawn" \
        "$(ms "$(awk -v d="$d" -v f="$f" -v b="$b" 'BEGIN { print d - f - b }')")" "" "" "" \
        "$(ratio "$(awk -v d="$d" -v f="$f" -v b="$b" 'BEGIN { print d - f - b }')" "$k")" "" "constant" "" ""
}


# check_cycle NAME PREPARE-CMD... --- RELEASE-CMD...: one untimed cycle that must really export
# $W/export/$VM to $SUBNET and remove it again (we never time a path that fails).
check_cycle() {
    local name=$1 a=() b=()
    shift
    while [ "$1" != --- ]; do a+=("$1"); shift; done
    shift
    b=("$@")
    "${a[@]}" <"$W/$VM.xml" >/dev/null 2>"$W/log/check" &&
        in_etab "$W/export/$VM" "$SUBNET" &&
        "${b[@]}" <"$W/$VM.xml" >/dev/null 2>>"$W/log/check" &&
        ! grep -q "^$W/export/$VM	" /var/lib/nfs/etab && return 0
    broke "part 2: $name did not export and unexport $W/export/$VM: $(head -c 300 "$W/log/check")"
    return 1
}



# other_exports N: N other exports, each its own directory, applied by the real exportfs; each to
# its own client, or with LAYOUT=subnet all to the guest's subnet ($SUBNET, the client of ours);
# 1 when exportfs did not apply them all.
LAYOUT=own
other_exports() {
    local n=$1 got
    awk -v n="$n" -v d="$W/other" 'BEGIN { for (i = 0; i < n; i++) print d "/" i }' |
        xargs -r mkdir -p
    awk -v n="$n" -v d="$W/other" -v s="$([ "$LAYOUT" = subnet ] && echo "$SUBNET")" 'BEGIN {
        for (i = 0; i < n; i++)
            if (s != "") printf "%s/%d %s(rw,no_subtree_check)\n", d, i, s
            else printf "%s/%d 10.%d.%d.%d(rw,no_subtree_check)\n", d, i, int(i / 62500) % 250 + 1,
                        int(i / 250) % 250 + 1, i % 250 + 1 }' >/etc/exports.d/other.exports
    /usr/sbin/exportfs -ra 2>>"$W/log/stderr"
    got=$(grep -c "^$W/other/" /var/lib/nfs/etab)
    [ "$got" = "$n" ] || { broke "part 2: exportfs -ra applied $got of $n other exports"; return 1; }
}

# fsyncs CMD...: "COUNT MS" per run of CMD (fsync, fdatasync, syncfs and their time, by strace),
# or nothing without strace.
fsyncs() {
    command -v strace >/dev/null || return 0
    strace -f -qq -e trace=fsync,fdatasync,syncfs -T -o "$W/log/fsync" "$@" >/dev/null 2>&1 || return 0
    awk '/^[0-9]+ +(fsync|fdatasync|syncfs)\(/ { n++; if (match($0, /<[0-9.]+>$/)) t += substr($0, RSTART + 1, RLENGTH - 2) }
         END { printf "%d %.2f\n", n, t * 1000 }' "$W/log/fsync"
}

# part2 PART SIZES VARIANTS: the cycle of each variant (floor ours naive before) measured A B A B
# (spawn-timer groups: one cycle of each in turn), at each size N; rows labelled "PART N=n".
part2() {
    local part=$1 sizes=$2 variants=$3 n v line out i
    for n in $sizes; do
        note "part $part: N=$n other exports ($CYC cycles of each of: $variants)"
        other_exports "$n" || continue
        if [ "$part" = 2 ] || [ "$part" != "${part#2l}" ]; then
            R_OURS=$(rss "${OURS_A[@]}" <"$W/$VM.xml")
            "${OURS_B[@]}" <"$W/$VM.xml" 2>/dev/null
        fi
        declare -A M=() P=() C=() I=() F=()
        local grp=() ok=()
        for v in $variants; do
            case $v in
                floor) A=("${FLOOR_A[@]}") B=("${FLOOR_B[@]}") ;;
                ours) A=("${OURS_A[@]}") B=("${OURS_B[@]}") ;;
                naive) A=("${NAIVE_A[@]}") B=("${NAIVE_B[@]}") ;;
                before) A=("${BEFORE_A[@]}") B=("${BEFORE_B[@]}") ;;
            esac
            check_cycle "$v (N=$n)" "${A[@]}" --- "${B[@]}" || continue
            ok+=("$v")
            grp+=("${A[@]}" --- "${B[@]}" ::)
            # Instructions of the whole cycle, exportfs (and the naive hook's sed/flock) included.
            if { { [ "$QUICK" = 0 ] && [ -z "${BENCH_INSTR_N0_ONLY:-}" ]; } || [ "$n" = 0 ] ||
                   [ "$part" != "${part#2l}" ]; } &&
                { [ "$part" = 2 ] || [ "$part" != "${part#2l}" ]; }; then
                ins_a=$(instr --children "${A[@]}" <"$W/$VM.xml")
                ins_b=$(instr --children "${B[@]}" <"$W/$VM.xml")
                [ -n "$ins_a" ] && [ -n "$ins_b" ] && I[$v]=$((ins_a + ins_b))
                in_etab "$W/export/$VM" "$SUBNET" && { broke "part $part: $v under valgrind left the export behind"; "${FLOOR_B[@]}"; }
            fi
            if [ "$part" = 2d ] && [ "$v" != naive ]; then
                local fb
                F[$v]=$(fsyncs "${A[@]}" <"$W/$VM.xml")
                fb=$(fsyncs "${B[@]}" <"$W/$VM.xml")
                [ -n "${F[$v]}" ] && [ -n "$fb" ] &&
                    F[$v]=$(awk -v a="${F[$v]}" -v b="$fb" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%d %.2f", x[1] + y[1], x[2] + y[2] }')
            fi
        done
        [ ${#ok[@]} -gt 0 ] || continue
        unset 'grp[${#grp[@]}-1]'
        out=$(timeit -n "$CYC" -w "$((CYC > 3 ? 2 : 1))" -i "$W/$VM.xml" -- "${grp[@]}") ||
            { broke "part $part: the A B A B run at N=$n"; continue; }
        i=0
        for v in "${ok[@]}"; do
            i=$((i + 1))
            line=$(printf '%s\n' "$out" | sed -n "${i}p")
            M[$v]=$(kv median_us "$line")
            P[$v]=$(kv p99_us "$line")
            C[$v]=$(kv cpu_median_us "$line")
        done
        p2rows "$part" "$n"
        unset M P C I F
    done
}

# p2rows PART N: the rows of one size (reads M, P, C, I, F).
p2rows() {
    local part=$1 n=$2 rt ri rn rin rc
    local tag="$part N=$n"
    if [ -n "${M[floor]:-}" ]; then
        row "$tag" "floor: exportfs -o + exportfs -u" "$(ms "${M[floor]}")" "$(ms "${P[floor]}")" \
            "$(kinstr "${I[floor]:-}")" "" "" "" "" "" ""
        row "$tag" "  floor, CPU time (user + system, every process)" "$(ms "${C[floor]}")" "" "" "" "" "" "" "" ""
    fi
    if [ -n "${M[naive]:-}" ]; then
        row "$tag" "naive: shared exports file + exportfs -ra" "$(ms "${M[naive]}")" "$(ms "${P[naive]}")" \
            "$(kinstr "${I[naive]:-}")" "" "$(ratio "${M[naive]}" "${M[floor]:-}")" \
            "$(ratio "${I[naive]:-}" "${I[floor]:-}")" "floor" "" ""
    fi
    if [ -n "${M[before]:-}" ]; then
        row "$tag" "virt-nfsroot before ($BEFORE_NAME) prepare + release" "$(ms "${M[before]}")" \
            "$(ms "${P[before]}")" "$(kinstr "${I[before]:-}")" "" "$(ratio "${M[before]}" "${M[floor]:-}")" \
            "$(ratio "${I[before]:-}" "${I[floor]:-}")" "floor" "" ""
        row "$tag" "  before, CPU time" "$(ms "${C[before]}")" "" "" "" "$(ratio "${C[before]}" "${C[floor]:-}")" "" "floor CPU" "" ""
        [ -n "${F[before]:-}" ] &&
            row "$tag" "  before: ${F[before]% *} fsync per cycle, taking (strace -T)" "${F[before]#* } ms" "" "" "" "" "" "" "" ""
    fi
    if [ -n "${M[ours]:-}" ]; then
        rt=$(ratio "${M[ours]}" "${M[floor]:-}") ri=$(ratio "${I[ours]:-}" "${I[floor]:-}")
        rn=$(ratio "${M[ours]}" "${M[naive]:-}") rin=$(ratio "${I[ours]:-}" "${I[naive]:-}")
        row "$tag" "**virt-nfsroot prepare + release**" "$(ms "${M[ours]}")" "$(ms "${P[ours]}")" \
            "$(kinstr "${I[ours]:-}")" "$(mb "${R_OURS:-}")" "$rt" "$ri" "floor" "<= 1.2x" \
            "time $(met "$rt" 1.2)${ri:+, instr. $(met "$ri" 1.2)}"
        rc=$(ratio "${C[ours]}" "${C[floor]:-}")
        row "$tag" "  virt-nfsroot, CPU time" "$(ms "${C[ours]}")" "" "" "" "$rc" "" "floor CPU" "<= 1.2x" "$(met "$rc" 1.2)"
        [ -n "${M[naive]:-}" ] &&
            row "$tag" "virt-nfsroot vs naive" "" "" "" "" "$rn" "$rin" "naive" "<= 1.0x" \
                "time $(met "$rn" 1.0)${rin:+, instr. $(met "$rin" 1.0)}"
        [ -n "${F[ours]:-}" ] &&
            row "$tag" "  virt-nfsroot: ${F[ours]% *} fsync per cycle, taking (strace -T)" "${F[ours]#* } ms" "" "" "" "" "" "" "" ""
        if [ -n "${M[before]:-}" ] && [ -n "${M[floor]:-}" ]; then
            # The constant: what a cycle costs beyond the floor, now and before, same run.
            local k1 k0
            k1=$(awk -v a="${M[ours]}" -v b="${M[floor]}" 'BEGIN { print a - b }')
            k0=$(awk -v a="${M[before]}" -v b="${M[floor]}" 'BEGIN { print a - b }')
            row "$tag" "  constant (cycle minus floor), now vs before" "$(ms "$k1")" "" "" "" \
                "$(ratio "$k1" "$k0")" "" "before: $(ms "$k0")" "<= 0.5x" "$(met "$(ratio "$k1" "$k0")" 0.5)"
            k1=$(awk -v a="${C[ours]}" -v b="${C[floor]}" 'BEGIN { print a - b }')
            k0=$(awk -v a="${C[before]}" -v b="${C[floor]}" 'BEGIN { print a - b }')
            row "$tag" "  constant in CPU time, now vs before" "$(ms "$k1")" "" "" "" \
                "$(ratio "$k1" "$k0")" "" "before: $(ms "$k0")" "<= 0.5x" "$(met "$(ratio "$k1" "$k0")" 0.5)"
            if [ -n "${I[ours]:-}" ] && [ -n "${I[before]:-}" ] && [ -n "${I[floor]:-}" ]; then
                k1=$((I[ours] - I[floor])) k0=$((I[before] - I[floor]))
                row "$tag" "  constant in instructions, now vs before" "" "" "$(kinstr "$k1")" "" "" \
                    "$(ratio "$k1" "$k0")" "before: $(kinstr "$k0")" "<= 0.5x" "$(met "$(ratio "$k1" "$k0")" 0.5)"
            fi
        fi
        if [ "$n" = 0 ] && [ "$part" = 2 ]; then
            # What our constant is made of: the runner alone (the front end execs it, so a
            # valgrind run of the front end without its children ends at that exec).
            local run=${HOOK%/*}/qemu-hook-run
            hp=$(instr "$run" "$VM" prepare begin - <"$W/$VM.xml")
            hr=$(instr "$run" "$VM" release end - <"$W/$VM.xml")
            [ -n "$hp" ] && [ -n "$hr" ] &&
                row "$tag" "  of which qemu-hook-run alone (no front end, no exportfs): prepare + release" "" "" \
                    "$(kinstr "$hp") + $(kinstr "$hr")" "" "" "$(ratio $((hp + hr)) "${I[floor]:-}")" "floor" "" ""
            dlopen_rows "${I[floor]:-}"
            constant_rows
        fi
    fi
}

VARIANTS="floor ours naive"
[ -n "${BEFORE:-}" ] && VARIANTS="floor ours before naive"
if want 2; then
    part2 2 "$NS" "$VARIANTS"
fi

# Part 2d: the same with /etc/exports.d and the state directory on a real disk filesystem (ext4
# in a loop file, as /etc is on a host): what fsync costs. The naive hook is left out.
if want 2d; then
    if ! command -v mkfs.ext4 >/dev/null || ! truncate -s 512M "$BW/disk.img" ||
       ! mkfs.ext4 -q -F "$BW/disk.img" 2>>"$W/log/stderr" || ! mkdir -p "$BW/disk" ||
       ! mount -o loop "$BW/disk.img" "$BW/disk" 2>>"$W/log/stderr"; then
        not_run 2d "real disk" "no mkfs.ext4 or no loop device"
    else
        mkdir -p "$BW/disk/exports.d" "$BW/disk/state"
        cp -a /etc/exports.d/. "$BW/disk/exports.d/"
        mount --bind "$BW/disk/exports.d" /etc/exports.d
        mount --bind "$BW/disk/state" "$W/state"
        DISK_NS="0 1000"
        [ "$QUICK" = 1 ] && DISK_NS=0
        part2 2d "$DISK_NS" "${VARIANTS% naive}"
        : >/etc/exports.d/other.exports
        /usr/sbin/exportfs -ra 2>>"$W/log/stderr"
        umount "$W/state" /etc/exports.d
        umount "$BW/disk" && rm -f "$BW/disk.img"
    fi
fi
: >/etc/exports.d/other.exports
/usr/sbin/exportfs -ra 2>>"$W/log/stderr"

# Part 2l: the layout of the other exports (issue 23, part 5). The same N other exports, each to
# its own /32 client, then all to the guest's subnet, the client of ours (hosts that serve
# several guests of one network): floor, ours (and --before) A B A B in each, one after the other
# in one run. Instructions are counted at every size (they are what the load does not move).
# Full runs, or --only 2l (--quick skips it unless named).
if want_explicit 2l || { [ -z "$ONLY" ] && [ "$QUICK" = 0 ]; }; then
    for LAYOUT in own subnet; do
        part2 "2l $LAYOUT" "${LAYOUT_NS:-1000}" "${VARIANTS% naive}"
    done
    LAYOUT=own
    : >/etc/exports.d/other.exports
    /usr/sbin/exportfs -ra 2>>"$W/log/stderr"
fi
