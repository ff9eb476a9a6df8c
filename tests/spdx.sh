#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every source file of ours names its licence in an SPDX line near its top: C, headers, shell
# and Python scripts (by extension or shebang), CMake files, templates (*.in), man page
# sources, the schema, the bash completion and the example policy. Data (tests/data, fuzz
# seeds, example domains) and prose are not source. Usage: spdx.sh SOURCE_DIR
set -u
# shellcheck source=lib/sources.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/sources.sh"
SRC=$1
cd "$SRC" || exit 1
tag='SPDX-License-Identifier: LGPL-2.1-or-later'
is_source() {
    case $1 in
    *.c | *.h | *.sh | *.py | *.cmake | */CMakeLists.txt | CMakeLists.txt | *.in | *.scd | *.rng) return 0 ;;
    packaging/virt-nfsroot.bash-completion | packaging/virt-nfsroot.conf.example) return 0 ;;
    esac
    sources_is_script "$1"
}
mapfile -d '' files < <(sources_all)
n=0 bad=0
for f in "${files[@]}"; do
    is_source "$f" || continue
    n=$((n + 1))
    if ! head -n 3 "$f" | grep -qF "$tag"; then
        echo "FAIL: $f has no '$tag' line in its first three lines"
        bad=$((bad + 1))
    fi
done
[ "$n" -gt 100 ] || { echo "FAIL: found only $n source files under $SRC"; exit 1; }
[ "$bad" = 0 ] && echo "PASS: $n source files carry the SPDX line"
exit $((bad > 0))
