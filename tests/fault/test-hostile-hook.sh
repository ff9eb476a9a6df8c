#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The BUILT hook at `prepare begin` (and `migrate begin`) on every case of tests/data/hostile/ (plus a 50 MB and a 70 MB
# domain XML generated here), in a private mount namespace with the real exportfs, while an
# admin's export and a running domain of ours exist. For each case: exit 1, exactly one stderr
# line `virt-nfsroot: domain '…': <the case's expected sentence>`, and the exports dir, etab,
# `exportfs -v` and our state dir byte-identical before and after (cases with a `hook-exit` of 0:
# exit 0, silent, nothing touched).
#
# Usage: test-hostile-hook.sh HOOK SOURCE_DIR [valgrind]
#   valgrind: run every hook call under valgrind (memcheck, full leak check); a valgrind error
#   makes the call exit 99, so it cannot pass for the hook's own refusal (exit 1).
set -u
HOOK=$(readlink -f "$1")
SRC=$(readlink -f "$2")
MODE=${3:-}
# shellcheck source=../system/lib.sh
. "$SRC/tests/system/lib.sh"
if [ "$MODE" = valgrind ] && ! command -v valgrind >/dev/null; then
    echo "SKIP: valgrind is not installed"; exit 77
fi
nfsroot_isolate "$0" "$@"

HOSTILE=$SRC/tests/data/hostile
PLANDATA=$SRC/tests/data/plan
FRONT=$HOOK
RUN=$(dirname "$HOOK")/qemu-hook-run
VG=()
if [ "$MODE" = valgrind ]; then
    # shellcheck disable=SC2054 # the commas are inside valgrind's option values
    VG=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
        --errors-for-leak-kinds=definite,indirect --track-fds=no --log-file="$W/vg.%p.log")
fi
# run_hook ARGS... < XML: the installed pair. Under valgrind, memcheck runs on the second stage,
# which holds all the parsing (statically linked glibc gives memcheck false positives on the
# front end); the front end's own decision, whether to hand over at all, is made here the same
# way (our namespace URI in the input), and the run without valgrind checks the front end itself.
run_hook() {
    if [ "$MODE" != valgrind ]; then
        "$FRONT" "$@"
        return
    fi
    local in; in=$(mktemp "$W/in.XXXXXX")
    cat >"$in"
    if grep -qaF 'http://virt-nfsroot.org/xmlns/domain/' "$in"; then
        "${VG[@]}" "$RUN" "$@" <"$in"
    else
        "$FRONT" "$@" <"$in"
    fi
    local rc=$?
    rm -f "$in"
    return $rc
}

# Everything a refusal must leave alone, with inode numbers and sizes so a rewrite of identical
# bytes is caught too.
host_state() {
    exportfs -v 2>&1
    echo "--- etab"; cat /var/lib/nfs/etab
    echo "--- exports.d"
    (cd /etc/exports.d && for f in .[!.]* ..?* *; do
        [ -e "$f" ] || continue
        stat -c '%n %i %s %Y' "$f"
        cat "$f"
    done)
    local d
    for d in "$W/state" ${CASE_ROOT:+"$CASE_ROOT/state"}; do
        echo "--- state $d"
        [ -d "$d" ] || continue
        (cd "$d" && find . -printf '%p %i %s\n' | sort && find . -type f -name '*.state' -exec cat {} +)
    done
}

# A foreign export of the admin's and one running domain of ours: both must survive every case.
mkdir -p "$W/admin" "$W/export/victim"
echo "$W/admin 127.0.0.1(ro,sync,no_subtree_check)" > /etc/exports.d/admin.exports
exportfs -ra
domain_xml victim > "$W/victim.xml"
run_hook victim prepare begin - < "$W/victim.xml"
check "the running domain 'victim' is exported" etab_has "$W/export/victim" 192.168.122.0/24

# prepare_case CASEDIR ROOT: build the case's root and policy as plan-case does (its own state
# dir, so the expected sentences hold as written; the running domain's state is checked too).
prepare_case() {
    local c=$1 R=$2
    mkdir -p "$R/export"
    if [ -f "$c/setup" ]; then
        while read -r kind a b; do
            [ -n "${kind:-}" ] || continue
            b=${b//@ROOT@/$R}
            case $kind in
                dir) mkdir -p "$R/$a" ;;
                link) ln -s "$b" "$R/$a" ;;
                file) : > "$R/$a" ;;
                chown) chown -h "$b" "$R/$a" ;;
                chmod) chmod "$b" "$R/$a" ;;
            esac
        done < "$c/setup"
    fi
    local net=$PLANDATA/_network extra=""
    [ -d "$c/network" ] && net=$c/network
    [ -f "$c/policy.conf" ] && extra=$(sed "s|@ROOT@|$R|g" "$c/policy.conf")
    {
        printf '%s\n' "$extra" | grep -q export_roots || echo "export_roots = $R/export"
        printf '%s\n' "$extra" | grep -q network_dir || echo "network_dir = $net"
        echo "state_dir = $R/state"
        [ -n "$extra" ] && printf '%s\n' "$extra"
    } > "$R/policy.conf"
}

# run_case NAME CASEDIR: the hook on the case, and every check.
n_cases=0
run_case() {
    local name=$1 c=$2 R="$W/case/${1#migrate:}"
    n_cases=$((n_cases + 1))
    prepare_case "$c" "$R"
    # Text cases get @ROOT@ replaced; byte-level ones (NUL, UTF-16) are fed as they are.
    if [ "$(tr -d '\000' < "$c/domain.xml" | wc -c)" -eq "$(wc -c < "$c/domain.xml")" ]; then
        sed "s|@ROOT@|$R|g" "$c/domain.xml" > "$R/domain.xml"
    else
        cp "$c/domain.xml" "$R/domain.xml"
    fi
    local want_rc=1
    [ -f "$c/hook-exit" ] && want_rc=$(cat "$c/hook-exit")
    local before after err rc
    CASE_ROOT=$R
    before=$(host_state)
    VIRT_NFSROOT_CONFIG=$R/policy.conf run_hook vm1 "$OP" begin - \
        < "$R/domain.xml" > "$W/out" 2> "$W/err"
    rc=$?
    after=$(host_state)
    err=$(cat "$W/err")
    if [ "$rc" -ne "$want_rc" ]; then
        fail "$name: exit $rc, want $want_rc (stderr: $err)"
        [ "$rc" -eq 99 ] && cat "$W"/vg.*.log 2>/dev/null
    elif [ "$want_rc" -eq 0 ]; then
        if [ -s "$W/err" ] || [ -s "$W/out" ]; then fail "$name: exit 0 but printed: $err"
        else pass "$name: exit 0, silent"; fi
    else
        local lines want domain_less
        lines=$(wc -l < "$W/err")
        want=$(sed -n 's/^error: //p' "$c/expected" | sed "s|@ROOT@|$R|g; s|@UID@|$(id -u)|g")
        # Errors raised before the domain's name was known get the name libvirt passed.
        case $want in "domain '"*) domain_less=0 ;; *) domain_less=1 ;; esac
        if [ "$lines" -ne 1 ]; then
            fail "$name: $lines stderr lines, want 1: $err"
        elif [[ "$err" != "virt-nfsroot: domain '"* ]]; then
            fail "$name: stderr does not start with \"virt-nfsroot: domain '\": $err"
        elif [ "$domain_less" -eq 0 ] && [ "$err" != "virt-nfsroot: $want" ]; then
            fail "$name: stderr '$err', want 'virt-nfsroot: $want'"
        elif [ "$domain_less" -eq 1 ] && [ "$err" != "virt-nfsroot: domain 'vm1': $want" ]; then
            fail "$name: stderr '$err', want \"virt-nfsroot: domain 'vm1': $want\""
        elif [ -s "$W/out" ]; then
            fail "$name: printed on stdout"
        else
            pass "$name: refused in one line"
        fi
    fi
    if [ "$before" = "$after" ]; then
        pass "$name: host exports and state byte-identical"
    else
        fail "$name: host state changed"
        diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | head -20
    fi
    CASE_ROOT=
    rm -rf "$R"
}

# Every case at `prepare begin`, and again at `migrate begin` (an incoming live migration asks
# the destination with the same XML before anything moves: a filter whose stdout would replace
# the XML, so it must stay empty too).
for OP in prepare migrate; do
    for c in "$HOSTILE"/*/; do
        c=${c%/}
        if [ "$OP" = prepare ]; then run_case "$(basename "$c")" "$c"
        else run_case "migrate:$(basename "$c")" "$c"; fi
    done
done
OP=prepare

# Too large for the library (50 MB) and for the hook's own reader (70 MB): generated here.
"$SRC/tests/fault/make-huge-case.sh" "$W/gen/huge-50mb" 50
run_case huge-50mb "$W/gen/huge-50mb"
"$SRC/tests/fault/make-huge-case.sh" "$W/gen/huge-70mb" 70
echo "error: cannot read the domain XML: it is larger than 64 MiB" > "$W/gen/huge-70mb/expected"
run_case huge-70mb "$W/gen/huge-70mb"

# Conflicts with the running domain: its root read-write, below it, above it, and its UUID.
victim_uuid=$(sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' "$W/victim.xml")
mkdir -p "$W/export/victim/home"
conflict() { # conflict NAME EXPECTED-SUBSTRING XML
    local name=$1 want=$2 xml=$3 before after rc
    n_cases=$((n_cases + 1))
    before=$(host_state)
    printf '%s\n' "$xml" | run_hook "$name" prepare begin - > /dev/null 2> "$W/err"
    rc=$?
    after=$(host_state)
    check "conflict $name: exit 1 ($(cat "$W/err"))" [ "$rc" -eq 1 ]
    # shellcheck disable=SC2016 # the inner sh expands $1 and $2
    check "conflict $name: one line saying '$want'" \
        sh -c '[ "$(wc -l < "$1")" -eq 1 ] && grep -qF -- "$2" "$1"' _ "$W/err" "$want"
    check "conflict $name: host exports and state byte-identical" [ "$before" = "$after" ]
}
conflict thief "overlaps" "$(domain_xml thief "path=\"$W/export/victim\"")"
conflict below "overlaps" "$(domain_xml below "path=\"$W/export/victim/home\"")"
conflict ro-on-rw "overlaps" "$(domain_xml ro-on-rw "path=\"$W/export/victim\" readonly=\"yes\"")"
mkdir -p "$W/export/twin"
conflict twin "uuid" "$(domain_xml twin | sed "s:<uuid>.*</uuid>:<uuid>$victim_uuid</uuid>:")"

# The same name under a new UUID (undefined and defined again): the old exports file must go.
mkdir -p "$W/export/reborn"
domain_xml reborn > "$W/reborn1.xml"
sed 's:<uuid>.*</uuid>:<uuid>00000000-0000-4000-8000-0000000000aa</uuid>:' "$W/reborn1.xml" > "$W/reborn2.xml"
run_hook reborn prepare begin - < "$W/reborn1.xml"
old_file=$(grep -l "domain 'reborn'" /etc/exports.d/virt-nfsroot-*.exports)
run_hook reborn prepare begin - < "$W/reborn2.xml"
check "reborn: prepare under a new UUID exits 0" [ $? -eq 0 ]
check "reborn: the old UUID's exports file is gone" [ ! -e "$old_file" ]
check "reborn: exactly one exports file names it" \
    [ "$(grep -l "domain 'reborn'" /etc/exports.d/virt-nfsroot-*.exports | wc -l)" -eq 1 ]
run_hook reborn release end - < "$W/reborn2.xml"
check "reborn: released" sh -c "! grep -q \"^$W/export/reborn	\" /var/lib/nfs/etab"

check "the admin's export survived every case" etab_has "$W/admin" 127.0.0.1
check "'victim' is still exported" etab_has "$W/export/victim" 192.168.122.0/24
exportfs -ra 2> "$W/ra.err"
check "exportfs -ra parses everything afterwards ($(cat "$W/ra.err"))" [ ! -s "$W/ra.err" ]
check "'victim' survives exportfs -ra" etab_has "$W/export/victim" 192.168.122.0/24
run_hook victim release end - < "$W/victim.xml"
check "release of 'victim' exits 0" [ $? -eq 0 ]
check "nothing of ours left" sh -c "! ls /etc/exports.d/virt-nfsroot-* 2>/dev/null"
if [ "$MODE" = valgrind ]; then
    # Memcheck's findings are "==PID==" lines; "--PID--" lines are valgrind's own notes (e.g.
    # that it lacks openat2(), which sends the library down its O_NOFOLLOW walk fallback).
    check "valgrind reported no error or leak" sh -c "! cat $W/vg.*.log | grep -q '^=='"
    cat "$W"/vg.*.log 2>/dev/null | grep '^==' | head -40
    cat "$W"/vg.*.log 2>/dev/null | grep -q 'syscall: 437' &&
        echo "note: valgrind has no openat2(): paths were resolved by the library's fallback walk"
fi
echo "hostile inputs tried: $n_cases"
finish
