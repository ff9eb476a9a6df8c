#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every shell script of ours passes shellcheck (Debian 12's 0.9) at its default severity, notes
# and style included, with the project's .shellcheckrc. An exception is a
# `# shellcheck disable=SCxxxx # why` line right before the line it excuses, never a global one.
# Scripts: *.sh files, and extension-less files whose first line is a sh/bash shebang, under
# scripts/ bench/ tests/ hooks/ tools/ packaging/ .ci/ (tests/data holds inputs, not scripts).
# Usage: shellcheck.sh SOURCE_DIR
set -u
SRC=$1
command -v shellcheck >/dev/null || { echo "SKIP: shellcheck is not installed"; exit 77; }
cd "$SRC" || exit 1

is_script() { # is_script PATH
    case ${1##*/} in
        *.sh) return 0 ;;
        *.*) return 1 ;;
    esac
    head -n 1 "$1" 2>/dev/null | grep -qE '^#![[:space:]]*(/usr)?/bin/(env[[:space:]]+)?(ba|da)?sh([[:space:]]|$)'
}
dirs=()
for d in scripts bench tests hooks tools packaging .ci; do [ -d "$d" ] && dirs+=("$d"); done
files=()
while IFS= read -r f; do
    is_script "$f" && files+=("$f")
done < <(find "${dirs[@]}" -path tests/data -prune -o -type f -print | LC_ALL=C sort)
[ "${#files[@]}" -gt 20 ] || { echo "FAIL: found only ${#files[@]} shell scripts under $SRC"; exit 1; }

bad=0 findings=0
for f in "${files[@]}"; do
    if ! out=$(shellcheck --severity=style --format=gcc "$f" 2>&1); then
        mapfile -t lines <<<"$out"
        n=${#lines[@]}
        echo "FAIL: $f: $n finding(s) (shellcheck $f)"
        printf '    %s\n' "${lines[@]}"
        bad=$((bad + 1)) findings=$((findings + n))
    fi
done
# An exception says why, on its own line: `# shellcheck disable=SC2086 # a word list on purpose`.
while IFS= read -r hit; do
    echo "FAIL: $hit: a shellcheck exception without its reason (add '# why' on the same line)"
    bad=$((bad + 1)) findings=$((findings + 1))
done < <(grep -nE '^[[:space:]]*#[[:space:]]*shellcheck[[:space:]]+disable=[A-Z0-9,]+[[:space:]]*$' \
             "${files[@]}" | cut -d: -f1,2)
if [ "$bad" = 0 ]; then
    echo "PASS: ${#files[@]} shell scripts shellcheck-clean"
    exit 0
fi
echo "$bad FAIL line(s), $findings finding(s) over ${#files[@]} shell scripts"
exit 1
