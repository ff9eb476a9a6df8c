# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# bench/run's measuring kit, sourced before its parts (functions only): a row of the
# table, a note, spawn-timer's figures and their units, instructions (callgrind), peak RSS, and
# the annotated domains the parts feed the hook. They use bench/run's BW, W, T and PLAIN.

row() { # row PART CASE MEDIAN P99 INSTR RSS RATIO_T RATIO_I VS TARGET MET
    local IFS=$'\t'
    printf '%s\n' "$*" >>"$BW/rows"
}
bnote() { printf 'NOTE\t%s\n' "$*" >>"$BW/notes"; }
# shellcheck disable=SC2034 # FAILED is bench/run's exit status
broke() { FAILED=1; note "$*"; bnote "could not run: $*"; }

# not_run PART WHAT WHY: the row of a part that did not run here, and why.
not_run() { row "$1" "$2: not run ($3)" "" "" "" "" "" "" "" "" ""; }

# script_part PART WHAT OUT LOG CMD...: a part that a script of its own measures: CMD with its
# output in OUT and its stderr in LOG (the same file for a test script, which prints both
# together). True when it ran, for the caller to turn OUT into rows; else the row that says why
# it could not run here (status 77: its SKIP line, else its first line) or, when it failed, a
# note with its FAIL lines, else its last three.
script_part() {
    local part=$1 what=$2 out=$3 log=$4 rc=0 why
    shift 4
    if [ "$out" = "$log" ]; then "$@" >"$out" 2>&1 || rc=$?; else "$@" >"$out" 2>"$log" || rc=$?; fi
    [ "$rc" = 0 ] && return 0
    if [ "$rc" = 77 ]; then
        why=$(sed -n 's/^SKIP: //p' "$out" | head -n 1)
        not_run "$part" "$what" "${why:-$(head -n 1 "$out")}"
    else
        why=$(grep -E '^(FAIL|not ok)' "$log" | head -n 3)
        broke "part $part: $what failed (status $rc): $(printf '%s\n' "${why:-$(tail -n 3 "$log")}" | tr '\n' ' ')"
    fi
    return 1
}

# kv KEY LINE: a value from spawn-timer's "key=value ..." line.
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ms() { awk -v u="$1" 'BEGIN { if (u == "") print ""; else if (u < 10000) printf "%.2f ms", u / 1000; else printf "%.1f ms", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print ""; else printf "%.2fx", a / b }'; }
kinstr() { awk -v i="$1" 'BEGIN { if (i == "") print ""; else if (i < 1e6) printf "%.0f k", i / 1e3; else printf "%.1f M", i / 1e6 }'; }
mb() { awk -v k="$1" 'BEGIN { if (k == "") print ""; else printf "%.1f MB", k / 1024 }'; }
# met VALUE LIMIT: "yes" when VALUE <= LIMIT (both plain numbers or "1.23x").
met() { awk -v v="${1%x}" -v l="${2%x}" 'BEGIN { if (v == "") print "?"; else print (v + 0 <= l + 0) ? "yes" : "no" }'; }

# timeit [spawn-timer options] -- COMMAND...: prints spawn-timer's line, or nothing on failure.
timeit() {
    local out
    out=$("$T" -e "$W/log/stderr" "$@") || { note "spawn-timer failed: $* (see below)"; tail -n 5 "$W/log/stderr" >&2; return 1; }
    printf '%s\n' "$out"
}

# instr [--children] COMMAND... < stdin: user-space instructions (callgrind), summed over the
# process and, with --children, every program it runs (their valgrind logs go to files: the hook
# reads its children's stderr). valgrind 3.19 fails openat2() with ENOSYS; the library then
# takes its O_NOFOLLOW walk, a few system calls more, a negligible number of instructions.
instr() {
    local tc=no
    [ "$1" = --children ] && { tc=yes; shift; }
    rm -rf "$W/vg"
    mkdir -p "$W/vg"
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        --log-file="$W/vg/%p" --trace-children=$tc "$@" >/dev/null 2>>"$W/log/stderr"
    cat "$W/vg"/* | awk '/Collected :/ { s += $NF } END { if (s) printf "%.0f\n", s }'
}

# rss COMMAND... < stdin: peak RSS in KiB by /usr/bin/time -v (the largest of the program and the
# children it waited for).
rss() {
    /usr/bin/time -v -o "$W/log/time" "$@" >/dev/null 2>>"$W/log/stderr"
    awk '/Maximum resident set size/ { print $NF }' "$W/log/time"
}

# annotated NAME UUID MAC PATH: the 8 KB domain, renamed, with our metadata and only the NIC on
# network 'default' (its bridge NIC would need a real bridge).
annotated() {
    awk -v name="$1" -v uuid="$2" -v mac="$3" -v path="$4" '
        /<interface type=.bridge.>/ { skip = 1 }
        skip { if (/<\/interface>/) skip = 0; next }
        { gsub(/web-frontend-03/, name); gsub(/3f2a9c61-8d1e-4b7a-9f0c-2e5d7a1b4c93/, uuid)
          gsub(/52:54:00:3a:91:7c/, mac) }
        /<metadata>/ { print; print "    <nfsroot:nfsroot xmlns:nfsroot=\"http://virt-nfsroot.org/xmlns/domain/1.0\">"
                       print "      <nfsroot:export path=\"" path "\"/>"; print "    </nfsroot:nfsroot>"; next }
        { print }' "$PLAIN"
}
uuid_of() { printf '%08x-0000-4000-8000-%012x' "$1" "$1"; }
mac_of() { printf '52:54:00:%02x:%02x:%02x' $(($1 / 65536 % 256)) $(($1 / 256 % 256)) $(($1 % 256)); }
in_etab() { grep -q "^$1	$2(" /var/lib/nfs/etab; }
