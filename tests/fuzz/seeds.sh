#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Assembles a fuzzer's seed corpus in OUT: the hand-made seeds kept in corpus/TARGET (inputs no
# test case has) plus every matching input of the data-driven tests, taken from tests/data and
# xml/examples at run time, so a new test case is a new seed with no copy to drift.
# Usage: seeds.sh TARGET SOURCE_DIR OUT
set -euo pipefail
target=$1 src=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
if [ -d "$src/tests/fuzz/corpus/$target" ]; then
    cp -r "$src/tests/fuzz/corpus/$target/." "$out/"
fi
add() { # add PREFIX FILE...: each file as PREFIX-<its case folder>
    local prefix=$1 f
    shift
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$out/$prefix-$(basename "$(dirname "$f")")"
    done
    return 0
}
case $target in
domain)
    add plan "$src"/tests/data/plan/*/domain.xml
    add hostile "$src"/tests/data/hostile/*/domain.xml
    for f in "$src"/xml/examples/*.xml; do cp "$f" "$out/example-$(basename "$f")"; done
    ;;
policy)
    add plan "$src"/tests/data/plan/*/policy.conf
    add hostile "$src"/tests/data/hostile/*/policy.conf
    cp "$src/packaging/virt-nfsroot.conf.example" "$out/example.conf"
    ;;
bootcheck-fstab)
    add case "$src"/tests/data/bootcheck/*/fstab
    ;;
guest-text)
    for f in "$src"/tests/data/{guest,bootcheck}/*/tree/etc/{fstab,os-release,idmapd.conf,shadow} \
             "$src"/tests/data/{guest,bootcheck}/*/tree/etc/dnf/dnf.conf; do
        [ -f "$f" ] && cp "$f" "$out/$(echo "${f#"$src"/tests/data/}" | tr / _)"
    done
    ;;
esac
n=$(find "$out" -type f | wc -l)
[ "$n" -gt 0 ] || { echo "seeds.sh: no seeds for $target" >&2; exit 1; }
echo "seeds.sh: $n seeds for $target"
