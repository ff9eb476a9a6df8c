#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# No source file of ours is over 600 lines (HACKING.md, "Style"): C and headers, shell and Python
# scripts (by extension or shebang), the Cockpit page's JavaScript and CSS, CMake files. A longer
# file holds two things: split it where it divides (bench/run's parts, the migration test's
# moves.sh). Not counted: data (tests/data, fuzz seeds), prose, the man page's source, the schema.
# Usage: size.sh SOURCE_DIR [MAX]   (MAX: 600; a smaller one shows what comes close)
set -u
# shellcheck source=lib/sources.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sources.sh"
SRC=$1 MAX=${2:-600}
cd "$SRC" || exit 1
counted=()
while IFS= read -r -d '' f; do
    case $f in
    *.c | *.h | *.sh | *.py | *.js | *.css | *.cmake | CMakeLists.txt | */CMakeLists.txt) counted+=("$f") ;;
    *.*) ;;
    *) sources_is_script "$f" && counted+=("$f") ;;
    esac
done < <(sources_all)
[ "${#counted[@]}" -gt 200 ] || { echo "FAIL: found only ${#counted[@]} source files under $SRC"; exit 1; }
# wc -l prints "LINES PATH" a file, then a total, which the last line's test leaves out.
printf '%s\0' "${counted[@]}" | xargs -0 wc -l | awk -v max="$MAX" -v n="${#counted[@]}" '
    $2 != "total" && $1 > max { print "FAIL: " $2 " has " $1 " lines (at most " max "): split it where it divides"; bad++ }
    END { if (!bad) print "PASS: " n " source files, none over " max " lines"; exit bad > 0 }'
