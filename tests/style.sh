#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every C file of ours is formatted as .clang-format says (clang-format 14, Debian 12's).
# Usage: style.sh SOURCE_DIR
set -u
SRC=$1
command -v clang-format >/dev/null || { echo "SKIP: clang-format is not installed"; exit 77; }
cd "$SRC" || exit 1
mapfile -t files < <(find lib hooks tools bench tests -name '*.[ch]' -not -path 'tests/data/*' | sort)
[ "${#files[@]}" -gt 50 ] || { echo "FAIL: found only ${#files[@]} C files under $SRC"; exit 1; }
bad=0
for f in "${files[@]}"; do
    if ! clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "FAIL: $f is not clang-formatted (clang-format -i $f)"
        bad=1
    fi
done
[ "$bad" = 0 ] && echo "PASS: ${#files[@]} files clang-formatted"
exit "$bad"
