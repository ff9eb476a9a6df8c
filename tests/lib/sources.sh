# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# The files of ours that the style tests (spdx.sh, size.sh) look at, from the source tree's top.
#   sources_all            every file of the tree but data (tests/data, the fuzz seeds), build
#                          directories, .git and node_modules: NUL-terminated paths, no "./"
#   sources_is_script PATH PATH starts with a sh, bash or python shebang
sources_all() {
    find . \( -path ./tests/data -o -path ./tests/fuzz/corpus -o -path './build*' -o -path ./.git \
        -o -name node_modules \) -prune -o -type f -printf '%P\0'
}
sources_is_script() {
    head -c 64 "$1" 2>/dev/null | grep -aqE '^#!.*(sh|bash|python3?)( |$)'
}
